"""Example tests for SPEC sections 1, 2, 3, 6 and 8 (naive datetimes), one behaviour each.

Calendar facts used below: 2026-01-01 is a Thursday, 2026-01-04 a Sunday,
2026-02-01 a Sunday, 2026-08-01 a Saturday, 2026-11-15 a Sunday, 2025-11-30 a
Sunday, 2026-05-31 a Sunday. Each expected list is also checked against the
brute-force model (tests/model.py), so the examples pin the model too.
"""

from __future__ import annotations

import pickle
from datetime import date, datetime, timedelta
from itertools import islice, takewhile

import pytest

from cronsec import CronError, CronExpr

try:
    from model import END, cron_weekday, model_match, model_next, model_prev
except ImportError:  # tests/ imported as a package
    from tests.model import END, cron_weekday, model_match, model_next, model_prev

D = datetime


def firsts(text: str, start: datetime, n: int, reverse: bool = False) -> list[datetime]:
    """The first n fire times from start, checked against the model, then returned."""
    got = list(islice(CronExpr(text).iter(start, reverse=reverse), n))
    expected: list[datetime] = []
    t = start
    for _ in range(n):
        r = model_prev(text, t, 40000) if reverse else model_next(text, t, 40000)
        if not isinstance(r, datetime):
            break
        expected.append(r)
        t = r
    assert got == expected, f"engine and model disagree on {text!r} from {start}"
    return got


def between(text: str, start: datetime, end: datetime) -> list[datetime]:
    """Fire times in [start, end), engine and model agreeing."""
    e = CronExpr(text)
    got = list(takewhile(lambda t: t < end, e.iter(start - timedelta(microseconds=1))))
    n = len(got) + 1
    assert firsts(text, start - timedelta(microseconds=1), n)[: len(got)] == got
    return got


def days(*ymd: tuple[int, int, int]) -> list[datetime]:
    return [D(y, m, d) for y, m, d in ymd]


def seconds_of(field: str) -> list[int]:
    return [t.second for t in between(f"{field} * * * * *", D(2026, 1, 1), D(2026, 1, 1, 0, 1))]


def minutes_of(field: str) -> list[int]:
    return [t.minute for t in between(f"0 {field} * * * *", D(2026, 1, 1), D(2026, 1, 1, 1))]


def hours_of(field: str) -> list[int]:
    return [t.hour for t in between(f"0 0 {field} * * *", D(2026, 1, 1), D(2026, 1, 2))]


def doms_of(field: str) -> list[int]:
    return [t.day for t in between(f"0 0 0 {field} * *", D(2026, 1, 1), D(2026, 2, 1))]


def months_of(field: str) -> list[int]:
    return [t.month for t in between(f"0 0 0 1 {field} *", D(2026, 1, 1), D(2027, 1, 1))]


def weekdays_of(field: str) -> list[int]:
    """Cron weekday numbers (Sunday 0) of the week Sunday 2026-01-04 .. Saturday 01-10."""
    return [cron_weekday(t) for t in between(f"0 0 0 * * {field}", D(2026, 1, 4), D(2026, 1, 11))]


# ---------------------------------------------------------------- model sanity


def test_model_knows_the_calendar_facts_used_here() -> None:
    assert date(2026, 1, 1).weekday() == 3  # Thursday
    assert cron_weekday(date(2026, 1, 4)) == 0
    assert model_match("0 0 0 L * *", D(2024, 2, 29))
    assert not model_match("0 0 0 L * *", D(2024, 2, 28))
    assert model_match("0 0 0 ? * 5L", D(2026, 1, 30))
    assert model_next("* * * * * *", D(9999, 12, 31, 23, 59, 59)) == END
    assert model_prev("* * * * * *", D(1, 1, 1)) == END


# ---------------------------------------------------------------- section 1: grammar


def test_five_fields_mean_second_zero() -> None:
    assert firsts("*/15 * * * *", D(2026, 1, 1, 0, 0, 30), 2) == [
        D(2026, 1, 1, 0, 15),
        D(2026, 1, 1, 0, 30),
    ]
    assert CronExpr("*/15 * * * *") == CronExpr("0 */15 * * * *")


def test_six_fields_start_with_seconds() -> None:
    assert firsts("*/20 * * * * *", D(2026, 1, 1), 3) == [
        D(2026, 1, 1, 0, 0, 20),
        D(2026, 1, 1, 0, 0, 40),
        D(2026, 1, 1, 0, 1, 0),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "0  30 9 * * 1",
        "0\t30\t9\t*\t*\t1",
        "  0 30 9 * * 1",
        "0 30 9 * * 1  ",
        "\t0 \t 30  \t9 * * 1\t",
    ],
)
def test_fields_split_on_runs_of_spaces_and_tabs(text: str) -> None:
    e = CronExpr(text)
    assert e == CronExpr("0 30 9 * * 1")
    assert e.next(D(2026, 1, 1)) == D(2026, 1, 5, 9, 30)
    assert e.text == text


def test_star_is_every_value() -> None:
    assert seconds_of("*") == list(range(60))
    assert hours_of("*") == list(range(24))
    assert doms_of("*") == list(range(1, 32))
    assert months_of("*") == list(range(1, 13))
    assert weekdays_of("*") == [0, 1, 2, 3, 4, 5, 6]


def test_ranges_are_inclusive() -> None:
    assert minutes_of("10-14") == [10, 11, 12, 13, 14]
    assert doms_of("30-31") == [30, 31]
    assert months_of("11-12") == [11, 12]
    assert weekdays_of("1-5") == [1, 2, 3, 4, 5]


def test_hour_range_22_2_wraps_around_midnight() -> None:
    assert sorted(hours_of("22-2")) == [0, 1, 2, 22, 23]


def test_day_of_week_fri_mon_wraps_over_the_weekend() -> None:
    assert sorted(weekdays_of("FRI-MON")) == [0, 1, 5, 6]


def test_second_range_50_10_wraps_around_the_minute() -> None:
    assert seconds_of("50-10") == [*range(11), *range(50, 60)]


def test_wrapping_month_and_day_of_month_ranges() -> None:
    assert months_of("NOV-FEB") == [1, 2, 11, 12]
    assert doms_of("28-3") == [1, 2, 3, 28, 29, 30, 31]


def test_star_step_takes_every_nth_value_from_the_first() -> None:
    assert seconds_of("*/15") == [0, 15, 30, 45]
    assert hours_of("*/7") == [0, 7, 14, 21]
    assert doms_of("*/10") == [1, 11, 21, 31]
    assert months_of("*/5") == [1, 6, 11]


def test_range_step_0_23_5_hours() -> None:
    assert hours_of("0-23/5") == [0, 5, 10, 15, 20]


def test_wrapped_range_step_22_6_3_hours() -> None:
    assert sorted(hours_of("22-6/3")) == [1, 4, 22]


def test_value_step_runs_to_the_end_of_the_field() -> None:
    assert minutes_of("5/20") == [5, 25, 45]
    assert doms_of("20/5") == [20, 25, 30]


def test_day_of_week_value_step_ends_on_saturday() -> None:
    assert weekdays_of("3/2") == [3, 5]  # Wed, Fri


def test_step_larger_than_its_range_yields_the_first_value() -> None:
    assert minutes_of("10-20/30") == [10]
    assert seconds_of("*/60") == [0]
    assert hours_of("22-2/100") == [22]
    assert weekdays_of("2/9") == [2]


def test_day_of_week_7_is_sunday() -> None:
    assert weekdays_of("7") == [0]
    assert CronExpr("0 0 0 * * 7") == CronExpr("0 0 0 * * 0")


def test_day_of_week_5_7_is_fri_sat_sun() -> None:
    assert sorted(weekdays_of("5-7")) == [0, 5, 6]


def test_day_of_week_1_7_step_2_is_mon_wed_fri_sun() -> None:
    assert sorted(weekdays_of("1-7/2")) == [0, 1, 3, 5]


def test_wrapping_day_of_week_step_counts_sunday_once() -> None:
    assert sorted(weekdays_of("FRI-MON/2")) == [0, 5]  # Fri, Sun
    assert sorted(weekdays_of("SAT-TUE/2")) == [1, 6]  # Sat, Mon


def test_day_of_week_range_or_step_starting_at_7_starts_at_sunday() -> None:
    assert weekdays_of("7-2") == [0, 1, 2]
    assert weekdays_of("7/2") == [0, 2, 4, 6]
    assert CronExpr("0 0 0 * * 7/2") == CronExpr("0 0 0 * * 0/2")


@pytest.mark.parametrize(
    ("text", "same"),
    [
        ("0 0 0 * * MON-FRI", "0 0 0 * * 1-5"),
        ("0 0 0 * * mon-fri", "0 0 0 * * 1-5"),
        ("0 0 0 * * Mon-fRi", "0 0 0 * * 1-5"),
        ("0 0 0 1 JAN/3 *", "0 0 0 1 1,4,7,10 *"),
        ("0 0 0 1 jan-mar *", "0 0 0 1 1-3 *"),
        ("0 0 0 1 DEC *", "0 0 0 1 12 *"),
        ("0 0 0 * * SUN", "0 0 0 * * 0"),
        ("0 0 0 * * sat,SUN", "0 0 0 * * 6,0"),
        ("0 0 0 1 OCT-FEB/2 *", "0 0 0 1 10,12,2 *"),
    ],
)
def test_names_work_wherever_numbers_do_in_any_case(text: str, same: str) -> None:
    assert CronExpr(text) == CronExpr(same)
    assert firsts(text, D(2026, 1, 1), 5) == firsts(same, D(2026, 1, 1), 5)


def test_month_names_select_months() -> None:
    assert months_of("JAN/3") == [1, 4, 7, 10]


@pytest.mark.parametrize(
    ("macro", "same"),
    [
        ("@yearly", "0 0 0 1 1 *"),
        ("@annually", "0 0 0 1 1 *"),
        ("@monthly", "0 0 0 1 * *"),
        ("@weekly", "0 0 0 * * 0"),
        ("@daily", "0 0 0 * * *"),
        ("@midnight", "0 0 0 * * *"),
        ("@hourly", "0 0 * * * *"),
        ("@YEARLY", "0 0 0 1 1 *"),
        ("@Daily", "0 0 0 * * *"),
        ("  @hourly\t", "0 0 * * * *"),
    ],
)
def test_macros_mean_their_expansion(macro: str, same: str) -> None:
    assert CronExpr(macro) == CronExpr(same)
    assert hash(CronExpr(macro)) == hash(CronExpr(same))
    assert firsts(macro, D(2026, 3, 15, 13, 30), 3) == firsts(same, D(2026, 3, 15, 13, 30), 3)
    assert CronExpr(macro).text == macro


def test_macro_fire_times() -> None:
    assert firsts("@yearly", D(2026, 3, 1), 2) == [D(2027, 1, 1), D(2028, 1, 1)]
    assert firsts("@monthly", D(2026, 3, 1), 2) == [D(2026, 4, 1), D(2026, 5, 1)]
    assert firsts("@weekly", D(2026, 1, 1), 2) == [D(2026, 1, 4), D(2026, 1, 11)]
    assert firsts("@daily", D(2026, 1, 1, 5), 2) == [D(2026, 1, 2), D(2026, 1, 3)]
    assert firsts("@hourly", D(2026, 1, 1, 5, 1), 2) == [D(2026, 1, 1, 6), D(2026, 1, 1, 7)]


def test_never_firing_expressions_are_refused_at_construction() -> None:
    for text in ("0 0 0 30 2 *", "0 0 0 31 2 *", "0 0 0 31 4 *", "0 0 0 31 4,6,9,11 *"):
        with pytest.raises(CronError):
            CronExpr(text)


def test_cron_error_is_a_value_error() -> None:
    assert issubclass(CronError, ValueError)
    with pytest.raises(ValueError):
        CronExpr("61 * * * * *")


def test_day_31_in_some_months_only_fires_in_those() -> None:
    assert firsts("0 0 0 31 2,3 *", D(2026, 1, 1), 2) == [D(2026, 3, 31), D(2027, 3, 31)]
    assert firsts("0 0 0 29 2 *", D(2026, 1, 1), 2) == [D(2028, 2, 29), D(2032, 2, 29)]


# ---------------------------------------------------------------- section 2: day rule


def test_both_day_fields_restricted_fire_on_either() -> None:
    # `30 4 1,15 * 5`: the 1st, the 15th and every Friday
    assert [t.day for t in firsts("30 4 1,15 * 5", D(2026, 1, 1), 9)] == [
        1, 2, 9, 15, 16, 23, 30, 1, 6,
    ]  # fmt: skip
    assert firsts("30 4 1,15 * 5", D(2026, 1, 1), 1) == [D(2026, 1, 1, 4, 30)]


def test_only_day_of_month_restricted_decides_alone() -> None:
    assert doms_of("1,15") == [1, 15]
    assert doms_of("*/2") == list(range(1, 32, 2))  # odd days: steps start at 1


def test_only_day_of_week_restricted_decides_alone() -> None:
    assert [t.day for t in between("0 0 0 * * 5", D(2026, 1, 1), D(2026, 2, 1))] == [
        2, 9, 16, 23, 30,
    ]  # fmt: skip


def test_neither_restricted_is_every_day() -> None:
    assert len(between("0 0 0 * * *", D(2026, 1, 1), D(2026, 3, 1))) == 59


def test_dom_1_31_is_unrestricted_so_dow_decides() -> None:
    # busybox would fire every day here; cronsec: Mondays only
    assert firsts("0 0 0 1-31 * 1", D(2026, 1, 1), 3) == days(
        (2026, 1, 5), (2026, 1, 12), (2026, 1, 19)
    )
    assert CronExpr("0 0 0 1-31 * 1") == CronExpr("0 0 0 * * 1")


def test_dom_star_step_1_is_unrestricted() -> None:
    assert CronExpr("0 0 0 */1 * 1") == CronExpr("0 0 0 * * 1")
    assert firsts("0 0 0 */1 * 1", D(2026, 1, 1), 1) == [D(2026, 1, 5)]


def test_dom_star_step_2_is_restricted_so_the_or_applies() -> None:
    assert firsts("0 0 0 */2 * 1", D(2026, 1, 1), 6) == days(
        (2026, 1, 3), (2026, 1, 5), (2026, 1, 7), (2026, 1, 9), (2026, 1, 11), (2026, 1, 12)
    )


@pytest.mark.parametrize("dow", ["0-6", "0-7", "*/1", "1-0", "MON-SUN", "SUN-SAT", "0,1,2,3,4,5,6"])
def test_whole_day_of_week_set_is_unrestricted(dow: str) -> None:
    assert firsts(f"0 0 0 1 * {dow}", D(2026, 1, 1), 2) == days((2026, 2, 1), (2026, 3, 1))
    assert CronExpr(f"0 0 0 1 * {dow}") == CronExpr("0 0 0 1 * *")


# ---------------------------------------------------------------- section 3: fire times


def test_next_is_strictly_after_a_fire_time() -> None:
    e = CronExpr("0 0 12 * * *")
    assert e.next(D(2026, 1, 1, 12)) == D(2026, 1, 2, 12)
    assert e.next(D(2026, 1, 1, 11, 59, 59, 999999)) == D(2026, 1, 1, 12)


def test_prev_is_strictly_before_a_fire_time() -> None:
    e = CronExpr("0 0 12 * * *")
    assert e.prev(D(2026, 1, 2, 12)) == D(2026, 1, 1, 12)
    assert e.prev(D(2026, 1, 2, 12, 0, 0, 1)) == D(2026, 1, 2, 12)


def test_microseconds_never_match() -> None:
    e = CronExpr("* * * * * *")
    assert e.match(D(2026, 1, 1, 12))
    assert not e.match(D(2026, 1, 1, 12, 0, 0, 1))
    assert not e.match(D(2026, 1, 1, 12, 0, 0, 999999))


def test_next_and_prev_from_a_time_with_microseconds() -> None:
    e = CronExpr("* * * * * *")
    t = D(2026, 1, 1, 12, 0, 0, 500000)
    assert e.next(t) == D(2026, 1, 1, 12, 0, 1)
    assert e.prev(t) == D(2026, 1, 1, 12, 0, 0)
    assert e.next(D(2026, 12, 31, 23, 59, 59, 1)) == D(2027, 1, 1)


def test_match_checks_every_field() -> None:
    e = CronExpr("5 10 15 20 6 *")
    assert e.match(D(2026, 6, 20, 15, 10, 5))
    assert not e.match(D(2026, 6, 20, 15, 10, 6))
    assert not e.match(D(2026, 6, 20, 15, 11, 5))
    assert not e.match(D(2026, 6, 20, 16, 10, 5))
    assert not e.match(D(2026, 6, 21, 15, 10, 5))
    assert not e.match(D(2026, 7, 20, 15, 10, 5))


def test_iteration_forward_has_no_repeats_or_gaps() -> None:
    got = firsts("*/20 59 23 31 12,1 *", D(2025, 12, 31, 23, 59, 20), 5)
    assert got == [
        D(2025, 12, 31, 23, 59, 40),
        D(2026, 1, 31, 23, 59, 0),
        D(2026, 1, 31, 23, 59, 20),
        D(2026, 1, 31, 23, 59, 40),
        D(2026, 12, 31, 23, 59, 0),
    ]


def test_iteration_backward_mirrors_prev() -> None:
    e = CronExpr("0 30 9 * * MON-FRI")
    back = list(islice(e.iter(D(2026, 1, 6, 9, 30), reverse=True), 3))
    assert back == [D(2026, 1, 5, 9, 30), D(2026, 1, 2, 9, 30), D(2026, 1, 1, 9, 30)]
    assert back == firsts("0 30 9 * * MON-FRI", D(2026, 1, 6, 9, 30), 3, reverse=True)


def test_iteration_agrees_with_repeated_next_and_prev() -> None:
    e = CronExpr("0 */7 1-3 L,15 * *")
    t = D(2026, 1, 1)
    it = e.iter(t)
    for _ in range(30):
        t = e.next(t)
        assert next(it) == t
    for got in islice(e.iter(t, reverse=True), 30):
        t = e.prev(t)
        assert got == t


def test_leap_day_is_found() -> None:
    assert firsts("0 0 0 29 2 *", D(2024, 2, 28, 23, 59, 59), 2) == days(
        (2024, 2, 29), (2028, 2, 29)
    )
    assert firsts("0 0 0 29 2 *", D(2100, 1, 1), 1) == [D(2104, 2, 29)]  # 2100 is no leap year
    assert firsts("0 0 0 29 2 *", D(2000, 3, 1), 1, reverse=True) == [D(2000, 2, 29)]


# ---------------------------------------------------------------- section 6: range


def test_no_fire_time_before_datetime_max_raises_overflow_promptly() -> None:
    with pytest.raises(OverflowError):
        CronExpr("0 0 0 29 2 *").next(D(9999, 12, 31))
    with pytest.raises(OverflowError):
        CronExpr("0 0 0 29 2 *").next(D(9996, 2, 29))
    with pytest.raises(OverflowError):
        CronExpr("* * * * * *").next(D(9999, 12, 31, 23, 59, 59))
    with pytest.raises(OverflowError):
        CronExpr("0 0 0 * 2 MON#5").next(D(9988, 2, 29))  # the last Monday, February 29th


def test_last_fire_time_before_datetime_max_is_found() -> None:
    assert CronExpr("* * * * * *").next(D(9999, 12, 31, 23, 59, 58)) == datetime.max.replace(
        microsecond=0
    )
    assert CronExpr("0 0 0 29 2 *").next(D(9993, 1, 1)) == D(9996, 2, 29)
    assert CronExpr("0 0 0 * 2 MON#5").next(D(9960, 3, 1)) == D(9988, 2, 29)


def test_iterators_end_at_the_end_of_the_range() -> None:
    assert list(CronExpr("0 0 0 * * *").iter(D(9999, 12, 29))) == days(
        (9999, 12, 30), (9999, 12, 31)
    )
    assert list(CronExpr("0 0 0 29 2 *").iter(D(9993, 1, 1))) == [D(9996, 2, 29)]
    assert list(CronExpr("0 0 0 1 1 *").iter(D(2, 1, 1), reverse=True)) == [D(1, 1, 1)]


def test_prev_near_datetime_min() -> None:
    e = CronExpr("* * * * * *")
    assert e.prev(D(1, 1, 1, 0, 0, 1)) == D(1, 1, 1)
    assert e.prev(D(1, 1, 1, 0, 0, 0, 1)) == D(1, 1, 1)
    with pytest.raises(OverflowError):
        e.prev(D(1, 1, 1))
    with pytest.raises(OverflowError):
        CronExpr("0 0 0 29 2 *").prev(D(4, 2, 28))
    assert CronExpr("0 0 0 29 2 *").next(datetime.min) == D(4, 2, 29)
    assert list(CronExpr("0 0 0 29 2 *").iter(D(8, 1, 1), reverse=True)) == [D(4, 2, 29)]


def test_year_9999_and_year_1_edges_of_day_items() -> None:
    assert CronExpr("0 0 0 L * *").next(D(9999, 12, 30)) == D(9999, 12, 31)
    assert CronExpr("0 0 0 ? * 5L").next(D(9999, 12, 1)) == D(9999, 12, 31)  # a Friday
    assert CronExpr("0 0 0 LW * *").prev(D(1, 2, 1)) == D(1, 1, 31)  # a Wednesday
    assert CronExpr("0 0 0 ? * 1L").prev(D(1, 2, 1)) == D(1, 1, 29)  # a Monday
    with pytest.raises(OverflowError):
        CronExpr("0 0 0 ? * 5L").next(D(9999, 12, 31))


# ---------------------------------------------------------------- section 8.1: grammar


@pytest.mark.parametrize(
    ("text", "same"),
    [
        ("0 0 0 l * *", "0 0 0 L * *"),
        ("0 0 0 15w * *", "0 0 0 15W * *"),
        ("0 0 0 ? * fril", "0 0 0 ? * FRIL"),
        ("0 0 0 ? * Fri#2", "0 0 0 ? * FRI#2"),
        ("0 0 0 lw * *", "0 0 0 LW * *"),
        ("0 0 0 l-3w * *", "0 0 0 L-3W * *"),
    ],
)
def test_day_item_letters_in_any_case(text: str, same: str) -> None:
    assert CronExpr(text) == CronExpr(same)
    assert firsts(text, D(2026, 1, 1), 4) == firsts(same, D(2026, 1, 1), 4)


def test_question_mark_means_star_and_both_day_fields_may_be_it() -> None:
    assert CronExpr("0 0 0 ? * ?") == CronExpr("0 0 0 * * *")
    assert CronExpr("0 0 0 ? * 1") == CronExpr("0 0 0 * * 1")
    assert CronExpr("0 0 0 1 * ?") == CronExpr("0 0 0 1 * *")
    assert firsts("0 0 0 ? * ?", D(2026, 1, 1), 2) == days((2026, 1, 2), (2026, 1, 3))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0 0 0 1,15,L * *", days((2026, 1, 15), (2026, 1, 31), (2026, 2, 1), (2026, 2, 15))),
        ("0 0 0 L-3W,LW * *", days((2026, 1, 28), (2026, 1, 30), (2026, 2, 25), (2026, 2, 27))),
        ("0 0 0 ? * MON#1,FRI#3,5L", days((2026, 1, 5), (2026, 1, 16), (2026, 1, 30))),
        ("0 0 0 ? * 1-5,SATL", days((2026, 1, 2), (2026, 1, 5), (2026, 1, 6))),
    ],
)
def test_day_items_mix_in_lists(text: str, expected: list[datetime]) -> None:
    assert firsts(text, D(2026, 1, 1), len(expected)) == expected


def test_sat_l_in_a_list_with_weekdays() -> None:
    # 1-5,SATL: weekdays and the last Saturday (2026-01-31), not Saturday the 24th
    got = between("0 0 0 ? * 1-5,SATL", D(2026, 1, 24), D(2026, 2, 2))
    assert [t.day for t in got] == [26, 27, 28, 29, 30, 31]


@pytest.mark.parametrize("spelling", ["7L", "0L", "SUNL", "sunl"])
def test_last_sunday_spellings_are_equal(spelling: str) -> None:
    assert CronExpr(f"0 0 0 ? * {spelling}") == CronExpr("0 0 0 ? * 0L")
    assert firsts(f"0 0 0 ? * {spelling}", D(2026, 1, 1), 2) == days((2026, 1, 25), (2026, 2, 22))


@pytest.mark.parametrize("spelling", ["7#1", "0#1", "SUN#1"])
def test_first_sunday_spellings_are_equal(spelling: str) -> None:
    assert CronExpr(f"0 0 0 ? * {spelling}") == CronExpr("0 0 0 ? * 0#1")
    assert firsts(f"0 0 0 ? * {spelling}", D(2026, 1, 1), 2) == days((2026, 1, 4), (2026, 2, 1))


# ---------------------------------------------------------------- section 8.2: each row


def test_l_is_the_last_day_of_the_month() -> None:
    assert firsts("0 0 0 L * *", D(2026, 1, 1), 2) == days((2026, 1, 31), (2026, 2, 28))
    assert firsts("0 0 0 L 2 *", D(2027, 3, 1), 2) == days((2028, 2, 29), (2029, 2, 28))


def test_l_minus_n_counts_back_from_the_last_day() -> None:
    assert firsts("0 0 0 L-3 * *", D(2026, 1, 1), 2) == days((2026, 1, 28), (2026, 2, 25))
    assert firsts("0 0 0 L-0 * *", D(2026, 1, 1), 1) == [D(2026, 1, 31)]


def test_l_minus_30_is_only_the_first_of_31_day_months() -> None:
    assert [t.month for t in firsts("0 0 0 L-30 * *", D(2025, 12, 31), 7)] == [
        1, 3, 5, 7, 8, 10, 12,
    ]  # fmt: skip
    assert all(t.day == 1 for t in firsts("0 0 0 L-30 * *", D(2025, 12, 31), 7))


def test_15w_moves_off_weekends() -> None:
    # Aug 15 2026 is a Saturday: Friday the 14th; Nov 15 2026 a Sunday: Monday the 16th
    assert CronExpr("0 0 0 15W * *").next(D(2026, 8, 1)) == D(2026, 8, 14)
    assert CronExpr("0 0 0 15W * *").next(D(2026, 11, 1)) == D(2026, 11, 16)
    assert CronExpr("0 0 0 15W * *").next(D(2026, 9, 1)) == D(2026, 9, 15)  # a Tuesday
    assert not CronExpr("0 0 0 15W * *").match(D(2026, 8, 15))


def test_lw_is_the_last_weekday() -> None:
    assert firsts("0 0 0 LW * *", D(2026, 1, 1), 3) == days(
        (2026, 1, 30), (2026, 2, 27), (2026, 3, 31)
    )


def test_l_minus_1w() -> None:
    assert CronExpr("0 0 0 L-1W * *").next(D(2026, 3, 1)) == D(2026, 3, 30)  # a Monday


def test_d_l_is_the_last_weekday_d_of_the_month() -> None:
    assert firsts("0 0 0 ? * 5L", D(2026, 1, 1), 2) == days((2026, 1, 30), (2026, 2, 27))


def test_d_hash_k_is_the_kth_weekday_d() -> None:
    assert CronExpr("0 0 0 ? * FRI#2").next(D(2026, 1, 1)) == D(2026, 1, 9)
    assert firsts("0 0 0 ? * MON#5", D(2026, 1, 1), 2) == days((2026, 3, 30), (2026, 6, 29))


def test_w_on_the_first_saturday_gives_monday_the_3rd() -> None:
    assert CronExpr("0 0 0 1W * *").next(D(2026, 7, 31)) == D(2026, 8, 3)


def test_w_on_the_first_sunday_gives_monday_the_2nd() -> None:
    assert CronExpr("0 0 0 1W * *").next(D(2026, 10, 31)) == D(2026, 11, 2)  # Nov 1 a Sunday


def test_w_on_the_last_day_sunday_gives_the_friday_before() -> None:
    assert CronExpr("0 0 0 31W * *").next(D(2026, 5, 1)) == D(2026, 5, 29)
    assert CronExpr("0 0 0 30W * *").next(D(2025, 11, 1)) == D(2025, 11, 28)


def test_w_on_a_saturday_gives_the_friday_before() -> None:
    assert CronExpr("0 0 0 15W * *").next(D(2026, 8, 1)) == D(2026, 8, 14)
    assert CronExpr("0 0 0 LW * *").next(D(2026, 10, 1)) == D(2026, 10, 30)  # Oct 31: Saturday


def test_w_on_a_sunday_gives_the_monday_after() -> None:
    assert CronExpr("0 0 0 15W * *").next(D(2026, 11, 1)) == D(2026, 11, 16)


def test_31w_skips_months_without_a_31st() -> None:
    assert firsts("0 0 0 31W * *", D(2026, 5, 1), 3) == days(
        (2026, 5, 29), (2026, 7, 31), (2026, 8, 31)
    )


def test_29w_in_february_only_fires_in_leap_years() -> None:
    assert firsts("0 0 0 29W 2 *", D(2026, 1, 1), 2) == days((2028, 2, 29), (2032, 2, 27))


# ---------------------------------------------------------------- section 8.3: lists


def test_first_and_last_day() -> None:
    assert firsts("0 0 0 1,L * *", D(2026, 1, 1), 4) == days(
        (2026, 1, 31), (2026, 2, 1), (2026, 2, 28), (2026, 3, 1)
    )


def test_first_monday_third_and_last_friday() -> None:
    assert firsts("0 0 0 ? * 1#1,5#3,5L", D(2026, 1, 1), 6) == days(
        (2026, 1, 5), (2026, 1, 16), (2026, 1, 30), (2026, 2, 2), (2026, 2, 20), (2026, 2, 27)
    )


# ---------------------------------------------------------------- section 8.4: day rule


def test_l_with_friday_is_the_last_day_and_every_friday() -> None:
    assert firsts("0 0 0 L * 5", D(2026, 1, 1), 6) == days(
        (2026, 1, 2), (2026, 1, 9), (2026, 1, 16), (2026, 1, 23), (2026, 1, 30), (2026, 1, 31)
    )


def test_13th_with_second_friday_is_either() -> None:
    assert firsts("0 0 0 13 * 5#2", D(2026, 1, 1), 4) == days(
        (2026, 1, 9), (2026, 1, 13), (2026, 2, 13), (2026, 3, 13)
    )


@pytest.mark.parametrize("dom", ["?", "*"])
def test_last_friday_alone(dom: str) -> None:
    assert firsts(f"0 0 0 {dom} * 5L", D(2026, 1, 1), 2) == days((2026, 1, 30), (2026, 2, 27))


def test_star_l_matches_every_day_so_fridays_decide() -> None:
    assert firsts("0 0 0 *,L * 5", D(2026, 1, 1), 2) == days((2026, 1, 2), (2026, 1, 9))
    assert CronExpr("0 0 0 *,L * 5") == CronExpr("0 0 0 * * 5")


@pytest.mark.parametrize("dom", ["*", "?", "1-31", "*/1", "*,L", "1-15,16-31", "L,1-30"])
def test_unrestricted_day_of_month_spellings(dom: str) -> None:
    assert firsts(f"0 0 0 {dom} * 1", D(2026, 1, 1), 2) == days((2026, 1, 5), (2026, 1, 12))


@pytest.mark.parametrize("dow", ["*", "?", "0-6", "0-6,5L", "*,MON#1"])
def test_unrestricted_day_of_week_spellings(dow: str) -> None:
    assert firsts(f"0 0 0 1 * {dow}", D(2026, 1, 1), 2) == days((2026, 2, 1), (2026, 3, 1))


@pytest.mark.parametrize(
    ("dom", "expected"),
    [
        ("L", days((2026, 1, 5), (2026, 1, 12), (2026, 1, 19), (2026, 1, 26), (2026, 1, 31))),
        ("1-15,L", days((2026, 1, 2), (2026, 1, 3), (2026, 1, 4), (2026, 1, 5), (2026, 1, 6))),
        ("LW", days((2026, 1, 5), (2026, 1, 12), (2026, 1, 19), (2026, 1, 26), (2026, 1, 30))),
    ],
)
def test_restricted_day_of_month_items_or_with_mondays(dom: str, expected: list[datetime]) -> None:
    assert firsts(f"0 0 0 {dom} * 1", D(2026, 1, 1), 5) == expected


@pytest.mark.parametrize(
    ("dow", "expected"),
    [
        ("5L", days((2026, 1, 13), (2026, 1, 30), (2026, 2, 13), (2026, 2, 27))),
        ("MON#1,MON#2", days((2026, 1, 5), (2026, 1, 12), (2026, 1, 13), (2026, 2, 2))),
    ],
)
def test_restricted_day_of_week_items_or_with_the_13th(dow: str, expected: list[datetime]) -> None:
    assert firsts(f"0 0 0 13 * {dow}", D(2026, 1, 1), 4) == expected


# ---------------------------------------------------------------- section 8.5: the year


def test_year_field_restricts_to_its_years() -> None:
    e = CronExpr("0 0 12 * * MON 2027-2030")
    assert e.next(D(2026, 1, 1)) == D(2027, 1, 4, 12)
    assert e.prev(D(2031, 1, 1)) == D(2030, 12, 30, 12)
    with pytest.raises(OverflowError):
        e.next(D(2030, 12, 30, 12))
    with pytest.raises(OverflowError):
        e.prev(D(2027, 1, 4, 12))
    assert list(e.iter(D(2030, 12, 20))) == [D(2030, 12, 23, 12), D(2030, 12, 30, 12)]


def test_year_star_step_2_is_the_even_years() -> None:
    assert firsts("0 0 0 1 1 * */2", D(2026, 6, 1), 3) == days(
        (2028, 1, 1), (2030, 1, 1), (2032, 1, 1)
    )
    assert firsts("0 0 0 1 1 * */2", D(1972, 6, 1), 1, reverse=True) == [D(1972, 1, 1)]
    with pytest.raises(OverflowError):
        CronExpr("0 0 0 1 1 * */2").prev(D(1970, 1, 1))


def test_year_value_step_runs_to_9999() -> None:
    e = CronExpr("0 0 0 1 1 * 2027/5")
    assert firsts("0 0 0 1 1 * 2027/5", D(2026, 1, 1), 2) == days((2027, 1, 1), (2032, 1, 1))
    assert e.prev(D(9999, 12, 31)) == D(9997, 1, 1)
    with pytest.raises(OverflowError):
        e.next(D(9997, 1, 1))


@pytest.mark.parametrize("year", ["*", "*/1", "1970-9999", "1970-5000,4000-9999"])
def test_unrestricted_year_matches_every_year_also_before_1970(year: str) -> None:
    e = CronExpr(f"0 0 0 1 1 * {year}")
    assert e == CronExpr("0 0 0 1 1 *")
    assert e.next(D(1500, 6, 1)) == D(1501, 1, 1)
    assert e.prev(D(1, 6, 1)) == D(1, 1, 1)
    assert e.match(D(1969, 1, 1))


def test_restricted_year_does_not_fire_before_1970() -> None:
    e = CronExpr("0 0 0 1 1 * 1970-2000")
    assert e.next(D(1500, 6, 1)) == D(1970, 1, 1)
    assert not e.match(D(1969, 1, 1))
    with pytest.raises(OverflowError):
        e.prev(D(1970, 1, 1))


def test_after_the_last_year_nothing_fires() -> None:
    e = CronExpr("0 0 0 1 1 * 2026,9999")
    assert e.next(D(2026, 6, 1)) == D(9999, 1, 1)
    with pytest.raises(OverflowError):
        e.next(D(9999, 1, 1))
    assert list(e.iter(D(2026, 6, 1))) == [D(9999, 1, 1)]
    assert list(e.iter(D(9999, 6, 1), reverse=True)) == days((9999, 1, 1), (2026, 1, 1))


def test_year_9999_is_reached_without_a_search_limit() -> None:
    assert CronExpr("0 0 0 1 1 * 9999").next(D(2026, 1, 1)) == D(9999, 1, 1)
    assert CronExpr("0 0 0 1 1 * 1970").prev(D(9999, 1, 1)) == D(1970, 1, 1)


def test_macros_and_five_fields_have_no_year() -> None:
    with pytest.raises(CronError) as info:
        CronExpr("@daily 2026")
    assert info.value.field is None
    # five fields and a year are six fields: MON lands in the month field
    with pytest.raises(CronError) as info:
        CronExpr("12 * * * MON 2027")
    assert info.value.field == "month"


def test_seven_fields_with_unrestricted_year_equal_six() -> None:
    assert CronExpr("0 0 12 * * MON *") == CronExpr("0 0 12 * * MON")
    assert hash(CronExpr("0 0 12 * * MON *")) == hash(CronExpr("0 0 12 * * MON"))


# ---------------------------------------------------------------- section 8.6: errors


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("0 0 0 30W 2 *", "day-of-month"),
        ("0 0 0 L-29 2 *", "day-of-month"),
        ("0 0 0 31W 4,6,9,11 *", "day-of-month"),
        ("0 0 0 29 2 * 2025", "day-of-month"),
        ("0 0 0 * 2 MON#5 2026-2043", "day-of-week"),
    ],
)
def test_never_firing_day_items_and_years_are_errors(text: str, field: str) -> None:
    with pytest.raises(CronError) as info:
        CronExpr(text)
    assert info.value.field == field


def test_monday_the_29th_of_february_is_valid_and_rare() -> None:
    assert firsts("0 0 0 * 2 MON#5", D(2026, 1, 1), 3) == days(
        (2044, 2, 29), (2072, 2, 29), (2112, 2, 29)
    )
    assert CronExpr("0 0 0 * 2 MON#5 2026-2044").next(D(2026, 1, 1)) == D(2044, 2, 29)


# ---------------------------------------------------------------- section 8.7: differences


def test_quartz_digits_differ_6l_is_the_last_saturday() -> None:
    assert firsts("0 0 0 ? * 6L", D(2026, 1, 1), 2) == days((2026, 1, 31), (2026, 2, 28))
    assert CronExpr("0 0 0 ? * 6L") == CronExpr("0 0 0 ? * SATL")
    assert CronExpr("0 0 0 ? * FRIL") == CronExpr("0 0 0 ? * 5L")


def test_quartz_digits_differ_7_hash_1_is_the_first_sunday() -> None:
    assert firsts("0 0 0 ? * 7#1", D(2026, 1, 1), 2) == days((2026, 1, 4), (2026, 2, 1))
    assert CronExpr("0 0 0 ? * FRI#3") == CronExpr("0 0 0 ? * 5#3")


def test_31w_does_not_clamp_to_the_30th() -> None:
    e = CronExpr("0 0 0 31W * *")
    assert not e.match(D(2026, 6, 30))  # a Tuesday, last day of a 30-day month
    assert e.next(D(2026, 6, 1)) == D(2026, 7, 31)


def test_both_restricted_with_hash_items_use_the_or() -> None:
    assert firsts("0 0 0 1 * 5#3", D(2026, 1, 1), 4) == days(
        (2026, 1, 16), (2026, 2, 1), (2026, 2, 20), (2026, 3, 1)
    )


def test_hash_item_beside_plain_days_is_a_union() -> None:
    assert firsts("0 0 0 ? * 1#1,5", D(2026, 1, 1), 4) == days(
        (2026, 1, 2), (2026, 1, 5), (2026, 1, 9), (2026, 1, 16)
    )


def test_last_weekday_item_beside_plain_days_is_a_union() -> None:
    assert firsts("0 0 0 ? * 5L,1", D(2026, 1, 1), 6) == days(
        (2026, 1, 5), (2026, 1, 12), (2026, 1, 19), (2026, 1, 26), (2026, 1, 30), (2026, 2, 2)
    )


def test_w_item_beside_plain_days_is_a_union() -> None:
    assert firsts("0 0 0 15W,1 * *", D(2026, 8, 1), 4) == days(
        (2026, 8, 14), (2026, 9, 1), (2026, 9, 15), (2026, 10, 1)
    )


@pytest.mark.parametrize(("text", "hint"), [("0 0 0 ? * L5", "5L"), ("0 0 0 W15 * *", "15W")])
def test_croniter_spellings_are_errors_naming_the_right_one(text: str, hint: str) -> None:
    with pytest.raises(CronError) as info:
        CronExpr(text)
    assert hint in str(info.value)


# ---------------------------------------------------------------- the value


def test_equal_by_meaning() -> None:
    pairs = [
        ("*/1 * * * * *", "* * * * * *"),
        ("0 0 * * * 7", "0 0 * * * 0"),
        ("* * * * *", "0 * * * * *"),
        ("0 0 0 1-31 * *", "0 0 0 * * *"),
        ("0 0 0 * * 0-6,5L", "0 0 0 * * *"),
        ("0 0 0 * 1-12 *", "0 0 0 * * *"),
        ("0-59 * * * * *", "* * * * * *"),
        ("0 0 0 1,1,1 * *", "0 0 0 1 * *"),
        ("0 0 22-2 * * *", "0 0 0,1,2,22,23 * * *"),
        ("0 0 0 * * 1-5", "0 0 0 ? * MON-FRI"),
    ]
    for a, b in pairs:
        assert CronExpr(a) == CronExpr(b), (a, b)
        assert hash(CronExpr(a)) == hash(CronExpr(b)), (a, b)
        assert len({CronExpr(a), CronExpr(b)}) == 1


def test_different_meaning_is_not_equal() -> None:
    pairs = [
        ("0 0 0 */2 * 1", "0 0 0 * * 1"),
        ("0 0 0 1 * *", "0 0 0 2 * *"),
        ("1 * * * * *", "* * * * * *"),
        ("0 0 0 L * *", "0 0 0 31 * *"),
        ("0 0 0 1 1 * 2027", "0 0 0 1 1 *"),
        ("0 0 0 1 * 1", "0 0 0 1 * *"),
    ]
    for a, b in pairs:
        assert CronExpr(a) != CronExpr(b), (a, b)


def test_not_equal_to_other_types() -> None:
    e = CronExpr("* * * * * *")
    assert e != "* * * * * *"
    assert e != 0
    assert e != None  # noqa: E711


def test_text_str_and_repr_keep_the_text_as_given() -> None:
    text = "  0 30\t9 * * mon-FRI "
    e = CronExpr(text)
    assert e.text == text
    assert str(e) == text
    assert repr(text) in repr(e)
    assert "CronExpr" in repr(e)
    assert CronExpr("@daily").text == "@daily"


def test_no_zone_by_default() -> None:
    assert CronExpr("* * * * * *").tz is None


def test_pickles_to_an_equal_value() -> None:
    e = CronExpr("0 0 0 L-3W,1 * 5#2 2026-2030")
    assert pickle.loads(pickle.dumps(e)) == e


@pytest.mark.parametrize("bad", [5, None, b"* * * * *", ["*"] * 6, 1.5])
def test_non_str_expression_is_a_type_error(bad: object) -> None:
    with pytest.raises(TypeError):
        CronExpr(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["2026-01-01", date(2026, 1, 1), 1767225600, 1.5])
def test_non_datetime_argument_is_a_type_error(bad: object) -> None:
    e = CronExpr("* * * * * *")
    with pytest.raises(TypeError):
        e.next(bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        e.prev(bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        e.match(bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        next(iter(e.iter(bad)))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        next(iter(e.iter(bad, reverse=True)))  # type: ignore[arg-type]
