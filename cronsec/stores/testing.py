"""The store contract as a pytest test suite: run it against your own store.

Subclass `StoreContract` in a test module and give it a ``store_factory``
fixture: a callable that opens a new handle on one shared backend each time it
is called, and accepts the keyword options ``lease`` (seconds) and
``history`` (runs kept per job). Handles opened with the same options must
share their state (the same file, database, Redis and prefix); a store kept in
one process's memory may return one object per set of options. Add
`CrossProcessContract` as well when handles can be opened in other processes:
the factory must then be picklable (``functools.partial`` of the store's
class with its arguments is).

.. code-block:: python

    import functools
    import pytest
    from cronsec.stores.testing import CrossProcessContract, StoreContract
    from myapp.cron import MyStore

    class TestMyStore(StoreContract, CrossProcessContract):
        secret = "s3cret"                     # a password that must never show

        @pytest.fixture
        def store_factory(self, tmp_path):
            return functools.partial(MyStore, f"my://user:s3cret@{tmp_path}")

The suite needs pytest. Leases in it are short (a fraction of a second) and
every wait is a poll with a deadline, so it runs in seconds.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, ClassVar
from zoneinfo import ZoneInfo

import pytest

from .._runs import Run
from ._base import Store, StoreClosed, StoreError

__all__ = ["CrossProcessContract", "StoreContract", "StoreFactory"]

StoreFactory = Callable[..., Store]
"""``factory(lease=..., history=...)``: a new handle on the shared backend."""

T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=timezone.utc)
FAR = T0 + timedelta(days=3650)  # a "now" after every lease in the suite
SHORT = 0.2  # seconds: a lease the suite waits out
WAIT = 15.0  # seconds: the deadline of every poll


def at(seconds: int) -> datetime:
    """The instant `seconds` after T0."""
    return T0 + timedelta(seconds=seconds)


def wait_abandoned(store: Store, job: str, instant: datetime) -> None:
    """Poll until the store's own clock sees the claim's lease expired."""
    deadline = time.monotonic() + WAIT
    while (job, instant) not in store.abandoned([job]):
        assert time.monotonic() < deadline, f"{job} at {instant} was never abandoned"
        time.sleep(0.02)


def race(stores: Sequence[Store], call: Callable[[Store], bool]) -> list[bool]:
    """``call(store)`` in one thread per store, all let go at once; the answers in order."""
    barrier = threading.Barrier(len(stores))
    answers: list[bool | None] = [None] * len(stores)
    errors: list[BaseException] = []

    def run(k: int) -> None:
        try:
            barrier.wait()
            answers[k] = call(stores[k])
        except BaseException as exc:  # reported by the caller
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(len(stores))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    return [bool(a) for a in answers]


class StoreContract:
    """What every store does: claims once, leases, completion, pauses, history, errors.

    Define the ``store_factory`` fixture in a subclass; set `secret` to a
    password the factory's configuration holds, to check it never shows.
    """

    secret: ClassVar[str | None] = None

    @pytest.fixture
    def store_factory(self) -> StoreFactory:
        raise NotImplementedError("define a store_factory fixture (see cronsec.stores.testing)")

    @pytest.fixture
    def make(self, store_factory: StoreFactory) -> Iterator[StoreFactory]:
        """The factory, closing every handle it opened when the test ends."""
        opened: list[Store] = []

        def make(**options: Any) -> Store:
            store = store_factory(**options)
            opened.append(store)
            return store

        yield make
        for store in opened:
            with contextlib.suppress(Exception):
                store.close()

    # -- claims ------------------------------------------------------------------

    def test_is_a_store_with_an_owner(self, make: StoreFactory) -> None:
        store = make()
        assert isinstance(store, Store)
        assert isinstance(store.owner, str) and store.owner

    def test_the_first_claim_wins_and_later_ones_lose(self, make: StoreFactory) -> None:
        a, b = make(), make()
        assert a.claim("job", T0) is True
        assert a.claim("job", T0) is False
        assert b.claim("job", T0) is False
        assert b.claim("job", at(1)) is True
        assert a.claim("other", T0) is True

    def test_claim_many_claims_each_pair_once(self, make: StoreFactory) -> None:
        store = make()
        assert store.claim("a", T0) is True
        pairs = [("a", T0), ("b", T0), ("a", at(1)), ("b", T0)]
        assert store.claim_many(pairs) == [False, True, True, False]
        assert store.claim_many(pairs) == [False, False, False, False]
        assert store.claim_many([]) == []

    def test_a_claim_names_an_instant_whatever_its_zone(self, make: StoreFactory) -> None:
        # New York, 2026-11-01: 01:00 EDT (05:00 UTC), then 01:00 EST again (06:00 UTC).
        store, ny = make(), ZoneInfo("America/New_York")
        assert store.claim("job", datetime(2026, 11, 1, 1, 0, tzinfo=ny)) is True
        assert store.claim("job", datetime(2026, 11, 1, 5, 0, tzinfo=timezone.utc)) is False
        assert store.claim("job", datetime(2026, 11, 1, 1, 0, fold=1, tzinfo=ny)) is True

    @pytest.mark.parametrize(
        "bad",
        ["", "x\x00y", "lone \udc80 surrogate", "é" * 101],
        ids=["empty", "nul", "surrogate", "long"],
    )
    def test_a_name_no_store_can_hold_is_a_value_error(self, make: StoreFactory, bad: str) -> None:
        store = make()
        with pytest.raises(ValueError):
            store.claim(bad, T0)
        # One bad pair in a batch: ValueError naming it, before anything is written.
        with pytest.raises(ValueError, match="job"):
            store.claim_many([("good", T0), (bad, T0)])
        assert store.claim("good", T0) is True
        assert store.claim("é" * 100, T0) is True  # 200 bytes: the limit itself is fine

    def test_instants_must_be_aware_whole_seconds(self, make: StoreFactory) -> None:
        store = make()
        with pytest.raises(ValueError, match="aware"):
            store.claim("job", datetime(2026, 1, 1))
        with pytest.raises(ValueError, match="whole second"):
            store.record("job", T0.replace(microsecond=5))

    def test_record_moves_last_completed_forward_only(self, make: StoreFactory) -> None:
        a, b = make(), make()
        assert a.last_completed("job") is None
        a.record("job", at(300))
        a.record("job", at(60))  # a late completion of an earlier fire
        last = b.last_completed("job")
        assert last == at(300)
        assert last is not None and last.utcoffset() == timedelta(0)
        assert b.last_completed("other") is None

    def test_one_winner_among_threads(self, make: StoreFactory) -> None:
        stores = [make() for _ in range(6)]
        pairs = [(f"job{j}", at(i)) for i in range(40) for j in range(3)]
        won: Counter[tuple[str, datetime]] = Counter()
        lock = threading.Lock()

        def claim_all(store: Store) -> bool:
            for n in range(0, len(pairs), 4):
                chunk = pairs[n : n + 4]
                got = store.claim_many(chunk)
                with lock:
                    won.update(pair for pair, ok in zip(chunk, got) if ok)
            return True

        race(stores, claim_all)
        assert sorted(won) == sorted(pairs)
        assert set(won.values()) == {1}

    # -- leases ------------------------------------------------------------------

    def test_states_running_done_abandoned_resolved(self, make: StoreFactory) -> None:
        store = make(lease=SHORT)
        assert store.claim_state("job", T0) is None
        assert store.claim("job", T0) and store.claim("job", at(1)) and store.claim("job", at(2))
        store.record("job", at(1))
        wait_abandoned(store, "job", T0)
        store.resolve("job", at(2))
        assert store.claim_state("job", T0) == "abandoned"
        assert store.claim_state("job", at(1)) == "done"
        assert store.claim_state("job", at(2)) == "resolved"
        fresh = make()  # the default lease: 30 s
        assert fresh.claim("job", at(3)) and fresh.claim_state("job", at(3)) == "running"

    def test_a_live_lease_is_not_abandoned_an_expired_one_is(self, make: StoreFactory) -> None:
        store = make()  # the default lease: 30 s
        assert store.claim("job", at(5)) and store.claim("job", at(1))
        assert store.claim("other", at(3))
        assert store.abandoned(["job", "other"]) == []
        assert store.abandoned(["job", "other"], now=FAR) == [
            ("job", at(1)),
            ("other", at(3)),
            ("job", at(5)),
        ]  # oldest first
        assert store.abandoned(["job"], now=FAR) == [("job", at(1)), ("job", at(5))]
        assert store.abandoned([], now=FAR) == []

    def test_completion_stops_abandonment(self, make: StoreFactory) -> None:
        a, b = make(lease=SHORT), make(lease=SHORT)
        assert a.claim("job", T0) and a.claim("job", at(1))
        b.record("job", T0)  # completed (a retry taken over may complete elsewhere)
        assert a.abandoned(["job"], now=FAR) == [("job", at(1))]
        wait_abandoned(b, "job", at(1))
        assert a.claim_state("job", T0) == "done"
        assert b.take_over("job", T0) is False

    def test_take_over_has_one_winner(self, make: StoreFactory) -> None:
        first = make(lease=SHORT)
        assert first.claim("job", T0)
        wait_abandoned(first, "job", T0)
        rivals = [make(lease=SHORT) for _ in range(5)]
        assert sorted(race(rivals, lambda s: s.take_over("job", T0))) == [False] * 4 + [True]
        assert first.claim("job", T0) is False

    def test_a_live_claim_cannot_be_taken_over(self, make: StoreFactory) -> None:
        a, b = make(), make()
        assert a.claim("job", T0)
        assert b.take_over("job", T0) is False
        assert b.take_over("never", T0) is False

    def test_resolve_ends_an_abandoned_claim(self, make: StoreFactory) -> None:
        a, b = make(lease=SHORT), make(lease=SHORT)
        assert a.claim("job", T0)
        if a.owner != b.owner:  # (one object behind both handles: one owner)
            b.resolve("job", T0)  # live and not b's: nothing happens
            assert b.claim_state("job", T0) in ("running", "abandoned")
        wait_abandoned(b, "job", T0)
        b.resolve("job", T0)
        assert a.abandoned(["job"], now=FAR) == []
        assert b.take_over("job", T0) is False
        assert b.claim("job", T0) is False
        assert b.last_completed("job") is None  # resolved is not completed

    def test_release_lets_it_be_claimed_again(self, make: StoreFactory) -> None:
        a = make()
        assert a.claim("job", T0)
        a.release("job", T0)
        assert a.claim_state("job", T0) is None
        b = make()
        assert b.claim("job", T0) is True
        if a.owner != b.owner:  # another owner's release leaves it
            a.release("job", T0)
            assert a.claim("job", T0) is False
        b.record("job", T0)
        b.release("job", T0)  # a completed claim stays
        assert a.claim("job", T0) is False

    def test_renew_keeps_a_lease_live(self, make: StoreFactory) -> None:
        store = make(lease=SHORT)
        assert store.claim("job", T0) and store.claim("job", at(1))
        wait_abandoned(store, "job", T0)
        store.renew([("job", T0), ("job", at(1)), ("unknown", T0)])  # slow, not dead
        assert ("job", T0) not in store.abandoned(["job"])
        assert store.claim_state("job", T0) == "running"
        store.renew([])

    def test_renew_leaves_claims_it_does_not_hold(self, make: StoreFactory) -> None:
        a, b = make(lease=SHORT), make(lease=SHORT)
        assert a.claim("job", T0)
        wait_abandoned(a, "job", T0)
        if a.owner != b.owner:  # (one object behind both handles: one owner)
            b.renew([("job", T0)])
            assert a.abandoned(["job"]) == [("job", T0)]
        a.renew([("job", T0)])
        assert a.abandoned(["job"]) == []

    # -- pauses, runs, errors ----------------------------------------------------

    def test_pause_state_is_shared(self, make: StoreFactory) -> None:
        a, b = make(), make()
        assert b.paused(["x", "y"]) == set()
        a.set_paused("x", True)
        a.set_paused("x", True)
        assert b.paused(["x", "y"]) == {"x"}
        assert b.paused([]) == set()
        b.set_paused("x", False)
        assert a.paused(["x", "y"]) == set()

    def test_runs_are_bounded_and_newest_first(self, make: StoreFactory) -> None:
        store, other = make(history=3), make(history=3)

        def run(i: int, outcome: str = "ok") -> Run:
            started = at(i) + timedelta(microseconds=250)
            ended = None if outcome == "running" else started + timedelta(seconds=0.5)
            return Run("job", at(i), started, ended, outcome, host="h:1")

        store.add_runs([run(1), run(2), run(3, "running")])
        store.add_runs([run(3, "error"), run(4), run(5)])  # 3 replaced, then 1 and 2 dropped
        store.add_runs([])
        assert other.runs("job") == [run(5), run(4), run(3, "error")]
        assert other.runs("job", limit=2) == [run(5), run(4)]
        assert other.runs("nobody") == []
        got = other.runs("job")[0]
        assert got.started.utcoffset() == timedelta(0) and got.ended == run(5).ended

    def test_credentials_never_show(self, make: StoreFactory) -> None:
        store = make()
        texts = [repr(store), str(store), str(getattr(store, "url", ""))]
        store.close()
        with pytest.raises(StoreClosed) as info:
            store.claim("job", T0)
        texts.append(str(info.value))
        if self.secret:
            assert all(self.secret not in text for text in texts), texts

    def test_a_closed_store_refuses_calls(self, make: StoreFactory) -> None:
        store = make()
        store.close()
        store.close()
        with pytest.raises(StoreClosed):
            store.claim("job", T0)
        with pytest.raises(StoreError):
            store.last_completed("job")


class CrossProcessContract:
    """Claims made in real processes (``multiprocessing``, spawn): one winner each.

    Needs the ``store_factory`` fixture to return a picklable callable.
    """

    processes: ClassVar[int] = 3

    def test_one_winner_among_processes(self, store_factory: StoreFactory) -> None:
        context = multiprocessing.get_context("spawn")
        pairs = [(f"job{j}", at(i)) for i in range(60) for j in range(3)]
        barrier = context.Barrier(self.processes)
        queue = context.Queue()
        procs = [
            context.Process(target=_claim_in_process, args=(store_factory, pairs, barrier, queue))
            for _ in range(self.processes)
        ]
        for p in procs:
            p.start()
        results = [queue.get(timeout=120) for _ in procs]
        for p in procs:
            p.join(timeout=30)
        assert [p.exitcode for p in procs] == [0] * len(procs)
        assert all(not isinstance(r, str) for r in results), results
        won = Counter(tuple(pair) for r in results for pair in r)
        assert sorted(won) == sorted((job, int(t.timestamp())) for job, t in pairs)
        assert set(won.values()) == {1}


def _claim_in_process(factory: StoreFactory, pairs: Any, barrier: Any, queue: Any) -> None:
    """In a spawned process: claim every pair, 4 at a time; put what was won (or the error)."""
    try:
        store = factory()
        barrier.wait(timeout=60)
        won = []
        for n in range(0, len(pairs), 4):
            chunk = pairs[n : n + 4]
            got = store.claim_many(chunk)
            won += [(job, int(t.timestamp())) for (job, t), ok in zip(chunk, got) if ok]
        store.close()
        queue.put(won)
    except BaseException as exc:
        queue.put(f"{type(exc).__name__}: {exc}")
