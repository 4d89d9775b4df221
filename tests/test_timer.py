"""The timer on a FakeClock: simulated days, DST, clock steps, policies, errors.

Every test here is instant and deterministic: time only moves when the test
moves the fake clock, and ``run_pending()`` waits for the callables it started.
"""

from __future__ import annotations

import logging
import random
import threading
from datetime import datetime, timedelta

import pytest
from timer_helpers import UTC, Recorder, make, run_until, utc, wait_for

from cronsec import CronExpr, FakeClock, Job, Scheduler

# -- simulated time, no drift ---------------------------------------------------


def test_a_simulated_day_of_minutes_fires_every_minute_exactly_once() -> None:
    clock, sched = make(utc(2026, 5, 1))
    rec = Recorder()
    job = sched.add("0 * * * * *", rec, name="minutely")
    run_until(sched, clock, utc(2026, 5, 2))
    expected = [utc(2026, 5, 1) + timedelta(minutes=m) for m in range(1, 24 * 60 + 1)]
    assert rec.utc == expected
    assert (job.fires, job.misses, job.skips, job.errors) == (1440, 0, 0, 0)
    assert job.lateness.max == 0.0


def test_an_hour_of_seconds_fires_each_second_once_in_order() -> None:
    clock, sched = make(utc(2026, 5, 1, 12))
    rec = Recorder()
    sched.add("* * * * * *", rec, name="tick")
    run_until(sched, clock, utc(2026, 5, 1, 13))
    assert rec.utc == [utc(2026, 5, 1, 12) + timedelta(seconds=s) for s in range(1, 3601)]


def test_late_wakes_do_not_drift_the_schedule() -> None:
    # Every wake comes 0.4 s late; the next instant is still computed from the
    # previous *scheduled* one, so the instants stay on whole 5-second marks.
    clock, sched = make(utc(2026, 5, 1))
    rec = Recorder(clock)
    job = sched.add("*/5 * * * * *", rec, name="five")
    run_until(sched, clock, utc(2026, 5, 1, 1, 0, 1), late=0.4)
    assert rec.utc == [utc(2026, 5, 1) + timedelta(seconds=5 * k) for k in range(1, 721)]
    assert all(s - i == timedelta(seconds=0.4) for s, i in zip(rec.started, rec.utc))
    lateness = job.lateness
    assert lateness.n == 720
    for figure in (lateness.last, lateness.mean, lateness.max, lateness.p99):
        assert figure == pytest.approx(0.4)


def test_next_fire_is_the_next_scheduled_instant_in_the_expression_zone() -> None:
    _clock, sched = make(utc(2026, 1, 15, 12), tz="Europe/Riga")
    job = sched.add("0 0 9 * * *", Recorder(), name="nine")
    assert job.next_fire is not None
    assert job.next_fire.astimezone(UTC) == utc(2026, 1, 16, 7)  # 09:00 EET = 07:00 UTC
    assert job.next_fire.utcoffset() == timedelta(hours=2)


def test_a_job_whose_expression_ends_stops_with_next_fire_none() -> None:
    clock, sched = make(utc(2025, 12, 31))
    rec = Recorder()
    job = sched.add("0 0 0 1 1 * 2026", rec, name="once")
    assert sched.run_pending() == utc(2026, 1, 1)
    run_until(sched, clock, utc(2027, 6, 1))
    assert rec.utc == [utc(2026, 1, 1)]
    assert job.next_fire is None
    assert sched.run_pending() is None


# -- DST: America/New_York ------------------------------------------------------
# 2026-03-08: at 02:00 EST (07:00 UTC) clocks jump to 03:00 EDT; 02:xx does not exist.
# 2026-11-01: at 02:00 EDT (06:00 UTC) clocks go back to 01:00 EST; 01:xx happens twice.

_NY_HOURLY = CronExpr("0 0 * * * *", tz="America/New_York")


def _ny_fires(expr: str, start: datetime, end: datetime) -> list[datetime]:
    clock, sched = make(start, tz="America/New_York")
    rec = Recorder()
    sched.add(expr, rec, name="ny")
    run_until(sched, clock, end)
    return rec.utc


def test_spring_forward_a_daily_0230_runs_once_at_0300_edt() -> None:
    fires = _ny_fires("0 30 2 * * *", utc(2026, 3, 7), utc(2026, 3, 10))
    assert fires == [
        utc(2026, 3, 7, 7, 30),  # 02:30 EST
        utc(2026, 3, 8, 7, 0),  # 02:30 does not exist: 03:00 EDT, the first instant after the gap
        utc(2026, 3, 9, 6, 30),  # 02:30 EDT
    ]


def test_spring_forward_hourly_keeps_its_rhythm_and_has_no_0200() -> None:
    fires = _ny_fires("0 0 * * * *", utc(2026, 3, 8, 4, 30), utc(2026, 3, 8, 9, 30))
    # 00:00 EST, 01:00 EST, (no 02:00), 03:00 EDT, 04:00 EDT, 05:00 EDT
    assert fires == [utc(2026, 3, 8, h) for h in (5, 6, 7, 8, 9)]


def test_fall_back_a_daily_0130_runs_once() -> None:
    fires = _ny_fires("0 30 1 * * *", utc(2026, 10, 31), utc(2026, 11, 3))
    assert fires == [
        utc(2026, 10, 31, 5, 30),  # 01:30 EDT
        utc(2026, 11, 1, 5, 30),  # 01:30 EDT only, not again at 01:30 EST
        utc(2026, 11, 2, 6, 30),  # 01:30 EST
    ]


def test_fall_back_hourly_fires_at_both_0100s() -> None:
    fires = _ny_fires("0 0 * * * *", utc(2026, 11, 1, 3, 30), utc(2026, 11, 1, 8, 30))
    # 00:00 EDT, 01:00 EDT, 01:00 EST, 02:00 EST, 03:00 EST
    assert fires == [utc(2026, 11, 1, h) for h in (4, 5, 6, 7, 8)]


def test_fall_back_every_15_minutes_in_hour_one_runs_through_both() -> None:
    fires = _ny_fires("0 */15 1 * * *", utc(2026, 11, 1, 4), utc(2026, 11, 1, 8))
    # Not hour-full: 01:00-01:45 EDT only (05:00-05:45 UTC)
    assert fires == [utc(2026, 11, 1, 5, m) for m in (0, 15, 30, 45)]


# -- clock steps ---------------------------------------------------------------


def test_step_forward_coalesces_the_missed_fires_into_one_run() -> None:
    clock, sched = make(utc(2026, 5, 1, 0, 0, 30))
    rec = Recorder()
    job = sched.add("0 * * * * *", rec, name="m")
    clock.advance(3600)  # to 01:00:30: 60 instants 00:01 .. 01:00 are due at once
    sched.run_pending()
    assert rec.utc == [utc(2026, 5, 1, 1)]  # the latest, 30 s late, within the 60 s grace
    assert (job.fires, job.misses, job.skips) == (1, 59, 0)


def test_step_forward_without_coalesce_runs_those_still_within_grace() -> None:
    clock, sched = make(utc(2026, 5, 1, 0, 0, 0), coalesce=False, max_instances=10)
    rec = Recorder()
    job = sched.add("*/10 * * * * *", rec, name="ten")
    clock.set(utc(2026, 5, 1, 1, 0, 30))
    sched.run_pending()
    # 00:00:10 .. 01:00:30 is 363 instants; within 60 s of 01:00:30: 00:59:30 .. 01:00:30
    assert sorted(rec.utc) == [
        utc(2026, 5, 1, 0, 59, 30) + timedelta(seconds=10 * k) for k in range(7)
    ]
    assert (job.fires, job.misses, job.skips) == (7, 356, 0)


def test_step_forward_without_coalesce_and_one_instance_skips_the_overlap() -> None:
    clock, sched = make(utc(2026, 5, 1), coalesce=False)
    rec = Recorder()
    job = sched.add("* * * * * *", rec, name="s")
    clock.set(utc(2026, 5, 1, 0, 0, 5))  # 5 instants due, all within grace
    sched.run_pending()
    assert rec.utc == [utc(2026, 5, 1, 0, 0, 1)]  # the rest find it still running
    assert (job.fires, job.misses, job.skips) == (1, 0, 4)


def test_step_back_never_fires_an_instant_twice() -> None:
    clock, sched = make(utc(2026, 5, 1, 10))
    rec = Recorder()
    job = sched.add("* * * * * *", rec, name="s")
    run_until(sched, clock, utc(2026, 5, 1, 10, 0, 5))
    clock.set(utc(2026, 5, 1, 9, 59, 50))  # NTP steps the clock back 15 s
    run_until(sched, clock, utc(2026, 5, 1, 10, 0, 8))
    assert rec.utc == [utc(2026, 5, 1, 10, 0, s) for s in range(1, 9)]
    assert (job.fires, job.misses, job.skips) == (8, 0, 0)


def test_resume_after_a_step_back_does_not_repeat_handled_instants() -> None:
    clock, sched = make(utc(2026, 5, 1, 10))
    rec = Recorder()
    job = sched.add("* * * * * *", rec, name="s")
    run_until(sched, clock, utc(2026, 5, 1, 10, 0, 3))
    job.pause()
    clock.set(utc(2026, 5, 1, 9))
    job.resume()
    assert job.next_fire is not None
    assert job.next_fire.astimezone(UTC) == utc(2026, 5, 1, 10, 0, 4)


def test_a_huge_step_forward_is_bounded_work() -> None:
    clock, sched = make(utc(2026, 5, 1))
    rec = Recorder()
    job = sched.add("* * * * * *", rec, name="s")
    clock.advance(timedelta(days=30))  # 2.6 million instants
    sched.run_pending()
    assert rec.utc == [utc(2026, 5, 31)]
    assert job.misses >= 10_000
    assert job.next_fire is not None
    assert job.next_fire.astimezone(UTC) == utc(2026, 5, 31, 0, 0, 1)


# -- policies ----------------------------------------------------------------


def test_misfire_grace_counts_a_too_late_fire_as_missed_and_logs_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock, sched = make(utc(2026, 5, 1), misfire_grace=1.0)
    rec = Recorder()
    job = sched.add("0 * * * * *", rec, name="grace")
    clock.set(
        utc(
            2026,
            5,
            1,
            0,
            1,
            0,
        )
        + timedelta(seconds=1.5)
    )
    with caplog.at_level(logging.WARNING, logger="cronsec"):
        sched.run_pending()
    assert rec.instants == [] and job.misses == 1
    assert "'grace'" in caplog.text and "missed" in caplog.text
    clock.set(utc(2026, 5, 1, 0, 2, 0) + timedelta(seconds=0.5))
    sched.run_pending()
    assert rec.utc == [utc(2026, 5, 1, 0, 2)] and job.fires == 1


def test_misfire_grace_none_runs_however_late() -> None:
    clock, sched = make(utc(2026, 5, 1), misfire_grace=None)
    rec = Recorder()
    job = sched.add("0 0 3 * * *", rec, name="daily")
    clock.set(utc(2026, 5, 3, 9))  # suspended over two 03:00s
    sched.run_pending()
    assert rec.utc == [utc(2026, 5, 3, 3)] and (job.fires, job.misses) == (1, 2)


def test_policy_defaults_are_documented_values() -> None:
    sched = Scheduler(clock=FakeClock())
    job = sched.add("* * * * * *", Recorder(), name="d")
    assert (job.misfire_grace, job.coalesce, job.max_instances, job.jitter) == (60.0, True, 1, 0.0)


@pytest.mark.parametrize("bad", [{"max_instances": 0}, {"misfire_grace": -1}, {"jitter": -0.5}])
def test_bad_policies_are_value_errors(bad: dict[str, float]) -> None:
    sched = Scheduler(clock=FakeClock())
    with pytest.raises(ValueError):
        sched.add("* * * * * *", Recorder(), name="bad", **bad)  # type: ignore[arg-type]


def _blocking_job(
    sched: Scheduler, expr: str, **options: object
) -> tuple[Job, list[threading.Event], threading.Event]:
    """A job whose runs signal their start and then wait for ``release``."""
    started: list[threading.Event] = [threading.Event() for _ in range(10)]
    release = threading.Event()
    count = [0]
    lock = threading.Lock()

    def slow() -> None:
        with lock:
            started[count[0]].set()
            count[0] += 1
        assert release.wait(10)

    return sched.add(expr, slow, name="slow", **options), started, release  # type: ignore[arg-type]


def test_max_instances_one_skips_a_fire_that_finds_the_last_run_going() -> None:
    clock, sched = make(utc(2026, 5, 1))
    job, started, release = _blocking_job(sched, "* * * * * *")
    clock.advance(1)
    sched.run_pending(wait=False)
    assert started[0].wait(5)
    clock.advance(1)
    sched.run_pending(wait=False)  # 00:00:02 finds 00:00:01 still running
    assert (job.fires, job.skips, job.running) == (1, 1, 1)
    release.set()
    assert wait_for(lambda: job.running == 0)
    clock.advance(1)
    sched.run_pending()
    assert (job.fires, job.skips, job.misses) == (2, 1, 0)


def test_max_instances_two_allows_two_overlapping_runs() -> None:
    clock, sched = make(utc(2026, 5, 1))
    job, started, release = _blocking_job(sched, "* * * * * *", max_instances=2)
    for k in range(3):
        clock.advance(1)
        sched.run_pending(wait=False)
        if k < 2:
            assert started[k].wait(5)
    assert (job.fires, job.skips, job.running) == (2, 1, 2)
    release.set()
    assert wait_for(lambda: job.running == 0)


def test_a_slow_job_does_not_delay_another_job() -> None:
    clock, sched = make(utc(2026, 5, 1))
    _, started, release = _blocking_job(sched, "* * * * * *")
    rec = Recorder(clock)
    fast = sched.add("* * * * * *", rec, name="fast")
    for k in range(5):
        clock.advance(1)
        sched.run_pending(wait=False)
        assert wait_for(lambda k=k: fast.fires == k + 1 and fast.running == 0)
    assert started[0].is_set() and not started[1].is_set()  # slow: one run, still going
    assert fast.fires == 5 and fast.lateness.max == 0.0
    release.set()


def test_jitter_delays_each_fire_within_bounds_without_moving_the_schedule() -> None:
    clock, sched = make(utc(2026, 5, 1), rng=random.Random(7))
    rec = Recorder(clock)
    job = sched.add("*/10 * * * * *", rec, name="j", jitter=4.0)
    run_until(sched, clock, utc(2026, 5, 1, 1, 0, 5))
    assert rec.utc == [utc(2026, 5, 1) + timedelta(seconds=10 * k) for k in range(1, 361)]
    delays = [(s - i).total_seconds() for s, i in zip(rec.started, rec.utc)]
    assert all(0 <= d <= 4.0 for d in delays)
    assert len(set(delays)) > 300  # really random
    # Lateness counts from the scheduled instant (API.md), so it includes the jitter.
    assert job.lateness.max == pytest.approx(max(delays))


# -- errors -------------------------------------------------------------------


def test_an_exception_is_logged_with_name_and_traceback_counted_and_survived(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock, sched = make(utc(2026, 5, 1))
    calls = []

    def boom() -> None:
        calls.append(1)
        raise RuntimeError("kaboom")

    job = sched.add("* * * * * *", boom, name="boom")
    with caplog.at_level(logging.ERROR, logger="cronsec"):
        run_until(sched, clock, utc(2026, 5, 1, 0, 0, 3))
    assert (job.fires, job.errors, len(calls)) == (3, 3, 3)
    records = [r for r in caplog.records if r.name == "cronsec" and r.levelno == logging.ERROR]
    assert len(records) == 3
    assert "'boom'" in records[0].getMessage() and records[0].exc_info is not None
    assert "kaboom" in caplog.text and "Traceback" in caplog.text


# -- jobs: names, pause, resume, remove ------------------------------------------


def _named() -> None:
    pass


def test_default_name_is_module_and_qualname() -> None:
    sched = Scheduler(clock=FakeClock())
    job = sched.add("* * * * * *", _named)
    assert job.name == f"{__name__}._named"
    assert sched.get(job.name) is job


def test_two_jobs_with_one_name_are_an_error() -> None:
    sched = Scheduler(clock=FakeClock())
    sched.add("* * * * * *", _named)
    with pytest.raises(ValueError, match="already"):
        sched.add("0 * * * * *", _named)
    with pytest.raises(ValueError):
        sched.add("* * * * * *", lambda: None, name=f"{__name__}._named")
    sched.add("* * * * * *", _named, name="other")  # an explicit name tells them apart


def test_the_decorator_returns_the_function_unchanged() -> None:
    sched = Scheduler(clock=FakeClock())

    def beat() -> int:
        return 42

    assert sched.every("* * * * * *", name="beat")(beat) is beat
    assert [j.name for j in sched.jobs] == ["beat"]


def test_pause_resume_remove() -> None:
    clock, sched = make(utc(2026, 5, 1))
    rec = Recorder()
    job = sched.add("* * * * * *", rec, name="p")
    run_until(sched, clock, utc(2026, 5, 1, 0, 0, 2))
    job.pause()
    assert job.paused and job.next_fire is None
    run_until(sched, clock, utc(2026, 5, 1, 0, 0, 6))
    job.resume()  # instants passed while paused are not fired, nor counted
    run_until(sched, clock, utc(2026, 5, 1, 0, 0, 8))
    assert rec.utc == [utc(2026, 5, 1, 0, 0, s) for s in (1, 2, 7, 8)]
    assert (job.fires, job.misses, job.skips) == (4, 0, 0)
    job.remove()
    assert job.removed and sched.jobs == [] and job.next_fire is None
    run_until(sched, clock, utc(2026, 5, 1, 0, 0, 12))
    assert len(rec.instants) == 4
    with pytest.raises(KeyError):
        job.remove()
    sched.add("* * * * * *", rec, name="p")  # the name is free again


def test_expressions_bind_to_job_then_scheduler_zone() -> None:
    sched = Scheduler(tz="Asia/Tokyo", clock=FakeClock())
    assert sched.add("0 0 9 * * *", _named, name="a").expr.tz == sched.tz
    riga = CronExpr("0 0 9 * * *", tz="Europe/Riga")
    assert sched.add(riga, _named, name="b").expr is riga
    assert str(sched.add(riga, _named, name="c", tz="UTC").expr.tz) == "UTC"
    with pytest.raises(TypeError):
        sched.add(5, _named, name="d")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        sched.add("* * * * * *", "not callable", name="e")  # type: ignore[arg-type]


def test_args_and_kwargs_are_passed() -> None:
    clock, sched = make(utc(2026, 5, 1))
    got: list[tuple[object, ...]] = []
    sched.add(
        "* * * * * *", lambda a, b=0: got.append((a, b)), args=(1,), kwargs={"b": 2}, name="ab"
    )
    run_until(sched, clock, utc(2026, 5, 1, 0, 0, 1))
    assert got == [(1, 2)]


# -- the fake clock ------------------------------------------------------------


def test_fake_clock_moves_only_when_told_both_ways() -> None:
    clock = FakeClock("2026-05-01T12:00:00+02:00")
    assert clock.now() == utc(2026, 5, 1, 10)
    assert clock.advance(90) == utc(2026, 5, 1, 10, 1, 30)
    assert clock.advance(timedelta(hours=-2)) == utc(2026, 5, 1, 8, 1, 30)
    assert clock.set(utc(2030, 1, 1)) == clock.now() == utc(2030, 1, 1)
    with pytest.raises(TypeError):
        FakeClock(datetime(2026, 1, 1))
    with pytest.raises(TypeError):
        clock.set(datetime(2026, 1, 1))


def test_fake_clock_wait_returns_at_once_when_the_deadline_has_passed() -> None:
    clock = FakeClock(utc(2026, 1, 1))
    cond = threading.Condition()
    with cond:
        clock.wait(cond, utc(2025, 12, 31))
        clock.wait(cond, utc(2026, 1, 1))


def test_fake_clock_wait_ends_when_the_clock_reaches_the_deadline() -> None:
    clock = FakeClock(utc(2026, 1, 1))
    cond = threading.Condition()
    done = threading.Event()

    def waiter() -> None:
        with cond:
            while clock.now() < utc(2026, 1, 1, 0, 0, 10):
                clock.wait(cond, utc(2026, 1, 1, 0, 0, 10))
        done.set()

    thread = threading.Thread(target=waiter)
    thread.start()
    clock.advance(5)
    assert not done.wait(0.01)
    clock.advance(5)
    assert done.wait(5)
    thread.join()


def test_lateness_statistics_last_mean_max_p99() -> None:
    clock, sched = make(utc(2026, 5, 1))
    job = sched.add("* * * * * *", Recorder(), name="stats")
    assert job.lateness == (0, 0.0, 0.0, 0.0, 0.0)
    late = {50, 120, 199}  # three of 200 wakes come 0.5 s late (before the next instant)
    for k in range(1, 201):
        clock.set(utc(2026, 5, 1) + timedelta(seconds=k + (0.5 if k in late else 0)))
        sched.run_pending()
    stats = job.lateness
    assert (stats.n, job.fires, job.misses) == (200, 200, 0)
    assert stats.last == 0.0
    assert stats.max == 0.5 and stats.p99 == 0.5  # the 198th of 200 sorted values
    assert stats.mean == pytest.approx(1.5 / 200)


def test_added_paused_fires_only_after_resume_and_fire_time_is_none_outside() -> None:
    from cronsec import fire_time

    clock, sched = make(utc(2026, 5, 1))
    rec = Recorder()
    job = sched.add("* * * * * *", rec, name="later", paused=True)
    assert job.next_fire is None
    run_until(sched, clock, utc(2026, 5, 1, 0, 0, 5))
    job.resume()
    run_until(sched, clock, utc(2026, 5, 1, 0, 0, 7))
    assert rec.utc == [utc(2026, 5, 1, 0, 0, 6), utc(2026, 5, 1, 0, 0, 7)]
    assert fire_time() is None


def test_an_engine_error_stops_that_job_only(caplog: pytest.LogCaptureFixture) -> None:
    class Broken:
        text = "broken"

        def next(self, t: datetime) -> datetime:
            raise RuntimeError("engine bug")

    clock, sched = make(utc(2026, 5, 1))
    bad = sched.add("* * * * * *", Recorder(), name="bad")
    good = sched.add("* * * * * *", Recorder(), name="good")
    bad.schedule.expr = Broken()  # type: ignore[attr-defined]
    with caplog.at_level(logging.ERROR, logger="cronsec"):
        run_until(sched, clock, utc(2026, 5, 1, 0, 0, 5))
    assert "'bad'" in caplog.text and "engine bug" in caplog.text
    assert bad.fires == 1 and bad.next_fire is None  # its first instant was known already
    assert good.fires == 5
