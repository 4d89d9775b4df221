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

    __slots__ = ("expr",)

    def __init__(self, expr: CronExpr) -> None:
        self.expr = expr

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
        from ._count import cron_count_between

        counted = cron_count_between(self.expr, a, b, 100_000)
        if counted is None:
            raise ValueError("too many instants to count")
        return counted

    def prepare(self) -> None:
        """Build what counting needs now (a job's add), not at the first clock step."""
        from ._count import prepare

        prepare(self.expr)

    def describe(self) -> str:
        return self.expr.describe()

    def __repr__(self) -> str:
        return f"CronSchedule({self.expr!r})"


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
