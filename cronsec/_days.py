"""Which days of a month fire: day-of-month OR day-of-week (SPEC 2 and 8.2-8.4).

Every day item depends only on the month's length and the weekday of its 1st,
so a day field is a table of 28 bitmasks (lengths 28-31 by 7 weekdays, bit d
set when day d fires). The search reads one mask per month instead of testing
days one by one. While it is built, a table is one integer with the 28 masks
side by side: plain days fill it by one multiplication, plain weekdays by OR-ing
a pattern per weekday, and the two day fields combine by one OR.
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Iterable
from functools import lru_cache
from itertools import chain
from typing import TYPE_CHECKING

from ._parse import DayItem, Fields

if TYPE_CHECKING:
    from typing_extensions import TypeAlias

    # index (length - 28) * 7 + weekday of the 1st (Sunday 0) -> bitmask of fire days
    DayTable: TypeAlias = "array[int]"
_TYPECODE = "I" if array("I").itemsize >= 4 else "L"  # 32 bits hold a month's day mask

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


def _day_of_month_items(items: Iterable[DayItem], length: int, first: int) -> int:
    """The days that `L`, `L-n`, `mW`, `LW`, `L-nW` pick in one month shape (SPEC 8.2)."""
    mask = 0
    for item in items:
        kind, number = item[0], item[1]
        if kind == "W":
            if number <= length:
                mask |= 1 << _nearest_weekday(number, length, first)
        elif length - number >= 1:  # L-n and L-nW: none where the month is too short
            day = length - number
            mask |= 1 << (day if kind == "L" else _nearest_weekday(day, length, first))
    return mask


def _day_of_week_items(items: Iterable[DayItem], length: int, first: int) -> int:
    """The days that `dL` and `d#k` pick in one month shape (SPEC 8.2)."""
    mask = 0
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
# A whole day field is one integer: the 28 masks side by side, a lane of _LANE bits each
# (the width of an array item, so the integer's bytes are the DayTable's).
_LANE = array(_TYPECODE).itemsize * 8


def _lanes(masks: Iterable[int]) -> int:
    return sum(mask << (_LANE * i) for i, mask in enumerate(masks))


_EVERY_LANE = _lanes([1] * len(_COMBOS))  # times a mask: that mask in every lane
_FULL = _lanes(_full(n) for n, _ in _COMBOS)  # every day of every month shape
# The days that fall on weekday w, in every month shape: a weekday pattern per 1st
_WEEKDAY_LANES = tuple(
    _lanes(sum(1 << d for d in range(1 + (w - first) % 7, 32, 7)) for _, first in _COMBOS) & _FULL
    for w in range(7)
)


def _bits(values: Iterable[int]) -> int:
    mask = 0
    for value in values:
        mask |= 1 << value
    return mask


@lru_cache(maxsize=1024)
def _dom_masks(days: int, items: tuple[DayItem, ...]) -> int:
    """Day-of-month's fire days in each of the 28 month shapes, one lane each (SPEC 8.2)."""
    lanes = days * _EVERY_LANE & _FULL  # plain days: those the month has
    if items:
        lanes |= _lanes(_day_of_month_items(items, n, w) for n, w in _COMBOS)
    return lanes


@lru_cache(maxsize=1024)
def _dow_masks(weekdays: int, items: tuple[DayItem, ...]) -> int:
    """Day-of-week's fire days in each of the 28 month shapes, one lane each (SPEC 8.2)."""
    lanes = 0
    for weekday in range(7):
        if weekdays >> weekday & 1:
            lanes |= _WEEKDAY_LANES[weekday]
    if items:
        lanes |= _lanes(_day_of_week_items(items, n, w) for n, w in _COMBOS)
    return lanes


_TABLE_BYTES = len(_COMBOS) * _LANE // 8
_SWAP = sys.byteorder == "big"


@lru_cache(maxsize=1024)
def day_masks(
    days: int, day_items: tuple[DayItem, ...], weekdays: int, weekday_items: tuple[DayItem, ...]
) -> tuple[DayTable, bytes, bool]:
    """The 28 fire-day masks of the two day fields OR-ed (SPEC 2): a table, and its bytes.

    The third value says whether every month shape has a fire day: then any month
    of any year has one, and ever_fires need not look.
    """
    dom, dow = _dom_masks(days, day_items), _dow_masks(weekdays, weekday_items)
    if dom == _FULL:  # day-of-month unrestricted: day-of-week decides (or neither does)
        lanes = dow
    elif dow == _FULL:
        lanes = dom
    else:
        lanes = dom | dow
    raw = lanes.to_bytes(_TABLE_BYTES, "little")
    table = array(_TYPECODE, raw)
    if _SWAP:
        table.byteswap()
    return table, raw, 0 not in table


def day_table(fields: Fields) -> DayTable:
    """The 28 masks of fire days for an expression's two day fields, OR-ed per SPEC 2."""
    return day_masks(
        _bits(fields.days), fields.day_items, _bits(fields.weekdays), fields.weekday_items
    )[0]


def is_restricted(fields: Fields, which: str) -> bool:
    """Whether day-of-month ("dom") or day-of-week ("dow") does not match every day."""
    if which == "dom":
        return _dom_masks(_bits(fields.days), fields.day_items) != _FULL
    return _dow_masks(_bits(fields.weekdays), fields.weekday_items) != _FULL


def _year_kinds(years: tuple[range, ...] | None) -> Iterable[int]:
    """The distinct (leap, weekday of Jan 1) kinds among ``years``: at most 14."""
    if years is None:
        return range(14)  # every kind occurs within years 1..9999
    kinds = set()
    for year in chain.from_iterable(years):
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


def ever_fires(table: DayTable, months: int, years: tuple[range, ...] | None) -> bool:
    """Whether some allowed month (a bitmask) of some allowed year has a fire day.

    Only needed when some month shape has none (day_masks says which tables those are).
    """
    allowed = [month for month in range(1, 13) if months >> month & 1]
    for kind in _year_kinds(years):
        year = _kind_year(kind)
        if any(table[table_index(year, month)] for month in allowed):
            return True
    return False
