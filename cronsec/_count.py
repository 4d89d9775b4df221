"""How many times a cron expression fires in ``(a, b]``, without walking the fire times.

Naive (wall-clock) counting is arithmetic: a day's fire times are the product
of its hour, minute and second sets, so a whole firing day holds
``|H| * |M| * |S|`` of them, a partial day is counted by lookup tables of the
sorted sets, and whole days by the day rule a month at a time.

Aware counting splits ``(a, b]`` into the zone's segments (stretches of one
UTC offset, from ``_segments``, the same tables the aware search walks) and
applies SPEC section 4 at their edges: inside a segment every naive fire wall
is one fire, except walls an earlier segment already showed (repeats), which
only hour-full expressions fire; the instant of a transition fires when its
wall does, or, after a gap, for an expression that is not hour-full, when any
skipped wall would have.

Where the segment tables cannot answer (the ends of the datetime range, a zone
whose data disagree, internals that changed), it walks ``CronExpr.iter`` up to a
limit instead.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone, tzinfo
from itertools import accumulate
from typing import TYPE_CHECKING, Callable

from ._days import month_length

if TYPE_CHECKING:
    from ._expr import CronExpr

__all__ = ["cron_count_between", "naive_count", "prepare"]

UTC = timezone.utc
_US = timedelta(microseconds=1)
_ONE_DAY = timedelta(days=1)
# The fast aware path stays this far inside the datetime range (offsets are < 24 h).
_SAFE_LOW, _SAFE_HIGH = datetime(1, 1, 10), datetime(9999, 12, 20)


def _popcount(x: int) -> int:
    return bin(x).count("1")


def _members(values: tuple[int, ...], size: int) -> bytes:
    """Entry i: 1 when i is in ``values``."""
    table = bytearray(size)
    for v in values:
        table[v] = 1
    return bytes(table)


def _below(members: bytes) -> bytes:
    """Entry i: how many members are < i (from a `_members` table)."""
    return bytes(accumulate(members[:-1], initial=0))


class _Plan:
    """What counting needs of one expression text (zone-independent)."""

    __slots__ = (
        "first",
        "h_in",
        "h_lt",
        "hourfull",
        "m_in",
        "m_lt",
        "masks",
        "month_ok",
        "n_ms",
        "n_s",
        "per_day",
        "s_le",
        "year_ok",
    )

    def __init__(self, expr: CronExpr) -> None:
        fields = expr.fields
        hours, minutes, seconds = fields.hours, fields.minutes, fields.seconds
        self.hourfull = len(hours) == 24
        self.n_s = len(seconds)
        self.n_ms = len(minutes) * self.n_s
        self.per_day = len(hours) * self.n_ms
        # h_lt[h]: allowed hours < h; h_in[h]: h allowed; s_le[s]: allowed seconds <= s.
        self.h_in, self.m_in = _members(hours, 24), _members(minutes, 60)
        self.h_lt, self.m_lt = _below(self.h_in), _below(self.m_in)
        self.s_le = bytes(accumulate(_members(seconds, 60)))
        self.month_ok = _members(fields.months, 13)
        years = fields.years
        self.year_ok: Callable[[int], bool] = (
            (lambda y: True) if years is None else frozenset(years).__contains__
        )
        self.first = (hours[0], minutes[0], seconds[0])
        self.masks = _month_masks(expr, fields, self.first)

    def rank(self, t: datetime) -> int:
        """Fire times of a firing day at or before the wall time of ``t``."""
        h, m = t.hour, t.minute
        n = self.h_lt[h] * self.n_ms
        if self.h_in[h]:
            n += self.m_lt[m] * self.n_s
            if self.m_in[m]:
                n += self.s_le[t.second]
        return n

    def month_mask(self, y: int, m: int) -> int:
        """Bit d set when day d of the month fires (month and year rules included)."""
        if not self.month_ok[m] or not self.year_ok(y):
            return 0
        return self.masks(y, m)

    def fires_on(self, d: date) -> bool:
        return bool(self.month_mask(d.year, d.month) >> d.day & 1)

    def firing_days(self, d1: date, d2: date) -> int:
        """Firing days in ``[d1, d2)``, a month at a time."""
        if d2 <= d1:
            return 0
        y, m, day = d1.year, d1.month, d1.day
        end_y, end_m, end_d = d2.year, d2.month, d2.day
        n = 0
        while (y, m) < (end_y, end_m):
            n += _popcount(self.month_mask(y, m) >> day)
            y, m, day = (y + 1, 1, 1) if m == 12 else (y, m + 1, 1)
        mask = self.month_mask(y, m) & ((1 << end_d) - 1)
        return n + _popcount(mask >> day)

    def naive(self, x: datetime, y: datetime) -> int:
        """Naive fire walls in ``(x, y]``."""
        if y <= x:
            return 0
        dx, dy = x.date(), y.date()
        if dx == dy:
            return self.rank(y) - self.rank(x) if self.fires_on(dx) else 0
        n = (self.per_day - self.rank(x)) if self.fires_on(dx) else 0
        n += self.firing_days(dx + _ONE_DAY, dy) * self.per_day
        return n + (self.rank(y) if self.fires_on(dy) else 0)


def _month_masks(
    expr: CronExpr, fields: object, first: tuple[int, int, int]
) -> Callable[[int, int], int]:
    """Day masks per month from the day table; from ``match`` if its internals moved."""
    try:
        from ._days import day_table, table_index

        table = day_table(fields)  # type: ignore[arg-type]
        table[table_index(2026, 1)]
    except Exception:
        from ._expr import CronExpr

        unbound = CronExpr(expr.text)
        h, mi, s = first

        def by_match(y: int, m: int) -> int:
            mask = 0
            for d in range(1, month_length(y, m) + 1):
                if unbound.match(datetime(y, m, d, h, mi, s)):
                    mask |= 1 << d
            return mask

        return by_match

    def by_table(y: int, m: int) -> int:
        return int(table[table_index(y, m)])

    return by_table


_PLANS: dict[str, _Plan] = {}
_MAX_PLANS = 1 << 16  # about 1 KB each; a timer with more jobs than this rebuilds some


def _plan(expr: CronExpr) -> _Plan:
    plan = _PLANS.get(expr.text)
    if plan is None:
        if len(_PLANS) >= _MAX_PLANS:
            _PLANS.pop(next(iter(_PLANS)))  # the oldest
        plan = _PLANS[expr.text] = _Plan(expr)
    return plan


def prepare(expr: CronExpr) -> None:
    """Build (and cache) what counting ``expr`` needs, ahead of a first count.

    About 0.2 ms per new expression text; a timer calls it when a job is added, so
    the first clock step it settles does not pay it for every job at once.
    """
    _plan(expr)


def naive_count(expr: CronExpr, a: datetime, b: datetime) -> int:
    """Naive fire times of ``expr`` in ``(a, b]`` for naive ``a`` and ``b``: pure arithmetic."""
    return _plan(expr).naive(a, b)


def _utc(t: datetime) -> datetime:
    """The aware ``t`` as a naive UTC instant."""
    off = t.utcoffset()
    assert off is not None
    return t.replace(tzinfo=None) - off


_READ_AHEAD = timedelta(days=366)  # how far past its table a count reads a zone


def _aware_count(plan: _Plan, zone: tzinfo, ua: datetime, ub: datetime) -> int | None:
    """Fire instants in ``(ua, ub]`` (naive UTC) in ``zone``, by segments; None: cannot."""
    from . import _segments

    if not (ua >= _SAFE_LOW and ub <= _SAFE_HIGH):
        return None
    for _ in range(3):  # a zone that disagrees with its data is probed from then on
        try:
            tl = _segments.timeline(zone, ua)
            src, tab, ka = tl.locate(ua)
            while tab.hi is not None and ub >= tab.hi:  # the same table must reach ub
                if ub - tab.hi > _READ_AHEAD:
                    return None  # far: reading the zone all the way costs more than a walk
                tab, ka = tl.grow(src, tab, ka, True)
        except _segments.Mismatch:
            continue
        break
    else:
        return None
    ka, kb = tab.segment_of(ua), tab.segment_of(ub)
    if ka < tab.first or not (tab.below <= ua and ub < tab.above):
        return None
    trans, offs, reps, hourfull = tab.trans, tab.offs, tab.reps, plan.hourfull
    naive = plan.naive
    n = 0
    for k in range(ka, kb + 1):
        off = offs[k]
        if k > ka:  # the transition instant trans[k-1] lies in (ua, ub]
            sw, ew_prev = trans[k - 1] + off, trans[k - 1] + offs[k - 1]
            lo = sw
            if not hourfull and sw > ew_prev and naive(ew_prev - _US, sw - _US):
                n += 1  # a skipped wall would have fired: once, at the jump
            elif naive(sw - _US, sw) and (hourfull or not _inside(sw, reps[k])):
                n += 1
        else:
            lo = ua + off
        hi = ub + off if k == kb else trans[k] + off - _US
        n += naive(lo, hi)
        if not hourfull:  # second showings of a wall do not fire clock-time jobs
            for ra, rb in reps[k]:
                n -= naive(max(lo, ra - _US), min(hi, rb - _US))
    return n


def _inside(w: datetime, intervals: tuple[tuple[datetime, datetime], ...]) -> bool:
    return any(a <= w < b for a, b in intervals)


def _walk(expr: CronExpr, a: datetime, b: datetime, limit: int) -> int | None:
    """Count by iterating, up to ``limit`` fire times; None when there are more."""
    aware = a.utcoffset() is not None
    end = _utc(b) if aware else b
    n = 0
    for t in expr.iter(a):
        if (_utc(t) if aware else t) > end:
            return n
        n += 1
        if n > limit:
            return None
    return n


def cron_count_between(expr: CronExpr, a: datetime, b: datetime, limit: int) -> int | None:
    """How many fire times of ``expr`` lie in ``(a, b]``; 0 when ``b <= a``.

    Exact and fast (no walk over the fire times) for naive datetimes and for aware
    ones away from the ends of the datetime range; otherwise counted by walking
    ``expr.iter(a)``, giving None once more than ``limit`` fire times are found.
    ``a`` and ``b`` are both naive or both aware, as ``expr.next`` takes them: an
    unbound expression counts in ``a``'s zone, a bound one in its own.
    """
    from ._expr import CronExpr

    if not isinstance(expr, CronExpr):
        raise TypeError(f"expr must be a CronExpr, not {type(expr).__name__}")
    for name, t in (("a", a), ("b", b)):
        if not isinstance(t, datetime):
            raise TypeError(f"{name} must be a datetime, not {type(t).__name__}")
    if isinstance(limit, bool) or not isinstance(limit, int):
        raise TypeError(f"limit must be an int, not {type(limit).__name__}")
    if limit < 0:
        raise ValueError(f"limit must not be negative, got {limit}")
    aware_a, aware_b = a.utcoffset() is not None, b.utcoffset() is not None
    if aware_a != aware_b:
        raise TypeError("a and b must be both naive or both aware datetimes")
    if not aware_a:
        if expr.tz is not None:
            raise TypeError(
                "this CronExpr is bound to a zone, so it needs aware datetimes: "
                "pass e.g. a.replace(tzinfo=expr.tz)"
            )
        return 0 if b <= a else _plan(expr).naive(a, b)
    ua, ub = _utc(a), _utc(b)
    if ub <= ua:
        return 0
    zone: tzinfo | None = expr.tz if expr.tz is not None else a.tzinfo
    assert zone is not None
    try:
        counted = _aware_count(_plan(expr), zone, ua, ub)
    except (AttributeError, IndexError, TypeError, OverflowError):
        counted = None  # the segment tables changed shape or ran out: walk instead
    if counted is not None:
        return counted
    return _walk(expr, a, b, limit)
