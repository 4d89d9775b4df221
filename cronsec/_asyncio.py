"""The asyncio scheduler: the same runtime, driven by the running event loop.

`AsyncScheduler` shares the timetable, claims, retries, counters and options
with the threaded `Scheduler` (both hold a `Runtime`); only the driver
differs: a task on your loop instead of a timer thread. ``async def`` jobs
are awaited on the loop (a timeout cancels them); plain functions run in a
thread pool of ``max_workers`` threads, so they never block the loop. Store
calls run in a thread too (``asyncio.to_thread``): the loop never waits on
the store.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import inspect
import logging
import os
import random
import time
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta, timezone, tzinfo
from typing import TYPE_CHECKING, Any

from ._clock import Clock, SystemClock
from ._executor import Executor, Outcome, ShutdownReport
from ._executor import Fire as AnyFire
from ._fire import Fire, set_current
from ._front import Front, LazyExecutors, build_executor, resolve_executors
from ._options import Options
from ._threads import call_fire

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .stores._base import Store

__all__ = ["AsyncExecutor", "AsyncScheduler"]

logger = logging.getLogger("cronsec")
UTC = timezone.utc
# With a clock that is not the system's (a FakeClock), the loop re-reads it this often.
POLL = 0.05


class AsyncExecutor:
    """Runs fires on an event loop: coroutines as tasks, plain functions in a thread pool."""

    kind = "async"
    can_cancel = True

    def __init__(self, loop: asyncio.AbstractEventLoop, threads: int = 10) -> None:
        self._loop = loop
        self._threads = threads
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None
        self._tasks: dict[AnyFire, asyncio.Task[None]] = {}
        self._waiting: set[AnyFire] = set()
        self._closed = False

    def start(self) -> None:
        if self._pool is None:
            self._pool = concurrent.futures.ThreadPoolExecutor(
                self._threads, thread_name_prefix="cronsec-async-worker"
            )

    def submit(self, fires: Sequence[AnyFire]) -> None:
        """Queue fires from any thread; they start on the loop (or its pool)."""
        if self._closed:
            for fire in fires:
                fire.drop("the executor is shut down")
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self._loop:
            self._spawn(list(fires))
        else:
            self._loop.call_soon_threadsafe(self._spawn, list(fires))

    def idle(self) -> int:
        return max(0, self._threads - len(self._tasks))

    def cancel(self, fire: AnyFire) -> bool:
        task = self._tasks.get(fire)
        if task is None:
            return False
        self._loop.call_soon_threadsafe(task.cancel)
        return True

    def shutdown(self, wait: bool = True, timeout: float | None = None) -> ShutdownReport:
        """Drop what waits, cancel running tasks (synchronous: no waiting on the loop)."""
        self._closed = True
        dropped = list(self._waiting)
        for fire in dropped:
            fire.drop("the scheduler stopped before it started")
        running = list(self._tasks.values())
        for task in running:
            task.cancel()
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        return ShutdownReport(0, len(running), 0, len(dropped))

    async def aclose(self, wait: bool, timeout: float | None) -> ShutdownReport:
        """Drop what waits; with ``wait``, wait up to ``timeout`` for runs, then cancel the rest."""
        self._closed = True
        dropped = list(self._waiting)
        for fire in dropped:
            fire.drop("the scheduler stopped before it started")
        tasks = list(self._tasks.values())
        finished = cancelled = 0
        if tasks and wait:
            done, pending = await asyncio.wait(tasks, timeout=timeout)
            finished = len(done)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=1.0)
                cancelled = len(pending)
                logger.warning(
                    "cronsec stop: %d async run(s) cancelled after %ss", cancelled, timeout
                )
        elif tasks:
            for task in tasks:
                task.cancel()
            cancelled = len(tasks)
        abandoned = 0
        if self._pool is not None:
            self._pool.shutdown(wait=wait, cancel_futures=True)
        return ShutdownReport(finished, cancelled, abandoned, len(dropped))

    def _spawn(self, fires: list[AnyFire]) -> None:
        ended: list[tuple[AnyFire, Outcome, BaseException | None]] = []
        for fire in fires:
            if self._closed:
                fire.drop("the executor is shut down")
                continue
            if _is_coroutine_function(fire.func):
                done = self._eager(fire)
                if done is not None:
                    ended.append(done)
            else:
                self.start()
                assert self._pool is not None
                self._waiting.add(fire)
                self._loop.run_in_executor(self._pool, self._run_sync, fire)
        # The bookkeeping of the runs that finished at once, after every callable of the
        # batch has started (their start and end times were noted as they happened).
        for fire, outcome, error in ended:
            try:
                fire.started()  # type: ignore[attr-defined]
                fire.end(outcome, error)
            except Exception:  # a bug, not the job's: the other fires still get theirs
                logger.exception("cronsec async executor: unexpected error around %r", fire)

    def _eager(self, fire: AnyFire) -> tuple[AnyFire, Outcome, BaseException | None] | None:
        """Start a coroutine job at once, on the loop, up to its first suspension.

        One that finishes without suspending needs no task at all (a few
        microseconds instead of a task's tens); one that suspends goes on as a
        task, which is what a timeout or ``cancel`` then acts on.
        """
        # Fires of this scheduler split the gate from the bookkeeping (`Fire.gate`,
        # `Fire.started`): a run that ends at once is counted after the batch started.
        split = hasattr(fire, "gate") and hasattr(fire, "mark_end")
        try:
            if not (fire.gate() if split else fire.begin()):  # type: ignore[attr-defined]
                return None
        except Exception:
            logger.exception("cronsec async executor: unexpected error around %r", fire)
            return None
        set_current(fire.instant)
        try:
            coro = fire.func(*fire.args, **fire.kwargs)
            try:
                yielded = coro.send(None)
            except StopIteration:
                if not split:
                    fire.end("ok", None)
                    return None
                fire.mark_end()  # type: ignore[attr-defined]
                return fire, "ok", None
            except Exception as exc:
                if split:
                    fire.started()  # type: ignore[attr-defined]
                logger.exception(
                    "job %r raised (fire for %s)", fire.job_name, fire.instant.isoformat()
                )
                fire.end("error", exc)
                return None
            if split:
                fire.started()  # type: ignore[attr-defined]
            # Suspended: the task made now copies this context, fire_time() included.
            task = self._loop.create_task(self._run(fire, _Resume(coro, yielded)))
            self._tasks[fire] = task
            return None
        finally:
            set_current(None)

    async def _run(self, fire: AnyFire, rest: _Resume) -> None:
        try:
            outcome: Outcome = "ok"
            error: BaseException | None = None
            try:
                if fire.timeout is not None:
                    await asyncio.wait_for(rest, fire.timeout)
                else:
                    await rest
            except asyncio.TimeoutError as exc:
                outcome, error = "timeout", exc
                logger.warning(
                    "job %r: the run for %s was cancelled after its timeout of %ss",
                    fire.job_name,
                    fire.instant.isoformat(),
                    fire.timeout,
                )
            except asyncio.CancelledError as exc:
                outcome, error = "cancelled", exc
                logger.warning(
                    "job %r: the run for %s was cancelled", fire.job_name, fire.instant.isoformat()
                )
            except Exception as exc:
                outcome, error = "error", exc
                logger.exception(
                    "job %r raised (fire for %s)", fire.job_name, fire.instant.isoformat()
                )
            fire.end(outcome, error)
        finally:
            self._tasks.pop(fire, None)

    def _run_sync(self, fire: AnyFire) -> None:
        self._waiting.discard(fire)
        try:
            if fire.begin():
                outcome, error = call_fire(fire)
                fire.end(outcome, error)
        except BaseException:
            logger.exception("cronsec async worker: unexpected error around %r", fire)


class AsyncScheduler(Front):
    """The scheduler for asyncio programs: ``async with AsyncScheduler() as s: ...``.

    Takes what `Scheduler` takes; ``max_workers`` sizes the thread pool that
    runs plain (non-async) functions. Use it from a running event loop:
    ``await s.start()``, ``await s.stop()``, ``await s.run()`` (until
    cancelled or stopped), or ``async with``. ``await s.run_pending()`` is the
    test step, as ``Scheduler.run_pending``.
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
        given = dict(executors or {})
        default = given.pop("default", "async")
        specs = resolve_executors(given, max_workers)
        specs["default"] = default
        specs["async"] = "async"
        self._executors: dict[str, Executor] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._setup(
            tz=tz,
            max_workers=max_workers,
            clock=clock,
            rng=rng,
            store=store,
            store_backoff=store_backoff,
            store_timeout=store_timeout,
            specs=specs,
            executors=LazyExecutors(self),
            shutdown_timeout=shutdown_timeout,
            health_file=health_file,
            stall_threshold=stall_threshold,
            options=options,
        )
        self._rt.wake = self._poke
        self._event: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None

    # -- running -------------------------------------------------------------

    async def start(self) -> None:
        """Start the timer as a task on the running loop; return at once."""
        if self._task is not None:
            raise RuntimeError("this scheduler is already running")
        self._bind_loop()
        self._rt.open_gate()
        self._task = asyncio.get_running_loop().create_task(self._loop_task())

    async def stop(self, wait: bool = True) -> None:
        """Stop: no fire starts after this returns; with ``wait``, wait for runs
        up to ``shutdown_timeout``, then cancel what is left."""
        task, self._task = self._task, None
        for fire in self._rt.close_gate():
            fire.drop("the scheduler stopped before it started")
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        executors: dict[int, tuple[str, Executor]] = {}
        for name, executor in self._executors.items():  # one name may alias another
            executors.setdefault(id(executor), (name, executor))
        self._executors.clear()
        for name, executor in executors.values():
            if isinstance(executor, AsyncExecutor):
                report = await executor.aclose(wait, self.shutdown_timeout)
            else:
                report = await asyncio.to_thread(executor.shutdown, wait, self.shutdown_timeout)
            if report.cancelled or report.abandoned or report.dropped:
                logger.warning(
                    "cronsec stop: executor %r: %d finished, %d cancelled, %d still going, "
                    "%d waiting dropped",
                    name,
                    report.finished,
                    report.cancelled,
                    report.abandoned,
                    report.dropped,
                )
        side = self._rt.side
        if side is not None:
            if wait:
                await asyncio.to_thread(side.recorder.close, 10.0)
            side.close()

    async def run(self) -> None:
        """Run until cancelled (then stop, waiting for runs) or stopped elsewhere."""
        if self._task is None:
            await self.start()
        task = self._task
        try:
            if task is not None:
                await asyncio.shield(task)
        except asyncio.CancelledError:
            await self.stop(wait=True)
            raise

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def __aenter__(self) -> AsyncScheduler:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop(wait=True)

    async def run_pending(self, wait: bool = True) -> datetime | None:
        """Run every fire due at ``clock.now()``; with ``wait``, until those runs end.

        Returns when the next step is due (aware, UTC), or None.
        """
        self._bind_loop()
        rt = self._rt
        if not self.running:
            rt.open_gate()
        if rt.sharing is not None:
            await asyncio.to_thread(rt.sync, rt.clock.now())
        fires = await self._prepare(rt.clock.now())
        rt.submit(fires)
        with rt.lock:
            rt.timetable.look_ahead()
        if wait and fires:
            while not all(f.finished for f in fires):
                await self._settled()
            side = rt.side
            if side is not None:
                await asyncio.to_thread(side.recorder.flush, 10.0)
        return rt.deadline()

    # -- the timer task ---------------------------------------------------------

    async def _loop_task(self) -> None:
        rt = self._rt
        clock = rt.clock
        system = isinstance(clock, SystemClock)
        while True:
            try:
                deadline = rt.deadline()
                now = clock.now()
                self._touch(now)
                wake_at = deadline
                if deadline is not None and system:  # prepare before the instant
                    wake_at = deadline - timedelta(seconds=rt.lead(deadline))
                if wake_at is None or now < wake_at:
                    timeout = 5.0 if wake_at is None else (wake_at - now).total_seconds()
                    await self._wait(min(timeout, 5.0) if system else min(timeout, POLL))
                    continue
                self._woke(now, wake_at)
                when = now if deadline is None else max(now, deadline)
                fires = await self._prepare(when)
                if system:
                    await _until(when)
                rt.submit(fires)
                with rt.lock:
                    rt.timetable.look_ahead()
                if rt.sharing is not None:  # the shared state, after the hand-over
                    await asyncio.to_thread(rt.sync, clock.now())
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("cronsec timer: unexpected error; carrying on")
                await asyncio.sleep(1.0)

    async def _prepare(self, when: datetime) -> list[Fire]:
        rt = self._rt
        fires: list[Fire] = []
        for _ in range(2):
            plan = rt.plan(when)
            if rt.side is None:
                answer, pasts = rt.claim(plan)  # no I/O without a store
            else:
                answer, pasts = await asyncio.to_thread(rt.claim, plan)
            fires += rt.commit(plan, answer, pasts)
            if not rt.has_pending():
                break
        return fires

    async def _wait(self, timeout: float) -> None:
        event = self._event
        assert event is not None
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(event.wait(), max(0.0, timeout))
        event.clear()

    async def _settled(self) -> None:
        """Wait a moment for fires to finish (woken when one does)."""
        done = asyncio.get_running_loop().run_in_executor(None, self._rt.done_wait, 0.05)
        await done

    def _bind_loop(self) -> None:
        loop = asyncio.get_running_loop()
        if self._loop is not None and self._loop is not loop and self._loop.is_running():
            raise RuntimeError("this AsyncScheduler runs on another event loop")
        if self._loop is not loop:
            self._loop = loop
            self._event = asyncio.Event()
            self._executors.clear()

    def _poke(self) -> None:
        loop, event = self._loop, self._event
        if loop is None or event is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            event.set()
        else:
            loop.call_soon_threadsafe(event.set)

    def _ready(self, name: str) -> None:
        if self._loop is not None:
            self._executor_for(name)

    def _build(self, spec: str | Executor) -> Executor:
        if spec != "async":
            return build_executor(spec, self.max_workers)
        if self._loop is None:
            raise RuntimeError("AsyncScheduler: use it from a running event loop")
        return AsyncExecutor(self._loop, self.max_workers)

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<AsyncScheduler {state}, {len(self._rt.jobs)} job(s)>"


@functools.lru_cache(maxsize=4096)
def _is_coroutine_function(func: Any) -> bool:
    """``inspect.iscoroutinefunction``, asked once per callable, not once per fire."""
    return inspect.iscoroutinefunction(func)


class _Resume:
    """The rest of a coroutine that already ran to its first suspension, as an awaitable.

    Hands what the coroutine yielded (the future it waits for) to the awaiting
    task, and forwards what comes back (a result or an exception, cancellation
    included) to the coroutine, until it returns.
    """

    __slots__ = ("coro", "yielded")

    def __init__(self, coro: Any, yielded: Any) -> None:
        self.coro = coro
        self.yielded = yielded

    def __await__(self) -> Any:
        coro, value = self.coro, self.yielded
        while True:
            try:
                sent = yield value
            except BaseException as exc:
                try:
                    value = coro.throw(exc)
                except StopIteration as stop:
                    return stop.value
            else:
                try:
                    value = coro.send(sent)
                except StopIteration as stop:
                    return stop.value


async def _until(when: datetime) -> None:
    """Wait for ``when`` on the loop: asyncio's timers wake up to a millisecond late,
    so the last millisecond is waited out in place (never a fire before its instant)."""
    target = when.timestamp()
    remaining = target - time.time()
    if remaining > 0.0015:
        await asyncio.sleep(remaining - 0.0015)
    while time.time() < target:
        pass
