"""Aware next/prev/iter/match against the literal model in tz_model.py (SPEC 4, 5).

Each example draws an expression and a six-hour window of real instants, near a
real offset change of the zone (found from the zone itself) or anywhere in
years 2..9998, and compares cronsec with every fire instant the model finds
there: next and prev from instants in the window, iteration both ways across
it, and match; match must also agree with next on its own.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Callable
from zoneinfo import ZoneInfo

import pytest
import tz_model as M
from hypothesis import given, settings
from hypothesis import strategies as st

from cronsec import CronExpr

UTC = timezone.utc
# Examples per zone: 30 keeps the file near 15 s; raise it to hunt (CRONSEC_TZ_EXAMPLES=2000).
EXAMPLES = int(os.environ.get("CRONSEC_TZ_EXAMPLES", "30"))
HOUR = timedelta(hours=1)
HALF_WINDOW = 3 * HOUR

ZONE_NAMES = [
    "America/New_York",
    "Europe/London",
    "Europe/Berlin",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "Pacific/Apia",
    "Pacific/Chatham",
    "Asia/Kolkata",
    "UTC",
]


def _zones() -> list[tuple[str, Callable[[], tzinfo]]]:
    out: list[tuple[str, Callable[[], tzinfo]]] = [(n, lambda n=n: ZoneInfo(n)) for n in ZONE_NAMES]
    out.append(("fixed-03:30", lambda: timezone(-timedelta(hours=3, minutes=30), "-03:30")))

    def dateutil_ny() -> tzinfo:
        tz = pytest.importorskip("dateutil.tz")
        zone = tz.gettz("America/New_York")
        assert zone is not None
        return zone

    out.append(("dateutil-America/New_York", dateutil_ny))

    def dateutil_tzstr() -> tzinfo:
        tz = pytest.importorskip("dateutil.tz")
        return tz.tzstr("AEST-10AEDT,M10.1.0,M4.1.0/3")  # type: ignore[no-any-return]

    out.append(("dateutil-tzstr-AEST", dateutil_tzstr))
    out.append(("custom-USEastern", M.USEastern))  # probed: a user's own tzinfo
    return out


ZONES = _zones()
_made: dict[str, tzinfo] = {}


def zone_for(name: str, make: Callable[[], tzinfo]) -> tzinfo:
    if name not in _made:
        _made[name] = make()
    return _made[name]


def value_sets(lo: int, hi: int, most: int) -> st.SearchStrategy[frozenset[int]]:
    return st.frozensets(st.integers(lo, hi), min_size=1, max_size=most)


def steps(lo: int, hi: int) -> st.SearchStrategy[frozenset[int]]:
    return st.builds(
        lambda start, n: frozenset(range(lo + start, hi + 1, n)),
        st.integers(0, 3),
        st.sampled_from([2, 5, 10, 15, 20, 30]).filter(lambda n: n < hi - lo),
    )


@st.composite
def specs(draw: st.DrawFn, near: datetime | None) -> M.Spec:
    """An expression whose clock times are often the ones around ``near`` (local)."""
    seconds = draw(st.one_of(st.just(frozenset({0})), value_sets(0, 59, 3)))
    full_minutes = len(seconds) == 1 and draw(st.booleans())
    minutes = (
        M.ALL["minutes"]
        if full_minutes
        else draw(st.one_of(st.just(frozenset({0})), value_sets(0, 59, 4), steps(0, 59)))
    )
    hint_hours: set[int] = set()
    if near is not None:
        hint_hours = {(near + d * HOUR).hour for d in range(-2, 3)}
    kind = draw(st.integers(0, 3))
    if kind == 0:
        hours = M.ALL["hours"]  # hour-full
    elif kind == 1:  # clock times around the centre
        hints = st.sets(st.sampled_from(sorted(hint_hours or {0})), min_size=1, max_size=3)
        hours = draw(value_sets(0, 23, 2)) | draw(hints)
    else:
        hours = draw(value_sets(0, 23, 6) if kind == 2 else steps(0, 23))
    doms, dows, months = M.ALL["doms"], M.ALL["dows"], M.ALL["months"]
    kind = draw(st.integers(0, 9))
    if kind == 0:
        doms = draw(value_sets(1, 28, 5)) | ({near.day} if near else set())
    elif kind == 1:
        dows = draw(value_sets(0, 6, 3)) | ({(near.weekday() + 1) % 7} if near else set())
    elif kind == 2:
        doms = draw(value_sets(1, 28, 3))
        dows = draw(value_sets(0, 6, 2))
    elif kind == 3:
        months = draw(value_sets(1, 12, 4)) | ({near.month} if near else set())
    return M.Spec(
        frozenset(seconds),
        frozenset(minutes),
        frozenset(hours),
        frozenset(doms),
        frozenset(months),
        frozenset(dows),
    )


@st.composite
def cases(draw: st.DrawFn, zone: tzinfo) -> tuple[M.Spec, datetime, list[datetime]]:
    """(expression, window centre as a UTC instant, query instants in the window)."""
    changes = M.transitions(zone)
    if changes and draw(st.integers(0, 3)) > 0:
        centre = draw(st.sampled_from(changes)) + timedelta(seconds=draw(st.integers(-7200, 7200)))
    else:
        early = draw(st.booleans())
        lo, hi = (
            (datetime(1850, 1, 1), datetime(2110, 1, 1))
            if early
            else (datetime(2, 1, 1), datetime(9998, 12, 1))
        )
        centre = lo + timedelta(seconds=draw(st.integers(0, int((hi - lo).total_seconds()))))
    spec = draw(specs(M.wall_at(zone, centre).replace(tzinfo=None)))
    offsets = st.integers(-int(HALF_WINDOW.total_seconds()), int(HALF_WINDOW.total_seconds()) - 1)
    micros = st.sampled_from([0, 0, 1, 999_999])
    queries = draw(st.lists(st.tuples(offsets, micros), min_size=1, max_size=6))
    return spec, centre, [centre + timedelta(seconds=s, microseconds=us) for s, us in queries]


def utc_of(r: datetime) -> datetime:
    return r.astimezone(UTC).replace(tzinfo=None)


def check_result(r: datetime, zone: tzinfo, fire: M.Fire) -> None:
    """``r`` is ``fire``: the same instant, in the zone, with the model's wall and fold."""
    assert r.tzinfo is zone
    assert utc_of(r) == fire.instant
    assert (r.replace(tzinfo=None), r.fold) == (fire.wall, fire.fold)


def run_case(zone: tzinfo, spec: M.Spec, centre: datetime, queries: list[datetime]) -> None:
    a, b = centre - HALF_WINDOW, centre + HALF_WINDOW
    fires = M.fires(zone, spec, a, b)
    instants = [f.instant for f in fires]
    free = CronExpr(spec.text)
    bound = CronExpr(spec.text, tz=zone)
    for q in queries:
        in_zone = M.wall_at(zone, q)
        in_utc = q.replace(tzinfo=UTC)
        after = [f for f in fires if f.instant > q]
        before = [f for f in fires if f.instant < q]
        for e, t in ((free, in_zone), (bound, in_utc), (bound, in_zone)):
            n, p = e.next(t), e.prev(t)
            if after:
                check_result(n, zone, after[0])
            else:
                assert utc_of(n) >= b
            if before:
                check_result(p, zone, before[-1])
            else:
                assert utc_of(p) < a
            # match agrees with next, on its own: next fires, nothing between does.
            assert e.match(n) and e.match(p)
            for x in (
                q.replace(microsecond=0) + timedelta(seconds=1),
                utc_of(n) - timedelta(seconds=1),
            ):
                if q < x < utc_of(n):
                    assert not e.match(M.wall_at(zone, x)), x
        whole = q.replace(microsecond=0)
        assert free.match(M.wall_at(zone, whole)) == (whole in instants)
    # Iteration both ways across the window yields exactly the model's fires.
    got: list[datetime] = []
    for r in free.iter(M.wall_at(zone, a - timedelta(microseconds=1))):
        if utc_of(r) >= b:
            break
        got.append(r)
    assert [utc_of(r) for r in got] == instants
    for r, f in zip(got, fires):
        check_result(r, zone, f)
    back: list[datetime] = []
    for r in bound.iter(b.replace(tzinfo=UTC), reverse=True):
        if utc_of(r) < a:
            break
        back.append(r)
    assert [utc_of(r) for r in reversed(back)] == instants


@pytest.mark.parametrize("name, make", ZONES, ids=[n for n, _ in ZONES])
@settings(max_examples=EXAMPLES)
@given(data=st.data())
def test_aware_search_matches_model(
    name: str, make: Callable[[], tzinfo], data: st.DataObject
) -> None:
    zone = zone_for(name, make)
    spec, centre, queries = data.draw(cases(zone))
    run_case(zone, spec, centre, queries)
