"""Where a zone's UTC offset changes: segments of constant offset, per zone.

The aware search walks *segments*: stretches of UTC time with one offset,
between two transitions. A :class:`Table` lists them for one zone; a
:class:`Timeline` owns a zone's current table and replaces it (tables are
never changed, so searches on other threads keep a consistent one) when a
search needs more of it. Tables know a window of instants, which grows as
searches need (a search far from it gets a small window of its own), and
come, by kind of zone, from:

- ``datetime.timezone`` and other fixed zones: no changes at all;
- zones whose own data list their changes (``_zones.claims_of``: a
  ``ZoneInfo``'s TZif file, dateutil's ``tzfile``, ``tzrange``/``tzstr`` and
  ``tzlocal``): those changes, each checked against the zone's own ``fromutc``
  the second before and at it (:class:`Listed`); where they ever disagree, the
  zone is probed instead;
- anything else (a custom tzinfo, a ``tzlocal`` without data): the zone's own
  ``fromutc``, probed once a day (``PROBE``) and bisected to the second
  (:class:`Probe`). Two changes that cancel out within one day go unseen.
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from contextlib import suppress
from datetime import datetime, timedelta, timezone, tzinfo

from ._zones import Change, Claims, claims_of

MIN, MAX = datetime.min, datetime.max
SECOND, DAY = timedelta(seconds=1), timedelta(days=1)
PROBE = DAY
# Transitions are kept inside [FLOOR, CEIL] so that instant + offset (|offset| < 24 h)
# stays in the datetime range; beyond them the offset is taken as constant.
FLOOR, CEIL = MIN + 2 * DAY, MAX.replace(microsecond=0) - 2 * DAY
# A wall time can only repeat one shown less than 48 h earlier (|offset| < 24 h).
REACH = 2 * DAY

Interval = tuple[datetime, datetime]


def offset_at(zone: tzinfo, u: datetime) -> timedelta:
    """The zone's UTC offset at the UTC instant ``u`` (naive), by its own ``fromutc``."""
    wall = zone.fromutc(u.replace(tzinfo=zone))
    return wall.replace(tzinfo=None) - u


class Table:
    """One snapshot of a zone's segments and what the search needs of each.

    Segment ``k`` runs from instant ``trans[k-1]`` to ``trans[k]`` at ``offs[k]``
    and shows wall times ``sw[k]`` (inclusive) to ``ew[k]``. ``reps[k]`` are its
    wall intervals that earlier segments showed already (second occurrences);
    ``cover[k]`` says they include all the previous segment showed, and walls
    from ``fresh[k]`` to ``ew[k]`` are all first occurrences. A window
    table knows instants from ``lo`` to ``hi`` only (``None``: to that end of
    time) and ``first`` is the lowest segment a search may enter.
    """

    __slots__ = (
        "above",
        "below",
        "clean",
        "clean_end",
        "clean_seg",
        "cover",
        "ew",
        "first",
        "fresh",
        "hi",
        "hint",
        "lo",
        "offs",
        "reps",
        "sw",
        "trans",
    )

    def __init__(
        self,
        trans: list[datetime],
        offs: list[timedelta],
        lo: datetime | None,
        hi: datetime | None,
    ) -> None:
        self.trans, self.offs, self.lo, self.hi = trans, offs, lo, hi
        # lo and hi as bounds that always compare: below <= u < above means known.
        self.below, self.above = MIN if lo is None else lo, MAX if hi is None else hi
        n = len(trans)
        # A window is probed from lo - REACH, so repeats are known from lo on.
        true_sw = [MIN if lo is None else lo - REACH + offs[0]]
        true_sw += [trans[k - 1] + offs[k] for k in range(1, n + 1)]
        ew = [trans[k] + offs[k] for k in range(n)]
        ew.append(MAX if hi is None else hi + offs[n])
        self.ew, self.sw, self.first = ew, list(true_sw), 0
        if lo is not None:
            self.first = bisect_right(trans, lo)
            self.sw[self.first] = lo + offs[self.first]
        self.reps: list[tuple[Interval, ...]] = [()]
        self.cover = [False]
        for k in range(1, n + 1):
            found: list[Interval] = []
            m = k - 1
            while m >= 0 and (m == k - 1 or trans[m] > trans[k - 1] - 2 * REACH):
                a, b = max(true_sw[k], true_sw[m]), min(ew[k], ew[m])
                if a < b:
                    found.append((a, b))
                m -= 1
            merged: list[Interval] = []
            for a, b in sorted(found):
                if merged and a <= merged[-1][1]:
                    merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
                else:
                    merged.append((a, b))
            self.reps.append(tuple(merged))
            self.cover.append(
                bool(merged) and merged[0][0] <= true_sw[k] and merged[0][1] >= ew[k - 1]
            )
        # fresh[k]: from this wall on, segment k shows only first occurrences (the fast path).
        self.fresh = list(self.sw)
        for k, rep in enumerate(self.reps):
            if len(rep) == 1 and rep[0][0] <= true_sw[k]:
                self.fresh[k] = max(rep[0][1], self.sw[k])
            elif rep:
                self.fresh[k] = ew[k]
        # Clean wall ranges [clean[i], clean_end[i]) of segment clean_seg[i]: each wall
        # there happens exactly once, so an aware datetime showing it needs no utcoffset.
        self.clean: list[datetime] = []
        self.clean_end: list[datetime] = []
        self.clean_seg: list[int] = []
        self.hint = 0  # the clean range last used (a guess; always checked)
        limit = MAX if hi is None else hi + offs[n] - 2 * REACH
        for k in range(self.first, n + 1):
            end = min(ew[k], limit)
            j = k + 1
            while j <= n and trans[j - 1] < trans[k] + 2 * REACH:
                end = min(end, true_sw[j])
                j += 1
            start = self.fresh[k]
            if start < end and (not self.clean or start >= self.clean_end[-1]):
                self.clean.append(start)
                self.clean_end.append(end)
                self.clean_seg.append(k)
        if not self.clean:  # never matches: every search takes the general path
            self.clean, self.clean_end, self.clean_seg = [MAX], [MAX], [0]

    def segment_of(self, u: datetime) -> int:
        return bisect_right(self.trans, u)


def _table(
    start: timedelta, changes: list[Change], lo: datetime | None, hi: datetime | None
) -> Table:
    """A table from the offset at the start and the changes after it (no-ops dropped)."""
    trans: list[datetime] = []
    offs = [start]
    for when, off in changes:
        if off != offs[-1]:
            trans.append(when)
            offs.append(off)
    return Table(trans, offs, lo, hi)


class Mismatch(Exception):
    """TZif data disagree with the tzinfo."""


class Source:
    """Where a timeline's tables come from; ``table`` is the latest one.

    ``far``: an instant this far past the table gets a window of its own rather
    than growing it (growing costs what reading that stretch of the zone costs).
    """

    table: Table
    far = 366 * DAY

    def grow(self, up: bool) -> Table:
        """Know more, upward or downward; return (and keep) the new table."""
        raise NotImplementedError

    def beyond(self, tab: Table, up: bool) -> Table:
        """A table of this source that knows more than ``tab`` in that direction."""
        cur = self.table
        if up:
            known = tab.hi is not None and (cur.hi is None or cur.hi > tab.hi)
        else:
            known = tab.lo is not None and (cur.lo is None or cur.lo < tab.lo)
        return cur if known else self.grow(up)


class Fixed(Source):
    def __init__(self, off: timedelta) -> None:
        self.table = Table([], [off], None, None)

    def grow(self, up: bool) -> Table:
        return self.table


class Window(Source):
    """Instants ``[a, b]`` of the zone, known and checked, in a window that grows.

    ``find`` gives the changes in ``(a, b]`` from the offset at ``a``; a window
    starts ``radius`` either side of the instant that asked and doubles as
    searches need more of it, by at most ``most`` at a time, so that no single
    search pays for reading much more of the zone than it needs.
    """

    most = 4 * 366 * DAY

    def __init__(self, zone: tzinfo, u: datetime, radius: timedelta = 400 * DAY) -> None:
        self.zone = zone
        u = min(max(u, FLOOR), CEIL).replace(microsecond=0)
        self.a = FLOOR if u - FLOOR < radius else u - radius
        self.b = CEIL if CEIL - u < radius else u + radius
        self.start = offset_at(zone, self.a)
        self.changes = self.find(self.a, self.start, self.b)
        self.table = self._table()

    def find(self, a: datetime, off: timedelta, b: datetime) -> list[Change]:
        """The changes in ``(a, b]``, given the offset ``off`` at ``a``."""
        raise NotImplementedError

    def grow(self, up: bool) -> Table:
        span = min(self.b - self.a, self.most)
        if up and self.b < CEIL:
            b = CEIL if CEIL - self.b <= span else self.b + span
            end = self.changes[-1][1] if self.changes else self.start
            self.changes = self.changes + self.find(self.b, end, b)
            self.b = b
        elif not up and self.a > FLOOR:
            a = FLOOR if self.a - FLOOR <= span else self.a - span
            start = offset_at(self.zone, a)
            self.changes = self.find(a, start, self.a) + self.changes
            self.a, self.start = a, start
        self.table = self._table()
        return self.table

    def _table(self) -> Table:
        lo = None if self.a <= FLOOR else self.a + REACH
        hi = None if self.b >= CEIL else self.b
        return _table(self.start, self.changes, lo, hi)


class Listed(Window):
    """The changes the zone's own data claim (``_zones.Claims``), each one checked.

    Each claimed change is checked against the zone's ``fromutc`` the second
    before and at it, and the window's end too, so every segment's offset is
    the zone's at both of its ends; where they ever disagree, ``Mismatch``.
    Only the window a search needs is checked: a first use costs a few calls.
    """

    def __init__(self, zone: tzinfo, u: datetime, claims: Claims, radius: timedelta) -> None:
        self.claims = claims
        super().__init__(zone, u, radius)

    def find(self, a: datetime, off: timedelta, b: datetime) -> list[Change]:
        zone, out = self.zone, []
        for when, new in self.claims.between(a, b):
            if new != off:
                if offset_at(zone, when - SECOND) != off or offset_at(zone, when) != new:
                    raise Mismatch
                out.append((when, new))
                off = new
        if offset_at(zone, b) != off:
            raise Mismatch
        return out


class Probe(Window):
    """Changes found from the zone's ``fromutc`` alone: probed once a day (``PROBE``),
    each change bisected to the second. Changes that cancel out within one
    probe interval go unseen. Probing costs a call a day, so a probed zone
    grows its windows two months at a time at most and reads instants more
    than 16 days past them in windows of their own."""

    far = 16 * DAY
    most = 64 * DAY

    def find(self, a: datetime, off: timedelta, b: datetime) -> list[Change]:
        zone, out, t = self.zone, [], a
        while t < b:
            n = min(t + PROBE, b)
            end = offset_at(zone, n)
            while end != off:  # a change in (t, n]: bisect to the first one
                lo_s, hi_s = 0, (n - t) // SECOND
                while hi_s - lo_s > 1:
                    mid = (lo_s + hi_s) // 2
                    if offset_at(zone, t + mid * SECOND) == off:
                        lo_s = mid
                    else:
                        hi_s = mid
                t += hi_s * SECOND
                off = offset_at(zone, t)
                out.append((t, off))
            t = n
        return out


_SAMPLES = [datetime(y, 1, 15) for y in (1, 1800, 1900, 1950, 1970, 2000, 2030, 2100, 3000, 9999)]
_SAMPLES += [datetime(y, 7, 15) for y in (1900, 1950, 1970, 2000, 2030, 2100)]


def pick_source(zone: tzinfo, u: datetime, radius: timedelta | None = None) -> Source:
    """The best source of transitions for this zone, first asked about instant ``u``."""
    if isinstance(zone, timezone):
        off = zone.utcoffset(None)
        return Fixed(off)
    claims = claims_of(zone)
    if claims is not None:
        with suppress(Mismatch):
            return Listed(zone, u, claims, radius or _LISTED)
    try:
        fixed = zone.utcoffset(None)
    except Exception:  # some tzinfos need a datetime
        fixed = None
    if isinstance(fixed, timedelta) and all(offset_at(zone, s) == fixed for s in _SAMPLES):
        return Fixed(fixed)
    return Probe(zone, u, radius or _PROBED)


_LISTED = 400 * DAY  # a first window's reach either side: checking claims is cheap
_PROBED = 64 * DAY  # probing costs a call a day
_WINDOW = 8 * DAY  # a far window's reach either side of the instant that asked for it
_STRETCH = 128  # days: one far window serves the instants of a stretch this long
_WINDOWS = 64  # windows kept per zone


class Timeline:
    """A zone's current source of tables; searches ask it for more as they go.

    Instants far from the zone's main table (a year field decades ahead) are
    looked up in small windows of their own, kept per zone, so no search walks
    or probes the years in between.
    """

    __slots__ = ("_lock", "source", "windows", "zone")

    def __init__(self, zone: tzinfo, u: datetime) -> None:
        self.zone = zone
        self._lock = threading.Lock()
        self.source = pick_source(zone, u)
        self.windows: dict[int, Source] = {}

    def locate(self, u: datetime) -> tuple[Source, Table, int]:
        """The source, table and index of the segment holding instant ``u``."""
        src = self.source
        tab = src.table
        if not tab.below <= u < tab.above:
            with self._lock:
                src = self._source_for(u)
                tab = src.table
                while tab.lo is not None and u < tab.lo:
                    tab = src.grow(False)
                while tab.hi is not None and u >= tab.hi:
                    tab = src.grow(True)
        return src, tab, bisect_right(tab.trans, u)

    def _source_for(self, u: datetime) -> Source:
        """The main source, or for an instant far from its table a window (made once)."""
        main = self.source
        if _near(main.table, u, main.far):
            return main
        key = u.toordinal() // _STRETCH
        window = self._window_near(key, u)
        if window is None:
            if isinstance(main, Listed):
                with suppress(Mismatch):
                    window = Listed(self.zone, u, main.claims, _WINDOW)
            if window is None:
                window = Probe(self.zone, u, _WINDOW)
            if len(self.windows) >= _WINDOWS:
                self.windows.pop(next(iter(self.windows)))
            self.windows[key] = window
        return window

    def _window_near(self, key: int, u: datetime) -> Source | None:
        """A window of this stretch or the next ones that can grow to ``u`` cheaply."""
        for near in (key, key - 1, key + 1):
            window = self.windows.get(near)
            if window is not None and _near(window.table, u, window.far):
                return window
        return None

    def grow(self, src: Source, tab: Table, k: int, up: bool) -> tuple[Table, int]:
        """A table of ``src`` known further than ``tab``, and segment ``k``'s index in it."""
        with self._lock:
            try:
                new = src.beyond(tab, up)
            except Mismatch:
                new = tab  # the zone disagrees with its TZif file: probe from now on
                self.source = Probe(self.zone, tab.hi or CEIL, _PROBED)
                self.windows.clear()
                raise
        if k:
            return new, bisect_right(new.trans, tab.trans[k - 1])
        return new, bisect_right(new.trans, MIN if tab.lo is None else tab.lo - REACH)


def _near(tab: Table, u: datetime, far: timedelta) -> bool:
    """Whether ``u`` is known to ``tab`` or at most ``far`` past either end of it."""
    if u < tab.below:
        return tab.below - u <= far
    return u < tab.above or u - tab.above <= far


_cache: dict[int, Timeline] = {}
_CACHE_SIZE = 128


def timeline(zone: tzinfo, u: datetime) -> Timeline:
    """The zone's timeline, cached by identity (dateutil zones are unhashable)."""
    tl = _cache.get(id(zone))
    if tl is None or tl.zone is not zone:
        tl = Timeline(zone, u)
        if len(_cache) >= _CACHE_SIZE:
            _cache.pop(next(iter(_cache)))  # the oldest
        _cache[id(zone)] = tl
    return tl
