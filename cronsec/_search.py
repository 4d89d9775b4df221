"""The naive (wall-clock) search: next and previous fire times (SPEC 3 and 6).

It works on plain integers. Each time field has two lookup tables: the first
allowed value at or after each index, and the last at or before it; 255 means
"none, carry to the next unit". A month is skipped whole when its month or
year is not allowed or it has no fire day (one bitmask from the day table),
days by bit arithmetic, and a single ``datetime`` is built at the end.
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


_SHAPES: list[bytes | None] = [None] * 10001  # per year, filled on first use: 13 bytes each


def _year_shapes(y: int) -> bytes:
    row = _SHAPES[y] = bytes([0] + [table_index(y, mo) for mo in range(1, 13)])
    return row


def month_index(y: int, mo: int) -> int:
    """Index into the day table for month ``mo`` of year ``y``."""
    return (_SHAPES[y] or _year_shapes(y))[mo]


class Search:
    """Lookup tables for one expression and the two searches over them."""

    __slots__ = (
        "days",
        "hour_b",
        "hour_f",
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
        self.days = days
        self.years = years

    def _year_ok(self, y: int) -> bool:
        return self.years is None or any(y in run for run in self.years)

    def _year_after(self, y: int) -> int:
        """The first allowed year >= y, or 10000."""
        best = 10000
        for run in self.years or ():
            if y <= run.start:
                best = min(best, run.start)
            elif y <= run[-1]:
                best = min(best, run.start - (run.start - y) // run.step * run.step)
        return best

    def _year_before(self, y: int) -> int:
        """The last allowed year <= y, or 0."""
        best = 0
        for run in self.years or ():
            if y >= run[-1]:
                best = max(best, run[-1])
            elif y >= run.start:
                best = max(best, run.start + (y - run.start) // run.step * run.step)
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
        """The earliest fire time strictly after the naive ``t``."""
        y, mo, d, h, mi, s = t.year, t.month, t.day, t.hour, t.minute, t.second + 1
        if s < 60 and not t.microsecond:
            # Often the answer is later in the same minute: then it is t plus whole seconds.
            sec = self.second_f[s]
            if (
                sec != NONE
                and self.minute_f[mi] == mi
                and self.hour_f[h] == h
                and self.month_f[mo] == mo
                and self.years is None
                and (self.days[(_SHAPES[y] or _year_shapes(y))[mo]] >> d) & 1
            ):
                return t + _SECONDS[sec - s + 1]
        return self.forward(y, mo, d, h, mi, s)

    def before(self, t: datetime) -> datetime:
        """The latest fire time strictly before the naive ``t``."""
        s = t.second if t.microsecond else t.second - 1
        return self.backward(t.year, t.month, t.day, t.hour, t.minute, s)

    def forward(self, y: int, mo: int, d: int, h: int, mi: int, s: int) -> datetime:
        """The earliest fire time at or after y-mo-d h:mi:s (s may be 60: carry)."""
        second_f, minute_f, hour_f, month_f = (
            self.second_f,
            self.minute_f,
            self.hour_f,
            self.month_f,
        )
        days, years = self.days, self.years
        while True:
            if years is not None and not self._year_ok(y):
                y, mo, d, h, mi, s = self._year_after(y), 1, 1, 0, 0, 0
            if y > 9999:
                break
            m = month_f[mo]
            if m != mo:
                if m == NONE:
                    y, mo, d, h, mi, s = y + 1, 1, 1, 0, 0, 0
                    continue
                mo, d, h, mi, s = m, 1, 0, 0, 0
            mask = days[(_SHAPES[y] or _year_shapes(y))[mo]]
            while mask >> d:
                rest = mask >> d
                skip = (rest & -rest).bit_length() - 1
                if skip:
                    d, h, mi, s = d + skip, 0, 0, 0
                if hour_f[h] == h:
                    if minute_f[mi] == mi:
                        sec = second_f[s]
                        if sec != NONE:
                            return datetime(y, mo, d, h, mi, sec)
                        mi += 1
                    m = minute_f[mi]
                    if m != NONE:
                        return datetime(y, mo, d, h, m, second_f[0])
                    h += 1
                hr = hour_f[h]
                if hr != NONE:
                    return datetime(y, mo, d, hr, minute_f[0], second_f[0])
                d, h, mi, s = d + 1, 0, 0, 0
            mo, d, h, mi, s = mo + 1, 1, 0, 0, 0
            if mo == 13:
                y, mo = y + 1, 1
        raise self.exhausted(True)

    def backward(self, y: int, mo: int, d: int, h: int, mi: int, s: int) -> datetime:
        """The latest fire time at or before y-mo-d h:mi:s (s may be -1: borrow)."""
        second_b, minute_b, hour_b, month_b = (
            self.second_b,
            self.minute_b,
            self.hour_b,
            self.month_b,
        )
        days, years = self.days, self.years
        while True:
            if years is not None and not self._year_ok(y):
                y, mo, d, h, mi, s = self._year_before(y), 12, 31, 23, 59, 59
            if y < 1:
                break
            m = month_b[mo + 1]
            if m != mo:
                if m == NONE:
                    y, mo, d, h, mi, s = y - 1, 12, 31, 23, 59, 59
                    continue
                mo, d, h, mi, s = m, 31, 23, 59, 59
            mask = days[(_SHAPES[y] or _year_shapes(y))[mo]]
            mask &= (2 << d) - 1  # days 1..d; a clamped 31 only keeps the month's real days
            while mask:
                top = mask.bit_length() - 1
                if top != d:
                    d, h, mi, s = top, 23, 59, 59
                if hour_b[h + 1] == h:
                    if minute_b[mi + 1] == mi:
                        sec = second_b[s + 1]
                        if sec != NONE:
                            return datetime(y, mo, d, h, mi, sec)
                        mi -= 1
                    m = minute_b[mi + 1]
                    if m != NONE:
                        return datetime(y, mo, d, h, m, second_b[60])
                    h -= 1
                hr = hour_b[h + 1]
                if hr != NONE:
                    return datetime(y, mo, d, hr, minute_b[60], second_b[60])
                mask &= (1 << d) - 1
                d, h, mi, s = d - 1, 23, 59, 59
            mo, d, h, mi, s = mo - 1, 31, 23, 59, 59
            if mo == 0:
                y, mo = y - 1, 12
        raise self.exhausted(False)

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
                    t = self.forward(y + mo // 12, mo % 12 + 1, 1, 0, 0, 0)
                else:
                    t = self.backward(y - (mo == 1), (mo - 2) % 12 + 1, 31, 23, 59, 59)
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
