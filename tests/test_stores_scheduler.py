"""Schedulers sharing a store, on a FakeClock: exactly once, restarts, catch-up, outages.

Several schedulers in one test process stand for several processes: each has
its own store handle (its own SQLite connection, its own Redis pool), and
they share one fake clock, stepped a second at a time, taking turns in a
rotating order so that each wins claims.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable

import pytest
from redis_server import RedisServer, redis_factory, redis_server, redis_url, shared_stores
from timer_helpers import UTC, utc

from cronsec import FakeClock, Scheduler, fire_time
from cronsec.stores import MemoryStore, RedisStore, SQLiteStore, Store, StoreUnavailable

# The fixtures are imported to be found by name; __all__ says they are used.
__all__ = ["redis_factory", "redis_server", "redis_url"]

T0 = utc(2026, 6, 1, 12)
JOBS = ("alpha", "beta")


class Fired:
    """Records which scheduler fired which (job, instant)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by: list[tuple[str, datetime, int]] = []

    def callable(self, job: str, who: int) -> Callable[[], None]:
        def run() -> None:
            instant = fire_time()
            assert instant is not None
            with self.lock:
                self.by.append((job, instant.astimezone(UTC), who))

        return run

    def counts(self) -> Counter[tuple[str, datetime]]:
        return Counter((job, t) for job, t, _ in self.by)


@pytest.fixture(params=["memory", "sqlite", "redis"])
def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], Store]]:
    """Opens handles on one shared store: a file, a Redis, or (memory) one object."""
    with shared_stores(request, tmp_path, prefix="sched") as make:
        yield make


def scheduler(
    clock: FakeClock,
    store: Store,
    fired: Fired,
    who: int,
    jobs: Sequence[str] = JOBS,
    **options: Any,
) -> Scheduler:
    sched = Scheduler(tz="UTC", clock=clock, store=store, max_workers=2, **options)
    for name in jobs:
        sched.add("* * * * * *", fired.callable(name, who), name=name)
    return sched


def drive(
    clock: FakeClock, scheds: Sequence[Scheduler], seconds: int, step: int = 0, every: int = 1
) -> None:
    """Advance ``every`` seconds at a time; the schedulers take turns in a rotating order."""
    for k in range(seconds // every):
        clock.advance(every)
        for i in range(len(scheds)):
            scheds[(step + k + i) % len(scheds)].run_pending()


def instants(first: datetime, last: datetime) -> list[datetime]:
    return [first + timedelta(seconds=s) for s in range(int((last - first).total_seconds()) + 1)]


@pytest.mark.parametrize(
    ("hours", "every"),
    [(1, 1), (3, 30)],
    ids=["an hour, woken each second", "three hours, woken each 30 s"],
)
def test_three_schedulers_fire_each_instant_exactly_once(
    open_store: Callable[[], Store], hours: int, every: int
) -> None:
    # Woken every 30 s, each scheduler finds 30 fires of each job due at once:
    # without coalescing all run, claimed in one round trip, split between them.
    clock, fired = FakeClock(T0), Fired()
    options: dict[str, Any] = {"coalesce": False, "max_instances": 40} if every > 1 else {}
    scheds = [scheduler(clock, open_store(), fired, who, **options) for who in range(3)]
    drive(clock, scheds, 3600 * hours, every=every)
    counts = fired.counts()
    expected = instants(T0 + timedelta(seconds=1), T0 + timedelta(hours=hours))
    assert sorted(counts) == sorted((job, t) for job in JOBS for t in expected)
    assert set(counts.values()) == {1}
    assert {who for _, _, who in fired.by} == {0, 1, 2}
    for sched in scheds:
        for job in sched.jobs:
            assert job.fires + job.elsewhere == 3600 * hours
            assert (job.misses, job.skips, job.errors, job.unclaimed) == (0, 0, 0, 0)
    last = scheds[0].store.last_completed("alpha")
    assert last == T0 + timedelta(hours=hours)


def test_one_of_three_restarted_loses_and_doubles_nothing(
    open_store: Callable[[], Store],
) -> None:
    clock, fired = FakeClock(T0), Fired()
    scheds = [scheduler(clock, open_store(), fired, who) for who in range(3)]
    drive(clock, scheds, 600)
    scheds[2].stop()  # "killed": the other two go on without it for five minutes
    drive(clock, scheds[:2], 300)
    again = scheduler(clock, open_store(), fired, 3)
    scheds[2] = again
    drive(clock, scheds, 600)
    counts = fired.counts()
    expected = instants(T0 + timedelta(seconds=1), T0 + timedelta(seconds=1500))
    assert sorted(counts) == sorted((job, t) for job in JOBS for t in expected)
    assert set(counts.values()) == {1}
    # The others kept the last completion current: nothing for it to catch up.
    for job in again.jobs:
        assert (job.misses, job.fires + job.elsewhere) == (0, 600)


@pytest.mark.parametrize(
    ("policy", "caught_up"),
    [
        ({"coalesce": True, "catch_up": 3600}, 1),  # the latest runs once
        ({"coalesce": True, "catch_up": 0.1}, 0),  # the latest is 0.5 s old: too old
        ({"coalesce": False, "catch_up": 10, "max_instances": 20}, 10),  # each within 10 s
    ],
)
def test_a_restart_after_all_were_down_catches_up_per_policy(
    open_store: Callable[[], Store], policy: dict[str, Any], caught_up: int
) -> None:
    clock, fired = FakeClock(T0), Fired()
    scheds = [scheduler(clock, open_store(), fired, who) for who in range(3)]
    drive(clock, scheds, 60)
    for sched in scheds:
        sched.stop()
    clock.advance(300.5)  # everything down for five minutes
    again = [scheduler(clock, open_store(), fired, 3 + who, **policy) for who in range(3)]
    for sched in again:
        sched.run_pending()  # the catch-up, at 360.5
    drive(clock, again, 60)
    counts = fired.counts()
    assert set(counts.values()) == {1}  # nothing doubled, catch-up included
    down = instants(T0 + timedelta(seconds=61), T0 + timedelta(seconds=360))
    for name in JOBS:
        ran = [t for t in down if (name, t) in counts]
        assert ran == down[len(down) - caught_up :]  # the latest ones, if any
        jobs = [s.get(name) for s in again]
        assert sum(j.fires for j in jobs) == caught_up + 60
        # The first to start counted (and logged) the rest as missed. It ran the
        # catch-up and recorded it, so the next two found nothing left to do;
        # when nothing ran, they saw the same passed instants and said so too.
        assert jobs[0].misses == len(down) - caught_up
        assert [j.misses for j in jobs[1:]] == [0 if caught_up else len(down)] * 2
    after = instants(T0 + timedelta(seconds=361), T0 + timedelta(seconds=420))
    assert all((name, t) in counts for name in JOBS for t in after)


def test_a_catch_up_is_logged_never_silent(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock, fired = FakeClock(T0), Fired()
    store = SQLiteStore(tmp_path / "state.db")
    first = scheduler(clock, store, fired, 0, jobs=["alpha"])
    drive(clock, [first], 10)
    clock.advance(120)
    again = scheduler(clock, store, fired, 1, jobs=["alpha"], catch_up=60)
    with caplog.at_level(logging.WARNING, logger="cronsec"):
        again.run_pending()
    # 12:00:11 .. 12:02:10 passed; the latest runs, the other 119 are logged.
    assert "missed 119 fires from 2026-06-01T12:00:11" in caplog.text
    assert "passed while no scheduler ran it" in caplog.text
    assert fired.counts()[("alpha", T0 + timedelta(seconds=130))] == 1
    store.close()


def test_redis_stopped_and_restarted_mid_run(
    redis_factory: Callable[..., RedisServer], caplog: pytest.LogCaptureFixture
) -> None:
    server = redis_factory()
    clock, fired = FakeClock(T0), Fired()
    stores = [RedisStore(server.url, prefix="outage") for _ in range(3)]
    scheds = [scheduler(clock, store, fired, who) for who, store in enumerate(stores)]
    drive(clock, scheds, 100)
    server.stop(save=True)
    with caplog.at_level(logging.WARNING, logger="cronsec"):
        drive(clock, scheds, 100, step=100)
        assert not any(s.store_available for s in scheds)
        server.start()
        drive(clock, scheds, 200, step=200)
    assert all(s.store_available for s in scheds)
    assert "unavailable" in caplog.text and "is back" in caplog.text
    counts = fired.counts()
    assert set(counts.values()) == {1}  # no instant fired twice, outage or not
    everything = instants(T0 + timedelta(seconds=1), T0 + timedelta(seconds=400))
    lost = [(j, t) for j in JOBS for t in everything if (j, t) not in counts]
    assert len(lost) >= 2 * 100  # the outage: not fired (the default: no doubles)
    for sched in scheds:
        assert sched.store_failures > 0
        for job in sched.jobs:
            # Every instant ends in exactly one counter; each one lost was
            # counted as unclaimed (a miss) by every scheduler.
            assert job.fires + job.elsewhere + job.misses == 400
            assert job.misses == job.unclaimed >= len(lost) // 2
    # The backoff is over long before the end: the last minute is whole again.
    tail = instants(T0 + timedelta(seconds=341), T0 + timedelta(seconds=400))
    assert all((j, t) in counts for j in JOBS for t in tail)
    for store in stores:
        store.close()


def test_a_job_may_fire_locally_when_the_store_is_down(
    redis_factory: Callable[..., RedisServer],
) -> None:
    server = redis_factory()
    clock, fired = FakeClock(T0), Fired()
    store = RedisStore(server.url, prefix="local")
    sched = Scheduler(tz="UTC", clock=clock, store=store, max_workers=2)
    sched.add("* * * * * *", fired.callable("alpha", 0), name="alpha", on_store_error="fire")
    sched.add("* * * * * *", fired.callable("beta", 0), name="beta")
    drive(clock, [sched], 5)
    server.kill()
    drive(clock, [sched], 10)
    alpha, beta = sched.get("alpha"), sched.get("beta")
    assert (alpha.fires, alpha.unclaimed, alpha.misses) == (15, 10, 0)
    assert (beta.fires, beta.unclaimed, beta.misses) == (5, 10, 10)
    store.close()


class Flaky:
    """A store that is down while ``down`` is set, and notes when it was asked."""

    def __init__(self, clock: FakeClock) -> None:
        self.inner = MemoryStore()
        self.clock = clock
        self.down = False
        self.asked: list[float] = []

    def _check(self) -> None:
        self.asked.append((self.clock.now() - T0).total_seconds())
        if self.down:
            raise StoreUnavailable("flaky store is down")

    def claim(self, job: str, instant: datetime) -> bool:
        self._check()
        return self.inner.claim(job, instant)

    def record(self, job: str, instant: datetime) -> None:
        self.inner.record(job, instant)

    def last_completed(self, job: str) -> datetime | None:
        self._check()
        return self.inner.last_completed(job)

    def close(self) -> None:
        self.inner.close()


def test_the_store_is_asked_again_after_a_doubling_backoff() -> None:
    clock, fired = FakeClock(T0), Fired()
    flaky = Flaky(clock)
    sched = scheduler(clock, flaky, fired, 0, jobs=["alpha"], store_backoff=(1, 8))
    drive(clock, [sched], 2)
    flaky.down, flaky.asked = True, []
    drive(clock, [sched], 40)
    assert flaky.asked == [3, 4, 6, 10, 18, 26, 34, 42]  # backoff 1, 2, 4, 8, 8, ...
    flaky.down = False  # at 42; asked again at 50, when the backoff ends
    drive(clock, [sched], 10)
    job = sched.get("alpha")
    assert job.fires == 2 + 3  # 1, 2, then 50, 51, 52
    assert job.unclaimed == job.misses == 47  # 3 .. 49
    assert sched.store_failures == 8
    assert sched.store_available


def test_a_catch_up_waits_for_a_store_that_is_down_at_start() -> None:
    clock, fired = FakeClock(T0), Fired()
    flaky = Flaky(clock)
    first = scheduler(clock, flaky, fired, 0, jobs=["alpha"])
    drive(clock, [first], 10)
    first.stop()
    clock.advance(30)
    flaky.down = True
    again = scheduler(clock, flaky, fired, 1, jobs=["alpha"], store_backoff=(1, 1))
    drive(clock, [again], 5)
    assert "alpha" in again._rt._catch_up  # still waiting for the store to tell its past
    flaky.down = False
    drive(clock, [again], 5)
    job = again.get("alpha")
    assert "alpha" not in again._rt._catch_up
    # The 30 s passed before it started: the latest ran (coalesced), 29 missed.
    assert fired.counts()[("alpha", T0 + timedelta(seconds=40))] == 1
    assert job.misses == 29 + 5  # and 5 unclaimed while the store was down


def test_duplicate_names_are_refused_and_default_names_are_stable(tmp_path: Path) -> None:
    sched = Scheduler(tz="UTC", clock=FakeClock(T0), store=SQLiteStore(tmp_path / "s.db"))
    job = sched.add("* * * * * *", Fired.counts)
    assert job.name == "test_stores_scheduler.Fired.counts"
    with pytest.raises(ValueError, match="already"):
        sched.add("0 * * * * *", Fired.counts)
    sched.store.close()


def test_stop_waits_until_completions_reached_the_store(tmp_path: Path) -> None:
    # Real time, about a second: completions go to the store from a recorder
    # thread (workers do not wait on it); stop(wait=True) flushes it.
    store = SQLiteStore(tmp_path / "state.db")
    done = threading.Event()
    sched = Scheduler(tz="UTC", store=store)
    job = sched.add("* * * * * *", done.set, name="tick")
    sched.start()
    assert done.wait(3)
    sched.stop(wait=True)
    assert job.last_fire is not None
    assert store.last_completed("tick") == job.last_fire
    store.close()


def test_a_store_that_forgets_claims_too_soon_is_warned_about(
    caplog: pytest.LogCaptureFixture,
) -> None:
    short = MemoryStore(retention=600)
    with caplog.at_level(logging.WARNING, logger="cronsec"):
        Scheduler(tz="UTC", store=short).add("* * * * * *", print, name="late", catch_up=3600)
        assert "keeps claims 600 s" in caplog.text
        caplog.clear()
        Scheduler(tz="UTC", store=short).add("* * * * * *", print, name="ok", catch_up=300)
        assert caplog.text == ""
    with pytest.raises(TypeError, match=r"cronsec\.stores"):
        Scheduler(store=object())  # type: ignore[arg-type]
