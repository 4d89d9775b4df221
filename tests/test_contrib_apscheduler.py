"""cronsec.contrib.apscheduler: CronsecTrigger inside APScheduler 3.

Three layers: DST examples written out from the rules (New York's 2026
transitions: 2026-03-08 02:00 EST -> 03:00 EDT, 2026-11-01 02:00 EDT -> 01:00 EST);
get_next_fire_time(previous, now) against CronExpr over generated expressions
and instants near real transitions; and APScheduler's own BackgroundScheduler
firing a job with the trigger.
"""

from __future__ import annotations

import pickle
import subprocess
import sys
import threading
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import tz_model as M
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent
from apscheduler.schedulers.background import BackgroundScheduler
from hypothesis import given, settings
from hypothesis import strategies as st

from cronsec import CronExpr
from cronsec.contrib.apscheduler import CronsecTrigger
from cronsec.strategies import expressions

UTC = timezone.utc
NY = ZoneInfo("America/New_York")
DST_ZONES = ["America/New_York", "Europe/London", "Australia/Lord_Howe", "Pacific/Chatham", "UTC"]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def same_instant(a: datetime | None, b: datetime | None) -> bool:
    """Equal as instants, and in the same zone with the same fold (what a reader sees)."""
    if a is None or b is None:
        return a is b
    return (
        a.astimezone(UTC) == b.astimezone(UTC)
        and a.tzinfo is b.tzinfo
        and a.utcoffset() == b.utcoffset()
        and a.replace(tzinfo=None) == b.replace(tzinfo=None)
    )


# -- DST, from the rules --------------------------------------------------------------


def test_time_skipped_by_the_spring_gap_fires_once_at_the_end_of_the_gap() -> None:
    trigger = CronsecTrigger("0 30 2 * * *", timezone="America/New_York")
    first = trigger.get_next_fire_time(None, utc(2026, 3, 7, 12))
    assert first is not None
    assert first.isoformat() == "2026-03-08T03:00:00-04:00"
    after = trigger.get_next_fire_time(first, utc(2026, 3, 7, 12))
    assert after is not None
    assert after.isoformat() == "2026-03-09T02:30:00-04:00"


def test_hourly_job_fires_in_both_copies_of_the_repeated_hour() -> None:
    trigger = CronsecTrigger("0 0 * * * *", timezone=NY)
    t = trigger.get_next_fire_time(None, utc(2026, 11, 1, 4, 30))  # 00:30 EDT
    seen = []
    for _ in range(4):
        assert t is not None
        seen.append((t.strftime("%H:%M %z"), t.fold))
        t = trigger.get_next_fire_time(t, t)
    assert seen == [("01:00 -0400", 0), ("01:00 -0500", 1), ("02:00 -0500", 0),
                    ("03:00 -0500", 0)]  # fmt: skip


def test_clock_time_in_the_repeated_hour_fires_only_at_its_first_occurrence() -> None:
    trigger = CronsecTrigger("0 30 1 * * *", timezone=NY)
    first = trigger.get_next_fire_time(None, utc(2026, 11, 1, 0))
    assert first is not None
    assert first.isoformat() == "2026-11-01T01:30:00-04:00"
    second = trigger.get_next_fire_time(first, first)
    assert second is not None
    assert second.isoformat() == "2026-11-02T01:30:00-05:00"


def test_without_previous_a_fire_at_now_counts_and_with_previous_only_later_ones() -> None:
    trigger = CronsecTrigger("*/10 * * * * *", timezone="UTC")
    now = utc(2026, 1, 1, 0, 0, 10)
    assert trigger.get_next_fire_time(None, now) == now
    assert trigger.get_next_fire_time(None, now + timedelta(microseconds=1)) == utc(
        2026, 1, 1, 0, 0, 20
    )
    # After a previous fire, the next one even when it is already past (a late scheduler).
    assert trigger.get_next_fire_time(now, now + timedelta(hours=1)) == utc(2026, 1, 1, 0, 0, 20)


def test_year_field_that_has_passed_gives_none() -> None:
    trigger = CronsecTrigger("0 0 0 1 1 * 2026", timezone="UTC")
    first = trigger.get_next_fire_time(None, utc(2025, 6, 1))
    assert first == utc(2026, 1, 1)
    assert trigger.get_next_fire_time(first, first) is None
    assert trigger.get_next_fire_time(None, utc(2026, 6, 1)) is None


def test_naive_now_is_refused_with_a_message() -> None:
    with pytest.raises(TypeError, match="aware"):
        CronsecTrigger("* * * * * *", timezone="UTC").get_next_fire_time(None, datetime(2026, 1, 1))


def test_zone_and_expression_forms() -> None:
    by_name = CronsecTrigger("0 0 9 * * mon-fri", timezone="Europe/Riga")
    assert by_name == CronsecTrigger(CronExpr("0 0 9 * * mon-fri", tz="Europe/Riga"))
    assert by_name == CronsecTrigger("0 0 9 * * 1-5", timezone=ZoneInfo("Europe/Riga"))
    assert by_name != CronsecTrigger("0 0 9 * * 1-5", timezone="Europe/Vilnius")
    assert repr(by_name) == "CronsecTrigger('0 0 9 * * mon-fri', timezone='Europe/Riga')"
    assert str(by_name) == "cronsec[0 0 9 * * mon-fri]"
    assert by_name.timezone == ZoneInfo("Europe/Riga")
    assert CronsecTrigger("@daily").timezone is not None  # the local zone, as CronTrigger


def test_pickles_with_its_zone_and_fires_the_same() -> None:
    trigger = CronsecTrigger("0 30 2 L * ? 2026-2030", timezone="America/New_York")
    copy = pickle.loads(pickle.dumps(trigger))
    assert copy == trigger and repr(copy) == repr(trigger)
    now = utc(2026, 2, 1)
    assert copy.get_next_fire_time(None, now) == trigger.get_next_fire_time(None, now)
    fixed = CronsecTrigger("0 0 12 * * *", timezone=timezone(timedelta(hours=5, minutes=30)))
    assert pickle.loads(pickle.dumps(fixed)) == fixed


def test_state_from_a_newer_cronsec_is_refused() -> None:
    trigger = CronsecTrigger("* * * * * *", timezone="UTC")
    state = trigger.__getstate__()
    state["version"] = 99
    copy = CronsecTrigger.__new__(CronsecTrigger)
    with pytest.raises(ValueError, match="upgrade cronsec"):
        copy.__setstate__(state)


# -- against CronExpr, over generated expressions --------------------------------------


@st.composite
def instants(draw: st.DrawFn, zone_name: str) -> datetime:
    """An aware instant near a real offset change of the zone, or anywhere in 2000-2100."""
    changes = [t for t in M.transitions(ZoneInfo(zone_name)) if 1990 <= t.year <= 2045]
    if changes and draw(st.booleans()):
        centre = draw(st.sampled_from(changes))
        t = centre + timedelta(seconds=draw(st.integers(-4 * 3600, 4 * 3600)))
    else:
        t = datetime(2000, 1, 1) + timedelta(seconds=draw(st.integers(0, 100 * 365 * 86400)))
    t = t.replace(microsecond=draw(st.sampled_from([0, 0, 1, 500_000])), tzinfo=UTC)
    # APScheduler hands triggers datetimes in the scheduler's zone or in UTC (job stores).
    return t if draw(st.booleans()) else t.astimezone(ZoneInfo(draw(st.sampled_from(DST_ZONES))))


@st.composite
def cases(draw: st.DrawFn) -> tuple[str, str, datetime]:
    zone_name = draw(st.sampled_from(DST_ZONES))
    text = draw(expressions(fields=(5, 6, 7), day_items=True))
    return text, zone_name, draw(instants(zone_name))


@settings(max_examples=150)
@given(cases())
def test_first_fire_is_the_earliest_fire_time_at_or_after_now(
    case: tuple[str, str, datetime],
) -> None:
    text, zone_name, now = case
    expr = CronExpr(text, tz=zone_name)
    try:
        expected = now.astimezone(expr.tz) if expr.match(now) else expr.next(now)
    except OverflowError:
        expected = None
    got = CronsecTrigger(text, timezone=zone_name).get_next_fire_time(None, now)
    assert same_instant(got, expected)


@settings(max_examples=150)
@given(cases(), st.integers(0, 3))
def test_after_a_fire_the_next_is_cronexpr_next(case: tuple[str, str, datetime], late: int) -> None:
    text, zone_name, t = case
    expr = CronExpr(text, tz=zone_name)
    try:
        previous = expr.prev(t)  # a real fire time, as APScheduler passes
    except OverflowError:
        previous = t.astimezone(expr.tz)
    # APScheduler stores run times as UTC timestamps: the trigger may get them back in UTC.
    previous_seen = previous.astimezone(UTC) if late % 2 else previous
    now = previous + timedelta(hours=late)
    try:
        expected: datetime | None = expr.next(previous)
    except OverflowError:
        expected = None
    got = CronsecTrigger(text, timezone=zone_name).get_next_fire_time(previous_seen, now)
    assert same_instant(got, expected)
    if got is not None:
        assert got.astimezone(UTC) > previous.astimezone(UTC)


# -- APScheduler's own scheduler ------------------------------------------------------


def noop() -> None:
    """The job (module level, so APScheduler can serialize a reference to it)."""


def test_background_scheduler_runs_a_job_every_second_on_the_second() -> None:
    scheduler = BackgroundScheduler(timezone="UTC")
    runs: list[datetime] = []
    errors: list[BaseException] = []
    twice = threading.Event()

    def listener(event: JobExecutionEvent) -> None:
        if event.exception is not None:
            errors.append(event.exception)
        runs.append(event.scheduled_run_time)
        if len(runs) >= 2:
            twice.set()

    # Through a pickle, as a persistent job store would hand it back.
    trigger = pickle.loads(pickle.dumps(CronsecTrigger("* * * * * *", timezone="UTC")))
    scheduler.add_listener(listener, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    job = scheduler.add_job(noop, trigger, id="tick", misfire_grace_time=30)
    scheduler.start()
    try:
        assert twice.wait(timeout=15), f"the job ran {len(runs)} times in 15 s"
        state = pickle.loads(pickle.dumps(job.__getstate__()))
        assert state["trigger"] == trigger
    finally:
        scheduler.shutdown(wait=True)
    assert not errors
    assert all(t.microsecond == 0 and t.tzinfo is not None for t in runs)
    assert runs == sorted(set(runs))  # each whole second once, in order


# -- imports ------------------------------------------------------------------------


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)


def test_importing_cronsec_imports_neither_apscheduler_nor_celery() -> None:
    done = run_python(
        "import sys, cronsec, cronsec.contrib\n"
        "tops = {m.split('.')[0] for m in sys.modules}\n"
        "print(sorted(tops & {'apscheduler', 'celery', 'kombu'}))\n"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_without_apscheduler_the_import_error_says_what_to_install() -> None:
    done = run_python(
        "import sys\n"
        "for m in ('apscheduler', 'apscheduler.triggers', 'apscheduler.triggers.base'):\n"
        "    sys.modules[m] = None\n"
        "import cronsec.contrib.apscheduler\n"
    )
    assert done.returncode != 0
    message = "cronsec.contrib.apscheduler needs APScheduler 3"
    assert f'ImportError: {message}: pip install "cronsec[apscheduler]"' in done.stderr
