"""Time zones: resolving names, the local zone, and where offsets change.

STUB: the zones work replaces this module's bodies; the signatures are the seam.
"""

from __future__ import annotations

from datetime import datetime, tzinfo


def resolve_zone(tz: tzinfo | str) -> tzinfo:
    """Return the tzinfo for ``tz``: a tzinfo as is, or an IANA name looked up."""
    if isinstance(tz, str):
        from zoneinfo import ZoneInfo

        return ZoneInfo(tz)
    return tz


def local_zone() -> tzinfo:
    """The system's local zone, with its DST rules where they can be found."""
    zone = datetime.now().astimezone().tzinfo
    assert zone is not None
    return zone
