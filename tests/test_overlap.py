"""Overlap policies against a deterministic model of runs that take random durations.

Each second an instant comes; each run lasts a random number of seconds.
The test drives the scheduler with a fake clock and an executor stepped by
hand (a run starts when the test takes it and ends when the test says), and
an independent model, written here from the documented rules, says which
instants start when, and what each counter ends at.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from timer_helpers import by_hand, utc

from cronsec import Overlap, fire_time

T0 = utc(2026, 5, 1)


@dataclass
class Model:
    """The documented overlap rules, one second at a time."""

    policy: Overlap
    limit: int
    running: list[tuple[int, int]] = field(default_factory=list)  # (instant, ends at second)
    buffer: list[int] = field(default_factory=list)
    started: list[int] = field(default_factory=list)
    skips: int = 0
    misses: int = 0
    cancelled: int = 0

    def second(self, t: int, duration: dict[int, int]) -> None:
        """At second t: runs that end now end (buffered ones start), then instant t comes."""
        ended = [r for r in self.running if r[1] <= t]
        self.running = [r for r in self.running if r[1] > t]
        for _ in ended:
            if self.buffer:
                self._start(self.buffer.pop(0), t, duration)
        if self.policy is Overlap.ALLOW_ALL or not self.running:
            self._start(t, t, duration)
        elif self.policy is Overlap.SKIP:
            self.skips += 1
        elif self.policy is Overlap.CANCEL_OTHER:
            self.cancelled += len(self.running)
            self.running = []
            self._start(t, t, duration)
        else:
            cap = 1 if self.policy is Overlap.BUFFER_ONE else self.limit
            if len(self.buffer) >= cap:
                self.buffer.pop(0)
                self.misses += 1
            self.buffer.append(t)

    def _start(self, instant: int, now: int, duration: dict[int, int]) -> None:
        self.started.append(instant)
        self.running.append((instant, now + duration[instant]))


@settings(max_examples=80, deadline=None)
@given(
    policy=st.sampled_from(list(Overlap)),
    durations=st.lists(st.integers(1, 4), min_size=3, max_size=25),
    limit=st.integers(1, 3),
)
def test_each_overlap_policy_matches_the_model(
    policy: Overlap, durations: list[int], limit: int
) -> None:
    clock, sched, hand = by_hand(T0)
    hand.can_cancel = True  # type: ignore[misc]
    started: list[int] = []

    def job() -> None:
        instant = fire_time()
        assert instant is not None
        started.append(int((instant - T0).total_seconds()))

    sched.add("* * * * * *", job, name="j", overlap=policy, buffer_limit=limit, misfire_grace=None)
    duration = {t: d for t, d in enumerate(durations, start=1)}
    model = Model(policy, limit)
    running: list[tuple[object, int]] = []  # (fire, ends at second)
    seconds = len(durations)
    for t in range(1, seconds + 1):
        clock.set(T0 + timedelta(seconds=t))
        # Runs due to end now end first (as in the model), which may start buffered ones.
        for fire, end in [r for r in running if r[1] <= t]:
            running.remove((fire, end))
            if getattr(fire, "state", "") == "started":
                hand.finish(fire)
            while hand.queue:
                follow = hand.begin_next()
                if follow is not None:
                    running.append((follow, t + duration[started[-1]]))
        sched.run_pending(wait=False)
        while hand.queue:
            fire = hand.begin_next()
            if fire is not None:
                running.append((fire, t + duration[started[-1]]))
        model.second(t, duration)
    job_ = sched.get("j")
    assert started == model.started
    assert job_.skips == model.skips
    assert job_.misses == model.misses
    assert job_.stats.cancelled == model.cancelled
    assert job_.fires == len(model.started)
    assert job_.fires + job_.misses + job_.skips + job_.stats.buffered == seconds


def test_cancel_other_is_refused_on_threads() -> None:
    from timer_helpers import make

    _clock, sched = make(T0)
    with pytest.raises(ValueError, match="CANCEL_OTHER"):
        sched.add("* * * * * *", print, name="c", overlap=Overlap.CANCEL_OTHER)
    with pytest.raises(ValueError, match="overlap must be one of"):
        sched.add("* * * * * *", print, name="d", overlap="sometimes")  # type: ignore[arg-type]
