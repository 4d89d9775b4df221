"""Regression tests for the faults found in the first timer, each driven step by step.

Every test chooses its interleaving: a fake clock, an executor stepped by
hand (`HandExecutor`), stores that block on an event or answer wrongly.
None sleeps to decide anything.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from datetime import datetime, timedelta
from typing import Any

import pytest
from timer_helpers import UTC, Recorder, by_hand, make, utc, wait_for

import cronsec
from cronsec import FakeClock, Scheduler
from cronsec.stores import MemoryStore

T0 = utc(2026, 5, 1)


class BlockingStore:
    """A MemoryStore whose claims wait on ``release`` once ``hold`` is set."""

    def __init__(self) -> None:
        self.inner = MemoryStore()
        self.hold = threading.Event()
        self.entered = threading.Event()
        self.release = threading.Event()

    def claim(self, job: str, instant: datetime) -> bool:
        return self.claim_many([(job, instant)])[0]

    def claim_many(self, claims: list[tuple[str, datetime]]) -> list[bool]:
        if self.hold.is_set():
            self.entered.set()
            assert self.release.wait(10)
        return self.inner.claim_many(claims)

    def record(self, job: str, instant: datetime) -> None:
        self.inner.record(job, instant)

    def last_completed(self, job: str) -> datetime | None:
        return self.inner.last_completed(job)

    def close(self) -> None:
        self.inner.close()


def _claim_in_thread(sched: Scheduler) -> threading.Thread:
    thread = threading.Thread(target=lambda: sched.run_pending(wait=False), daemon=True)
    thread.start()
    return thread


# -- 1. a fire after remove() or pause() returned ------------------------------


@pytest.mark.parametrize("how", ["remove", "pause"])
def test_no_fire_after_remove_or_pause_returned_while_the_store_claimed(how: str) -> None:
    store = BlockingStore()
    clock, sched, hand = by_hand(T0, store=store)
    rec = Recorder()
    job = sched.add("* * * * * *", rec, name="j")
    sched.run_pending(wait=False)  # the catch-up read: nothing passed
    clock.advance(1)
    store.hold.set()
    step = _claim_in_thread(sched)
    assert store.entered.wait(10)  # the step is inside the store's claim, lock released
    getattr(job, how)()  # returns while the claim is still out
    store.release.set()
    step.join(10)
    hand.drain()
    assert rec.instants == []
    assert (job.fires, job.misses) == (0, 1)  # the instant ends as a miss, with a log line


@pytest.mark.parametrize("how", ["remove", "pause"])
def test_a_fire_queued_for_a_busy_worker_does_not_start_after_remove_or_pause(how: str) -> None:
    clock, sched, hand = by_hand(T0)
    rec = Recorder()
    job = sched.add("* * * * * *", rec, name="j")
    clock.advance(1)
    sched.run_pending(wait=False)
    assert len(hand.queue) == 1  # dispatched, waiting for a worker
    getattr(job, how)()
    hand.drain()
    assert rec.instants == []
    assert (job.fires, job.misses, job.stats.queued) == (0, 1, 0)


# -- 2. one bad answer from a store wedges jobs ---------------------------------


class WrongStore(BlockingStore):
    """Answers one result short (or long, or not booleans) while ``mode`` is set."""

    mode = ""

    def claim_many(self, claims: list[tuple[str, datetime]]) -> Any:
        won = self.inner.claim_many(claims)
        if self.mode == "short":
            return won[:-1]
        if self.mode == "long":
            return [*won, True]
        if self.mode == "junk":
            return ["yes"] * len(won)
        if self.mode == "raise":
            raise RuntimeError("boom")
        return won


@pytest.mark.parametrize("mode", ["short", "long", "junk", "raise"])
def test_a_wrong_store_answer_is_unavailability_and_wedges_nothing(
    mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    store = WrongStore()
    clock, sched = make(T0, store=store, store_backoff=(1, 1))
    a, b = Recorder(), Recorder()
    ja = sched.add("* * * * * *", a, name="a")
    jb = sched.add("* * * * * *", b, name="b")
    sched.run_pending()
    store.mode = mode
    clock.advance(1)
    with caplog.at_level(logging.WARNING, logger="cronsec"):
        sched.run_pending()
    assert "unavailable" in caplog.text
    assert (ja.misses, jb.misses, ja.unclaimed) == (1, 1, 1)
    store.mode = ""
    for _ in range(3):
        clock.advance(1)
        sched.run_pending()
    assert (ja.fires, jb.fires) == (3, 3)  # recovered: not wedged
    assert ja.running == jb.running == ja.stats.queued == 0


def test_a_store_that_hangs_is_unavailable_after_its_timeout() -> None:
    store = BlockingStore()
    clock, sched = make(T0, store=store, store_timeout=0.05, store_backoff=(1, 1))
    job = sched.add("* * * * * *", Recorder(), name="j")
    sched.run_pending()
    store.hold.set()
    clock.advance(1)
    sched.run_pending()  # returns after the timeout, not when the store answers
    assert (job.misses, job.unclaimed) == (1, 1)
    assert not sched.store_available
    store.hold.clear()
    store.release.set()


# -- 3. a retry dropped by stop() counted twice ---------------------------------


def test_a_retry_dropped_by_stop_is_counted_once() -> None:
    clock, sched = make(T0)

    def fails() -> None:
        raise ValueError("no")

    job = sched.add("0 * * * * *", fails, name="f", retry=(30,))
    clock.advance(60)
    sched.run_pending()
    sched.stop()
    assert (job.fires, job.misses, job.skips, job.errors) == (1, 0, 0, 1)
    assert job.retries_dropped == 1


# -- 4. stop(wait=False) followed by a fire starting ------------------------------


def test_no_fire_starts_after_stop_without_wait_returned() -> None:
    clock, sched, hand = by_hand(T0)
    rec = Recorder()
    job = sched.add("* * * * * *", rec, name="j")
    clock.advance(1)
    sched.run_pending(wait=False)
    taken = hand.queue.pop(0)  # a worker took it, but has not started it yet
    sched.stop(wait=False)
    assert taken.begin() is False
    assert rec.instants == []
    assert (job.fires, job.misses, job.stats.queued) == (0, 1, 0)


# -- 5. SQLiteStore connections: one recorder for the scheduler's life ----------------


def test_completions_reuse_one_recorder_thread(tmp_path: Any) -> None:
    from cronsec.stores import SQLiteStore

    store = SQLiteStore(tmp_path / "s.db")
    clock, sched = make(T0, store=store)
    sched.add("0 * * * * *", Recorder(), name="j")
    threads: set[int] = set()
    seen = threading.Event()

    real = store.record

    def record(job: str, instant: datetime) -> None:
        threads.add(threading.get_ident())
        real(job, instant)
        seen.set()

    store.record = record  # type: ignore[method-assign]
    for _ in range(20):
        clock.advance(60)
        sched.run_pending()
    sched.stop()
    assert seen.is_set() and len(threads) == 1


# -- 6. async def jobs --------------------------------------------------------------


def test_an_async_def_job_runs_to_completion() -> None:
    clock, sched = make(T0)
    done: list[datetime | None] = []

    async def job() -> None:
        await asyncio.sleep(0)
        done.append(cronsec.fire_time())

    j = sched.add("* * * * * *", job, name="a")
    clock.advance(1)
    sched.run_pending()
    assert done == [T0 + timedelta(seconds=1)]
    assert (j.fires, j.errors) == (1, 0)


# -- 8. a clock step forward settles each job in constant time -------------------------


class Counting:
    """Wraps a job's schedule and counts the instants asked of it."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def next_after(self, t: datetime) -> Any:
        self.calls += 1
        return self.inner.next_after(t)

    def prev_before(self, t: datetime) -> Any:
        self.calls += 1
        return self.inner.prev_before(t)


@pytest.mark.parametrize("coalesce", [True, False])
def test_a_one_hour_step_asks_each_schedule_a_bounded_number_of_times(coalesce: bool) -> None:
    clock, sched, hand = by_hand(T0, coalesce=coalesce, misfire_grace=5, max_instances=6)
    counters = []
    jobs = []
    for i in range(50):
        job = sched.add("* * * * * *", Recorder(), name=f"j{i}")
        counting = Counting(job.schedule)
        job.schedule = counting
        sched._rt.timetable._entries[job.name].schedule = counting  # type: ignore[assignment]
        counters.append(counting)
        jobs.append(job)
    clock.advance(3600)
    sched.run_pending(wait=False)
    hand.drain()
    for job, counting in zip(jobs, counters):
        assert counting.calls < 40  # not 3,600
        ran = 1 if coalesce else 6  # the latest, or the six within the 5 s grace
        assert (job.fires, job.misses) == (ran, 3600 - ran)


# -- 9. hung callables starve the rest: said apart, never as a skip ---------------------


def test_a_fire_with_no_free_worker_is_a_starved_miss_not_a_skip(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock, sched, hand = by_hand(T0)
    healthy = sched.add("* * * * * *", Recorder(), name="healthy")
    clock.advance(1)
    sched.run_pending(wait=False)  # queued; every worker busy with hung jobs
    with caplog.at_level(logging.INFO, logger="cronsec"):
        clock.advance(1)
        sched.run_pending(wait=False)
    assert healthy.skips == 0
    assert (healthy.misses, healthy.starved) == (1, 1)
    assert "no free worker" in caplog.text and "still going" not in caplog.text
    hand.drain()
    assert healthy.fires == 1


def test_a_fire_that_waited_past_its_grace_for_a_worker_is_missed_as_starved() -> None:
    clock, sched, hand = by_hand(T0, misfire_grace=2)
    job = sched.add("0 * * * * *", Recorder(), name="j")
    clock.advance(60)
    sched.run_pending(wait=False)
    clock.advance(3)  # no worker took it for 3 s
    hand.drain()
    assert (job.fires, job.misses, job.starved) == (0, 1, 1)


# -- 10. smaller slips --------------------------------------------------------------------


def test_cronsec_every_takes_every_job_option() -> None:
    import inspect

    sched_every = inspect.signature(Scheduler.every).parameters
    module_every = inspect.signature(cronsec.every).parameters
    assert list(sched_every)[1:] == list(module_every)
    with pytest.raises(TypeError, match="unknown option 'misfire'"):
        cronsec.every("* * * * * *", misfire=3)  # type: ignore[call-arg]


def test_a_worker_survives_an_error_outside_the_job() -> None:
    from cronsec import ThreadExecutor

    pool = ThreadExecutor(1)
    pool.start()
    ran = threading.Event()

    class Broken:
        job_name, pin, timeout = "x", None, None

        def begin(self) -> bool:
            raise RuntimeError("a bug around the job")

    class Fine:
        job_name, pin, timeout, attempt = "y", None, None, 0
        instant = T0
        func, args, kwargs = staticmethod(ran.set), (), {}

        def begin(self) -> bool:
            return True

        def end(self, outcome: str, error: object = None) -> None:
            pass

    pool.submit([Broken(), Fine()])  # type: ignore[list-item]
    assert ran.wait(10)
    pool.shutdown()


def test_run_returns_when_the_scheduler_is_stopped_from_another_thread() -> None:
    sched = Scheduler(tz="UTC", clock=FakeClock(T0))
    runner = threading.Thread(target=cronsec.run, args=(sched,), daemon=True)
    runner.start()
    assert wait_for(lambda: sched.running)
    sched.stop()
    runner.join(10)
    assert not runner.is_alive()


def test_lateness_counts_from_the_scheduled_instant() -> None:
    clock, sched = make(T0)
    job = sched.add("* * * * * *", Recorder(), name="j")
    clock.advance(1.25)
    sched.run_pending()
    assert job.lateness.last == pytest.approx(0.25)
    assert UTC is not None


def test_a_step_where_many_jobs_miss_logs_one_summary_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock, sched, hand = by_hand(T0)
    jobs = [sched.add("* * * * * *", Recorder(), name=f"j{i:02d}") for i in range(30)]
    clock.advance(3600)
    with caplog.at_level(logging.WARNING, logger="cronsec"):
        sched.run_pending(wait=False)
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1
    assert "30 jobs missed 107970 instants" in lines[0] and "'j00'" in lines[0]
    hand.drain()
    assert all((j.fires, j.misses) == (1, 3599) for j in jobs)
