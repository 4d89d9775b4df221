"""Which fires are due, and what becomes of each: the policies, in one place.

``Timetable`` is the half of ``Scheduler`` that works on the schedule itself;
every method runs under the scheduler's lock, on whichever thread runs a step
(the timer thread, or a test calling ``run_pending``).
"""

from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta, timezone

from ._claims import CATCHUP_LIMIT, Grant, StoreSide
from ._job import Job, Slot
from ._pool import Task

__all__ = ["CATCHUP_LIMIT", "Timetable"]

logger = logging.getLogger("cronsec")
UTC = timezone.utc


class Timetable(StoreSide):
    """Each job's next instants, and the decision for each due fire."""

    _jobs: dict[str, Job]
    _rng: random.Random

    def _collect(self, now: datetime) -> list[Task]:
        """Tasks for every fire due at ``now``, earliest first; moves each job on.

        The policies grant fires (catch-up after a restart first, then the due
        instants, then due retries); the store then decides which of them
        this process runs.
        """
        grants: list[Grant] = []
        for job in [j for j in self._jobs.values() if j._catch_up_pending]:
            if not job._removed:
                self._apply_catch_up(job, now, grants)
        due = [
            job
            for job in self._jobs.values()
            if not job._paused and job._slot is not None and job._slot.target <= now
        ]
        # Earliest first; of fires due together, the usually quick ones first, so
        # that a CPU-bound run that starts with them cannot hold the GIL ahead of them.
        due.sort(key=lambda job: (job._slot.target if job._slot else now, job._cost))
        for job in due:
            batch = self._take_due(job, now)
            if job.policy.coalesce and len(batch) > 1:
                self._missed(
                    job,
                    batch[:-1],
                    now,
                    "coalesced into the fire for " + batch[-1].instant.isoformat(),
                )
                batch = batch[-1:]
            late: list[Slot] = []
            for slot in batch:
                if self._grant(job, slot, now, late):
                    grants.append(Grant(job, slot))
            if late:
                grace = job.policy.misfire_grace
                self._missed(job, late, now, f"too late (misfire_grace {grace}s)")
        grants += self._take_retries(now)
        return self._claim(grants, now)

    def _apply_catch_up(self, job: Job, now: datetime, grants: list[Grant]) -> None:
        """The fires that passed while no scheduler ran the job: run or count them.

        With ``coalesce``, the latest one runs if within ``catch_up`` seconds;
        without, each one within it does (``max_instances`` permitting). The
        rest are counted as missed and logged: never silently lost.
        """
        if job._paused:
            job._catch_up_pending = False  # pausing says: not those
            return
        passed = self._catch_up(job, now)
        if not passed:
            return
        window = job.policy.catch_up
        run = [
            s
            for s in (passed[-1:] if job.policy.coalesce else passed)
            if window is None or (now - s.utc).total_seconds() <= window
        ]
        missed = passed[: len(passed) - len(run)]  # the window keeps the latest ones
        if missed:
            why = f"passed while no scheduler ran it (catch_up {window}s, coalesce {job.coalesce})"
            self._missed(job, missed, now, why)
        for slot in run:
            if self._grant(job, slot, now, None):
                grants.append(Grant(job, slot, "catch_up"))

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
            job.name,
            CATCHUP_LIMIT,
            latest.isoformat(),
        )

    def _grant(self, job: Job, slot: Slot, now: datetime, late: list[Slot] | None) -> bool:
        """Decide one fire: too late (appended to ``late``), skipped, or granted (True).

        A granted fire counts in ``running`` until it ends; the store's claim
        (``_claim``) still decides whether this process runs it. ``late`` None:
        no grace check (a catch-up fire, already decided).
        """
        grace = job.policy.misfire_grace
        if late is not None and grace is not None and (now - slot.target).total_seconds() > grace:
            late.append(slot)
            return False
        if job._retries:
            self._drop_retries(job)
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
                job.name,
                slot.instant.isoformat(),
                job.running,
                job.policy.max_instances,
            )
        return not skip

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
            job.name,
            span,
            (now - last.target).total_seconds(),
            why,
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
        """When the timer must next wake: the earliest target or retry of an active job."""
        targets = [
            job._slot.target
            for job in self._jobs.values()
            if not job._paused and job._slot is not None
        ]
        retry = self._retry_deadline()
        if retry is not None:
            targets.append(retry)
        if any(job._catch_up_pending for job in self._jobs.values()):
            # A catch-up the store has not answered yet: ask when the backoff ends.
            targets.append(self._retry_at if self._retry_at is not None else self.clock.now())
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
