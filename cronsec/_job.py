"""A registered callable: its schedule, its options, its counters and its recent runs."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable, Protocol

from ._fire import fire_time
from ._options import JobOptions
from ._runs import Run, RunLog
from ._schedule import CronSchedule, Schedule
from ._stats import JobStats, Lateness

if TYPE_CHECKING:
    from ._expr import CronExpr

__all__ = ["Job", "Lateness", "fire_time"]


class _Owner(Protocol):
    """What a job asks of the scheduler that holds it."""

    def _pause(self, job: Job) -> None: ...
    def _resume(self, job: Job) -> None: ...
    def _remove(self, job: Job) -> None: ...
    def _run_now(self, job: Job) -> None: ...
    def _backfill(self, job: Job, start: datetime, end: datetime) -> int: ...
    def _next_fire(self, job: Job) -> datetime | None: ...
    def _runs(self, job: Job) -> list[Run]: ...


class Job:
    """One callable on one schedule in one scheduler; made by ``Scheduler.add``.

    Counters of instants (each scheduled instant ends in exactly one):
    ``fires`` (runs started for it), ``misses`` (too late, coalesced into a
    later one, dropped because the job was paused, removed or the scheduler
    stopped before it started, or the store could not be asked), ``skips``
    (``max_instances`` runs were still going, ``Overlap.SKIP``) and
    ``elsewhere`` (another process sharing the store ran it).

    Counters of runs: ``errors`` (raised, retries included), ``timeouts``,
    ``retries``, ``retries_dropped``, ``manual`` (``run_now``/``backfill``),
    ``abandoned``; ``running`` runs going now; ``unclaimed`` instants the store
    could not be asked about and ``starved`` ones that found no free worker in
    time (both also counted in one of the four above).
    """

    def __init__(
        self,
        owner: Any,  # the scheduler (see _Owner); jobs are made by Scheduler.add
        name: str,
        schedule: Schedule,
        func: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: Mapping[str, Any],
        options: JobOptions,
    ) -> None:
        self._owner: _Owner = owner
        self.name = name
        """Unique in its scheduler; the key of its state in a store."""
        self.schedule = schedule
        """When it fires (a cron expression, an `Interval`, a one-off instant)."""
        self.func = func
        """The callable, called as ``func(*args, **kwargs)``."""
        self.args = args
        self.kwargs = dict(kwargs)
        self.options = options
        """Its options: the scheduler's defaults with the job's own on top."""
        self.stats = JobStats()
        self.runlog = RunLog()
        self.last_fire: datetime | None = None
        """The instant of the latest fire that started (None before the first)."""
        # Changed only under the scheduler's gate lock (see _fire.Fire.begin).
        self.paused = False
        """True between pause() and resume()."""
        self.removed = False
        """True once remove() was called (or the scheduler dropped the job)."""

    # -- what it is ---------------------------------------------------------------

    @property
    def expr(self) -> CronExpr | Schedule:
        """The cron expression (a `CronExpr` bound to its zone), or the job's schedule."""
        if isinstance(self.schedule, CronSchedule):
            return self.schedule.expr
        return self.schedule

    @property
    def policy(self) -> JobOptions:
        """The job's options (the name of earlier versions)."""
        return self.options

    @property
    def misfire_grace(self) -> float | None:
        """Seconds a fire may start late; None: no limit."""
        return self.options.misfire_grace

    @property
    def coalesce(self) -> bool:
        """Whether instants due at once run once."""
        return self.options.coalesce

    @property
    def max_instances(self) -> int:
        """How many runs of this job may go on at one time."""
        return self.options.max_instances

    @property
    def jitter(self) -> float:
        """Up to how many seconds each fire is delayed at random."""
        return self.options.jitter

    # -- how it went --------------------------------------------------------------

    @property
    def fires(self) -> int:
        """Instants whose run started."""
        return self.stats.fires

    @property
    def misses(self) -> int:
        """Instants that did not run: too late, coalesced, dropped, or unclaimed."""
        return self.stats.misses

    @property
    def skips(self) -> int:
        """Instants skipped because ``max_instances`` runs were going."""
        return self.stats.skips

    @property
    def elsewhere(self) -> int:
        """Instants another process sharing the store ran."""
        return self.stats.elsewhere

    @property
    def errors(self) -> int:
        """Runs that raised (retries included) or whose worker process died."""
        return self.stats.errors

    @property
    def timeouts(self) -> int:
        """Runs that passed their ``timeout``."""
        return self.stats.timeouts

    @property
    def retries(self) -> int:
        """Retries started."""
        return self.stats.retries

    @property
    def retries_dropped(self) -> int:
        """Retries given up (a newer fire, ``max_instances``, pause, remove or stop)."""
        return self.stats.retries_dropped

    @property
    def manual(self) -> int:
        """Runs started by ``run_now()`` or ``backfill()``."""
        return self.stats.manual

    @property
    def abandoned(self) -> int:
        """Instants claimed by a process that died before completing them (seen here)."""
        return self.stats.abandoned

    @property
    def unclaimed(self) -> int:
        """Instants the store could not be asked about (also in misses, or fires)."""
        return self.stats.unclaimed

    @property
    def starved(self) -> int:
        """Instants that found no free worker within the grace (also in misses)."""
        return self.stats.starved

    @property
    def running(self) -> int:
        """Runs of this job going now."""
        return self.stats.running

    @property
    def last_success(self) -> datetime | None:
        """When the last run that returned without error ended (aware, UTC), or None."""
        return self.stats.last_success

    @property
    def lateness(self) -> Lateness:
        """Seconds from each fire's scheduled instant to its start (zeros before the first)."""
        return self.stats.lateness

    @property
    def runs(self) -> list[Run]:
        """The most recent runs (up to 100), newest first.

        With a store that keeps run history, the runs of every process sharing
        it (this one's runs still going included); else this process's.
        """
        return self._owner._runs(self)

    @property
    def next_fire(self) -> datetime | None:
        """The next scheduled instant (in the schedule's zone); None if paused or done."""
        if self.paused or self.removed:
            return None
        return self._owner._next_fire(self)

    # -- steering -----------------------------------------------------------------

    def pause(self) -> None:
        """Stop firing until resume(); no fire starts after this returns."""
        self._owner._pause(self)

    def resume(self) -> None:
        """Fire again, from the first instant after now (never one already handled)."""
        self._owner._resume(self)

    def remove(self) -> None:
        """Take the job out of its scheduler; a run in progress finishes, no other starts."""
        self._owner._remove(self)

    def run_now(self) -> None:
        """Run once now, outside the schedule (counted in ``manual``); the schedule is untouched."""
        self._owner._run_now(self)

    def backfill(self, start: datetime, end: datetime) -> int:
        """Run every instant of the schedule in [start, end], oldest first; returns how many.

        Regardless of ``misfire_grace``; with a shared store, an instant any
        process already ran is not run again. Counted in ``manual``.
        """
        return self._owner._backfill(self, start, end)

    def __repr__(self) -> str:
        state = "removed" if self.removed else "paused" if self.paused else "active"
        text = self.schedule.expr.text if isinstance(self.schedule, CronSchedule) else self.schedule
        return f"<Job {self.name!r} {text!r} {state} next={self.next_fire}>"
