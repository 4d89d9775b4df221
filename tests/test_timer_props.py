"""Properties of the timer against an independent model, on generated clock behaviour.

For generated expressions, policies and sequences of wakes (on time, late,
spuriously early, clock stepped forward or back), every scheduled instant is
fired exactly once or counted as missed or skipped as the policy says, fires
come in order, and no instant fires twice. The model lists the instants by
brute force (each second of the span, its wall time in the zone checked
against the expression's second and minute sets) and applies the documented
policy rules itself; it calls nothing of the scheduler's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st
from timer_helpers import Recorder, make, utc

UTC = timezone.utc

# (expression, seconds, minutes): every one is hour-full (all 24 hours), so by
# SPEC 4 its instants are exactly the real instants whose wall time matches.
EXPRESSIONS = [
    ("* * * * * *", set(range(60)), set(range(60))),
    ("*/2 * * * * *", set(range(0, 60, 2)), set(range(60))),
    ("*/7 * * * * *", set(range(0, 60, 7)), set(range(60))),
    ("10,20,45 * * * * *", {10, 20, 45}, set(range(60))),
    ("0 * * * * *", {0}, set(range(60))),
    ("30 */2 * * * *", {30}, set(range(0, 60, 2))),
    ("*/15 1-3 * * * *", {0, 15, 30, 45}, {1, 2, 3}),
    ("0 0 * * * *", {0}, {0}),
]

# Kolkata is +05:30 all year: the wall minute is not the UTC minute; New York has DST.
ZONES = ["UTC", "Asia/Kolkata", "America/New_York"]
ANCHORS = [
    utc(2026, 5, 1),
    utc(2026, 3, 8, 6, 30),  # New York springs forward at 07:00 UTC
    utc(2026, 11, 1, 5, 30),  # New York falls back at 06:00 UTC
]

on_time = st.just(("on_time", 0.0))
late = st.tuples(st.just("late"), st.floats(0.001, 20.0))
early = st.tuples(st.just("early"), st.floats(0.001, 3.0))
jump = st.tuples(
    st.just("jump"),
    st.one_of(
        st.floats(-120.0, 120.0),
        st.sampled_from([-3600.0, -600.0, -61.0, -0.5, 0.5, 59.0, 61.0, 600.0, 3600.0]),
    ),
)
steps = st.lists(st.one_of(on_time, on_time, late, early, jump), min_size=1, max_size=15)


@dataclass
class Model:
    """The policy rules of docs/timer.md, applied to brute-forced instants."""

    seconds: set[int]
    minutes: set[int]
    zone: ZoneInfo
    coalesce: bool
    grace: float | None
    max_instances: int
    handled: datetime
    fired: list[list[datetime]] = field(default_factory=list)
    misses: int = 0
    skips: int = 0
    total: int = 0

    def matches(self, t: datetime) -> bool:
        local = t.astimezone(self.zone)
        return local.second in self.seconds and local.minute in self.minutes

    def instants(self, after: datetime, upto: datetime) -> list[datetime]:
        """Every instant in (after, upto], one second at a time."""
        out = []
        t = after.replace(microsecond=0) + timedelta(seconds=1)
        while t <= upto:
            if self.matches(t):
                out.append(t)
            t += timedelta(seconds=1)
        return out

    def wake(self, now: datetime) -> None:
        due = self.instants(self.handled, now)
        self.total += len(due)
        if due:
            self.handled = due[-1]
        if self.coalesce and len(due) > 1:
            self.misses += len(due) - 1
            due = due[-1:]
        started: list[datetime] = []
        for s in due:
            if self.grace is not None and (now - s).total_seconds() > self.grace:
                self.misses += 1
            elif len(started) < self.max_instances:
                started.append(s)
            else:
                self.skips += 1
        self.fired.append(started)

    def next_instant(self) -> datetime:
        t = self.handled.replace(microsecond=0) + timedelta(seconds=1)
        while not self.matches(t):
            t += timedelta(seconds=1)
        return t


@settings(max_examples=150, deadline=None)
@given(
    expr=st.sampled_from(EXPRESSIONS),
    zone=st.sampled_from(ZONES),
    anchor=st.sampled_from(ANCHORS),
    offset=st.floats(0, 3600),
    coalesce=st.booleans(),
    grace=st.sampled_from([None, 0.0, 0.5, 2.0, 30.0, 60.0]),
    max_instances=st.sampled_from([1, 2, 3]),
    behaviour=steps,
)
def test_every_instant_fires_once_or_is_counted_in_order(
    expr: tuple[str, set[int], set[int]],
    zone: str,
    anchor: datetime,
    offset: float,
    coalesce: bool,
    grace: float | None,
    max_instances: int,
    behaviour: list[tuple[str, float]],
) -> None:
    text, seconds, minutes = expr
    start = anchor + timedelta(seconds=offset)
    clock, sched = make(
        start, tz=zone, coalesce=coalesce, misfire_grace=grace, max_instances=max_instances
    )
    rec = Recorder()
    job = sched.add(text, rec, name="prop")
    model = Model(seconds, minutes, ZoneInfo(zone), coalesce, grace, max_instances, start)

    deadline = sched.run_pending()
    for kind, x in behaviour:
        assert deadline is not None
        if kind == "on_time":
            now = deadline
        elif kind == "late":
            now = deadline + timedelta(seconds=x)
        elif kind == "early":
            now = deadline - timedelta(seconds=x)
        else:
            now = clock.now() + timedelta(seconds=x)
        clock.set(now)
        before = len(rec.instants)
        deadline = sched.run_pending()
        model.wake(now)
        got = sorted(i.astimezone(UTC) for i in rec.instants[before:])
        assert got == model.fired[-1], f"at {now}"

    flat = [i.astimezone(UTC) for i in rec.instants]
    assert len(set(flat)) == len(flat), "an instant fired twice"
    assert sorted(flat) == [s for wake in model.fired for s in wake]
    if max_instances == 1:
        assert flat == sorted(flat), "fires out of order"
    assert (job.fires, job.misses, job.skips) == (len(flat), model.misses, model.skips)
    assert job.fires + job.misses + job.skips == model.total
    assert job.errors == 0
    assert job.next_fire is not None
    assert job.next_fire.astimezone(UTC) == model.next_instant()
