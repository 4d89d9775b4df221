"""Real threads, well under a second each: start/stop, waking, the decorator, shutdown.

Nothing here measures time: tests wait on events with generous timeouts and
check what happened, not how long it took. A shifted system clock puts the
next whole second a few milliseconds ahead, so real fires come at once.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
from datetime import datetime, timedelta

import pytest
from timer_helpers import make, utc, wait_for

import cronsec
from cronsec import Scheduler
from cronsec._clock import SystemClock


class SoonClock(SystemClock):
    """The system clock, shifted so that the next whole second is ``lead`` seconds away."""

    def __init__(self, lead: float = 0.03) -> None:
        self.aim(lead)

    def aim(self, lead: float) -> None:
        """Shift again, so that the next whole second is ``lead`` seconds from now."""
        frac = time.time() % 1.0
        self.shift = timedelta(seconds=(1.0 - lead) - frac)

    def now(self) -> datetime:
        return super().now() + self.shift


def test_start_fires_on_a_worker_and_stop_ends_the_threads() -> None:
    fired = threading.Event()
    seen: list[str] = []

    def tick() -> None:
        seen.append(threading.current_thread().name)
        fired.set()

    sched = Scheduler(tz="UTC", clock=SoonClock(), max_workers=2)
    sched.add("* * * * * *", tick, name="tick")
    before = set(threading.enumerate())
    sched.start()
    ours = set(threading.enumerate()) - before
    assert len(ours) == 3  # the timer and two workers
    with pytest.raises(RuntimeError):
        sched.start()
    assert fired.wait(2)
    sched.stop()
    assert not sched.running
    assert seen[0].startswith("cronsec-worker")
    assert not any(t.is_alive() for t in ours)


def test_add_wakes_an_idle_timer_at_once() -> None:
    # With no job the timer waits up to 5 s; the add must wake it, or the fire
    # 30 ms ahead would come seconds late and miss the 1 s wait below.
    fired = threading.Event()
    clock = SoonClock()
    with Scheduler(tz="UTC", clock=clock) as sched:
        assert wait_for(lambda: any(t.name == "cronsec-timer" for t in threading.enumerate()))
        clock.aim(0.05)
        sched.add("* * * * * *", fired.set, name="late-add")
        assert fired.wait(1.0)


def test_the_decorator_registers_and_fires() -> None:
    fired = threading.Event()
    sched = Scheduler(tz="UTC", clock=SoonClock())

    @sched.every("* * * * * *")
    def beat() -> str:
        fired.set()
        return "unchanged"

    assert beat() == "unchanged"
    fired.clear()
    with sched:
        assert fired.wait(2)
    assert sched.jobs[0].name.endswith("test_the_decorator_registers_and_fires.<locals>.beat")


def test_a_fake_clock_drives_a_started_scheduler() -> None:
    clock, sched = make(utc(2026, 5, 1))
    fired = threading.Event()
    job = sched.add("*/10 * * * * *", fired.set, name="ten")
    with sched:
        clock.advance(9)
        clock.advance(1)
        assert fired.wait(2)
        assert wait_for(lambda: job.fires == 1)
        job.pause()
        clock.advance(10)
        job.resume()
        fired.clear()
        clock.advance(10)
        assert fired.wait(2)
    assert (job.fires, job.misses) == (2, 0)


def test_stop_with_wait_waits_for_running_callables_and_drops_queued_fires() -> None:
    clock, sched = make(utc(2026, 5, 1), max_workers=1)
    started, release = threading.Event(), threading.Event()
    ran_b = threading.Event()

    def a() -> None:
        started.set()
        release.wait(5)

    job_a = sched.add("* * * * * *", a, name="a")
    job_b = sched.add("* * * * * *", ran_b.set, name="b")
    sched.start()
    clock.advance(1)
    assert started.wait(2)  # a runs on the only worker; b waits in the queue
    stopper = threading.Thread(target=sched.stop)
    stopper.start()
    stopper.join(0.05)
    assert stopper.is_alive()  # stop(wait=True) waits for a
    release.set()
    stopper.join(5)
    assert not stopper.is_alive()
    assert not ran_b.is_set() and job_b.misses == 1 and job_b.fires == 0
    assert job_a.fires == 1 and job_a.running == 0


def test_stop_without_wait_returns_while_a_callable_runs() -> None:
    clock, sched = make(utc(2026, 5, 1))
    started, release = threading.Event(), threading.Event()
    sched.add("* * * * * *", lambda: (started.set(), release.wait(5)), name="slow")
    sched.start()
    clock.advance(1)
    assert started.wait(2)
    sched.stop(wait=False)
    assert not sched.running
    clock.advance(1)  # nothing listens any more
    release.set()


def test_add_remove_pause_from_many_threads_while_running() -> None:
    clock, sched = make(utc(2026, 5, 1), max_workers=4)
    errors: list[BaseException] = []

    def churn(k: int) -> None:
        try:
            for i in range(30):
                job = sched.add("* * * * * *", lambda: None, name=f"j{k}-{i}")
                job.pause()
                job.resume()
                if i % 2:
                    job.remove()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    with sched:
        threads = [threading.Thread(target=churn, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        for _ in range(20):
            clock.advance(1)
        for t in threads:
            t.join()
        clock.advance(1)
        assert wait_for(lambda: all(j.fires >= 1 for j in sched.jobs))
    assert errors == []
    assert len(sched.jobs) == 60


def test_importing_cronsec_starts_no_thread_and_run_stops_on_sigterm() -> None:
    script = textwrap.dedent(
        """
        import sys, threading
        import cronsec
        assert threading.active_count() == 1, threading.enumerate()

        @cronsec.every("* * * * * *", name="beat")
        def beat():
            pass

        sched = cronsec._default.default_scheduler()
        threading.Timer(0.05, lambda: print("up", flush=True)).start()
        cronsec.run()
        print("stopped", sched.running, flush=True)
        """
    )
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {**os.environ, "PYTHONPATH": root}
    proc = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "up"
    proc.terminate()
    out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert out.strip() == "stopped False"


def test_module_level_every_and_start_use_one_default_scheduler() -> None:
    from cronsec import _default

    def job() -> None:
        pass

    assert cronsec.every("0 0 0 1 1 *", name="smoke-yearly")(job) is job
    sched = cronsec.start()
    try:
        assert sched is _default.default_scheduler()
        assert sched.running and sched.get("smoke-yearly").func is job
    finally:
        sched.stop()
        sched.remove("smoke-yearly")
