"""The job API that `Scheduler` and `AsyncScheduler` share: add, every, at, after, ...

Both hold a `Runtime` and differ only in what drives it (a timer thread, or
the event loop). Everything here is a thin, checked entry into the runtime.
"""

from __future__ import annotations

import functools
import inspect
import logging
import os
import weakref
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone, tzinfo
from typing import TYPE_CHECKING, Any, Callable, NamedTuple, TypeVar

from ._events import TimerStalled
from ._executor import Executor
from ._expr import CronExpr
from ._job import Job
from ._options import JobOptions, Options, Overlap
from ._runs import Run
from ._runtime import Runtime
from ._schedule import Schedule, as_schedule
from ._timetable import Slot
from ._zones import local_zone, resolve_zone
from .stores._base import check_job

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from ._events import Listener

__all__ = ["Front", "Health", "resolve_executors"]

logger = logging.getLogger("cronsec")
UTC = timezone.utc
F = TypeVar("F", bound=Callable[..., Any])
_TICK = timedelta(microseconds=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


class Health(NamedTuple):
    """Whether the timer is alive and on time (``Scheduler.health()``)."""

    ok: bool
    reason: str
    """Why not, or "ok"."""
    running: bool
    """The timer runs (started and not stopped)."""
    stall: float
    """Seconds the timer last woke later than it meant to (0.0: on time)."""
    last_wake: datetime | None
    """When the timer last woke (aware, UTC)."""
    store_available: bool


def resolve_executors(
    given: Mapping[str, str | Executor] | None, max_workers: int
) -> dict[str, str | Executor]:
    """The executor specs: "default" (threads unless given), and the built-in names."""
    specs: dict[str, str | Executor] = {"default": "threads", "threads": "threads"}
    specs["processes"] = "processes"
    for name, spec in (given or {}).items():
        if not isinstance(name, str) or not name:
            raise TypeError(f"executor names must be non-empty str, got {name!r}")
        if name in ("threads", "processes") and spec != name:  # the built-in pools
            raise ValueError(f'"{name}" always names the built-in {name} pool')
        if isinstance(spec, str):
            if spec not in ("threads", "processes", "async"):
                raise ValueError(
                    f'executor {name!r}: "threads", "processes" or an executor object, got {spec!r}'
                )
        elif not all(hasattr(spec, m) for m in ("start", "submit", "shutdown", "cancel")):
            raise TypeError(
                f'executor {name!r} must be "threads", "processes" or an object with start, '
                f"submit, cancel and shutdown, got {type(spec).__name__}"
            )
        specs[name] = spec
    return specs


def build_executor(spec: str | Executor, max_workers: int) -> Executor:
    """An executor object for a spec (built-in pools are made here)."""
    if not isinstance(spec, str):
        return spec
    if spec == "threads":
        from ._threads import ThreadExecutor

        return ThreadExecutor(max_workers)
    from ._processes import ProcessExecutor

    return ProcessExecutor(os.cpu_count() or 2)


class Front:
    """add / every / at / after / remove / get / jobs / subscribe, on a `Runtime`.

    Also what both drivers set up alike (`_setup`) and report alike (`health`,
    the stall alarm, the liveness file).
    """

    _rt: Runtime
    _specs: dict[str, str | Executor]
    _executors: dict[str, Executor]
    max_workers: int
    shutdown_timeout: float
    health_file: str | None
    stall_threshold: float
    _stall: float
    _last_wake: datetime | None

    def _setup(
        self,
        *,
        tz: tzinfo | str | None,
        max_workers: int,
        clock: Any,
        rng: Any,
        store: Any,
        store_backoff: tuple[float, float],
        store_timeout: float,
        specs: dict[str, str | Executor],
        executors: Mapping[str, Executor],
        shutdown_timeout: float,
        health_file: str | os.PathLike[str] | None,
        stall_threshold: float,
        options: Mapping[str, Any],
    ) -> None:
        """Check the scheduler's own settings and build its runtime (both drivers)."""
        from ._clock import SystemClock

        if isinstance(max_workers, bool) or not isinstance(max_workers, int) or max_workers < 1:
            raise ValueError(f"max_workers must be an int >= 1, got {max_workers!r}")
        if store is not None and not all(
            callable(getattr(store, m, None))
            for m in ("claim", "record", "last_completed", "close")
        ):
            raise TypeError(
                "store must have claim, record, last_completed and close "
                f"(see cronsec.stores), got {type(store).__name__}"
            )
        if not stall_threshold > 0:
            raise ValueError(f"stall_threshold must be > 0 seconds, got {stall_threshold!r}")
        self.max_workers = max_workers
        self.shutdown_timeout = float(shutdown_timeout)
        self.health_file = os.fspath(health_file) if health_file is not None else None
        self.stall_threshold = float(stall_threshold)
        self._specs = specs
        self._stall = 0.0
        self._last_wake = None
        self._rt = Runtime(
            tz=resolve_zone(tz) if tz is not None else None,
            clock=clock if clock is not None else SystemClock(),
            defaults=JobOptions().merge(options),
            executors=executors,
            store=store,
            store_backoff=store_backoff,
            store_timeout=store_timeout,
            rng=rng,
        )

    @property
    def running(self) -> bool:
        """True between start() and stop() (each driver says how it knows)."""
        raise NotImplementedError

    def health(self) -> Health:
        """Whether the timer is alive and on time, and the store reachable."""
        store_ok = self.store_available
        running = self.running
        if not running:
            reason = "the timer is not running"
        elif self._stall > self.stall_threshold:
            reason = f"the timer woke {self._stall:.3f}s late"
        elif not store_ok:
            reason = f"the store {self.store!r} is unavailable"
        else:
            reason = "ok"
        return Health(reason == "ok", reason, running, self._stall, self._last_wake, store_ok)

    def _woke(self, now: datetime, meant: datetime) -> None:
        """A wake-up for work: a stall when it came later than ``stall_threshold``."""
        late = (now - meant).total_seconds()
        self._stall = max(0.0, late)
        if late > self.stall_threshold:
            logger.error(
                "cronsec timer stalled: woke %.3fs after it meant to (process suspended, GIL "
                "starved, machine asleep or the clock stepped ahead)",
                late,
            )
            self._rt._emit(TimerStalled(meant, now, late))

    def _touch(self, now: datetime) -> None:
        """Every wake-up of the timer: note it, and touch the liveness file."""
        self._last_wake = now
        if self.health_file is not None:
            try:
                with open(self.health_file, "a"):
                    os.utime(self.health_file, None)
            except OSError as exc:
                logger.warning("cronsec: cannot touch health_file %s: %s", self.health_file, exc)

    @property
    def tz(self) -> tzinfo | None:
        """The zone for expressions given as text (None: the system's local zone)."""
        return self._rt.tz

    @property
    def clock(self) -> Any:
        """Where "now" comes from."""
        return self._rt.clock

    @property
    def store(self) -> Any:
        """The store given to the scheduler, or None (one process: no claims needed)."""
        return self._rt.store

    @property
    def options(self) -> JobOptions:
        """The default options of this scheduler's jobs."""
        return self._rt.defaults

    policy = options

    @property
    def store_available(self) -> bool:
        """False from a failed store call until one succeeds again."""
        side = self._rt.side
        return side is None or side.available

    @property
    def store_failures(self) -> int:
        """Store calls that failed so far."""
        side = self._rt.side
        return 0 if side is None else side.failures

    # -- jobs ------------------------------------------------------------------

    def add(
        self,
        expr: str | CronExpr | Schedule,
        func: Callable[..., Any],
        args: tuple[Any, ...] = (),
        kwargs: Mapping[str, Any] | None = None,
        name: str | None = None,
        *,
        tz: tzinfo | str | None = None,
        paused: bool = False,
        **options: Unpack[Options],
    ) -> Job:
        """Register ``func(*args, **kwargs)`` to run at each instant of ``expr``.

        ``expr`` is a cron expression (text or `CronExpr`) or a schedule such
        as ``Interval(seconds=2)``. ``name`` defaults to the callable's
        ``module.qualname``; names are unique within a scheduler. The job
        options (``misfire_grace``, ``coalesce``, ``max_instances``,
        ``overlap``, ``retry``, ``executor``, ``timeout``, ...) override the
        scheduler's. Safe to call from any thread, before or after start().
        """
        if not callable(func):
            raise TypeError(f"func must be callable, got {type(func).__name__}")
        if not isinstance(args, tuple):
            raise TypeError(f"args must be a tuple, got {type(args).__name__}")
        if kwargs is not None and not isinstance(kwargs, Mapping):
            raise TypeError(f"kwargs must be a mapping, got {type(kwargs).__name__}")
        zone = resolve_zone(tz) if tz is not None else self._rt.tz
        if zone is None:
            zone = local_zone()
        if isinstance(expr, CronExpr) and tz is not None:
            expr = expr.text  # bind the text to the zone asked for
        schedule = as_schedule(expr, zone)
        bind = getattr(schedule, "bind", None)
        if bind is not None:
            # On a shared store every process must agree on a rate's instants: with
            # no start= given, they count from the Unix epoch rather than from add().
            shared = self._rt.store is not None and getattr(schedule, "mode", "") == "rate"
            schedule = bind(_EPOCH if shared else self._rt.clock.now())
        prepare = getattr(schedule, "prepare", None)
        if prepare is not None:
            prepare()
        name = name if name is not None else _default_name(func)
        check_job(name)
        opts = self._rt.defaults.merge(options)
        self._check_job(schedule, func, args, kwargs or {}, opts)
        job = Job(self, name, schedule, func, args, kwargs or {}, opts)
        self._check_retention(job)
        self._rt.add(job, paused)
        self._ready(opts.executor)
        return job

    def every(
        self,
        expr: str | CronExpr | Schedule | None = None,
        *,
        seconds: float | timedelta | None = None,
        name: str | None = None,
        args: tuple[Any, ...] = (),
        kwargs: Mapping[str, Any] | None = None,
        tz: tzinfo | str | None = None,
        paused: bool = False,
        **options: Unpack[Options],
    ) -> Callable[[F], F]:
        """Decorator: ``add`` the function and return it unchanged.

        ``every("*/5 * * * * *")`` for a cron expression, ``every(seconds=2)``
        for a fixed rate (``Interval(seconds=2)``).
        """
        if (expr is None) == (seconds is None):
            raise TypeError(
                'every() takes a cron expression or seconds=, e.g. every("* * * * * *")'
            )
        if seconds is not None:
            from ._interval import Interval

            expr = Interval(seconds)
        self._rt.defaults.merge(options)  # a wrong option fails here, not at decoration

        def register(func: F) -> F:
            self.add(expr, func, args, kwargs, name, tz=tz, paused=paused, **options)  # type: ignore[arg-type]
            return func

        return register

    def at(
        self,
        when: datetime,
        func: Callable[..., Any],
        args: tuple[Any, ...] = (),
        kwargs: Mapping[str, Any] | None = None,
        name: str | None = None,
        **options: Unpack[Options],
    ) -> Job:
        """Run ``func`` once, at the aware instant ``when``."""
        from ._interval import OneOff

        return self.add(OneOff(when), func, args, kwargs, name, **options)

    def after(
        self,
        seconds: float | timedelta,
        func: Callable[..., Any],
        args: tuple[Any, ...] = (),
        kwargs: Mapping[str, Any] | None = None,
        name: str | None = None,
        **options: Unpack[Options],
    ) -> Job:
        """Run ``func`` once, ``seconds`` from now."""
        delay = seconds if isinstance(seconds, timedelta) else None
        if delay is None:
            if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
                raise TypeError(f"seconds must be a number or timedelta, got {seconds!r}")
            if not seconds >= 0:
                raise ValueError(f"seconds must be >= 0, got {seconds!r}")
            delay = timedelta(seconds=seconds)
        when = self._rt.clock.now() + delay
        return self.at(when, func, args, kwargs, name, **options)

    def remove(self, job: Job | str) -> None:
        """Take a job (or the job of that name) out; a run in progress finishes, none starts."""
        found = self.get(job) if isinstance(job, str) else job
        self._rt.remove(found)

    def get(self, name: str) -> Job:
        """The job of that name (KeyError if none)."""
        with self._rt.lock:
            try:
                return self._rt.jobs[name]
            except KeyError:
                raise KeyError(f"no job {name!r} in this scheduler") from None

    @property
    def jobs(self) -> list[Job]:
        """The jobs, in the order they were added (a copy)."""
        with self._rt.lock:
            return list(self._rt.jobs.values())

    def subscribe(self, listener: Listener, kinds: Any = None) -> Callable[[], None]:
        """Call ``listener(event)`` for every event (or those of ``kinds``); returns unsubscribe.

        Listeners run on a thread of their own: one that raises is logged, one
        that blocks only delays other listeners (events beyond 10,000 waiting
        are dropped and counted in ``events_dropped``).
        """
        return self._rt.events.subscribe(listener, kinds)

    @property
    def events_dropped(self) -> int:
        """Events dropped because listeners were too slow."""
        return self._rt.events.dropped

    def serve(
        self, port: int = 0, host: str = "127.0.0.1", token: str | None = None, **kwargs: Any
    ) -> Any:
        """Start the status API and console on ``host:port`` in a thread (see cronsec.web)."""
        from .web import serve

        return serve(self, port=port, host=host, token=token, **kwargs)

    # -- for Job ----------------------------------------------------------------

    def _pause(self, job: Job) -> None:
        self._rt.pause(job)

    def _resume(self, job: Job) -> None:
        self._rt.resume(job)

    def _remove(self, job: Job) -> None:
        self._rt.remove(job)

    def _next_fire(self, job: Job) -> datetime | None:
        return self._rt.next_fire(job)

    def _runs(self, job: Job) -> list[Run]:
        local = job.runlog.list()
        store, side = self._rt.store, self._rt.side
        if store is None or side is None or not hasattr(store, "runs") or not side.available:
            return local  # no shared history, or its store is known to be down: ours
        try:
            shared: list[Run] = list(store.runs(job.name, 100))
        except Exception as exc:  # the store's history is a view: fall back to ours
            logger.debug("job %r: run history from %r failed: %s", job.name, store, exc)
            return local
        seen = {(r.instant, r.started.replace(microsecond=0), r.host) for r in shared}
        going = [
            r
            for r in local
            if r.ended is None and (r.instant, r.started.replace(microsecond=0), r.host) not in seen
        ]
        merged = sorted(going + shared, key=lambda r: r.started, reverse=True)
        return merged[:100]

    def _run_now(self, job: Job) -> None:
        now = self._rt.clock.now()
        instant = now.replace(microsecond=0) if self._rt.store is not None else now
        zone = getattr(job.expr, "tz", None)
        shown = instant.astimezone(zone) if zone is not None else instant
        fires = self._rt.manual(job, [Slot(shown, instant, instant)])
        self._rt.submit(fires)

    def _backfill(self, job: Job, start: datetime, end: datetime) -> int:
        for t in (start, end):
            if not isinstance(t, datetime) or t.tzinfo is None:
                raise TypeError(f"backfill takes aware datetimes, got {t!r}")
        if end < start:
            raise ValueError(f"backfill: end {end.isoformat()} is before start {start.isoformat()}")
        slots: list[Slot] = []
        t = start.astimezone(UTC) - _TICK
        while len(slots) < 100_000:
            instant = job.schedule.next_after(t)
            if instant is None or instant.astimezone(UTC) > end.astimezone(UTC):
                break
            utc = instant.astimezone(UTC)
            slots.append(Slot(instant, utc, utc))
            t = utc
        if self._rt.side is not None and slots:
            answer = self._rt.side.claim([(job.name, s.utc) for s in slots], self._rt.clock.now())
            if not isinstance(answer, list):
                raise RuntimeError(f"backfill: the store {self._rt.store!r} cannot be reached")
            slots = [s for s, won in zip(slots, answer) if won]
        fires = self._rt.manual(job, slots)
        # Oldest first, one at a time, by the job's overlap policy: queue them in order.
        self._rt.submit(fires)
        return len(fires)

    # -- inside -----------------------------------------------------------------

    def _check_job(
        self,
        schedule: Schedule,
        func: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: Mapping[str, Any],
        opts: JobOptions,
    ) -> None:
        """Refuse at add() what could only fail later."""
        spec = self._specs.get(opts.executor)
        if spec is None:
            names = ", ".join(sorted(self._specs))
            raise ValueError(f"no executor named {opts.executor!r}; this scheduler has {names}")
        kind = spec if isinstance(spec, str) else getattr(spec, "kind", "custom")
        can_cancel = kind != "threads" if isinstance(spec, str) else spec.can_cancel
        if opts.overlap is Overlap.CANCEL_OTHER and not can_cancel:
            raise ValueError(
                "overlap=CANCEL_OTHER needs an executor that can cancel a run (processes, or "
                "an AsyncScheduler); a thread cannot be stopped"
            )
        if kind == "processes":
            from ._processes import check_picklable

            check_picklable(func, args, kwargs)
        elif kind == "threads" and inspect.iscoroutinefunction(func):
            pass  # run to completion on an event loop of the worker thread (see _threads)
        if self._rt.store is not None and getattr(schedule, "mode", "") == "delay":
            raise ValueError(
                "a fixed-delay Interval cannot be shared through a store (each process would "
                "start its own chain); use a fixed rate, or run the job without a store"
            )
        if self._rt.store is not None:
            whole = getattr(schedule, "whole_seconds", True)
            if not whole:
                raise ValueError(
                    "a job on a shared store needs instants on whole seconds (the store keys "
                    "claims by the second): give the Interval a whole-second period and start"
                )

    def _check_retention(self, job: Job) -> None:
        """Warn when the store forgets claims sooner than the job may still fire them."""
        kept = getattr(self._rt.store, "retention", None)
        if not isinstance(kept, (int, float)):
            return
        o = job.options
        catch_up = o.catch_up
        reach = [w for w in (o.misfire_grace, catch_up) if w is not None]
        if catch_up is None or o.misfire_grace is None or max(reach) > kept:
            logger.warning(
                "job %r may fire an instant up to %s s late (misfire_grace %s, catch_up %s), "
                "but %r keeps claims %g s: a claim could expire before a late fire, "
                "which could then run twice; lower those or raise the store's retention",
                job.name,
                max(reach) if len(reach) == 2 else "any",
                o.misfire_grace,
                catch_up,
                self._rt.store,
                kept,
            )

    def _executor_for(self, name: str) -> Executor | None:
        """The executor of that name, built and started on first use."""
        executor = self._executors.get(name)
        if executor is not None:
            return executor
        spec = self._specs.get(name)
        if spec is None:
            return None
        if isinstance(spec, str) and spec != name:
            shared = self._executor_for(spec)  # "default": "threads" is the threads pool
            if shared is not None:
                self._executors[name] = shared
            return shared
        executor = self._build(spec)
        executor.start()
        self._executors[name] = executor
        return executor

    def _build(self, spec: str | Executor) -> Executor:
        """An executor object for a spec (each driver knows its own kinds)."""
        return build_executor(spec, self.max_workers)

    def _ready(self, name: str) -> None:
        """Hook for drivers: a job on executor ``name`` was added (start it if running)."""


class LazyExecutors(Mapping[str, Executor]):
    """A scheduler's executors as the runtime sees them: built on first use.

    It holds the scheduler weakly, so a scheduler dropped without ``stop()``
    can still be collected (and its workers freed).
    """

    def __init__(self, sched: Front) -> None:
        self._sched = weakref.ref(sched)

    def __getitem__(self, name: str) -> Executor:
        sched = self._sched()
        executor = sched._executor_for(name) if sched is not None else None
        if executor is None:
            raise KeyError(name)
        return executor

    def __iter__(self) -> Any:
        sched = self._sched()
        return iter(dict(sched._executors) if sched is not None else {})

    def __len__(self) -> int:
        sched = self._sched()
        return len(sched._executors) if sched is not None else 0


def _default_name(func: Callable[..., Any]) -> str:
    """A stable name for a callable: ``module.qualname`` (of the wrapped one for partials)."""
    while isinstance(func, functools.partial):
        func = func.func
    module = getattr(func, "__module__", None) or type(func).__module__
    qualname = getattr(func, "__qualname__", None) or type(func).__qualname__
    return f"{module}.{qualname}"
