"""One behavioural suite, every executor: threads, worker processes, asyncio.

Counters, retries, timeouts, the overlap skip, stop semantics and a shared
store, the same assertions for each (what differs by design, a timeout on a
thread that cannot be stopped, is said per executor). Time moves with a fake
clock; a run that must still be going is held until the test writes a
release file.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import exec_jobs
import pytest
from timer_helpers import utc, wait_for

from cronsec import AsyncScheduler, FakeClock, Scheduler
from cronsec.stores import SQLiteStore

T0 = utc(2026, 5, 1)


class Harness:
    """A scheduler of one kind on a fake clock, driven step by step."""

    def __init__(self, kind: str, tmp: Path, **options: Any) -> None:
        self.kind = kind
        self.clock = FakeClock(T0)
        self.out = str(tmp / "out.txt")
        self.release = str(tmp / "release")
        self.loop: asyncio.AbstractEventLoop | None = None
        if kind == "async":
            # The loop runs in a thread of its own, as an application's would, so
            # that runs go on between the test's steps.
            self.loop = asyncio.new_event_loop()
            threading.Thread(target=self.loop.run_forever, daemon=True).start()
            self.sched: Any = AsyncScheduler(tz="UTC", clock=self.clock, **options)
        else:
            executors = {"default": "processes"} if kind == "processes" else None
            if kind == "processes":
                from cronsec._processes import ProcessExecutor

                executors = {"default": ProcessExecutor(2)}  # type: ignore[dict-item]
            self.sched = Scheduler(
                tz="UTC", clock=self.clock, max_workers=2, executors=executors, **options
            )

    def job(self, name: str) -> Any:
        return getattr(exec_jobs, ("a" + name) if self.kind == "async" else name)

    def add(self, func: str, *args: Any, expr: str = "* * * * * *", **options: Any) -> Any:
        return self.sched.add(expr, self.job(func), (self.out, *args), name=func, **options)

    def step(self, seconds: float = 1.0, wait: bool = True) -> None:
        self.clock.advance(seconds)
        self._do(self.sched.run_pending(wait=wait))

    def stop(self, wait: bool = True) -> None:
        self._do(self.sched.stop(wait=wait))

    def lines(self) -> list[list[str]]:
        return exec_jobs.lines(self.out)

    def let_go(self) -> None:
        Path(self.release).touch()

    def _do(self, result: Any) -> Any:
        if self.loop is not None:
            return asyncio.run_coroutine_threadsafe(result, self.loop).result(30)
        return result

    def close(self) -> None:
        self.let_go()
        try:
            self.stop()
        finally:
            if self.loop is not None:
                self.loop.call_soon_threadsafe(self.loop.stop)


@pytest.fixture(params=["threads", "processes", "async"])
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    h = Harness(request.param, tmp_path)
    yield h
    h.close()


def test_every_instant_runs_once_and_is_counted(harness: Harness) -> None:
    job = harness.add("note")
    for _ in range(4):
        harness.step()
    ran = [line[1] for line in harness.lines()]
    assert ran == [(T0 + timedelta(seconds=s)).isoformat() for s in range(1, 5)]
    assert (job.fires, job.misses, job.skips, job.errors, job.running) == (4, 0, 0, 0, 0)
    assert [r.outcome for r in job.runs] == ["ok"] * 4


def test_a_failing_job_is_retried_and_counted(harness: Harness) -> None:
    job = harness.add("fail", expr="0 * * * * *", retry=(2,))
    harness.step(60)
    harness.step(2)
    assert [line[0] for line in harness.lines()] == ["failed", "failed"]
    assert (job.fires, job.retries, job.errors) == (1, 1, 2)
    assert "ValueError: this job fails" in (job.runs[-1].error or "")


def test_a_run_past_its_timeout_is_counted(harness: Harness) -> None:
    job = harness.add("sleep", 0.3, timeout=0.05)
    harness.step()
    assert wait_for(lambda: job.timeouts == 1 and job.running == 0)
    outcome = job.runs[0].outcome
    # A thread cannot be stopped: reported at its timeout, it ends on its own ("ok").
    assert outcome == ("ok" if harness.kind == "threads" else "timeout")


def test_an_instant_that_finds_its_run_going_is_skipped(harness: Harness) -> None:
    job = harness.add("hold", harness.release)
    harness.step(wait=False)
    assert wait_for(lambda: job.running == 1)
    harness.step(wait=False)
    assert (job.fires, job.skips) == (1, 1)
    harness.let_go()
    assert wait_for(lambda: job.running == 0)


def test_no_fire_starts_after_stop_and_waiting_ones_are_missed(harness: Harness) -> None:
    holders = [harness.sched.add("* * * * * *", harness.job("hold"), (harness.out, harness.release),
                                 name=f"h{i}") for i in range(2)]  # fmt: skip
    late = harness.sched.add("* * * * * *", harness.job("note"), (harness.out,), name="late")
    harness.step(wait=False)
    assert wait_for(lambda: all(h.running == 1 for h in holders))
    harness.stop(wait=False)  # the gate closes first: "late" starts now only if it had already
    started = late.fires
    harness.let_go()
    assert wait_for(lambda: all(h.running == 0 for h in holders))
    # Two workers, both held: on threads and processes "late" waited for one, and was
    # dropped at stop; an event loop has no worker limit, so there it may have run.
    assert late.fires == started and late.fires + late.misses == 1
    if harness.kind != "async":
        assert (late.fires, late.misses) == (0, 1)
    ran_late = [line for line in harness.lines() if line[0] == "ran"]
    assert len(ran_late) == late.fires


def test_two_schedulers_on_one_store_run_each_instant_once(tmp_path: Path) -> None:
    for kind in ("threads", "processes", "async"):
        store = SQLiteStore(tmp_path / f"{kind}.db")
        a = Harness(kind, tmp_path / "a", store=store)
        b = Harness(kind, tmp_path / "b", store=store)
        (tmp_path / "a").mkdir(exist_ok=True)
        (tmp_path / "b").mkdir(exist_ok=True)
        b.clock = a.clock
        b.sched._rt.clock = a.clock
        ja, jb = a.add("note"), b.add("note")
        for _ in range(3):
            a.step()
            b._do(b.sched.run_pending())
        assert ja.fires + jb.fires == 3 and ja.elsewhere + jb.elsewhere == 3, kind
        a.close()
        b.close()
