"""The timer: one thread that waits for the next instant and hands fires to workers.

Each job's next instant is ``expr.next`` of its previous *scheduled* instant,
never "now plus an interval", so lateness never accumulates. Instants are
kept in UTC inside (aware datetimes in one zone compare by wall time, which
is wrong across a DST overlap) and shown in the expression's zone.
"""

from __future__ import annotations

import enum
import functools
import logging
import random
import threading
import weakref
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone, tzinfo
from typing import Any, Callable, TypeVar, Union

from ._clock import Clock, SystemClock
from ._dispatch import Timetable
from ._expr import CronExpr
from ._job import Job, Policy
from ._pool import Batch, WorkerPool
from ._zones import local_zone, resolve_zone
from .stores._base import Store

__all__ = ["Scheduler"]

logger = logging.getLogger("cronsec")
UTC = timezone.utc
F = TypeVar("F", bound=Callable[..., Any])

# How long stop(wait=True) and run_pending() wait for completions to reach the store.
FLUSH_TIMEOUT = 10.0
# After a dispatch, how long the timer lets the workers take their tasks
# before it computes the following instants (that work would hold the GIL).
HANDOFF = 0.01


class _Default(enum.Enum):
    """Marks an option left to the scheduler's default."""

    DEFAULT = 0


DEFAULT = _Default.DEFAULT
Grace = Union[float, None, _Default]
Delays = Union[Sequence[float], _Default]


class Scheduler(Timetable):
    """Runs callables at the instants of cron expressions, on a pool of workers.

    ``tz``: zone for expressions given as text (default: the system's local
    zone). ``max_workers``: worker threads, started with the scheduler.
    ``clock``: where "now" comes from (a ``FakeClock`` in tests). The policy
    options are defaults for every job; ``add`` can override each.

    ``store``: where fires are claimed and completions recorded
    (``cronsec.stores``; default a private `MemoryStore`). A shared store
    makes processes fire each instant once between them and catch up after
    restarts (``catch_up``); ``on_store_error`` says what a job does when the
    store cannot be reached ("miss": not fire; "fire": fire locally), and
    ``store_backoff`` (min, max seconds) how long the scheduler then leaves it
    alone before asking again, doubling on each failure. ``retry``: delays
    of the retries after a run that raised, e.g. ``(10, 30, 60)``.
    """

    def __init__(
        self,
        tz: tzinfo | str | None = None,
        max_workers: int = 10,
        clock: Clock | None = None,
        *,
        misfire_grace: float | None = 60.0,
        coalesce: bool = True,
        max_instances: int = 1,
        jitter: float = 0.0,
        rng: random.Random | None = None,
        store: Store | None = None,
        catch_up: float | None = 3600.0,
        retry: Sequence[float] = (),
        on_store_error: str = "miss",
        store_backoff: tuple[float, float] = (1.0, 30.0),
    ) -> None:
        if max_workers < 1:
            raise ValueError(f"max_workers must be >= 1, got {max_workers}")
        self.tz: tzinfo | None = resolve_zone(tz) if tz is not None else None
        self.max_workers = max_workers
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.policy = Policy(
            misfire_grace,
            coalesce,
            max_instances,
            jitter,
            _delays(retry),
            catch_up,
            on_store_error,
        ).check()
        if store is not None and not isinstance(store, Store):
            raise TypeError(
                "store must have claim, record, last_completed and close "
                f"(see cronsec.stores), got {type(store).__name__}"
            )
        self._init_store(store, store_backoff)
        self._rng = rng if rng is not None else random.Random()
        self._cond = threading.Condition(threading.Lock())
        self._jobs: dict[str, Job] = {}
        self._pool: WorkerPool | None = None
        self._thread: threading.Thread | None = None  # the timer; None when stopped

    # -- jobs --------------------------------------------------------------

    def add(
        self,
        expr: str | CronExpr,
        func: Callable[..., Any],
        args: tuple[Any, ...] = (),
        kwargs: Mapping[str, Any] | None = None,
        name: str | None = None,
        *,
        tz: tzinfo | str | None = None,
        misfire_grace: Grace = DEFAULT,
        coalesce: bool | _Default = DEFAULT,
        max_instances: int | _Default = DEFAULT,
        jitter: float | _Default = DEFAULT,
        paused: bool = False,
        retry: Delays = DEFAULT,
        catch_up: Grace = DEFAULT,
        on_store_error: str | _Default = DEFAULT,
    ) -> Job:
        """Register ``func(*args, **kwargs)`` to run at each instant of ``expr``.

        ``name`` defaults to the callable's ``module.qualname``; names are
        unique within a scheduler (a second job with one name: ValueError).
        Safe to call from any thread, before or after start().
        """
        if not callable(func):
            raise TypeError(f"func must be callable, got {type(func).__name__}")
        bound = self._bind(expr, tz)
        name = name if name is not None else _default_name(func)
        given: dict[str, Any] = {  # Policy.check() validates the values
            "misfire_grace": misfire_grace,
            "coalesce": coalesce,
            "max_instances": max_instances,
            "jitter": jitter,
            "retry": retry if retry is DEFAULT else _delays(retry),
            "catch_up": catch_up,
            "on_store_error": on_store_error,
        }
        policy = self.policy._replace(**{k: v for k, v in given.items() if v is not DEFAULT})
        job = Job(self, bound, func, tuple(args), kwargs or {}, name, policy.check())
        self._check_retention(job)
        job._paused = paused
        with self._cond:
            if name in self._jobs:
                raise ValueError(
                    f"a job named {name!r} is already in this scheduler; pass name= to tell "
                    "them apart"
                )
            job._slot = self._slot_after(job, self.clock.now())
            # What passed before this add() (a restart) is the store's to tell.
            job._first_utc = job._slot.utc if job._slot is not None else None
            job._catch_up_pending = True
            self._jobs[name] = job
            self._cond.notify_all()
        return job

    def every(
        self,
        expr: str | CronExpr,
        *,
        name: str | None = None,
        args: tuple[Any, ...] = (),
        kwargs: Mapping[str, Any] | None = None,
        tz: tzinfo | str | None = None,
        misfire_grace: Grace = DEFAULT,
        coalesce: bool | _Default = DEFAULT,
        max_instances: int | _Default = DEFAULT,
        jitter: float | _Default = DEFAULT,
        retry: Delays = DEFAULT,
        catch_up: Grace = DEFAULT,
        on_store_error: str | _Default = DEFAULT,
    ) -> Callable[[F], F]:
        """Decorator: ``add`` the function, and return it unchanged."""

        def register(func: F) -> F:
            self.add(
                expr,
                func,
                args,
                kwargs,
                name,
                tz=tz,
                misfire_grace=misfire_grace,
                coalesce=coalesce,
                max_instances=max_instances,
                jitter=jitter,
                retry=retry,
                catch_up=catch_up,
                on_store_error=on_store_error,
            )
            return func

        return register

    def remove(self, job: Job | str) -> None:
        """Take a job (or the job of that name) out; a run in progress finishes."""
        with self._cond:
            name = job if isinstance(job, str) else job.name
            found = self._jobs.get(name)
            if found is None or (isinstance(job, Job) and found is not job):
                raise KeyError(f"no job {name!r} in this scheduler")
            del self._jobs[name]
            found._removed = True
            self._cond.notify_all()

    def get(self, name: str) -> Job:
        """The job of that name (KeyError if none)."""
        with self._cond:
            return self._jobs[name]

    @property
    def jobs(self) -> list[Job]:
        """The jobs, in the order they were added (a copy)."""
        with self._cond:
            return list(self._jobs.values())

    def _pause(self, job: Job) -> None:
        with self._cond:
            job._paused = True
            self._cond.notify_all()

    def _resume(self, job: Job) -> None:
        with self._cond:
            if not job._paused:
                return
            job._paused = False
            # From now, but never at or before an instant already handled: a
            # clock stepped back while paused must not fire anything twice.
            start = self.clock.now()
            if job._last_utc is not None and job._last_utc > start:
                start = job._last_utc
            job._slot = self._slot_after(job, start)
            job._after_known = False
            self._cond.notify_all()

    # -- running -------------------------------------------------------------

    def start(self) -> None:
        """Start the timer thread and the workers in the background; return at once."""
        with self._cond:
            if self._thread is not None:
                raise RuntimeError("this scheduler is already running")
            pool = self._ensure_pool()
            self._thread = threading.Thread(
                target=self._loop, args=(pool,), name="cronsec-timer", daemon=True
            )
            self._thread.start()

    def stop(self, wait: bool = True) -> None:
        """Stop the timer: no fire starts after this returns.

        Fires queued for a busy pool are dropped (counted as missed). With
        ``wait``, also wait until the runs in progress have finished and their
        completions reached the store (for at most 10 s). The store stays
        open: close it yourself when done with it.
        """
        with self._cond:
            thread, self._thread = self._thread, None
            pool, self._pool = self._pool, None
            self._cond.notify_all()
        if pool is not None:
            pool.close(wait=False)
        if wait:
            if thread is not None and thread is not threading.current_thread():
                thread.join()
            if pool is not None:
                pool.close(wait=True)
            self._recorder.flush(FLUSH_TIMEOUT)

    @property
    def running(self) -> bool:
        """True between start() and stop()."""
        return self._thread is not None

    def __enter__(self) -> Scheduler:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop(wait=True)

    def run_pending(self, wait: bool = True) -> datetime | None:
        """Dispatch every fire due at ``clock.now()``, on the calling thread; for tests.

        With ``wait``, return once the callables it started have finished. Returns
        when the next fire is due (aware, UTC), or None if nothing is scheduled:
        with a FakeClock, ``clock.set(sched.run_pending())`` steps to the next fire.
        """
        with self._cond:
            pool = self._ensure_pool()
            tasks = self._collect(self.clock.now())
            batch = Batch(len(tasks))
            for task in tasks:
                task.batch = batch
            if tasks and not pool.submit(tasks):
                for task in tasks:
                    task.cancel()
            self._look_ahead_all()
            deadline = self._deadline()
        if wait:
            batch.wait()
            self._recorder.flush(FLUSH_TIMEOUT)
        return deadline

    def _loop(self, pool: WorkerPool) -> None:
        """The timer thread: wait until the earliest target, dispatch, repeat."""
        cond = self._cond
        me = threading.current_thread()
        with cond:
            # The pool is handed over at start(): a stop() that runs before this thread
            # takes the lock has already cleared self._pool.
            # stop() (or a stop() then start()) replaces self._thread: this loop ends.
            while self._thread is me:
                try:
                    self._step(pool)
                except Exception:  # a bug, not a job's error: log it, never die
                    logger.exception("cronsec timer: unexpected error; carrying on")
                    cond.wait(1.0)

    def _step(self, pool: WorkerPool) -> None:
        """One turn of the timer: dispatch what is due, or wait for the next target."""
        cond = self._cond
        tasks = self._collect(self.clock.now())
        if tasks:
            if not pool.submit(tasks):
                for task in tasks:
                    task.cancel()
            # Let the workers pick their tasks up before the next instants
            # are computed: that work competes with them for the GIL.
            cond.release()
            try:
                pool.drained(HANDOFF)
            finally:
                cond.acquire()
            return
        self._look_ahead_all()
        self.clock.wait(cond, self._deadline())

    def _ensure_pool(self) -> WorkerPool:
        if self._pool is None:
            self._pool = WorkerPool(self.max_workers)
            # A scheduler dropped without stop() (common in tests) frees its workers.
            weakref.finalize(self, self._pool.close, False)
        return self._pool

    def _bind(self, expr: str | CronExpr, tz: tzinfo | str | None) -> CronExpr:
        """The expression bound to a zone: its own, else ``tz``, the scheduler's, local."""
        zone = resolve_zone(tz) if tz is not None else self.tz
        if isinstance(expr, CronExpr):
            if expr.tz is not None and tz is None:
                return expr
            return CronExpr(expr.text, tz=zone if zone is not None else local_zone())
        if isinstance(expr, str):
            return CronExpr(expr, tz=zone if zone is not None else local_zone())
        raise TypeError(f"expr must be a str or CronExpr, got {type(expr).__name__}")

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<Scheduler {state}, {len(self._jobs)} job(s)>"


def _delays(retry: Sequence[float] | _Default) -> tuple[float, ...]:
    """Retry delays as a tuple of floats (``Policy.check`` validates them)."""
    if isinstance(retry, _Default):
        return ()
    if isinstance(retry, (int, float)):
        raise TypeError(f"retry takes the delays, e.g. retry=(10, 30, 60), not {retry!r}")
    return tuple(float(d) for d in retry)


def _default_name(func: Callable[..., Any]) -> str:
    """A stable name for a callable: ``module.qualname`` (of the wrapped one for partials)."""
    while isinstance(func, functools.partial):
        func = func.func
    module = getattr(func, "__module__", None) or type(func).__module__
    qualname = getattr(func, "__qualname__", None) or type(func).__qualname__
    return f"{module}.{qualname}"
