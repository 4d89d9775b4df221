"""Iteration that steps within a minute, and searches that end at once: against models.

Dense expressions are iterated for hundreds of items and compared with every
second the brute-force model (tests/model.py) says matches; sparse ones with the
model's next/prev chain. Year fields that have passed end every search at once,
naive or aware, and say which year was the last.
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime, timedelta
from itertools import islice

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cronsec import CronExpr

try:
    from model import END, model
    from strategies_local import expressions, start_times
except ImportError:  # tests/ imported as a package
    from tests.model import END, model
    from tests.strategies_local import expressions, start_times

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SECOND = timedelta(seconds=1)


@st.composite
def dense(draw: st.DrawFn) -> str:
    """Many fires a minute: a second field of steps, lists or ranges, most minutes and days."""
    second = draw(st.sampled_from(["*", "*/2", "*/7", "5-50/3", "50-10", "0,1,2,30,59", "*/30"]))
    minute = draw(st.sampled_from(["*", "*/3", "58-2"]))
    days = draw(st.sampled_from(["* * *", "* * 1-5", "1-31 * 1,3,5"]))
    return f"{second} {minute} * {days}"


def brute(text: str, t: datetime, n: int, up: bool) -> list[datetime]:
    """The first n matching seconds after (before) t, one second at a time."""
    m, out = model(text), []
    s = t.replace(microsecond=0)
    if not up and t.microsecond:
        s += SECOND
    step = SECOND if up else -SECOND
    s += step
    while len(out) < n:
        if m.match(s):
            out.append(s)
        s += step
    return out


def first_second(text: str, t: datetime, up: bool) -> datetime:
    """Where the brute force may start: the model's next (prev) fire, a second aside."""
    r = model(text).next(t, 3000) if up else model(text).prev(t, 3000)
    assert isinstance(r, datetime), (text, t, r)
    return r - SECOND if up else r + SECOND


@SETTINGS
@given(
    dense(),
    st.datetimes(datetime(1990, 1, 1), datetime(2060, 1, 1)),
    st.booleans(),
)
def test_dense_iteration_is_every_matching_second(text: str, t: datetime, up: bool) -> None:
    got = list(islice(CronExpr(text).iter(t, reverse=not up), 200))
    start = first_second(text, t, up)
    want = [r for r in brute(text, start, 200, up) if (r > t if up else r < t)]
    assert got[: len(want)] == want[: len(got)] and len(got) == 200, text


@SETTINGS
@given(expressions(special=True), start_times(), st.booleans())
def test_iteration_is_the_chain_of_next(text: str, t: datetime, up: bool) -> None:
    m = model(text)
    if not m.ever_fires():
        return
    e = CronExpr(text)
    got = list(islice(e.iter(t, reverse=not up), 30))
    x, want = t, []
    for _ in range(30):
        try:
            x = e.next(x) if up else e.prev(x)
        except OverflowError:
            break
        want.append(x)
    assert got == want
    for r in got[:5]:  # and the chain is the model's
        assert m.match(r)


# A few fires a day or a month: the walk crosses days, months and years in 60 items.
MONTHLY = st.sampled_from(
    [
        "0 0 9 * * mon-fri",
        "0 30 23 L,1 * *",
        "59 59 23 * * *",
        "0,30 0 0 * * 1",
        "0 0 0 LW,15 * *",
        "*/20 0 0,12 28-31 2 *",
        "0 0 0 29 2 *",
        "0 0 12 * * MON 2027-2030",
        "5 5 5,23 1-3 * 0",
        "0 0 0 1 1 *",
    ]
)


@SETTINGS
@given(st.one_of(MONTHLY, expressions(special=True)), start_times(), st.booleans())
def test_iteration_across_months_is_the_model_s_chain(text: str, t: datetime, up: bool) -> None:
    m = model(text)
    if not m.ever_fires():
        return
    got = list(islice(CronExpr(text).iter(t, reverse=not up), 60))
    want: list[datetime] = []
    x, ended = t, False
    while len(want) < 60:
        r = m.next(x, 3000) if up else m.prev(x, 3000)
        if r == END:
            ended = True
            break
        if not isinstance(r, datetime):  # the model gave up: compare what it found
            break
        want.append(r)
        x = r
    assert got[: len(want)] == want, text
    if ended:
        assert len(got) == len(want), text


def test_iter_checks_its_start_at_the_call() -> None:
    e = CronExpr("* * * * * *")
    with pytest.raises(TypeError, match="expected a datetime"):
        e.iter(5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="bound to a zone"):
        CronExpr("* * * * * *", tz="UTC").iter(datetime(2026, 1, 1))


def test_iteration_ends_with_the_range_and_the_year_field() -> None:
    e = CronExpr("*/20 * * * * *")
    assert list(e.iter(datetime(9999, 12, 31, 23, 59, 0))) == [
        datetime(9999, 12, 31, 23, 59, 20),
        datetime(9999, 12, 31, 23, 59, 40),
    ]
    assert list(e.iter(datetime(1, 1, 1, 0, 0, 30), reverse=True)) == [
        datetime(1, 1, 1, 0, 0, 20),
        datetime(1, 1, 1, 0, 0, 0),
    ]
    y = CronExpr("0,30 0 0 1 1 * 2027,2029")
    assert list(y.iter(datetime(2026, 1, 1))) == [
        datetime(2027, 1, 1),
        datetime(2027, 1, 1, 0, 0, 30),
        datetime(2029, 1, 1),
        datetime(2029, 1, 1, 0, 0, 30),
    ]


ZONES = ["America/New_York", "Australia/Lord_Howe", "Europe/Dublin", "UTC"]


def zones() -> list[object]:
    out: list[object] = [zoneinfo.ZoneInfo(k) for k in ZONES]
    try:
        from dateutil import tz
    except ImportError:  # dateutil is a test dependency; without it the zoneinfo cases run
        return out
    return out + [tz.gettz(k) for k in ZONES]


@pytest.mark.parametrize("zone", zones(), ids=lambda z: repr(z))
def test_a_passed_year_ends_the_search_at_once_and_names_the_year(zone: object) -> None:
    e = CronExpr("0 0 0 1 1 * 2020")
    t = datetime(2026, 6, 1, 12, tzinfo=zone)  # type: ignore[arg-type]
    with pytest.raises(OverflowError, match="the year field allows no year after 2020"):
        e.next(t)
    with pytest.raises(OverflowError, match="the year field allows no year after 2020"):
        e.next(t.replace(tzinfo=None))
    assert e.prev(t) == datetime(2020, 1, 1, tzinfo=zone)  # type: ignore[arg-type]
    assert list(e.iter(t)) == []
    later = CronExpr("0 0 0 1 1 * 2030-2032")
    with pytest.raises(OverflowError, match="the year field allows no year before 2030"):
        later.prev(t)
    assert later.match(t) is False


@pytest.mark.parametrize("zone", zones(), ids=lambda z: repr(z))
@pytest.mark.parametrize("year", [2100, 2401, 7777, 9999])
def test_far_years_in_a_zone_are_the_model_s_wall_times(zone: object, year: int) -> None:
    # Noon on the first Monday of June: no zone here changes its offset near it.
    e = CronExpr(f"0 0 12 * 6 MON#1 {year}")
    t = datetime(2026, 6, 1, 12, tzinfo=zone)  # type: ignore[arg-type]
    want = model(e.text).next(datetime(year, 1, 1), 400)
    assert isinstance(want, datetime)
    got = e.next(t)
    assert got.replace(tzinfo=None) == want and got.tzinfo is zone
    assert got.utcoffset() == want.replace(tzinfo=zone).utcoffset()  # type: ignore[arg-type]
    assert e.prev(got + SECOND) == got and e.match(got)
    assert e.prev(datetime(9999, 12, 30, tzinfo=zone)) == got  # type: ignore[arg-type]
