"""Events and the stall alarm, deterministic: a fake clock that jumps past a waiting timer."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from timer_helpers import Recorder, make, utc, wait_for

from cronsec import (
    FakeClock,
    FireFailed,
    FireFinished,
    FireMissed,
    FireSkipped,
    FireStarted,
    JobAdded,
    JobPaused,
    JobRemoved,
    JobResumed,
    RetryScheduled,
    Scheduler,
    TimerStalled,
)

T0 = utc(2026, 5, 1)


def collect(sched: Scheduler, kinds: Any = None) -> list[Any]:
    seen: list[Any] = []
    sched.subscribe(seen.append, kinds)
    return seen


def test_job_and_fire_events_arrive_in_order_off_the_timer_thread() -> None:
    clock, sched = make(T0)
    seen = collect(sched)
    threads: set[str] = set()
    sched.subscribe(lambda e: threads.add(threading.current_thread().name))

    def fails() -> None:
        raise ValueError("bad")

    job = sched.add("* * * * * *", Recorder(), name="ok")
    bad = sched.add("* * * * * *", fails, name="bad", retry=(5,))
    clock.advance(1)
    sched.run_pending()
    job.pause()
    job.resume()
    job.remove()
    sched._rt.events.flush(5)
    kinds = [type(e) for e in seen]
    assert kinds[:2] == [JobAdded, JobAdded]
    assert FireStarted in kinds and FireFinished in kinds and FireFailed in kinds
    assert RetryScheduled in kinds
    assert kinds[-3:] == [JobPaused, JobResumed, JobRemoved]
    failed = next(e for e in seen if isinstance(e, FireFailed))
    assert failed.job == "bad" and "ValueError: bad" in (failed.error or "")
    assert threads == {"cronsec-events"}
    assert bad.errors == 1


def test_missed_and_skipped_fires_are_events_with_why() -> None:
    clock, sched = make(T0, misfire_grace=1)
    seen = collect(sched, [FireMissed, FireSkipped])
    sched.add("* * * * * *", Recorder(), name="a")
    clock.advance(10)
    sched.run_pending()
    sched._rt.events.flush(5)
    assert len(seen) == 1 and isinstance(seen[0], FireMissed)
    assert seen[0].count == 9 and "coalesced" in seen[0].why


def test_a_listener_that_raises_or_blocks_never_holds_the_timer(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock, sched = make(T0)
    block = threading.Event()
    sched.subscribe(lambda e: 1 / 0)
    sched.subscribe(lambda e: block.wait(10))
    sched._rt.events._limit = 5  # a small queue, to see it fill
    job = sched.add("* * * * * *", Recorder(), name="a")
    with caplog.at_level(logging.WARNING, logger="cronsec"):
        for _ in range(10):
            clock.advance(1)
            sched.run_pending()
    assert job.fires == 10  # the timer went on
    assert sched.events_dropped > 0 and "dropped" in caplog.text
    block.set()


def test_unknown_event_kinds_are_refused() -> None:
    _clock, sched = make(T0)
    with pytest.raises(ValueError, match="unknown event kind"):
        sched.subscribe(print, ["fire_exploded"])
    with pytest.raises(TypeError):
        sched.subscribe(42)  # type: ignore[arg-type]


def test_a_stall_is_reported_with_its_size_and_health_says_so(
    caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    clock = FakeClock(T0)
    probe = tmp_path / "alive"
    sched = Scheduler(tz="UTC", clock=clock, stall_threshold=1.0, health_file=probe)
    seen = collect(sched, [TimerStalled])
    sched.add("* * * * * *", Recorder(), name="a")
    with caplog.at_level(logging.ERROR, logger="cronsec"):
        sched.start()
        assert wait_for(lambda: probe.exists())  # the timer woke and touched the file
        assert sched.health().ok
        # The timer waits for 00:00:01; the clock jumps 30 s: it wakes 29 s late.
        clock.set(T0 + timedelta(seconds=30))
        assert wait_for(lambda: bool(seen))
    stall = seen[0]
    assert stall.stall == pytest.approx(29.0, abs=0.01)
    assert "stalled" in caplog.text and "29.0" in caplog.text
    health = sched.health()
    assert not health.ok and "late" in health.reason
    sched.stop()
    assert not sched.health().ok and sched.health().reason == "the timer is not running"
