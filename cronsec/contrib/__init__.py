"""cronsec inside the schedulers people already run.

- ``cronsec.contrib.apscheduler``: ``CronsecTrigger``, an APScheduler 3 trigger
  (extra ``cronsec[apscheduler]``);
- ``cronsec.contrib.celery``: ``cronsec_schedule``, a Celery beat schedule
  (extra ``cronsec[celery]``).

Importing this package imports neither APScheduler nor Celery; each module
imports its scheduler when it is imported itself.
"""

from __future__ import annotations

from datetime import tzinfo
from typing import TYPE_CHECKING

from .. import _zones

if TYPE_CHECKING:
    from .._expr import CronExpr

__all__: list[str] = []


def zone_of(tz: tzinfo | str | None) -> tzinfo | None:
    """Resolve a zone argument as both schedulers accept it: a tzinfo, an IANA name or None.

    A pytz zone (which cronsec cannot search: its offsets change through
    ``localize``, not ``utcoffset``) is replaced by the ``zoneinfo`` zone of the same name.
    """
    if tz is None:
        return None
    if type(tz).__module__.startswith("pytz") and isinstance(getattr(tz, "zone", None), str):
        return _zones.resolve_zone(tz.zone)  # type: ignore[union-attr]
    return _zones.resolve_zone(tz)


def text_and_zone(expr: str | CronExpr, tz: tzinfo | str | None) -> tuple[str, tzinfo | None]:
    """An expression's text and zone: ``tz`` when given, else a CronExpr's own zone."""
    from .._expr import CronExpr

    if isinstance(expr, CronExpr):
        return expr.text, zone_of(tz) if tz is not None else expr.tz
    return expr, zone_of(tz)


def zone_name(tz: tzinfo | None) -> str:
    """A zone's IANA name where it has one, else its str()."""
    key = getattr(tz, "key", None) or getattr(tz, "zone", None)
    return key if isinstance(key, str) else str(tz)
