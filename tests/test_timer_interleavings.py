"""The invariant, over random interleavings: every instant ends in exactly one counter.

A deterministic model of the threads: a fake clock, an executor stepped by
hand, a store that goes down and comes back, jobs that raise. Hypothesis
chooses the order of add / remove / pause / resume / timer steps / worker
steps / clock moves / store outages / stop. The instants the timetable hands
out are recorded as they leave it (independently of the counters); at the
end each job's fires + misses + skips + elsewhere must equal them, nothing
may be left queued or running, and no instant may have run twice.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from timer_helpers import by_hand, utc

from cronsec import fire_time
from cronsec.stores import MemoryStore, StoreUnavailable

T0 = utc(2026, 5, 1)
EXPRS = ["* * * * * *", "*/2 * * * * *", "*/5 * * * * *", "0 * * * * *"]


class Flaky:
    def __init__(self) -> None:
        self.inner = MemoryStore()
        self.down = False

    def _check(self) -> None:
        if self.down:
            raise StoreUnavailable("down")

    def claim(self, job: str, instant: datetime) -> bool:
        self._check()
        return self.inner.claim(job, instant)

    def claim_many(self, claims: list[tuple[str, datetime]]) -> list[bool]:
        self._check()
        return self.inner.claim_many(claims)

    def record(self, job: str, instant: datetime) -> None:
        self.inner.record(job, instant)

    def last_completed(self, job: str) -> datetime | None:
        self._check()
        return self.inner.last_completed(job)

    def close(self) -> None:
        pass


class Job:
    def __init__(self, raises: bool) -> None:
        self.raises = raises
        self.ran: list[datetime] = []

    def __call__(self) -> None:
        instant = fire_time()
        assert instant is not None
        self.ran.append(instant)
        if self.raises:
            raise RuntimeError("job failed")


op = st.one_of(
    st.tuples(st.just("add"), st.sampled_from(EXPRS), st.booleans(), st.booleans()),
    st.tuples(st.just("remove"), st.integers(0, 5)),
    st.tuples(st.just("pause"), st.integers(0, 5)),
    st.tuples(st.just("resume"), st.integers(0, 5)),
    st.tuples(st.just("advance"), st.sampled_from([0.4, 1.0, 1.0, 2.5, 7.0, 61.0, 3600.0, -3.0])),
    st.tuples(st.just("advance"), st.sampled_from([1.0, 2.0])),
    st.tuples(st.just("step")),
    st.tuples(st.just("step")),
    st.tuples(st.just("step")),
    st.tuples(st.just("work"), st.integers(1, 4)),
    st.tuples(st.just("work"), st.integers(1, 4)),
    st.tuples(st.just("store"), st.booleans()),
)


@settings(max_examples=200, deadline=None)
@given(
    first=st.lists(st.sampled_from(EXPRS), min_size=1, max_size=3),
    ops=st.lists(op, min_size=10, max_size=60),
    coalesce=st.booleans(),
    grace=st.sampled_from([None, 0.0, 1.0, 30.0]),
    max_instances=st.sampled_from([1, 2]),
    on_store_error=st.sampled_from(["miss", "fire"]),
    use_store=st.booleans(),
    stop_wait=st.booleans(),
)
def test_every_instant_ends_in_exactly_one_counter(
    first: list[str],
    ops: list[tuple[Any, ...]],
    coalesce: bool,
    grace: float | None,
    max_instances: int,
    on_store_error: str,
    use_store: bool,
    stop_wait: bool,
) -> None:
    store = Flaky() if use_store else None
    clock, sched, hand = by_hand(
        T0,
        store=store,
        store_backoff=(1, 1),
        coalesce=coalesce,
        misfire_grace=grace,
        max_instances=max_instances,
        on_store_error=on_store_error,  # type: ignore[arg-type]
    )
    handed: Counter[str] = Counter()
    timetable = sched._rt.timetable
    real_due = timetable.due

    def due(now: datetime) -> Any:
        decided = real_due(now)
        for d in decided:
            handed[d.name] += len(d.run) + sum(m.n for m in d.missed)
        return decided

    timetable.due = due  # type: ignore[method-assign]
    jobs: list[Any] = []
    funcs: dict[str, Job] = {}
    starts: list[tuple[Any, ...]] = [("add", e, False, False) for e in first]
    for item in starts + ops:
        kind = item[0]
        if kind == "add":
            name = f"j{len(jobs)}"
            func = Job(item[2])
            funcs[name] = func
            jobs.append(sched.add(item[1], func, name=name, paused=item[3], retry=(1.0,)))
        elif kind in ("remove", "pause", "resume") and jobs:
            job = jobs[item[1] % len(jobs)]
            if not job.removed:
                getattr(job, kind)()
        elif kind == "advance":
            clock.advance(item[1])
        elif kind == "step":
            sched.run_pending(wait=False)
        elif kind == "work":
            for _ in range(item[1]):
                if hand.queue:
                    hand.step()
        elif kind == "store" and store is not None:
            store.down = item[1]
    sched.stop(wait=stop_wait)
    for job in jobs:
        s = job.stats
        assert s.queued == 0 and s.running == 0 and s.buffered == 0, job.name
        assert s.fires + s.misses + s.skips + s.elsewhere == handed[job.name], job.name
        ran = funcs[job.name].ran
        instants_run = ran if not job.options.retry else list(dict.fromkeys(ran))
        assert len(instants_run) == job.fires, job.name  # each fire ran its callable once
        assert job.fires + job.retries == len(ran)
