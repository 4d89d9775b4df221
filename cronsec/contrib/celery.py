"""``cronsec_schedule``: any cronsec expression as a Celery beat schedule, to the second.

Needs the extra ``cronsec[celery]`` (Celery 5.3 or later). Use it in
``beat_schedule`` where a ``crontab()`` would go:

    >>> from celery import Celery
    >>> from cronsec.contrib.celery import cronsec_schedule
    >>> app = Celery("myapp")
    >>> app.conf.beat_schedule = {
    ...     "refresh": {
    ...         "task": "myapp.tasks.refresh",
    ...         "schedule": cronsec_schedule("*/10 * * * * mon-fri", tz="Europe/Riga"),
    ...     },
    ... }
    >>> app.conf.beat_schedule["refresh"]["schedule"]
    <cronsec_schedule: */10 * * * * mon-fri (Europe/Riga)>
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any, Callable

try:
    from celery.schedules import BaseSchedule, schedstate  # type: ignore[import-untyped]
except ImportError as err:  # pragma: no cover - exercised by installing without the extra
    raise ImportError('cronsec.contrib.celery needs Celery: pip install "cronsec[celery]"') from err

from .._expr import CronExpr
from . import text_and_zone, zone_name, zone_of

__all__ = ["cronsec_schedule"]

UTC = timezone.utc
_NEVER = timedelta(days=365 * 1000)  # "not in this millennium": beat caps its sleep anyway


class cronsec_schedule(BaseSchedule):  # type: ignore[misc]
    """A Celery beat schedule that is due at the fire times of a cronsec expression.

    Any expression `CronExpr` accepts, with seconds: ``cronsec_schedule("*/5 * * * * *")``
    is due every 5 seconds on the second. Exact across DST: a time skipped by a
    spring-forward gap is due once at the end of the gap; in a repeated hour a
    clock time is due once, an every-hour expression in both copies.

    ``tz`` is a tzinfo or an IANA name; without one the schedule follows the
    app's ``timezone`` setting, as ``crontab`` does. ``nowfun`` replaces the
    app's clock (for tests). Equal schedules compare equal; a schedule pickles
    (beat keeps its schedule in a shelve file) without its ``app`` and ``nowfun``.

    Beat sleeps at most ``beat_max_loop_interval`` between checks, so a new or
    changed schedule takes that long to be seen; between fires each check says
    exactly how long to sleep. Fires missed while beat was not running are due
    once, when it starts; with ``beat_cron_starting_deadline`` set, only when the
    latest of them is no older than that many seconds (as for ``crontab``).

        >>> from datetime import datetime, timezone
        >>> now = datetime(2026, 3, 8, 6, 59, 59, tzinfo=timezone.utc)  # 01:59:59 EST
        >>> s = cronsec_schedule("0 30 2 * * *", tz="America/New_York", nowfun=lambda: now)
        >>> s
        <cronsec_schedule: 0 30 2 * * * (America/New_York)>
        >>> s.remaining_estimate(datetime(2026, 3, 7, 12, 0, tzinfo=timezone.utc))
        datetime.timedelta(seconds=1)
        >>> s.is_due(datetime(2026, 3, 7, 12, 0, tzinfo=timezone.utc))
        schedstate(is_due=False, next=1.0)

    02:30 does not exist in New York that night: the fire is at 03:00 EDT,
    one second after 01:59:59 EST.
    """

    def __init__(
        self,
        expr: str | CronExpr,
        tz: tzinfo | str | None = None,
        app: Any = None,
        *,
        nowfun: Callable[[], datetime] | None = None,
    ) -> None:
        text, zone = text_and_zone(expr, tz)
        self._expr = CronExpr(text, tz=zone)  # checks the text now, not at the first beat
        self._zone = zone
        super().__init__(nowfun=nowfun, app=app)

    @property
    def expr(self) -> CronExpr:
        """The expression, bound to the schedule's zone."""
        return self._expr if self._zone is not None else CronExpr(self._expr.text, tz=self.tz)

    @property
    def tz(self) -> tzinfo:
        """The zone the expression is read in: ``tz``, else the app's ``timezone``."""
        return self._zone if self._zone is not None else zone_of(self.app.timezone)  # type: ignore[return-value]

    def remaining_estimate(self, last_run_at: datetime) -> timedelta:
        """Time from now to the first fire time after ``last_run_at`` (negative when past).

        A naive ``last_run_at`` is read as UTC, as Celery does. When the expression
        never fires again (its years have passed) the estimate is a thousand years.
        """
        following = self._next_after(self._aware(last_run_at))
        if following is None:
            return _NEVER
        return following - self._now()

    def is_due(self, last_run_at: datetime) -> tuple[bool, float]:
        """``(is_due, next_time_to_check)``: due when a fire time after ``last_run_at`` has
        come; the next check is the number of seconds to the next fire time not yet due.
        """
        now = self._now()
        due_at = self._next_after(self._aware(last_run_at))
        if due_at is None:
            return _state(False, _NEVER.total_seconds())
        if due_at > now:
            return _state(False, (due_at - now).total_seconds())
        due = not self._too_late(now)
        following = self._next_after(now)
        wait = _NEVER if following is None else following - now
        return _state(due, wait.total_seconds())

    def _too_late(self, now: datetime) -> bool:
        """beat_cron_starting_deadline: the latest missed fire is older than it allows."""
        deadline = self.app.conf.beat_cron_starting_deadline
        if deadline is None:
            return False
        try:
            latest = self.expr.prev(now + timedelta(microseconds=1)).astimezone(UTC)
        except OverflowError:
            return True
        return now - latest > timedelta(seconds=deadline)

    def _next_after(self, t: datetime) -> datetime | None:
        """The first fire time after ``t``, in UTC (so subtraction is between instants)."""
        try:
            return self.expr.next(t).astimezone(UTC)
        except OverflowError:
            return None

    def _aware(self, t: datetime) -> datetime:
        return self.maybe_make_aware(t).astimezone(UTC)  # type: ignore[no-any-return]

    def _now(self) -> datetime:
        return self._aware(self.now())

    def __reduce__(self) -> tuple[Any, ...]:
        return (self.__class__, (self._expr.text, self._zone_arg()))

    def _zone_arg(self) -> tzinfo | str | None:
        key = getattr(self._zone, "key", None)
        return key if isinstance(key, str) else self._zone

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, cronsec_schedule):
            return NotImplemented
        return (
            self._expr == other._expr
            and (self._zone is None) == (other._zone is None)
            and self.nowfun == other.nowfun
        )

    def __hash__(self) -> int:
        return hash((self._expr, self._zone is None))

    def __repr__(self) -> str:
        where = "app timezone" if self._zone is None else zone_name(self._zone)
        return f"<cronsec_schedule: {self._expr.text} ({where})>"


def _state(due: bool, next_check: float) -> tuple[bool, float]:
    """Celery's ``schedstate`` named tuple: (is_due, seconds to the next check)."""
    state: tuple[bool, float] = schedstate(due, next_check)
    return state
