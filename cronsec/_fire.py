"""One granted fire on its way to a worker: the start gate and the end report.

The gate (`Fire.begin`) runs on the worker just before the callable starts,
under the scheduler's gate lock, which ``remove()``, ``pause()`` and
``stop()`` also take: a fire either started before such a call returned, or
never starts (and is counted missed, with a log line).
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time
import traceback
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Callable, Literal, Protocol

from ._runs import Run, this_host

if TYPE_CHECKING:
    from ._clock import Clock
    from ._executor import Outcome
    from ._job import Job

__all__ = ["Fire", "Kind", "current_instant", "fire_time", "set_current"]

logger = logging.getLogger("cronsec")
UTC = timezone.utc

Kind = Literal["fire", "catch_up", "retry", "manual", "rerun"]
"""A scheduled fire (on time), one caught up after a restart or held in a buffer, a
retry, a manual run, or the re-run of an instant another process abandoned."""

# A context variable: per thread for thread and process workers, per task on asyncio.
_current: contextvars.ContextVar[datetime | None] = contextvars.ContextVar(
    "cronsec_fire_time", default=None
)


def fire_time() -> datetime | None:
    """The scheduled instant of the fire running here (thread or asyncio task), or None.

    Lets a callable know which instant it runs for (e.g. "the hour ending at
    the fire time"), whatever its lateness.
    """
    return _current.get()


def set_current(instant: datetime | None) -> None:
    """Set what `fire_time` answers here (executors call it around a run)."""
    _current.set(instant)


current_instant = fire_time


class Runtime(Protocol):
    """What a fire needs of the scheduler that made it."""

    gate: threading.Lock
    clock: Clock
    stopped: bool

    def fire_started(self, fire: Fire, late: float | None) -> None: ...

    def fire_ended(self, fire: Fire, outcome: Outcome, error: str | None) -> None: ...

    def fire_dropped(self, fire: Fire, why: str) -> None: ...

    def fire_done(self, fire: Fire) -> None: ...


class Fire:
    """A granted fire: the job, its instant, and its state (queued, started, ended, dropped)."""

    __slots__ = (
        "_began",
        "_record",
        "_start",
        "_took",
        "args",
        "attempt",
        "claimed",
        "finished",
        "func",
        "instant",
        "job",
        "job_name",
        "kind",
        "kwargs",
        "pin",
        "rt",
        "state",
        "target",
        "timeout",
        "utc",
    )

    def __init__(
        self,
        rt: Runtime,
        job: Job,
        instant: datetime,
        utc: datetime,
        target: datetime,
        kind: Kind = "fire",
        attempt: int = 0,
    ) -> None:
        self.rt = rt
        self.job = job
        self.job_name = job.name
        self.instant = instant
        self.utc = utc
        self.target = target
        self.kind = kind
        self.attempt = attempt
        self.func: Callable[..., Any] = job.func
        self.args = job.args
        self.kwargs = job.kwargs
        self.timeout = job.options.timeout
        self.pin = job.options.pin
        self.state: Literal["queued", "started", "ended", "dropped"] = "queued"
        self._began = 0.0
        self._start: datetime | None = None
        self._took: float | None = None  # set by mark_end: the run's end, reported later
        self._record: Run | None = None
        self.finished = False  # ended or dropped, and every follow-up done
        self.claimed = False  # this process holds the store's claim on the instant

    @property
    def counts_instant(self) -> bool:
        """Whether this fire settles a scheduled instant (fires and catch-ups do)."""
        return self.kind in ("fire", "catch_up")

    def begin(self) -> bool:
        """The gate: start now, or drop (counted, logged) if it must not start any more."""
        if not self.gate():
            return False
        self.started()
        return True

    def gate(self) -> bool:
        """The gate alone: False (dropped, counted) or True (started: `started` must follow).

        The asyncio executor passes every fire of a batch through the gate and
        starts its coroutine first, and does the bookkeeping (`started`) after.
        """
        rt, job = self.rt, self.job
        now = rt.clock.now()
        why = ""
        with rt.gate:
            if self.state != "queued":
                return False  # superseded or dropped while it waited; already counted
            grace = job.options.misfire_grace
            if rt.stopped:
                why = "the scheduler stopped before it started"
            elif job.removed:
                why = "the job was removed before it started"
            elif job.paused and self.kind != "manual":
                why = "the job was paused before it started"
            elif (
                self.kind == "fire"
                and grace is not None
                and (now - self.target).total_seconds() > grace
            ):
                late = (now - self.utc).total_seconds()
                why = f"no free worker for {late:.3f}s (misfire_grace {grace}s)"
            self.state = "dropped" if why else "started"
        if why:
            self._settle_dropped(why, starved=why.startswith("no free worker"))
            return False
        self._began = time.perf_counter()
        self._start = now
        return True

    def started(self) -> None:
        """The bookkeeping of a start: counters, lateness, the run record, listeners."""
        rt, job, now = self.rt, self.job, self._start
        assert now is not None, "started() follows a gate() that passed"
        late = (now - self.utc).total_seconds() if self.kind == "fire" else None
        job.stats.start(
            "fire" if self.counts_instant else self.kind,  # type: ignore[arg-type]
            late,
            queued=self.counts_instant,
        )
        if self.counts_instant:
            job.last_fire = self.instant
        self._record = Run(
            job.name,
            self.instant,
            now,
            None,
            "running",
            None,
            self.attempt,
            self.kind == "manual",
            this_host(),
        )
        job.runlog.add(self._record)
        rt.fire_started(self, late)

    def end(self, outcome: Outcome, error: BaseException | str | None = None) -> None:
        """Report how the run ended: counters, history, then the scheduler's follow-ups."""
        with self.rt.gate:
            if self.state != "started":
                return
            self.state = "ended"
        took = time.perf_counter() - self._began if self._took is None else self._took
        text = _error_text(error)
        if self._took is not None and self._start is not None:  # noted by mark_end
            ended = self._start + timedelta(seconds=took)
        else:
            ended = self.rt.clock.now()
        self.job.stats.end(outcome, took, ended)
        record = self._record
        if record is not None:
            final = Run(
                record.job,
                record.instant,
                record.started,
                ended,
                outcome,
                text,
                record.attempt,
                record.manual,
                record.host,
            )
            self.job.runlog.replace(record, final)
            self._record = final
        try:
            self.rt.fire_ended(self, outcome, text)
        finally:
            self.rt.fire_done(self)

    def mark_end(self) -> None:
        """Note the moment the run ended, for an `end` reported a little later.

        The asyncio executor starts every coroutine of a batch first and does
        their bookkeeping after, so that no callable waits for another's.
        """
        self._took = time.perf_counter() - self._began  # the end instant is derived later

    @property
    def run(self) -> Run | None:
        """The run record (None before it started)."""
        return self._record

    def overran(self) -> None:
        """Past its timeout on a thread that cannot be stopped: count it, say so; it goes on."""
        self.job.stats.overran()
        logger.warning(
            "job %r: the run for %s passed its timeout of %ss; threads cannot be stopped, "
            "so it goes on and keeps its place (max_instances %d)",
            self.job_name,
            self.instant.isoformat(),
            self.timeout,
            self.job.options.max_instances,
        )

    def drop(self, why: str) -> None:
        """Never to start (the executor shut down, a newer fire replaced it): count it."""
        with self.rt.gate:
            if self.state != "queued":
                return
            self.state = "dropped"
        self._settle_dropped(why, starved=False)

    def _settle_dropped(self, why: str, *, starved: bool) -> None:
        job = self.job
        if self.counts_instant:
            job.stats.unqueue("miss", starved=starved)
            logger.warning(
                "job %r: fire for %s missed: %s", self.job_name, self.instant.isoformat(), why
            )
        elif self.kind in ("retry", "rerun"):
            job.stats.count("retries_dropped")
            logger.info(
                "job %r: retry %d for %s dropped: %s",
                self.job_name,
                self.attempt,
                self.instant.isoformat(),
                why,
            )
        else:
            logger.info("job %r: manual run dropped: %s", self.job_name, why)
        try:
            self.rt.fire_dropped(self, why)
        finally:
            self.rt.fire_done(self)

    def __repr__(self) -> str:
        return f"<Fire {self.job_name!r} {self.instant.isoformat()} {self.kind} {self.state}>"


def _error_text(error: BaseException | str | None) -> str | None:
    if error is None or isinstance(error, str):
        return error
    return "".join(traceback.format_exception_only(type(error), error)).strip()
