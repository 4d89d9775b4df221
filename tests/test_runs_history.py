"""Run history: in memory, and through the store for every process that shares it."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import ClassVar

from timer_helpers import Recorder, utc

from cronsec import FakeClock, Scheduler
from cronsec.stores import SQLiteStore

T0 = utc(2026, 5, 1)


def test_each_process_shows_the_runs_of_all_that_share_the_store(tmp_path: Path) -> None:
    clock = FakeClock(T0)
    a = Scheduler(tz="UTC", clock=clock, store=SQLiteStore(tmp_path / "h.db"))
    b = Scheduler(tz="UTC", clock=clock, store=SQLiteStore(tmp_path / "h.db"))
    ja = a.add("* * * * * *", Recorder(), name="j")
    jb = b.add("* * * * * *", Recorder(), name="j")
    for k in range(4):
        clock.advance(1)
        first, second = (a, b) if k % 2 == 0 else (b, a)
        first.run_pending()
        second.run_pending()
    assert ja.fires == jb.fires == 2  # they took turns
    expected = [T0 + timedelta(seconds=s) for s in (4, 3, 2, 1)]
    assert [r.instant for r in ja.runs] == expected  # newest first, both processes' runs
    assert [r.instant for r in jb.runs] == expected
    assert all(r.outcome == "ok" for r in ja.runs)
    assert [r.instant for r in ja.runlog.list()] == [expected[1], expected[3]]  # its own


def test_without_a_store_the_runs_are_this_processs() -> None:
    clock = FakeClock(T0)
    sched = Scheduler(tz="UTC", clock=clock)

    def fails() -> None:
        raise RuntimeError("no")

    job = sched.add("* * * * * *", fails, name="f")
    clock.advance(1)
    sched.run_pending()
    (run,) = job.runs
    assert (run.instant, run.outcome) == (T0 + timedelta(seconds=1), "error")
    assert run.error is not None and "RuntimeError: no" in run.error
    assert run.ended is not None and run.started <= run.ended


def test_a_pause_is_shared_through_the_store_and_survives_a_restart(tmp_path: Path) -> None:
    clock = FakeClock(T0)
    db = tmp_path / "p.db"
    a = Scheduler(tz="UTC", clock=clock, store=SQLiteStore(db))
    b = Scheduler(tz="UTC", clock=clock, store=SQLiteStore(db))
    ja = a.add("* * * * * *", Recorder(), name="j")
    jb = b.add("* * * * * *", Recorder(), name="j")
    ja.pause()
    clock.advance(1)
    b.run_pending()  # b reads the shared state at its step
    assert jb.paused and jb.fires == 0
    c = Scheduler(tz="UTC", clock=clock, store=SQLiteStore(db))
    jc = c.add("* * * * * *", Recorder(), name="j")  # a restart: paused from the start
    assert jc.paused and jc.next_fire is None
    jc.resume()
    clock.advance(1)
    a.run_pending()  # each reads the resume at its step: from the next instant on
    b.run_pending()
    assert not ja.paused and not jb.paused
    clock.advance(1)
    a.run_pending()
    b.run_pending()
    assert ja.fires + jb.fires == 1  # the instant after the resume, once


class Abandoning(SQLiteStore):
    """A store that reports one claim as abandoned (its process died), once."""

    gone: ClassVar[list[tuple[str, datetime]]] = []

    def abandoned(self, jobs: object, now: object = None) -> list[tuple[str, datetime]]:
        gone, type(self).gone = type(self).gone, []
        return gone

    def take_over(self, job: str, instant: datetime) -> bool:
        return True


def test_an_abandoned_instant_is_rerun_once_and_the_job_goes_on(tmp_path: Path) -> None:
    clock = FakeClock(T0)
    store = Abandoning(tmp_path / "a.db")
    sched = Scheduler(tz="UTC", clock=clock, store=store)
    rec = Recorder()
    job = sched.add("* * * * * *", rec, name="j")
    Abandoning.gone = [("j", T0 - timedelta(seconds=5))]  # a dead process's claim
    for _ in range(3):
        clock.advance(1)
        sched.run_pending()
    assert rec.utc.count(T0 - timedelta(seconds=5)) == 1  # re-run here, once
    assert job.abandoned == 1
    # The re-run is no instant of its own; it took the one run place (max_instances 1)
    # at 00:00:01, so that instant was skipped; the job's instants go on after it.
    assert [t for t in rec.utc if t > T0] == [T0 + timedelta(seconds=s) for s in (2, 3)]
    assert (job.fires, job.skips, job.stats.queued) == (2, 1, 0)
