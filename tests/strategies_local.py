"""Hypothesis strategies for valid cron expressions and start times (tests only).

Covers every grammar form of SPEC sections 1 and 8: `*`, values, names in random
case, ranges (wrapping too), steps, lists, day-of-week 7, macros, five/six/seven
fields, tabs and repeated spaces, and the day items `?` `L` `L-n` `mW` `LW`
`L-nW` `dL` `d#k`, plus a year field near a given year.
"""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta
from typing import NamedTuple

from hypothesis import strategies as st

MONTH_NAMES = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
DAY_NAMES = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
MACROS = ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"]


DOM_EDGES = ["29", "30", "31", "29-31", "30W", "31W", "29W", "L-29", "L-28", "L-30W", "L-2W", "1W"]
DOW_EDGES = ["MON#5", "1#5", "SAT#5", "5L", "0#1,6#5"]
MONTH_EDGES = ["2", "FEB", "4,6,9,11", "2,4", "2-2", "apr-apr/3"]


class Spec(NamedTuple):
    lo: int
    hi: int
    names: list[str] | None
    base: int  # value of names[0]


SECOND = Spec(0, 59, None, 0)
MINUTE = SECOND
HOUR = Spec(0, 23, None, 0)
DOM = Spec(1, 31, None, 0)
MONTH = Spec(1, 12, MONTH_NAMES, 1)
DOW = Spec(0, 7, DAY_NAMES, 0)


@st.composite
def random_case(draw: st.DrawFn, word: str) -> str:
    flips = draw(st.lists(st.booleans(), min_size=len(word), max_size=len(word)))
    return "".join(c.lower() if f else c.upper() for c, f in zip(word, flips))


@st.composite
def values(draw: st.DrawFn, spec: Spec) -> str:
    edges = st.sampled_from([spec.lo, spec.lo + 1, spec.hi - 1, spec.hi])
    v = draw(st.one_of(st.integers(spec.lo, spec.hi), edges))
    if (
        spec.names is not None
        and spec.base <= v < spec.base + len(spec.names)
        and draw(st.booleans())
    ):
        return draw(random_case(spec.names[v - spec.base]))
    return str(v)


@st.composite
def steps(draw: st.DrawFn, spec: Spec) -> str:
    return str(draw(st.integers(1, spec.hi - spec.lo + 3)))


@st.composite
def ordinary_items(draw: st.DrawFn, spec: Spec) -> str:
    """`*`, `*/n`, `a`, `a-b` (wrapping when a > b), `a-b/n`, `a/n`."""
    kind = draw(st.sampled_from(["*", "*/n", "a", "a", "a-b", "a-b", "a-b/n", "a/n"]))
    if kind == "*":
        return "*"
    if kind == "*/n":
        return "*/" + draw(steps(spec))
    a = draw(values(spec))
    if kind == "a":
        return a
    if kind == "a/n":
        return a + "/" + draw(steps(spec))
    b = draw(values(spec))
    rng = a + "-" + b
    if kind == "a-b/n":
        rng += "/" + draw(steps(spec))
    return rng


@st.composite
def ordinary_fields(draw: st.DrawFn, spec: Spec, max_items: int = 3) -> str:
    return ",".join(draw(st.lists(ordinary_items(spec), min_size=1, max_size=max_items)))


@st.composite
def dom_special_items(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["L", "L-n", "mW", "LW", "L-nW"]))
    if kind == "L-n":
        word = f"L-{draw(st.integers(0, 30))}"
    elif kind == "mW":
        word = f"{draw(st.one_of(st.sampled_from([1, 2, 3, 29, 30, 31]), st.integers(1, 31)))}W"
    elif kind == "L-nW":
        word = f"L-{draw(st.integers(0, 30))}W"
    else:
        word = kind
    return draw(random_case(word))


@st.composite
def dow_special_items(draw: st.DrawFn) -> str:
    d = draw(values(DOW))
    if draw(st.booleans()):
        return d + draw(random_case("L"))
    return f"{d}#{draw(st.integers(1, 5))}"


@st.composite
def dom_fields(draw: st.DrawFn, special: bool = True) -> str:
    kind = draw(st.sampled_from(["*", "*", "?", "ordinary", "ordinary", "mixed", "mixed", "edge"]))
    if kind == "edge":  # days that some months lack: never-firing combinations come up
        return draw(random_case(draw(st.sampled_from(DOM_EDGES if special else DOM_EDGES[:4]))))
    if kind in ("*", "?") or (kind == "mixed" and not special):
        return "*" if kind != "?" else "?"
    if kind == "ordinary":
        return draw(ordinary_fields(DOM))
    items = st.one_of(ordinary_items(DOM), dom_special_items(), dom_special_items())
    return ",".join(draw(st.lists(items, min_size=1, max_size=3)))


@st.composite
def dow_fields(draw: st.DrawFn, special: bool = True) -> str:
    kind = draw(st.sampled_from(["*", "*", "?", "ordinary", "ordinary", "mixed", "mixed", "edge"]))
    if kind == "edge" and special:
        return draw(random_case(draw(st.sampled_from(DOW_EDGES))))
    if kind in ("*", "?", "edge") or (kind == "mixed" and not special):
        return "*" if kind != "?" else "?"
    if kind == "ordinary":
        return draw(ordinary_fields(DOW))
    items = st.one_of(ordinary_items(DOW), dow_special_items(), dow_special_items())
    return ",".join(draw(st.lists(items, min_size=1, max_size=3)))


@st.composite
def month_fields(draw: st.DrawFn) -> str:
    # mostly wide sets, so that restricted day fields still fire often
    kind = draw(st.integers(0, 5))
    if kind <= 1:
        return "*"
    if kind == 2:
        return draw(random_case(draw(st.sampled_from(MONTH_EDGES))))
    return draw(ordinary_fields(MONTH))


@st.composite
def year_fields(draw: st.DrawFn, near: int = 2026) -> str:
    """A year field whose years start close to ``near`` (clamped to 1970-9999)."""
    near = min(max(near, 1970), 9999)

    def year() -> int:
        return draw(st.integers(max(1970, near - 3), min(9999, near + 3)))

    def item() -> str:
        kind = draw(st.sampled_from(["*", "*/n", "y", "y-z", "y-z/n", "y/n"]))
        if kind == "*":
            return "*"
        if kind == "*/n":
            return f"*/{draw(st.integers(1, 4))}"
        a = year()
        if kind == "y":
            return str(a)
        if kind == "y/n":
            return f"{a}/{draw(st.integers(1, 4))}"
        b = draw(st.integers(a, min(9999, a + 6)))
        if kind == "y-z":
            return f"{a}-{b}"
        return f"{a}-{b}/{draw(st.integers(1, 4))}"

    return ",".join(item() for _ in range(draw(st.integers(1, 3))))


@st.composite
def separators(draw: st.DrawFn) -> str:
    return draw(st.sampled_from([" ", " ", " ", "  ", "\t", " \t ", "\t\t"]))


@st.composite
def expressions(
    draw: st.DrawFn, near_year: int = 2026, special: bool = True, year: bool = True
) -> str:
    """A valid-looking expression (it may still never fire: callers check with the model)."""
    shape = draw(st.sampled_from(["macro", "five", "six", "six", "six", "seven"]))
    if shape == "macro":
        body = draw(random_case(draw(st.sampled_from(MACROS))))
    else:
        fields = [
            draw(ordinary_fields(SECOND)),
            draw(ordinary_fields(MINUTE)),
            draw(ordinary_fields(HOUR)),
            draw(dom_fields(special)),
            draw(month_fields()),
            draw(dow_fields(special)),
        ]
        if shape == "five":
            fields = fields[1:]
        if shape == "seven" and year:
            fields.append(draw(year_fields(near_year)))
        body = fields[0]
        for f in fields[1:]:
            body += draw(separators()) + f
    lead = draw(st.sampled_from(["", "", "", " ", "\t", "  "]))
    trail = draw(st.sampled_from(["", "", "", " ", "\t", "  "]))
    return lead + body + trail


# ---------------------------------------------------------------- start times

_ANY = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59))
_TIMES = st.sampled_from([(0, 0, 0), (23, 59, 59), (12, 0, 0), (0, 0, 1), (23, 59, 58)])


@st.composite
def _microsecond(draw: st.DrawFn) -> int:
    return draw(st.sampled_from([0, 0, 1, 500000, 999999]))


@st.composite
def _near_leap_day(draw: st.DrawFn) -> datetime:
    y = draw(st.sampled_from([2000, 2024, 2028, 2096, 2100, 2104, 1900, 2400, 4, 9996]))
    base = datetime(y, 2, 27)
    off = draw(st.integers(0, 3 * 86400 - 1))
    return base + timedelta(seconds=off, microseconds=draw(_microsecond()))


@st.composite
def _month_edge(draw: st.DrawFn) -> datetime:
    y = draw(st.integers(1, 9999))
    m = draw(st.integers(1, 12))
    last = calendar.monthrange(y, m)[1]
    day = draw(st.sampled_from([1, last, last - 1, 28]))
    h, mi, s = draw(_TIMES)
    return datetime(y, m, day, h, mi, s, draw(_microsecond()))


@st.composite
def _range_edge(draw: st.DrawFn) -> datetime:
    if draw(st.booleans()):
        base = datetime(1, 1, 1)
        off = draw(st.integers(0, 20 * 86400))
        return base + timedelta(seconds=off, microseconds=draw(_microsecond()))
    base = datetime(9999, 12, 31, 23, 59, 59)
    off = draw(st.integers(0, 40 * 86400))
    return base - timedelta(seconds=off, microseconds=draw(_microsecond()))


@st.composite
def _recent(draw: st.DrawFn) -> datetime:
    t = draw(st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2060, 12, 31)))
    return t.replace(microsecond=draw(_microsecond()))


def start_times() -> st.SearchStrategy[datetime]:
    """Naive datetimes: anywhere, recent, near leap days, month/year ends, years 1 and 9999."""
    return st.one_of(_ANY, _recent(), _near_leap_day(), _month_edge(), _range_edge())
