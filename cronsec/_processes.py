"""The process executor: fires run in a pool of worker processes started up front.

CPU-bound jobs there never hold the GIL against the timer or other jobs. Each
worker has its own pipe, so the parent knows which worker runs which fire: it
can pin a job to one worker, terminate the one worker whose fire ran past its
timeout or was cancelled, and replace a worker that died (segfault,
``os._exit``, an OOM kill) while the other workers carry on.

Why not ``concurrent.futures.ProcessPoolExecutor``: it starts its workers
lazily (the first fires pay for it), does not say which worker runs a future
and cannot bind a task to one, cannot stop one running task, and a worker
that dies breaks the whole pool (every pending and running future fails with
``BrokenProcessPool`` and the pool must be rebuilt). Measured on 2 CPUs, it
is no faster where it matters: submit to callable start is 0.1-0.25 ms for
both (this pool up to ~0.1 ms more: one hop through the dispatcher and the
gate), and its lazy start makes the first four concurrent fires wait 0.6-1.2 s
(forkserver) that `start` pays up front here. docs/executors.md has the table.

What a worker runs is in ``_worker``. Workers start with forkserver (spawn
where there is none), never fork: the parent runs threads, and a forked
child can deadlock on a lock one of them held. Replacing a worker takes
0.1-0.4 s; start-up of 4 workers 0.3-1.5 s.

One dispatcher thread in the parent hands queued fires to idle workers and
collects their results, waiting on the pipes, the processes' sentinels and a
wake-up pipe at once (`multiprocessing.connection.wait`), with a timeout only
for the next deadline (a fire's timeout, a kill after the grace period).
Fire callbacks (`Fire.begin`, `Fire.end`, `Fire.drop`) are called without
the executor's lock held.
"""

from __future__ import annotations

import atexit
import contextlib
import inspect
import logging
import math
import multiprocessing
import pickle
import signal
import sys
import threading
import time
import weakref
from collections import deque
from collections.abc import Mapping, Sequence
from multiprocessing import connection
from multiprocessing.connection import Connection
from multiprocessing.context import BaseContext
from multiprocessing.process import BaseProcess
from typing import Any, Callable

from ._executor import Fire, Outcome, ShutdownReport
from ._worker import STOP, work

__all__ = ["ProcessExecutor", "RemoteTraceback", "check_picklable"]

logger = logging.getLogger("cronsec")

GRACE = 1.0
"""Seconds between SIGTERM and SIGKILL when a worker is terminated."""
START_TIMEOUT = 60.0
"""Seconds `start` waits for the workers to report ready."""
START_FAILURES = 3
"""A worker that dies this many times in a row before it is ready is given up."""


class RemoteTraceback(Exception):
    """The traceback text of an exception raised in a worker (its ``__cause__``)."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text

    def __str__(self) -> str:
        return f'\n"""\n{self.text}"""'


def check_picklable(
    func: Callable[..., Any],
    args: Sequence[Any] = (),
    kwargs: Mapping[str, Any] | None = None,
) -> None:
    """Raise TypeError, saying why, unless ``func(*args, **kwargs)`` can cross to a worker.

    The callable must be importable by its module and qualified name (a
    module-level ``def``, a class, a bound method of a picklable object) and
    every argument must pickle.
    """
    what = getattr(func, "__qualname__", None) or repr(func)
    hint = "define the job with def at the top level of a module, so a worker can import it"
    if getattr(func, "__name__", None) == "<lambda>":
        raise TypeError(f"cannot run a lambda in a worker process: {hint}")
    if "<locals>" in (getattr(func, "__qualname__", None) or ""):
        raise TypeError(f"cannot run the nested function {what} in a worker process: {hint}")
    module = getattr(func, "__module__", None)
    main = sys.modules.get("__main__")
    if module == "__main__" and not getattr(main, "__file__", None):
        raise TypeError(
            f"cannot run {what} in a worker process: it was defined in an interactive session, "
            f"which a worker cannot import; {hint}"
        )
    try:
        pickle.dumps(func)
    except Exception as e:
        if inspect.ismethod(func):
            owner = type(func.__self__).__name__
            raise TypeError(
                f"cannot run {what} in a worker process: it is a bound method of a "
                f"{owner} object that cannot be pickled ({e})"
            ) from e
        raise TypeError(f"cannot run {what} in a worker process: it cannot be pickled ({e})") from e
    named = [(f"argument {i}", a) for i, a in enumerate(args)]
    named += [(f"keyword argument {k!r}", v) for k, v in (kwargs or {}).items()]
    for label, value in named:
        try:
            pickle.dumps(value)
        except Exception as e:
            raise TypeError(
                f"cannot run {what} in a worker process: its {label} cannot be pickled ({e})"
            ) from e


def _describe_exit(code: int | None) -> str:
    """A worker's exit cause in words: "exited with code 3", "killed by signal 9 (SIGKILL)"."""
    if code is None:
        return "worker vanished (exit status unknown)"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = "unknown signal"
        return f"worker killed by signal {-code} ({name})"
    return f"worker exited with code {code}"


class _Worker:
    """One slot of the pool: its current process, pipe, state and fire."""

    def __init__(self, index: int) -> None:
        self.index = index
        self.process: BaseProcess | None = None
        self.conn: Connection | None = None
        self.pid: int | None = None
        self.state = "dead"  # starting, idle, busy, stopping, dead
        self.fire: Fire | None = None
        self.sent = False  # the fire passed begin() and went down the pipe
        self.deadline = math.inf  # when the fire times out (monotonic)
        self.kill_at = math.inf  # when a terminated worker gets SIGKILL
        self.reason: Outcome | None = None  # why it is being terminated
        self.failures = 0  # deaths in a row before ready


class ProcessExecutor:
    """Runs fires in ``workers`` pre-started processes; see the module docstring."""

    kind = "processes"
    can_cancel = True

    def __init__(
        self,
        workers: int = 4,
        *,
        name: str = "processes",
        mp_context: BaseContext | str | None = None,
        nice: int = 10,
    ) -> None:
        if not isinstance(workers, int) or workers < 1:
            raise ValueError(f"a process pool needs at least one worker, got {workers!r}")
        if not isinstance(nice, int) or isinstance(nice, bool) or not 0 <= nice <= 19:
            raise ValueError(f"nice must be an int from 0 to 19, got {nice!r}")
        # Workers run CPU-bound jobs below the scheduler's priority, so that on a busy
        # machine the OS wakes the timer first and its lateness stays small.
        self._nice = nice
        if mp_context is None:
            methods = multiprocessing.get_all_start_methods()
            mp_context = "forkserver" if "forkserver" in methods else "spawn"
        # Any: typeshed's BaseContext lacks Process, which every concrete context has.
        self._ctx: Any = (
            multiprocessing.get_context(mp_context) if isinstance(mp_context, str) else mp_context
        )
        self.name = name
        self._lock = threading.Lock()
        self._queue: deque[Fire] = deque()
        self._workers = [_Worker(i) for i in range(workers)]
        self._next = 0  # round-robin position
        self._started = False
        self._closed = False
        self._stop_by = math.inf  # after shutdown: when running fires are terminated
        self._finished = 0
        self._cancelled = 0
        self._wake_r, self._wake_w = self._ctx.Pipe(duplex=False)
        self._woken = False
        self._thread: threading.Thread | None = None
        self._report: ShutdownReport | None = None

    def __repr__(self) -> str:
        return f"<ProcessExecutor {self.name!r} workers={len(self._workers)}>"

    # -- the Executor seam ---------------------------------------------------

    def start(self) -> None:
        """Start every worker and wait until each has reported ready."""
        with self._lock:
            if self._started or self._closed:
                return
            self._started = True
        for w in self._workers:
            self._spawn(w)
        deadline = time.monotonic() + START_TIMEOUT
        pending = list(self._workers)
        while pending:
            objects: dict[Any, _Worker] = {}
            for w in pending:
                if w.conn is not None:
                    objects[w.conn] = w
                if w.process is not None:
                    objects[w.process.sentinel] = w
            ready = connection.wait(list(objects), max(0.0, deadline - time.monotonic()))
            for obj in ready:
                if isinstance(obj, Connection) and objects[obj].state == "starting":
                    self._receive(objects[obj])  # "ready"
            failed = [objects[o] for o in ready if not isinstance(o, Connection)]
            failed = [w for w in failed if w.state == "starting"]
            pending = [w for w in pending if w.state == "starting"]
            if failed or (pending and time.monotonic() >= deadline):
                with self._lock:
                    self._closed = True
                for w in self._workers:
                    if w.process is not None:
                        w.process.kill()
                        w.process.join()
                    if w.conn is not None:
                        w.conn.close()
                cause = (
                    _describe_exit(failed[0].process.exitcode)
                    if failed and failed[0].process
                    else f"not ready after {START_TIMEOUT} s"
                )
                raise RuntimeError(f"{self!r}: a worker failed to start ({cause})")
        self._thread = threading.Thread(
            target=self._dispatch, name=f"cronsec-{self.name}-dispatcher", daemon=True
        )
        self._thread.start()
        _live.add(self)

    def submit(self, fires: Sequence[Fire]) -> None:
        """Queue fires for the next idle worker (their pinned one, if pinned); never blocks."""
        if not self._started:
            self.start()
        with self._lock:
            if not self._closed:
                self._queue.extend(fires)
                self._wake()
                return
        for fire in fires:
            self._drop(fire, "stopped")

    def idle(self) -> int:
        """Workers ready and waiting for a fire right now."""
        with self._lock:
            return sum(w.state == "idle" for w in self._workers)

    def cancel(self, fire: Fire) -> bool:
        """Terminate the worker running ``fire`` (it ends "cancelled"); False if not running."""
        with self._lock:
            for w in self._workers:
                if w.fire is fire and w.state in ("busy", "stopping"):
                    if w.reason is None:
                        w.reason = "cancelled"
                        if w.sent:
                            self._terminate(w, time.monotonic())
                            self._wake()  # for the SIGKILL after the grace period
                    return True
        return False

    def shutdown(self, wait: bool = True, timeout: float | None = None) -> ShutdownReport:
        """Drop queued fires; wait up to ``timeout`` (with ``wait``) for running fires, then
        terminate what is left; join every worker and the dispatcher."""
        with self._lock:
            if self._closed:
                return self._report or ShutdownReport(0, 0, 0, 0)
            self._closed = True
            dropped = list(self._queue)
            self._queue.clear()
            if not wait:
                self._stop_by = time.monotonic()
            elif timeout is not None:
                self._stop_by = time.monotonic() + timeout
            self._wake()
        for fire in dropped:
            self._drop(fire, "stopped")
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join()
        if thread is None:
            self._wake_r.close()
            self._wake_w.close()
        _live.discard(self)
        self._report = ShutdownReport(self._finished, self._cancelled, 0, len(dropped))
        return self._report

    # -- introspection ---------------------------------------------------------

    def pids(self) -> list[int | None]:
        """The process id of each worker, by index (None while one is being replaced)."""
        with self._lock:
            return [w.pid if w.state in ("idle", "busy") else None for w in self._workers]

    def worker_of(self, fire: Fire) -> int | None:
        """The index of the worker running ``fire``, or None."""
        with self._lock:
            for w in self._workers:
                if w.fire is fire:
                    return w.index
        return None

    # -- the dispatcher thread -------------------------------------------------

    def _wake(self) -> None:
        """Wake the dispatcher (lock held); one byte in the pipe at most."""
        if not self._woken:
            self._woken = True
            self._wake_w.send_bytes(b"!")

    def _spawn(self, w: _Worker) -> None:
        """Start a new process in slot ``w`` (lock not held); it is idle once it says ready."""
        parent, child = self._ctx.Pipe(duplex=True)
        process = self._ctx.Process(
            target=work,
            args=(child, self._nice),
            name=f"cronsec-{self.name}-{w.index}",
            daemon=False,
        )
        try:
            process.start()
        finally:
            child.close()
        with self._lock:
            w.process, w.conn, w.pid, w.state = process, parent, process.pid, "starting"

    def _dispatch(self) -> None:
        """The dispatcher thread: never dies of a bug in one step, or every fire would hang."""
        while True:
            try:
                if self._step():
                    return
            except Exception:
                logger.exception("%r: dispatcher error (carrying on)", self)

    def _step(self) -> bool:
        """One round: dispatch, wait for a pipe, an exit or a deadline, handle it; True: done."""
        sends = self._assign()
        while sends:  # again: a fire refused at the gate leaves its worker idle
            for w, fire in sends:
                self._send(w, fire)
            sends = self._assign()
        with self._lock:
            live = [w for w in self._workers if w.state != "dead"]
            if self._closed and not live:
                self._wake_r.close()
                self._wake_w.close()
                return True
            objects: dict[Any, tuple[str, _Worker | None]] = {self._wake_r: ("wake", None)}
            for w in live:
                if w.conn is not None:
                    objects[w.conn] = ("conn", w)
                if w.process is not None:
                    objects[w.process.sentinel] = ("exit", w)
            running = [w for w in live if w.state == "busy" and w.reason is None]
            due = min(
                [
                    self._stop_by if running else math.inf,
                    *(w.deadline for w in running),
                    *(w.kill_at for w in live),
                ]
            )
        timeout = None if due == math.inf else max(0.0, due - time.monotonic())
        ready = connection.wait(list(objects), timeout)
        kinds = sorted((objects[obj] for obj in ready), key=lambda kw: kw[0] != "conn")
        for kind, worker in kinds:  # messages first: a "done" may precede its worker's exit
            if kind == "wake":
                with self._lock:
                    while self._wake_r.poll():
                        self._wake_r.recv_bytes()
                    self._woken = False
            elif worker is not None and kind == "conn":
                self._receive(worker)
            elif worker is not None:
                self._bury(worker)
        self._enforce()
        return False

    def _assign(self) -> list[tuple[_Worker, Fire]]:
        """Reserve an idle worker for each queued fire that can have one, in queue order."""
        out: list[tuple[_Worker, Fire]] = []
        dropped: list[tuple[Fire, str]] = []
        n = len(self._workers)
        with self._lock:
            if not self._queue:
                return out
            keep: deque[Fire] = deque()
            for fire in self._queue:
                if fire.pin is not None:
                    w = self._workers[fire.pin % n]
                    if w.state == "dead":
                        dropped.append((fire, f"worker {w.index} could not be started"))
                        continue
                    chosen = w if w.state == "idle" else None
                else:
                    order = [self._workers[(self._next + k) % n] for k in range(n)]
                    chosen = next((w for w in order if w.state == "idle"), None)
                    if chosen is not None:
                        self._next = (chosen.index + 1) % n
                    elif all(w.state == "dead" for w in order):
                        dropped.append((fire, "no worker could be started"))
                        continue
                if chosen is None:
                    keep.append(fire)
                    continue
                chosen.state, chosen.fire, chosen.sent, chosen.reason = "busy", fire, False, None
                out.append((chosen, fire))
            self._queue = keep
        for fire, why in dropped:
            self._drop(fire, why)
        return out

    def _send(self, w: _Worker, fire: Fire) -> None:
        """The gate, then the fire down the worker's pipe."""
        problem = None
        try:
            payload = pickle.dumps((fire.func, fire.args, fire.kwargs, fire.instant))
        except Exception as e:
            payload, problem = b"", f"cannot pickle the job for a worker process: {e!r}"
        try:
            started = fire.begin()
        except Exception:
            logger.exception("%r: Fire.begin raised for job %r", self, fire.job_name)
            started = False
        with self._lock:
            cancelled = w.reason == "cancelled"
            if not started or problem or cancelled:
                w.fire, w.reason = None, None
                w.state = "idle" if w.state == "busy" else w.state
            else:
                w.sent = True
                w.deadline = time.monotonic() + fire.timeout if fire.timeout else math.inf
        if not started:
            return
        if problem or cancelled:
            self._end(fire, "error" if problem else "cancelled", problem)
            return
        try:
            if w.conn is not None:
                w.conn.send_bytes(payload)
        except OSError:
            pass  # the worker just died: its sentinel ends this fire as crashed

    def _receive(self, w: _Worker) -> None:
        if w.conn is None:
            return
        try:
            message = w.conn.recv()
        except (EOFError, OSError):
            with self._lock:
                if w.conn is not None:
                    w.conn.close()
                w.conn = None  # dead: its sentinel is coming
            return
        if message[0] == "ready":
            with self._lock:
                w.failures = 0
                if w.state == "starting":
                    w.state = "idle"
                    if self._closed:
                        self._stop(w)
            return
        outcome, text, blob = message
        with self._lock:
            fire, w.fire, w.sent, w.deadline = w.fire, None, False, math.inf
            if w.state == "busy":
                w.state, w.reason = "idle", None
                if self._closed:
                    self._stop(w)
        if fire is None:
            return
        error: BaseException | str | None = text
        if blob is not None:
            try:
                exc = pickle.loads(blob)
            except Exception:
                exc = None
            if isinstance(exc, BaseException):
                exc.__cause__ = RemoteTraceback(text or "")
                error = exc
        self._end(fire, outcome, error)

    def _bury(self, w: _Worker) -> None:
        """A worker exited: end its fire with the cause, replace it unless shutting down."""
        while w.conn is not None and w.conn.poll():
            self._receive(w)  # a "done" it sent before dying
        process = w.process
        assert process is not None
        process.join(5.0)
        code, pid = process.exitcode, process.pid
        cause = _describe_exit(code)
        with self._lock:
            fire = w.fire if w.sent else None
            reason, was = w.reason, w.state
            if w.conn is not None:
                w.conn.close()
            w.process = w.conn = w.pid = w.fire = w.reason = None
            w.sent, w.deadline, w.kill_at, w.state = False, math.inf, math.inf, "dead"
            if was == "starting":
                w.failures += 1
            respawn = not self._closed and w.failures < START_FAILURES
        if code is not None:
            process.close()
        if fire is not None:
            outcome: Outcome = reason or "crashed"
            where = f"worker {w.index} (pid {pid})"
            if outcome == "timeout":
                text = f"ran past its timeout of {fire.timeout} s; {where} terminated and replaced"
                logger.warning("job %r %s", fire.job_name, text)
                self._end(fire, outcome, text)
            elif outcome == "cancelled":
                self._end(fire, outcome, f"{where} terminated")
            else:
                logger.error(
                    "job %r crashed: %s (worker %d, pid %s); replaced",
                    fire.job_name,
                    cause,
                    w.index,
                    pid,
                )
                self._end(fire, outcome, cause)
        elif was == "starting":
            logger.error("%r: worker %d failed to start: %s", self, w.index, cause)
        elif was != "stopping" and not self._closed:
            logger.warning("%r: idle worker %d died (%s); replaced", self, w.index, cause)
        if respawn:
            try:
                self._spawn(w)
            except Exception:
                logger.exception("%r: could not start a new worker %d", self, w.index)
        elif not self._closed:
            logger.error(
                "%r: worker %d failed to start %d times; given up", self, w.index, w.failures
            )

    def _enforce(self) -> None:
        """Timeouts, SIGKILL after the grace period, and the end of the shutdown wait."""
        now = time.monotonic()
        with self._lock:
            late = self._closed and now >= self._stop_by
            left = []
            for w in self._workers:
                if w.state == "busy" and w.sent and late and w.reason is None:
                    w.reason = "cancelled"
                    self._cancelled += 1
                    left.append(w.fire.job_name if w.fire else "?")
                    self._terminate(w, now)
                elif w.state == "busy" and w.sent and now >= w.deadline and w.reason is None:
                    w.reason = "timeout"
                    self._terminate(w, now)
                elif w.state == "stopping" and now >= w.kill_at and w.process is not None:
                    w.process.kill()
                    w.kill_at = math.inf
                elif self._closed and w.state in ("idle", "starting"):
                    self._stop(w)
        if left:
            logger.warning(
                "%r: shutdown terminated %d running fire(s) that outlived the wait: %s",
                self,
                len(left),
                ", ".join(repr(name) for name in left),
            )

    def _terminate(self, w: _Worker, now: float) -> None:
        """SIGTERM now, SIGKILL after the grace period (lock held)."""
        if w.process is not None:
            w.process.terminate()
        w.state, w.kill_at, w.deadline = "stopping", now + GRACE, math.inf

    def _stop(self, w: _Worker) -> None:
        """Tell an idle worker to exit; terminate one that is still starting (lock held)."""
        if w.state == "idle" and w.conn is not None:
            with contextlib.suppress(OSError):
                w.conn.send_bytes(STOP)
            w.state, w.kill_at = "stopping", time.monotonic() + GRACE + 5.0
        elif w.state in ("idle", "starting"):
            self._terminate(w, time.monotonic())

    def _drop(self, fire: Fire, why: str) -> None:
        try:
            fire.drop(why)
        except Exception:
            logger.exception("%r: Fire.drop raised for job %r", self, fire.job_name)

    def _end(self, fire: Fire, outcome: Outcome, error: BaseException | str | None) -> None:
        """Report a started fire's end (lock not held)."""
        if self._closed and outcome != "cancelled":
            self._finished += 1
        try:
            fire.end(outcome, error)
        except Exception:
            logger.exception("%r: Fire.end raised for job %r", self, fire.job_name)


_live: weakref.WeakSet[ProcessExecutor] = weakref.WeakSet()


def _at_exit() -> None:
    """An executor the program forgot to shut down: terminate its workers, so exit cannot hang."""
    for executor in list(_live):
        executor.shutdown(wait=False)


# Before multiprocessing's own exit handler joins the (non-daemonic) workers.
_register = getattr(threading, "_register_atexit", atexit.register)
_register(_at_exit)
