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


class HandExecutor:
    """An executor stepped by hand: fires wait in a list until the test runs them.

    ``step()`` takes the oldest queued fire and runs it on the calling thread
    as a worker would (gate, call, end), so a test chooses the interleaving.
    """

    kind = "threads"
    can_cancel = False

    def __init__(self) -> None:
        self.queue: list[Any] = []
        self.closed = False
        self.ran: list[Any] = []

    def start(self) -> None:
        pass

    def submit(self, fires: Any) -> None:
        if self.closed:
            for fire in fires:
                fire.drop("the executor is shut down")
            return
        self.queue.extend(fires)

    def idle(self) -> int:
        return 1

    def cancel(self, fire: Any) -> bool:
        """With ``can_cancel``: end a running fire as cancelled, at once."""
        if not self.can_cancel or getattr(fire, "state", "") != "started":
            return False
        fire.end("cancelled", None)
        return True

    def step(self) -> bool:
        """Run the oldest queued fire (True if it started)."""
        from cronsec._threads import call_fire

        fire = self.queue.pop(0)
        if not fire.begin():
            return False
        outcome, error = call_fire(fire)
        fire.end(outcome, error)
        self.ran.append(fire)
        return True

    def begin_next(self) -> Any:
        """Start the oldest queued fire and leave it running (None if it was dropped)."""
        from cronsec._fire import set_current

        fire = self.queue.pop(0)
        if not fire.begin():
            return None
        set_current(fire.instant)
        try:
            fire.func(*fire.args, **fire.kwargs)
        finally:
            set_current(None)
        self.ran.append(fire)
        return fire

    def finish(self, fire: Any, outcome: str = "ok") -> None:
        """End a fire started by ``begin_next``."""
        fire.end(outcome, None)

    def drain(self) -> None:
        while self.queue:
            self.step()

    def shutdown(self, wait: bool = True, timeout: float | None = None) -> Any:
        from cronsec._executor import ShutdownReport

        self.closed = True
        dropped, self.queue = self.queue, []
        for fire in dropped:
            fire.drop("the scheduler stopped before it started")
        return ShutdownReport(0, 0, 0, len(dropped))


def by_hand(
    start: datetime | str, tz: str = "UTC", **options: Any
) -> tuple[FakeClock, Scheduler, HandExecutor]:
    """A scheduler on a fake clock whose default executor is stepped by hand."""
    hand = HandExecutor()
    clock = FakeClock(start)
    return clock, Scheduler(tz=tz, clock=clock, executors={"default": hand}, **options), hand
