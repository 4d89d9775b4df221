"""A registered callable: its schedule, its policies, its counters and lateness."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Callable, NamedTuple

if TYPE_CHECKING:
    from ._expr import CronExpr
    from ._scheduler import Scheduler

__all__ = ["DEFAULT_POLICY", "Job", "Lateness", "Policy", "Retry", "Slot", "fire_time"]

logger = logging.getLogger("cronsec")
UTC = timezone.utc

# p99 lateness is computed over this many most recent fires.
LATENESS_WINDOW = 1000


class Policy(NamedTuple):
    """What a job does with late, overlapping and simultaneous fires."""

    misfire_grace: float | None = 60.0
    """Seconds a fire may start late and still run; later is missed. None: no limit."""
    coalesce: bool = True
    """Several fires due at once (a stall, a clock step) run once, for the latest."""
    max_instances: int = 1
    """Runs of this job at one time; a fire that would exceed it is skipped."""
    jitter: float = 0.0
    """Start each fire up to this many seconds late, at random (spreads load)."""
    retry: tuple[float, ...] = ()
    """Delays (seconds) of the retries after a run that raised: ``(10, 30, 60)``, three."""
    catch_up: float | None = 3600.0
    """After a restart, a fire passed while down runs if at most this old. None: any age."""
    on_store_error: str = "miss"
    """When the store cannot be reached: "miss" (do not fire) or "fire" (fire locally)."""

    def check(self) -> Policy:
        """Return self, or raise ValueError naming the bad setting."""
        if self.misfire_grace is not None and not self.misfire_grace >= 0:
            raise ValueError(f"misfire_grace must be >= 0 or None, got {self.misfire_grace!r}")
        if not isinstance(self.max_instances, int) or self.max_instances < 1:
            raise ValueError(f"max_instances must be an int >= 1, got {self.max_instances!r}")
        if not self.jitter >= 0 or math.isinf(self.jitter):
            raise ValueError(f"jitter must be a finite number >= 0, got {self.jitter!r}")
        if not isinstance(self.retry, tuple) or not all(
            isinstance(d, (int, float)) and 0 <= d < math.inf for d in self.retry
        ):
            raise ValueError(f"retry must be a tuple of delays >= 0 (seconds), got {self.retry!r}")
        if self.catch_up is not None and not self.catch_up >= 0:
            raise ValueError(f"catch_up must be >= 0 or None, got {self.catch_up!r}")
        if self.on_store_error not in ("miss", "fire"):
            raise ValueError(
                f'on_store_error must be "miss" or "fire", got {self.on_store_error!r}'
            )
        return self


DEFAULT_POLICY = Policy()


class Slot(NamedTuple):
    """One scheduled instant, as the timer keeps it."""

    instant: datetime
    """In the expression's zone (what users see; fold=1 for a repeated hour)."""
    utc: datetime
    """The same instant in UTC: compared and subtracted safely."""
    target: datetime
    """When to start it, in UTC: ``utc`` plus this fire's jitter."""


class Retry(NamedTuple):
    """A retry waiting for its time, as the timer keeps it."""

    due: datetime
    """When to run it (UTC)."""
    instant: datetime
    """The scheduled instant of the fire it retries."""
    attempt: int
    """1 for the first retry."""


class Lateness(NamedTuple):
    """Seconds from a fire's target instant to the moment its callable started."""

    n: int
    """How many fires these figures cover."""
    last: float
    mean: float
    max: float
    p99: float
    """Over the most recent fires (at most 1000)."""


_current = threading.local()


def fire_time() -> datetime | None:
    """The scheduled instant of the fire running on this thread, or None outside one.

    Lets a callable know which instant it runs for (e.g. "the hour ending at
    the fire time"), whatever its lateness.
    """
    instant: datetime | None = getattr(_current, "instant", None)
    return instant


class Job:
    """One callable on one schedule in one Scheduler; made by ``Scheduler.add``.

    Counters: ``fires`` (runs started), ``misses`` (instants that did not run
    because they were too late or coalesced into a later one), ``skips``
    (instants that found ``max_instances`` runs still going), ``errors``
    (runs that raised, retries included). Every scheduled instant ends in
    exactly one of fires, misses or skips, or, with a store shared with
    other processes, ``elsewhere`` (another process claimed and fired it).

    ``unclaimed``: instants the store could not be asked about (unreachable);
    they are also counted in misses, or in fires for a job that fires locally
    (``on_store_error="fire"``). ``retries``: retries started;
    ``retries_dropped``: retries given up for a newer fire (``max_instances``).
    """

    def __init__(
        self,
        scheduler: Scheduler,
        expr: CronExpr,
        func: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: Mapping[str, Any],
        name: str,
        policy: Policy,
    ) -> None:
        self._scheduler = scheduler
        self.name = name
        self.expr = expr
        self.func = func
        self.args = args
        self.kwargs = dict(kwargs)
        self.policy = policy
        # Schedule state: owned by the scheduler, changed under its lock.
        self._slot: Slot | None = None  # the next instant; None: no more
        self._after: Slot | None = None  # lookahead: the one after _slot
        self._after_known = False
        self._last_utc: datetime | None = None  # latest instant handled
        self._paused = False
        self._removed = False
        self._first_utc: datetime | None = None  # first instant after add(), for catch-up
        self._catch_up_pending = False  # ask the store what passed before add()
        self._retries: list[Retry] = []  # waiting retries, oldest first
        # Counters: changed under self._lock, by the timer and by workers.
        self._lock = threading.Lock()
        self.fires = 0
        self.misses = 0
        self.skips = 0
        self.errors = 0
        self.running = 0
        self.elsewhere = 0
        self.unclaimed = 0
        self.retries = 0
        self.retries_dropped = 0
        self.last_fire: datetime | None = None
        self._late_count = 0
        self._late_sum = 0.0
        self._late_last = 0.0
        self._late_max = 0.0
        self._late_window: deque[float] = deque(maxlen=LATENESS_WINDOW)
        # Recent run time (seconds, moving average): of several fires due at one
        # instant, the quick ones are handed out first (0 until the first run).
        self._cost = 0.0

    # -- policies, for reading ------------------------------------------------

    @property
    def misfire_grace(self) -> float | None:
        """Seconds a fire may start late; None: no limit."""
        return self.policy.misfire_grace

    @property
    def coalesce(self) -> bool:
        """Whether fires due at once run once."""
        return self.policy.coalesce

    @property
    def max_instances(self) -> int:
        """How many runs of this job may go on at one time."""
        return self.policy.max_instances

    @property
    def jitter(self) -> float:
        """Up to how many seconds each fire is delayed at random."""
        return self.policy.jitter

    # -- state ---------------------------------------------------------------

    @property
    def next_fire(self) -> datetime | None:
        """The next scheduled instant (in the expression's zone); None if paused or done."""
        slot = self._slot
        if self._paused or self._removed or slot is None:
            return None
        return slot.instant

    @property
    def paused(self) -> bool:
        """True between pause() and resume()."""
        return self._paused

    @property
    def removed(self) -> bool:
        """True once remove() was called (or the scheduler dropped the job)."""
        return self._removed

    @property
    def lateness(self) -> Lateness:
        """Lateness statistics over the fires so far (zeros before the first)."""
        with self._lock:
            window = sorted(self._late_window)
            count = self._late_count
            if not count:
                return Lateness(0, 0.0, 0.0, 0.0, 0.0)
            p99 = window[max(0, math.ceil(0.99 * len(window)) - 1)]
            return Lateness(count, self._late_last, self._late_sum / count, self._late_max, p99)

    def pause(self) -> None:
        """Stop firing until resume(); instants passed while paused are not fired."""
        self._scheduler._pause(self)

    def resume(self) -> None:
        """Fire again, from the first instant after now (never one already handled)."""
        self._scheduler._resume(self)

    def remove(self) -> None:
        """Take the job out of its scheduler; a run in progress finishes."""
        self._scheduler.remove(self)

    def __repr__(self) -> str:
        state = "removed" if self._removed else "paused" if self._paused else "active"
        return f"<Job {self.name!r} {self.expr.text!r} {state} next={self.next_fire}>"

    # -- running, on a worker thread -------------------------------------------

    def _execute(
        self, instant: datetime, target: datetime, kind: str = "fire", attempt: int = 0
    ) -> None:
        """Run one fire on a worker: check it is not too late, call, count, retry or record.

        ``kind`` is "fire" (on time, checked against the grace and timed),
        "catch_up" (decided at start, after a restart) or "retry" (``attempt``).
        """
        now = self._scheduler.clock.now()
        late = (now - target).total_seconds()
        grace = self.policy.misfire_grace
        if kind == "fire" and grace is not None and late > grace:
            # It waited in the pool's queue for a free worker for too long.
            with self._lock:
                self.misses += 1
                self.running -= 1
            logger.warning(
                "job %r: fire for %s missed: started %.3fs late (misfire_grace %ss)",
                self.name,
                instant.isoformat(),
                late,
                grace,
            )
            return
        with self._lock:
            if kind == "retry":
                self.retries += 1
            else:
                self.fires += 1
                self.last_fire = instant
            if kind == "fire":  # lateness measures the timer, not restarts or retries
                self._late_count += 1
                self._late_sum += late
                self._late_last = late
                if late > self._late_max or self._late_count == 1:
                    self._late_max = late
                self._late_window.append(late)
        _current.instant = instant
        began = time.perf_counter()
        failed = False
        try:
            self.func(*self.args, **self.kwargs)
        except BaseException:
            failed = True
            with self._lock:
                self.errors += 1
            again = f", retry {attempt}" if attempt else ""
            logger.exception("job %r raised (fire for %s%s)", self.name, instant.isoformat(), again)
        finally:
            _current.instant = None
            took = time.perf_counter() - began
            with self._lock:
                self.running -= 1
                self._cost += (took - self._cost) * 0.25
        if failed and attempt < len(self.policy.retry):
            self._scheduler._retry_later(self, instant, attempt + 1)
        else:
            self._scheduler._completed(self, instant)

    def _cancelled(self, instant: datetime) -> None:
        """A fire dropped from the queue by stop(): counted as missed."""
        with self._lock:
            self.misses += 1
            self.running -= 1
        logger.info("job %r: fire for %s dropped at stop()", self.name, instant.isoformat())
