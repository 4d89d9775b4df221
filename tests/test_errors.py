"""The error corpus: invalid expressions raise CronError with field, token, position and carets.

Conventions (SPEC sections 1 and 8.6): ``.field`` is the field's name or None for
whole-expression errors, ``.token`` the offending text, ``.position`` its index
in the text as passed; the message shows the expression with a caret line
under the token.
"""

from __future__ import annotations

from typing import Optional

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cronsec import CronError, CronExpr

try:
    from strategies_local import expressions
except ImportError:  # tests/ imported as a package
    from tests.strategies_local import expressions

SEC, MIN, HOUR, DOM, MON, DOW, YEAR = (
    "second",
    "minute",
    "hour",
    "day-of-month",
    "month",
    "day-of-week",
    "year",
)

# (text, field, token, position); position None: the token's only occurrence in the text
Case = tuple[str, Optional[str], str, Optional[int]]

OUT_OF_RANGE: list[Case] = [
    ("*/5 61 * * * *", MIN, "61", 4),  # "61" starts at index 4
    ("60 * * * * *", SEC, "60", 0),
    ("* 60 * * * *", MIN, "60", 2),
    ("0 0 24 * * *", HOUR, "24", None),
    ("0 0 0 32 * *", DOM, "32", None),
    ("0 0 0 0 * *", DOM, "0", 6),
    ("0 0 0 1 13 *", MON, "13", None),
    ("0 0 0 1 0 *", MON, "0", 8),
    ("0 0 0 * * 8", DOW, "8", None),
    ("0 1-61 * * * *", MIN, "61", None),
    ("0 0 0 * JAN-13 *", MON, "13", None),
    ("* * * * * 1-8", DOW, "8", None),
    ("0 0 0 * * 9/2", DOW, "9", None),
    ("99999999999999999999 * * * * *", SEC, "99999999999999999999", 0),
    ("0 0 0 1 1 * 1969", YEAR, "1969", None),
    ("0 0 0 1 1 * 10000", YEAR, "10000", None),
    ("0 0 0 1 1 * 2026-10000", YEAR, "10000", None),
    ("0 0 0 1 1 * 1960-1980", YEAR, "1960", None),
    ("1-60 * * * *", MIN, "60", None),  # five fields: the first is the minute
    ("0 25 * * *", HOUR, "25", None),
]

UNKNOWN_NAMES: list[Case] = [
    ("0 0 0 * * MONDAY", DOW, "MONDAY", None),
    ("0 0 0 * FOO *", MON, "FOO", None),
    ("0 0 0 * * JAN", DOW, "JAN", None),
    ("0 0 0 * MON *", MON, "MON", None),
    ("0 0 0 MON * *", DOM, "MON", None),
    ("0 0 JAN * * *", HOUR, "JAN", None),
    ("0 0 0 * JAN-FOO *", MON, "FOO", None),
    ("0 0 0 * * SUN-XYZ", DOW, "XYZ", None),
    ("0 0 0 1 1 * JAN", YEAR, "JAN", None),
    ("0 0 0 * JANUARY *", MON, "JANUARY", None),
]

STEP_ZERO: list[Case] = [
    ("*/0 * * * * *", SEC, "0", 2),
    ("0 1-5/0 * * * *", MIN, "0", 6),
    ("0 0 0 1 1 * */0", YEAR, "0", 14),
    ("0 0 0 * * 1/0", DOW, "0", 12),
    ("0 0 0 * 1-12/0 *", MON, "0", 13),
]

EMPTY_ITEMS: list[Case] = [
    ("1,,2 * * * * *", SEC, ",", 2),
    ("1,2, * * * * *", SEC, ",", 3),
    (",1 * * * * *", SEC, ",", 0),
    ("0 0 0 * * ,", DOW, ",", 10),
    ("0 0 0 1,,L * *", DOM, ",", 8),
    ("0 5,,10 * * * *", MIN, ",", 4),
    ("0 0 0 1 1 * 2026,", YEAR, ",", 16),
]

MALFORMED: list[Case] = [
    ("*/ * * * * *", SEC, "*/", 0),
    ("*/5/2 * * * * *", SEC, "*/5/2", 0),
    ("1-2-3 * * * * *", SEC, "1-2-3", 0),
    ("a@b * * * * *", SEC, "a@b", 0),
    ("0 0 0 \u0661 * *", DOM, "\u0661", 6),  # Arabic-Indic digit one
    ("0 0 \u0663 * * *", HOUR, "\u0663", 4),
    ("0 \uff15 * * * *", MIN, "\uff15", 2),  # fullwidth digit five
    ("0 0 0 1 1 * 2030-2026", YEAR, "2030-2026", None),
    ("0 0 0 L/2 * *", DOM, "L/2", None),
    ("0 0 0 1-L * *", DOM, "1-L", None),
    ("0 0 0 15W/2 * *", DOM, "15W/2", None),
    ("0 0 0 1-15W * *", DOM, "1-15W", None),
    ("0 0 0 ? * 5L/2", DOW, "5L/2", None),
    ("0 0 0 ? * 1-5#2", DOW, "1-5#2", None),
    ("0 0 0 ? * *#2", DOW, "*#2", None),
    ("0 0 0 L-31 * *", DOM, "L-31", None),
    ("0 0 0 0W * *", DOM, "0W", None),
    ("0 0 0 32W * *", DOM, "32W", None),
    ("0 0 0 W * *", DOM, "W", None),
    ("0 0 0 ? * 1#0", DOW, "1#0", None),
    ("0 0 0 ? * 1#6", DOW, "1#6", None),
    ("0 0 0 ? * 8L", DOW, "8L", None),
    ("0 0 0 ?/2 * *", DOM, "?/2", None),
    ("0 0 0 ? * ?/2", DOW, "?/2", None),
    ("0 0 0 L-5-2 * *", DOM, "L-5-2", None),
    ("0 0 0 ? * MON#", DOW, "MON#", None),
    ("0 0 0 ? * #1", DOW, "#1", None),
    ("0 0 0 L-W * *", DOM, "L-W", None),
    ("0 0 0 ? * 1#1#1", DOW, "1#1#1", None),
    ("0 0 0 1,15W/3 * *", DOM, "15W/3", None),
    ("0 0 0 ? * 1,L-2", DOW, "L-2", None),
    ("- * * * * *", SEC, "-", 0),
    ("0 0 0 1 1 * 2026-", YEAR, "2026-", None),
]

QUESTION_MARK: list[Case] = [
    ("0 0 0 ?,1 * *", DOM, "?", None),
    ("0 0 0 1,? * *", DOM, "?", None),
    ("0 0 0 * * ?,MON", DOW, "?", None),
]

WRONG_SPELLING: list[tuple[str, str, str, int, str]] = [
    ("0 0 0 * * L5", DOW, "L5", 10, "5L"),
    ("0 0 0 W15 * *", DOM, "W15", 6, "15W"),
    ("0 0 0 ? * LFRI", DOW, "LFRI", 10, "FRIL"),
    ("0 0 0 w3 * *", DOM, "w3", 6, "3W"),
]

ITEM_IN_THE_WRONG_FIELD: list[Case] = [
    ("0 0 0 * * L", DOW, "L", 10),
    ("0 0 L * * *", HOUR, "L", None),
    ("0 0 0 * L *", MON, "L", None),
    ("0 0 0 1 1 * L", YEAR, "L", None),
    ("L * * * * *", SEC, "L", None),
    ("0 0 0 1 * 5#2,LW", DOW, "LW", None),
    ("0 0 0 15W * 1W", DOW, "1W", None),
    ("0 0 0 1#2 * *", DOM, "1#2", None),
    ("0 0 5#2 * * *", HOUR, "5#2", None),
    ("0 0 0 1 1 * 2026#1", YEAR, "2026#1", None),
    ("0 0 0 1 1 * ?", YEAR, "?", None),
    ("? 0 0 * * *", SEC, "?", 0),
    ("0 0 0 1 ? *", MON, "?", None),
    ("0 0 0 5L * *", DOM, "5L", None),
    ("0 0 0 1 1 * 2026L", YEAR, "2026L", None),
    ("0 0 0 1 1 * 2026W", YEAR, "2026W", None),
    ("0 15W * * * *", MIN, "15W", None),
    ("0 0 0 1 LW *", MON, "LW", None),
]

FIELD_COUNT: list[Case] = [
    ("", None, "", 0),
    ("   ", None, "", 0),
    ("\t", None, "", 0),
    (" \t \t", None, "", 0),
    ("*", None, "*", 0),
    ("* *", None, "* *", 0),
    ("* * * *", None, "* * * *", 0),
    ("  * * * *  ", None, "* * * *", 2),
    ("\t0 0\t1", None, "0 0\t1", 1),
    ("* * * * * * * *", None, "*", 14),
    ("0 0 0 1 1 * 2026 extra", None, "extra", None),
    ("1 2 3 4 5 6 2027 8 9", None, "8", None),
    ("0  0 0 1 1 * 2026  2027", None, "2027", None),
]

MACROS: list[Case] = [
    ("@foo", None, "@foo", 0),
    (" @reboot", None, "@reboot", 1),
    ("@", None, "@", 0),
    ("@yearlyy", None, "@yearlyy", 0),
    ("@every_minute", None, "@every_minute", 0),
]

NEVER_FIRES: list[Case] = [
    ("0 0 0 30 2 *", DOM, "30", None),
    ("0 0 0 31 2 *", DOM, "31", None),
    ("0 0 0 31 4 *", DOM, "31", None),
    ("0 0 0 31 4,6,9,11 *", DOM, "31", None),
    ("0 0 0 30W 2 *", DOM, "30W", None),
    ("0 0 0 L-29 2 *", DOM, "L-29", None),
    ("0 0 0 29 2 * 2025", DOM, "29", None),
    ("0 0 0 * 2 MON#5 2026-2043", DOW, "MON#5", None),
    ("0 0 0 ? 2 MON#5 2026-2043", DOW, "MON#5", None),
    ("0 0 0 31 2,4 *", DOM, "31", None),
    ("0 0 0 30,31 FEB *", DOM, "30,31", None),
    ("0 0 0 31W 2,4,6 *", DOM, "31W", None),
    ("0 0 0 L-30 2,4 *", DOM, "L-30", None),
    ("0 0 0 29 2 * 2100", DOM, "29", None),
    ("0 0 0 31 4 * 2026-2030", DOM, "31", None),
    ("0 0 0 * 2 5#5 2027", DOW, "5#5", None),
    ("0 0 0 30 2 MON#5 2026-2043", DOM, "30", None),
    ("0 0 31 4,6,9,11 *", DOM, "31", None),  # five fields
    ("0 0 0 29W 2 * 2025-2027", DOM, "29W", None),
    ("0 0 0 L-29W 2 *", DOM, "L-29W", None),
]

ALL_CASES = (
    OUT_OF_RANGE
    + UNKNOWN_NAMES
    + STEP_ZERO
    + EMPTY_ITEMS
    + MALFORMED
    + QUESTION_MARK
    + [(t, f, tok, p) for t, f, tok, p, _ in WRONG_SPELLING]
    + ITEM_IN_THE_WRONG_FIELD
    + FIELD_COUNT
    + MACROS
    + NEVER_FIRES
)


def _same_shown(shown: str, original: str) -> bool:
    """The displayed text matches the original, unprintable characters standing for themselves."""
    return len(shown) == len(original) and all(
        a == b or not b.isprintable() for a, b in zip(shown, original)
    )


def check_error(err: CronError, text: str) -> None:
    """Token at position in the text; the message has the text and carets under the token."""
    assert isinstance(err, ValueError)
    token, pos = err.token, err.position
    assert isinstance(token, str) and isinstance(pos, int)
    assert 0 <= pos <= len(text)
    assert text[pos : pos + len(token)] == token, (text, token, pos)
    lines = str(err).split("\n")
    caret_rows = [i for i, line in enumerate(lines) if line.strip() and set(line.strip()) == {"^"}]
    assert caret_rows, str(err)
    row = caret_rows[-1]
    assert row >= 1
    caret, shown = lines[row], lines[row - 1]
    col = caret.index("^")
    width = len(caret.strip())
    assert width >= 1
    if field_name := err.field:
        assert field_name in str(err)
    if len(text) <= 60:  # short: the whole text is shown
        assert width == max(1, len(token)), (str(err), token)
        start = col - pos
        assert start >= 0, str(err)
        assert _same_shown(shown[start : start + len(text)], text), (str(err), text)
        if token and token.isprintable():
            assert token in str(err)
    else:  # long: a window of the text is shown; the carets still sit on the token
        assert width <= max(1, len(token))
        if len(token) <= 60:
            assert width == max(1, len(token)), (str(err), token)
        assert _same_shown(shown[col : col + width], token[:width]), str(err)
        before = min(pos, 10)
        assert _same_shown(shown[col - before : col], text[pos - before : pos]), str(err)


def raises(text: str) -> CronError:
    with pytest.raises(CronError) as info:
        CronExpr(text)
    return info.value


@pytest.mark.parametrize(("text", "field", "token", "position"), ALL_CASES)
def test_error_corpus(text: str, field: str | None, token: str, position: int | None) -> None:
    if position is None:
        assert text.count(token) == 1, "ambiguous case: give the position"
        position = text.index(token)
    err = raises(text)
    assert (err.field, err.token, err.position) == (field, token, position), str(err)
    check_error(err, text)


def test_corpus_is_big_enough() -> None:
    assert len(ALL_CASES) >= 80
    assert len({c[0] for c in ALL_CASES}) == len(ALL_CASES)


@pytest.mark.parametrize(("text", "field", "token", "position", "hint"), WRONG_SPELLING)
def test_wrong_spelling_names_the_right_one(
    text: str, field: str, token: str, position: int, hint: str
) -> None:
    err = raises(text)
    assert (err.field, err.token, err.position) == (field, token, position)
    assert hint.lower() in str(err).lower()


# ---------------------------------------------------------------- looser conventions


@pytest.mark.parametrize(
    "text",
    ["@daily 1", "@daily * * * * *", "@ daily", "@hourly\t0", "@weekly 2026", "* @daily"],
)
def test_macro_with_more_text_is_an_error(text: str) -> None:
    err = raises(text)
    check_error(err, text)
    if text.startswith("@"):
        assert err.field is None


@pytest.mark.parametrize(
    ("text", "bad"),
    [
        ("0 0 0 * *\n *", "\n"),
        ("0 0 0\n* * *", "\n"),
        ("0 0\x00 0 * * *", "\x00"),
        ("0 0 0 * * *\x07", "\x07"),
        ("0\r0 0 * * *", "\r"),
        ("0\u00a00 0 * * * *", "\u00a0"),
        ("0 0 0 *\x1b * *", "\x1b"),
        ("\x00", "\x00"),
        ("0 0 0 * * \x7f", "\x7f"),
        ("0 0 0\u2028* * *", "\u2028"),
    ],
)
def test_characters_other_than_space_and_tab_are_errors(text: str, bad: str) -> None:
    err = raises(text)
    assert bad in err.token, (err.token, err.field)
    check_error(err, text)


@pytest.mark.parametrize(
    "text",
    [
        "* " * 500_000,  # 1 MB of a valid-looking item
        "0 " + "1," * 600 + "1 * * * *",
        " " * 1020 + "* * * * *",
        "* * * * * " + "1" * 2000,
        "x" * 1_000_000,
        "\x00" * 2048,
    ],
)
def test_text_longer_than_1024_characters_is_an_error(text: str) -> None:
    err = raises(text)
    assert err.field is None
    check_error(err, text)


@pytest.mark.parametrize("text", ["* * * * *", "0 " + "1," * 300 + "1 * * * *"])
def test_text_up_to_1024_characters_is_fine(text: str) -> None:
    assert len(text) <= 1024
    CronExpr(text)


def test_unknown_name_case_does_not_matter_for_the_token() -> None:
    err = raises("0 0 0 * * mOnDaY")
    assert (err.field, err.token, err.position) == (DOW, "mOnDaY", 10)


def test_error_pickles_with_its_data() -> None:
    import pickle

    err = raises("*/5 61 * * * *")
    back = pickle.loads(pickle.dumps(err))
    assert isinstance(back, CronError)
    assert (back.field, back.token, back.position) == ("minute", "61", 4)
    assert str(back) == str(err)


# ---------------------------------------------------------------- fuzzing

CRON_ALPHABET = "0123456789*/,-? \tLW#lw@JANFEBMONSUNxyz\n\x00\u0661"


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=CRON_ALPHABET, max_size=40))
def test_any_text_either_parses_or_raises_a_well_formed_cron_error(text: str) -> None:
    try:
        CronExpr(text)
    except CronError as err:
        check_error(err, text)
        assert err.field in (None, SEC, MIN, HOUR, DOM, MON, DOW, YEAR)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expressions(), st.data())
def test_damaged_expressions_raise_well_formed_errors(text: str, data: st.DataObject) -> None:
    i = data.draw(st.integers(0, len(text)))
    how = data.draw(st.sampled_from(["insert", "delete", "replace"]))
    ch = data.draw(st.sampled_from(list(",-/#?LW0 9x@\n")))
    if how == "insert":
        damaged = text[:i] + ch + text[i:]
    elif how == "delete":
        damaged = text[:i] + text[i + 1 :]
    else:
        damaged = text[:i] + ch + text[i + 1 :]
    try:
        CronExpr(damaged)
    except CronError as err:
        check_error(err, damaged)
