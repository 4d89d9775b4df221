"""Which fires are due, and what becomes of each: the policies, in one place.

``Timetable`` is the half of ``Scheduler`` that works on the schedule itself;
every method runs under the scheduler's lock, on whichever thread runs a step
(the timer thread, or a test calling ``run_pending``).
"""

from __future__ import annotations

import functools
import logging
import random
from datetime import datetime, timedelta, timezone

from ._job import Job, Slot
from ._pool import Task

__all__ = ["CATCHUP_LIMIT", "Timetable"]

logger = logging.getLogger("cronsec")
UTC = timezone.utc

# More fires than this due at once for one job (a clock stepped far ahead):
# count this many, then skip straight to the latest due instant.
CATCHUP_LIMIT = 10_000


class Timetable:
    """Each job's next instants, and the decision for each due fire."""

    _jobs: dict[str, Job]
    _rng: random.Random

    def _collect(self, now: datetime) -> list[Task]:
        """Tasks for every fire due at ``now``, earliest first; moves each job on."""
        due = [
            job for job in self._jobs.values()
            if not job._paused and job._slot is not None and job._slot.target <= now
        ]
        # Earliest first; of fires due together, the usually quick ones first, so
        # that a CPU-bound run that starts with them cannot hold the GIL ahead of them.
        due.sort(key=lambda job: (job._slot.target if job._slot else now, job._cost))
        tasks: list[Task] = []
        for job in due:
            batch = self._take_due(job, now)
            if job.policy.coalesce and len(batch) > 1:
                self._missed(job, batch[:-1], now, "coalesced into the fire for "
                             + batch[-1].instant.isoformat())
                batch = batch[-1:]
            late: list[Slot] = []
            for slot in batch:
                task = self._dispatch(job, slot, now, late)
                if task is not None:
                    tasks.append(task)
            if late:
                grace = job.policy.misfire_grace
                self._missed(job, late, now, f"too late (misfire_grace {grace}s)")
        return tasks

    def _take_due(self, job: Job, now: datetime) -> list[Slot]:
        """Pop the job's due instants, in order, leaving its next one in ``_slot``."""
        batch: list[Slot] = []
        while job._slot is not None and job._slot.target <= now:
            if len(batch) == CATCHUP_LIMIT:
                self._skip_ahead(job, now)
            if not job._after_known:
                self._look_ahead(job)
            batch.append(job._slot)
            job._last_utc = job._slot.utc
            job._slot, job._after, job._after_known = job._after, None, False
        if job._slot is None:
            logger.info("job %r has no more fire times", job.name)
        return batch

    def _skip_ahead(self, job: Job, now: datetime) -> None:
        """Far too many fires due: jump to the latest instant at or before now."""
        assert job._slot is not None
        try:
            latest = job.expr.prev(now + timedelta(microseconds=1))
        except OverflowError:
            return
        if latest.astimezone(UTC) > job._slot.utc:
            job._slot = self._slot_of(job, latest)
            job._after_known = False
        logger.warning(
            "job %r: over %d fires due at once (clock stepped ahead?); "
            "skipped to the one for %s without counting the rest",
            job.name, CATCHUP_LIMIT, latest.isoformat(),
        )

    def _dispatch(self, job: Job, slot: Slot, now: datetime, late: list[Slot]) -> Task | None:
        """Decide one fire: too late (appended to ``late``), skipped, or a task to run.

        The one place where a fire is granted: a store's claim on
        ``(job, slot.instant)`` belongs here.
        """
        grace = job.policy.misfire_grace
        if grace is not None and (now - slot.target).total_seconds() > grace:
            late.append(slot)
            return None
        with job._lock:
            if job.running >= job.policy.max_instances:
                job.skips += 1
                skip = True
            else:
                job.running += 1
                skip = False
        if skip:
            logger.info(
                "job %r: fire for %s skipped: %d run(s) still going (max_instances %d)",
                job.name, slot.instant.isoformat(), job.running, job.policy.max_instances,
            )
            return None
        instant, target = slot.instant, slot.target
        return Task(
            functools.partial(job._execute, instant, target),
            functools.partial(job._cancelled, instant),
        )

    def _missed(self, job: Job, slots: list[Slot], now: datetime, why: str) -> None:
        """Count ``slots`` as missed, with one warning for the lot."""
        with job._lock:
            job.misses += len(slots)
        first, last = slots[0], slots[-1]
        span = first.instant.isoformat()
        if len(slots) > 1:
            span = f"{len(slots)} fires from {span} to {last.instant.isoformat()}"
        logger.warning(
            "job %r: missed %s, %.3fs late: %s",
            job.name, span, (now - last.target).total_seconds(), why,
        )

    def _look_ahead_all(self) -> None:
        """Compute each job's instant after next, off the critical path of a fire."""
        for job in self._jobs.values():
            if not job._after_known and not job._paused:
                self._look_ahead(job)

    def _look_ahead(self, job: Job) -> None:
        """Know the job's instant after next, so that a fire needs no search."""
        job._after = None if job._slot is None else self._slot_after(job, job._slot.utc)
        job._after_known = True

    def _deadline(self) -> datetime | None:
        """When the timer must next wake: the earliest target of an active job."""
        targets = [
            job._slot.target for job in self._jobs.values()
            if not job._paused and job._slot is not None
        ]
        return min(targets) if targets else None

    def _slot_after(self, job: Job, t: datetime) -> Slot | None:
        """The job's first instant strictly after ``t``, or None when there is none."""
        try:
            instant = job.expr.next(t)
        except OverflowError:
            return None
        except Exception:  # an engine bug must stop this job only, not the timer
            logger.exception("job %r: no next fire time after %s; it stops", job.name, t)
            return None
        return self._slot_of(job, instant)

    def _slot_of(self, job: Job, instant: datetime) -> Slot:
        """The instant in UTC, with this fire's jitter drawn."""
        utc = instant.astimezone(UTC)
        jitter = job.policy.jitter
        target = utc + timedelta(seconds=self._rng.uniform(0, jitter)) if jitter else utc
        return Slot(instant, utc, target)
