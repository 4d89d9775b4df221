"""Fire times for aware datetimes: the naive search mapped onto real instants.

SPEC section 4. The search walks the zone's segments (stretches of constant
UTC offset, see ``_segments``). Inside one segment wall time is instant plus
offset, so the naive search on wall time is exact there; only at a segment's
edge do the two rules apply:

- gap (a forward jump skips walls ``[ew[k], sw[k+1])``): an expression that is
  not hour-full and matches a skipped wall fires once, at the jump;
- repeat (``reps[k]``, walls an earlier segment showed): only hour-full
  expressions fire there, and the result carries ``fold=1``.

Results are wall datetimes with ``tzinfo=zone``; the naive search never sees
an instant, and no search steps second by second.
"""

from __future__ import annotations

from bisect import bisect_right
from contextlib import suppress
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

from . import _segments
from ._segments import MAX, MIN, Mismatch, Source, Table, Timeline, _cache

if TYPE_CHECKING:
    from ._expr import CronExpr

_US = timedelta(microseconds=1)
_combine = datetime.combine
_ZERO = timedelta(0)
_AFTER_MIN = MIN + _US
_FAR = timedelta(days=2)  # a wall time is within a day of its instant: twice that is safe
_BEFORE_FAR, _AFTER_FAR = MAX - _FAR, MIN + _FAR

# A found fire: its wall time, its segment's offset, and its fold.
Fire = tuple[datetime, timedelta, int]


def _after(expr: CronExpr, x: datetime | None) -> datetime | None:
    """The earliest naive fire time after ``x`` (None: from datetime.min on), or None."""
    try:
        if x is None:
            try:
                return expr._naive_prev(_AFTER_MIN)  # datetime.min itself, if it fires
            except OverflowError:
                return expr._naive_next(MIN)
        return expr._naive_next(x)
    except OverflowError:
        return None


def _before(expr: CronExpr, x: datetime | None) -> datetime | None:
    """The latest naive fire time before ``x`` (None: up to datetime.max), or None."""
    try:
        return expr._naive_prev(MAX if x is None else x)
    except OverflowError:
        return None


def _instant(t: datetime) -> tuple[datetime, datetime, timedelta]:
    """``t`` as (UTC instant, clamped to the datetime range; wall time; offset)."""
    off = t.utcoffset()
    if off is None:
        raise TypeError("an aware datetime is needed here")
    wall = _combine(t, t.time())  # faster than t.replace(tzinfo=None)
    try:
        return wall - off, wall, off
    except OverflowError:
        return (MIN if off > _ZERO else MAX), wall, off


def _fold(tab: Table, k: int, c: datetime) -> int:
    for a, b in tab.reps[k]:
        if a <= c < b:
            return 1
    return 0


def _forward(
    expr: CronExpr, tl: Timeline, u: datetime, wall: datetime, off: timedelta, incl: bool = False
) -> Fire:
    """The first fire instant after ``u`` (``wall`` at ``off`` in the caller's zone).

    With ``incl``, ``u`` is the instant before the one meant and ``wall`` the
    one meant (1 µs later): that is how ``match`` asks "is this instant a fire".
    """
    src, tab, k = tl.locate(u)
    d = tab.offs[k] - off
    c: datetime | None
    try:
        x = wall + d
    except OverflowError:  # the threshold wall is past either end of the range
        c = _after(expr, None) if d < _ZERO else None
    else:
        c = _after(expr, (x - _US if x > MIN else None) if incl else x)
    return _walk_up(expr, tl, src, tab, k, c, u)


def _walk_up(
    expr: CronExpr,
    tl: Timeline,
    src: Source,
    tab: Table,
    k: int,
    c: datetime | None,
    u: datetime,
) -> Fire:
    """Carry on forward from segment ``k``, ``c`` its first match at or after the start.

    ``u`` is the starting instant. A wall time is within a day of its instant, so
    past ``u`` + 2 days every fire shows a wall after ``c``: the walk jumps to ``c``
    (a far year costs no walk through the years between), and with no ``c`` it ends
    once its walls are past the expression's last fire time.
    """
    hourfull = expr._hourfull
    far = u + _FAR if u < _BEFORE_FAR else MAX
    while True:
        if c is not None and c < tab.ew[k]:
            if not hourfull:
                for a, b in tab.reps[k]:
                    if a <= c < b:  # a second occurrence: not for clock-time jobs
                        c = _after(expr, b - _US)
                        break
                else:
                    return c, tab.offs[k], 0
                continue
            return c, tab.offs[k], _fold(tab, k, c)
        end = tab.trans[k] if k < len(tab.trans) else tab.above  # where segment k ends
        if end >= far:  # every fire from here on shows a wall after the threshold: >= c
            if c is None:
                raise expr._search.exhausted(True)
            if c - _FAR > end:
                src, tab, k = tl.locate(c - _FAR)
                continue
        if k == len(tab.trans):
            if tab.hi is None:
                raise expr._search.exhausted(True)
            tab, k = tl.grow(src, tab, k, True)
            continue
        k += 1
        sw, ew = tab.sw[k], tab.ew[k - 1]
        if sw > ew:  # a gap: walls [ew, sw) are skipped
            if c is not None and c < sw:
                if not hourfull:
                    return sw, tab.offs[k], _fold(tab, k, sw)
                c = _after(expr, sw - _US)
        elif hourfull or not tab.cover[k]:  # walls [sw, ew) come again
            c = _after(expr, sw - _US)


def _backward(expr: CronExpr, tl: Timeline, u: datetime, wall: datetime, off: timedelta) -> Fire:
    """The last fire instant before ``u`` (``wall`` at ``off`` in the caller's zone)."""
    src, tab, k = tl.locate(u)
    d = tab.offs[k] - off
    c: datetime | None
    try:
        x = wall + d
    except OverflowError:  # the threshold wall is past either end of the range
        c = _before(expr, None) if d > _ZERO else None
    else:
        c = _before(expr, x)
    return _walk_down(expr, tl, src, tab, k, c, u)


def _walk_down(
    expr: CronExpr,
    tl: Timeline,
    src: Source,
    tab: Table,
    k: int,
    c: datetime | None,
    u: datetime,
) -> Fire:
    """Carry on backward from segment ``k`` (``c`` its last match before the threshold);
    ``u`` is the starting instant, which a gap's fire must precede. Before ``u`` - 2
    days every fire shows a wall before the threshold, hence at or before ``c``:
    the walk jumps back to ``c``, and with no ``c`` there is no fire left."""
    hourfull = expr._hourfull
    near = u - _FAR if u > _AFTER_FAR else MIN
    while True:
        if c is not None and c >= tab.sw[k]:
            if not hourfull:
                for a, b in tab.reps[k]:
                    if a <= c < b:
                        c = _before(expr, a)
                        break
                else:
                    return c, tab.offs[k], 0
                continue
            return c, tab.offs[k], _fold(tab, k, c)
        start = tab.trans[k - 1] if k > tab.first else tab.below  # where segment k starts
        if start <= near:  # every fire from here on shows a wall before the threshold: <= c
            if c is None:
                raise expr._search.exhausted(False)
            if c + _FAR < start:
                src, tab, k = tl.locate(c + _FAR)
                continue
        if k == tab.first:
            if tab.lo is None:
                raise expr._search.exhausted(False)
            tab, k = tl.grow(src, tab, k, False)
            continue
        sw, ew = tab.sw[k], tab.ew[k - 1]
        if sw > ew and not hourfull and c is not None and c >= ew and tab.trans[k - 1] < u:
            return sw, tab.offs[k], _fold(tab, k, sw)  # a skipped wall fires at the jump
        k -= 1
        if sw <= ew or (c is not None and c >= ew):
            c = _before(expr, ew)


_BOUND = (
    "this CronExpr is bound to a zone, so it needs an aware datetime: "
    "pass e.g. datetime.now(expr.tz) or t.replace(tzinfo=expr.tz)"
)


def _naive(expr: CronExpr, t: datetime, up: bool) -> datetime:
    """A ``t`` whose tzinfo gives no offset is naive (SPEC 5): naive results, if unbound."""
    if expr.tz is not None:
        raise TypeError(_BOUND)
    wall = _combine(t, t.time())
    return expr._naive_next(wall) if up else expr._naive_prev(wall)


def _search(expr: CronExpr, t: datetime, zone: tzinfo, up: bool) -> Fire:
    u, wall, off = _instant(t)
    if expr._search.years is not None:
        # Every fire after (before) t shows a wall within two days of t's: with no
        # naive fire time from there on, the year field has no year left: no zone needed.
        try:
            edge = wall - _FAR if up else wall + _FAR
        except OverflowError:
            edge = None
        if (_after(expr, edge) if up else _before(expr, edge)) is None:
            raise expr._search.exhausted(up)
    step = _forward if up else _backward
    try:
        return step(expr, _segments.timeline(zone, u), u, wall, off)
    except Mismatch:  # the zone disagreed with its TZif data; it is probed now
        return step(expr, _segments.timeline(zone, u), u, wall, off)


def _aware(c: datetime, seg: timedelta, fold: int, zone: tzinfo) -> datetime:
    return c.replace(tzinfo=zone, fold=1) if fold else _combine(c, c.time(), zone)


def _clean_segment(tab: Table, wall: datetime) -> int:
    """The segment whose walls happen once and include ``wall``, or -1 near a change."""
    i = tab.hint
    if not tab.clean[i] <= wall < tab.clean_end[i]:
        i = bisect_right(tab.clean, wall) - 1
        if i < 0 or wall >= tab.clean_end[i]:
            return -1
        tab.hint = i
    return tab.clean_seg[i]


def next_fire(expr: CronExpr, t: datetime, zone: tzinfo) -> datetime:
    """Earliest fire instant strictly after the aware ``t``, as an aware datetime in ``zone``."""
    # The common case inline: t shows a wall time of zone that happens only once,
    # so its segment is known from the wall alone, without asking for utcoffset.
    if t.tzinfo is zone:
        tl = _cache.get(id(zone))
        if tl is not None and tl.zone is zone:
            src = tl.source
            tab = src.table
            wall = _combine(t, t.time())
            k = _clean_segment(tab, wall)
            if k >= 0:
                try:
                    c: datetime | None = expr._naive_next(wall)
                except OverflowError:
                    c = None
                if c is not None and c < tab.ew[k]:
                    return _combine(c, c.time(), zone)
                with suppress(Mismatch):
                    return _aware(*_walk_up(expr, tl, src, tab, k, c, wall - tab.offs[k]), zone)
    if t.utcoffset() is None:
        return _naive(expr, t, True)
    return _aware(*_search(expr, t, zone, True), zone)


def prev_fire(expr: CronExpr, t: datetime, zone: tzinfo) -> datetime:
    """Latest fire instant strictly before the aware ``t``, as an aware datetime in ``zone``."""
    if t.tzinfo is zone:
        tl = _cache.get(id(zone))
        if tl is not None and tl.zone is zone:
            src = tl.source
            tab = src.table
            wall = _combine(t, t.time())
            k = _clean_segment(tab, wall)
            if k >= 0:
                try:
                    c: datetime | None = expr._naive_prev(wall)
                except OverflowError:
                    c = None
                if c is not None and c >= tab.fresh[k]:
                    return _combine(c, c.time(), zone)
                with suppress(Mismatch):
                    return _aware(*_walk_down(expr, tl, src, tab, k, c, wall - tab.offs[k]), zone)
    if t.utcoffset() is None:
        return _naive(expr, t, False)
    return _aware(*_search(expr, t, zone, False), zone)


def match_fire(expr: CronExpr, t: datetime, zone: tzinfo) -> bool:
    """Whether the aware ``t`` is a fire instant in ``zone``: the first fire from 1 µs before."""
    if t.utcoffset() is None:
        if expr.tz is not None:
            raise TypeError(_BOUND)
        return expr.match(_combine(t, t.time()))
    if t.microsecond:
        return False
    u, wall, off = _instant(t)
    if u > MIN:
        u -= _US
    for _ in range(2):  # a second time if the zone turned out to need probing
        try:
            c, seg, _ = _forward(expr, _segments.timeline(zone, u), u, wall, off, incl=True)
        except OverflowError:
            return False
        except Mismatch:
            continue
        return c - wall == seg - off
    return False
