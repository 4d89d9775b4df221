"""cronsec beside croniter and cronsim (test-only dependencies).

Where the three agree (SPEC 2's rule coincides with Vixie's and croniter's when a
day field is either `*` or a restricted list that does not start with `*`), a
differential property compares their fire times. Where cronsec differs on
purpose (SPEC 7 and 8.7), a named test pins the peer's answer next to cronsec's,
so the docs' claims about the peers stay true.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import islice

import pytest
from croniter import CroniterBadDateError, croniter
from cronsim import CronSim, CronSimError
from hypothesis import given, settings
from hypothesis import strategies as st

from cronsec import CronError, CronExpr

MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]


@st.composite
def _plain_item(draw: st.DrawFn, low: int, high: int, names: list[str] | None = None) -> str:
    """`a`, `a-b` (a <= b) or `a-b/n`, as numbers or names; never the whole field."""
    a = draw(st.integers(low, high))
    b = draw(st.integers(a, high))

    def show(v: int) -> str:
        if names and draw(st.booleans()):
            name = names[v - (1 if names is MONTHS else 0)]
            return name.upper() if draw(st.booleans()) else name
        return str(v)

    kind = draw(st.sampled_from(["value", "range", "step"]))
    if kind == "value" or a == b:
        return show(a)
    if kind == "range":
        return f"{show(a)}-{show(b)}"
    return f"{show(a)}-{show(b)}/{draw(st.integers(1, 4))}"


def _field(low: int, high: int, names: list[str] | None = None) -> st.SearchStrategy[str]:
    listed = st.lists(_plain_item(low, high, names), min_size=1, max_size=3).map(",".join)
    return st.one_of(st.just("*"), st.integers(1, 20).map(lambda n: f"*/{n}"), listed)


@st.composite
def shared_expressions(draw: st.DrawFn) -> tuple[str, bool]:
    """A five-field expression all three read alike; and whether croniter may join in."""
    minute = draw(_field(0, 59))
    hour = draw(_field(0, 23))
    month = draw(_field(1, 12, MONTHS))
    # Day fields: `*`, or a restricted list (days 1-28 never cover a whole month;
    # weekdays 1-5 never the whole week) so "restricted" means the same to all three.
    dom = draw(
        st.one_of(
            st.just("*"),
            st.lists(st.one_of(_plain_item(1, 28), st.just("L")), min_size=1, max_size=3).map(
                ",".join
            ),
        )
    )
    dow = draw(
        st.one_of(
            st.just("*"),
            st.lists(_plain_item(1, 5, DAYS), min_size=1, max_size=3).map(",".join),
            st.tuples(st.integers(0, 6), st.integers(1, 4)).map(lambda p: f"{p[0]}#{p[1]}"),
        )
    )
    # croniter lets `#` suppress a restricted day-of-month (SPEC 8.7): leave it out there.
    croniter_ok = not ("#" in dow and dom != "*")
    return f"{minute} {hour} {dom} {month} {dow}", croniter_ok


starts = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 12, 31)).map(
    lambda t: t.replace(microsecond=0)
)


@settings(max_examples=150)
@given(shared_expressions(), starts)
def test_next_agrees_with_cronsim_and_croniter(case: tuple[str, bool], start: datetime) -> None:
    text, croniter_ok = case
    ours = list(islice(CronExpr(text).iter(start), 5))
    assert list(islice(CronSim(text, start), 5)) == ours, text
    if croniter_ok:
        it = croniter(text, start)
        assert [it.get_next(datetime) for _ in range(5)] == ours, text


@settings(max_examples=100)
@given(shared_expressions(), starts.map(lambda t: t.replace(second=0)))
def test_prev_agrees_with_cronsim(case: tuple[str, bool], start: datetime) -> None:
    # Whole minutes: cronsim 2.6 (the last for Python < 3.11) steps back a minute too far
    # from a start with seconds; prev with seconds is checked against tests/model.py.
    text, _ = case
    ours = list(islice(CronExpr(text).iter(start, reverse=True), 5))
    assert list(islice(CronSim(text, start, reverse=True), 5)) == ours, text


# -- deliberate differences (SPEC 7 and 8.7), each with the peer's answer -----

APRIL = datetime(2026, 4, 1)


def _croniter_next(text: str, start: datetime, n: int = 3) -> list[datetime]:
    it = croniter(text, start)
    return [it.get_next(datetime) for _ in range(n)]


def _ours(text: str, start: datetime, n: int = 3) -> list[datetime]:
    return list(islice(CronExpr(text).iter(start), n))


def test_both_day_fields_with_hash_or_in_cronsec_and_cronsim_croniter_finds_nothing() -> None:
    # `0 0 1 * 5#3`: the 1st and the third Friday. croniter lets `#` suppress the 1st.
    expected = [datetime(2026, 4, 17), datetime(2026, 5, 1), datetime(2026, 5, 15)]
    assert _ours("0 0 0 1 * 5#3", APRIL) == expected
    assert list(islice(CronSim("0 0 1 * 5#3", APRIL), 3)) == expected
    with pytest.raises(CroniterBadDateError):
        _croniter_next("0 0 1 * 5#3", APRIL)


def test_31w_skips_30_day_months_where_croniter_clamps_to_the_30th() -> None:
    # April 2026 has no 31st: cronsec does not fire in April; croniter fires on the 30th.
    assert _ours("0 0 0 31W * *", APRIL, 1) == [datetime(2026, 5, 29)]
    assert _croniter_next("0 0 31W * *", APRIL, 1) == [datetime(2026, 4, 30)]


def test_croniter_spellings_l5_and_w15_are_errors_that_name_the_right_spelling() -> None:
    # croniter reads `L5` as the last Friday and `W15` as 15W; cronsec has one spelling each.
    assert _croniter_next("0 0 * * L5", APRIL, 1) == [datetime(2026, 4, 24)]
    assert _croniter_next("0 0 W15 * *", APRIL, 1) == [datetime(2026, 4, 15)]
    with pytest.raises(CronError, match="5L"):
        CronExpr("0 0 0 * * L5")
    with pytest.raises(CronError, match="15W"):
        CronExpr("0 0 0 W15 * *")
    assert _ours("0 0 0 * * 5L", APRIL, 1) == [datetime(2026, 4, 24)]


def test_weekday_digits_in_dl_are_cron_numbers_like_cronsim() -> None:
    # `6L` is the last Saturday (Quartz would read the last Friday); cronsim agrees.
    expected = [datetime(2026, 4, 25), datetime(2026, 5, 30), datetime(2026, 6, 27)]
    assert _ours("0 0 0 * * 6L", APRIL) == expected
    assert list(islice(CronSim("0 0 * * 6L", APRIL), 3)) == expected
    assert all(d.weekday() == 5 and (d + timedelta(days=7)).month != d.month for d in expected)


def test_restricted_is_decided_from_the_set_not_the_text() -> None:
    # `1-31` is the whole field, so only the Mondays count; both peers fire every day.
    mondays = [datetime(2026, 4, 6), datetime(2026, 4, 13), datetime(2026, 4, 20)]
    every_day = [datetime(2026, 4, 2), datetime(2026, 4, 3), datetime(2026, 4, 4)]
    assert _ours("0 0 0 1-31 * 1", APRIL) == mondays
    assert list(islice(CronSim("0 0 1-31 * 1", APRIL), 3)) == every_day
    assert _croniter_next("0 0 1-31 * 1", APRIL) == every_day


def test_a_star_step_is_restricted_where_cronsim_ands_it() -> None:
    # `*/2` is the odd days: OR-ed with Mondays (croniter agrees); Vixie/cronsim AND them.
    ours = _ours("0 0 0 */2 * 1", APRIL)
    assert ours == [datetime(2026, 4, 3), datetime(2026, 4, 5), datetime(2026, 4, 6)]
    assert _croniter_next("0 0 */2 * 1", APRIL) == ours
    assert list(islice(CronSim("0 0 */2 * 1", APRIL), 3)) == [
        datetime(2026, 4, 13),
        datetime(2026, 4, 27),
        datetime(2026, 5, 11),
    ]


def test_wrapping_ranges_where_cronsim_refuses_them() -> None:
    expected = [datetime(2026, 4, 1, 1), datetime(2026, 4, 1, 2), datetime(2026, 4, 1, 22)]
    assert _ours("0 0 22-2 * * *", APRIL) == expected
    assert _croniter_next("0 22-2 * * *", APRIL) == expected
    with pytest.raises(CronSimError):
        CronSim("0 22-2 * * *", APRIL)
