"""Named examples of SPEC sections 4-6: exact fire instants around real offset changes.

Each group writes out the zone's transitions it relies on (from tzdata), and
every expected result as wall time, fold and UTC instant.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone, tzinfo
from typing import ClassVar
from zoneinfo import ZoneInfo

import pytest

from cronsec import CronExpr
from cronsec._zones import local_zone, resolve_zone

UTC = timezone.utc
NY = ZoneInfo("America/New_York")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")
APIA = ZoneInfo("Pacific/Apia")
BERLIN = ZoneInfo("Europe/Berlin")


def at(zone: tzinfo, *fields: int, fold: int = 0) -> datetime:
    return datetime(*fields, tzinfo=zone, fold=fold)  # type: ignore[misc]


def utc(*fields: int) -> datetime:
    return datetime(*fields, tzinfo=UTC)  # type: ignore[misc]


def assert_fire(
    got: datetime, zone: tzinfo, wall: datetime, instant: datetime, fold: int = 0
) -> None:
    """Same zone object, same wall time and fold, same instant."""
    assert got.tzinfo is zone
    assert (got.replace(tzinfo=None), got.fold) == (wall, fold)
    assert got.astimezone(UTC) == instant


def fires(
    text: str, start: datetime, n: int, *, reverse: bool = False, tz: object = None
) -> list[datetime]:
    return list(itertools.islice(CronExpr(text, tz=tz).iter(start, reverse=reverse), n))  # type: ignore[arg-type]


def walls(results: list[datetime]) -> list[tuple[str, int]]:
    return [(r.replace(tzinfo=None).isoformat(" "), r.fold) for r in results]


def instants(results: list[datetime]) -> list[datetime]:
    return [r.astimezone(UTC) for r in results]


# --- New York, 2026 -------------------------------------------------------------
# 2026-03-08 07:00 UTC: 02:00 EST (-05:00) becomes 03:00 EDT (-04:00); 02:00-02:59:59 never happen.
# 2026-11-01 06:00 UTC: 02:00 EDT (-04:00) becomes 01:00 EST (-05:00); 01:00-01:59:59 happen twice.


def test_ny_gap_clock_time_fires_once_at_the_end_of_the_gap() -> None:
    got = fires("0 30 2 * * *", at(NY, 2026, 3, 7, 12), 3)
    assert walls(got) == [
        ("2026-03-08 03:00:00", 0),  # 02:30 was skipped: the first instant after the gap
        ("2026-03-09 02:30:00", 0),
        ("2026-03-10 02:30:00", 0),
    ]
    assert instants(got)[0] == utc(2026, 3, 8, 7)


def test_ny_gap_many_skipped_times_still_fire_once() -> None:
    got = fires("0 */15 2 * * *", at(NY, 2026, 3, 7, 12), 3)
    assert walls(got) == [
        ("2026-03-08 03:00:00", 0),
        ("2026-03-09 02:00:00", 0),
        ("2026-03-09 02:15:00", 0),
    ]


def test_ny_gap_hourly_skips_the_missing_hour() -> None:
    got = fires("0 0 * * * *", at(NY, 2026, 3, 8, 0, 30), 3)
    assert walls(got) == [
        ("2026-03-08 01:00:00", 0),
        ("2026-03-08 03:00:00", 0),
        ("2026-03-08 04:00:00", 0),
    ]
    assert instants(got) == [utc(2026, 3, 8, 6), utc(2026, 3, 8, 7), utc(2026, 3, 8, 8)]


def test_ny_gap_backwards() -> None:
    got = fires("0 30 2 * * *", at(NY, 2026, 3, 9, 12), 3, reverse=True)
    assert walls(got) == [
        ("2026-03-09 02:30:00", 0),
        ("2026-03-08 03:00:00", 0),
        ("2026-03-07 02:30:00", 0),
    ]
    # strictly before: from the gap's own fire instant, the previous day's
    assert_fire(
        CronExpr("0 30 2 * * *").prev(at(NY, 2026, 3, 8, 3)),
        NY,
        datetime(2026, 3, 7, 2, 30),
        utc(2026, 3, 7, 7, 30),
    )


def test_ny_overlap_hourly_fires_at_both_one_oclocks() -> None:
    got = fires("0 0 * * * *", at(NY, 2026, 11, 1, 0, 30), 4)
    assert walls(got) == [
        ("2026-11-01 01:00:00", 0),  # EDT
        ("2026-11-01 01:00:00", 1),  # EST, the second 01:00
        ("2026-11-01 02:00:00", 0),
        ("2026-11-01 03:00:00", 0),
    ]
    assert instants(got) == [utc(2026, 11, 1, h) for h in (5, 6, 7, 8)]


def test_ny_overlap_clock_time_fires_only_the_first_time() -> None:
    got = fires("0 30 1 * * *", at(NY, 2026, 10, 31, 12), 2)
    assert walls(got) == [("2026-11-01 01:30:00", 0), ("2026-11-02 01:30:00", 0)]
    assert instants(got)[0] == utc(2026, 11, 1, 5, 30)  # 01:30 EDT


def test_ny_overlap_prev_from_the_second_occurrence() -> None:
    e = CronExpr("0 0 * * * *")
    got = e.prev(at(NY, 2026, 11, 1, 1, 10, fold=1))  # 01:10 EST
    assert_fire(got, NY, datetime(2026, 11, 1, 1), utc(2026, 11, 1, 6), fold=1)
    got = e.prev(at(NY, 2026, 11, 1, 1, 10, fold=0))  # 01:10 EDT
    assert_fire(got, NY, datetime(2026, 11, 1, 1), utc(2026, 11, 1, 5))
    back = fires("0 0 * * * *", at(NY, 2026, 11, 1, 2, 30), 4, reverse=True)
    assert instants(back) == [utc(2026, 11, 1, h) for h in (7, 6, 5, 4)]
    # clock-time expressions see the repeated hour once, backwards too
    got = CronExpr("0 30 1 * * *").prev(at(NY, 2026, 11, 1, 1, 45, fold=1))
    assert_fire(got, NY, datetime(2026, 11, 1, 1, 30), utc(2026, 11, 1, 5, 30))


def test_ny_overlap_every_minute_in_the_hour_is_hour_full() -> None:
    got = fires("0 59 * * * *", at(NY, 2026, 11, 1, 0, 30), 3)
    assert walls(got) == [
        ("2026-11-01 00:59:00", 0),
        ("2026-11-01 01:59:00", 0),
        ("2026-11-01 01:59:00", 1),
    ]


def test_ny_match() -> None:
    assert CronExpr("0 30 2 * * *").match(at(NY, 2026, 3, 8, 3))  # the gap's fire instant
    assert not CronExpr("0 30 2 * * *").match(at(NY, 2026, 3, 9, 3))
    hourly = CronExpr("0 0 * * * *")
    assert hourly.match(at(NY, 2026, 11, 1, 1, fold=1))
    assert hourly.match(utc(2026, 11, 1, 6))
    clock = CronExpr("0 0 1 * * *")
    assert clock.match(at(NY, 2026, 11, 1, 1, fold=0))
    assert not clock.match(at(NY, 2026, 11, 1, 1, fold=1))
    assert not hourly.match(at(NY, 2026, 11, 1, 1, 0, 0) + timedelta(microseconds=1))


# --- Lord Howe, 2026: half-hour DST --------------------------------------------
# 2026-04-04 15:00 UTC: 02:00 +11:00 becomes 01:30 +10:30; 01:30-01:59:59 happen twice.
# 2026-10-03 15:30 UTC: 02:00 +10:30 becomes 02:30 +11:00; 02:00-02:29:59 never happen.


def test_lord_howe_half_hour_gap() -> None:
    got = fires("0 15 2 * * *", at(LORD_HOWE, 2026, 10, 3, 12), 2)
    assert walls(got) == [("2026-10-04 02:30:00", 0), ("2026-10-05 02:15:00", 0)]
    assert instants(got)[0] == utc(2026, 10, 3, 15, 30)
    hourly = fires("0 0 * * * *", at(LORD_HOWE, 2026, 10, 4, 0, 30), 3)
    assert instants(hourly) == [
        utc(2026, 10, 3, 14, 30),
        utc(2026, 10, 3, 16),
        utc(2026, 10, 3, 17),
    ]
    halves = fires("0 0,30 * * * *", at(LORD_HOWE, 2026, 10, 4, 1, 15), 3)
    assert walls(halves) == [
        ("2026-10-04 01:30:00", 0),
        ("2026-10-04 02:30:00", 0),
        ("2026-10-04 03:00:00", 0),
    ]


def test_lord_howe_half_hour_overlap() -> None:
    clock = fires("0 45 1 * * *", at(LORD_HOWE, 2026, 4, 4, 12), 2)
    assert walls(clock) == [("2026-04-05 01:45:00", 0), ("2026-04-06 01:45:00", 0)]
    assert instants(clock)[0] == utc(2026, 4, 4, 14, 45)
    every = fires("0 45 * * * *", at(LORD_HOWE, 2026, 4, 5, 1), 3)
    assert walls(every) == [
        ("2026-04-05 01:45:00", 0),
        ("2026-04-05 01:45:00", 1),
        ("2026-04-05 02:45:00", 0),
    ]
    assert instants(every) == [
        utc(2026, 4, 4, 14, 45),
        utc(2026, 4, 4, 15, 15),
        utc(2026, 4, 4, 16, 15),
    ]
    hourly = fires("0 0 * * * *", at(LORD_HOWE, 2026, 4, 5, 0, 30), 2)
    assert instants(hourly) == [
        utc(2026, 4, 4, 14),
        utc(2026, 4, 4, 15, 30),
    ]  # 01:00 is not repeated


# --- Apia: 2011-12-30 never happened --------------------------------------------
# 2011-12-30 10:00 UTC: 2011-12-29 24:00 -10:00 becomes 2011-12-31 00:00 +14:00.


def test_apia_missing_day_daily_job_fires_at_the_start_of_the_next_day() -> None:
    got = fires("0 0 12 * * *", at(APIA, 2011, 12, 29), 3)
    assert walls(got) == [
        ("2011-12-29 12:00:00", 0),
        ("2011-12-31 00:00:00", 0),  # for the skipped 2011-12-30 12:00
        ("2011-12-31 12:00:00", 0),
    ]
    assert instants(got)[1] == utc(2011, 12, 30, 10)
    back = fires("0 0 12 * * *", at(APIA, 2011, 12, 31, 6), 2, reverse=True)
    assert walls(back) == [("2011-12-31 00:00:00", 0), ("2011-12-29 12:00:00", 0)]


def test_apia_missing_friday_and_hourly_rhythm() -> None:
    friday = fires("0 0 9 * * FRI", at(APIA, 2011, 12, 25), 2)  # 2011-12-30 was a Friday
    assert walls(friday) == [("2011-12-31 00:00:00", 0), ("2012-01-06 09:00:00", 0)]
    hourly = fires("0 0 * * * *", at(APIA, 2011, 12, 29, 22, 30), 3)
    assert instants(hourly) == [utc(2011, 12, 30, h) for h in (9, 10, 11)]
    assert walls(hourly) == [
        ("2011-12-29 23:00:00", 0),
        ("2011-12-31 00:00:00", 0),
        ("2011-12-31 01:00:00", 0),
    ]
    # a monthly job on the 30th: December 2011's fires at the end of the gap
    assert walls(fires("0 0 0 30 * *", at(APIA, 2011, 12, 1), 2)) == [
        ("2011-12-31 00:00:00", 0),  # 2011-12-30 00:00 was skipped
        ("2012-01-30 00:00:00", 0),
    ]


# --- Offsets that changed without DST (local mean time) --------------------------
# New York, 1883-11-18 17:00 UTC: 12:03:58 LMT (-04:56:02) becomes 12:00:00 EST (-05:00);
#   12:00:00-12:03:57 happen twice.
# Berlin, 1893-03-31 23:06:32 UTC: 00:00:00 LMT (+00:53:28) becomes 00:06:32 CET (+01:00);
#   1893-04-01 00:00:00-00:06:31 never happen.


def test_lmt_to_standard_time_repeats_four_minutes() -> None:
    noon = fires("0 0 12 * * *", at(NY, 1883, 11, 18), 2)
    assert walls(noon) == [("1883-11-18 12:00:00", 0), ("1883-11-19 12:00:00", 0)]
    assert instants(noon)[0] == utc(1883, 11, 18, 16, 56, 2)
    hourly = fires("0 0 * * * *", at(NY, 1883, 11, 18, 11, 30), 3)
    assert walls(hourly) == [
        ("1883-11-18 12:00:00", 0),
        ("1883-11-18 12:00:00", 1),
        ("1883-11-18 13:00:00", 0),
    ]
    assert instants(hourly) == [
        utc(1883, 11, 18, 16, 56, 2),
        utc(1883, 11, 18, 17),
        utc(1883, 11, 18, 18),
    ]
    odd = CronExpr("30 3 12 * * *").next(at(NY, 1883, 11, 18))
    assert_fire(odd, NY, datetime(1883, 11, 18, 12, 3, 30), utc(1883, 11, 18, 16, 59, 32))


def test_lmt_forward_change_skips_six_and_a_half_minutes() -> None:
    midnight = fires("0 0 0 * * *", at(BERLIN, 1893, 3, 31, 12), 2)
    assert walls(midnight) == [("1893-04-01 00:06:32", 0), ("1893-04-02 00:00:00", 0)]
    assert instants(midnight)[0] == utc(1893, 3, 31, 23, 6, 32)
    minutes = fires("0 * * * * *", at(BERLIN, 1893, 3, 31, 23, 58, 30), 3)  # hour-full
    assert walls(minutes) == [
        ("1893-03-31 23:59:00", 0),
        ("1893-04-01 00:07:00", 0),
        ("1893-04-01 00:08:00", 0),
    ]


# --- Two changes in one day ---------------------------------------------------
# tzdata has no zone with two offset changes within one day (the closest are four
# days apart: Africa/Freetown, 1939), so a custom tzinfo makes some:
# 2030-03-10 01:00 UTC +00:00 -> +01:00, 04:00 UTC +01:00 -> +02:00 (two gaps);
# 2030-10-10 01:00 UTC +02:00 -> +01:00, 03:00 UTC +01:00 -> +00:00 (two overlaps).


class TwoStep(tzinfo):
    """A zone with two forward and two backward steps of one hour, each pair in one day."""

    STEPS: ClassVar[list[tuple[datetime, timedelta]]] = [
        (datetime(2030, 3, 10, 1), timedelta(hours=1)),
        (datetime(2030, 3, 10, 4), timedelta(hours=2)),
        (datetime(2030, 10, 10, 1), timedelta(hours=1)),
        (datetime(2030, 10, 10, 3), timedelta(hours=0)),
    ]

    def _at_utc(self, u: datetime) -> timedelta:
        off = timedelta(0)
        for when, new in self.STEPS:
            if u >= when:
                off = new
        return off

    def _instants(self, wall: datetime) -> list[datetime]:
        """The UTC instants that show this wall time, earliest first."""
        hours = (timedelta(hours=h) for h in range(3))
        return sorted(wall - off for off in hours if self._at_utc(wall - off) == off)

    def fromutc(self, dt: datetime) -> datetime:
        u = dt.replace(tzinfo=None)
        wall = u + self._at_utc(u)
        return wall.replace(tzinfo=self, fold=1 if self._instants(wall)[0] < u else 0)

    def utcoffset(self, dt: datetime | None) -> timedelta:
        assert dt is not None
        wall = dt.replace(tzinfo=None)
        found = self._instants(wall)
        if not found:  # a skipped wall time
            return self._at_utc(wall - timedelta(hours=3))
        return wall - found[-1 if dt.fold else 0]

    def dst(self, dt: datetime | None) -> timedelta:
        return timedelta(0)

    def tzname(self, dt: datetime | None) -> str:
        return "TwoStep"


def test_two_gaps_in_one_day() -> None:
    z = TwoStep()
    # walls: 00:59 +0, then 02:00 +1 (01:00-01:59 skipped), 04:59 +1, then 06:00 +2 (05:xx skipped)
    got = fires("0 30 1,5 * * *", at(z, 2030, 3, 9, 12), 3)
    assert walls(got) == [
        ("2030-03-10 02:00:00", 0),
        ("2030-03-10 06:00:00", 0),
        ("2030-03-11 01:30:00", 0),
    ]
    assert instants(got)[:2] == [utc(2030, 3, 10, 1), utc(2030, 3, 10, 4)]
    hourly = fires("0 0 * * * *", at(z, 2030, 3, 10, 0, 30), 5)
    assert instants(hourly) == [utc(2030, 3, 10, h) for h in (1, 2, 3, 4, 5)]
    assert walls(hourly)[0] == ("2030-03-10 02:00:00", 0)


def test_two_overlaps_in_one_day() -> None:
    z = TwoStep()
    # 01:00 UTC: 03:00 +2 becomes 02:00 +1; 03:00 UTC: 04:00 +1 becomes 03:00 +0.
    # 02:30 first shows at 00:30 UTC (+2), 03:30 at 02:30 UTC (+1: at +2 the clock
    # never passed 03:00); their repeats at 01:30 and 03:30 UTC do not fire.
    got = fires("0 30 2,3 * * *", at(z, 2030, 10, 9, 12), 3)
    assert instants(got) == [
        utc(2030, 10, 10, 0, 30),
        utc(2030, 10, 10, 2, 30),
        utc(2030, 10, 11, 2, 30),
    ]
    hourly = fires("0 30 * * * *", at(z, 2030, 10, 10, 1), 5)
    assert instants(hourly) == [utc(2030, 10, 9, 23, 30)] + [
        utc(2030, 10, 10, h, 30) for h in range(4)
    ]
    assert [r.fold for r in hourly] == [0, 0, 1, 0, 1]


# --- Zones: bound, own, naive, unknown, local ----------------------------------------


def test_bound_zone_converts_an_aware_t() -> None:
    t = at(NY, 2026, 6, 1)  # 04:00 UTC, 06:00 in Berlin
    bound = CronExpr("0 0 9 * * *", tz="Europe/Berlin")
    got = bound.next(t)
    assert got.tzinfo is bound.tz
    assert_fire(got, bound.tz, datetime(2026, 6, 1, 9), utc(2026, 6, 1, 7))  # type: ignore[arg-type]
    own = CronExpr("0 0 9 * * *").next(t)  # computed in t's own zone
    assert_fire(own, NY, datetime(2026, 6, 1, 9), utc(2026, 6, 1, 13))
    assert bound.next(t.astimezone(UTC)) == got
    assert bound.match(utc(2026, 6, 1, 7)) and not bound.match(at(NY, 2026, 6, 1, 9))


def test_bound_zone_needs_an_aware_t() -> None:
    bound = CronExpr("0 0 9 * * *", tz="America/New_York")
    for call in (bound.next, bound.prev, bound.match, lambda t: next(bound.iter(t))):
        with pytest.raises(TypeError, match="aware"):
            call(datetime(2026, 6, 1))


def test_unknown_zone_name_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="Mars/Olympus_Mons") as info:
        CronExpr("0 0 9 * * *", tz="Mars/Olympus_Mons")
    assert "tzdata" in str(info.value)
    with pytest.raises(ValueError, match="unknown time zone"):
        resolve_zone("../etc/passwd")
    with pytest.raises(TypeError):
        resolve_zone(5)  # type: ignore[arg-type]


def test_fixed_offset_and_dateutil_zones() -> None:
    minus = timezone(-timedelta(hours=3, minutes=30))
    got = CronExpr("0 0 12 * * *").next(datetime(2026, 3, 8, 13, tzinfo=minus))
    assert got == datetime(2026, 3, 9, 12, tzinfo=minus) and got.tzinfo is minus
    tz = pytest.importorskip("dateutil.tz")
    ny = tz.gettz("America/New_York")
    got2 = fires("0 0 * * * *", datetime(2026, 11, 1, 0, 30, tzinfo=ny), 3)
    assert instants(got2) == [utc(2026, 11, 1, h) for h in (5, 6, 7)]
    assert [r.fold for r in got2] == [0, 1, 0]
    assert walls(fires("0 30 2 * * *", datetime(2026, 3, 7, 12, tzinfo=ny), 1)) == [
        ("2026-03-08 03:00:00", 0)
    ]


def test_local_zone_follows_tz_and_keeps_dst(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "America/New_York")
    zone = local_zone()
    assert isinstance(zone, ZoneInfo) and zone.key == "America/New_York"
    monkeypatch.setenv("TZ", ":Europe/Berlin")
    assert getattr(local_zone(), "key", None) == "Europe/Berlin"
    monkeypatch.delenv("TZ")
    assert local_zone().utcoffset(datetime(2026, 1, 1)) is not None


def test_now_uses_the_bound_zone() -> None:
    e = CronExpr("* * * * * *", tz="Asia/Kolkata")
    got = e.next()
    assert got.tzinfo is e.tz
    assert timedelta(0) < got - datetime.now(UTC) <= timedelta(seconds=1)


# --- Near datetime.min and datetime.max (SPEC 6) ----------------------------------------


@pytest.mark.parametrize(
    "zone",
    [
        NY,
        ZoneInfo("Pacific/Kiritimati"),
        timezone(timedelta(hours=14)),
        timezone(-timedelta(hours=12)),
        ZoneInfo("UTC"),
    ],
    ids=str,
)
def test_range_ends(zone: tzinfo) -> None:
    last = CronExpr("59 59 23 31 12 *")
    got = last.next(datetime(9999, 12, 31, tzinfo=zone))
    assert got.replace(tzinfo=None) == datetime(9999, 12, 31, 23, 59, 59) and got.tzinfo is zone
    with pytest.raises(OverflowError):
        last.next(got)
    assert list(last.iter(got)) == []
    assert last.match(got)
    first = CronExpr("0 0 0 1 1 *")
    got = first.prev(datetime(1, 1, 1, 12, tzinfo=zone))
    assert got.replace(tzinfo=None) == datetime(1, 1, 1) and got.tzinfo is zone
    with pytest.raises(OverflowError):
        first.prev(got)
    assert list(first.iter(got, reverse=True)) == []
    assert first.match(got)
    with pytest.raises(OverflowError):
        first.next(datetime(9999, 6, 1, tzinfo=zone))
    assert list(
        itertools.islice(
            CronExpr("0 0 * * * *").iter(datetime(9999, 12, 31, 21, 30, tzinfo=zone)), 5
        )
    ) == [datetime(9999, 12, 31, h, tzinfo=zone) for h in (22, 23)]


def test_range_ends_across_zones() -> None:
    # The UTC instant of these walls is outside datetime's range; the wall is not.
    plus14 = timezone(timedelta(hours=14))
    assert CronExpr("0 0 0 * * *").prev(datetime(1, 1, 1, 5, tzinfo=plus14)) == datetime(
        1, 1, 1, tzinfo=plus14
    )
    bound = CronExpr("0 0 * * * *", tz="America/New_York")
    got = bound.next(datetime.max.replace(tzinfo=UTC))  # at 10000-01-01 00:00 UTC
    assert got.replace(tzinfo=None) == datetime(9999, 12, 31, 19) and got.tzinfo is bound.tz
    got = bound.prev(datetime.min.replace(tzinfo=UTC) + timedelta(hours=6))
    assert got.replace(tzinfo=None) == datetime(1, 1, 1, 1)  # LMT -04:56:02
    assert got.astimezone(UTC) == utc(1, 1, 1, 5, 56, 2)


def test_year_field_and_far_future_in_a_zone() -> None:
    got = CronExpr("0 30 2 8 3 * 2099").next(at(NY, 2026, 1, 1))
    # 2099-03-08 is the second Sunday of March: 02:30 is skipped
    assert_fire(got, NY, datetime(2099, 3, 8, 3), utc(2099, 3, 8, 7))
    got = CronExpr("0 0 1 1 11 * 9999").next(at(NY, 2026, 1, 1))
    assert got.replace(tzinfo=None) == datetime(9999, 11, 1, 1)
    got = CronExpr("0 30 1 7 11 *").next(at(NY, 9999, 1, 1))  # 9999-11-07: first Sunday of November
    assert_fire(got, NY, datetime(9999, 11, 7, 1, 30), utc(9999, 11, 7, 5, 30))
