"""The runtime: jobs, the timetable, retries, the store and the executors, wired together.

It takes no decision of its own (the timetable decides what is due, the
options what becomes of it, the store who runs it) and starts no timer: a
driver calls `Runtime.step` (the threaded `Scheduler` from its timer thread,
`AsyncScheduler` from the event loop, tests from ``run_pending``). A step is
three phases: `plan` under the lock (pure), `claim` without it (store I/O,
bounded), `commit` under the lock (counters, fires). Fires then go to their
executors, whose workers pass each through the gate in `_fire`.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone, tzinfo
from typing import TYPE_CHECKING, Any, Callable

from ._claims import StoreSide, Unavailable
from ._events import (
    EventBus,
    FireFailed,
    FireFinished,
    FireMissed,
    FireSkipped,
    FireStarted,
    JobAdded,
    JobPaused,
    JobRemoved,
    JobResumed,
    RetryScheduled,
    StoreRecovered,
    StoreUnavailableEvent,
)
from ._fire import Fire, Kind
from ._job import Job
from ._options import JobOptions, Overlap
from ._overlap import Overlaps
from ._retries import Retries, Retry
from ._sharing import Shared, Sharing
from ._timetable import Missed, Slot, Timetable, catch_up

if TYPE_CHECKING:
    from ._clock import Clock
    from ._executor import Executor, Outcome
    from .stores._base import Store

__all__ = ["Runtime"]

# A batch is prepared this long before its instant, plus PER_FIRE for each fire due
# and the store's recent claim time, at most MAX_PREP.
PREP = 0.002
PER_FIRE = 20e-6
MAX_PREP = 0.25
# More jobs than this missing instants in one step get one summary WARNING line.
SUMMARY = 20
_SHARED = "\x00shared"  # the key of the shared-state read beside the jobs' pasts

logger = logging.getLogger("cronsec")
UTC = timezone.utc
_TICK = timedelta(microseconds=1)


@dataclass
class Grant:
    """A fire the timetable and the overlap policy allow; the store still decides."""

    job: Job
    slot: Slot
    kind: Kind = "fire"
    attempt: int = 0
    buffer: bool = False  # wait in the job's buffer for a run to end (Overlap.BUFFER_*)
    claim: bool = True  # ask the store (retries and buffered fires already hold a claim)


@dataclass
class Plan:
    """What one step will do: grants to claim, and jobs whose past to ask the store about."""

    now: datetime
    grants: list[Grant] = field(default_factory=list)
    catch_up: list[Job] = field(default_factory=list)
    running: dict[str, int] = field(default_factory=dict)  # grants per job that will run
    buffering: dict[str, int] = field(default_factory=dict)  # grants per job to buffer

    def add(self, grant: Grant) -> None:
        """Append a grant, keeping the per-job tallies the overlap policy reads."""
        self.grants.append(grant)
        tally = self.buffering if grant.buffer else self.running
        if grant.kind != "retry":
            tally[grant.job.name] = tally.get(grant.job.name, 0) + 1


class Runtime:
    """Everything a scheduler holds, and the three phases of a step."""

    def __init__(
        self,
        *,
        tz: tzinfo | None,
        clock: Clock,
        defaults: JobOptions,
        executors: Mapping[str, Executor],
        store: Store | None,
        store_backoff: tuple[float, float],
        store_timeout: float,
        rng: random.Random | None,
    ) -> None:
        self.tz = tz
        self.clock = clock
        self.defaults = defaults
        self.executors = executors
        self.lock = threading.RLock()  # jobs, timetable, retries, buffers
        self.gate = threading.Lock()  # fire starts vs remove/pause/stop (see _fire)
        self.stopped = False
        self.events = EventBus()
        self.store = store
        self.side = (
            StoreSide(store, store_backoff, store_timeout, self._store_changed)
            if store is not None
            else None
        )
        self.timetable = Timetable(rng)
        self.retries = Retries()
        self.jobs: dict[str, Job] = {}
        self.wake: Callable[[], None] = lambda: None  # set by the driver: re-read the deadline
        self._paused: set[str] = set()
        self.overlaps = Overlaps()
        self._catch_up: set[str] = set()  # jobs whose past the store has yet to tell
        self._pending: list[Grant] = []  # caught-up fires, claimed at the next step
        self._first_utc: dict[str, datetime | None] = {}
        self.done = threading.Condition(threading.Lock())  # notified as fires finish
        self._done_waiters = 0  # how many wait on it (none: finishing needs no lock)
        self.sharing = Sharing(self.side) if self.side is not None else None

    # -- jobs ------------------------------------------------------------------

    def add(self, job: Job, paused: bool) -> None:
        """Track a new job (its name is free: checked by the caller under the lock)."""
        if self.sharing is not None and self.sharing.paused_in_store(job.name):
            paused = True  # paused through the store (by another process, or before a restart)
        with self.lock:
            if job.name in self.jobs:
                raise ValueError(
                    f"a job named {job.name!r} is already in this scheduler; pass name= to tell "
                    "them apart"
                )
            now = self.clock.now()
            slot = self.timetable.add(job.name, job.schedule, job.options, now, paused)
            self.jobs[job.name] = job
            if paused:
                self._paused.add(job.name)
                job.paused = True
            if self.side is not None:
                self._catch_up.add(job.name)
                self._first_utc[job.name] = slot.utc if slot is not None else None
        self._emit(JobAdded(job.name))
        self.wake()

    def remove(self, job: Job) -> None:
        with self.lock:
            found = self.jobs.get(job.name)
            if found is not job:
                raise KeyError(f"no job {job.name!r} in this scheduler")
            del self.jobs[job.name]
            self.timetable.remove(job.name)
            self._paused.discard(job.name)
            self._catch_up.discard(job.name)
            with self.gate:
                job.removed = True
            dropped = self._drop_waiting(job, "the job was removed")
        self._settle_dropped(dropped)
        self._emit(JobRemoved(job.name))
        self.wake()

    def pause(self, job: Job) -> None:
        """Pause here and, with a store, for every process sharing it."""
        if self.sharing is not None:
            self.sharing.share_pause(job.name, True)
        with self.lock:
            self._pause_here(job)
        self.wake()

    def resume(self, job: Job) -> None:
        if self.sharing is not None:
            self.sharing.share_pause(job.name, False)
        with self.lock:
            self._resume_here(job)
        self.wake()

    def _pause_here(self, job: Job) -> None:
        """Under the lock: pause the job in this process."""
        if job.removed or job.paused:
            return
        self.timetable.pause(job.name)
        self._paused.add(job.name)
        with self.gate:
            job.paused = True
        dropped = self._drop_waiting(job, "the job was paused")
        for fire, why in dropped:
            fire.drop(why)
        self._emit(JobPaused(job.name))

    def _resume_here(self, job: Job) -> None:
        if job.removed or not job.paused:
            return
        self.timetable.resume(job.name, self.clock.now())
        self._paused.discard(job.name)
        with self.gate:
            job.paused = False
        self._emit(JobResumed(job.name))

    def next_fire(self, job: Job) -> datetime | None:
        slot = self.timetable.next_slot(job.name)
        return None if slot is None else slot.instant

    def manual(self, job: Job, slots: list[Slot], kind: Kind = "manual") -> list[Fire]:
        """Fires for a manual run (``run_now``) or a backfill, outside the schedule."""
        with self.lock:
            if job.removed:
                raise KeyError(f"job {job.name!r} was removed")
            return [Fire(self, job, s.instant, s.utc, s.target, kind) for s in slots]

    # -- a step ----------------------------------------------------------------

    def plan(self, now: datetime) -> Plan:
        """Under the lock: pop what is due at ``now``; settle what will not run."""
        plan = Plan(now)
        with self.lock:
            if self._catch_up and (
                self.side is None or self.side.retry_at is None or now >= self.side.retry_at
            ):
                plan.catch_up = [self.jobs[n] for n in self._catch_up if n in self.jobs]
            for grant in self._pending:
                plan.add(grant)
            self._pending = []
            due = self.timetable.due(now)
            # Of fires due together, the usually quick ones first, so that a CPU-bound
            # run that starts with them cannot hold the GIL ahead of them.
            if len(due) > 1:
                due.sort(
                    key=lambda d: (d.run[0].target if d.run else now, self.jobs[d.name].stats.cost)
                )
            passed: list[tuple[Job, Missed]] = []
            for d in due:
                job = self.jobs[d.name]
                passed += [(job, missed) for missed in d.missed]
                for slot in d.run:
                    self._admit(job, Grant(job, slot), plan)
                if not d.run and job.schedule.after_run(now) is not None:
                    self.timetable.run_ended(job.name, now)
            self._missed_many(passed, now)
            for name, retry in self.retries.due(now, self._paused):
                waiting = self.jobs.get(name)
                if waiting is None:
                    continue
                job = waiting
                slot = Slot(retry.instant, retry.utc, retry.due)
                if self._active(job) >= job.options.max_instances:
                    limit = job.options.max_instances
                    why = f"{job.stats.running} run(s) going (max_instances {limit})"
                    self._retry_given_up(job, retry, why)
                    continue
                plan.add(Grant(job, slot, "retry", retry.attempt, claim=False))
                if self.sharing is not None:
                    self.sharing.unhold(name, retry.utc)  # the retry's fire holds it again
        return plan

    def claim(self, plan: Plan) -> tuple[list[bool] | Unavailable, dict[str, Any]]:
        """Without the lock: ask the store (bounded) who runs each grant, and the jobs' pasts."""
        side = self.side
        if side is None:
            return [True] * len(plan.grants), {}
        pasts: dict[str, Any] = {}
        for job in plan.catch_up:
            pasts[job.name] = side.last_completed(job.name, plan.now)
        pairs = [(g.job.name, g.slot.utc) for g in plan.grants if g.claim]
        answer = side.claim(pairs, plan.now)
        return answer, pasts

    def commit(
        self, plan: Plan, answer: list[bool] | Unavailable, pasts: Mapping[str, Any]
    ) -> list[Fire]:
        """Under the lock: count each grant's fate; the fires to submit, in order."""
        fires: list[Fire] = []
        with self.lock:
            down = isinstance(answer, Unavailable)
            won = iter(() if isinstance(answer, Unavailable) else answer)
            not_fired = fired_anyway = 0
            for g in plan.grants:
                job = g.job
                if not g.claim:
                    ok, unclaimed = True, False
                elif down:
                    ok = job.options.on_store_error == "fire"
                    unclaimed = True
                else:
                    ok, unclaimed = next(won), False
                if not ok:
                    if unclaimed:
                        not_fired += 1
                        job.stats.settle("miss", unclaimed=True)
                    else:
                        job.stats.settle("elsewhere")
                    if job.schedule.after_run(plan.now) is not None:
                        self.timetable.run_ended(job.name, plan.now)
                    continue
                if unclaimed:
                    fired_anyway += 1
                fire = Fire(self, job, g.slot.instant, g.slot.utc, g.slot.target, g.kind, g.attempt)
                if self.side is not None and (
                    (g.claim and not unclaimed) or g.kind in ("rerun", "retry")
                ):
                    fire.claimed = True
                    self.sharing.hold(job.name, g.slot.utc)  # type: ignore[union-attr]
                if g.kind in ("fire", "catch_up"):  # an instant on its way (not a re-run)
                    job.stats.queue(unclaimed=unclaimed)
                if g.buffer:
                    self.overlaps.buffer(fire)
                else:
                    fires.append(fire)
            if down and (not_fired or fired_anyway):
                logger.warning(
                    "store unavailable: %d fire(s) not claimed: %d not fired, %d fired here "
                    "(on_store_error='fire')",
                    not_fired + fired_anyway,
                    not_fired,
                    fired_anyway,
                )
            for job in plan.catch_up:
                past = pasts.get(job.name)
                if isinstance(past, Unavailable) or job.name not in self._catch_up:
                    continue
                self._catch_up.discard(job.name)
                if past is not None and not job.removed:
                    self._caught_up(job, past, plan.now)
        return fires

    def has_pending(self) -> bool:
        """Caught-up fires wait to be claimed (a second round of the same step)."""
        return bool(self._pending)

    def lead(self, deadline: datetime) -> float:
        """Seconds before an instant to start preparing its batch: a little, more for a big
        batch, and what the store's claims have lately taken."""
        latency = self.side.latency if self.side is not None else 0.0
        n = self.timetable.due_count(deadline)
        return min(PREP + PER_FIRE * n + 1.5 * latency, MAX_PREP)

    def sync(self, now: datetime) -> None:
        """Read the state other processes share through the store, when it is due.

        Pauses and resumes made elsewhere, and claims abandoned by dead processes
        (taken over here, run at the next step). Drivers call it after a batch was
        handed over, never between preparing a batch and its instant.
        """
        sharing = self.sharing
        if sharing is None or not sharing.due(now):
            return
        with self.lock:
            names = list(self.jobs)
        shared = sharing.read(names, now)  # store I/O, bounded, without the lock
        with self.lock:
            self._apply_shared({_SHARED: shared}, now)
        if self._pending:
            self.wake()

    def deadline(self) -> datetime | None:
        """When a step is next needed: the earliest instant, retry, pending store answer
        or read of the shared state."""
        with self.lock:
            times = [
                t for t in (self.timetable.deadline(), self.retries.deadline(self._paused)) if t
            ]
            if self.sharing is not None and self.sharing.next_read is not None:
                times.append(self.sharing.next_read)
            if self._pending:
                times.append(self.clock.now())
            if self._catch_up:
                side = self.side
                times.append(side.retry_at if side and side.retry_at else self.clock.now())
            return min(times) if times else None

    # -- on workers -------------------------------------------------------------

    def fire_started(self, fire: Fire, late: float | None) -> None:
        """Called by the gate once a fire started (for cancel_other, events)."""
        if fire.job.options.overlap is Overlap.CANCEL_OTHER:
            with self.lock:
                self.overlaps.started(fire)
        if self.events.active:
            self._emit(
                FireStarted(
                    fire.job_name,
                    fire.instant,
                    self.clock.now(),
                    late,
                    fire.attempt,
                    fire.kind == "manual",
                )
            )

    def fire_ended(self, fire: Fire, outcome: Outcome, error: str | None) -> None:
        """A started fire ended: retry it, record its completion, start what waited for it."""
        job = fire.job
        if self.events.active:
            run = fire.run  # this fire's record (the job's newest may be another's)
            took = (run.ended - run.started).total_seconds() if run and run.ended else 0.0
            if outcome == "ok":
                self._emit(FireFinished(job.name, fire.instant, took, fire.attempt))
            else:
                self._emit(FireFailed(job.name, fire.instant, took, outcome, error, fire.attempt))
        retry = outcome in ("error", "timeout", "crashed") and fire.attempt < len(job.options.retry)
        retry = retry and fire.kind != "manual"
        delay_job = job.schedule.after_run(fire.utc) is not None
        plain = job.options.overlap in (Overlap.SKIP, Overlap.ALLOW_ALL)
        if plain and not (retry or delay_job or self.side is not None):
            return  # the common case needs nothing of the timer's lock
        follow: list[Fire] = []
        with self.lock:
            if retry and not job.removed and not self.stopped:
                delay = job.options.retry[fire.attempt]
                due = self.clock.now() + timedelta(seconds=delay)
                self.retries.add(job.name, Retry(due, fire.instant, fire.utc, fire.attempt + 1))
                logger.info(
                    "job %r: retry %d of %d for %s in %gs",
                    job.name,
                    fire.attempt + 1,
                    len(job.options.retry),
                    fire.instant.isoformat(),
                    delay,
                )
                self._emit(RetryScheduled(job.name, fire.instant, fire.attempt + 1, due))
            elif self.sharing is not None and (fire.claimed or fire.counts_instant):
                self.sharing.complete(job.name, fire.utc)
            if self.side is not None and fire.run is not None:
                self.side.recorder.run(fire.run)
            if delay_job and fire.counts_instant:
                self.timetable.run_ended(job.name, self.clock.now())
            nxt = self.overlaps.ended(fire)
            if nxt is not None:
                follow.append(nxt)
        if follow:
            self.submit(follow)
        if retry or delay_job:
            self.wake()

    def fire_dropped(self, fire: Fire, why: str) -> None:
        """A fire never started: give its claim back, keep fixed-delay jobs going."""
        if self.sharing is not None and fire.claimed:
            if fire.kind == "retry":  # its fire ran; the retries are given up: complete it
                self.sharing.complete(fire.job_name, fire.utc)
            else:  # never ran here: another process may still claim and run it
                self.sharing.release(fire.job_name, fire.utc)
        if fire.counts_instant:
            self._emit(FireMissed(fire.job_name, fire.instant, fire.instant, 1, why))
            if fire.job.schedule.after_run(fire.utc) is not None:
                with self.lock:
                    self.timetable.run_ended(fire.job_name, self.clock.now())
                self.wake()

    def fire_done(self, fire: Fire) -> None:
        """Mark a fire finished (ended or dropped, follow-ups done); wake who waits."""
        fire.finished = True
        if self._done_waiters:  # set before a waiter first tests: no wake-up is lost
            with self.done:
                self.done.notify_all()

    def done_wait(self, timeout: float) -> None:
        """Wait up to ``timeout`` for any fire to finish (the asyncio driver polls with it)."""
        with self.done:
            self._done_waiters += 1
            try:
                self.done.wait(timeout)
            finally:
                self._done_waiters -= 1

    def wait_finished(self, fires: list[Fire], timeout: float | None = None) -> bool:
        """Wait until every one of ``fires`` finished (``run_pending``)."""
        with self.done:
            self._done_waiters += 1
            try:
                return self.done.wait_for(lambda: all(f.finished for f in fires), timeout)
            finally:
                self._done_waiters -= 1

    # -- stopping --------------------------------------------------------------

    def close_gate(self) -> list[Fire]:
        """No fire starts from now on; returns the buffered fires (to be dropped)."""
        with self.gate:
            self.stopped = True
        with self.lock:
            buffered = self.overlaps.take_all()
            retries = self.retries.take_all()
        for name, retry in retries:
            job = self.jobs.get(name)
            if job is not None:
                self._retry_given_up(job, retry, "the scheduler stopped")
        return buffered

    def open_gate(self) -> None:
        with self.gate:
            self.stopped = False

    # -- inside ----------------------------------------------------------------

    def _active(self, job: Job) -> int:
        """Runs of the job going or on their way (queued, buffered excluded)."""
        s = job.stats
        return s.queued - s.buffered + s.running

    def _admit(self, job: Job, grant: Grant, plan: Plan) -> None:
        """Apply the overlap policy to a due instant, and count what it decides."""
        o = job.options
        active = self._active(job) + plan.running.get(job.name, 0)
        if self.retries.count(job.name):
            # A regular fire is due: retries beyond max_instances give way to it.
            room = max(0, o.max_instances - 1 - active)
            for r in self.retries.take(job.name, keep=room):
                self._retry_given_up(job, r, f"a newer fire (max_instances {o.max_instances})")
        executor = self.executors.get(o.executor) if o.overlap is Overlap.CANCEL_OTHER else None
        decision = self.overlaps.decide(job, active, executor)
        instant = grant.slot.instant
        if decision == "run":
            plan.add(grant)
        elif decision == "skip":
            job.stats.settle("skip")
            logger.info(
                "job %r: fire for %s skipped: %d run(s) still going (max_instances %d)",
                job.name,
                instant.isoformat(),
                job.stats.running,
                o.max_instances,
            )
            self._emit(FireSkipped(job.name, instant, "max_instances runs still going"))
        elif decision == "starved":
            job.stats.settle("miss")
            job.stats.count("starved")
            why = "no free worker: an earlier fire of this job still waits for one"
            logger.warning(
                "job %r: fire for %s missed: %s (every worker busy; see the runs going)",
                job.name,
                instant.isoformat(),
                why,
            )
            self._emit(FireMissed(job.name, instant, instant, 1, why))
        else:  # buffer: it runs when a run ends; a full buffer loses its oldest
            if self.overlaps.room(job, plan.buffering.get(job.name, 0)) <= 0:
                self._make_room(job, plan, instant)
            grant.buffer = True
            grant.kind = "catch_up"  # runs when a run ends, however late: no grace check
            plan.add(grant)

    def _make_room(self, job: Job, plan: Plan, newer: datetime) -> None:
        """The job's buffer is full: its oldest instant is missed for the newer one."""
        why = f"buffer full ({self.overlaps.limit(job)}); replaced by the fire for {newer}"
        oldest = self.overlaps.oldest(job)
        if oldest is not None:
            oldest.drop(why)
            return
        for g in plan.grants:  # the oldest is still in this step's plan
            if g.job is job and g.buffer:
                plan.grants.remove(g)
                plan.buffering[job.name] -= 1
                self._missed(job, Missed(1, g.slot.instant, g.slot.instant, why), plan.now)
                return

    def _missed(self, job: Job, missed: Missed, now: datetime, *, log: bool = True) -> None:
        """Count missed instants; log them (WARNING) and tell the listeners."""
        job.stats.settle("miss", missed.n)
        if not log and not self.events.active:
            return
        last = missed.last
        if last is None:
            last = (job.schedule.prev_before(missed.before) if missed.before else None) or (
                missed.first
            )
        if log:
            span = missed.first.isoformat()
            if missed.n > 1:
                span = f"{missed.n} fires from {span} to {last.isoformat()}"
            logger.warning(
                "job %r: missed %s, %.3fs late: %s",
                job.name,
                span,
                (now - last.astimezone(UTC)).total_seconds(),
                missed.why,
            )
        self._emit(FireMissed(job.name, missed.first, last, missed.n, missed.why))

    def _missed_many(self, passed: list[tuple[Job, Missed]], now: datetime) -> None:
        """Misses of one step: a line per job, or one line for all after a stall or step.

        After a clock step every job misses at once; 5,000 log lines would hold
        the timer longer than the step itself, so beyond SUMMARY jobs the
        WARNING is one line with the totals (each job's own line at DEBUG).
        """
        jobs = {job.name for job, _ in passed}
        if len(jobs) <= SUMMARY:
            for job, missed in passed:
                self._missed(job, missed, now)
            return
        debug = logger.isEnabledFor(logging.DEBUG)
        for job, missed in passed:
            self._missed(job, missed, now, log=debug)
        total = sum(m.n for _, m in passed)
        names = sorted(jobs)
        logger.warning(
            "%d jobs missed %d instants in all at %s (the timer was held up or the clock "
            "stepped ahead; each job's are in its misses counter): %s%s",
            len(jobs),
            total,
            now.isoformat(),
            ", ".join(repr(n) for n in names[:5]),
            f" and {len(names) - 5} more" if len(names) > 5 else "",
        )

    def _caught_up(self, job: Job, last: datetime, now: datetime) -> None:
        """The instants between the job's last completion and its add(): run or count them."""
        end = self._first_utc.pop(job.name, None) or now
        run, missed = catch_up(job.schedule, job.options, last, end, now)
        if missed is not None:
            self._missed(job, missed, now)
        for slot in run:
            self._pending.append(Grant(job, slot, "catch_up"))

    def _drop_waiting(self, job: Job, why: str) -> list[tuple[Fire, str]]:
        """Under the lock: take the job's buffered fires and waiting retries (removed/paused)."""
        dropped = [(f, why) for f in self.overlaps.take(job)]
        for r in self.retries.take(job.name):
            self._retry_given_up(job, r, why)
        return dropped

    def _retry_given_up(self, job: Job, retry: Retry, why: str) -> None:
        """A waiting retry dropped: count and log it; its instant ran (and failed), so
        its claim is completed."""
        job.stats.count("retries_dropped")
        logger.info(
            "job %r: retry %d for %s dropped: %s",
            job.name,
            retry.attempt,
            retry.instant.isoformat(),
            why,
        )
        if self.sharing is not None:
            self.sharing.complete(job.name, retry.utc)

    def _apply_shared(self, pasts: Mapping[str, Any], now: datetime) -> None:
        """Under the lock: pauses made by other processes, and abandoned instants taken over."""
        shared, sharing = pasts.get(_SHARED), self.sharing
        if not isinstance(shared, Shared) or sharing is None:
            return
        if isinstance(shared.paused, set):
            newly, resumed = sharing.pause_changes(shared.paused)
            for name in newly:
                job = self.jobs.get(name)
                if job is not None and not job.paused:
                    logger.info("job %r: paused through the store (another process)", name)
                    self._pause_here(job)
            for name in resumed:
                job = self.jobs.get(name)
                if job is not None and job.paused:
                    logger.info("job %r: resumed through the store (another process)", name)
                    self._resume_here(job)
        taken = shared.taken
        if not isinstance(taken, list):
            return
        for name, instant in taken:
            job = self.jobs.get(name)
            utc = instant.astimezone(UTC)
            if job is None:
                continue
            job.stats.count("abandoned")
            grace = job.options.misfire_grace
            late = (now - utc).total_seconds()
            rerun = job.options.on_abandoned == "rerun" and (grace is None or late <= grace)
            zone = getattr(job.expr, "tz", None)
            shown = utc.astimezone(zone) if zone is not None else utc
            if rerun:
                logger.warning(
                    "job %r: the fire for %s was abandoned (its process died before completing "
                    "it); running it again here, %.3fs late",
                    name,
                    shown.isoformat(),
                    late,
                )
                self._pending.append(Grant(job, Slot(shown, utc, utc), "rerun", claim=False))
            else:
                why = (
                    "on_abandoned='record'"
                    if job.options.on_abandoned == "record"
                    else (f"too late to run again (misfire_grace {grace}s)")
                )
                logger.warning(
                    "job %r: the fire for %s was abandoned (its process died before completing "
                    "it); not run again: %s",
                    name,
                    shown.isoformat(),
                    why,
                )
                sharing.resolve(name, utc)

    def _settle_dropped(self, dropped: list[tuple[Fire, str]]) -> None:
        for fire, why in dropped:
            fire.drop(why)

    def submit(self, fires: list[Fire], at: float | None = None) -> list[Fire]:
        """Hand fires to their executors (grouped, in order).

        With ``at`` (``time.time()`` seconds, the batch's instant), executors that
        can hold a batch until then (``submit_at``) get it now; the fires of the
        others are returned, for the caller to submit at the instant.
        """
        groups: dict[str, list[Fire]] = {}
        for fire in fires:
            groups.setdefault(fire.job.options.executor, []).append(fire)
        later: list[Fire] = []
        for name, group in groups.items():
            executor = self.executors[name]
            if at is None:
                executor.submit(group)
                continue
            hold = getattr(executor, "submit_at", None)
            if hold is None or not hold(group, at):
                later += group
        return later

    def _emit(self, event: Any) -> None:
        if self.events.active:
            self.events.emit(event)

    def _store_changed(self, up: bool, error: str, seconds: float) -> None:
        store = repr(self.store)
        self._emit(
            StoreRecovered(store, seconds) if up else StoreUnavailableEvent(store, error, seconds)
        )
