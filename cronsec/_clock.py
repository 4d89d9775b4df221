"""The clock seam: where the timer reads "now" and how it waits.

The timer never calls ``time`` or ``datetime.now`` itself; it asks a clock.
``SystemClock`` is the real one; ``FakeClock`` lets tests (ours and users')
run simulated days instantly and step the clock forward or back at will.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from typing import Protocol, Union

__all__ = ["Clock", "FakeClock", "SystemClock"]

UTC = timezone.utc

# A wait slice never lasts longer than this: the wall clock is re-read at least
# this often, so a step forward (NTP, suspend and resume) is noticed promptly.
MAX_SLICE = 5.0
# Waits longer than this end this much early and are finished by a short,
# precise wait computed from a fresh wall-clock reading (the monotonic clock
# that times waits and the wall clock that names instants drift apart slowly).
EARLY = 0.02


class Clock(Protocol):
    """What the timer needs from a clock: the current instant and a way to wait."""

    def now(self) -> datetime:
        """The current instant, as an aware datetime in UTC."""
        ...

    def wait(self, cond: threading.Condition, deadline: datetime | None) -> None:
        """Wait on ``cond`` (held by the caller) until notified or about ``deadline``.

        May return early (the caller re-reads ``now()`` and waits again);
        ``deadline`` None means "until notified".
        """
        ...


class SystemClock:
    """The wall clock for instants, the monotonic clock for waiting."""

    def now(self) -> datetime:
        """The current wall-clock instant in UTC."""
        return datetime.now(UTC)

    def wait(self, cond: threading.Condition, deadline: datetime | None) -> None:
        """Wait in slices: wake early on long waits, then finish the last bit precisely."""
        if deadline is None:
            cond.wait(MAX_SLICE)
            return
        remaining = (deadline - self.now()).total_seconds()
        if remaining <= 0:
            return
        if remaining > 2 * EARLY:
            remaining = min(remaining - EARLY, MAX_SLICE)
        cond.wait(remaining)


Seconds = Union[float, int, timedelta]


class FakeClock:
    """A clock that only moves when told to: for deterministic tests of scheduled code.

    ``now()`` stays where it is until ``advance()`` or ``set()`` moves it,
    forward or back. Waiting on a fake clock never sleeps in real time: it
    returns as soon as the fake time reaches the deadline, or when the
    scheduler is woken (a job added, removed, paused, resumed, or ``stop()``).

    Typical use, with a scheduler that is not started: ``run_pending()``
    runs what is due now and returns when the next fire is due, so setting
    the clock to its answer steps from fire to fire (01:30 EST, then 03:30
    EDT: the clocks sprang forward at 02:00 that night):

    >>> from cronsec import FakeClock, Scheduler
    >>> clock = FakeClock("2026-03-08T06:00:00+00:00")
    >>> sched = Scheduler(tz="America/New_York", clock=clock)
    >>> job = sched.add("0 30 * * * *", print, args=("tick",), name="half-past")
    >>> clock.set(sched.run_pending())
    datetime.datetime(2026, 3, 8, 6, 30, tzinfo=datetime.timezone.utc)
    >>> clock.set(sched.run_pending())
    tick
    datetime.datetime(2026, 3, 8, 7, 30, tzinfo=datetime.timezone.utc)
    >>> job.fires, job.misses
    (1, 0)
    """

    def __init__(self, start: datetime | str | None = None) -> None:
        """Start at ``start`` (an aware datetime or ISO string), default 2026-01-01 UTC."""
        self._lock = threading.Lock()
        self._now = _aware(start) if start is not None else datetime(2026, 1, 1, tzinfo=UTC)
        self._waiting: set[threading.Condition] = set()

    def now(self) -> datetime:
        """The fake current instant, in UTC."""
        with self._lock:
            return self._now

    def advance(self, seconds: Seconds) -> datetime:
        """Move the clock by ``seconds`` (negative goes back); return the new time."""
        delta = seconds if isinstance(seconds, timedelta) else timedelta(seconds=seconds)
        with self._lock:
            self._now = self._now + delta
            now = self._now
        self._wake()
        return now

    def set(self, when: datetime | str) -> datetime:
        """Jump the clock to the aware ``when`` (earlier or later); return it in UTC."""
        when = _aware(when)
        with self._lock:
            self._now = when
        self._wake()
        return when

    def wait(self, cond: threading.Condition, deadline: datetime | None) -> None:
        """Return at once if the fake time has reached ``deadline``, else until it does."""
        with self._lock:
            if deadline is not None and self._now >= deadline:
                return
            self._waiting.add(cond)
        try:
            # The caller holds cond from its own check until cond.wait releases it,
            # so an advance() that lands in between still reaches us: _wake() needs cond.
            cond.wait()
        finally:
            with self._lock:
                self._waiting.discard(cond)

    def _wake(self) -> None:
        """Wake every waiter so it re-reads the new time."""
        with self._lock:
            waiting = list(self._waiting)
        for cond in waiting:
            with cond:
                cond.notify_all()

    def __repr__(self) -> str:
        return f"FakeClock({self.now().isoformat()!r})"


def _aware(when: datetime | str) -> datetime:
    """``when`` as an aware UTC datetime; a naive one is refused (which zone would it be?)."""
    if isinstance(when, str):
        when = datetime.fromisoformat(when)
    if not isinstance(when, datetime):
        raise TypeError(f"expected an aware datetime or ISO string, got {type(when).__name__}")
    if when.tzinfo is None or when.utcoffset() is None:
        raise TypeError(
            "FakeClock needs an aware datetime, e.g. datetime(2026, 1, 1, tzinfo=timezone.utc)"
        )
    return when.astimezone(UTC)
