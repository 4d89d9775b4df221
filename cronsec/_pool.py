"""A small pool of worker threads that are already running when a fire comes.

``concurrent.futures.ThreadPoolExecutor`` starts its threads lazily, at the
first submits, which is exactly when a timer cannot afford the milliseconds a
thread start costs. This pool starts all its threads up front and hands each
task to an idle one through a single condition.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable
from typing import Callable

__all__ = ["Batch", "Task", "WorkerPool"]


class Batch:
    """Counts the tasks of one dispatch down to zero, for callers that wait for them."""

    def __init__(self, count: int) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._left = count

    def one_done(self) -> None:
        with self._cond:
            self._left -= 1
            if self._left <= 0:
                self._cond.notify_all()

    def wait(self) -> None:
        """Block until every task of the batch has run or been cancelled."""
        with self._cond:
            self._cond.wait_for(lambda: self._left <= 0)


class Task:
    """One unit of work: ``run`` on a worker, or ``cancel`` if the pool closes first."""

    __slots__ = ("_cancel", "_run", "batch")

    def __init__(self, run: Callable[[], None], cancel: Callable[[], None]) -> None:
        self._run = run
        self._cancel = cancel
        self.batch: Batch | None = None  # told when this task ends, if set

    def run(self) -> None:
        """Run the work; the batch (if any) is told however it ends."""
        try:
            self._run()
        finally:
            if self.batch is not None:
                self.batch.one_done()

    def cancel(self) -> None:
        """Give up the work without running it; the batch (if any) is told."""
        try:
            self._cancel()
        finally:
            if self.batch is not None:
                self.batch.one_done()


class WorkerPool:
    """A fixed set of pre-started daemon threads taking tasks from one queue."""

    def __init__(self, size: int, name: str = "cronsec-worker") -> None:
        """Start ``size`` threads at once (``size`` >= 1)."""
        if size < 1:
            raise ValueError(f"a pool needs at least one worker, got {size}")
        lock = threading.Lock()
        self._cond = threading.Condition(lock)  # workers wait here for tasks
        self._empty = threading.Condition(lock)  # drained() waits here
        self._queue: deque[Task] = deque()
        self._closed = False
        self._threads = [
            threading.Thread(target=self._work, name=f"{name}-{i}", daemon=True)
            for i in range(size)
        ]
        for thread in self._threads:
            thread.start()

    @property
    def size(self) -> int:
        """How many worker threads the pool has."""
        return len(self._threads)

    def submit(self, tasks: Iterable[Task]) -> bool:
        """Queue ``tasks`` and wake as many workers; False (nothing queued) once closed."""
        with self._cond:
            if self._closed:
                return False
            before = len(self._queue)
            self._queue.extend(tasks)
            self._cond.notify(len(self._queue) - before)
            return True

    def drained(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds until every queued task has been picked up."""
        with self._empty:
            return self._empty.wait_for(lambda: not self._queue, timeout)

    def close(self, wait: bool = True, timeout: float | None = None) -> None:
        """Start nothing more: cancel queued tasks; with ``wait``, join the workers.

        A task a worker has already picked up runs to its end; once close()
        returns, no queued task can start.
        """
        with self._cond:
            self._closed = True
            dropped = list(self._queue)
            self._queue.clear()
            self._cond.notify_all()
            self._empty.notify_all()
        for task in dropped:
            task.cancel()
        if wait:
            me = threading.current_thread()
            for thread in self._threads:
                if thread is not me:
                    thread.join(timeout)

    def _work(self) -> None:
        """Worker loop: take the next task and run it, until the pool closes."""
        cond = self._cond
        queue = self._queue
        while True:
            with cond:
                while not queue and not self._closed:
                    cond.wait()
                if not queue:
                    return
                task = queue.popleft()
                if not queue:
                    self._empty.notify_all()
            task.run()
            del task  # hold nothing of the job while idle
