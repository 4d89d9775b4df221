"""Shared helpers for the timer tests: a fake-clock driver and a recorder."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from cronsec import FakeClock, Scheduler, fire_time

UTC = timezone.utc


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def make(start: datetime | str, tz: str = "UTC", **options: Any) -> tuple[FakeClock, Scheduler]:
    """A scheduler on a fake clock set to ``start``; not started."""
    clock = FakeClock(start)
    options.setdefault("max_workers", 4)
    return clock, Scheduler(tz=tz, clock=clock, **options)


class Recorder:
    """A job callable that records the instant it ran for and the fake time it started."""

    def __init__(self, clock: FakeClock | None = None) -> None:
        self.clock = clock
        self.lock = threading.Lock()
        self.instants: list[datetime] = []
        self.started: list[datetime] = []

    def __call__(self) -> None:
        instant = fire_time()
        assert instant is not None
        with self.lock:
            self.instants.append(instant)
            if self.clock is not None:
                self.started.append(self.clock.now())

    @property
    def utc(self) -> list[datetime]:
        return [i.astimezone(UTC) for i in self.instants]


def run_until(sched: Scheduler, clock: FakeClock, end: datetime, late: float = 0.0) -> int:
    """Wake the scheduler at each deadline (``late`` seconds after it) until ``end``.

    Returns the number of wakes.
    """
    wakes = 0
    while True:
        deadline = sched.run_pending()
        wakes += 1
        if deadline is None or deadline + timedelta(seconds=late) > end:
            clock.set(end)
            sched.run_pending()
            return wakes
        clock.set(deadline + timedelta(seconds=late))


def wait_for(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Poll ``predicate`` on a condition-free loop until true or ``timeout`` (sync, not timing)."""
    event = threading.Event()
    deadline = timedelta(seconds=timeout)
    start = datetime.now(UTC)
    while not predicate():
        if datetime.now(UTC) - start > deadline:
            return False
        event.wait(0.001)
    return True
