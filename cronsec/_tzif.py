"""Where an IANA zone's UTC offset changes, read from its TZif data.

Offsets here are seconds east of UTC and instants are seconds since
1970-01-01 UTC: plain ints, so the far past and the year 9999 cost nothing.
The TZif transitions cover the zone's history; after the last one, the POSIX
TZ string in the file's footer rules, evaluated exactly as ``zoneinfo`` does
(per UTC year). ``_zones`` checks every offset found here against the tzinfo
itself before trusting it.
"""

from __future__ import annotations

import calendar
import os
import re
import struct
import zoneinfo

# zoneinfo's own epoch arithmetic: days from 0001-01-01 to 1970-01-01.
_EPOCH_ORD = 719163


def read_key(key: str) -> bytes | None:
    """The TZif bytes for ``key``, looked up where zoneinfo looks: TZPATH, then tzdata."""
    parts = key.split("/")
    if not key or key.startswith("/") or any(p in ("", ".", "..") for p in parts):
        return None
    for base in zoneinfo.TZPATH:
        path = os.path.join(base, *parts)
        if os.path.isfile(path):
            try:
                with open(path, "rb") as f:
                    return f.read()
            except OSError:
                return None
    try:
        from importlib import resources

        node = resources.files("tzdata.zoneinfo")
        for p in parts:
            node = node.joinpath(p)
        return node.read_bytes()
    except Exception:  # no tzdata package, or no such zone in it
        return None


class Tzif:
    """A zone's explicit transitions and the rule that follows them."""

    __slots__ = ("dst", "offsets", "rule", "trans")

    def __init__(
        self, trans: list[int], offsets: list[int], dst: list[bool], rule: PosixRule | None
    ) -> None:
        self.trans = trans  # UTC seconds, increasing
        self.offsets = offsets  # offsets[i] is in force from trans[i]
        self.dst = dst  # dst[i]: that offset is daylight saving time
        self.rule = rule  # after trans[-1] (or always, without transitions)


def parse_tzif(data: bytes) -> Tzif | None:
    """Parse version 2+ TZif data (64-bit section and footer); None if unusable."""
    if len(data) < 44 or data[:4] != b"TZif" or data[4:5] < b"2":
        return None
    try:
        counts = struct.unpack(">6l", data[20:44])
        isutc, isstd, leap, timecnt, typecnt, charcnt = counts
        v1 = timecnt * 5 + typecnt * 6 + charcnt + leap * 8 + isstd + isutc
        pos = 44 + v1
        if data[pos : pos + 4] != b"TZif":
            return None
        isutc, isstd, leap, timecnt, typecnt, charcnt = struct.unpack(
            ">6l", data[pos + 20 : pos + 44]
        )
        if leap:  # "right/" zones count leap seconds; zoneinfo does not
            return None
        pos += 44
        trans = list(struct.unpack(f">{timecnt}q", data[pos : pos + 8 * timecnt]))
        pos += 8 * timecnt
        idx = data[pos : pos + timecnt]
        pos += timecnt
        types = [struct.unpack(">lBB", data[p : p + 6]) for p in range(pos, pos + 6 * typecnt, 6)]
        pos += 6 * typecnt + charcnt + leap * 12 + isstd + isutc
        offsets = [types[i][0] for i in idx]
        dst = [bool(types[i][1]) for i in idx]
        footer = data[pos:].strip(b"\n").decode("ascii")
    except (struct.error, IndexError, UnicodeDecodeError):
        return None
    rule = parse_posix(footer) if footer else None
    if footer and rule is None:
        return None
    return Tzif(trans, offsets, dst, rule)


_Day = tuple[str, int, int, int, int]  # (kind "J" | "n" | "M", a, b, c, seconds)

_OFFSET = r"[+-]?\d{1,3}(?::\d{2}(?::\d{2})?)?"
_NAME = r"(?:[^<0-9:.,+-]+|<[A-Za-z0-9+-]+>)"
_TZSTR = re.compile(
    rf"(?P<std>{_NAME})(?P<stdoff>{_OFFSET})"
    rf"(?:(?P<dst>{_NAME})(?P<dstoff>{_OFFSET})?,(?P<start>[^,]+),(?P<end>[^,]+))?",
    re.ASCII,
)
_DATE = re.compile(r"(?:J(\d{1,3})|(\d{1,3})|M(\d{1,2})\.(\d)\.(\d))(?:/(.+))?", re.ASCII)


def _seconds(text: str) -> int:
    """``[+-]hh[:mm[:ss]]`` as signed seconds."""
    sign = -1 if text.startswith("-") else 1
    parts = [int(p) for p in text.lstrip("+-").split(":")] + [0, 0]
    return sign * (parts[0] * 3600 + parts[1] * 60 + parts[2])


def _parse_day(text: str) -> _Day | None:
    m = _DATE.fullmatch(text)
    if m is None:
        return None
    secs = _seconds(m.group(6)) if m.group(6) else 7200
    if abs(secs) > 167 * 3600:
        return None
    if m.group(1):
        return ("J", int(m.group(1)), 0, 0, secs) if 1 <= int(m.group(1)) <= 365 else None
    if m.group(2):
        return ("n", int(m.group(2)), 0, 0, secs) if int(m.group(2)) <= 365 else None
    month, week, day = int(m.group(3)), int(m.group(4)), int(m.group(5))
    if not (1 <= month <= 12 and 1 <= week <= 5 and day <= 6):
        return None
    return ("M", month, week, day, secs)


def parse_posix(text: str) -> PosixRule | None:
    """Parse a TZ footer such as ``EST5EDT,M3.2.0,M11.1.0``; None if not understood."""
    m = _TZSTR.fullmatch(text)
    if m is None:
        return None
    std = -_seconds(m.group("stdoff"))  # POSIX offsets count west of UTC
    if m.group("dst") is None:
        return PosixRule(std, None, None, None)
    dst = -_seconds(m.group("dstoff")) if m.group("dstoff") else std + 3600
    start, end = _parse_day(m.group("start")), _parse_day(m.group("end"))
    if start is None or end is None:
        return None
    return PosixRule(std, dst, start, end)


def _day_epoch(day: _Day, year: int) -> int:
    """Local seconds (since the epoch, no offset applied) of a rule date in ``year``."""
    kind, a, b, c, secs = day
    days = (year - 1) * 365 + (year - 1) // 4 - (year - 1) // 100 + (year - 1) // 400
    days -= _EPOCH_ORD - 1
    if kind == "J":  # 1..365, February 29 never counted
        days += a - 1 + (1 if a >= 60 and calendar.isleap(year) else 0)
    elif kind == "n":
        days += a
    else:  # Mm.w.d: day d of week w (5 = last) of month m
        first, length = calendar.monthrange(year, a)
        mday = (c - (first + 1)) % 7 + 1 + (b - 1) * 7
        if mday > length:
            mday -= 7
        days += sum(calendar.monthrange(year, mm)[1] for mm in range(1, a)) + mday - 1
    return days * 86400 + secs


class PosixRule:
    """A POSIX TZ rule, evaluated per UTC year as zoneinfo evaluates it."""

    __slots__ = ("dst", "end", "start", "std")

    def __init__(self, std: int, dst: int | None, start: _Day | None, end: _Day | None) -> None:
        self.std, self.dst, self.start, self.end = std, dst, start, end

    def _bounds(self, year: int) -> tuple[int, int]:
        assert self.start is not None and self.end is not None and self.dst is not None
        return (
            _day_epoch(self.start, year) - self.std,
            _day_epoch(self.end, year) - self.dst,
        )

    def offset_at(self, ts: int, year: int) -> int:
        """The offset at UTC second ``ts``, which lies in UTC ``year``."""
        if self.dst is None:
            return self.std
        start, end = self._bounds(year)
        isdst = start <= ts < end if start < end else not end <= ts < start
        return self.dst if isdst else self.std

    def points(self, year: int) -> list[int]:
        """UTC seconds in ``year`` where the offset may change: Jan 1 and the rule dates."""
        y0 = year_start(year)
        if self.dst is None:
            return [y0]
        y1 = year_start(year + 1)
        return sorted({y0, *(p for p in self._bounds(year) if y0 < p < y1)})


def year_start(year: int) -> int:
    """UTC seconds of January 1 of ``year``."""
    return _day_epoch(("n", 0, 0, 0, 0), year)
