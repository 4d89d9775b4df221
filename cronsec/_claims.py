"""The scheduler's side of a store: claims with backoff, catch-up, completions, retries.

A fire that the policies grant (``Grant``) is claimed in the store before it
becomes a task; only the process whose claim wins runs it. Store calls made
by a timer step run with the scheduler's lock released, and after a failure
the store is left alone for a backoff that doubles up to a limit, so an
unreachable store costs the timer one timeout per backoff, not one per fire.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Callable, NamedTuple, TypeVar

from ._job import Job, Retry, Slot
from ._pool import Task
from .stores._base import Store, claim_many
from .stores._memory import MemoryStore

if TYPE_CHECKING:
    from ._clock import Clock

__all__ = ["CATCHUP_LIMIT", "Grant", "Recorder", "StoreSide"]

logger = logging.getLogger("cronsec")
UTC = timezone.utc
T = TypeVar("T")

# More fires than this due at once for one job (a clock stepped far ahead, a
# long downtime): count this many, then go straight to the latest.
CATCHUP_LIMIT = 10_000


class Grant(NamedTuple):
    """A fire the policies allow (``running`` already counts it): claim, then run."""

    job: Job
    slot: Slot
    kind: str = "fire"  # "fire", "catch_up" or "retry"
    attempt: int = 0


class _Unavailable:
    """What a store call returns when the store could not be asked."""


UNAVAILABLE = _Unavailable()


class StoreSide:
    """Store calls for the scheduler; mixed into ``Timetable``, so under its lock."""

    clock: Clock
    _cond: threading.Condition
    _jobs: dict[str, Job]
    store_backoff: tuple[float, float]

    def _init_store(self, store: Store | None, backoff: tuple[float, float]) -> None:
        lo, hi = backoff
        if not 0 < lo <= hi:
            raise ValueError(f"store_backoff must be (min, max) with 0 < min <= max, got {backoff}")
        self._store_given = store is not None  # else a private MemoryStore
        self.store: Store = store if store is not None else MemoryStore()
        self.store_backoff = (float(lo), float(hi))
        self.store_failures = 0
        """Store calls that failed (claims, catch-up reads, completions)."""
        self._count_lock = threading.Lock()
        self._recorder = Recorder(self)
        self._retry_at: datetime | None = None  # no claim before this (backing off)
        self._backoff = 0.0
        self._down_since: datetime | None = None

    @property
    def store_available(self) -> bool:
        """False from a failed store call until one succeeds again."""
        return self._down_since is None

    def _check_retention(self, job: Job) -> None:
        """Warn when the store forgets claims sooner than the job may still fire them."""
        kept = getattr(self.store, "retention", None)
        if not self._store_given or not isinstance(kept, (int, float)):
            return
        policy = job.policy
        reach = [w for w in (policy.misfire_grace, policy.catch_up) if w is not None]
        if policy.catch_up is None or policy.misfire_grace is None or max(reach) > kept:
            logger.warning(
                "job %r may fire an instant up to %s s late (misfire_grace %s, catch_up %s), "
                "but %r keeps claims %g s: a claim could expire before a late fire, "
                "which could then run twice; lower those or raise the store's retention",
                job.name,
                max(reach) if len(reach) == 2 else "any",
                policy.misfire_grace,
                policy.catch_up,
                self.store,
                kept,
            )

    # -- under the lock, on the timer's step -----------------------------------

    def _ask(self, now: datetime, call: Callable[[], T]) -> T | _Unavailable:
        """``call()`` with the lock released, unless backing off; UNAVAILABLE if it fails."""
        if self._retry_at is not None and now < self._retry_at:
            return UNAVAILABLE
        self._cond.release()
        try:
            result: T | _Unavailable = call()
            error: Exception | None = None
        except Exception as exc:  # any store, any failure: the timer goes on
            result, error = UNAVAILABLE, exc
        finally:
            self._cond.acquire()
        if error is None:
            if self._down_since is not None:
                logger.warning(
                    "store %r is back after %.1fs",
                    self.store,
                    (now - self._down_since).total_seconds(),
                )
            self._retry_at, self._backoff, self._down_since = None, 0.0, None
            return result
        lo, hi = self.store_backoff
        self._backoff = min(hi, max(lo, self._backoff * 2))
        self._retry_at = now + timedelta(seconds=self._backoff)
        if self._down_since is None:
            self._down_since = now
        with self._count_lock:
            self.store_failures += 1
        logger.warning(
            "store %r unavailable: %s; asking again in %.0fs", self.store, error, self._backoff
        )
        return UNAVAILABLE

    def _claim(self, grants: Sequence[Grant], now: datetime) -> list[Task]:
        """Claim the granted fires in the store (one round trip); tasks for those won."""
        pairs = [(g.job.name, g.slot.utc) for g in grants if g.kind != "retry"]
        # A retry runs under the claim its fire won; nothing to ask.
        answer = self._ask(now, lambda: claim_many(self.store, pairs)) if pairs else []
        down = isinstance(answer, _Unavailable)
        won = iter(() if isinstance(answer, _Unavailable) else answer)
        tasks: list[Task] = []
        not_fired = fired = 0
        for g in grants:
            job = g.job
            if g.kind == "retry":
                tasks.append(self._task(g))
            elif down and job.policy.on_store_error == "fire":
                with job._lock:
                    job.unclaimed += 1
                fired += 1
                tasks.append(self._task(g))
            elif down:
                with job._lock:
                    job.unclaimed += 1
                    job.misses += 1
                    job.running -= 1
                not_fired += 1
            elif next(won):
                tasks.append(self._task(g))
            else:
                with job._lock:
                    job.elsewhere += 1
                    job.running -= 1
        if down:
            logger.warning(
                "store unavailable: %d fire(s) not claimed: %d not fired, %d fired here "
                "(on_store_error='fire')",
                not_fired + fired,
                not_fired,
                fired,
            )
        return tasks

    @staticmethod
    def _task(g: Grant) -> Task:
        job, slot = g.job, g.slot
        return Task(
            functools.partial(job._execute, slot.instant, slot.target, g.kind, g.attempt),
            functools.partial(job._cancelled, slot.instant),
        )

    def _catch_up(self, job: Job, now: datetime) -> list[Slot] | None:
        """The instants that passed between the job's last completion and its add().

        None while the store cannot be asked (the job stays pending).
        """
        last = self._ask(now, functools.partial(self.store.last_completed, job.name))
        if isinstance(last, _Unavailable):
            return None
        job._catch_up_pending = False
        if last is None:
            return []
        end = job._first_utc if job._first_utc is not None else now
        passed: list[Slot] = []
        t: datetime = last
        while len(passed) < CATCHUP_LIMIT:
            try:
                instant = job.expr.next(t)
            except OverflowError:
                break
            utc = instant.astimezone(UTC)
            if utc >= end:
                return passed
            passed.append(Slot(instant, utc, utc))
            t = utc
        # Too many to count one by one: the last of them stands for the rest.
        logger.warning(
            "job %r: over %d fires passed since its last completion at %s; counting %d",
            job.name,
            CATCHUP_LIMIT,
            last.isoformat(),
            CATCHUP_LIMIT,
        )
        try:
            instant = job.expr.prev(end)
        except OverflowError:
            return passed
        utc = instant.astimezone(UTC)
        passed[-1] = Slot(instant, utc, utc)
        return passed

    def _take_retries(self, now: datetime) -> list[Grant]:
        """Grants for the retries that are due; a job already at max_instances drops its own."""
        grants: list[Grant] = []
        for job in self._jobs.values():
            if not job._retries or job._paused:
                continue
            due = [r for r in job._retries if r.due <= now]
            if not due:
                continue
            job._retries = [r for r in job._retries if r.due > now]
            for r in due:
                with job._lock:
                    full = job.running >= job.policy.max_instances
                    if full:
                        job.retries_dropped += 1
                    else:
                        job.running += 1
                if full:
                    logger.info(
                        "job %r: retry %d for %s dropped: %d run(s) going (max_instances %d)",
                        job.name,
                        r.attempt,
                        r.instant.isoformat(),
                        job.running,
                        job.policy.max_instances,
                    )
                    continue
                utc = r.instant.astimezone(UTC)
                grants.append(Grant(job, Slot(r.instant, utc, r.due), "retry", r.attempt))
        return grants

    def _drop_retries(self, job: Job) -> None:
        """A regular fire is due: drop pending retries beyond ``max_instances``."""
        room = job.policy.max_instances - 1 - job.running
        excess = len(job._retries) - max(0, room)
        if excess <= 0:
            return
        dropped, job._retries = job._retries[:excess], job._retries[excess:]
        with job._lock:
            job.retries_dropped += len(dropped)
        for r in dropped:
            logger.info(
                "job %r: retry %d for %s dropped for a newer fire (max_instances %d)",
                job.name,
                r.attempt,
                r.instant.isoformat(),
                job.policy.max_instances,
            )

    def _retry_deadline(self) -> datetime | None:
        dues = [r.due for job in self._jobs.values() if not job._paused for r in job._retries]
        return min(dues) if dues else None

    # -- on a worker, without the lock -----------------------------------------

    def _retry_later(self, job: Job, instant: datetime, attempt: int) -> None:
        """Called by a run that raised: queue its retry ``attempt`` on the timer."""
        delay = job.policy.retry[attempt - 1]
        with self._cond:
            if job._removed:
                return
            due = self.clock.now() + timedelta(seconds=delay)
            job._retries.append(Retry(due, instant, attempt))
            self._cond.notify_all()
        logger.info(
            "job %r: retry %d of %d for %s in %gs",
            job.name,
            attempt,
            len(job.policy.retry),
            instant.isoformat(),
            delay,
        )

    def _completed(self, job: Job, instant: datetime) -> None:
        """Called when a fire is done with (ran, or failed for good): tell the store, later.

        The recorder thread sends it, so the worker is free for the next fire
        at once instead of waiting a round trip to the store.
        """
        self._recorder.submit(job, instant.astimezone(UTC))

    def _record_failed(self, job: Job, utc: datetime, exc: Exception) -> None:
        with self._count_lock:
            self.store_failures += 1
        logger.warning(
            "job %r: could not record the completion of %s in %r: %s",
            job.name,
            utc.isoformat(),
            self.store,
            exc,
        )


class Recorder:
    """Sends completions to the store from a thread of its own.

    Completions of one job that queue up while it sends collapse into the
    latest (the store keeps the maximum anyway), so a burst of fires costs
    one round trip per job. The thread starts on the first completion and
    ends after `LINGER` idle seconds, so a scheduler at rest holds none.
    """

    LINGER = 5.0

    def __init__(self, side: StoreSide) -> None:
        self._side = side
        self._cond = threading.Condition(threading.Lock())
        self._pending: dict[Job, datetime] = {}
        self._busy = False
        self._thread: threading.Thread | None = None

    def submit(self, job: Job, utc: datetime) -> None:
        """Queue ``utc`` as the job's latest completion."""
        with self._cond:
            known = self._pending.get(job)
            if known is None or known < utc:
                self._pending[job] = utc
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="cronsec-recorder", daemon=True
                )
                self._thread.start()
            self._cond.notify_all()

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every queued completion was sent (or failed); False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._pending and not self._busy, timeout)

    def _run(self) -> None:
        store = self._side.store
        while True:
            with self._cond:
                if not self._cond.wait_for(lambda: self._pending, self.LINGER):
                    self._thread = None
                    return
                batch, self._pending = self._pending, {}
                self._busy = True
            try:
                for job, utc in batch.items():
                    try:
                        store.record(job.name, utc)
                    except Exception as exc:
                        self._side._record_failed(job, utc, exc)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()
