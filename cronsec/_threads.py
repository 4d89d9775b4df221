"""The thread executor: worker threads that are already running when a fire comes.

``concurrent.futures.ThreadPoolExecutor`` starts its threads lazily, at the
first submits, which is exactly when a timer cannot afford the milliseconds a
thread start costs. This pool starts all its threads up front, wakes only as
many as there are fires, and never loses a worker to an error outside a job.
A thread cannot be killed in Python: a run past its timeout is reported
(`Fire.overran`) and keeps its place until it really ends.
"""

from __future__ import annotations

import asyncio
import heapq
import inspect
import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Sequence
from typing import Any

from ._executor import Fire, Outcome, ShutdownReport
from ._fire import set_current

__all__ = ["ThreadExecutor", "call_fire"]

logger = logging.getLogger("cronsec")


class ThreadExecutor:
    """A fixed set of pre-started daemon threads taking fires from one queue."""

    kind = "threads"
    can_cancel = False

    def __init__(self, workers: int = 10, *, name: str = "cronsec-worker") -> None:
        if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
            raise ValueError(f"a thread executor needs workers >= 1, got {workers!r}")
        self.workers = workers
        self.name = name
        lock = threading.Lock()
        self._cond = threading.Condition(lock)  # workers wait here for fires
        self._drained = threading.Condition(lock)  # the timer waits here (taken)
        self._queue: deque[Fire] = deque()
        self._held: deque[Fire] = deque()  # a batch not to start before _release_at
        self._release_at = 0.0  # time.time() seconds
        self._leading = False  # a worker is waiting out the held batch's instant
        self._pinned: list[deque[Fire]] = [deque() for _ in range(workers)]
        self._idle = 0
        self._running = 0
        self._closed = False
        self._threads: list[threading.Thread] = []
        self._watch = _Watchdog()

    def __repr__(self) -> str:
        return f"ThreadExecutor(workers={self.workers})"

    def start(self) -> None:
        """Start every worker thread now (idempotent)."""
        with self._cond:
            if self._threads or self._closed:
                return
            self._threads = [
                threading.Thread(target=self._work, args=(i,), name=f"{self.name}-{i}", daemon=True)
                for i in range(self.workers)
            ]
            threads = list(self._threads)
        for thread in threads:
            thread.start()

    def submit(self, fires: Sequence[Fire]) -> None:
        """Queue fires and wake as many idle workers (or every worker, for pinned ones)."""
        if not fires:
            return
        with self._cond:
            if self._closed:
                dropped = list(fires)
            else:
                dropped = []
                pinned = False
                for fire in fires:
                    if fire.pin is None:
                        self._queue.append(fire)
                    else:
                        self._pinned[fire.pin % self.workers].append(fire)
                        pinned = True
                if pinned:
                    self._cond.notify_all()
                else:
                    self._cond.notify(min(len(fires), max(self._idle, 1)))
        for fire in dropped:
            fire.drop("the executor is shut down")

    def submit_at(self, fires: Sequence[Fire], at: float) -> bool:
        """Queue a batch that must not start before ``at`` (``time.time()`` seconds).

        One worker wakes now, waits out the rest precisely (sleeping, then
        spinning the last 0.2 ms: one spinner, whatever the batch), releases the
        batch at ``at``, wakes as many others as it needs and starts running
        fires itself: the first callable starts within microseconds of its
        instant instead of after a thread wake-up. False (nothing queued) for
        pinned fires or while another batch is held: then submit at the instant.
        """
        if any(f.pin is not None for f in fires):
            return False
        with self._cond:
            if self._closed or self._held:
                return False
            self._held.extend(fires)
            self._release_at = at
            self._cond.notify(1)
        return True

    def idle(self) -> int:
        """Workers waiting for a fire right now."""
        return self._idle

    def taken(self, timeout: float) -> bool:
        """Wait (GIL released) up to ``timeout`` until the queued fires have been taken.

        The timer calls it right after a hand-over, so that the workers it woke
        get the interpreter at once instead of waiting for the timer's next work.
        """
        end = time.monotonic() + timeout
        left = -1  # fires queued at the last look
        with self._drained:
            while True:
                if self._closed or (not self._queue and not self._held):
                    return True
                now = time.monotonic()
                if now >= end:
                    return False
                wait = end - now
                if self._held:  # not released yet: come back when helpers may be due
                    wait = min(wait, max(0.0, self._release_at + NUDGE - time.time()))
                else:
                    # Released: the lead worker runs the fires one after another (quick
                    # ones take microseconds; waking a helper costs more and contends for
                    # the interpreter). Only when the queue has not moved for NUDGE (the
                    # lead is busy with a slow run) does one more worker join.
                    if len(self._queue) >= left >= 0:
                        self._cond.notify(1)
                    left = len(self._queue)
                    wait = min(wait, NUDGE)
                self._drained.wait(wait)

    def queued_fire(self, job_name: str) -> Fire | None:
        """The oldest fire of that job still waiting for a worker, or None."""
        with self._cond:
            for fire in self._queue:
                if fire.job_name == job_name:
                    return fire
            for q in self._pinned:
                for fire in q:
                    if fire.job_name == job_name:
                        return fire
        return None

    def cancel(self, fire: Fire) -> bool:
        """Threads cannot be cancelled: always False."""
        return False

    def shutdown(self, wait: bool = True, timeout: float | None = None) -> ShutdownReport:
        """Drop what is queued; with ``wait``, join the workers (up to ``timeout``)."""
        with self._cond:
            self._closed = True
            dropped = list(self._held) + list(self._queue)
            self._held.clear()
            self._queue.clear()
            for q in self._pinned:
                dropped += q
                q.clear()
            running = self._running
            self._cond.notify_all()
            self._drained.notify_all()
        for fire in dropped:
            fire.drop("the scheduler stopped before it started")
        left = running
        if wait:
            deadline = None if timeout is None else time.monotonic() + timeout
            me = threading.current_thread()
            for thread in self._threads:
                if thread is not me:
                    remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
                    thread.join(remaining)
            left = self._running
            if left:
                logger.warning(
                    "cronsec: %d run(s) still going after %ss; threads cannot be stopped, "
                    "they finish on their own",
                    left,
                    timeout,
                )
        self._watch.close()
        return ShutdownReport(running - left, 0, left, len(dropped))

    def _take(self, index: int, done: bool) -> Fire | None:
        """The next fire for worker ``index`` (its pinned ones first); None once closed.

        ``done``: the worker's previous fire ended (counted here, under the same lock).
        """
        cond = self._cond
        mine = self._pinned[index]
        with cond:
            if done:
                self._running -= 1
            while True:
                if self._closed:
                    return None
                if mine or self._queue:
                    break
                if self._held and not self._leading:
                    self._lead()
                    continue
                self._idle += 1
                cond.wait()
                self._idle -= 1
            fire = mine.popleft() if mine else self._queue.popleft()
            self._running += 1
            if not self._queue and not self._held:
                self._drained.notify_all()
            return fire

    def _lead(self) -> None:
        """Under the lock: wait out the held batch's instant, then release it."""
        self._leading = True
        at = self._release_at
        self._cond.release()
        try:
            _wait_until(at)
        finally:
            self._cond.acquire()
            self._leading = False
        if self._closed or not self._held:
            return
        self._queue.extend(self._held)
        self._held.clear()

    def _work(self, index: int) -> None:
        """Worker loop: take a fire, pass its gate, run it; survive anything but closing."""
        done = False
        while True:
            fire = self._take(index, done)
            if fire is None:
                return
            done = True
            try:
                if fire.begin():
                    if fire.timeout is not None:
                        self._watch.watch(fire, fire.timeout)
                    outcome, error = call_fire(fire)
                    fire.end(outcome, error)
            except BaseException:  # a bug outside the job: log it, keep the worker
                logger.exception("cronsec worker: unexpected error around %r", fire)
            del fire  # hold nothing of the job while idle


def _wait_until(at: float) -> None:
    """Sleep until just before ``at`` (time.time() seconds), spin the last 0.2 ms."""
    while True:
        remaining = at - time.time()
        if remaining <= 0:
            return
        if remaining > _SPIN:
            time.sleep(remaining - _SPIN)


_SPIN = 0.0002
# A released batch the lead worker has not got through after this long gets helpers.
NUDGE = 0.0003


def call_fire(fire: Fire) -> tuple[Outcome, BaseException | None]:
    """Call the fire's callable on this thread (awaiting it if it is a coroutine)."""
    set_current(fire.instant)
    try:
        result: Any = fire.func(*fire.args, **fire.kwargs)
        if result is not None and inspect.isawaitable(result):
            asyncio.run(_await(result, fire.timeout))
        return "ok", None
    except asyncio.TimeoutError as exc:
        if fire.timeout is not None and isinstance(exc, _AsyncTimeout):
            logger.warning(
                "job %r: the run for %s was cancelled after its timeout of %ss",
                fire.job_name,
                fire.instant.isoformat(),
                fire.timeout,
            )
            return "timeout", exc
        _log_error(fire)
        return "error", exc
    except BaseException as exc:
        _log_error(fire)
        return "error", exc
    finally:
        set_current(None)


class _AsyncTimeout(asyncio.TimeoutError):
    """Raised when a coroutine job outlives its timeout (told apart from its own errors)."""


async def _await(awaitable: Any, timeout: float | None) -> None:
    if timeout is None:
        await awaitable
        return
    try:
        await asyncio.wait_for(awaitable, timeout)
    except asyncio.TimeoutError as exc:
        raise _AsyncTimeout(f"timed out after {timeout}s") from exc


def _log_error(fire: Fire) -> None:
    attempt = getattr(fire, "attempt", 0)
    again = f", retry {attempt}" if attempt else ""
    logger.exception(
        "job %r raised (fire for %s%s)", fire.job_name, fire.instant.isoformat(), again
    )


class _Watchdog:
    """One thread that reports runs past their timeout; started at the first timed run."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._heap: list[tuple[float, int, Fire]] = []
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None
        self._closed = False

    def watch(self, fire: Fire, timeout: float) -> None:
        with self._cond:
            if self._closed:
                return
            heapq.heappush(self._heap, (time.monotonic() + timeout, next(self._seq), fire))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="cronsec-watchdog", daemon=True
                )
                self._thread.start()
            self._cond.notify()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._heap.clear()
            self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._closed and (not self._heap or self._heap[0][0] > time.monotonic()):
                    wait = self._heap[0][0] - time.monotonic() if self._heap else None
                    self._cond.wait(wait)
                if self._closed:
                    return
                _, _, fire = heapq.heappop(self._heap)
            if getattr(fire, "state", "started") == "started":
                fire.overran()
