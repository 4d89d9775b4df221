"""The scheduler's side of a store: bounded calls, backoff, answer checks, the recorder.

Every store call made for the timer runs on one caller thread and is waited
for at most ``timeout`` seconds: a store that hangs, raises, or answers
wrongly (a list of the wrong length, not booleans) is *unavailable* for that
call, and the store is left alone for a backoff that doubles up to a limit,
so an unreachable store costs the timer one timeout per backoff, not one per
fire. Completions go to the store from a recorder thread of their own, so a
worker never waits for the store. Both threads live from start to stop: one
connection each, for the scheduler's life.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, TypeVar

from .stores._base import Store, StoreUnavailable

__all__ = ["UNAVAILABLE", "Recorder", "StoreSide", "Unavailable"]

logger = logging.getLogger("cronsec")
UTC = timezone.utc
T = TypeVar("T")


class Unavailable:
    """What a store call answers when the store could not be asked."""

    def __repr__(self) -> str:
        return "UNAVAILABLE"


UNAVAILABLE = Unavailable()


class _Caller:
    """One thread that makes store calls; callers wait for an answer at most ``timeout``."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._cond = threading.Condition(threading.Lock())
        self._work: list[tuple[Callable[[], Any], list[Any], threading.Event]] = []
        self._thread: threading.Thread | None = None
        self._closed = False

    def call(self, func: Callable[[], T], timeout: float) -> T:
        """``func()`` on the caller thread; StoreUnavailable if no answer within ``timeout``."""
        box: list[Any] = []
        done = threading.Event()
        with self._cond:
            if self._closed:
                raise StoreUnavailable("the scheduler's store caller is closed")
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
            self._work.append((func, box, done))
            self._cond.notify()
        if not done.wait(timeout):
            raise StoreUnavailable(f"no answer within {timeout:g}s")
        ok, value = box
        if ok:
            result: T = value
            return result
        raise value

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._work and not self._closed:
                    self._cond.wait()
                if not self._work:
                    self._thread = None
                    self._closed = False  # a later start() may use it again
                    return
                func, box, done = self._work.pop(0)
            try:
                box += [True, func()]
            except BaseException as exc:
                box += [False, exc]
            done.set()


class StoreSide:
    """The store, reached through bounded calls with backoff."""

    def __init__(
        self,
        store: Store,
        backoff: tuple[float, float],
        timeout: float,
        on_change: Callable[[bool, str, float], None] | None = None,
    ) -> None:
        lo, hi = backoff
        if not 0 < lo <= hi:
            raise ValueError(f"store_backoff must be (min, max) with 0 < min <= max, got {backoff}")
        if not timeout > 0:
            raise ValueError(f"store_timeout must be > 0 seconds, got {timeout!r}")
        self.store = store
        self.backoff = (float(lo), float(hi))
        self.timeout = float(timeout)
        self.failures = 0
        """Store calls that failed (claims, catch-up reads, completions)."""
        self.latency = min(0.05, self.timeout)
        """Seconds the store's claims have lately taken (a slowly decaying maximum; the
        first ones open connections, so it starts at 50 ms and comes down as measured)."""
        self._count_lock = threading.Lock()
        self._caller = _Caller("cronsec-store")
        self.recorder = Recorder(self)
        self.retry_at: datetime | None = None  # no call before this (backing off)
        self._delay = 0.0
        self.down_since: datetime | None = None
        self._on_change = on_change

    @property
    def available(self) -> bool:
        """False from a failed store call until one succeeds again."""
        return self.down_since is None

    def ask(
        self, now: datetime, func: Callable[[], T], check: Callable[[T], None] | None = None
    ) -> T | Unavailable:
        """``func()`` bounded by the timeout, unless backing off; UNAVAILABLE if it fails.

        ``check`` validates the answer (raising ValueError on a wrong one): a
        wrong answer counts as the store being unavailable.
        """
        if self.retry_at is not None and now < self.retry_at:
            return UNAVAILABLE
        try:
            result = self._caller.call(func, self.timeout)
            if check is not None:
                check(result)
        except Exception as exc:  # any store, any failure, a wrong answer: the timer goes on
            self._failed(now, exc)
            return UNAVAILABLE
        if self.down_since is not None:
            down = (now - self.down_since).total_seconds()
            logger.warning("store %r is back after %.1fs", self.store, down)
            if self._on_change is not None:
                self._on_change(True, "", down)
        self.retry_at, self._delay, self.down_since = None, 0.0, None
        return result

    def claim(
        self, pairs: Sequence[tuple[str, datetime]], now: datetime
    ) -> list[bool] | Unavailable:
        """Claim every pair in one round trip; the answer is checked (one bool per pair)."""
        if not pairs:
            return []
        store = self.store

        def call() -> list[bool]:
            batch = getattr(store, "claim_many", None)
            if batch is not None and len(pairs) > 1:
                answer = batch(list(pairs))
            else:
                answer = [store.claim(job, instant) for job, instant in pairs]
            return answer  # type: ignore[no-any-return]

        def check(answer: object) -> None:
            if not isinstance(answer, (list, tuple)) or len(answer) != len(pairs):
                size = len(answer) if isinstance(answer, (list, tuple)) else type(answer).__name__
                raise ValueError(f"claim_many answered {size} result(s) for {len(pairs)} claim(s)")
            if not all(isinstance(won, (bool, int)) for won in answer):
                raise ValueError("claim_many answered something other than booleans")

        began = time.perf_counter()
        result = self.ask(now, call, check)
        took = time.perf_counter() - began
        # A slowly decaying maximum: the timer prepares batches this much earlier.
        self.latency = min(max(took, self.latency * 0.9), self.timeout)
        return result if isinstance(result, Unavailable) else [bool(w) for w in result]

    def last_completed(self, job: str, now: datetime) -> datetime | Unavailable | None:
        def check(answer: object) -> None:
            if answer is not None and not (
                isinstance(answer, datetime) and answer.tzinfo is not None
            ):
                raise ValueError(f"last_completed answered {answer!r}, not an aware datetime")

        return self.ask(now, lambda: self.store.last_completed(job), check)

    def failed(self, exc: BaseException, what: str) -> None:
        """A store call off the timer failed (a completion): count and log it."""
        with self._count_lock:
            self.failures += 1
        logger.warning("store %r: could not %s: %s", self.store, what, exc)

    def close(self) -> None:
        """End the caller thread (the recorder is flushed by the scheduler first)."""
        self._caller.close()

    def _failed(self, now: datetime, exc: BaseException) -> None:
        lo, hi = self.backoff
        self._delay = min(hi, max(lo, self._delay * 2))
        self.retry_at = now + timedelta(seconds=self._delay)
        first = self.down_since is None
        if first:
            self.down_since = now
        with self._count_lock:
            self.failures += 1
        logger.warning(
            "store %r unavailable: %s; asking again in %.0fs", self.store, exc, self._delay
        )
        if first and self._on_change is not None:
            self._on_change(False, str(exc), self._delay)


class Recorder:
    """Writes to the store from a thread of its own: completions, releases, run history,
    and lease renewals every ``renew_every`` seconds for the claims still held.

    Every claim this process won ends here with ``record`` (it ran) or
    ``release`` (it never started), so none is left to look abandoned. A
    worker never waits for the store. The thread lives until `close`.
    """

    def __init__(
        self,
        side: StoreSide,
        held: Callable[[], list[tuple[str, datetime]]] | None = None,
        renew_every: float | None = None,
    ) -> None:
        self._side = side
        self._cond = threading.Condition(threading.Lock())
        self._ops: list[tuple[str, Any, Any]] = []
        self._busy = False
        self._closed = False
        self._thread: threading.Thread | None = None
        self.held = held
        self.renew_every = renew_every

    def submit(self, job: str, utc: datetime) -> None:
        """Queue the completion of ``(job, utc)``."""
        self._put(("record", job, utc))

    def release(self, job: str, utc: datetime) -> None:
        """Queue giving back the claim of a fire that never started."""
        self._put(("release", job, utc))

    def run(self, run: Any) -> None:
        """Queue a run record for the store's history."""
        self._put(("runs", run, None))

    def start(self) -> None:
        """Start the thread now (it renews leases even while nothing completes)."""
        with self._cond:
            self._ensure()

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every queued write was sent (or failed); False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._ops and not self._busy, timeout)

    def close(self, timeout: float | None = None) -> bool:
        """Send what is queued (up to ``timeout``), then end the thread."""
        sent = self.flush(timeout)
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        return sent

    def _put(self, op: tuple[str, Any, Any]) -> None:
        with self._cond:
            self._ops.append(op)
            self._ensure()
            self._cond.notify_all()

    def _ensure(self) -> None:
        if self._thread is None:
            self._closed = False
            self._thread = threading.Thread(target=self._loop, name="cronsec-recorder", daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        store = self._side.store
        renew_at = time.monotonic() + (self.renew_every or 0.0)
        while True:
            with self._cond:
                while not self._ops and not self._closed:
                    wait = None
                    if self.renew_every is not None:
                        wait = max(0.0, renew_at - time.monotonic())
                        if wait == 0.0:
                            break
                    self._cond.wait(wait)
                if not self._ops and self._closed:
                    self._thread = None
                    self._cond.notify_all()
                    return
                ops, self._ops = self._ops, []
                self._busy = True
            try:
                runs = [op[1] for op in ops if op[0] == "runs"]
                for kind, job, utc in ops:
                    if kind == "runs":
                        continue
                    try:
                        if kind == "record":
                            store.record(job, utc)
                        else:
                            store.release(job, utc)
                    except Exception as exc:
                        self._side.failed(exc, f"{kind} the claim of {job!r} at {utc.isoformat()}")
                if runs and hasattr(store, "add_runs"):
                    try:
                        store.add_runs(runs)
                    except Exception as exc:
                        self._side.failed(exc, f"keep {len(runs)} run record(s)")
                if self.renew_every is not None and time.monotonic() >= renew_at:
                    renew_at = time.monotonic() + self.renew_every
                    held = self.held() if self.held is not None else []
                    if held:
                        try:
                            store.renew(held)
                        except Exception as exc:
                            self._side.failed(exc, f"renew the leases of {len(held)} claim(s)")
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()
