"""Time zones: resolving a ``tz`` argument, and the system's local zone.

Where a zone's offset changes (what the aware search walks) is in ``_segments``.
"""

from __future__ import annotations

import os
import zoneinfo
from datetime import datetime, timezone, tzinfo


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
