"""Fixed rate, fixed delay, one-off jobs, run_now and backfill, in the scheduler."""

from __future__ import annotations

from datetime import datetime, timedelta
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from timer_helpers import UTC, Recorder, make, utc

from cronsec import FakeClock, Interval, Scheduler, fire_time
from cronsec.stores import SQLiteStore

T0 = utc(2026, 5, 1)


@settings(max_examples=60, deadline=None)
@given(
    period_ms=st.integers(10, 5000),
    wakes=st.lists(st.floats(0.0, 3.0), min_size=1, max_size=30),
)
def test_fixed_rate_instants_are_anchor_plus_k_periods_whatever_the_wakes(
    period_ms: int, wakes: list[float]
) -> None:
    clock, sched = make(T0, coalesce=False, misfire_grace=None, max_instances=10_000)
    rec = Recorder()
    sched.add(Interval(milliseconds=period_ms), rec, name="rate")
    now = Fraction(0)
    for w in wakes:  # late wakes and stalls: the clock moves on by w seconds each time
        now += Fraction(w).limit_denominator(1000)
        clock.set(T0 + timedelta(seconds=float(now)))
        sched.run_pending()
    reached = clock.now() - T0
    period = Fraction(period_ms, 1000)
    k_max = int(Fraction(reached.total_seconds()).limit_denominator(10**6) // period)
    model = [T0 + timedelta(seconds=float(k * period)) for k in range(1, k_max + 1)]
    assert sorted(i.astimezone(UTC) for i in rec.instants) == model  # workers run them in parallel


def test_a_fixed_rate_job_does_not_drift_over_a_million_periods() -> None:
    clock, sched = make(T0)
    job = sched.add(Interval(seconds=0.1), Recorder(), name="r")
    clock.set(T0 + timedelta(seconds=100_000) - timedelta(microseconds=1))
    sched.run_pending()  # a big step: settled by counting, the latest runs
    assert job.next_fire == T0 + timedelta(seconds=100_000)
    assert job.fires + job.misses == 999_999


def test_fixed_delay_counts_from_the_end_of_each_run() -> None:
    clock, sched = make(T0)
    starts: list[datetime] = []

    def takes_700ms() -> None:
        starts.append(clock.now())
        clock.advance(0.7)  # the run "takes" 0.7 s of fake time

    job = sched.add(Interval(seconds=2, mode="delay"), takes_700ms, name="d")
    for _ in range(3):
        clock.set(sched.run_pending())  # type: ignore[arg-type]
    sched.run_pending()
    assert starts == [T0 + timedelta(seconds=s) for s in (2, 4.7, 7.4)]
    assert job.fires == 3


def test_at_and_after_run_once() -> None:
    clock, sched = make(T0)
    rec = Recorder()
    a = sched.at(T0 + timedelta(seconds=5), rec, name="at")
    b = sched.after(3, rec, name="after")
    for _ in range(3):
        deadline = sched.run_pending()
        if deadline is None:
            break
        clock.set(deadline)
    sched.run_pending()
    assert rec.utc == [T0 + timedelta(seconds=3), T0 + timedelta(seconds=5)]
    assert (a.fires, b.fires, a.next_fire, b.next_fire) == (1, 1, None, None)


def test_a_one_off_passed_while_all_were_down_runs_on_restart_within_its_grace(
    tmp_path: Path,
) -> None:
    db = tmp_path / "s.db"
    clock = FakeClock(T0)
    first = Scheduler(tz="UTC", clock=clock, store=SQLiteStore(db))
    first.at(T0 + timedelta(seconds=10), print, name="once")
    first.stop()
    clock.advance(40)  # the instant passed while no process ran
    rec = Recorder()
    again = Scheduler(tz="UTC", clock=clock, store=SQLiteStore(db), misfire_grace=60)
    job = again.at(T0 + timedelta(seconds=10), rec, name="once")
    again.run_pending()
    assert rec.utc == [T0 + timedelta(seconds=10)] and job.fires == 1
    third = Scheduler(tz="UTC", clock=clock, store=SQLiteStore(db), misfire_grace=60)
    other = third.at(T0 + timedelta(seconds=10), rec, name="once")
    third.run_pending()  # already run by the second process: not again
    assert other.fires == 0 and other.elsewhere == 1 and len(rec.utc) == 1


def test_sched_every_seconds_is_a_fixed_rate() -> None:
    clock, sched = make(T0)
    rec = Recorder()
    sched.every(seconds=2)(rec)
    clock.advance(4)
    sched.run_pending()
    assert rec.utc == [T0 + timedelta(seconds=4)]  # coalesced: 2 and 4 due, 4 runs
    with pytest.raises(TypeError, match="cron expression or seconds"):
        sched.every()


def test_run_now_fires_once_outside_the_schedule_without_moving_it() -> None:
    _clock, sched = make(T0)
    seen: list[datetime | None] = []
    job = sched.add("0 0 * * * *", lambda: seen.append(fire_time()), name="hourly")
    before = job.next_fire
    job.run_now()
    assert job.next_fire == before
    assert wait_until(lambda: job.manual == 1 and job.running == 0)
    assert (job.fires, job.manual, len(seen)) == (0, 1, 1)
    assert job.runs[0].manual


def test_backfill_runs_every_instant_in_the_range_once_oldest_first(tmp_path: Path) -> None:
    clock = FakeClock(T0 + timedelta(days=1))
    store = SQLiteStore(tmp_path / "b.db")
    sched = Scheduler(tz="UTC", clock=clock, store=store, max_workers=1)
    rec = Recorder()
    job = sched.add("0 0 */6 * * *", rec, name="six")
    n = job.backfill(T0, T0 + timedelta(hours=12))
    assert n == 3
    assert wait_until(lambda: len(rec.instants) == 3 and job.running == 0)
    assert rec.utc == [T0 + timedelta(hours=h) for h in (0, 6, 12)]
    assert job.backfill(T0, T0 + timedelta(hours=12)) == 0  # claimed already: not again
    with pytest.raises(ValueError, match="before start"):
        job.backfill(T0 + timedelta(hours=1), T0)
    sched.stop()


def wait_until(predicate: object, timeout: float = 10.0) -> bool:
    from timer_helpers import wait_for

    return wait_for(predicate, timeout)  # type: ignore[arg-type]


def test_a_fixed_delay_job_resumed_after_its_first_run_rests_then_runs_again() -> None:
    clock, sched = make(T0)
    rec = Recorder(clock)
    job = sched.add(Interval(seconds=2, mode="delay"), rec, name="d")
    clock.set(sched.run_pending())  # type: ignore[arg-type]
    sched.run_pending()  # the first run, at 00:00:02
    job.pause()
    clock.advance(10)
    job.resume()  # from now: one delay of rest, then a run
    assert job.next_fire == T0 + timedelta(seconds=14)
    clock.set(job.next_fire)
    sched.run_pending()
    assert rec.utc == [T0 + timedelta(seconds=2), T0 + timedelta(seconds=14)]
