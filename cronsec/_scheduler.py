"""The threaded scheduler: one timer thread drives the runtime; executors run the fires.

Each job's next instant comes from its schedule and its previous *scheduled*
instant, never "now plus an interval", so lateness never accumulates.
Instants are kept in UTC inside and shown in the schedule's zone. The timer
prepares each batch a little before its instant (collects and claims as of
the instant), waits out the rest precisely, then hands the fires over: the
work is done before the instant, not after it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import threading
import weakref
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone, tzinfo
from typing import TYPE_CHECKING

from ._clock import Clock, SystemClock
from ._executor import Executor
from ._fire import Fire
from ._front import Front, LazyExecutors, resolve_executors
from ._options import Options
from .stores._base import Store

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["Scheduler"]

logger = logging.getLogger("cronsec")
UTC = timezone.utc

# How long stop(wait=True) and run_pending() wait for completions to reach the store.
FLUSH_TIMEOUT = 10.0
# The last stretch before an instant is spun, not slept (sleeps overshoot).
SPIN = 0.0002
# After a hand-over, how long the timer lets the workers take their fires before it
# computes the next instants (that work would compete with them for the interpreter).
HANDOFF = 0.2


class Scheduler(Front):
    """Runs callables at the instants of their schedules, on executors, from one timer thread.

    ``tz``: zone for expressions given as text (default: the system's local
    zone). ``max_workers``: threads of the default executor, started with
    the scheduler. ``clock``: where "now" comes from (a `FakeClock` in tests).
    ``executors``: more executors by name (``{"cpu": "processes"}``);
    ``"threads"`` and ``"processes"`` always name the built-in pools.
    ``store``: state shared across restarts and processes (``cronsec.stores``);
    without one, nothing is claimed (a single process needs no claims).
    ``store_timeout``: seconds any store call may take before it counts as
    unavailable; ``store_backoff``: (min, max) seconds to leave an unavailable
    store alone. ``shutdown_timeout``: how long ``stop(wait=True)`` waits for
    runs. ``health_file``: a file touched on every timer wake-up (liveness
    probes). ``stall_threshold``: seconds late a wake-up may be before it is
    reported as a stall. The job options (`Options`) are defaults for every job.
    """

    def __init__(
        self,
        tz: tzinfo | str | None = None,
        max_workers: int = 10,
        clock: Clock | None = None,
        *,
        rng: random.Random | None = None,
        store: Store | None = None,
        store_backoff: tuple[float, float] = (1.0, 30.0),
        store_timeout: float = 5.0,
        executors: Mapping[str, str | Executor] | None = None,
        shutdown_timeout: float = 10.0,
        health_file: str | os.PathLike[str] | None = None,
        stall_threshold: float = 1.0,
        **options: Unpack[Options],
    ) -> None:
        self._executors: dict[str, Executor] = {}
        self._setup(
            tz=tz,
            max_workers=max_workers,
            clock=clock,
            rng=rng,
            store=store,
            store_backoff=store_backoff,
            store_timeout=store_timeout,
            specs=resolve_executors(executors, max_workers),
            executors=LazyExecutors(self),
            shutdown_timeout=shutdown_timeout,
            health_file=health_file,
            stall_threshold=stall_threshold,
            options=options,
        )
        self._rt.wake = self._poke
        self._wake = threading.Condition(threading.Lock())
        self._poked = False
        self._thread: threading.Thread | None = None  # the timer; None when stopped
        self._stopping = False
        self._precise = isinstance(self._rt.clock, SystemClock)
        weakref.finalize(self, _shutdown_all, self._executors)

    # -- running -------------------------------------------------------------

    def start(self) -> None:
        """Start the timer thread and the executors in the background; return at once."""
        with self._wake:
            if self._thread is not None:
                raise RuntimeError("this scheduler is already running")
            self._stopping = False
            self._rt.open_gate()
            for name in {j.options.executor for j in self.jobs} | {"default"}:
                self._executor_for(name)
            self._thread = threading.Thread(target=self._loop, name="cronsec-timer", daemon=True)
            self._thread.start()

    def stop(self, wait: bool = True) -> None:
        """Stop the timer: no fire starts after this returns.

        Fires waiting for a worker are dropped (counted missed, logged). With
        ``wait``, also wait up to ``shutdown_timeout`` for the runs in progress
        (then cancel or terminate what the executor can, and log what it
        cannot) and for their completions to reach the store.
        """
        with self._wake:
            thread, self._thread = self._thread, None
            self._stopping = True
            self._poked = True
            self._wake.notify_all()
        for fire in self._rt.close_gate():
            fire.drop("the scheduler stopped before it started")
        if wait and thread is not None and thread is not threading.current_thread():
            thread.join()
        executors: dict[int, tuple[str, Executor]] = {}
        for name, executor in self._executors.items():  # "default" may name "threads" too
            executors.setdefault(id(executor), (name, executor))
        self._executors.clear()
        for name, executor in executors.values():
            report = executor.shutdown(wait=wait, timeout=self.shutdown_timeout)
            if report.cancelled or report.abandoned or report.dropped:
                logger.warning(
                    "cronsec stop: executor %r: %d run(s) finished, %d cancelled, %d still "
                    "going (cannot be stopped), %d waiting dropped",
                    name,
                    report.finished,
                    report.cancelled,
                    report.abandoned,
                    report.dropped,
                )
        side = self._rt.side
        if side is not None:
            if wait and not side.recorder.close(FLUSH_TIMEOUT):
                logger.warning("cronsec stop: completions not all recorded in %ss", FLUSH_TIMEOUT)
            side.close()

    @property
    def running(self) -> bool:
        """True between start() and stop() (and while the timer thread lives)."""
        thread = self._thread
        return thread is not None and thread.is_alive()

    def __enter__(self) -> Scheduler:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop(wait=True)

    def run_pending(self, wait: bool = True) -> datetime | None:
        """Run every fire due at ``clock.now()``, on the calling thread; for tests.

        With ``wait``, return once the callables it started have finished and
        their completions reached the store. Returns when the next step is
        due (aware, UTC), or None if nothing is scheduled: with a FakeClock,
        ``clock.set(sched.run_pending())`` steps to the next fire.
        """
        rt = self._rt
        if not self.running:
            rt.open_gate()
        rt.sync(rt.clock.now())
        fires = self._prepare(rt.clock.now())
        rt.submit(fires)
        with rt.lock:
            rt.timetable.look_ahead()
        if wait:
            rt.wait_finished(fires)
            side = rt.side
            if side is not None:
                side.recorder.flush(FLUSH_TIMEOUT)
        return rt.deadline()

    # -- the timer thread --------------------------------------------------------

    def _loop(self) -> None:
        """Wait until a little before the earliest instant, prepare, wait it out, hand over."""
        me = threading.current_thread()
        while self._thread is me:
            try:
                self._turn()
            except Exception:  # a bug, not a job's error: log it, never die
                logger.exception("cronsec timer: unexpected error; carrying on")
                with self._wake:
                    self._wake.wait(1.0)

    def _turn(self) -> None:
        rt = self._rt
        clock = rt.clock
        deadline = rt.deadline()
        now = clock.now()
        wake_at: datetime | None = deadline
        if deadline is not None and self._precise:
            wake_at = deadline - timedelta(seconds=rt.lead(deadline))
        self._touch(now)
        if wake_at is None or now < wake_at:
            self._sleep(wake_at)
            return
        self._woke(now, wake_at)
        when = now if deadline is None else max(now, deadline)
        fires = self._prepare(when)
        if fires:
            # Executors that can hold a batch get it now and release it at the instant
            # themselves; the others' fires are handed over once it has come.
            later = rt.submit(fires, at=when.timestamp()) if self._precise else fires
            if later and not self._until(when):
                for fire in later:  # stopped while waiting for the instant
                    fire.drop("the scheduler stopped before it started")
                return
            rt.submit(later)
            self._handed_over((when - clock.now()).total_seconds() + HANDOFF)
        with rt.lock:
            rt.timetable.look_ahead()
        rt.sync(clock.now())  # the shared state: after the hand-over, off the critical path

    def _handed_over(self, timeout: float) -> None:
        """Let the workers take their fires before the timer computes anything more
        (that work would hold the interpreter lock while they wait for it)."""
        for executor in list(self._executors.values()):
            taken = getattr(executor, "taken", None)
            if taken is not None:
                taken(max(0.0, timeout))

    def _prepare(self, when: datetime) -> list[Fire]:
        """The three phases of a step as of ``when``: plan, claim, commit."""
        rt = self._rt
        fires: list[Fire] = []
        for _ in range(2):  # a second round claims what the store's answers caught up
            plan = rt.plan(when)
            answer, pasts = rt.claim(plan)
            fires += rt.commit(plan, answer, pasts)
            if not rt.has_pending():
                break
        return fires

    def _sleep(self, until: datetime | None) -> None:
        with self._wake:
            if not self._poked and not self._stopping:
                self._rt.clock.wait(self._wake, until)
            self._poked = False

    def _until(self, when: datetime) -> bool:
        """Wait precisely until ``when`` (never a fire before its instant); False if stopped."""
        clock = self._rt.clock
        while not self._stopping:
            remaining = (when - clock.now()).total_seconds()
            if remaining <= 0:
                return True
            if not self._precise:
                with self._wake:
                    clock.wait(self._wake, when)
            elif remaining > 2 * SPIN:
                with self._wake:
                    self._wake.wait(remaining - SPIN)
            # else: spin the last SPIN seconds
        return False

    def _poke(self) -> None:
        with self._wake:
            self._poked = True
            self._wake.notify_all()

    def _ready(self, name: str) -> None:
        if self.running:
            self._executor_for(name)

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<Scheduler {state}, {len(self._rt.jobs)} job(s)>"


def _shutdown_all(executors: dict[str, Executor]) -> None:
    """A scheduler dropped without stop() (common in tests) frees its workers."""
    for executor in list(executors.values()):
        with contextlib.suppress(Exception):
            executor.shutdown(wait=False)
