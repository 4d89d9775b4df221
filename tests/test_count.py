"""cron_count_between against brute force: the fire times ``CronExpr.iter`` walks, counted.

Windows of up to a few days (longer for sparse expressions), naive and aware,
in zones with DST (New York, Berlin, Lord Howe's half hour) and around their
transitions: 2026-03-08 and 2026-11-01 in New York, 2026-03-29 and 2026-10-25
in Berlin, 2026-04-05 and 2026-10-04 at Lord Howe (+11 -> +10:30 -> +11).
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime, timedelta, timezone, tzinfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cronsec import CronExpr
from cronsec._count import _month_masks, cron_count_between, naive_count, prepare
from cronsec.strategies import expressions

UTC = timezone.utc
NY = zoneinfo.ZoneInfo("America/New_York")
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
LORD_HOWE = zoneinfo.ZoneInfo("Australia/Lord_Howe")
ZONES = [NY, BERLIN, LORD_HOWE, UTC, timezone(timedelta(hours=-9, minutes=-30))]
TRANSITIONS = {  # UTC instants of the offset changes in 2026
    NY: [datetime(2026, 3, 8, 7), datetime(2026, 11, 1, 6)],  # 02:00 EST->EDT, 02:00 EDT->EST
    BERLIN: [datetime(2026, 3, 29, 1), datetime(2026, 10, 25, 1)],  # 02:00 CET, 03:00 CEST
    LORD_HOWE: [datetime(2026, 4, 4, 15), datetime(2026, 10, 3, 15, 30)],  # 02:00 +11, +10:30
}
CAP = 1500  # brute force walks at most this many fire times per window


def brute(expr: CronExpr, a: datetime, b: datetime) -> tuple[int, datetime]:
    """Fire times in (a, b] by iteration, and the window end actually used.

    Past CAP fire times the window is cut at the CAP-th one, so dense expressions
    are checked on shorter windows with an exact count.
    """
    aware = a.utcoffset() is not None
    end = b.astimezone(UTC) if aware else b
    n = 0
    for t in expr.iter(a):
        if (t.astimezone(UTC) if aware else t) > end:
            return n, b
        n += 1
        if n == CAP:
            return n, t
    return n, b


def compiled(text: str, zone: object = None) -> CronExpr:
    return CronExpr(text, tz=zone)  # type: ignore[arg-type]


spans = st.one_of(
    st.integers(0, 120),
    st.integers(0, 3 * 3600),
    st.integers(0, 3 * 86400),
).map(lambda s: timedelta(seconds=s))
micros = st.sampled_from([0, 0, 0, 1, 500_000, 999_999])


@st.composite
def naive_starts(draw: st.DrawFn) -> datetime:
    kind = draw(st.sampled_from(["any", "month end", "leap"]))
    if kind == "month end":
        t = datetime(draw(st.integers(1990, 2060)), draw(st.integers(1, 12)), 1) - timedelta(
            seconds=draw(st.integers(0, 2 * 86400))
        )
    elif kind == "leap":
        t = datetime(draw(st.sampled_from([2024, 2100, 2000, 2028])), 2, 27) + timedelta(
            seconds=draw(st.integers(0, 3 * 86400))
        )
    else:
        t = draw(st.datetimes(datetime(1971, 1, 1), datetime(2100, 1, 1)))
    return t.replace(microsecond=draw(micros))


@st.composite
def aware_windows(draw: st.DrawFn) -> tuple[tzinfo, datetime, timedelta]:
    """A zone and a window (UTC start, span), mostly around one of the zone's transitions."""
    zone = draw(st.sampled_from(ZONES))
    span = draw(spans)
    if zone in TRANSITIONS and draw(st.integers(0, 3)):
        change = draw(st.sampled_from(TRANSITIONS[zone]))  # type: ignore[index]
        lead = draw(st.one_of(st.integers(-600, 3 * 3600), st.integers(-86400, 2 * 86400)))
        t = change - timedelta(seconds=lead)
        if draw(st.booleans()):  # a window that holds the transition
            span = max(span, timedelta(seconds=lead + draw(st.integers(0, 4 * 3600))))
    else:
        t = draw(st.datetimes(datetime(2025, 1, 1), datetime(2027, 12, 31)))
    return zone, t.replace(microsecond=draw(micros), tzinfo=UTC), span


texts = expressions(fields=(5, 6, 7), day_items=True)


@st.composite
def near_transition_texts(draw: st.DrawFn) -> str:
    """Expressions whose hours meet the walls DST skips or repeats (01:00-03:00)."""
    second = draw(st.sampled_from(["0", "30", "*/15", "*/20", "0-59/7"]))
    minute = draw(st.sampled_from(["0", "30", "45", "*/10", "15-45/15", "*", "59"]))
    hour = draw(st.sampled_from(["*", "1", "2", "3", "1-3", "0-2", "2,3", "*/2", "0-22", "1,2"]))
    day = draw(st.sampled_from(["*", "*", "1-15", "L", "?"]))
    weekday = draw(st.sampled_from(["*", "*", "SUN", "SAT,SUN", "1-5"]))
    return f"{second} {minute} {hour} {day} * {weekday}"


sparse_texts = expressions(fields=(5, 6, 7), day_items=True, sparse=True)


@settings(max_examples=200)
@given(texts, naive_starts(), spans)
def test_naive_counts_equal_brute_force(text: str, a: datetime, span: timedelta) -> None:
    expr = compiled(text)
    want, b = brute(expr, a, a + span)
    assert cron_count_between(expr, a, b, 0) == want
    assert naive_count(expr, a, b) == want


@settings(max_examples=60)
@given(sparse_texts, naive_starts(), st.integers(0, 800).map(lambda d: timedelta(days=d)))
def test_naive_counts_over_months_and_years(text: str, a: datetime, span: timedelta) -> None:
    expr = compiled(text)
    want, b = brute(expr, a, a + span)
    assert cron_count_between(expr, a, b, 0) == want


@settings(max_examples=400)
@given(st.data(), st.one_of(texts, near_transition_texts()), aware_windows())
def test_aware_counts_equal_brute_force_across_dst(
    data: st.DataObject, text: str, window: tuple[tzinfo, datetime, timedelta]
) -> None:
    zone, a, span = window
    bound = data.draw(st.booleans())
    expr = compiled(text, zone if bound else None)
    if not bound or data.draw(st.booleans()):
        a = a.astimezone(zone)  # an unbound expression counts in a's zone
    want, b = brute(expr, a, a + span)
    b = b.astimezone(data.draw(st.sampled_from([UTC, zone])))
    assert cron_count_between(expr, a, b, 0) == want


@pytest.mark.parametrize(
    ("text", "zone", "a", "b", "count"),
    [
        # New York 2026-03-08: 02:00 EST jumps to 03:00 EDT (07:00 UTC).
        ("0 30 2 * * *", NY, datetime(2026, 3, 8, 6), datetime(2026, 3, 8, 8), 1),  # at 03:00
        ("0 */15 2 * * *", NY, datetime(2026, 3, 8, 6), datetime(2026, 3, 8, 8), 1),  # once
        ("0 0 3 * * *", NY, datetime(2026, 3, 8, 6), datetime(2026, 3, 8, 8), 1),  # merged
        ("0 */15 * * * *", NY, datetime(2026, 3, 8, 6), datetime(2026, 3, 8, 8), 8),
        ("* * * * * *", NY, datetime(2026, 3, 8, 6), datetime(2026, 3, 8, 8), 7200),
        # New York 2026-11-01: 02:00 EDT goes back to 01:00 EST (06:00 UTC).
        ("0 30 1 * * *", NY, datetime(2026, 11, 1, 4), datetime(2026, 11, 1, 8), 1),  # EDT only
        ("0 0 * * * *", NY, datetime(2026, 11, 1, 4), datetime(2026, 11, 1, 8), 4),  # both 01:00
        ("* * 1 * * *", NY, datetime(2026, 11, 1, 4), datetime(2026, 11, 1, 8), 3600),
        ("* * * * * *", NY, datetime(2026, 11, 1, 4), datetime(2026, 11, 1, 8), 4 * 3600),
        # Lord Howe 2026-04-05: 02:00 +11 goes back to 01:30 +10:30 (15:00 UTC).
        ("0 45 1 * * *", LORD_HOWE, datetime(2026, 4, 4, 14), datetime(2026, 4, 4, 16), 1),
        ("0 */10 * * * *", LORD_HOWE, datetime(2026, 4, 4, 14), datetime(2026, 4, 4, 16), 12),
        # Last days or Fridays (SPEC 8.4: OR), naive: 52 Fridays of 2026 and Fri 2027-01-01,
        # 12 last days, one of them (Jul 31) a Friday.
        ("0 0 0 L * 5", None, datetime(2026, 1, 1), datetime(2027, 1, 1), 53 + 12 - 1),
    ],
)
def test_examples_at_transitions(
    text: str, zone: zoneinfo.ZoneInfo | None, a: datetime, b: datetime, count: int
) -> None:
    expr = compiled(text, zone)
    if zone is not None:
        a, b = a.replace(tzinfo=UTC), b.replace(tzinfo=UTC)
    assert cron_count_between(expr, a, b, 0) == count
    assert brute(expr, a, b)[0] == min(count, CAP)


def test_long_windows_are_counted_without_walking() -> None:
    # Every second for a year in Berlin: every instant fires, whatever the offset
    # (hour-full expressions skip no instant in spring and fire the repeated hour in autumn).
    expr = compiled("* * * * * *", BERLIN)
    prepare(expr)  # what a timer does when the job is added
    a, b = datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
    assert cron_count_between(expr, a, b, 0) == 365 * 86400
    assert cron_count_between(expr, a.astimezone(BERLIN), b.astimezone(BERLIN), 0) == 365 * 86400
    # A clock-time job in New York fires once a day, DST or not: 365 times in 2026.
    daily = compiled("0 30 1 * * *", NY)
    assert cron_count_between(daily, a.astimezone(NY), b.astimezone(NY), 0) == 365
    assert cron_count_between(compiled("0 30 2 * * *", NY), a, b, 0) == 365


def test_a_long_span_in_a_probed_zone_walks_to_the_limit_instead_of_reading_it() -> None:
    # Counting by segments would read the zone across the whole span (a call a day
    # for a probed zone: 73,000 over two centuries); past a year or so the count
    # walks the fire times instead, up to the limit.
    from test_tz_sources import CountingEastern

    zone = CountingEastern()
    yearly = compiled("0 0 0 1 1 *")
    a = datetime(2026, 6, 1, tzinfo=zone)
    assert cron_count_between(yearly, a, a.replace(year=2027), 0) == 1  # near: by segments
    zone.asked = 0
    assert cron_count_between(yearly, a, a.replace(year=2226), 10) is None  # 200 > 10
    assert zone.asked < 2000, zone.asked
    assert cron_count_between(yearly, a, a.replace(year=2036), 10) == 10


def test_near_the_end_of_the_range_it_walks_up_to_the_limit() -> None:
    expr = compiled("* * * * * *", UTC)
    a = datetime(9999, 12, 31, 23, 0, tzinfo=UTC)
    b = a + timedelta(seconds=100)
    assert cron_count_between(expr, a, b, 100) == 100
    assert cron_count_between(expr, a, b, 99) is None
    assert cron_count_between(expr, a, datetime.max.replace(tzinfo=UTC), 10**4) == 3599
    assert cron_count_between(expr, b, a, 0) == 0
    naive = compiled("* * * * * *")
    assert cron_count_between(naive, a.replace(tzinfo=None), datetime.max, 0) == 3599


@pytest.mark.parametrize("text", ["0 0 0 L * 5", "0 0 12 15W * *", "0 0 0 ? * MON#5", "@daily"])
def test_day_masks_from_match_equal_the_table(text: str) -> None:
    """The slow day test (``CronExpr.match``), used if the day table's internals move."""
    expr = CronExpr(text)
    fields = expr.fields
    first = (fields.hours[0], fields.minutes[0], fields.seconds[0])
    fast, slow = _month_masks(expr, fields, first), _month_masks(expr, object(), first)
    for year in (2024, 2026, 2100):
        for month in range(1, 13):
            assert fast(year, month) == slow(year, month)


def test_bad_arguments_are_refused_clearly() -> None:
    naive, aware = datetime(2026, 1, 1), datetime(2026, 1, 1, tzinfo=UTC)
    bound, unbound = compiled("* * * * * *", UTC), compiled("* * * * * *")
    with pytest.raises(TypeError, match="expr must be a CronExpr, not str"):
        cron_count_between("* * * * * *", naive, naive, 0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="b must be a datetime, not int"):
        cron_count_between(unbound, naive, 5, 0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="both naive or both aware"):
        cron_count_between(unbound, naive, aware, 0)
    with pytest.raises(TypeError, match="bound to a zone, so it needs aware datetimes"):
        cron_count_between(bound, naive, naive, 0)
    with pytest.raises(ValueError, match="limit must not be negative"):
        cron_count_between(unbound, naive, naive, -1)
    with pytest.raises(TypeError, match="limit must be an int"):
        cron_count_between(unbound, naive, naive, 1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="limit must be an int"):
        cron_count_between(unbound, naive, naive, True)


EQUALLY_SPACED = [
    "* * * * * *",
    "*/5 * * * * *",
    "1,31 * * * * *",
    "0 */15 * * * *",
    "0 0 * * * *",
    "30 0 */2 * * *",
    "0 0 0 * * *",
    "*/7 * * * * *",  # not equally spaced: counted the general way
    "0 0 9 * * mon-fri",  # likewise
]


@settings(max_examples=150, deadline=None)
@given(
    text=st.sampled_from(EQUALLY_SPACED),
    zone=st.sampled_from(["UTC", "Etc/GMT-5", "Etc/GMT+3"]),
    start=st.integers(0, 10**7),
    length=st.integers(0, 86_400),
    fraction=st.sampled_from([0, 250_000]),
)
def test_a_schedule_counts_equally_spaced_instants_by_division(
    text: str, zone: str, start: int, length: int, fraction: int
) -> None:
    """CronSchedule.count_between (division for equally spaced instants) against a walk."""
    from cronsec._schedule import CronSchedule

    expr = CronExpr(text, tz=zone)
    base = datetime(2026, 1, 1, tzinfo=timezone.utc)
    a = base + timedelta(seconds=start, microseconds=fraction)
    b = a + timedelta(seconds=length)
    walked = 0
    t = a
    while True:  # the model: every instant, one at a time
        t = expr.next(t)
        if t > b:
            break
        walked += 1
    assert CronSchedule(expr).count_between(a, b) == walked
