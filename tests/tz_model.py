"""A literal reference model of SPEC section 4 (fire times in a time zone).

It does not import cronsec. It reads the zone only through ``fromutc`` (via
``astimezone``): it walks real instants minute by minute, drops to second by
second inside any minute where the offset changes, and applies the two rules
as written:

- an instant fires when its wall time matches and either the expression is
  hour-full or no earlier instant showed that wall time (first occurrence);
- at a forward jump of the offset, an expression that is not hour-full and
  matches any skipped wall time fires once, at the jump.

Expressions are plain value sets (``Spec``), matched by their own code here,
so the model shares nothing with the engine but the semantics.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone, tzinfo

SECOND = timedelta(seconds=1)
MINUTE = timedelta(minutes=1)
DAY = timedelta(days=1)
# A wall time can only repeat one shown less than 48 hours earlier.
LOOKBACK = 2 * DAY

ALL = {
    "seconds": frozenset(range(60)),
    "minutes": frozenset(range(60)),
    "hours": frozenset(range(24)),
    "doms": frozenset(range(1, 32)),
    "months": frozenset(range(1, 13)),
    "dows": frozenset(range(7)),
}


def _field(values: frozenset[int], name: str) -> str:
    return "*" if values == ALL[name] else ",".join(str(v) for v in sorted(values))


@dataclass(frozen=True)
class Spec:
    """A six-field expression as value sets (day-of-week 0 = Sunday)."""

    seconds: frozenset[int]
    minutes: frozenset[int]
    hours: frozenset[int]
    doms: frozenset[int] = ALL["doms"]
    months: frozenset[int] = ALL["months"]
    dows: frozenset[int] = ALL["dows"]

    @property
    def text(self) -> str:
        return " ".join(
            _field(getattr(self, n), n)
            for n in ("seconds", "minutes", "hours", "doms", "months", "dows")
        )

    @property
    def hourfull(self) -> bool:
        return self.hours == ALL["hours"]

    def day_ok(self, d: date) -> bool:
        """SPEC 2: a restricted field decides; both restricted: either one."""
        if d.month not in self.months:
            return False
        dom_r, dow_r = self.doms != ALL["doms"], self.dows != ALL["dows"]
        dom, dow = d.day in self.doms, (d.weekday() + 1) % 7 in self.dows
        if dom_r and dow_r:
            return dom or dow
        return dom if dom_r else dow if dow_r else True

    def minute_ok(self, w: datetime) -> bool:
        return w.minute in self.minutes and w.hour in self.hours and self.day_ok(w.date())

    def matches(self, w: datetime) -> bool:
        return w.microsecond == 0 and w.second in self.seconds and self.minute_ok(w)

    def walls(self, p: datetime, q: datetime) -> Iterator[datetime]:
        """Matching wall times in [p, q), minute by minute."""
        m = p.replace(second=0, microsecond=0)
        secs = sorted(self.seconds)
        while m < q:
            if self.minute_ok(m):
                for s in secs:
                    w = m + s * SECOND
                    if p <= w < q:
                        yield w
            m += MINUTE


def wall_at(zone: tzinfo, u: datetime) -> datetime:
    """The zone's aware local time at the UTC instant ``u`` (naive), by its fromutc."""
    return u.replace(tzinfo=timezone.utc).astimezone(zone)


def offset_at(zone: tzinfo, u: datetime) -> timedelta:
    return wall_at(zone, u).replace(tzinfo=None) - u


@dataclass(frozen=True)
class Run:
    """Instants [start, end) (UTC, naive) at one offset."""

    start: datetime
    end: datetime
    off: timedelta

    def shows(self, w: datetime) -> bool:
        return self.start + self.off <= w < self.end + self.off


def runs(zone: tzinfo, a: datetime, b: datetime) -> list[Run]:
    """Constant-offset runs covering [a, b): minute steps, seconds where it changes."""
    out: list[Run] = []
    start, off = a, offset_at(zone, a)
    t = a
    while t < b:
        n = min(t + MINUTE, b)
        if offset_at(zone, n) != off:
            s = t
            while s < n:
                s += SECOND
                o = offset_at(zone, s)
                if o != off:
                    out.append(Run(start, s, off))
                    start, off = s, o
        t = n
    out.append(Run(start, b, off))
    return out


@dataclass(frozen=True)
class Fire:
    instant: datetime  # UTC, naive
    wall: datetime  # naive local time
    fold: int  # 1 for a wall time shown before


def fires(zone: tzinfo, spec: Spec, a: datetime, b: datetime) -> list[Fire]:
    """Every fire instant in [a, b) (UTC, naive), applying SPEC 4 literally."""
    rs = runs(zone, a - LOOKBACK, b)
    found: dict[datetime, Fire] = {}
    for i, r in enumerate(rs):
        lo, hi = max(r.start, a), min(r.end, b)
        if lo >= hi:
            continue
        for w in spec.walls(lo + r.off, hi + r.off):
            seen = any(q.shows(w) for q in rs[:i])
            if seen and not spec.hourfull:
                continue
            found[w - r.off] = Fire(w - r.off, w, 1 if seen else 0)
    for i, (prev, r) in enumerate(zip(rs, rs[1:]), 1):
        jump = r.start
        if r.off > prev.off and a <= jump < b and not spec.hourfull:
            skipped = spec.walls(jump + prev.off, jump + r.off)
            if next(skipped, None) is not None and jump not in found:
                w = jump + r.off
                seen = any(q.shows(w) for q in rs[:i])
                found[jump] = Fire(jump, w, 1 if seen else 0)
    return [found[k] for k in sorted(found)]


def _probe_changes(zone: tzinfo, a: datetime, b: datetime) -> list[datetime]:
    """Instants in (a, b] where the offset changes: weekly probes, then bisection.

    Only used to pick interesting start instants, so a change hidden inside one
    week costs coverage, not correctness.
    """
    out: list[datetime] = []
    t, off = a, offset_at(zone, a)
    while t < b:
        n = min(t + 7 * DAY, b)
        while offset_at(zone, n) != off:
            lo, hi = t, n
            while hi - lo > SECOND:
                mid = lo + (hi - lo) // 2
                mid = mid.replace(microsecond=0)
                if offset_at(zone, mid) == off:
                    lo = mid
                else:
                    hi = mid
            out.append(hi)
            t, off = hi, offset_at(zone, hi)
        t = n
    return out


_RANGES = ((1800, 2045), (2095, 2106), (2398, 2402), (9996, 9999))


_TRANSITIONS: dict[int, tuple[tzinfo, tuple[datetime, ...]]] = {}


def transitions(zone: tzinfo) -> tuple[datetime, ...]:
    """Offset changes (UTC, naive) of the zone in a few year ranges, from 1800 to 9999."""
    hit = _TRANSITIONS.get(id(zone))  # by identity: dateutil zones are unhashable
    if hit is None or hit[0] is not zone:
        out: list[datetime] = []
        for y0, y1 in _RANGES:
            out += _probe_changes(zone, datetime(y0, 1, 1), datetime(y1, 12, 1))
        hit = _TRANSITIONS[id(zone)] = (zone, tuple(out))
    return hit[1]


def days_in(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def _sunday_on_or_after(year: int, month: int, day: int) -> datetime:
    d = datetime(year, month, day)
    return d + (6 - d.weekday()) % 7 * DAY


class USEastern(tzinfo):
    """A user's own zone: US Eastern time with the 2007 rules in every year.

    DST from the second Sunday of March, 02:00 EST (07:00 UTC), to the first
    Sunday of November, 02:00 EDT (06:00 UTC), as in Python's documentation;
    it honours ``fold`` (PEP 495). The same rules as ``ZoneInfo("America/
    New_York")`` and ``tzstr("EST5EDT,M3.2.0,M11.1.0")`` from 2007 on.
    """

    STD, DST = timedelta(hours=-5), timedelta(hours=-4)
    HOUR = timedelta(hours=1)

    def _walls(self, year: int) -> tuple[datetime, datetime]:
        """The walls where DST starts (02:00 EST) and ends (02:00 EDT)."""
        start = _sunday_on_or_after(year, 3, 8) + 2 * self.HOUR
        return start, _sunday_on_or_after(year, 11, 1) + 2 * self.HOUR

    def fromutc(self, dt: datetime) -> datetime:
        u = dt.replace(tzinfo=None)
        start, end = self._walls(u.year)
        dst = start - self.STD <= u < end - self.DST
        wall = u + (self.DST if dst else self.STD)
        repeated = not dst and end - self.DST <= u < end - self.DST + self.HOUR
        return wall.replace(tzinfo=self, fold=1 if repeated else 0)

    def utcoffset(self, dt: datetime | None) -> timedelta:
        if dt is None:
            return self.STD
        wall = dt.replace(tzinfo=None)
        start, end = self._walls(wall.year)
        if start <= wall < start + self.HOUR:  # skipped: fold=0 reads it with the old offset
            return self.DST if dt.fold else self.STD
        if end - self.HOUR <= wall < end:  # repeated: fold=0 is the first (EDT)
            return self.STD if dt.fold else self.DST
        return self.DST if start <= wall < end else self.STD

    def dst(self, dt: datetime | None) -> timedelta:
        return self.utcoffset(dt) - self.STD

    def tzname(self, dt: datetime | None) -> str:
        return "EDT" if self.dst(dt) else "EST"
