"""Retries of callables that raise, on a FakeClock: the backoff, counters, max_instances.

The clock moves a second at a time and ``run_pending()`` waits for what it
started, so each retry runs at exactly the fake second it is due.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

import pytest
from timer_helpers import utc

from cronsec import FakeClock, Scheduler, fire_time
from cronsec.stores import MemoryStore

T0 = utc(2026, 6, 1, 12)


class Flaky:
    """Raises on its first ``failures`` calls; notes when and for which instant it ran."""

    def __init__(self, clock: FakeClock, failures: int = 10**9, takes: float = 0.0) -> None:
        self.clock = clock
        self.failures = failures
        self.takes = takes
        self.calls: list[tuple[float, float]] = []  # (seconds after T0, instant after T0)
        self.threads: set[str] = set()
        self.lock = threading.Lock()

    def __call__(self) -> None:
        instant = fire_time()
        assert instant is not None
        with self.lock:
            now = (self.clock.now() - T0).total_seconds()
            self.calls.append((now, (instant - T0).total_seconds()))
            self.threads.add(threading.current_thread().name)
            failing = len(self.calls) <= self.failures
        if self.takes:
            self.clock.advance(self.takes)  # the run "takes" this long, in fake time
        if failing:
            raise RuntimeError("flaky")


def step(clock: FakeClock, sched: Scheduler, seconds: int) -> None:
    for _ in range(seconds):
        clock.advance(1)
        sched.run_pending()


def make(**options: object) -> tuple[FakeClock, Scheduler]:
    clock = FakeClock(T0)
    return clock, Scheduler(tz="UTC", clock=clock, max_workers=4, **options)  # type: ignore[arg-type]


def test_retries_follow_the_backoff_then_give_up() -> None:
    clock, sched = make()
    flaky = Flaky(clock)
    job = sched.add("0 1 12 * * *", flaky, name="flaky", retry=(10, 30, 60))  # 12:01 daily
    step(clock, sched, 300)
    # The fire at 60, then 10, 30 and 60 s after each failure; then no more.
    assert flaky.calls == [(60, 60), (70, 60), (100, 60), (160, 60)]
    assert (job.fires, job.retries, job.errors, job.retries_dropped) == (1, 3, 4, 0)
    assert all(name.startswith("cronsec-worker") for name in flaky.threads)


def test_a_retry_that_succeeds_ends_the_series_and_records_the_fire() -> None:
    clock, sched = make(store=MemoryStore())
    flaky = Flaky(clock, failures=2)
    job = sched.add("0 * * * * *", flaky, name="flaky", retry=(5, 5, 5, 5))
    step(clock, sched, 59)
    step(clock, sched, 1)
    assert sched.store.last_completed("flaky") is None  # failed, retries pending
    step(clock, sched, 20)
    assert flaky.calls == [(60, 60), (65, 60), (70, 60)]
    assert (job.fires, job.retries, job.errors) == (1, 2, 2)
    assert sched.store.last_completed("flaky") == T0 + timedelta(seconds=60)


def test_the_delay_counts_from_the_failure_not_from_the_start() -> None:
    clock, sched = make()
    flaky = Flaky(clock, takes=3)  # each run takes 3 s of fake time, then raises
    sched.add("0 * * * * *", flaky, name="slow", retry=(10, 10), misfire_grace=None)
    step(clock, sched, 100)
    starts = [t for t, _ in flaky.calls]
    assert starts[:3] == [60, 73, 86]  # 60 + 3 + 10, 73 + 3 + 10


def test_retries_do_not_hold_up_other_jobs() -> None:
    clock, sched = make()
    flaky = Flaky(clock)
    ticks: list[datetime] = []
    sched.add("0 * * * * *", flaky, name="flaky", retry=(1, 1, 1, 1, 1))
    sched.add("* * * * * *", lambda: ticks.append(fire_time()), name="tick")  # type: ignore[arg-type]
    step(clock, sched, 70)
    assert ticks == [T0 + timedelta(seconds=s) for s in range(1, 71)]
    assert [t for t, _ in flaky.calls] == [60, 61, 62, 63, 64, 65]
    assert sched.get("tick").lateness.max == 0.0


def test_a_pending_retry_is_dropped_for_the_next_fire_with_max_instances_1() -> None:
    clock, sched = make()
    flaky = Flaky(clock)
    job = sched.add("*/10 * * * * *", flaky, name="flaky", retry=(15,))
    step(clock, sched, 30)
    # 10 fails, retry due at 25; the fire at 20 comes first and drops it;
    # 20 fails, its retry (35) is dropped by the fire at 30.
    assert flaky.calls == [(10, 10), (20, 20), (30, 30)]
    assert (job.fires, job.retries, job.retries_dropped, job.skips) == (3, 0, 2, 0)


def test_with_max_instances_2_a_pending_retry_survives_the_next_fire() -> None:
    clock, sched = make()
    flaky = Flaky(clock)
    job = sched.add("*/10 * * * * *", flaky, name="flaky", retry=(15,), max_instances=2)
    step(clock, sched, 30)
    assert flaky.calls == [(10, 10), (20, 20), (25, 10), (30, 30)]
    assert (job.fires, job.retries, job.retries_dropped) == (3, 1, 0)


def test_a_retry_due_while_the_job_runs_at_its_limit_is_dropped() -> None:
    # Regular fires drop pending retries first (above); this is the other gate,
    # for a run that is going when the retry comes due (a catch-up run, say).
    clock, sched = make()
    flaky = Flaky(clock)
    job = sched.add("0 * * * * *", flaky, name="flaky", retry=(5,))
    step(clock, sched, 60)  # 60: fails, retry due at 65
    job.stats.start("manual", None, queued=False)  # stands for a run in progress
    step(clock, sched, 5)
    job.stats.end("ok", 0.0)
    step(clock, sched, 5)
    assert flaky.calls == [(60, 60)]
    assert (job.retries, job.retries_dropped) == (0, 1)


def test_retry_options_are_checked() -> None:
    _clock, sched = make()
    with pytest.raises(TypeError, match="delays"):
        sched.add("* * * * * *", print, name="a", retry=3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="retry"):
        sched.add("* * * * * *", print, name="b", retry=(-1,))
    assert sched.add("* * * * * *", print, name="c", retry=[1, 2]).policy.retry == (1.0, 2.0)
    assert Scheduler(retry=(5,)).add("* * * * * *", print, name="d").policy.retry == (5.0,)


def test_lateness_counts_fires_not_retries() -> None:
    clock, sched = make()
    job = sched.add("0 * * * * *", Flaky(clock), name="flaky", retry=(1, 1))
    step(clock, sched, 62)
    assert (job.fires, job.retries, job.lateness.n) == (1, 2, 1)


def test_a_retry_on_the_real_timer_runs_its_delay_after_the_failure() -> None:
    # Real time: the timer thread is woken by the failure and waits for the retry.
    calls: list[tuple[float, datetime | None]] = []
    done = threading.Event()

    def once_failing() -> None:
        calls.append((time.monotonic(), fire_time()))
        if len(calls) == 1:
            raise RuntimeError("first run fails")
        done.set()

    with Scheduler(tz="UTC") as sched:
        job = sched.add("* * * * * *", once_failing, name="once", retry=(0.3,), max_instances=2)
        assert done.wait(3)
        sched.remove(job)
    (t1, instant1), (t2, instant2) = calls[:2]
    assert instant2 == instant1  # the retry runs for the same instant
    assert 0.25 <= t2 - t1 <= 0.8
    assert (job.retries, job.errors) == (1, 1)
