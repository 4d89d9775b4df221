"""cronsec.contrib.celery: cronsec_schedule in Celery beat.

Unit examples inject "now" through the schedule's nowfun; the DST ones use New
York's 2026 transitions (2026-03-08 02:00 EST -> 03:00 EDT, i.e. 07:00 UTC;
2026-11-01 02:00 EDT -> 01:00 EST, i.e. 06:00 UTC). The last test runs a real
`celery beat` and `celery worker` on a real redis-server.
"""

from __future__ import annotations

import os
import pickle
import shelve
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from celery import Celery
from redis_server import redis_server, redis_url  # noqa: F401

from cronsec import CronExpr
from cronsec.contrib.celery import cronsec_schedule

UTC = timezone.utc
REPO = Path(__file__).resolve().parent.parent


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def at(now: datetime, expr: str, **kwargs: object) -> cronsec_schedule:
    """A schedule whose clock reads ``now``."""
    return cronsec_schedule(expr, nowfun=lambda: now, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def app() -> Iterator[Celery]:
    app = Celery("cronsec-tests", set_as_current=False)
    app.conf.timezone = "UTC"
    yield app
    app.close()


# -- is_due and remaining_estimate at chosen instants ---------------------------------


def test_every_second_is_due_on_each_whole_second(app: Celery) -> None:
    last = utc(2026, 1, 5, 10, 0, 0) + timedelta(milliseconds=3)  # beat ran the 10:00:00 fire
    assert at(last + timedelta(milliseconds=497), "* * * * * *", app=app).is_due(last) == (
        False,
        0.5,
    )
    assert at(utc(2026, 1, 5, 10, 0, 1), "* * * * * *", app=app).is_due(last) == (True, 1.0)
    late = utc(2026, 1, 5, 10, 0, 1) + timedelta(milliseconds=200)
    assert at(late, "* * * * * *", app=app).is_due(last) == (True, 0.8)


def test_remaining_estimate_is_the_time_to_the_next_fire_after_the_last_run(app: Celery) -> None:
    s = at(utc(2026, 1, 5, 9, 0), "*/5 0 10 * * mon", app=app)
    assert s.remaining_estimate(utc(2026, 1, 5, 8)) == timedelta(hours=1)
    assert s.remaining_estimate(utc(2026, 1, 5, 10, 0, 55)) == timedelta(days=7, hours=1)
    # Negative when the fire has passed: beat is behind.
    assert at(utc(2026, 1, 5, 10, 0, 7), "*/5 0 10 * * mon", app=app).remaining_estimate(
        utc(2026, 1, 5, 10)
    ) == timedelta(seconds=-2)


def test_time_in_the_spring_gap_is_due_once_at_the_end_of_the_gap() -> None:
    ny = "America/New_York"
    last = utc(2026, 3, 7, 12)
    before = at(utc(2026, 3, 8, 6, 59, 59), "0 30 2 * * *", tz=ny)  # 01:59:59 EST
    assert before.is_due(last) == (False, 1.0)
    gap_end = at(utc(2026, 3, 8, 7), "0 30 2 * * *", tz=ny)  # 03:00:00 EDT
    due, wait = gap_end.is_due(last)
    assert due
    assert wait == timedelta(hours=23, minutes=30).total_seconds()  # 2026-03-09 02:30 EDT


def test_hourly_schedule_is_due_in_both_copies_of_the_repeated_hour() -> None:
    ny = ZoneInfo("America/New_York")
    first_one = utc(2026, 11, 1, 5)  # 01:00 EDT
    s = at(utc(2026, 11, 1, 5, 30), "0 0 * * * *", tz=ny)
    assert s.remaining_estimate(first_one) == timedelta(minutes=30)  # 01:00 EST
    assert at(utc(2026, 11, 1, 6), "0 0 * * * *", tz=ny).is_due(first_one) == (True, 3600.0)


def test_clock_time_in_the_repeated_hour_is_due_once() -> None:
    ny = "America/New_York"
    ran = utc(2026, 11, 1, 5, 30)  # 01:30 EDT
    s = at(utc(2026, 11, 1, 6, 30), "0 30 1 * * *", tz=ny)  # 01:30 EST: not again
    due, wait = s.is_due(ran)
    assert not due
    assert wait == timedelta(hours=24).total_seconds()  # 2026-11-02 01:30 EST


def test_without_tz_the_app_timezone_is_used(app: Celery) -> None:
    app.conf.timezone = "Asia/Tokyo"
    s = at(utc(2026, 1, 5, 0), "0 0 9 * * *", app=app)  # 09:00 in Tokyo is 00:00 UTC
    assert s.tz == ZoneInfo("Asia/Tokyo")
    assert s.is_due(utc(2026, 1, 4, 12)) == (True, 86400.0)
    assert repr(s) == "<cronsec_schedule: 0 0 9 * * * (app timezone)>"


def test_naive_last_run_at_is_read_as_utc(app: Celery) -> None:
    s = at(utc(2026, 1, 5, 10), "0 0 * * * *", app=app)
    assert s.remaining_estimate(datetime(2026, 1, 5, 9, 30)) == timedelta(0)


def test_fires_missed_while_beat_was_down_are_due_once(app: Celery) -> None:
    s = at(utc(2026, 1, 12, 10, 0, 30), "0 0 10 * * *", app=app)
    assert s.is_due(utc(2026, 1, 1)) == (
        True,
        timedelta(hours=23, minutes=59, seconds=30).total_seconds(),
    )


def test_starting_deadline_drops_a_stale_missed_fire(app: Celery) -> None:
    app.conf.beat_cron_starting_deadline = 60
    recent = at(utc(2026, 1, 5, 10, 0, 30), "0 0 10 * * *", app=app)
    assert recent.is_due(utc(2026, 1, 1))[0]
    stale = at(utc(2026, 1, 5, 10, 5), "0 0 10 * * *", app=app)
    assert stale.is_due(utc(2026, 1, 1)) == (False, timedelta(hours=23, minutes=55).total_seconds())


def test_year_that_has_passed_is_never_due(app: Celery) -> None:
    s = at(utc(2027, 6, 1), "0 0 0 1 1 * 2026", app=app)
    due, wait = s.is_due(utc(2026, 1, 1))
    assert not due and wait > 365 * 86400 * 100
    assert s.remaining_estimate(utc(2026, 1, 1)) > timedelta(days=365 * 100)


def test_bad_expression_fails_when_the_schedule_is_made() -> None:
    with pytest.raises(ValueError, match="out of range"):
        cronsec_schedule("61 * * * * *")


# -- pickling and equality (beat keeps schedules in a shelve file) --------------------


def test_pickles_and_compares_by_meaning(tmp_path: Path) -> None:
    s = cronsec_schedule("0 30 2 L * ?", tz="America/New_York")
    assert pickle.loads(pickle.dumps(s)) == s
    assert s == cronsec_schedule(CronExpr("0 30 2 L * *", tz="America/New_York"))
    assert s != cronsec_schedule("0 30 2 L * ?", tz="Europe/Riga")
    assert s != cronsec_schedule("0 30 2 L * ?")  # app timezone is not a fixed zone
    assert len({s, pickle.loads(pickle.dumps(s))}) == 1
    with shelve.open(str(tmp_path / "beat")) as db:
        db["entry"] = {"schedule": s, "floating": cronsec_schedule("*/5 * * * * *")}
    with shelve.open(str(tmp_path / "beat")) as db:
        got = db["entry"]
    assert got == {"schedule": s, "floating": cronsec_schedule("*/5 * * * * *")}
    assert repr(got["schedule"]) == "<cronsec_schedule: 0 30 2 L * ? (America/New_York)>"


# -- a real beat and worker on a real Redis -------------------------------------------

APP_MODULE = '''
"""The Celery app the beat and the worker of test_contrib_celery import."""
import os
import time

import redis
from celery import Celery
from celery.signals import before_task_publish

from cronsec.contrib.celery import cronsec_schedule

BROKER = os.environ["CRONSEC_TEST_BROKER"]
app = Celery("cronsec_beat_app", broker=BROKER)
app.conf.update(
    timezone="Europe/Riga",
    beat_max_loop_interval=1,
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
    beat_schedule={"tick": {"task": "cronsec_beat_app.tick",
                            "schedule": cronsec_schedule("* * * * * *")}},
)


def _push(key):
    client = redis.Redis.from_url(BROKER)
    client.rpush(key, repr(time.time()))
    client.close()


@before_task_publish.connect
def _sent(sender=None, **kwargs):  # runs in the beat process, as it sends
    _push("cronsec-test:sent")


@app.task
def tick():
    _push("cronsec-test:ran")
'''


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_beat_and_worker_run_an_every_second_task_on_whole_seconds(
    tmp_path: Path,
    redis_url: str,  # noqa: F811
) -> None:
    import redis

    (tmp_path / "cronsec_beat_app.py").write_text(textwrap.dedent(APP_MODULE))
    env = dict(os.environ, CRONSEC_TEST_BROKER=redis_url,
               PYTHONPATH=os.pathsep.join([str(tmp_path), str(REPO)]))  # fmt: skip
    celery = [sys.executable, "-m", "celery", "-A", "cronsec_beat_app"]
    schedule_file = tmp_path / "beat-schedule"
    logs = {name: (tmp_path / f"{name}.log").open("wb") for name in ("worker", "beat")}
    worker = subprocess.Popen(
        [*celery, "worker", "--pool=solo", "--without-gossip", "--without-mingle",
         "--without-heartbeat", "--loglevel=INFO"],
        cwd=tmp_path, env=env, stdout=logs["worker"], stderr=subprocess.STDOUT,
    )  # fmt: skip
    beat = subprocess.Popen(
        [*celery, "beat", "--schedule", str(schedule_file), "--loglevel=INFO"],
        cwd=tmp_path, env=env, stdout=logs["beat"], stderr=subprocess.STDOUT,
    )  # fmt: skip
    client = redis.Redis.from_url(redis_url)
    try:
        deadline = time.monotonic() + 20
        while client.llen("cronsec-test:ran") < 2 and time.monotonic() < deadline:
            assert worker.poll() is None and beat.poll() is None, "celery exited early"
            time.sleep(0.1)
        ran = [float(x) for x in client.lrange("cronsec-test:ran", 0, -1)]
        sent = [float(x) for x in client.lrange("cronsec-test:sent", 0, -1)]
    finally:
        stop(beat)
        stop(worker)
        client.close()
        for log in logs.values():
            log.close()
    report = {name: (tmp_path / f"{name}.log").read_text(errors="replace")[-3000:] for name in logs}
    assert len(ran) >= 2, f"the task ran {len(ran)} times in 20 s; logs: {report}"
    # Beat sent each fire on its whole second (a moment after it, never before), once.
    seconds = [int(t) for t in sent]
    assert len(set(seconds)) == len(seconds), sent
    assert all(t - int(t) < 0.5 for t in sent), sent
    # Beat kept the schedule in its shelve file, pickled, and reads it back equal.
    with shelve.open(str(schedule_file)) as db:
        entry = db["entries"]["tick"]
    assert entry.schedule == cronsec_schedule("* * * * * *")
    assert entry.total_run_count >= 2
