"""Time zones: resolving a ``tz`` argument, the system's local zone, and what a
zone's own data say about where its UTC offset changes.

Those data are claims: ``_segments`` checks each one against the zone's own
``fromutc`` before a search uses it, and probes zones that have none.
"""

from __future__ import annotations

import os
import sys
import zoneinfo
from bisect import bisect_right
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Protocol

from . import _tzif

Change = tuple[datetime, timedelta]  # from this UTC instant (naive) on, this offset
EPOCH = datetime(1970, 1, 1)


def resolve_zone(tz: tzinfo | str) -> tzinfo:
    """Return the tzinfo for ``tz``: a tzinfo as is, or an IANA name looked up."""
    if isinstance(tz, tzinfo):
        return tz
    if not isinstance(tz, str):
        raise TypeError(f"tz must be a tzinfo or an IANA zone name, not {type(tz).__name__}")
    try:
        return zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        where = ", ".join(zoneinfo.TZPATH) or "(empty TZPATH)"
        raise ValueError(
            f"unknown time zone {tz!r}: no zone data for it in {where}"
            " or in the tzdata package (pip install tzdata)"
        ) from None


_local: dict[str | None, tzinfo] = {}


def local_zone() -> tzinfo:
    """The system's local zone, with its DST rules where they can be found.

    TZ first (an IANA name or a TZif path), then /etc/localtime (its symlink's
    IANA key, else the file itself), then /etc/timezone; last, the current fixed
    offset, which knows no DST.
    """
    env = os.environ.get("TZ")
    zone = _local.get(env)
    if zone is None:
        zone = _find_local(env)
        _local[env] = zone
    return zone


def _find_local(env: str | None) -> tzinfo:
    if env is not None and not env.strip(" :"):
        return timezone.utc  # POSIX: TZ set but empty is UTC
    if env:
        name = env[1:] if env.startswith(":") else env
        if os.path.isabs(name):
            zone = _from_file(name)
            if zone is not None:
                return zone
        else:
            try:
                return zoneinfo.ZoneInfo(name)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
                pass
    else:
        path = "/etc/localtime"
        real = os.path.realpath(path)
        if "/zoneinfo/" in real:
            key = real.split("/zoneinfo/", 1)[1]
            try:
                return zoneinfo.ZoneInfo(key)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
                pass
        zone = _from_file(path)
        if zone is not None:
            return zone
        try:
            with open("/etc/timezone", encoding="utf-8") as f:
                return zoneinfo.ZoneInfo(f.read().strip())
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
            pass
    fixed = datetime.now().astimezone().tzinfo
    assert fixed is not None
    return fixed


def _from_file(path: str) -> tzinfo | None:
    try:
        with open(path, "rb") as f:
            return zoneinfo.ZoneInfo.from_file(f, key=path)
    except (ValueError, OSError):
        return None


class Claims(Protocol):
    """A zone's changes as its data list them: ``between(a, b)`` gives those in ``(a, b]``.

    A claimed change may be a no-op (the offset it names already holds).
    """

    def between(self, a: datetime, b: datetime) -> list[Change]: ...


class TzifClaims:
    """A TZif file's transitions, then its footer rule, per UTC year, as zoneinfo reads them.

    With ``two`` (standard, daylight offsets in seconds), each change claims
    the one of the two that its type's DST flag picks: what dateutil's
    ``tzlocal`` shows of the system's zone.
    """

    def __init__(self, data: _tzif.Tzif, two: tuple[int, int] | None = None) -> None:
        self.data, self.two = data, two
        self.last = data.trans[-1] if data.trans else None  # the rule holds after it

    def between(self, a: datetime, b: datetime) -> list[Change]:
        ta, tb = (a - EPOCH) // _SECOND, (b - EPOCH) // _SECOND
        data, last, rule = self.data, self.last, self.data.rule
        i, j = bisect_right(data.trans, ta), bisect_right(data.trans, tb)
        found = [(data.trans[k], data.offsets[k], data.dst[k]) for k in range(i, j)]
        if rule is not None and (last is None or tb > last):
            start = ta if last is None else max(ta, last)
            points = [last + 1] if last is not None and ta < last + 1 <= tb else []
            for year in range(_year(start + 1), _year(tb) + 1):
                points += [p for p in rule.points(year) if start < p <= tb]
            for p in points:
                off = rule.offset_at(p, _year(p))
                found.append((p, off, off == rule.dst))
        two = self.two
        return [
            (EPOCH + ts * _SECOND, (off if two is None else two[dst]) * _SECOND)
            for ts, off, dst in found
        ]


class TzfileClaims:
    """dateutil's ``tzfile``: the transitions it read (32-bit data, no footer), as it uses them.

    At and after its last transition dateutil gives its standard type: no DST
    after 2037 for most zones.
    """

    def __init__(self, trans: list[int], offsets: list[int]) -> None:
        self.trans, self.offsets = trans, offsets

    def between(self, a: datetime, b: datetime) -> list[Change]:
        ta, tb = (a - EPOCH) // _SECOND, (b - EPOCH) // _SECOND
        i, j = bisect_right(self.trans, ta), bisect_right(self.trans, tb)
        return [(EPOCH + self.trans[k] * _SECOND, self.offsets[k] * _SECOND) for k in range(i, j)]


class RangeClaims:
    """dateutil's ``tzrange``/``tzstr``: two changes a year, from ``transitions(year)``.

    dateutil evaluates them per UTC year, both shifted by the standard offset.
    """

    def __init__(self, zone: tzinfo, std: timedelta, dst: timedelta) -> None:
        self.zone, self.std, self.dst = zone, std, dst

    def between(self, a: datetime, b: datetime) -> list[Change]:
        found: list[Change] = []
        for year in range(a.year, b.year + 1):
            on, off = self.zone.transitions(year)  # type: ignore[attr-defined]
            on, off = on - self.std, off - self.std
            y0 = datetime(year, 1, 1)
            isdst = on <= y0 < off if on < off else not off <= y0 < on
            points = [(y0, self.dst if isdst else self.std), (on, self.dst), (off, self.std)]
            found += sorted(p for p in points if p[0].year == year and a < p[0] <= b)
        return found


_SECOND = timedelta(seconds=1)


def _tzif_of(key: str | None) -> _tzif.Tzif | None:
    """The TZif data of a zoneinfo key (or of the file a key that is a path names),
    where it has any changes at all."""
    if not key:
        return None
    if os.path.isabs(key):
        try:
            with open(key, "rb") as f:
                raw: bytes | None = f.read()
        except OSError:
            return None
    else:
        raw = _tzif.read_key(key)
    data = _tzif.parse_tzif(raw) if raw is not None else None
    if data is None or not (data.trans or (data.rule and data.rule.dst is not None)):
        return None
    return data


def _year(ts: int) -> int:
    return (EPOCH + ts * _SECOND).year


def claims_of(zone: tzinfo) -> Claims | None:
    """What the zone's own data claim about its changes; None: it has no such data."""
    if isinstance(zone, zoneinfo.ZoneInfo):
        data = _tzif_of(zone.key)
        return None if data is None else TzifClaims(data)
    du = sys.modules.get("dateutil.tz")  # a dateutil zone is made only once it is imported
    if du is None:
        return None
    try:
        if isinstance(zone, du.tzlocal) and zone._hasdst:
            # dateutil asks the C library, which reads the zone local_zone() finds
            local = local_zone()
            data = _tzif_of(getattr(local, "key", None))
            two = (zone._std_offset // _SECOND, zone._dst_offset // _SECOND)
            return None if data is None else TzifClaims(data, two)
        if isinstance(zone, du.tzfile) and len(zone._trans_list_utc) > 1:
            trans = [int(t) for t in zone._trans_list_utc]
            types = [tti.offset for tti in zone._trans_idx[: len(trans) - 1]]
            return TzfileClaims(trans, [*types, zone._ttinfo_std.offset])
        if isinstance(zone, du.tzrangebase) and zone.hasdst:
            return RangeClaims(zone, zone._std_offset, zone._dst_offset)
    except (AttributeError, TypeError):  # not the dateutil this was written for
        pass
    return None
