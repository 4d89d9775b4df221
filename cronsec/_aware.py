"""Fire times for aware datetimes: the naive search mapped onto real instants.

STUB: handles fixed-offset zones only; the zones work replaces it with SPEC section 4.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._expr import CronExpr


def next_fire(expr: CronExpr, t: datetime, zone: tzinfo) -> datetime:
    """Earliest fire instant strictly after the aware ``t``, as an aware datetime in ``zone``."""
    local = t.astimezone(zone)
    return expr._naive_next(local.replace(tzinfo=None)).replace(tzinfo=zone)


def prev_fire(expr: CronExpr, t: datetime, zone: tzinfo) -> datetime:
    """Latest fire instant strictly before the aware ``t``, as an aware datetime in ``zone``."""
    local = t.astimezone(zone)
    return expr._naive_prev(local.replace(tzinfo=None)).replace(tzinfo=zone)
