"""Construction against a reference: the parser and day tables as they were before
field bodies were memoised (copied here unchanged, so they cannot drift with the
engine). Over generated texts, valid and damaged, CronExpr must give the same
meaning and every CronError the same field, token, position and reason.
"""

from __future__ import annotations

import random
import re
import sys
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Union

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cronsec import CronError, CronExpr, _parse
from cronsec._search import NONE, tables
from cronsec.strategies import invalid_expressions

try:
    from strategies_local import expressions
except ImportError:  # tests/ imported as a package
    from tests.strategies_local import expressions

# ---------------------------------------------------------------------------
# the reference: cronsec/_parse.py and cronsec/_days.py before the fast paths


MAX_LENGTH = 1024  # longer text is refused before any parsing work

MONTHS = {
    n: i
    for i, n in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1
    )
}
WEEKDAYS = {n: i for i, n in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])}

MACROS = {
    "@yearly": "0 0 0 1 1 *",
    "@annually": "0 0 0 1 1 *",
    "@monthly": "0 0 0 1 * *",
    "@weekly": "0 0 0 * * 0",
    "@daily": "0 0 0 * * *",
    "@midnight": "0 0 0 * * *",
    "@hourly": "0 0 * * * *",
}

# Day items beyond plain values: ("L", n) is L-n, ("W", m) is mW, ("LW", n) is L-nW;
# ("L", d) in day-of-week is dL, ("#", d, k) is d#k.
DayItem = Union[tuple[str, int], tuple[str, int, int]]


@dataclass(frozen=True)
class FieldSpec:
    """A field's name, bounds and value names."""

    name: str
    low: int
    high: int
    names: dict[str, int] | None = None


SECOND = FieldSpec("second", 0, 59)
MINUTE = FieldSpec("minute", 0, 59)
HOUR = FieldSpec("hour", 0, 23)
DOM = FieldSpec("day-of-month", 1, 31)
MONTH = FieldSpec("month", 1, 12, MONTHS)
DOW = FieldSpec("day-of-week", 0, 7, WEEKDAYS)
YEAR = FieldSpec("year", 1970, 9999)
SPECS = (SECOND, MINUTE, HOUR, DOM, MONTH, DOW, YEAR)


@dataclass(frozen=True)
class Fields:
    """A parsed expression: the sorted values of each field, before any day rule."""

    seconds: tuple[int, ...]
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    days: tuple[int, ...]
    day_items: tuple[DayItem, ...]
    months: tuple[int, ...]
    weekdays: tuple[int, ...]
    weekday_items: tuple[DayItem, ...]
    years: tuple[int, ...] | None  # None: every year
    field_texts: tuple[tuple[str, int], ...]  # (text, position) of each of the 7 fields


_VALUE = r"(?:[0-9]+|[A-Za-z]+)"
_ORDINARY = re.compile(rf"(?:(\*)|({_VALUE})(?:-({_VALUE}))?)(?:/([0-9]+))?", re.ASCII)
_DOM_ITEM = re.compile(r"(L)(?:-([0-9]+))?(W)?|([0-9]+)W", re.ASCII | re.IGNORECASE)
_DOW_ITEM = re.compile(rf"({_VALUE}?)(?:(L)|#([0-9]+))", re.ASCII | re.IGNORECASE)
_FIELD = re.compile(r"[^ \t]+")


class _Field:
    """One field's text being parsed; raises CronError pointing into the whole text."""

    def __init__(self, text: str, spec: FieldSpec, body: str, start: int) -> None:
        self.text, self.spec, self.body, self.start = text, spec, body, start

    def fail(self, message: str, token: str, position: int) -> CronError:
        return CronError(
            message, text=self.text, field=self.spec.name, token=token, position=position
        )

    def items(self) -> list[tuple[str, int]]:
        """Split on commas; an empty item is an error pointing at its comma."""
        parts, pos = [], self.start
        for piece in self.body.split(","):
            parts.append((piece, pos))
            pos += len(piece) + 1
        for i, (piece, pos) in enumerate(parts):
            if not piece:
                comma = pos if i < len(parts) - 1 else pos - 1
                raise self.fail("empty item in list", ",", comma)
        return parts

    def value(self, token: str, position: int) -> int:
        """A number or a name, checked against the field's range."""
        spec = self.spec
        if token.isdigit():
            number = int(token) if len(token) <= 6 else spec.high + 1
            if not spec.low <= number <= spec.high:
                raise self.fail(
                    f"value {token} is out of range {spec.low}-{spec.high}", token, position
                )
            return number
        if spec.names is None:
            if token.upper() in ("L", "W", "LW"):
                raise self.fail(f"{token} is only allowed in the day fields", token, position)
            raise self.fail(
                f"{token!r} is not a number (this field takes no names)", token, position
            )
        found = spec.names.get(token.lower())
        if found is None:
            known = "-".join(n.upper() for n in (next(iter(spec.names)), list(spec.names)[-1]))
            raise self.fail(f"unknown name {token!r} (names are {known})", token, position)
        return found

    def step(self, token: str, position: int) -> int:
        if len(token) > 100:
            raise self.fail(f"step {token[:12]}... is too large", token, position)
        number = int(token)
        if number < 1:
            raise self.fail("step must be 1 or more", token, position)
        return number

    def ordinary(self, item: str, pos: int, match: re.Match[str]) -> list[int]:
        """Expand `*`, `a`, `a-b` (wrapping when a > b) and their `/n` steps."""
        spec = self.spec
        step = self.step(match.group(4), pos + match.start(4)) if match.group(4) else 1
        if match.group(1):
            first, last = spec.low, (6 if spec is DOW else spec.high)
            values = list(range(first, last + 1))
        else:
            first = self.value(match.group(2), pos + match.start(2))
            if match.group(3) is None and match.group(4) is None:
                last = first
            elif match.group(3) is None:  # a/n runs to the end of the field (Saturday)
                first, last = (first % 7, 6) if spec is DOW else (first, spec.high)
            else:
                last = self.value(match.group(3), pos + match.start(3))
            values = self._span(item, pos, first, last)
        return values[::step]

    def _span(self, item: str, pos: int, first: int, last: int) -> list[int]:
        spec = self.spec
        if spec is DOW:
            # 7 is Sunday: a range starting at 7 starts at 0, one ending at 7 ends on Sunday.
            if first == 7:
                first = 0 if last != 7 else 7
            if first <= last:
                return [d % 7 for d in range(first, last + 1)]
            return list(range(first, 7)) + list(range(0, last + 1))
        if first <= last:
            return list(range(first, last + 1))
        if spec is YEAR:
            raise self.fail("a year range must run forwards (years do not wrap)", item, pos)
        return list(range(first, spec.high + 1)) + list(range(spec.low, last + 1))


def _day_of_month_item(f: _Field, item: str, pos: int) -> DayItem | None:
    match = _DOM_ITEM.fullmatch(item)
    if match is None:
        if re.fullmatch(r"[wW][0-9]+", item, re.ASCII):
            raise f.fail(f"write {item[1:]}W, not {item}", item, pos)
        return None
    if match.group(4) is not None:  # mW
        day = int(match.group(4)) if len(match.group(4)) <= 3 else 0
        if not 1 <= day <= 31:
            raise f.fail("W needs a day 1-31 before it (15W)", item, pos)
        return ("W", day)
    back = match.group(2)
    offset = int(back) if back is not None and len(back) <= 3 else (0 if back is None else 99)
    if offset > 30:
        raise f.fail("L-n needs n from 0 to 30", item, pos)
    return ("LW" if match.group(3) else "L", offset)


def _day_of_week_item(f: _Field, item: str, pos: int) -> DayItem | None:
    if item.upper() == "L":
        raise f.fail(
            "L alone is not a weekday: write dL for the last weekday d (5L, FRIL)", item, pos
        )
    if re.fullmatch(r"[lL](?:[0-9]+|[A-Za-z]{3})", item, re.ASCII):
        raise f.fail(f"write {item[1:]}L, not {item}", item, pos)
    match = _DOW_ITEM.fullmatch(item)
    if match is None or not match.group(1):
        return None
    token = match.group(1)
    if not token.isdigit() and token.lower() not in WEEKDAYS:
        return None
    if token.isdigit() and (len(token) > 3 or int(token) > 7):
        raise f.fail("dL and d#k need a weekday 0-7 or a name", item, pos)
    day = f.value(token, pos) % 7
    if match.group(2):
        return ("L", day)
    nth = match.group(3)
    if len(nth) > 2 or not 1 <= int(nth) <= 5:
        raise f.fail("d#k needs k from 1 to 5", item, pos)
    return ("#", day, int(nth))


def _parse_field(f: _Field) -> tuple[list[int], list[DayItem]]:
    """All plain values and special day items of one field."""
    if f.body == "*":  # the most common field of all
        return list(range(f.spec.low, 7 if f.spec is DOW else f.spec.high + 1)), []
    values: list[int] = []
    specials: list[DayItem] = []
    items = f.items()
    for item, pos in items:
        if item == "?" and f.spec in (DOM, DOW):
            if len(items) > 1:
                raise f.fail("? stands alone in its field", "?", pos)
            return list(range(f.spec.low, 7 if f.spec is DOW else f.spec.high + 1)), []
        special: DayItem | None = None
        if _looks_special(f.spec, item):
            special = (_day_of_month_item if f.spec is DOM else _day_of_week_item)(f, item, pos)
            if special is None:
                raise f.fail(_malformed_reason(f.spec, item), item, pos)
            specials.append(special)
            continue
        match = _ORDINARY.fullmatch(item)
        if match is None:
            raise f.fail(_malformed_reason(f.spec, item), item, pos)
        values.extend(f.ordinary(item, pos, match))
    return values, specials


def _looks_special(spec: FieldSpec, item: str) -> bool:
    """Whether an item uses the day letters (L, W, #) and so must be a day item."""
    if spec is DOM:
        return any(c in "LWlw" for c in item)
    if spec is DOW:
        return "#" in item or item[:1] in ("L", "l") or item[-1:] in ("L", "l")
    return False


def _malformed_reason(spec: FieldSpec, item: str) -> str:
    if any(not (c.isascii() and c.isprintable()) for c in item):
        return f"{item!r} has a character that cron does not use"
    if "#" in item and spec is not DOW:
        return "# is only allowed in day-of-week"
    return f"{item!r} is not a value, a range a-b, a step */n or a-b/n, or a list of them"


def _whole(text: str, message: str, token: str, position: int) -> CronError:
    """An error about the whole expression rather than one field."""
    return CronError(message, text=text, field=None, token=token, position=position)


def parse(text: str) -> Fields:
    """Parse expression text into field sets; every mistake is a CronError."""
    if not isinstance(text, str):
        raise TypeError(f"a cron expression must be a str, not {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise _whole(
            text,
            f"expression is too long ({len(text)} characters, at most {MAX_LENGTH})",
            text[MAX_LENGTH],
            MAX_LENGTH,
        )
    begin = len(text) - len(text.lstrip())
    end = len(text.rstrip())
    found = [(m.group(), m.start() + begin) for m in _FIELD.finditer(text[begin:end])]
    if not found:
        raise _whole(text, "expression is empty", "", 0)
    if found[0][0].startswith("@"):
        word, pos = found[0]
        if len(found) > 1:
            raise _whole(
                text,
                f"a macro stands alone; {found[1][0]!r} follows {word!r}",
                found[1][0],
                found[1][1],
            )
        expansion = MACROS.get(word.lower())
        if expansion is None:
            names = ", ".join(MACROS)
            raise _whole(
                text,
                f"unknown macro {word!r} (macros are {names})",
                word,
                pos,
            )
        return parse(expansion)
    if len(found) > 7:
        raise _whole(
            text,
            f"too many fields ({len(found)}; 5, 6 or 7 with a year)",
            found[7][0],
            found[7][1],
        )
    if len(found) < 5:
        raise _whole(
            text,
            f"too few fields ({len(found)}; 6 are: second minute hour day-of-month month "
            "day-of-week, or 5 without the second)",
            text[begin:end],
            begin,
        )
    if len(found) == 5:
        found.insert(0, ("0", -1))
    if len(found) == 6:
        found.append(("*", -1))
    results = []
    for spec, (body, pos) in zip(SPECS, found[:6]):
        results.append(_parse_field(_Field(text, spec, body, pos)))
    years: list[int] = []
    if found[6][0] != "*":  # the common case: no year field, and no 8030-value set to build
        years = sorted(set(_parse_field(_Field(text, YEAR, *found[6]))[0]))
    return Fields(
        seconds=tuple(sorted(set(results[0][0]))),
        minutes=tuple(sorted(set(results[1][0]))),
        hours=tuple(sorted(set(results[2][0]))),
        days=tuple(sorted(set(results[3][0]))),
        day_items=tuple(sorted(set(results[3][1]))),
        months=tuple(sorted(set(results[4][0]))),
        weekdays=tuple(sorted(set(results[5][0]))),
        weekday_items=tuple(sorted(set(results[5][1]))),
        years=None if len(years) in (0, YEAR.high - YEAR.low + 1) else tuple(years),
        field_texts=tuple(found),
    )


_DAYS_IN_MONTH = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_SAKAMOTO = (0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4)


def is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def month_length(year: int, month: int) -> int:
    if month == 2 and is_leap(year):
        return 29
    return _DAYS_IN_MONTH[month]


def first_weekday(year: int, month: int) -> int:
    """Weekday of the 1st of the month, Sunday 0 (Sakamoto's method)."""
    if month < 3:
        year -= 1
    return (year + year // 4 - year // 100 + year // 400 + _SAKAMOTO[month - 1] + 1) % 7


def table_index(year: int, month: int) -> int:
    return (month_length(year, month) - 28) * 7 + first_weekday(year, month)


def _nearest_weekday(day: int, length: int, first: int) -> int:
    """The Monday-Friday nearest ``day`` without leaving the month (SPEC 8.2 `W`)."""
    weekday = (first + day - 1) % 7
    if weekday == 6:  # Saturday: the Friday before, but the 1st moves on to Monday the 3rd
        return 3 if day == 1 else day - 1
    if weekday == 0:  # Sunday: the Monday after, but the last day moves back to Friday
        return day - 2 if day == length else day + 1
    return day


def _day_of_month_mask(
    days: Iterable[int], items: Iterable[DayItem], length: int, first: int
) -> int:
    mask = 0
    for day in days:
        if day <= length:
            mask |= 1 << day
    for item in items:
        kind, number = item[0], item[1]
        if kind == "W":
            if number <= length:
                mask |= 1 << _nearest_weekday(number, length, first)
        elif length - number >= 1:  # L-n and L-nW: none where the month is too short
            day = length - number
            mask |= 1 << (day if kind == "L" else _nearest_weekday(day, length, first))
    return mask


def _day_of_week_mask(
    weekdays: Iterable[int], items: Iterable[DayItem], length: int, first: int
) -> int:
    mask = 0
    for weekday in weekdays:
        for day in range(1 + (weekday - first) % 7, length + 1, 7):
            mask |= 1 << day
    for item in items:
        day = 1 + (item[1] - first) % 7  # the first such weekday in the month
        if item[0] == "L":
            day += 7 * ((length - day) // 7)
        else:
            day += 7 * (item[2] - 1)  # type: ignore[misc]
        if day <= length:
            mask |= 1 << day
    return mask


def _full(length: int) -> int:
    return (1 << (length + 1)) - 2


_COMBOS = tuple((length, first) for length in range(28, 32) for first in range(7))


def _bits(values: Iterable[int]) -> int:
    mask = 0
    for value in values:
        mask |= 1 << value
    return mask


def _members(mask: int) -> tuple[int, ...]:
    return tuple(i for i in range(mask.bit_length()) if mask >> i & 1)


def _build(
    days: int, day_items: tuple[DayItem, ...], weekdays: int, weekday_items: tuple[DayItem, ...]
) -> list[int]:
    plain_days, plain_weekdays = _members(days), _members(weekdays)
    dom = [_day_of_month_mask(plain_days, day_items, n, w) for n, w in _COMBOS]
    dow = [_day_of_week_mask(plain_weekdays, weekday_items, n, w) for n, w in _COMBOS]
    fulls = [_full(n) for n, _ in _COMBOS]
    dom_restricted = dom != fulls
    dow_restricted = dow != fulls
    if dom_restricted and dow_restricted:
        masks = [a | b for a, b in zip(dom, dow)]
    else:
        masks = dow if dow_restricted else dom
    return masks


def day_table(fields: Fields) -> list[int]:
    """The 28 masks of fire days for an expression's two day fields, OR-ed per SPEC 2."""
    return _build(
        _bits(fields.days), fields.day_items, _bits(fields.weekdays), fields.weekday_items
    )


def is_restricted(fields: Fields, which: str) -> bool:
    """Whether day-of-month ("dom") or day-of-week ("dow") does not match every day."""
    if which == "dom":
        masks = [_day_of_month_mask(fields.days, fields.day_items, n, w) for n, w in _COMBOS]
    else:
        masks = [_day_of_week_mask(fields.weekdays, fields.weekday_items, n, w) for n, w in _COMBOS]
    return masks != [_full(n) for n, _ in _COMBOS]


def _year_kinds(years: tuple[int, ...] | None) -> Iterable[int]:
    """The distinct (leap, weekday of Jan 1) kinds among ``years``: at most 14."""
    if years is None:
        return range(14)  # every kind occurs within years 1..9999
    kinds = set()
    for year in years:
        kinds.add(is_leap(year) * 7 + first_weekday(year, 1))
        if len(kinds) == 14:
            break
    return kinds


def _kind_year(kind: int) -> int:
    """A year of the given (leap, weekday of Jan 1) kind, to read month shapes from."""
    leap, weekday = divmod(kind, 7)
    year = 2000 if leap else 2001
    while is_leap(year) != bool(leap) or first_weekday(year, 1) != weekday:
        year += 4 if leap else 1
    return year


def ever_fires(table: list[int], months: tuple[int, ...], years: tuple[int, ...] | None) -> bool:
    """Whether some allowed month of some allowed year has a fire day."""
    for kind in _year_kinds(years):
        year = _kind_year(kind)
        if any(table[table_index(year, month)] for month in months):
            return True
    return False


# ---------------------------------------------------------------------------
# the properties


def _bits(values: Iterable[int]) -> int:
    mask = 0
    for value in values:
        mask |= 1 << value
    return mask


def reference(text: str) -> tuple[object, ...] | CronError:
    """The meaning CronExpr should have (masks, day table, years), or its CronError."""
    try:
        fields = parse(text)
        table = day_table(fields)
        if not ever_fires(table, fields.months, fields.years):
            which = 3 if is_restricted(fields, "dom") else 5
            token, position = fields.field_texts[which]
            raise CronError(
                "this expression can never fire (no allowed month"
                + (" of an allowed year" if fields.years else "")
                + " has such a day)",
                text=text,
                field="day-of-month" if which == 3 else "day-of-week",
                token=token,
                position=max(position, 0),
            )
    except CronError as exc:
        return exc
    masks = (_bits(fields.seconds), _bits(fields.minutes), _bits(fields.hours))
    return (*masks, _bits(fields.months), tuple(table), fields.years)


def engine(text: str) -> tuple[object, ...] | CronError:
    try:
        e = CronExpr(text)
    except CronError as exc:
        return exc
    sec, minute, hour, month, table, runs = e._meaning[:6]
    years = None if runs is None else tuple(y for run in runs for y in run)
    days = memoryview(table).cast("B").cast("I" if len(table) == 112 else "L").tolist()
    return (sec, minute, hour, month, tuple(days), years)


def same(text: str) -> None:
    want, got = reference(text), engine(text)
    if isinstance(want, CronError):
        assert isinstance(got, CronError), (text, got)
        assert (got.field, got.token, got.position, got.reason) == (
            want.field,
            want.token,
            want.position,
            want.reason,
        ), text
        assert str(got) == str(want)
    else:
        assert not isinstance(got, CronError), (text, got)
        assert got == want, text


SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NOISE = " \t,-/*#?LWlw@0123456789JanFRIx\n"


@SETTINGS
@given(expressions(near_year=2026, special=True), st.sampled_from(["", " ", "\t ", "  "]))
def test_valid_texts_mean_what_the_reference_says(text: str, pad: str) -> None:
    same(text)
    same(pad + text.replace(" ", " " + pad) + pad)  # other white space: the same meaning


@SETTINGS
@given(expressions(near_year=2026, special=True), st.data())
def test_damaged_texts_fail_as_the_reference_says(text: str, data: st.DataObject) -> None:
    for _ in range(data.draw(st.integers(1, 3))):
        i = data.draw(st.integers(0, len(text)))
        new = data.draw(st.sampled_from(NOISE))
        cut = data.draw(st.integers(0, 1))
        text = text[:i] + new + text[i + cut :]
    same(text)
    same(text)  # again: now every body it has is remembered


@pytest.mark.parametrize(
    "text",
    [
        "@daily",
        "@hourly",
        "@Yearly",
        "@weekly x",
        "@nope",
        "0 0 0 30 2 *",
        "0 0 0 31W 4,6,9,11 *",
        "0 0 0 29 2 * 2025",
        "0 0 0 * 2 MON#5 2026-2043",
        "0 0 0 * 2 MON#5",
        "* * * * * * * *",
        "* * * *",
        "",
        "   ",
        "0 0 0 1 1 * 2020",
        "0 0 0 1 1 * */1",
        "0 0 0 1 1 * 1970-9999",
        "0 0 0 ? * 5L",
        "0 0 0 *,L * 5",
        "1-60 * * * *",
        "0\n0 * * * *",
        "0 0 * * * \u00a0",
        "x" * 1025,
        # each form the parser knows, and its near misses
        "0 0 9 * jan-jun mon-fri",
        "0 0 9 * JUL-dec Sat,SUN",
        "0 0 22-2 * * fri-mon",
        "0 0 22-6/3 * * FRI-MON/2",
        "0 50-10/7 * * * SAT-TUE/2",
        "0 0 0 * * 7-2",
        "0 0 0 * * 7/2",
        "0 0 0 * * 5-7",
        "0 0 0 * * 1-7/2",
        "0 0 0 * * 7-7",
        "0 0 0 * * 3/2",
        "0 5/20 * * * *",
        "0 0,30 8,12,18 1,15 * *",
        "*/10 */5 */2 */3 */2 *",
        "0 10-50/20 9-17/2 * * *",
        "0 0 0 1-31/99999999999999 * *",
        "0 0 0 */" + "9" * 100 + " * *",
        "0 0 0 */" + "9" * 101 + " * *",
        "0 0 0 L-3 * *",
        "0 0 0 L-30 * *",
        "0 0 0 L-31 * *",
        "0 0 0 15W,LW,L-2W * *",
        "0 0 0 1W,31W * *",
        "0 0 0 W15 * *",
        "0 0 0 * * 5L,MON#1,sun#5",
        "0 0 0 * * L5",
        "0 0 0 * * 8L",
        "0 0 12 ? * MON",
        "0 0 12 ?,1 * MON",
        "@midnight",
        "@annually",
        "0 0 0 1 1 * */4",
        "0 0 0 1 1 * 2027/5",
        "0 0 12 * * MON 2027,2029",
        "0 0 0 1 1 * 2030-2026",
        "0 0 0 1 1 * 2026-",
        "1-2-3 * * * * *",
        "*-5 * * * * *",
        "*/ * * * * *",
        "1/ * * * * *",
        "/5 * * * * *",
        "1/2/3 * * * * *",
        "1,,2 * * * * *",
        "1, * * * * *",
        ",1 * * * * *",
        "\u00b2 * * * * *",
        "0 0 0 * * \u0661",
        "0 0 0 * JANUARY *",
        "0 0 0 * j\u00e1n *",
        "\t 0 0 0 * * * \t",
        "\n0 0 0 * * *",
        "0\v0 * * *",
    ],
)
def test_forms_and_errors_mean_what_the_reference_says(text: str) -> None:
    same(text)
    same(text)


@SETTINGS
@given(invalid_expressions())
def test_invalid_texts_fail_as_the_reference_says(text: str) -> None:
    same(text)
    same(text)


@SETTINGS
@given(st.integers(1, (1 << 60) - 1), st.sampled_from([59, 23, 12]))
def test_lookup_tables_hold_the_next_and_previous_value(mask: int, high: int) -> None:
    mask &= (2 << high) - 1
    if high == 12:
        mask &= ~1  # months start at 1
    assume(mask)
    values = [v for v in range(high + 1) if mask >> v & 1]
    forward, backward = tables(mask, high)
    assert list(forward) == [
        min((v for v in values if v >= i), default=NONE) for i in range(high + 2)
    ]
    assert list(backward) == [
        max((v for v in values if v <= i), default=NONE) for i in range(-1, high + 1)
    ]


def test_threads_evicting_bodies_construct_what_the_reference_says(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Memos that keep evicting while other threads read them give the same results."""
    monkeypatch.setattr(_parse, "_MEMO_SIZE", 8)
    rnd = random.Random(7)
    texts = [
        f"{rnd.randrange(60)} {rnd.randrange(24)} {rnd.randrange(1, 29)}-{rnd.randrange(1, 32)} "
        f"{rnd.choice(['*', '1-6', 'jan,jul'])} {rnd.choice(['*', 'mon-fri', '5L', '1#2'])}"
        for _ in range(400)
    ]
    results: dict[int, list[tuple[object, ...] | CronError]] = {}

    def build(k: int) -> None:
        results[k] = [engine(t) for t in (texts[k::4] + texts[::-1])]

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=build, args=(k,)) for k in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    for k in range(4):
        for text, got in zip(texts[k::4] + texts[::-1], results[k]):
            want = reference(text)
            if isinstance(want, CronError):
                assert isinstance(got, CronError) and str(got) == str(want), text
            else:
                assert got == want, text
