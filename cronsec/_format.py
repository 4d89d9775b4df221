"""Field sets back to text: the shape of a set (runs, steps) and the canonical expression.

``cronsec check`` prints the canonical text and ``describe()`` words the same
shapes, so both read a set the same way: ``*/1`` is ``*``, ``0-23/5`` is ``*/5``,
``22,23,0,1,2`` is the wrapping range ``22-2``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from ._days import is_restricted
from ._parse import DayItem, Fields

Run = tuple[int, int]  # (first, last); last < first when the run wraps past the field's end


class Shape(NamedTuple):
    """How a set of values reads: all of the field, one stepped series, or a list of runs.

    ``kind`` is ``"all"``, ``"step"`` (``first``, ``last`` and ``step`` of the series;
    ``star`` when it is ``*/step``, ``to_end`` when no further value would fit) or
    ``"list"`` (``runs``, each a single value or a range of three or more values).
    """

    kind: str
    first: int = 0
    last: int = 0
    step: int = 1
    star: bool = False
    to_end: bool = False
    runs: tuple[Run, ...] = ()


def shape(values: Sequence[int], low: int, high: int, *, cyclic: bool = True) -> Shape:
    """Read sorted distinct ``values`` of a field ``low..high`` as a shape."""
    if len(values) == high - low + 1:
        return Shape("all")
    if len(values) >= 2:
        step = values[1] - values[0]
        series = step >= 2 and all(b - a == step for a, b in zip(values, values[1:]))
        to_end = values[-1] + step > high
        star = values[0] == low and to_end
        # Two values are a series only as a whole */n (`0,30` minutes is `*/30`;
        # `5,35` and Saturday,Sunday `0,6` stay lists).
        if series and (len(values) >= 3 or (star and 2 * step <= high - low + 1)):
            return Shape("step", values[0], values[-1], step, star, to_end)
    return Shape("list", runs=runs(values, low, high, cyclic=cyclic))


def runs(values: Sequence[int], low: int, high: int, *, cyclic: bool = True) -> tuple[Run, ...]:
    """Consecutive values as runs; pairs stay two singles; a run may wrap when ``cyclic``."""
    groups: list[list[int]] = []
    for value in values:
        if groups and value == groups[-1][1] + 1:
            groups[-1][1] = value
        else:
            groups.append([value, value])
    if cyclic and len(groups) >= 2 and groups[0][0] == low and groups[-1][1] == high:
        size = (groups[0][1] - low + 1) + (high - groups[-1][0] + 1)
        if size >= 3:  # join e.g. 22,23 and 0,1,2 into the wrapping 22-2
            head = groups.pop(0)
            groups[-1][1] = head[1]
    result: list[Run] = []
    for first, last in groups:
        length = last - first + 1 if first <= last else (high - first + 1) + (last - low + 1)
        if length == 2:
            result.extend([(first, first), (last, last)])
        else:
            result.append((first, last))
    return tuple(sorted(result))


def cover(values: Sequence[int], high: int) -> list[tuple[int, int, int]]:
    """Sorted distinct ``values`` as few (first, last, step) series as greedy finds.

    Years need it: ``*/3,*/2`` is thousands of years, which as a plain list would
    outgrow the expression length limit; as series it is ``*/2,1973/3``.
    """
    members = set(values)
    left = set(values)
    items: list[tuple[int, int, int]] = []
    for first in values:
        if first not in left:
            continue
        last = first
        while last + 1 in members:
            last += 1
        best = (sum(1 for v in range(first, last + 1) if v in left), last, 1)
        step = 2
        while (high - first) // step + 1 > best[0]:  # a longer step cannot gain more
            gain, value = 0, first
            while value in members:
                gain += value in left
                value += step
            if gain > best[0] and (value - first) // step >= 3:
                best = (gain, value - step, step)
            step += 1
        _, last, step = best
        left.difference_update(range(first, last + 1, step))
        if step == 1 and last == first + 1:  # a pair reads as two values
            items.extend([(first, first, 1), (last, last, 1)])
        else:
            items.append((first, last, step))
    return sorted(items)


def _series_text(first: int, last: int, step: int, low: int, high: int) -> str:
    if step == 1:
        return str(first) if first == last else f"{first}-{last}"
    if last + step > high:
        return f"*/{step}" if first == low else f"{first}/{step}"
    return f"{first}-{last}/{step}"


def field_text(values: Sequence[int], low: int, high: int, *, cyclic: bool = True) -> str:
    """Canonical text of one field's set: ``*``, ``*/n``, ``a/n``, ``a-b/n`` or a list."""
    found = shape(values, low, high, cyclic=cyclic)
    if found.kind == "all":
        return "*"
    if found.kind == "step":
        if found.star:
            return f"*/{found.step}"
        if found.to_end:
            return f"{found.first}/{found.step}"
        return f"{found.first}-{found.last}/{found.step}"
    return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in found.runs)


def day_item_text(item: DayItem) -> str:
    """The one spelling of a day-of-month item: ``L``, ``L-3``, ``15W``, ``LW``, ``L-2W``."""
    kind, number = item[0], item[1]
    if kind == "W":
        return f"{number}W"
    back = f"-{number}" if number else ""
    return f"L{back}W" if kind == "LW" else f"L{back}"


def weekday_item_text(item: DayItem) -> str:
    """The one spelling of a day-of-week item: ``5L`` or ``5#2``."""
    if item[0] == "L":
        return f"{item[1]}L"
    return f"{item[1]}#{item[2]}"  # type: ignore[misc]


def _join(parts: Sequence[str]) -> str:
    return ",".join(part for part in parts if part)


def canonical(fields: Fields) -> str:
    """The canonical six- (or seven-, with a year) field text of parsed fields.

    Equal sets give equal text: a day field that matches every day is ``*``
    (SPEC 8.4), steps and ranges are recognised, numbers replace names, and
    the year field appears only when it restricts.
    """
    parts = [
        field_text(fields.seconds, 0, 59),
        field_text(fields.minutes, 0, 59),
        field_text(fields.hours, 0, 23),
    ]
    if is_restricted(fields, "dom"):
        days = field_text(fields.days, 1, 31, cyclic=False) if fields.days else ""
        parts.append(_join([days, *map(day_item_text, fields.day_items)]))
    else:
        parts.append("*")
    parts.append(field_text(fields.months, 1, 12))
    if is_restricted(fields, "dow"):
        weekdays = field_text(fields.weekdays, 0, 6) if fields.weekdays else ""
        parts.append(_join([weekdays, *map(weekday_item_text, fields.weekday_items)]))
    else:
        parts.append("*")
    years: tuple[int, ...] | None = fields.years
    if years is not None:
        parts.append(year_text(years))
    return " ".join(parts)


def year_text(years: Sequence[int]) -> str:
    """Canonical text of a year set: a shape when one fits, else greedy series."""
    found = shape(years, 1970, 9999, cyclic=False)
    if found.kind != "list" or len(found.runs) <= 4:
        return field_text(years, 1970, 9999, cyclic=False)
    return ",".join(_series_text(*item, 1970, 9999) for item in cover(years, 9999))
