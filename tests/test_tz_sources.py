"""Where cronsec learns a zone's changes: from the zone's own data, checked, or by probing.

dateutil's ``tzfile`` (``gettz``, its bundled tarball), ``tzstr``/``tzrange``
and ``tzlocal`` are read from their own data (``_zones.claims_of``), each
claimed change checked against the zone's ``fromutc``; custom tzinfos are
probed. Whatever the source, the answers are the model's (tz_model.py) and,
for the same rules, the same as ``ZoneInfo``'s. Data that lie are caught.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone, tzinfo
from itertools import islice
from zoneinfo import ZoneInfo

import pytest
import tz_model as M
from test_tz_properties import run_case
from test_tz_zones import check_table

from cronsec import CronExpr
from cronsec import _segments as S

tz = pytest.importorskip("dateutil.tz")
relativedelta = pytest.importorskip("dateutil.relativedelta")

UTC = timezone.utc
NY = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")


def bundled(key: str) -> tzinfo:
    """The zone from dateutil's own tarball (not the system's files)."""
    from dateutil.zoneinfo import get_zonefile_instance

    zone = get_zonefile_instance().get(key)
    assert zone is not None
    return zone  # type: ignore[no-any-return]


def us_tzrange() -> tzinfo:
    """tzrange with the 2007 US rules spelled out (its default is the older rules)."""
    rd = relativedelta
    return tz.tzrange(  # type: ignore[no-any-return]
        "EST",
        -18000,
        "EDT",
        -14400,
        start=rd.relativedelta(hours=+2, month=3, day=8, weekday=rd.SU(+1)),
        end=rd.relativedelta(hours=+1, month=11, day=1, weekday=rd.SU(+1)),
    )


@pytest.fixture
def local_ny(monkeypatch: pytest.MonkeyPatch) -> Iterator[tzinfo]:
    """dateutil's tzlocal() with the process's zone set to New York."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        yield tz.tzlocal()
    finally:
        monkeypatch.undo()
        time.tzset()


def windows(zone: tzinfo, years: list[int]) -> Iterator[tuple[S.Source, S.Table]]:
    tl = S.Timeline(zone, datetime(2026, 1, 1))
    for y in years:
        src, tab, _ = tl.locate(datetime(y, 6, 1))
        yield src, tab


DATEUTIL_YEARS = [1850, 1901, 1950, 2026, 2037, 2038, 2100, 5000]


@pytest.mark.parametrize(
    "make",
    [
        lambda: tz.gettz("America/New_York"),
        lambda: tz.gettz("Australia/Lord_Howe"),
        lambda: bundled("Europe/Dublin"),
        lambda: tz.tzfile("/usr/share/zoneinfo/Pacific/Apia"),
        lambda: tz.tzstr("EST5EDT,M3.2.0,M11.1.0"),
        lambda: tz.tzstr("AEST-10AEDT,M10.1.0,M4.1.0/3"),
        us_tzrange,
    ],
    ids=[
        "gettz-ny",
        "gettz-lord-howe",
        "bundled-dublin",
        "tzfile-apia",
        "tzstr",
        "tzstr-south",
        "tzrange",
    ],
)
def test_dateutil_zones_are_read_from_their_own_data(make: object) -> None:
    zone = make()  # type: ignore[operator]
    rng = random.Random(repr(zone))
    for src, tab in windows(zone, DATEUTIL_YEARS):
        assert isinstance(src, S.Listed), (zone, src)
        check_table(zone, tab, rng)


def test_tzlocal_is_read_from_the_system_zone(local_ny: tzinfo) -> None:
    rng = random.Random(5)
    for src, tab in windows(local_ny, [1850, 1920, 2026, 2100, 9000]):
        assert isinstance(src, S.Listed)
        check_table(local_ny, tab, rng)


def test_windows_grow_both_ways_and_stay_right() -> None:
    for zone in (tz.gettz("Europe/Berlin"), tz.tzstr("EST5EDT,M3.2.0,M11.1.0"), BERLIN):
        src = S.pick_source(zone, datetime(1990, 6, 1), radius=timedelta(days=40))
        assert isinstance(src, S.Listed)
        for up in (True, False, True, True, False, False, False):
            before = src.table.above - src.table.below
            src.grow(up)
            added = src.table.above - src.table.below - before
            # doubling, but never more than four years at once (a search pays for it)
            assert min(before, timedelta(days=64)) <= added <= timedelta(days=4 * 366)
        check_table(zone, src.table, random.Random(6))
        assert src.table.above - src.table.below > timedelta(days=14 * 365)


# --- The same rules, the same answers -------------------------------------------------

EXPRS = [
    "0 30 2 * * *",  # skipped in spring: once, at 03:00 EDT
    "0 */15 1-2 * * *",
    "0 30 1 * * *",  # repeated in autumn: the first time only
    "0 0 * * * *",  # hour-full: both 01:00s
    "0 0 0 * 2 MON#5",
    "59 59 23 L * *",
    "0 0 0 1 1 * 2100",
    "0 30 2 8 3 * 2099",
]


def starts(years: list[int]) -> list[datetime]:
    """UTC instants around the two changes of each year, and a few others."""
    out = []
    for y in years:
        spring, autumn = M.USEastern()._walls(y)
        for wall in (spring, autumn):
            for h in (-30, -2, -1, 0, 1, 2, 26):
                out.append(wall + timedelta(hours=5 + h, minutes=7))
        out.append(datetime(y, 12, 31, 23, 59, 59))
    return out


def answers(zone: tzinfo, years: list[int], far: bool = True) -> list[object]:
    """Every result as (UTC instant, wall, fold), or the error, for the corpus
    (without the expressions of far years unless ``far``)."""
    out: list[object] = []
    for text in EXPRS if far else EXPRS[:-2]:
        e = CronExpr(text, tz=zone)
        for u in starts(years):
            t = u.replace(tzinfo=UTC)
            for f in (e.next, e.prev):
                try:
                    r = f(t)
                    out.append((r.astimezone(UTC), r.replace(tzinfo=None), r.fold))
                except OverflowError:
                    out.append("overflow")
            out.append(e.match(t.astimezone(zone)))
            it = islice(e.iter(t.astimezone(zone)), 4)
            out.append([(r.astimezone(UTC), r.fold) for r in it])
    return out


NEAR = [2007, 2026, 2031, 2036]
FAR = [2099, 2100, 2399, 5000, 9998]


@pytest.mark.parametrize(
    "make, years",
    [
        (lambda: tz.gettz("America/New_York"), None),  # its data end in 2037
        (lambda: bundled("America/New_York"), None),
        (lambda: tz.tzstr("EST5EDT,M3.2.0,M11.1.0"), NEAR + FAR),
        (us_tzrange, NEAR + FAR),
        (M.USEastern, NEAR + FAR),
    ],
    ids=["gettz", "bundled", "tzstr", "tzrange", "custom"],
)
def test_same_rules_give_zoneinfos_answers(make: object, years: list[int] | None) -> None:
    zone = make()  # type: ignore[operator]
    far = years is not None
    years = years or NEAR
    assert answers(zone, years, far) == answers(NY, years, far)


def test_tzlocal_gives_zoneinfos_answers(local_ny: tzinfo) -> None:
    assert answers(local_ny, NEAR + FAR) == answers(NY, NEAR + FAR)


def test_dateutil_zones_against_the_model() -> None:
    """Independent of ZoneInfo: around each zone's changes, the model's fires."""
    rng = random.Random(7)
    specs = [
        M.Spec(frozenset({0}), frozenset({30}), frozenset({1, 2})),
        M.Spec(frozenset({0}), frozenset({0, 30}), M.ALL["hours"]),
        M.Spec(frozenset({0, 30}), frozenset({0, 15, 45}), frozenset({0, 1, 2, 3, 23})),
    ]
    for zone in (
        tz.gettz("Australia/Lord_Howe"),
        tz.tzstr("AEST-10AEDT,M10.1.0,M4.1.0/3"),
        M.USEastern(),
    ):
        changes = M.transitions(zone)
        for centre in rng.sample(changes, 6):
            for spec in specs:
                run_case(
                    zone, spec, centre, [centre + timedelta(seconds=rng.randrange(-9000, 9000))]
                )


# --- Data that lie ---------------------------------------------------------------------


class Disguised(tz.tzfile):  # type: ignore[misc]
    """New York's tzfile data, but Berlin's offsets: the data lie about the zone."""

    def fromutc(self, dt: datetime) -> datetime:
        return BERLIN.fromutc(dt.replace(tzinfo=BERLIN)).replace(tzinfo=self)

    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        return BERLIN.utcoffset(None if dt is None else dt.replace(tzinfo=BERLIN))

    def dst(self, dt: datetime | None) -> timedelta | None:
        return BERLIN.dst(None if dt is None else dt.replace(tzinfo=BERLIN))


def test_tzfile_data_that_disagree_with_the_zone_are_dropped_for_probing() -> None:
    zone = Disguised("/usr/share/zoneinfo/America/New_York")
    src = S.pick_source(zone, datetime(2026, 1, 1))
    assert isinstance(src, S.Probe)
    rng = random.Random(8)
    for centre in [c for c in M.transitions(BERLIN) if 2024 <= c.year <= 2028]:
        spec = M.Spec(frozenset({0}), frozenset({30}), frozenset({2}))
        run_case(zone, spec, centre, [centre + timedelta(seconds=rng.randrange(-9000, 9000))])


def test_a_lying_filename_is_not_read() -> None:
    zone = tz.gettz.nocache("America/New_York")
    zone._filename = "/usr/share/zoneinfo/Europe/Berlin"
    assert answers(zone, [2026], far=False) == answers(NY, [2026], far=False)


class Counting(tzinfo):
    """UTC that counts how often it is asked where an instant's offset is."""

    def __init__(self) -> None:
        self.asked = 0

    def fromutc(self, dt: datetime) -> datetime:
        self.asked += 1
        return dt

    def utcoffset(self, dt: datetime | None) -> timedelta:
        return timedelta(0)

    def dst(self, dt: datetime | None) -> timedelta:
        return timedelta(0)


def test_no_year_left_answers_without_asking_the_zone() -> None:
    zone = Counting()
    t = datetime(2026, 6, 1, tzinfo=zone)
    with pytest.raises(OverflowError, match="no year after 2020"):
        CronExpr("0 0 0 1 1 * 2020").next(t)
    with pytest.raises(OverflowError, match="no year before 2030"):
        CronExpr("0 0 0 1 1 * 2030-2040").prev(t)
    assert zone.asked == 0
    assert CronExpr("0 0 0 1 1 * 2030").next(t) == datetime(2030, 1, 1, tzinfo=zone)


class CountingEastern(M.USEastern):
    """The model's US Eastern zone (probed: it has no data), counting its ``fromutc`` calls."""

    def __init__(self) -> None:
        self.asked = 0

    def fromutc(self, dt: datetime) -> datetime:
        self.asked += 1
        return super().fromutc(dt)


@pytest.mark.parametrize(
    ("text", "calls"), [("0 0 0 1 1 *", 40), ("0 0 12 1 */5 *", 60), ("0 0 0 29 2 1", 4)]
)
def test_a_probed_zone_is_read_a_few_months_per_call(text: str, calls: int) -> None:
    # A probe costs one fromutc call a day. Walking on, call after call, no single call
    # may read the zone much further than its answer: before windows grew by at most a
    # few months, the 30th yearly call probed 16 years at once (5,800 calls, 51 ms).
    zone = CountingEastern()
    expr = CronExpr(text)
    t = datetime(2026, 11, 30, 12, tzinfo=zone)
    most, fires = 0, []
    for _ in range(calls):
        zone.asked = 0
        t = expr.next(t)
        most = max(most, zone.asked)
        fires.append(t)
    assert most <= 400, most  # a window of 64 days, growth of 128, bisections (158 seen)
    want = list(islice(CronExpr(text, tz=NY).iter(datetime(2026, 11, 30, 12, tzinfo=NY)), calls))
    assert [f.replace(tzinfo=None) for f in fires] == [w.replace(tzinfo=None) for w in want]
