"""The schedule seam: what the timetable asks of "when does this job fire".

A cron expression, a fixed rate, a fixed delay and a one-off instant are all
schedules behind this one small interface, so adding another kind is one new
class, not another branch in the timer. Schedules are immutable values.
"""

from __future__ import annotations

from datetime import datetime, timezone, tzinfo
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from ._expr import CronExpr

__all__ = ["CronSchedule", "Schedule", "as_schedule"]

UTC = timezone.utc


@runtime_checkable
class Schedule(Protocol):
    """When a job fires: instants strictly after or before a moment, and an identity."""

    @property
    def key(self) -> str:
        """Identity shared across processes: equal keys fire at the same instants."""
        ...

    def next_after(self, t: datetime) -> datetime | None:
        """The first instant strictly after the aware ``t``, or None when there is none.

        The instant is aware (in the schedule's own zone, if it has one).
        """
        ...

    def prev_before(self, t: datetime) -> datetime | None:
        """The last instant strictly before the aware ``t``, or None."""
        ...

    def after_run(self, ended: datetime) -> datetime | None:
        """For schedules that count from the end of a run (fixed delay): the next instant.

        Every other schedule returns None: its instants do not depend on runs.
        """
        ...

    def describe(self) -> str:
        """A short English description, for logs and the console."""
        ...


class CronSchedule:
    """A `CronExpr` bound to a zone, as a schedule."""

    __slots__ = ("_period", "expr")

    def __init__(self, expr: CronExpr) -> None:
        self.expr = expr
        self._period: tuple[int, int] | bool | None = False  # False: not worked out yet

    @property
    def key(self) -> str:
        zone = self.expr.tz
        return f"cron:{self.expr.text}@{zone}"

    def next_after(self, t: datetime) -> datetime | None:
        try:
            return self.expr.next(t)
        except OverflowError:
            return None

    def prev_before(self, t: datetime) -> datetime | None:
        try:
            return self.expr.prev(t)
        except OverflowError:
            return None

    def after_run(self, ended: datetime) -> datetime | None:
        return None

    def count_between(self, a: datetime, b: datetime) -> int:
        """Instants in (a, b], by arithmetic where it can (a bounded walk otherwise)."""
        if self._period is False:
            self._period = _periodic(self.expr)
        if isinstance(self._period, tuple):  # equally spaced: a division
            period, residue = self._period
            low, high = _whole(a), _whole(b)
            return (high - residue) // period - (low - residue) // period
        from ._count import cron_count_between

        counted = cron_count_between(self.expr, a, b, 100_000)
        if counted is None:
            raise ValueError("too many instants to count")
        return counted

    def prepare(self) -> None:
        """Build what counting needs now (a job's add), not at the first clock step."""
        self._period = _periodic(self.expr)
        if self._period is None:
            from ._count import prepare

            prepare(self.expr)

    def describe(self) -> str:
        return self.expr.describe()

    def __repr__(self) -> str:
        return f"CronSchedule({self.expr!r})"


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_DAY = 86_400


def _whole(t: datetime) -> int:
    """The whole seconds since the epoch at or before the aware ``t``."""
    delta = t - _EPOCH
    return delta.days * _DAY + delta.seconds


def _fixed_offset(zone: tzinfo) -> int | None:
    """The zone's UTC offset in seconds when it never changes (UTC, Etc/*, fixed), else None."""
    key = str(getattr(zone, "key", "") or "")
    if not (isinstance(zone, timezone) or key == "UTC" or key.startswith("Etc/")):
        return None
    offset = zone.utcoffset(datetime(2000, 1, 1))
    return None if offset is None else int(offset.total_seconds())


def _periodic(expr: CronExpr) -> tuple[int, int] | None:
    """``(period, residue)`` when the instants are equally spaced in real time, else None.

    So when every day fires (no day, month, weekday or year restriction), the
    times of day form one arithmetic progression whose step divides a day,
    and the zone's offset never changes: then the instants are exactly the
    epoch seconds ``t`` with ``t % period == residue`` (``* * * * * *``,
    ``*/5 * * * * *``, ``0 */15 * * * *``, ``0 0 * * * *``, ...).
    """
    zone = expr.tz
    offset = _fixed_offset(zone) if zone is not None else None
    if offset is None:
        return None
    f = expr.fields
    if (
        f.years is not None
        or f.day_items
        or f.weekday_items
        or len(f.days) != 31
        or len(f.months) != 12
        or len(f.weekdays) != 7
    ):
        return None
    size = len(f.hours) * len(f.minutes) * len(f.seconds)
    if _DAY % size:
        return None
    period = _DAY // size
    # Every time of day h:m:s must be the first one plus a multiple of the period:
    # each field's contribution must leave one residue (then the sizes make it whole).
    residue = 0
    for values, unit in ((f.hours, 3600), (f.minutes, 60), (f.seconds, 1)):
        found = {v * unit % period for v in values}
        if len(found) != 1:
            return None
        residue += found.pop()
    return period, (residue - offset) % period


def as_schedule(expr: object, zone: tzinfo | None) -> Schedule:
    """``expr`` as a schedule: a cron text or `CronExpr` bound to ``zone``, or a schedule."""
    from ._expr import CronExpr

    if isinstance(expr, str):
        return CronSchedule(CronExpr(expr, tz=zone))
    if isinstance(expr, CronExpr):
        if expr.tz is not None:
            return CronSchedule(expr)
        return CronSchedule(CronExpr(expr.text, tz=zone))
    if isinstance(expr, Schedule):
        return expr
    raise TypeError(
        "expr must be a cron expression (str or CronExpr) or a schedule such as "
        f"Interval(seconds=2), got {type(expr).__name__}"
    )
