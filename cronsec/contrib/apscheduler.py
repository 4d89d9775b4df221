"""``CronsecTrigger``: any cronsec expression as an APScheduler 3 trigger.

Needs the extra ``cronsec[apscheduler]`` (APScheduler 3.10 or later, before 4).
Give it to ``add_job`` where a ``CronTrigger`` would go:

    >>> from apscheduler.schedulers.background import BackgroundScheduler
    >>> from cronsec.contrib.apscheduler import CronsecTrigger
    >>> scheduler = BackgroundScheduler(timezone="Europe/Riga")
    >>> trigger = CronsecTrigger("*/10 * * * * mon-fri", timezone="Europe/Riga")
    >>> job = scheduler.add_job(print, trigger)
    >>> job.trigger
    CronsecTrigger('*/10 * * * * mon-fri', timezone='Europe/Riga')

then ``scheduler.start()`` as usual.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any

try:
    from apscheduler.triggers.base import BaseTrigger  # type: ignore[import-untyped]
except ImportError as err:  # pragma: no cover - exercised by installing without the extra
    raise ImportError(
        'cronsec.contrib.apscheduler needs APScheduler 3: pip install "cronsec[apscheduler]"'
    ) from err

from .. import _zones
from .._expr import CronExpr
from . import text_and_zone, zone_name

__all__ = ["CronsecTrigger"]

_STATE_VERSION = 1
_TICK = timedelta(microseconds=1)


class CronsecTrigger(BaseTrigger):  # type: ignore[misc]
    """An APScheduler 3 trigger that fires at the times of a cronsec expression.

    Any expression `CronExpr` accepts: six fields with seconds, five
    (second 0), a seventh for the year, macros, ``L``, ``W``, ``#``. Fire times
    are exact across DST: a time skipped by a spring-forward gap fires once
    at the end of the gap, a repeated hour fires once (every-hour
    expressions fire in both), as `CronExpr` computes them.

    ``timezone`` is a tzinfo or an IANA name; without one the trigger uses the
    system's local zone, as APScheduler's own ``CronTrigger`` does. The trigger
    is immutable and pickles (APScheduler's persistent job stores pickle
    triggers).

        >>> from datetime import datetime, timezone
        >>> trigger = CronsecTrigger("0 30 2 * * *", timezone="America/New_York")
        >>> trigger
        CronsecTrigger('0 30 2 * * *', timezone='America/New_York')
        >>> now = datetime(2026, 3, 7, 12, 0, tzinfo=timezone.utc)
        >>> first = trigger.get_next_fire_time(None, now)
        >>> first.isoformat()
        '2026-03-08T03:00:00-04:00'
        >>> trigger.get_next_fire_time(first, now).isoformat()
        '2026-03-09T02:30:00-04:00'

    The first fire on 2026-03-08 is 03:00 EDT: 02:30 does not exist that
    night, so it runs once at the end of the gap.
    """

    __slots__ = ("_expr",)

    _expr: CronExpr

    def __init__(self, expr: str | CronExpr, timezone: tzinfo | str | None = None) -> None:
        text, zone = text_and_zone(expr, timezone)
        self._expr = CronExpr(text, tz=zone if zone is not None else _zones.local_zone())

    @property
    def expr(self) -> CronExpr:
        """The expression, bound to the trigger's zone."""
        return self._expr

    @property
    def timezone(self) -> tzinfo:
        """The zone the expression is read in."""
        zone = self._expr.tz
        assert zone is not None
        return zone

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        """The next fire time: the first one after ``previous_fire_time``, if given, else the
        first at or after ``now``; None when the expression never fires again (its years have
        passed).

        APScheduler passes aware datetimes in any zone; the result is in the trigger's
        zone. After a previous fire it may be before ``now``: the scheduler's
        ``misfire_grace_time`` and ``coalesce`` decide what a late fire does, as for
        ``CronTrigger``.
        """
        try:
            if previous_fire_time is not None:
                return self._expr.next(_aware(previous_fire_time, "previous_fire_time"))
            # At or after now: strictly after the microsecond before, on the UTC time line
            # (wall-clock arithmetic would be wrong inside a repeated hour).
            start = _aware(now, "now").astimezone(timezone.utc)
            return self._expr.next(start - _TICK)
        except OverflowError:
            return None

    def __getstate__(self) -> dict[str, Any]:
        zone = self._expr.tz
        key = getattr(zone, "key", None)
        return {
            "version": _STATE_VERSION,
            "expr": self._expr.text,
            # A ZoneInfo pickles by key anyway; other tzinfos pickle as themselves.
            "timezone": key if isinstance(key, str) else zone,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        if state.get("version", 1) > _STATE_VERSION:
            raise ValueError(
                f"CronsecTrigger state of version {state['version']}: this cronsec reads "
                f"only versions up to {_STATE_VERSION} (upgrade cronsec)"
            )
        self._expr = CronExpr(state["expr"], tz=state["timezone"])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CronsecTrigger):
            return NotImplemented
        return self._expr == other._expr

    def __hash__(self) -> int:
        return hash(self._expr)

    def __str__(self) -> str:
        return f"cronsec[{self._expr.text}]"

    def __repr__(self) -> str:
        return f"CronsecTrigger({self._expr.text!r}, timezone={zone_name(self._expr.tz)!r})"


def _aware(t: datetime, name: str) -> datetime:
    if not isinstance(t, datetime):
        raise TypeError(f"{name} must be a datetime, not {type(t).__name__}")
    if t.utcoffset() is None:
        raise TypeError(
            f"{name} must be an aware datetime (APScheduler passes aware ones); got {t!r}"
        )
    return t
