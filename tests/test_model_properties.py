"""CronExpr (naive datetimes) against the brute-force model in tests/model.py.

Every property compares the engine with the model. The model walks a bounded
number of days; when it finds nothing within the bound it says so (Unknown), and
the engine's answer must then lie beyond that bound, so no case goes unchecked.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from itertools import islice

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cronsec import CronError, CronExpr

try:
    from model import END, Unknown, cron_weekday, model, model_match, model_next, model_prev
    from strategies_local import DOM_EDGES, DOW_EDGES, MONTH_EDGES, expressions, start_times
except ImportError:  # tests/ imported as a package
    from tests.model import END, Unknown, cron_weekday, model, model_match, model_next, model_prev
    from tests.strategies_local import (
        DOM_EDGES,
        DOW_EDGES,
        MONTH_EDGES,
        expressions,
        start_times,
    )

MAX_DAYS = 1500
SETTINGS = settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@st.composite
def cases(draw: st.DrawFn, special: bool = True) -> tuple[str, datetime]:
    t = draw(start_times())
    text = draw(expressions(near_year=t.year, special=special))
    return text, t


def build(text: str) -> CronExpr | None:
    """The engine's expression, or None after checking that a never-firing one is refused."""
    if not model(text).ever_fires():
        with pytest.raises(CronError) as info:
            CronExpr(text)
        assert info.value.field in ("day-of-month", "day-of-week"), (text, info.value.field)
        return None
    return CronExpr(text)


def check_next(text: str, e: CronExpr, t: datetime, max_days: int = MAX_DAYS) -> object:
    expected = model_next(text, t, max_days)
    if expected == END:
        with pytest.raises(OverflowError):
            e.next(t)
    elif isinstance(expected, Unknown):
        try:
            got = e.next(t)
        except OverflowError:
            return expected
        assert got > t and model_match(text, got), (text, t, got)
        assert got.date() >= expected.frontier, (text, t, got, expected.frontier)
    else:
        assert e.next(t) == expected, (text, t)
    return expected


def check_prev(text: str, e: CronExpr, t: datetime, max_days: int = MAX_DAYS) -> object:
    expected = model_prev(text, t, max_days)
    if expected == END:
        with pytest.raises(OverflowError):
            e.prev(t)
    elif isinstance(expected, Unknown):
        try:
            got = e.prev(t)
        except OverflowError:
            return expected
        assert got < t and model_match(text, got), (text, t, got)
        assert got.date() <= expected.frontier, (text, t, got, expected.frontier)
    else:
        assert e.prev(t) == expected, (text, t)
    return expected


@SETTINGS
@given(cases())
def test_next_agrees_with_model(case: tuple[str, datetime]) -> None:
    text, t = case
    e = build(text)
    if e is not None:
        check_next(text, e, t)


@SETTINGS
@given(cases())
def test_prev_agrees_with_model(case: tuple[str, datetime]) -> None:
    text, t = case
    e = build(text)
    if e is not None:
        check_prev(text, e, t)


@st.composite
def rare_cases(draw: st.DrawFn) -> tuple[str, datetime]:
    """Day fields some months lack, in few months: rare or never-firing expressions."""
    t = draw(start_times())
    dom = draw(st.sampled_from(["*", "?", *DOM_EDGES]))
    dow = draw(st.sampled_from(["*", "?", *DOW_EDGES]))
    month = draw(st.sampled_from(MONTH_EDGES))
    fields = ["0", "0", "0", dom, month, dow]
    if draw(st.booleans()):
        y = min(max(t.year, 1970), 9999)
        lo = draw(st.integers(max(1970, y - 20), min(9999, y + 20)))
        fields.append(f"{lo}-{draw(st.integers(lo, min(9999, lo + 30)))}")
    return " ".join(fields), t


@settings(SETTINGS, max_examples=200)
@given(rare_cases())
def test_rare_and_never_firing_days(case: tuple[str, datetime]) -> None:
    """Never-firing expressions are refused; rare ones are found however far away."""
    text, t = case
    e = build(text)
    if e is not None:
        check_next(text, e, t, max_days=12000)
        check_prev(text, e, t, max_days=12000)


def _model_chain(text: str, t: datetime, k: int, reverse: bool) -> tuple[list[datetime], object]:
    out: list[datetime] = []
    cur = t
    last: object = None
    for _ in range(k):
        last = model_prev(text, cur, MAX_DAYS) if reverse else model_next(text, cur, MAX_DAYS)
        if not isinstance(last, datetime):
            break
        out.append(last)
        cur = last
    return out, last


@settings(SETTINGS, max_examples=150)
@given(cases(), st.booleans(), st.integers(1, 6))
def test_iter_agrees_with_model(case: tuple[str, datetime], reverse: bool, k: int) -> None:
    text, t = case
    e = build(text)
    if e is None:
        return
    expected, last = _model_chain(text, t, k, reverse)
    got = list(islice(e.iter(t, reverse=reverse), k))
    if len(expected) == k or last == END:
        assert got == expected, (text, t, reverse)
        return
    assert isinstance(last, Unknown)
    assert got[: len(expected)] == expected, (text, t, reverse)
    if len(got) > len(expected):
        beyond = got[len(expected)]
        assert model_match(text, beyond)
        if reverse:
            assert beyond.date() <= last.frontier, (text, t, beyond)
        else:
            assert beyond.date() >= last.frontier, (text, t, beyond)


@SETTINGS
@given(cases(), st.sampled_from([-1, 0, 1]))
def test_match_agrees_with_model(case: tuple[str, datetime], shift: int) -> None:
    text, t = case
    e = build(text)
    if e is None:
        return
    assert e.match(t) == model_match(text, t), (text, t)
    whole = t.replace(microsecond=0)
    assert e.match(whole) == model_match(text, whole), (text, whole)
    # around a real fire time, when the model knows one nearby
    fire = model_next(text, t, 60)
    if isinstance(fire, datetime):
        assert e.match(fire), (text, fire)
        try:
            other = fire + timedelta(seconds=shift)
        except OverflowError:
            return
        assert e.match(other) == model_match(text, other), (text, other)
        assert not e.match(fire.replace(microsecond=1)), (text, fire)


@SETTINGS
@given(cases())
def test_next_then_prev_round_trip(case: tuple[str, datetime]) -> None:
    """prev(next(t)) is the latest fire time before next(t): the model's answer too."""
    text, t = case
    e = build(text)
    if e is None:
        return
    try:
        n = e.next(t)
    except OverflowError:
        expected = model_next(text, t, MAX_DAYS)
        assert expected == END or isinstance(expected, Unknown), (text, t, expected)
        return
    assert e.match(n) and model_match(text, n), (text, n)
    check_prev(text, e, n)
    check_next(text, e, n)


def _explicit(values: frozenset[int]) -> str:
    return ",".join(str(v) for v in sorted(values))


@settings(SETTINGS, max_examples=150)
@given(cases(special=False))
def test_equal_meaning_means_equal(case: tuple[str, datetime]) -> None:
    """An expression equals (and hashes like) its sets written out value by value."""
    text, _ = case
    e = build(text)
    if e is None:
        return
    m = model(text)
    january = [date(2000, 1, d) for d in range(1, 32)]  # ordinary items: the day number decides
    dom = {d.day for d in january if m.dom.matches(d)}
    dow = {cron_weekday(d) for d in january[:7] if m.dow.matches(d)}
    fields = [
        _explicit(m.seconds),
        _explicit(m.minutes),
        _explicit(m.hours),
        _explicit(frozenset(dom)) if m.dom.restricted else "*",
        _explicit(m.months),
        _explicit(frozenset(dow)) if m.dow.restricted else "*",
    ]
    if m.years is not None:
        if len(m.years) > 40:
            return
        fields.append(_explicit(m.years))
    other = CronExpr(" ".join(fields))
    assert e == other, (text, other.text)
    assert hash(e) == hash(other), (text, other.text)
    assert other == e
    # and a different expression is not equal (shift the seconds set by one)
    shifted = frozenset((s + 1) % 60 for s in m.seconds)
    if shifted != m.seconds:
        assert e != CronExpr(" ".join([_explicit(shifted), *fields[1:]])), text
