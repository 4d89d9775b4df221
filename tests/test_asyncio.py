"""AsyncScheduler on a fake clock: async jobs on the loop, plain ones in threads, stops.

No test sleeps to decide anything: time moves only with the fake clock, and
``await run_pending()`` returns once the runs it started have ended.
"""

from __future__ import annotations

import asyncio
import threading
from datetime import datetime, timedelta
from typing import Any

import pytest
from timer_helpers import utc

from cronsec import AsyncScheduler, FakeClock, Overlap, fire_time
from cronsec.stores import MemoryStore

T0 = utc(2026, 5, 1)


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def make(**options: Any) -> tuple[FakeClock, AsyncScheduler]:
    clock = FakeClock(T0)
    return clock, AsyncScheduler(tz="UTC", clock=clock, **options)


def test_async_jobs_are_awaited_on_the_loop_with_their_own_fire_time() -> None:
    async def main() -> None:
        clock, sched = make()
        seen: list[tuple[str, datetime | None, int]] = []
        loop_thread = threading.get_ident()

        async def a() -> None:
            await asyncio.sleep(0)
            seen.append(("a", fire_time(), threading.get_ident()))

        async def b() -> None:
            await asyncio.sleep(0)
            seen.append(("b", fire_time(), threading.get_ident()))

        sched.add("* * * * * *", a, name="a")
        sched.add("*/2 * * * * *", b, name="b")
        for _ in range(4):
            clock.advance(1)
            await sched.run_pending()
        got = sorted((n, t) for n, t, _ in seen)
        expected = [("a", T0 + timedelta(seconds=k)) for k in range(1, 5)]
        expected += [("b", T0 + timedelta(seconds=k)) for k in (2, 4)]
        assert got == sorted(expected)
        assert {ident for _, _, ident in seen} == {loop_thread}
        assert (sched.get("a").fires, sched.get("b").fires) == (4, 2)

    run(main())


def test_plain_functions_run_in_a_thread_not_on_the_loop() -> None:
    async def main() -> None:
        clock, sched = make()
        where: list[int] = []
        job = sched.add("* * * * * *", lambda: where.append(threading.get_ident()), name="p")
        clock.advance(1)
        await sched.run_pending()
        assert job.fires == 1 and where and where[0] != threading.get_ident()

    run(main())


def test_a_timeout_cancels_an_async_run() -> None:
    async def main() -> None:
        clock, sched = make()
        never = asyncio.Event()

        async def hangs() -> None:
            await never.wait()

        job = sched.add("0 * * * * *", hangs, name="h", timeout=0.01)
        clock.advance(60)
        await sched.run_pending()
        assert (job.fires, job.timeouts, job.errors, job.running) == (1, 1, 0, 0)
        assert job.runs[0].outcome == "timeout"

    run(main())


def test_cancel_other_cancels_the_running_one_for_the_new_instant() -> None:
    async def main() -> None:
        clock, sched = make()
        started = asyncio.Event()
        release = asyncio.Event()
        runs: list[datetime | None] = []

        async def slow() -> None:
            runs.append(fire_time())
            started.set()
            await release.wait()

        job = sched.add("* * * * * *", slow, name="s", overlap=Overlap.CANCEL_OTHER)
        clock.advance(1)
        await sched.run_pending(wait=False)
        await started.wait()
        started.clear()
        clock.advance(1)
        await sched.run_pending(wait=False)
        await started.wait()
        for _ in range(10):
            await asyncio.sleep(0)
        assert runs == [T0 + timedelta(seconds=1), T0 + timedelta(seconds=2)]
        assert job.stats.cancelled == 1 and job.skips == 0
        release.set()
        await sched.stop()

    run(main())


def test_stop_waits_then_cancels_what_outlives_the_shutdown_timeout() -> None:
    async def main() -> None:
        clock, sched = make(shutdown_timeout=0.01)
        never = asyncio.Event()
        started = asyncio.Event()

        async def hangs() -> None:
            started.set()
            await never.wait()

        job = sched.add("* * * * * *", hangs, name="h")
        await sched.start()
        clock.advance(1)
        await started.wait()
        await sched.stop()
        assert not sched.running
        assert job.stats.cancelled == 1 and job.running == 0
        assert job.runs[0].outcome == "cancelled"

    run(main())


class SlowStore(MemoryStore):
    """Claims wait on a threading event: the loop must keep running meanwhile."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.inside = threading.Event()

    def claim_many(self, claims: Any) -> list[bool]:
        self.inside.set()
        assert self.gate.wait(10)
        return super().claim_many(claims)

    def claim(self, job: str, instant: datetime) -> bool:
        return self.claim_many([(job, instant)])[0]


def test_store_calls_never_block_the_loop() -> None:
    async def main() -> None:
        store = SlowStore()
        store.gate.set()
        clock, sched = make(store=store)
        job = sched.add("* * * * * *", lambda: None, name="j")
        await sched.run_pending()
        store.gate.clear()
        store.inside.clear()
        clock.advance(1)
        step = asyncio.ensure_future(sched.run_pending())
        ticks = 0
        while not store.inside.is_set():
            await asyncio.sleep(0)
        for _ in range(100):  # the loop turns while the claim waits
            await asyncio.sleep(0)
            ticks += 1
        assert not step.done() and ticks == 100
        store.gate.set()
        await step
        assert job.fires == 1

    run(main())


def test_an_async_job_that_raises_is_retried_and_counted() -> None:
    async def main() -> None:
        clock, sched = make()
        calls: list[datetime | None] = []

        async def flaky() -> None:
            calls.append(fire_time())
            raise ValueError("no")

        job = sched.add("0 * * * * *", flaky, name="f", retry=(5,))
        clock.advance(60)
        await sched.run_pending()
        clock.advance(5)
        await sched.run_pending()
        assert calls == [T0 + timedelta(seconds=60)] * 2
        assert (job.fires, job.retries, job.errors) == (1, 1, 2)

    run(main())


def test_async_scheduler_options_match_the_threaded_one() -> None:
    import inspect

    from cronsec import Scheduler

    a = inspect.signature(AsyncScheduler.add).parameters
    t = inspect.signature(Scheduler.add).parameters
    assert list(a) == list(t)
    with pytest.raises(ValueError, match="max_instances"):
        AsyncScheduler(max_instances=0)


def test_a_batch_of_coroutines_is_counted_and_recorded_after_it_started() -> None:
    async def main() -> None:
        clock, sched = make()
        started: list[int] = []

        def job_for(k: int) -> Any:
            async def job() -> None:
                started.append(k)

            return job

        jobs = [sched.add("* * * * * *", job_for(k), name=f"j{k}") for k in range(5)]
        clock.advance(1.5)  # half a second late
        await sched.run_pending()
        assert sorted(started) == [0, 1, 2, 3, 4]
        for job in jobs:
            (run,) = job.runs
            assert run.outcome == "ok" and run.started == T0 + timedelta(seconds=1.5)
            assert run.ended is not None and run.ended >= run.started
            assert job.lateness.n == 1 and job.lateness.last == pytest.approx(0.5)
            assert (job.fires, job.running, job.stats.queued) == (1, 0, 0)

    run(main())
