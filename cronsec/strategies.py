"""Hypothesis strategies for cron expressions, to property-test any scheduler against cronsec.

Needs the extra ``cronsec[hypothesis]``. ``expressions()`` draws valid expression
texts (every one constructs a ``CronExpr``), ``invalid_expressions()`` texts that
every conforming parser must reject. Test your own scheduler by drawing both and
comparing with ``CronExpr``::

    from datetime import datetime

    from hypothesis import given, strategies as st

    from cronsec import CronError, CronExpr
    from cronsec.strategies import expressions, invalid_expressions

    starts = st.datetimes(datetime(2000, 1, 1), datetime(2100, 1, 1)).map(
        lambda t: t.replace(microsecond=0)
    )

    @given(expressions(fields=(5,), macros=False), starts)
    def test_next_agrees_with_cronsec(text, start):
        assert my_scheduler.next_fire(text, start) == CronExpr(text).next(start)

    @given(invalid_expressions(day_items=False, years=False))
    def test_rejects_what_cronsec_rejects(text):
        with pytest.raises(MySchedulerError):
            my_scheduler.parse(text)

Each keyword narrows what is drawn to what a scheduler supports: five or six
fields, names, macros, wrap-around ranges, the SPEC section 8 day items, a year.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

try:
    from hypothesis import strategies as st
except ImportError as err:  # pragma: no cover - exercised by installing without the extra
    raise ImportError(
        "cronsec.strategies needs hypothesis: pip install 'cronsec[hypothesis]'"
    ) from err

if TYPE_CHECKING:  # only for annotations: DrawFn is newer than the oldest hypothesis 6
    from hypothesis.strategies import DrawFn as Draw

__all__ = ["expressions", "invalid_expressions"]

_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_WEEKDAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
_MACROS = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")


class _Spec(NamedTuple):
    low: int
    high: int
    names: tuple[str, ...]  # names[i] is the name of value low + i


_SECOND = _Spec(0, 59, ())
_HOUR = _Spec(0, 23, ())
_DOM = _Spec(1, 31, ())
_MONTH = _Spec(1, 12, _MONTHS)
_DOW = _Spec(0, 7, _WEEKDAYS)

_DENSE = ("*", "*", "*/n", "*/n", "a-b/n", "a/n", "a-b")
_SPARSE = ("a", "a", "a", "a-b", "a-b/n", "a/n")


class _Options(NamedTuple):
    names: bool
    sparse: bool | None
    wrap: bool


def _word(draw: Draw, spec: _Spec, value: int, options: _Options) -> str:
    """A value as a number, or (sometimes) as its name in random case."""
    index = value - spec.low
    if options.names and index < len(spec.names) and draw(st.booleans()):
        name = spec.names[index]
        flips = draw(st.lists(st.booleans(), min_size=3, max_size=3))
        return "".join(c.lower() if f else c for c, f in zip(name, flips))
    return str(value)


def _item(draw: Draw, spec: _Spec, options: _Options) -> tuple[str, int]:
    """One ordinary item (`*`, `*/n`, `a`, `a-b`, `a-b/n`, `a/n`) and its first value."""
    kinds = {True: _SPARSE, False: _DENSE, None: _DENSE + _SPARSE}[options.sparse]
    kind = draw(st.sampled_from(kinds))
    span = spec.high - spec.low + 1
    step = draw(st.integers(1, span + 2))
    if kind == "*":
        return "*", spec.low
    if kind == "*/n":
        return f"*/{step}", spec.low
    a = draw(st.integers(spec.low, spec.high))
    first = _word(draw, spec, a, options)
    if kind == "a":
        return first, a
    if kind == "a/n":
        return f"{first}/{step}", a
    b = draw(st.integers(spec.low, spec.high) if options.wrap else st.integers(a, spec.high))
    text = f"{first}-{_word(draw, spec, b, options)}"
    return (text if kind == "a-b" else f"{text}/{step}"), a


def _ordinary(draw: Draw, spec: _Spec, options: _Options) -> tuple[str, list[int]]:
    """A list of ordinary items, and the first value of each."""
    count = draw(st.integers(1, 3 if options.sparse is not False else 2))
    items = [_item(draw, spec, options) for _ in range(count)]
    return ",".join(text for text, _ in items), [first for _, first in items]


def _dom(draw: Draw, options: _Options, specials: bool) -> tuple[str, bool]:
    """A day-of-month field and whether it fires in every month (or is unrestricted)."""
    choices = ["*", "ordinary", "ordinary"] + (["?", "special", "mixed"] if specials else [])
    kind = draw(st.sampled_from(choices))
    if kind in ("*", "?"):
        return kind, True
    parts: list[str] = []
    safe = False
    if kind != "special":
        text, firsts = _ordinary(draw, _DOM, options)
        parts.append(text)
        safe = min(firsts) <= 28  # day 1-28 exists in every month
    if kind != "ordinary":
        for _ in range(draw(st.integers(1, 2))):
            item = draw(st.sampled_from(["L", "L-n", "mW", "LW", "L-nW"]))
            n, m = draw(st.integers(0, 30)), draw(st.integers(1, 31))
            text = {"L-n": f"L-{n}", "mW": f"{m}W", "L-nW": f"L-{n}W"}.get(item, item)
            safe = safe or item in ("L", "LW") or (item == "mW" and m <= 28)
            safe = safe or (item in ("L-n", "L-nW") and n <= 27)
            parts.append(text.lower() if options.names and draw(st.booleans()) else text)
    return ",".join(parts), safe


def _dow(draw: Draw, options: _Options, specials: bool) -> tuple[str, bool]:
    """A day-of-week field and whether it fires in every month (only `d#5` may not)."""
    choices = ["*", "ordinary", "ordinary"] + (["?", "special", "mixed"] if specials else [])
    kind = draw(st.sampled_from(choices))
    if kind in ("*", "?"):
        return kind, True
    parts: list[str] = []
    safe = kind != "special"
    if kind != "special":
        parts.append(_ordinary(draw, _DOW, options)[0])
    if kind != "ordinary":
        for _ in range(draw(st.integers(1, 2))):
            day = _word(draw, _DOW, draw(st.integers(0, 7)), options)
            if draw(st.booleans()):
                parts.append(day + draw(st.sampled_from(["L", "l"] if options.names else ["L"])))
                safe = True
            else:
                k = draw(st.integers(1, 5))
                parts.append(f"{day}#{k}")
                safe = safe or k <= 4
    return ",".join(parts), safe


def _year(draw: Draw, options: _Options) -> str:
    """A year field: mostly years near now, any of 1970-9999 sometimes."""
    years = st.one_of(st.integers(2020, 2040), st.integers(1970, 9999))
    items = []
    for _ in range(draw(st.integers(1, 2))):
        kind = draw(st.sampled_from(["*", "*/n", "y", "y", "y-z", "y-z/n", "y/n"]))
        step = draw(st.integers(1, 10))
        y = draw(years)
        z = draw(st.integers(y, min(9999, y + 20)))
        items.append(
            {
                "*": "*",
                "*/n": f"*/{step}",
                "y": str(y),
                "y-z": f"{y}-{z}",
                "y/n": f"{y}/{step}",
            }.get(kind, f"{y}-{z}/{step}")
        )
    return ",".join(items)


def _check_fields(fields: Sequence[int]) -> tuple[int, ...]:
    counts = tuple(sorted(set(fields)))
    if not counts or not set(counts) <= {5, 6, 7}:
        raise ValueError(f"fields must be a non-empty selection of 5, 6 and 7, not {fields!r}")
    return counts


def expressions(
    *,
    fields: Sequence[int] = (5, 6),
    names: bool = True,
    macros: bool = True,
    sparse: bool | None = None,
    day_items: bool = False,
    years: bool = False,
    wrap: bool = True,
    whitespace: bool = False,
) -> st.SearchStrategy[str]:
    """Valid cron expression texts (SPEC sections 1 and 8); every one constructs a CronExpr.

    ``fields``: which field counts to draw, from 5 (no second), 6 and 7 (with a year).
    ``names``: month and weekday names (``JAN``, ``mon``) beside numbers.
    ``macros``: ``@daily`` and friends now and then.
    ``sparse``: True for crontab-like fields (single values, short lists, a few fire
    times a day), False for dense ones (``*`` and steps), None for both.
    ``day_items``: ``?``, ``L``, ``L-n``, ``mW``, ``LW``, ``L-nW``, ``dL``, ``d#k``.
    ``years``: also seven-field expressions with a year (same as 7 in ``fields``).
    ``wrap``: wrap-around ranges such as ``22-2`` and ``FRI-MON``.
    ``whitespace``: tabs, runs of spaces, leading and trailing blanks between fields.
    """
    counts = _check_fields(tuple(fields) + ((7,) if years else ()))
    options = _Options(names, sparse, wrap)

    @st.composite
    def build(draw: Draw) -> str:
        if macros and draw(st.integers(0, 9)) == 0:
            return draw(st.sampled_from(_MACROS))
        count = draw(st.sampled_from(counts))
        zero = sparse is True or (sparse is None and draw(st.booleans()))
        second = "0" if zero else _ordinary(draw, _SECOND, options)[0]
        dom, dom_safe = _dom(draw, options, day_items)
        dow, dow_safe = _dow(draw, options, day_items)
        month = "*" if draw(st.integers(0, 2)) == 0 else _ordinary(draw, _MONTH, options)[0]
        if not (dom_safe and dow_safe):
            # A day only some months have (31, 30W, MON#5) might never fire in the drawn
            # months; every month includes January, and every weekday has a fifth
            # occurrence in some month of every year, so `*` always fires.
            month = "*"
        parts = [
            second,
            _ordinary(draw, _SECOND, options)[0],
            _ordinary(draw, _HOUR, options)[0],
            dom,
            month,
            dow,
        ]
        if count == 5:
            parts = parts[1:]
        elif count == 7:
            parts.append(_year(draw, options))
        if not whitespace:
            return " ".join(parts)
        blanks = st.sampled_from([" ", "  ", "\t", " \t "])
        text = "".join(draw(blanks) + part for part in parts)
        return text + draw(st.sampled_from(["", " ", "\t"]))

    return build()


# -- invalid texts -------------------------------------------------------------------

_GARBAGE = ("1-", "-1", "*/0", "1,,2", ",1", "1,", "*/", "**", "1--2", "x", "1.5", "5/0", "1-2/0")
_OUT_OF_RANGE = {0: ("60", "99", "0-60"), 1: ("60", "5-60"), 2: ("24", "0-24"),
                 3: ("0", "32", "0-5"), 4: ("0", "13", "1-13"), 5: ("8", "0-8")}  # fmt: skip
_WRONG_NAMES = {0: ("JAN", "MON"), 1: ("FOO",), 2: ("MON",), 3: ("JAN", "MON"),
                4: ("MON", "JANUARY", "FOO"), 5: ("JAN", "MONDAY", "FOO")}  # fmt: skip
_DAY_MISUSE = {0: ("L", "?", "5W", "1#1"), 1: ("L", "?"), 2: ("LW", "?", "1#2"),
               3: ("L-31", "0W", "32W", "W", "W15", "?,1", "?/2", "L/2", "1-L", "15W/2",
                   "1-15W", "1#2", "5L", "L-", "LW/2"),
               4: ("L", "?", "2W", "1#1"),
               5: ("L", "L5", "1#0", "1#6", "8L", "?,1", "5L/2", "1-5#2", "*#2", "LW", "15W",
                   "#2", "5#")}  # fmt: skip
_YEARS = ("1969", "10000", "2030-2026", "JAN", "?", "L", "*/0", "2026-", "0")
_NEVER = (
    "0 0 0 30 2 *", "0 0 0 31 2,4 *", "0 0 0 31 4,6,9,11 *", "0 0 0 30,31 feb *",
    "0 0 0 30W 2 *", "0 0 0 L-29 2 *", "0 0 0 31W 4,6,9,11 *", "0 0 0 29 2 * 2025",
    "0 0 0 * 2 MON#5 2026-2043", "0 0 30 2 *", "0 0 0 29-31 2 * 2100",
)  # fmt: skip
_SHAPES = ("@often", "@every", "@daily 5", "@", "", "   ", "*", "* *", "* * *", "* * * *",
           "0 0 0 * * * * *", "0 0 0 * * * 2026 5", "0\v0 * * *")  # fmt: skip


def invalid_expressions(
    *, day_items: bool = True, years: bool = True, never_firing: bool = True
) -> st.SearchStrategy[str]:
    """Texts that are not valid expressions: each must raise ``CronError``.

    A valid six-field expression with one field replaced by a bad token
    (garbage, out of range, a name from another field, a misused ``L``/``W``/``#``
    or ``?`` when ``day_items``), a wrong number of fields or an unknown macro,
    a bad year when ``years``, and expressions that can never fire (``0 0 0 30 2 *``)
    when ``never_firing``.
    """
    base = expressions(fields=(6,), macros=False, names=False, sparse=True)

    @st.composite
    def replaced(draw: Draw) -> str:
        parts = draw(base).split(" ")
        index = draw(st.integers(0, 5))
        pools = [_GARBAGE, _OUT_OF_RANGE[index], _WRONG_NAMES[index]]
        if day_items:
            pools.append(_DAY_MISUSE[index])
        parts[index] = draw(st.sampled_from(draw(st.sampled_from(pools))))
        return " ".join(parts)

    @st.composite
    def bad_year(draw: Draw) -> str:
        return f"{draw(base)} {draw(st.sampled_from(_YEARS))}"

    choices = [replaced(), st.sampled_from(_SHAPES)]
    if years:
        choices.append(bad_year())
    if never_firing:
        choices.append(st.sampled_from(_NEVER))
    return st.one_of(choices)
