"""Events: typed, frozen records of what the scheduler did, delivered off the timer thread.

Listeners run on one dispatcher thread fed by a bounded queue: a listener
that raises is logged and kept, one that blocks only fills the queue, and
when the queue is full new events are dropped and counted (``dropped``),
never waited for: nothing a listener does can delay or kill the timer.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Union

__all__ = [
    "QUEUE_LIMIT",
    "Event",
    "EventBus",
    "FireFailed",
    "FireFinished",
    "FireMissed",
    "FireSkipped",
    "FireStarted",
    "JobAdded",
    "JobPaused",
    "JobRemoved",
    "JobResumed",
    "RetryScheduled",
    "StoreRecovered",
    "StoreUnavailableEvent",
    "TimerStalled",
]

logger = logging.getLogger("cronsec")

# Events waiting for the listeners at most; past it new ones are dropped and counted.
QUEUE_LIMIT = 10_000


@dataclass(frozen=True)
class JobAdded:
    job: str
    kind = "job_added"


@dataclass(frozen=True)
class JobRemoved:
    job: str
    kind = "job_removed"


@dataclass(frozen=True)
class JobPaused:
    job: str
    kind = "job_paused"


@dataclass(frozen=True)
class JobResumed:
    job: str
    kind = "job_resumed"


@dataclass(frozen=True)
class FireStarted:
    job: str
    instant: datetime
    started: datetime
    lateness: float | None
    """Seconds after the instant (None for retries and manual runs)."""
    attempt: int
    manual: bool
    kind = "fire_started"


@dataclass(frozen=True)
class FireFinished:
    job: str
    instant: datetime
    duration: float
    attempt: int
    kind = "fire_finished"


@dataclass(frozen=True)
class FireFailed:
    job: str
    instant: datetime
    duration: float
    outcome: str
    """"error", "timeout", "cancelled" or "crashed"."""
    error: str | None
    attempt: int
    kind = "fire_failed"


@dataclass(frozen=True)
class FireMissed:
    job: str
    first: datetime
    last: datetime
    count: int
    why: str
    kind = "fire_missed"


@dataclass(frozen=True)
class FireSkipped:
    job: str
    instant: datetime
    why: str
    kind = "fire_skipped"


@dataclass(frozen=True)
class RetryScheduled:
    job: str
    instant: datetime
    attempt: int
    due: datetime
    kind = "retry_scheduled"


@dataclass(frozen=True)
class StoreUnavailableEvent:
    store: str
    error: str
    retry_in: float
    kind = "store_unavailable"


@dataclass(frozen=True)
class StoreRecovered:
    store: str
    down_for: float
    kind = "store_recovered"


@dataclass(frozen=True)
class TimerStalled:
    expected: datetime
    woke: datetime
    stall: float
    """Seconds the timer woke up later than it meant to."""
    kind = "timer_stalled"


Event = Union[
    JobAdded,
    JobRemoved,
    JobPaused,
    JobResumed,
    FireStarted,
    FireFinished,
    FireFailed,
    FireMissed,
    FireSkipped,
    RetryScheduled,
    StoreUnavailableEvent,
    StoreRecovered,
    TimerStalled,
]
KINDS = frozenset(
    c.kind
    for c in (
        JobAdded,
        JobRemoved,
        JobPaused,
        JobResumed,
        FireStarted,
        FireFinished,
        FireFailed,
        FireMissed,
        FireSkipped,
        RetryScheduled,
        StoreUnavailableEvent,
        StoreRecovered,
        TimerStalled,
    )
)
Listener = Callable[[Event], object]


class EventBus:
    """Subscriptions and the dispatcher thread (started with the first subscriber)."""

    def __init__(self, limit: int = QUEUE_LIMIT) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._listeners: list[tuple[Listener, frozenset[str] | None]] = []
        self._queue: deque[Event] = deque()
        self._limit = limit
        self._thread: threading.Thread | None = None
        self._busy = False
        self.dropped = 0
        """Events dropped because the queue was full (a slow listener)."""
        self.active = False
        """True while anyone listens (emitting is skipped otherwise)."""

    def subscribe(
        self, listener: Listener, kinds: Iterable[str | type] | None = None
    ) -> Callable[[], None]:
        """Call ``listener(event)`` for events of ``kinds`` (all when None); returns unsubscribe."""
        if not callable(listener):
            raise TypeError(f"listener must be callable, got {type(listener).__name__}")
        wanted: frozenset[str] | None = None
        if kinds is not None:
            if isinstance(kinds, (str, type)):
                kinds = [kinds]
            names = [k if isinstance(k, str) else getattr(k, "kind", repr(k)) for k in kinds]
            unknown = sorted(set(names) - KINDS)
            if unknown:
                raise ValueError(
                    f"unknown event kind {unknown[0]!r}; the kinds are {', '.join(sorted(KINDS))}"
                )
            wanted = frozenset(names)
        entry = (listener, wanted)
        with self._cond:
            self._listeners.append(entry)
            self.active = True
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="cronsec-events", daemon=True
                )
                self._thread.start()

        def unsubscribe() -> None:
            with self._cond:
                if entry in self._listeners:
                    self._listeners.remove(entry)
                self.active = bool(self._listeners)

        return unsubscribe

    def emit(self, event: Event) -> None:
        """Queue an event for the listeners; never blocks (full: dropped and counted)."""
        with self._cond:
            if not self._listeners:
                return
            if len(self._queue) >= self._limit:
                self.dropped += 1
                if self.dropped == 1 or self.dropped % 1000 == 0:
                    logger.warning(
                        "cronsec events: a listener is slow; %d event(s) dropped so far",
                        self.dropped,
                    )
                return
            self._queue.append(event)
            self._cond.notify()

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every queued event was delivered (for tests and shutdown)."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._queue and not self._busy, timeout)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue:
                    self._cond.wait()
                event = self._queue.popleft()
                listeners = list(self._listeners)
                self._busy = True
            try:
                for listener, wanted in listeners:
                    if wanted is not None and event.kind not in wanted:
                        continue
                    try:
                        listener(event)
                    except Exception:
                        logger.exception("cronsec events: listener %r raised", listener)
            finally:
                with self._cond:
                    self._busy = False
                    if not self._queue:
                        self._cond.notify_all()
