"""A job's counters and lateness: changed only here, each change under one lock.

The invariant: every scheduled instant a job reaches ends in exactly one of
``fires``, ``misses``, ``skips`` or ``elsewhere`` (another process ran it),
once it is no longer ``queued`` (granted, on its way to a worker). Every
other counter (errors, timeouts, retries, ...) describes runs, not instants.
"""

from __future__ import annotations

import bisect
import math
import threading
from collections import deque
from datetime import datetime
from typing import Literal, NamedTuple

__all__ = ["DURATION_BUCKETS", "LATENESS_WINDOW", "End", "JobStats", "Lateness", "Settle"]

# p99 lateness is computed over this many most recent fires.
LATENESS_WINDOW = 1000
# Upper bounds (seconds) of the run-duration histogram (Prometheus buckets; +Inf added).
DURATION_BUCKETS = (
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600,
)  # fmt: skip

Settle = Literal["fire", "miss", "skip", "elsewhere"]
End = Literal["ok", "error", "timeout", "cancelled", "crashed"]
Start = Literal["fire", "retry", "manual", "rerun"]
Event = Literal["retries_dropped", "abandoned", "buffered", "unbuffered", "starved"]


class Lateness(NamedTuple):
    """Seconds from a fire's scheduled instant to the moment its callable started."""

    n: int
    """How many fires these figures cover."""
    last: float
    """The latest fire's lateness."""
    mean: float
    """Over every fire so far."""
    max: float
    """Over every fire so far."""
    p99: float
    """Over the most recent fires (at most 1000)."""


class JobStats:
    """The counters of one job. Reads are plain attribute reads; writes go through methods."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # Instants: each ends in exactly one of these four.
        self.fires = 0
        self.misses = 0
        self.skips = 0
        self.elsewhere = 0
        # Where instants are now, or why they ended as they did (sub-counts).
        self.queued = 0  # granted, not started yet
        self.running = 0  # started, not ended (fires, retries and manual runs)
        self.unclaimed = 0  # the store could not be asked (also in misses or fires)
        self.starved = 0  # no free worker in time (also in misses)
        self.buffered = 0  # waiting for a run to end (Overlap.BUFFER_*)
        # Runs.
        self.errors = 0
        self.timeouts = 0
        self.cancelled = 0
        self.crashed = 0
        self.retries = 0
        self.retries_dropped = 0
        self.manual = 0
        self.abandoned = 0
        self.durations_sum = 0.0
        self.durations_n = 0
        self.duration_buckets = [0] * (len(DURATION_BUCKETS) + 1)  # per bound, not cumulative
        self.last_success: datetime | None = None  # when the last run that returned ended
        # Recent run time (seconds, moving average): quick jobs are handed out first.
        self.cost = 0.0
        self._late_n = 0
        self._late_sum = 0.0
        self._late_last = 0.0
        self._late_max = 0.0
        self._late_window: deque[float] = deque(maxlen=LATENESS_WINDOW)

    @property
    def instants(self) -> int:
        """Instants settled so far (fires + misses + skips + elsewhere)."""
        return self.fires + self.misses + self.skips + self.elsewhere

    def settle(self, how: Settle, n: int = 1, *, unclaimed: bool = False) -> None:
        """``n`` instants end without being queued: missed, skipped, run elsewhere, or fired."""
        with self._lock:
            self._end_instants(how, n)
            if unclaimed:
                self.unclaimed += n

    def queue(self, n: int = 1, *, unclaimed: bool = False) -> None:
        """``n`` granted instants on their way to a worker."""
        with self._lock:
            self.queued += n
            if unclaimed:
                self.unclaimed += n

    def unqueue(self, how: Settle, *, starved: bool = False) -> None:
        """A queued instant ends without starting (dropped at the gate, superseded)."""
        with self._lock:
            self.queued -= 1
            self._end_instants(how, 1)
            if starved:
                self.starved += 1

    def _end_instants(self, how: Settle, n: int) -> None:
        """Under the lock: ``n`` instants end in the counter ``how`` names."""
        if how == "fire":
            self.fires += n
        elif how == "miss":
            self.misses += n
        elif how == "skip":
            self.skips += n
        else:
            self.elsewhere += n

    def start(self, kind: Start, late: float | None, *, queued: bool = True) -> None:
        """A run starts: a scheduled fire (its instant settles as a fire), a retry, a manual run."""
        with self._lock:
            if queued:
                self.queued -= 1
            self.running += 1
            if kind == "fire":
                self._end_instants("fire", 1)
            elif kind == "retry":
                self.retries += 1
            elif kind == "manual":
                self.manual += 1
            # "rerun": an abandoned instant run again (already counted in ``abandoned``)
            if late is not None:
                self._late_n += 1
                self._late_sum += late
                self._late_last = late
                if late > self._late_max or self._late_n == 1:
                    self._late_max = late
                self._late_window.append(late)

    def end(self, outcome: End, took: float, ended: datetime | None = None) -> None:
        """A run ended (at ``ended``, UTC)."""
        bucket = bisect.bisect_left(DURATION_BUCKETS, took)
        with self._lock:
            self.duration_buckets[bucket] += 1
            if outcome == "ok" and ended is not None:
                self.last_success = ended
            self.running -= 1
            if outcome == "error":
                self.errors += 1
            elif outcome == "crashed":
                self.errors += 1
                self.crashed += 1
            elif outcome == "cancelled":
                self.cancelled += 1
            elif outcome == "timeout":
                self.timeouts += 1
            self.durations_sum += took
            self.durations_n += 1
            self.cost += (took - self.cost) * 0.25

    def overran(self) -> None:
        """A run passed its timeout and cannot be stopped (a thread): it goes on."""
        with self._lock:
            self.timeouts += 1

    def count(self, what: Event) -> None:
        """One more of a run-level event."""
        with self._lock:
            if what == "retries_dropped":
                self.retries_dropped += 1
            elif what == "abandoned":
                self.abandoned += 1
            elif what == "buffered":
                self.buffered += 1
            elif what == "starved":
                self.starved += 1
            else:
                self.buffered -= 1

    @property
    def lateness(self) -> Lateness:
        """Lateness figures over the fires so far (zeros before the first)."""
        with self._lock:
            n = self._late_n
            if not n:
                return Lateness(0, 0.0, 0.0, 0.0, 0.0)
            window = sorted(self._late_window)
            last, total, most = self._late_last, self._late_sum, self._late_max
        return Lateness(n, last, total / n, most, percentile(window, 0.99))


def percentile(sorted_values: list[float], q: float) -> float:
    """The nearest-rank ``q`` percentile (0 < q <= 1) of sorted values; 0.0 for none."""
    if not sorted_values:
        return 0.0
    rank = max(0, math.ceil(q * len(sorted_values)) - 1)
    return sorted_values[min(rank, len(sorted_values) - 1)]
