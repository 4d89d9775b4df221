"""Where offsets change: cronsec's segment tables against the tzinfos themselves.

The tzinfo is the truth. For every IANA zone on this machine the TZif reading
(transitions and footer rule) must agree with ``ZoneInfo`` at and around each
transition, between transitions, and in far years; probed zones (custom
tzinfos) must find the same changes. dateutil's zones are in test_tz_sources.py.
"""

from __future__ import annotations

import random
import zoneinfo
from datetime import datetime, timedelta, timezone, tzinfo

import pytest
import tz_model as M

from cronsec import _segments as S
from cronsec import _tzif

SECOND = timedelta(seconds=1)


def table_offset(tab: S.Table, u: datetime) -> timedelta:
    return tab.offs[S.bisect_right(tab.trans, u)]


def grown(zone: tzinfo, until: datetime) -> tuple[S.Source, S.Table]:
    """The zone's source, its table grown to know ``until``."""
    tl = S.Timeline(zone, datetime(2026, 1, 1))
    src, tab, _ = tl.locate(until)
    return src, tab


def check_table(
    zone: tzinfo, tab: S.Table, rng: random.Random, samples: int = 40, middles: bool = True
) -> None:
    """The table's offset is the zone's at random instants and around every change."""
    lo = max(tab.below, datetime(1, 1, 5))
    hi = min(tab.above, datetime(9999, 12, 25))
    points = [lo + (hi - lo) * rng.random() for _ in range(samples)]
    for t in tab.trans:
        points += [t - SECOND, t]
    if middles:
        for k in range(1, len(tab.trans)):
            points.append(tab.trans[k - 1] + (tab.trans[k] - tab.trans[k - 1]) / 2)
    for u in points:
        if lo <= u < hi:
            assert table_offset(tab, u) == S.offset_at(zone, u), (zone, u)
    for a, b in zip(tab.offs, tab.offs[1:]):
        assert a != b  # changes only


ALL_KEYS = sorted(zoneinfo.available_timezones())


def test_every_zone_reads_its_tzif_and_agrees_with_zoneinfo() -> None:
    rng = random.Random(4)
    probed = []
    for key in ALL_KEYS:
        zone = zoneinfo.ZoneInfo(key)
        # one window over 1800-2050: the LMT years, the table, and the footer rule
        src = S.pick_source(zone, datetime(1925, 1, 1), radius=timedelta(days=125 * 366))
        tab = src.table
        if not isinstance(src, (S.Listed, S.Fixed)):
            probed.append(key)
            continue
        check_table(zone, tab, rng, samples=5, middles=False)
    # "right/" (leap second) zones are the only ones allowed to fall back to probing
    assert [k for k in probed if not k.startswith("right/")] == []


@pytest.mark.parametrize(
    "key", ["America/New_York", "Australia/Lord_Howe", "Europe/Dublin", "Pacific/Chatham"]
)
def test_footer_rules_agree_to_year_9999(key: str) -> None:
    zone = zoneinfo.ZoneInfo(key)
    src = S.pick_source(zone, datetime(6000, 1, 1), radius=timedelta(days=4100 * 366))
    assert isinstance(src, S.Listed)
    tab = src.table  # one window over years 1900-9999
    assert tab.hi is None
    check_table(zone, tab, random.Random(key), samples=300, middles=False)


@pytest.mark.parametrize(
    "key", ["America/New_York", "Australia/Lord_Howe", "Europe/Dublin", "Pacific/Chatham"]
)
@pytest.mark.parametrize("year", [2100, 2399, 5000, 9999])
def test_far_instants_get_a_window_of_the_footer_rule(key: str, year: int) -> None:
    zone = zoneinfo.ZoneInfo(key)
    tl = S.Timeline(zone, datetime(2026, 1, 1))
    src, tab, _ = tl.locate(datetime(year, 6, 1))
    assert isinstance(src, S.Listed) and src is not tl.source
    assert tl.locate(datetime(year, 7, 1))[0] is src  # made once
    check_table(zone, tab, random.Random(key), samples=50)


def test_far_instants_of_a_probed_zone_get_a_small_window() -> None:
    zone = M.USEastern()
    tl = S.Timeline(zone, datetime(2026, 1, 1))
    src, tab, _ = tl.locate(datetime(2300, 6, 1))
    assert isinstance(src, S.Probe) and src is not tl.source
    assert tab.above - tab.below < timedelta(days=100)
    check_table(zone, tab, random.Random(1), samples=50)


def test_posix_rules_parse() -> None:
    cases = {
        "EST5EDT,M3.2.0,M11.1.0": (-5 * 3600, -4 * 3600),
        "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0": (37800, 39600),
        "IST-1GMT0,M10.5.0,M3.5.0/1": (3600, 0),
        "<-02>2<-01>,M3.5.0/-1,M10.5.0/0": (-7200, -3600),
        "EET-2EEST,M3.4.4/50,M10.4.4/50": (7200, 10800),
        "NST3:30NDT,M3.2.0,M11.1.0": (-12600, -9000),
        "<+0530>-5:30": (19800, None),
        "UTC0": (0, None),
    }
    for text, (std, dst) in cases.items():
        rule = _tzif.parse_posix(text)
        assert rule is not None, text
        assert (rule.std, rule.dst) == (std, dst)
    for bad in ("", "EST", "EST5EDT,M13.1.0,M11.1.0", "5EST", "EST5EDT,J366,M11.1.0", "EST5EDT"):
        assert _tzif.parse_posix(bad) is None, bad
    assert _tzif.parse_tzif(b"not a tzif file") is None
    assert _tzif.read_key("../etc/passwd") is None
    assert _tzif.read_key("No/Such_Zone") is None


def test_custom_zone_is_probed_and_finds_the_same_changes() -> None:
    du = M.USEastern()
    zi = zoneinfo.ZoneInfo("America/New_York")
    # Days past the first window (2026-01-01, two months either side): it grows, and
    # learns the change of 2026-03-08.
    src, tab = grown(du, datetime(2026, 3, 20))
    assert isinstance(src, S.Probe) and tab.below < datetime(2026, 1, 1) < tab.above
    check_table(du, tab, random.Random(1))
    _, ref = grown(zi, datetime(2026, 3, 20))
    known = [t for t in tab.trans if tab.below <= t < tab.above]
    assert known and known == [t for t in ref.trans if tab.below <= t < tab.above]
    # far from the first window: a window of its own, still right
    _, tab2 = grown(du, datetime(2300, 6, 1))
    check_table(du, tab2, random.Random(2))


def test_fixed_zones_have_no_transitions() -> None:
    for zone in (
        timezone.utc,
        timezone(timedelta(hours=-3, minutes=-30)),
        zoneinfo.ZoneInfo("UTC"),
    ):
        src, tab = grown(zone, datetime(9999, 1, 1))
        assert tab.trans == [] and tab.hi is None and tab.lo is None
    tz = pytest.importorskip("dateutil.tz")
    src, tab = grown(tz.tzoffset(None, -12600), datetime(2030, 1, 1))
    assert isinstance(src, S.Fixed)


class Mislabelled(zoneinfo.ZoneInfo):
    """Berlin's rules under New York's key: the TZif check must catch it."""

    @property
    def key(self) -> str:  # type: ignore[override]
        return "America/New_York"


def test_tzif_that_disagrees_with_the_zone_is_dropped_for_probing() -> None:
    fake = Mislabelled.no_cache("Europe/Berlin")
    assert fake.key == "America/New_York"
    src = S.pick_source(fake, datetime(2026, 1, 1))
    assert isinstance(src, S.Probe)
    check_table(fake, src.table, random.Random(3))


def test_tzif_found_in_the_tzdata_package_too(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("tzdata")
    monkeypatch.setattr(zoneinfo, "TZPATH", ())
    data = _tzif.read_key("America/New_York")
    assert data is not None and data.startswith(b"TZif")
    parsed = _tzif.parse_tzif(data)
    assert parsed is not None and parsed.rule is not None


def test_threads_growing_one_probed_zone_agree() -> None:
    """Searches on many threads, each making one probe window grow its own way."""
    import threading

    from cronsec import CronExpr

    tz = pytest.importorskip("dateutil.tz")
    reference = tz.gettz.nocache("Europe/Berlin")
    shared = tz.gettz.nocache("Europe/Berlin")  # a zone object no search has seen yet
    years = list(range(1950, 2031, 5))
    e = CronExpr("0 30 2 * * *")
    want = [e.next(datetime(y, 3, 20, tzinfo=reference)).astimezone(timezone.utc) for y in years]
    got: dict[int, list[datetime]] = {}

    def work(i: int) -> None:
        order = years[i:] + years[:i]
        res = {y: e.next(datetime(y, 3, 20, tzinfo=shared)).astimezone(timezone.utc) for y in order}
        got[i] = [res[y] for y in years]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(got) == 8 and all(v == want for v in got.values())
