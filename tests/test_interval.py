"""Interval (fixed rate, fixed delay) and OneOff: examples, and properties against a model.

The model is written here, independently of ``cronsec._interval``: instants are
Fractions of seconds since the epoch, the rate schedule is the explicit list
``anchor + k * period`` for k = 0..K, and next/prev/count are found by scanning it.
"""

from __future__ import annotations

import datetime as dt
import pickle
import zoneinfo
from bisect import bisect_left, bisect_right
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from cronsec._interval import Interval, OneOff

UTC = timezone.utc
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ZONES = [
    UTC,
    timezone(timedelta(hours=5, minutes=30)),
    timezone(timedelta(hours=-3)),
    zoneinfo.ZoneInfo("America/New_York"),
    zoneinfo.ZoneInfo("Europe/Berlin"),
    zoneinfo.ZoneInfo("Australia/Lord_Howe"),
]
T0 = datetime(2026, 1, 1, tzinfo=UTC)


# -- the model ----------------------------------------------------------------


def seconds_of(t: datetime) -> Fraction:
    """An aware datetime as exact seconds since the epoch."""
    d = t - EPOCH
    return d.days * 86400 + d.seconds + Fraction(d.microseconds, 10**6)


class RateModel:
    """The first ``count`` instants of a fixed rate, listed."""

    def __init__(self, anchor: datetime, period: Fraction, count: int) -> None:
        start = seconds_of(anchor)
        self.instants = [start + k * period for k in range(count)]

    def next_after(self, t: Fraction) -> Fraction:
        i = bisect_right(self.instants, t)
        assert i < len(self.instants), "probe beyond the listed instants"
        return self.instants[i]

    def prev_before(self, t: Fraction) -> Fraction | None:
        i = bisect_left(self.instants, t)
        return self.instants[i - 1] if i else None

    def count(self, a: Fraction, b: Fraction) -> int:
        return sum(1 for x in self.instants if a < x <= b)


# -- strategies ---------------------------------------------------------------

# Periods in microseconds: 10 ms to 3 days, round and not.
periods = st.one_of(
    st.integers(10_000, 3 * 86_400 * 10**6),
    st.integers(10_000, 2_000_000),
    st.sampled_from([10_000, 100_000, 250_000, 1_000_000, 2_500_000, 60 * 10**6, 86_400 * 10**6]),
    st.integers(1, 5000).map(lambda n: n * 1_000_000 + 1),  # whole seconds and one µs
)


@st.composite
def anchors(draw: st.DrawFn) -> datetime:
    naive = draw(st.datetimes(datetime(1990, 1, 1), datetime(2060, 1, 1)))
    if draw(st.booleans()):
        naive = naive.replace(microsecond=0)
    zone = draw(st.sampled_from(ZONES))
    return naive.replace(tzinfo=UTC).astimezone(zone)


def construct(draw: st.DrawFn, us: int, **kw: object) -> Interval:
    """The same period spelled one of several ways the constructor accepts."""
    ways = ["fraction", "timedelta", "decimal"]
    if us % 1000 == 0:
        ways.append("milliseconds")
    if us % 60_000_000 == 0:
        ways.append("minutes")
    if us % 1_000_000 == 0:
        ways.append("int")
    as_float = us / 10**6
    if Fraction(repr(as_float)) == Fraction(us, 10**6):
        ways.append("float")
    way = draw(st.sampled_from(ways))
    if way == "fraction":
        return Interval(seconds=Fraction(us, 10**6), **kw)  # type: ignore[arg-type]
    if way == "timedelta":
        return Interval(timedelta(microseconds=us), **kw)  # type: ignore[arg-type]
    if way == "decimal":
        return Interval(Decimal(us) / Decimal(10**6), **kw)  # type: ignore[arg-type]
    if way == "milliseconds":
        return Interval(milliseconds=us // 1000, **kw)  # type: ignore[arg-type]
    if way == "minutes":
        return Interval(minutes=us // 60_000_000, **kw)  # type: ignore[arg-type]
    if way == "int":
        return Interval(us // 10**6, **kw)  # type: ignore[arg-type]
    return Interval(seconds=as_float, **kw)  # type: ignore[arg-type]


def at(seconds: Fraction, zone: dt.tzinfo = UTC) -> datetime:
    """Exact seconds since the epoch (whole µs) as an aware datetime."""
    us = seconds * 10**6
    assert us.denominator == 1
    return (EPOCH + timedelta(microseconds=int(us))).astimezone(zone)


# -- properties against the model --------------------------------------------

K = 60  # instants listed by the model


@settings(max_examples=300)
@given(st.data(), periods, anchors())
def test_rate_instants_equal_the_model(data: st.DataObject, us: int, anchor: datetime) -> None:
    sched = construct(data.draw, us, start=anchor)
    period = Fraction(us, 10**6)
    model = RateModel(anchor, period, K)
    start = seconds_of(anchor)
    # Probes from a few periods before the anchor to well inside the listed instants.
    offsets = st.integers(-3 * us, (K - 3) * us).map(lambda n: Fraction(n, 10**6))
    for offset in data.draw(st.lists(offsets, min_size=1, max_size=8)):
        probe = at(start + offset, data.draw(st.sampled_from(ZONES)))
        t = seconds_of(probe)
        got = sched.next_after(probe)
        assert got is not None and seconds_of(got) == model.next_after(t)
        assert got.tzinfo is anchor.tzinfo
        before = sched.prev_before(probe)
        want = model.prev_before(t)
        assert (None if before is None else seconds_of(before)) == want
    a, b = sorted(data.draw(st.lists(offsets, min_size=2, max_size=2)))
    assert sched.count_between(at(start + a), at(start + b)) == model.count(start + a, start + b)
    assert sched.count_between(at(start + b), at(start + a)) == 0


@settings(max_examples=150)
@given(st.data(), periods, anchors())
def test_fake_clock_walk_fires_the_model_instants(
    data: st.DataObject, us: int, anchor: datetime
) -> None:
    """A clock that ticks, stalls and steps both ways; each forward move fires (prev, now]."""
    sched = construct(data.draw, us, start=anchor)
    model = RateModel(anchor, Fraction(us, 10**6), K)
    start = seconds_of(anchor)
    moves = st.one_of(
        st.just(0),  # a stall: the clock reads the same again
        st.integers(1, us // 3 + 1),  # ordinary ticks, a fraction of a period
        st.integers(-5 * us, 5 * us),  # steps back and forward by several periods
    )
    clock = start - us * Fraction(1, 10**6)
    for move in data.draw(st.lists(moves, min_size=1, max_size=25)):
        now = min(
            max(clock + Fraction(move, 10**6), start - 3 * Fraction(us, 10**6)), model.instants[-4]
        )
        fired = []
        if now > clock:
            t = at(clock)
            while True:
                nxt = sched.next_after(t)
                assert nxt is not None
                if seconds_of(nxt) > now:
                    break
                fired.append(seconds_of(nxt))
                t = nxt
            assert sched.count_between(at(clock), at(now)) == len(fired)
        assert fired == [x for x in model.instants if clock < x <= now]
        clock = now


def test_no_drift_after_a_million_periods_of_a_tenth_of_a_second() -> None:
    sched = Interval(seconds=0.1, start=T0)
    t = T0
    for _ in range(10**6):
        nxt = sched.next_after(t)
        assert nxt is not None
        t = nxt
    assert t == T0 + timedelta(seconds=100_000)
    assert sched.count_between(T0, t) == 10**6


@example(712_999_800, datetime(2001, 9, 2, 17, 30, tzinfo=zoneinfo.ZoneInfo("Australia/Lord_Howe")))
@given(periods.filter(lambda us: us <= 86_400 * 10**6), anchors())  # 10**6 days fit in range
def test_no_drift_at_a_million_periods_for_any_period(us: int, anchor: datetime) -> None:
    sched = Interval(timedelta(microseconds=us), start=anchor)
    exact = seconds_of(anchor) + 10**6 * Fraction(us, 10**6)
    target = at(exact)
    nxt = sched.next_after(target - timedelta(microseconds=1))
    assert nxt is not None and seconds_of(nxt) == exact
    prv = sched.prev_before(target + timedelta(microseconds=1))
    # Instants, not ==: an aware time in a repeated hour never equals one of another zone
    # (PEP 495), so == would fail on a right answer that falls in a fold.
    assert prv is not None and seconds_of(prv) == exact
    assert sched.count_between(anchor - timedelta(microseconds=1), target) == 10**6 + 1


# -- examples -----------------------------------------------------------------


def test_anchor_is_the_first_instant_and_nothing_comes_before_it() -> None:
    sched = Interval(seconds=2, start=T0)
    assert sched.next_after(T0 - timedelta(hours=1)) == T0
    assert sched.next_after(T0) == T0 + timedelta(seconds=2)
    assert sched.prev_before(T0) is None
    assert sched.prev_before(T0 + timedelta(microseconds=1)) == T0
    assert sched.count_between(T0 - timedelta(days=1), T0) == 1


def test_bind_anchors_at_now_unless_started() -> None:
    now = datetime(2026, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)
    bound = Interval(seconds=5).bind(now)
    assert bound.start == now and bound.bound
    assert bound.next_after(now) == now + timedelta(seconds=5)
    assert bound.bind(now + timedelta(hours=1)) is bound  # binding again changes nothing
    started = Interval(seconds=5, start=T0)
    assert started.bind(now) is started
    assert not Interval(seconds=5).bound


def test_results_are_in_the_anchor_zone_with_the_right_fold() -> None:
    ny = zoneinfo.ZoneInfo("America/New_York")
    # 2026-11-01 01:00 EDT = 05:00 UTC; an hour later the wall shows 01:00 again (EST).
    sched = Interval(hours=1, start=datetime(2026, 11, 1, 0, 0, tzinfo=ny))
    first = sched.next_after(datetime(2026, 11, 1, 4, 30, tzinfo=UTC))
    second = sched.next_after(datetime(2026, 11, 1, 5, 30, tzinfo=UTC))
    assert first is not None and second is not None
    assert (first.hour, first.fold, second.hour, second.fold) == (1, 0, 1, 1)
    assert second.astimezone(UTC) - first.astimezone(UTC) == timedelta(hours=1)


def test_fixed_delay_first_run_then_after_run_decides() -> None:
    now = datetime(2026, 5, 1, tzinfo=UTC)
    sched = Interval(seconds=30, mode="delay").bind(now)
    first = now + timedelta(seconds=30)
    assert sched.start == first
    assert sched.next_after(now) == first
    assert sched.next_after(first) is None
    assert sched.prev_before(first + timedelta(seconds=1)) == first
    assert sched.prev_before(first) is None
    assert sched.count_between(now, first) == 1
    assert sched.count_between(first, first + timedelta(days=1)) == 0
    ended = datetime(2026, 5, 1, 0, 1, 7, 250000, tzinfo=UTC)
    assert sched.after_run(ended) == ended + timedelta(seconds=30)
    started = Interval(seconds=30, mode="delay", start=now)
    assert started.next_after(now - timedelta(seconds=1)) == now  # the first run at start
    assert Interval(seconds=30).after_run(ended) is None


def test_after_run_counts_real_time_across_dst() -> None:
    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    # 2026-03-29 02:00 CET jumps to 03:00 CEST: 01:59:50 CET + 20 s is 03:00:10 CEST.
    ended = datetime(2026, 3, 29, 1, 59, 50, tzinfo=berlin)
    nxt = Interval(seconds=20, mode="delay").after_run(ended)
    assert nxt == datetime(2026, 3, 29, 3, 0, 10, tzinfo=berlin)
    assert nxt is not None and nxt.astimezone(UTC) - ended.astimezone(UTC) == timedelta(seconds=20)


@pytest.mark.parametrize(
    ("sched", "text"),
    [
        (Interval(seconds=2), "every 2 seconds"),
        (Interval(seconds=1), "every second"),
        (Interval(milliseconds=250), "every 250 milliseconds"),
        (Interval(seconds=0.25), "every 250 milliseconds"),
        (Interval(minutes=5), "every 5 minutes"),
        (Interval(timedelta(minutes=5)), "every 5 minutes"),
        (Interval(seconds=2.5), "every 2.5 seconds"),
        (Interval(seconds=90), "every 90 seconds"),
        (Interval(hours=2), "every 2 hours"),
        (Interval(days=1), "every day"),
        (Interval(timedelta(seconds=1, microseconds=1)), "every 1000001 microseconds"),
        (Interval(seconds=2, mode="delay"), "2 seconds after each run ends"),
        (Interval(seconds=1, mode="delay"), "1 second after each run ends"),
    ],
)
def test_describe(sched: Interval, text: str) -> None:
    assert sched.describe() == text


def test_keys_carry_mode_period_and_anchor() -> None:
    assert Interval(seconds=2.5, start=T0).key == "every:2.5s@2026-01-01T00:00:00+00:00"
    berlin = datetime(2026, 1, 1, 1, 0, tzinfo=zoneinfo.ZoneInfo("Europe/Berlin"))
    assert Interval(seconds=2.5, start=berlin).key == Interval(seconds=2.5, start=T0).key
    assert Interval(milliseconds=10, start=T0).key == "every:0.01s@2026-01-01T00:00:00+00:00"
    assert Interval(minutes=1, mode="delay", start=T0).key == "delay:60s@2026-01-01T00:00:00+00:00"
    assert Interval(seconds=2).key == "every:2s@unbound"
    keys = {
        Interval(seconds=2, start=T0).key,
        Interval(seconds=3, start=T0).key,
        Interval(seconds=2, start=T0 + timedelta(microseconds=1)).key,
        Interval(seconds=2, start=T0, mode="delay").key,
    }
    assert len(keys) == 4


def test_equality_hash_repr_pickle_and_immutability() -> None:
    a = Interval(seconds=2, start=T0)
    b = Interval(milliseconds=2000, start=T0.astimezone(zoneinfo.ZoneInfo("Asia/Tokyo")))
    assert a == b and hash(a) == hash(b)
    assert a != Interval(seconds=2, start=T0, mode="delay")
    assert a != Interval(seconds=2) and Interval(seconds=2) == Interval(2)
    assert a != OneOff(T0) and a != "every:2s"
    namespace = {"Interval": Interval, "datetime": dt, "zoneinfo": zoneinfo}
    for value in [
        a,
        b,
        Interval(seconds=0.1),
        Interval(timedelta(seconds=3, microseconds=7), mode="delay"),
        Interval(
            hours=36, start=datetime(2026, 3, 29, 3, tzinfo=zoneinfo.ZoneInfo("Europe/Berlin"))
        ),
    ]:
        again = eval(repr(value), namespace)
        assert again == value and repr(again) == repr(value)
        unpickled = pickle.loads(pickle.dumps(value))
        assert unpickled == value and unpickled.start == value.start
    with pytest.raises(AttributeError):
        a._period = 5  # type: ignore[misc]
    with pytest.raises(AttributeError):
        a.extra = 1  # type: ignore[attr-defined]
    with pytest.raises(AttributeError):
        del a._mode


def test_whole_seconds_says_what_a_store_can_hold() -> None:
    assert Interval(seconds=2, start=T0).whole_seconds
    assert Interval(seconds=2).whole_seconds
    assert not Interval(seconds=2.5, start=T0).whole_seconds
    assert not Interval(seconds=2, start=T0 + timedelta(milliseconds=1)).whole_seconds
    assert OneOff(T0).whole_seconds and not OneOff(T0 + timedelta(microseconds=1)).whole_seconds


def test_the_far_end_of_the_range_has_no_instants() -> None:
    near_end = datetime(9999, 12, 31, 23, 59, 58, tzinfo=UTC)
    sched = Interval(seconds=5, start=near_end)
    assert sched.next_after(near_end) is None
    assert (
        sched.count_between(near_end - timedelta(seconds=1), datetime.max.replace(tzinfo=UTC)) == 1
    )


# -- one-off --------------------------------------------------------------------


def test_one_off_fires_once() -> None:
    when = datetime(2026, 12, 1, 9, 0, tzinfo=timezone(timedelta(hours=1)))
    once = OneOff(when)
    assert once.next_after(when - timedelta(microseconds=1)) is when
    assert once.next_after(when) is None
    assert once.prev_before(when) is None
    assert once.prev_before(when + timedelta(microseconds=1)) is when
    assert once.count_between(when - timedelta(days=1), when) == 1
    assert once.count_between(when, when + timedelta(days=1)) == 0
    assert once.after_run(when) is None
    assert once.bind(T0) is once
    assert once.key == "at:2026-12-01T08:00:00+00:00"
    assert once.describe() == "once at 2026-12-01 09:00:00+01:00"
    assert once == OneOff(when.astimezone(UTC)) and hash(once) == hash(OneOff(when.astimezone(UTC)))
    assert pickle.loads(pickle.dumps(once)) == once
    assert eval(repr(once), {"OneOff": OneOff, "datetime": dt}) == once
    with pytest.raises(AttributeError):
        once._when = T0  # type: ignore[misc]


# -- bad inputs -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({}, ValueError, "at least 10 milliseconds, got zero"),
        ({"seconds": 0}, ValueError, "at least 10 milliseconds"),
        ({"seconds": 0.009}, ValueError, "at least 10 milliseconds, got 9 milliseconds"),
        ({"milliseconds": 9.999}, ValueError, "at least 10 milliseconds"),
        ({"seconds": -1}, ValueError, "must not be negative"),
        ({"minutes": -1, "hours": 1}, ValueError, "minutes must not be negative"),
        ({"seconds": timedelta(seconds=-5)}, ValueError, "must not be negative"),
        ({"seconds": float("nan")}, ValueError, "must be finite"),
        ({"seconds": float("inf")}, ValueError, "must be finite"),
        ({"hours": float("-inf")}, ValueError, "must be finite"),
        ({"seconds": Decimal("NaN")}, ValueError, "must be finite"),
        ({"seconds": "2"}, TypeError, "seconds must be a number, not str"),
        ({"seconds": None}, TypeError, "not NoneType"),
        ({"seconds": True}, TypeError, "not bool"),
        ({"minutes": timedelta(minutes=1)}, TypeError, "minutes must be a number"),
        ({"seconds": 1e-7 + 1}, ValueError, "whole number of microseconds"),
        ({"seconds": Fraction(1, 3)}, ValueError, "whole number of microseconds"),
        ({"days": 10**10}, ValueError, "fit in a timedelta"),
        ({"seconds": 1, "mode": "fixed"}, ValueError, "mode must be one of 'rate', 'delay'"),
        ({"seconds": 1, "mode": None}, ValueError, "mode must be one of"),
        ({"seconds": 1, "start": datetime(2026, 1, 1)}, TypeError, "start must be an aware"),
        ({"seconds": 1, "start": "2026-01-01"}, TypeError, "start must be a datetime"),
    ],
)
def test_bad_construction_is_refused_clearly(
    kwargs: dict[str, object], error: type[Exception], words: str
) -> None:
    with pytest.raises(error) as info:
        Interval(**kwargs)  # type: ignore[arg-type]
    assert words in str(info.value)


def test_bad_arguments_to_the_methods_are_refused_clearly() -> None:
    naive = datetime(2026, 1, 1)
    with pytest.raises(ValueError, match=r"no anchor yet: give it start=\.\.\. or call \.bind"):
        Interval(seconds=2).next_after(T0)
    with pytest.raises(ValueError, match="no anchor yet"):
        Interval(seconds=2).count_between(T0, T0)
    with pytest.raises(ValueError, match="no anchor yet"):
        Interval(seconds=2, mode="delay").prev_before(T0)
    bound = Interval(seconds=2, start=T0)
    for call in (bound.next_after, bound.prev_before, bound.after_run, Interval(1).bind):
        with pytest.raises(TypeError, match="must be an aware datetime"):
            call(naive)
        with pytest.raises(TypeError, match="must be a datetime, not float"):
            call(1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="b must be an aware"):
        bound.count_between(T0, naive)
    with pytest.raises(TypeError, match="when must be an aware datetime"):
        OneOff(naive)
    with pytest.raises(TypeError, match="when must be a datetime, not int"):
        OneOff(5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="t must be an aware"):
        OneOff(T0).next_after(naive)


def test_they_are_schedules_the_timer_takes_as_they_are() -> None:
    from cronsec._schedule import Schedule, as_schedule

    for value in (Interval(seconds=2, start=T0), Interval(seconds=2, mode="delay"), OneOff(T0)):
        assert isinstance(value, Schedule)
        assert as_schedule(value, None) is value
