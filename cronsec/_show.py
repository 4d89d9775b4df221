"""``cronsec show``: a month (or a year) of calendar with the days that fire, and a day's strip.

Counts come from arithmetic where the clock runs evenly (a firing day has
|seconds| x |minutes| x |hours| fire times) and from the engine itself for the
hours around a UTC-offset change, so the picture shows what ``next`` does
without walking every second of a month.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone, tzinfo

from ._expr import CronExpr

WEEK_HEADER = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")  # Monday first, as ISO 8601 and `cal -m`
_GREEN, _RESET = "\033[1;32m", "\033[0m"
_ONE_SECOND = timedelta(seconds=1)


class Counter:
    """Fire times per wall-clock hour of a date, for one expression (in its zone, if any)."""

    def __init__(self, expr: CronExpr, zone: tzinfo | None) -> None:
        self.expr, self.zone = expr, zone
        self.naive = CronExpr(expr.text)  # day matching reads the wall date, zone or not
        fields = expr.fields
        self.hours = frozenset(fields.hours)
        self.per_hour = len(fields.seconds) * len(fields.minutes)
        self.first_time = (fields.hours[0], fields.minutes[0], fields.seconds[0])

    def fires_on(self, day: date) -> bool:
        """Whether the naive expression fires on ``day`` (its first time of day matches)."""
        return self.naive.match(datetime(day.year, day.month, day.day, *self.first_time))

    def hours_of(self, day: date) -> list[int]:
        """How many fire times fall in each of the 24 wall-clock hours of ``day``."""
        even = [self.per_hour if h in self.hours else 0 for h in range(24)]
        if not self.fires_on(day):
            even = [0] * 24
        if self.zone is None:
            return even
        try:
            irregular = [not self._regular(day, h) for h in range(-1, 24)]
            if not any(irregular):
                return even
            counts = list(even)
            for h in range(24):
                # An hour after an offset change may hold the fire of a skipped time (SPEC 4).
                if irregular[h] or irregular[h + 1]:
                    counts[h] = self._count_hour(day, h)
        except OverflowError:  # the first or last day of the datetime range: count evenly
            return even
        return counts

    def _instants(self, day: date, h: int, m: int, s: int) -> list[datetime]:
        """The instants (UTC) wall time ``day`` h:m:s can mean, reading it with fold 0 and 1."""
        wall = datetime(day.year, day.month, day.day) + timedelta(hours=h, minutes=m, seconds=s)
        return [
            wall.replace(tzinfo=self.zone, fold=fold).astimezone(timezone.utc) for fold in (0, 1)
        ]

    def _regular(self, day: date, h: int) -> bool:
        """Whether wall hour ``h`` of ``day`` (-1: the day before's 23) keeps one UTC offset."""
        if h < 0:
            if day == date.min:
                return True
            day, h = day - timedelta(days=1), 23
        zone = self.zone
        offsets = set()
        for m, s in ((0, 0), (59, 59)):
            wall = datetime(day.year, day.month, day.day, h, m, s)
            for fold in (0, 1):
                offsets.add(wall.replace(tzinfo=zone, fold=fold).utcoffset())
        return len(offsets) == 1

    def _count_hour(self, day: date, h: int) -> int:
        """Count the engine's fire times whose wall clock reads ``day``, hour ``h``."""
        start = min(self._instants(day, h, 0, 0))
        end = max(self._instants(day, h + 1, 0, 0))
        count = 0
        for fire in _at_or_after(self.expr, start):
            if fire.astimezone(timezone.utc) >= end:
                break
            if fire.date() == day and fire.hour == h:
                count += 1
        return count

    def day_fires(self, day: date, limit: int) -> tuple[list[datetime], datetime | None]:
        """The first ``limit`` fire times on ``day`` (wall date) and the last one."""
        try:
            if self.zone is None:
                start = datetime(day.year, day.month, day.day)
                end = start + timedelta(days=1) if day < date.max else datetime.max
            else:
                start = min(self._instants(day, 0, 0, 0))
                end = max(self._instants(day, 24, 0, 0))
        except OverflowError:  # a zone's day at the very end of the datetime range
            return [], None
        found: list[datetime] = []
        last: datetime | None = None
        for fire in _at_or_after(self.expr, start):
            if fire.date() > day:
                break
            if fire.date() == day:
                found.append(fire)
            if len(found) == limit:
                break
        try:
            last = self.expr.prev(end)
            while last.date() > day:
                last = self.expr.prev(last)
        except OverflowError:
            last = None
        if last is not None and last.date() != day:
            last = None
        return found, last


def _at_or_after(expr: CronExpr, start: datetime) -> Iterator[datetime]:
    """Fire times at or after ``start``, also when ``start`` is the first of the range."""
    try:
        before = start - _ONE_SECOND
    except OverflowError:
        if expr.match(start):
            yield start
        yield from expr.iter(start)
        return
    yield from expr.iter(before)


def _count_text(n: int) -> str:
    return str(n) if n else ""


def _paint(text: str, on: bool, color: bool) -> str:
    return f"{_GREEN}{text}{_RESET}" if on and color else text


def month_lines(
    counts: dict[date, int], year: int, month: int, *, color: bool = False
) -> list[str]:
    """A month calendar: each day's number, ``*`` and its count when it fires."""
    # A cell is the day, `*` and the count, and at least one space: 8 wide up to 4-digit
    # counts, wider when a day has more (86400 fire times a day for every second).
    digits = max((len(str(n)) for n in counts.values()), default=1)
    width = max(8, 4 + digits)
    header = "".join(name.ljust(width) for name in WEEK_HEADER).rstrip()
    lines = [f"{calendar.month_name[month]} {year}", header]
    for week in calendar.Calendar(0).monthdayscalendar(year, month):
        cells = []
        for number in week:
            if number == 0:
                cells.append(" " * width)
                continue
            n = counts.get(date(year, month, number), 0)
            cell = f"{number:>2}{'*' if n else ' '}{_count_text(n)}".ljust(width)
            cells.append(_paint(cell[:3], n > 0, color) + cell[3:])
        lines.append("".join(cells).rstrip())
    return lines


def year_lines(counts: dict[date, int], year: int, *, color: bool = False) -> list[str]:
    """Twelve small calendars, three across; ``*`` marks a day that fires."""
    blocks = []
    for month in range(1, 13):
        block = [f"{calendar.month_name[month]:<21}", " ".join(WEEK_HEADER) + " "]
        weeks = calendar.Calendar(0).monthdayscalendar(year, month)
        for week in weeks + [[0] * 7] * (6 - len(weeks)):
            cells = []
            for number in week:
                if number == 0:
                    cells.append("   ")
                    continue
                fires = counts.get(date(year, month, number), 0) > 0
                cells.append(_paint(f"{number:>2}{'*' if fires else ' '}", fires, color))
            block.append("".join(cells))
        blocks.append(block)
    lines = [str(year)]
    for row in range(0, 12, 3):
        lines.append("")
        rows = ["  ".join(parts).rstrip() for parts in zip(*blocks[row : row + 3])]
        while not rows[-1]:  # no month of the three has a sixth week
            rows.pop()
        lines.extend(rows)
    return lines


def strip_lines(hours: list[int], *, color: bool = False) -> list[str]:
    """A 24-hour strip, one column per hour: ``#`` where the hour has fire times."""
    marks = "".join(_paint("#", True, color) if n else "." for n in hours)
    return [" ".join(f"{h:02d}" for h in range(0, 24, 3)), marks]


def _clock(t: datetime) -> str:
    text = t.strftime("%H:%M:%S")
    return text + (f" {t.tzname()}" if t.tzinfo is not None and t.tzname() else "")


def day_summary(counter: Counter, day: date, total: int) -> str:
    """'Friday 2026-11-13: 1 fire, at 12:00:00' (times listed up to six)."""
    head = f"{day.strftime('%A')} {day.isoformat()}: {total} fire{'' if total == 1 else 's'}"
    if total == 0:
        return f"{day.strftime('%A')} {day.isoformat()}: no fire times"
    found, last = counter.day_fires(day, 6)
    if total <= 6 and len(found) == total:
        times = [_clock(t) for t in found]
        return f"{head}, at " + (
            ", ".join(times[:-1]) + " and " + times[-1] if total > 1 else times[0]
        )
    if found and last is not None:
        return f"{head}, from {_clock(found[0])} through {_clock(last)}"
    return head


def render(
    expr: CronExpr,
    zone: tzinfo | None,
    first: date,
    last: date,
    *,
    whole_year: bool,
    sentence: str,
    color: bool = False,
    strip_day: date | None = None,
) -> list[str]:
    """The whole picture for the days ``first``..``last`` (one month or one year).

    The strip shows ``strip_day`` (one of those days), else the first day that fires.
    """
    counter = Counter(expr, zone)
    per_day: dict[date, list[int]] = {}
    for offset in range((last - first).days + 1):
        day = first + timedelta(days=offset)
        hours = counter.hours_of(day)
        if any(hours):
            per_day[day] = hours
    counts = {d: sum(h) for d, h in per_day.items()}
    head = [
        expr.text.strip() + (f"  ({_zone_name(zone)})" if zone is not None else ""),
        sentence,
        "",
    ]
    if whole_year:
        body = year_lines(counts, first.year, color=color)
        period = str(first.year)
    else:
        body = month_lines(counts, first.year, first.month, color=color)
        period = f"{calendar.month_name[first.month]} {first.year}"
    lines = head + body + [""]
    if not counts:
        lines.append(f"No fire times in {period}.")
        lines.append(_next_after(expr, zone, last))
    else:
        total = sum(counts.values())
        days = len(counts)
        lines.append(
            f"{days} day{'' if days == 1 else 's'} with fire times in {period}, "
            f"{total} fire time{'' if total == 1 else 's'} in all."
        )
    shown = strip_day if strip_day is not None else min(per_day, default=None)
    if shown is not None:
        hours = per_day.get(shown, [0] * 24)
        lines.append("")
        lines.append(day_summary(counter, shown, sum(hours)))
        lines.extend(strip_lines(hours, color=color))
    return lines


def _zone_name(zone: tzinfo) -> str:
    return str(getattr(zone, "key", None) or zone)


def _next_after(expr: CronExpr, zone: tzinfo | None, last: date) -> str:
    start = datetime(last.year, last.month, last.day, 23, 59, 59)
    if zone is not None:
        start = start.replace(tzinfo=zone, fold=1)
    try:
        return f"Next fire time: {expr.next(start).isoformat()}"
    except OverflowError:
        return "It never fires after that."
