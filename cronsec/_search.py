"""The naive (wall-clock) search: next and previous fire times (SPEC 3 and 6).

It works on plain integers. Each time field has two lookup tables: the first
allowed value at or after each index, and the last at or before it; 255 means
"none, carry to the next unit". A search asks two questions: is there a later
(earlier) time of day on the start's own day, if that day fires; else, which is
the next (previous) day that fires, whose first (last) time of day is the
answer. Months are skipped whole when the month or year is not allowed or the
month has no fire day (one bitmask from the day table), days by bit
arithmetic, and a single ``datetime`` is built at the end.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from functools import lru_cache
from itertools import chain, product, starmap
from typing import TYPE_CHECKING

from ._days import table_index

if TYPE_CHECKING:
    from ._days import DayTable

NONE = 255
_SECONDS = tuple(timedelta(seconds=i) for i in range(61))


_IDENTITY = bytes(range(256))
_REPEATS = {value: bytes([value]) * 64 for value in (*range(60), NONE)}  # a value, 64 times


def _runs(mask: int) -> Iterator[tuple[int, int]]:
    """The runs of consecutive values in a bitmask, ascending: (first, last) of each."""
    while mask:
        low = mask & -mask
        above = (mask + low) & ~mask  # the lowest clear bit above the run
        yield low.bit_length() - 1, above.bit_length() - 2
        mask &= -above


@lru_cache(maxsize=1024)  # most fields are `*` or a single value: share their tables
def tables(mask: int, high: int) -> tuple[bytes, bytes]:
    """A field's two lookup tables over 0..high, joined from a few pieces per run of values.

    Forward, entry i (0..high+1): the smallest value >= i in ``mask``, or NONE.
    Backward, entry i+1 (i from -1 to high): the largest value <= i, or NONE.
    """
    forward: list[bytes] = []
    backward = [_REPEATS[NONE][:1]]  # entry 0: nothing is <= -1
    done, last = 0, NONE  # entries of i < done are placed; the largest value so far
    for first, final in _runs(mask):
        gap, run = first - done, _IDENTITY[first : final + 1]
        forward += (_REPEATS[first][:gap], run)
        backward += (_REPEATS[last][:gap], run)
        done, last = final + 1, final
    forward.append(_REPEATS[NONE][: high + 2 - done])
    backward.append(_REPEATS[last][: high + 1 - done])
    return b"".join(forward), b"".join(backward)


@lru_cache(maxsize=256)
def allowed(forward: bytes) -> tuple[int, ...]:
    """The values a field allows, ascending, read off its forward table."""
    return tuple(i for i, value in enumerate(forward) if value == i)


_SHAPES: list[tuple[int, ...] | None] = [None] * 10001  # per year, filled on first use


def _year_shapes(y: int) -> tuple[int, ...]:
    row = _SHAPES[y] = (0, *[table_index(y, mo) for mo in range(1, 13)])
    return row


def month_index(y: int, mo: int) -> int:
    """Index into the day table for month ``mo`` of year ``y``."""
    return (_SHAPES[y] or _year_shapes(y))[mo]


class Search:
    """Lookup tables for one expression and the two searches over them."""

    __slots__ = (
        "days",
        "first_h",
        "first_mi",
        "first_s",
        "hour_b",
        "hour_f",
        "last_h",
        "last_mi",
        "last_s",
        "minute_b",
        "minute_f",
        "month_b",
        "month_f",
        "second_b",
        "second_f",
        "years",
    )

    def __init__(
        self,
        seconds: int,
        minutes: int,
        hours: int,
        months: int,
        days: DayTable,
        years: tuple[range, ...] | None,
    ) -> None:
        self.second_f, self.second_b = tables(seconds, 59)
        self.minute_f, self.minute_b = tables(minutes, 59)
        self.hour_f, self.hour_b = tables(hours, 23)
        self.month_f, self.month_b = tables(months, 12)
        # the first and last time of day, read often
        self.first_h, self.first_mi, self.first_s = (
            self.hour_f[0],
            self.minute_f[0],
            self.second_f[0],
        )
        self.last_h, self.last_mi, self.last_s = (
            self.hour_b[24],
            self.minute_b[60],
            self.second_b[60],
        )
        self.days = days
        self.years = years

    def _year_ok(self, y: int) -> bool:
        for run in self.years or ():  # a plain loop: any() over a generator costs 4x
            if y in run:
                return True
        return self.years is None

    def _year_after(self, y: int) -> int:
        """The first allowed year >= y, or 10000."""
        best = 10000
        for run in self.years or ():
            if y in run:
                return y
            if y < run.start:
                candidate = run.start
            elif y <= run[-1]:
                candidate = y + (run.start - y) % run.step
            else:
                continue
            if candidate < best:
                best = candidate
        return best

    def _year_before(self, y: int) -> int:
        """The last allowed year <= y, or 0."""
        best = 0
        for run in self.years or ():
            if y in run:
                return y
            if y > run[-1]:
                candidate = run[-1]
            elif y >= run.start:
                candidate = y - (y - run.start) % run.step
            else:
                continue
            if candidate > best:
                best = candidate
        return best

    def match(self, t: datetime) -> bool:
        """Whether the naive ``t`` is a fire time."""
        mo, h, mi, s = t.month, t.hour, t.minute, t.second
        return (
            t.microsecond == 0
            and self.second_f[s] == s
            and self.minute_f[mi] == mi
            and self.hour_f[h] == h
            and self.month_f[mo] == mo
            and self._year_ok(t.year)
            and (self.days[month_index(t.year, mo)] >> t.day) & 1 == 1
        )

    def after(self, t: datetime) -> datetime:
        """The earliest fire time strictly after the naive ``t``.

        A later time of day on ``t``'s own day if that day fires, else the first
        time of day on the next day that fires.
        """
        y, mo, d = t.year, t.month, t.day
        if (
            self.month_f[mo] == mo
            and (self.years is None or self._year_ok(y))
            and self.days[(_SHAPES[y] or _year_shapes(y))[mo]] >> d & 1
        ):
            h, hour_f = t.hour, self.hour_f
            if hour_f[h] == h:
                mi, minute_f = t.minute, self.minute_f
                if minute_f[mi] == mi:
                    sec = self.second_f[t.second + 1]  # the second after t's (60: none)
                    if sec != NONE:
                        return datetime(y, mo, d, h, mi, sec)
                m = minute_f[mi + 1]
                if m != NONE:
                    return datetime(y, mo, d, h, m, self.first_s)
            hr = hour_f[h + 1]
            if hr != NONE:
                return datetime(y, mo, d, hr, self.first_mi, self.first_s)
        return self.day_after(y, mo, d)

    def before(self, t: datetime) -> datetime:
        """The latest fire time strictly before the naive ``t`` (the mirror of ``after``).

        Backward tables hold "the largest value <= i" at entry i + 1.
        """
        y, mo, d = t.year, t.month, t.day
        if (
            self.month_f[mo] == mo
            and (self.years is None or self._year_ok(y))
            and self.days[(_SHAPES[y] or _year_shapes(y))[mo]] >> d & 1
        ):
            h, hour_b = t.hour, self.hour_b
            if hour_b[h + 1] == h:
                mi, minute_b = t.minute, self.minute_b
                if minute_b[mi + 1] == mi:
                    # t's own second if t is past it, else the one before (-1: none)
                    sec = self.second_b[t.second + (1 if t.microsecond else 0)]
                    if sec != NONE:
                        return datetime(y, mo, d, h, mi, sec)
                m = minute_b[mi]
                if m != NONE:
                    return datetime(y, mo, d, h, m, self.last_s)
            hr = hour_b[h]
            if hr != NONE:
                return datetime(y, mo, d, hr, self.last_mi, self.last_s)
        return self.day_before(y, mo, d)

    def day_after(self, y: int, mo: int, d: int) -> datetime:
        """The first time of day on the first day that fires after y-mo-d (d may be 0)."""
        month_f, days, years = self.month_f, self.days, self.years
        m = month_f[mo]
        if m != mo:  # a month not allowed: the next allowed one, this year or the next
            y, mo, d = (y, m, 0) if m != NONE else (y + 1, month_f[1], 0)
        while True:
            if years is not None:
                allowed = self._year_after(y)
                if allowed != y:
                    y, mo, d = allowed, month_f[1], 0
            if y > 9999:
                raise self.exhausted(True)
            rest = days[(_SHAPES[y] or _year_shapes(y))[mo]] >> d + 1
            if rest:
                d += (rest & -rest).bit_length()
                return datetime(y, mo, d, self.first_h, self.first_mi, self.first_s)
            mo, d = month_f[mo + 1], 0
            if mo == NONE:
                y, mo = y + 1, month_f[1]

    def day_before(self, y: int, mo: int, d: int) -> datetime:
        """The last time of day on the last day that fires before y-mo-d (d may be 32)."""
        month_b, days, years = self.month_b, self.days, self.years
        m = month_b[mo + 1]
        if m != mo:  # a month not allowed: the previous allowed one, this year or the last
            y, mo, d = (y, m, 32) if m != NONE else (y - 1, month_b[13], 32)
        while True:
            if years is not None:
                allowed = self._year_before(y)
                if allowed != y:
                    y, mo, d = allowed, month_b[13], 32
            if y < 1:
                raise self.exhausted(False)
            below = days[(_SHAPES[y] or _year_shapes(y))[mo]] & (1 << d) - 1
            if below:
                d = below.bit_length() - 1
                return datetime(y, mo, d, self.last_h, self.last_mi, self.last_s)
            mo, d = month_b[mo], 32  # the largest allowed month <= mo - 1
            if mo == NONE:
                y, mo = y - 1, month_b[13]

    def exhausted(self, up: bool) -> OverflowError:
        """The error for a search that ran out: the year field's last (first) year, if any."""
        if self.years is not None:
            if up:
                last = max(run[-1] for run in self.years)
                return OverflowError(
                    f"no fire time after this one: the year field allows no year after {last}"
                )
            first = min(run.start for run in self.years)
            return OverflowError(
                f"no fire time before this one: the year field allows no year before {first}"
            )
        if up:
            return OverflowError("no fire time after this one within the datetime range")
        return OverflowError("no fire time before this one within the datetime range")

    def walk(self, t: datetime, up: bool) -> Iterator[datetime]:
        """Fire times after (before, if not ``up``) the naive ``t``, in order.

        The search finds the first fire time in each month it reaches; the rest
        of that month are enumerated from the fields' values (the minutes by
        ``itertools.product``, the seconds as offsets from each minute), so an
        item costs about one ``datetime`` and a sparse month one search.
        """
        hours, minutes, seconds = (
            allowed(self.hour_f),
            allowed(self.minute_f),
            allowed(self.second_f),
        )
        if not up:
            hours, minutes, seconds = hours[::-1], minutes[::-1], seconds[::-1]
        offsets = [_SECONDS[s] for s in seconds]
        table, last_h, last_mi, last_s = self.days, hours[-1], minutes[-1], seconds[-1]
        try:
            t = self.after(t) if up else self.before(t)
        except OverflowError:
            return
        while True:
            yield t
            y, mo, d = t.year, t.month, t.day
            mask = table[(_SHAPES[y] or _year_shapes(y))[mo]]
            days = mask >> d + 1 << d + 1 if up else mask & (1 << d) - 1
            h, mi, s = t.hour, t.minute, t.second
            if days or h != last_h or mi != last_mi or s != last_s:  # more in this month
                minute = t - _SECONDS[s]
                for offset in offsets[seconds.index(s) + 1 :]:
                    yield minute + offset
                month, zero = ((y,), (mo,)), (0,)
                for minute in starmap(
                    datetime,
                    chain(
                        product(*month, (d,), (h,), minutes[minutes.index(mi) + 1 :], zero),
                        product(*month, (d,), hours[hours.index(h) + 1 :], minutes, zero),
                        product(*month, _days_of(days, up), hours, minutes, zero),
                    ),
                ):
                    for offset in offsets:
                        yield minute + offset
            try:  # the month is done: the search goes on in the next (previous) one
                if up:
                    t = self.day_after(y + mo // 12, mo % 12 + 1, 0)
                else:
                    t = self.day_before(y - (mo == 1), (mo - 2) % 12 + 1, 32)
            except OverflowError:
                return


def _days_of(mask: int, up: bool) -> list[int]:
    """The days set in a month's mask, in walk order."""
    days = []
    while mask:
        low = mask & -mask
        days.append(low.bit_length() - 1)
        mask ^= low
    return days if up else days[::-1]
