"""A deliberately naive reference model of SPEC sections 1, 2, 3, 6 and 8 (naive time).

It does not import cronsec. It parses valid expressions itself, decides "is this a
fire time" by literal calendar checks and finds next/prev fire times by walking
day by day. Slow on purpose and kept obviously right; it trusts its input (an
invalid expression makes it raise ModelError or AssertionError, nothing more).
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime, timedelta
from functools import cache, lru_cache
from typing import Callable, Union

MACROS = {
    "@yearly": "0 0 0 1 1 *",
    "@annually": "0 0 0 1 1 *",
    "@monthly": "0 0 0 1 * *",
    "@weekly": "0 0 0 * * 0",
    "@daily": "0 0 0 * * *",
    "@midnight": "0 0 0 * * *",
    "@hourly": "0 0 * * * *",
}
MONTH_NAMES = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
DAY_NAMES = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]

# Every (month length, weekday of the 1st) combination occurs in these 28 years
# (checked in _check_cycle below), and so does every kind of year (leap or not,
# times the weekday of January 1st).
CYCLE_YEARS = range(2000, 2028)

# Results of the bounded searches, besides a datetime.
END = "END"  # no fire time in the datetime range: the engine raises OverflowError


class Unknown:
    """Nothing found before the walk's bound: the answer, if any, is on or beyond ``frontier``
    (on or after it for next, on or before it for prev)."""

    def __init__(self, frontier: date) -> None:
        self.frontier = frontier

    def __repr__(self) -> str:
        return f"Unknown({self.frontier})"


Result = Union[datetime, str, Unknown]
DayPredicate = Callable[[date], bool]


class ModelError(ValueError):
    """The model could not read the expression (it only reads valid ones)."""


def cron_weekday(d: date) -> int:
    """Day of the week in cron numbering: Sunday 0 .. Saturday 6."""
    return (d.weekday() + 1) % 7


def days_in_month(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def all_days(years: range) -> list[date]:
    d = date(years[0], 1, 1)
    out = []
    while d.year <= years[-1]:
        out.append(d)
        d += timedelta(days=1)
    return out


@cache
def cycle_days() -> tuple[date, ...]:
    return tuple(all_days(CYCLE_YEARS))


def _check_cycle() -> None:
    combos = {
        (days_in_month(y, m), date(y, m, 1).weekday()) for y in CYCLE_YEARS for m in range(1, 13)
    }
    assert len(combos) == 28, combos
    kinds = {(calendar.isleap(y), date(y, 1, 1).weekday()) for y in CYCLE_YEARS}
    assert len(kinds) == 14, kinds


_check_cycle()


@cache
def nearest_weekday(year: int, month: int, m: int) -> int | None:
    """The Monday-Friday day of the month nearest to day m, or None without a day m."""
    n = days_in_month(year, month)
    if not 1 <= m <= n:
        return None
    weekdays = [x for x in range(1, n + 1) if date(year, month, x).weekday() < 5]
    best = min(weekdays, key=lambda x: abs(x - m))
    ties = [x for x in weekdays if abs(x - m) == abs(best - m)]
    assert ties == [best], (year, month, m, ties)
    return best


def kth_of_weekday(d: date) -> int:
    """How many days of d's weekday its month has up to and including d."""
    return sum(1 for x in range(1, d.day + 1) if date(d.year, d.month, x).weekday() == d.weekday())


# ---------------------------------------------------------------- parsing

_NUMBER = re.compile(r"[0-9]+")


def _value(tok: str, lo: int, hi: int, names: list[str] | None, base: int) -> int:
    up = tok.upper()
    if names is not None and up in names:
        return names.index(up) + base
    if not _NUMBER.fullmatch(tok):
        raise ModelError(f"bad value {tok!r}")
    v = int(tok)
    if not lo <= v <= hi:
        raise ModelError(f"value {v} out of {lo}-{hi}")
    return v


def ordinary_values(
    item: str,
    lo: int,
    hi: int,
    names: list[str] | None = None,
    base: int = 0,
    dow: bool = False,
    wrap: bool = True,
) -> list[int]:
    """Values of one ordinary item (`*`, `a`, `a-b`, with an optional `/n`), SPEC section 1."""
    top = 6 if dow else hi  # where `*` and `a/n` end: Saturday for day-of-week
    body, step = item, 1
    stepped = "/" in item
    if stepped:
        body, step_txt = item.split("/")
        if not _NUMBER.fullmatch(step_txt) or int(step_txt) < 1:
            raise ModelError(f"bad step {step_txt!r}")
        step = int(step_txt)
    if body == "*":
        seq = list(range(lo, top + 1))
    elif "-" in body:
        a_txt, b_txt = body.split("-")
        a = _value(a_txt, lo, hi, names, base)
        b = _value(b_txt, lo, hi, names, base)
        if dow and a == 7:
            a = 0  # a range that starts at 7 starts at Sunday (`7-7` is Sunday alone)
            b = 0 if b == 7 else b
        if a <= b:
            seq = list(range(a, b + 1))
        elif wrap:
            seq = list(range(a, top + 1)) + list(range(lo, b + 1))
        else:
            raise ModelError("backward range")
    else:
        a = _value(body, lo, hi, names, base)
        if dow and a == 7:
            a = 0
        seq = list(range(a, top + 1)) if stepped else [a]
    picked = seq[::step]
    if dow:
        picked = [v % 7 for v in picked]
    return picked


def _set_predicate(values: frozenset[int], key: Callable[[date], int]) -> DayPredicate:
    return lambda d: key(d) in values


def dom_item(item: str) -> DayPredicate:
    """Predicate of one day-of-month item (SPEC 1 and 8.2)."""
    up = item.upper()
    if up == "L":
        return lambda d: d.day == days_in_month(d.year, d.month)
    m = re.fullmatch(r"L-([0-9]+)", up)
    if m:
        n = int(m.group(1))
        assert 0 <= n <= 30
        return lambda d: d.day == days_in_month(d.year, d.month) - n
    if up == "LW":
        return lambda d: d.day == nearest_weekday(d.year, d.month, days_in_month(d.year, d.month))
    m = re.fullmatch(r"L-([0-9]+)W", up)
    if m:
        n = int(m.group(1))
        assert 0 <= n <= 30
        return lambda d: (
            d.day == nearest_weekday(d.year, d.month, days_in_month(d.year, d.month) - n)
        )
    m = re.fullmatch(r"([0-9]+)W", up)
    if m:
        day = int(m.group(1))
        assert 1 <= day <= 31
        return lambda d: d.day == nearest_weekday(d.year, d.month, day)
    values = frozenset(ordinary_values(item, 1, 31))
    return _set_predicate(values, lambda d: d.day)


def dow_item(item: str) -> DayPredicate:
    """Predicate of one day-of-week item (SPEC 1 and 8.2)."""
    up = item.upper()
    m = re.fullmatch(r"(.+)#([0-9]+)", up)
    if m:
        wd = _value(m.group(1), 0, 7, DAY_NAMES, 0) % 7
        k = int(m.group(2))
        assert 1 <= k <= 5
        return lambda d: cron_weekday(d) == wd and kth_of_weekday(d) == k
    m = re.fullmatch(r"(.+)L", up)
    if m:
        wd = _value(m.group(1), 0, 7, DAY_NAMES, 0) % 7
        # d + 7 days is in the next month
        return lambda d: cron_weekday(d) == wd and d.day + 7 > days_in_month(d.year, d.month)
    values = frozenset(ordinary_values(item, 0, 7, DAY_NAMES, 0, dow=True))
    return _set_predicate(values, cron_weekday)


class DayField:
    """A day-of-month or day-of-week field: a union of item predicates."""

    def __init__(self, text: str, is_dom: bool) -> None:
        self.text = text
        items = text.split(",")
        if text == "?":
            self.preds: list[DayPredicate] = [lambda d: True]
        else:
            self.preds = [dom_item(i) if is_dom else dow_item(i) for i in items]
        # restricted unless it matches every day of every month (SPEC 8.4), by brute force
        self.restricted = not all(self.matches(d) for d in cycle_days())

    def matches(self, d: date) -> bool:
        return any(p(d) for p in self.preds)


@lru_cache(maxsize=4096)
def day_field(text: str, is_dom: bool) -> DayField:
    return DayField(text, is_dom)


def _plain_set(
    text: str, lo: int, hi: int, names: list[str] | None = None, base: int = 0
) -> frozenset[int]:
    out: set = set()
    for item in text.split(","):
        out.update(ordinary_values(item, lo, hi, names, base))
    return frozenset(out)


def _year_set(text: str) -> frozenset[int] | None:
    out: set = set()
    for item in text.split(","):
        out.update(ordinary_values(item, 1970, 9999, wrap=False))
    years = frozenset(out)
    if years == frozenset(range(1970, 10000)):
        return None  # all of 1970-9999: no restriction, also before 1970
    return years


def split_fields(text: str) -> list[str]:
    stripped = text.strip(" \t")
    if not stripped:
        raise ModelError("empty")
    fields = re.split(r"[ \t]+", stripped)
    if len(fields) == 1 and fields[0].startswith("@"):
        key = fields[0].lower()
        if key not in MACROS:
            raise ModelError("unknown macro")
        return MACROS[key].split(" ")
    if len(fields) == 5:
        fields = ["0", *fields]
    if len(fields) not in (6, 7):
        raise ModelError("field count")
    return fields


class Model:
    """One expression, read literally."""

    def __init__(self, text: str) -> None:
        fields = split_fields(text)
        self.seconds = _plain_set(fields[0], 0, 59)
        self.minutes = _plain_set(fields[1], 0, 59)
        self.hours = _plain_set(fields[2], 0, 23)
        self.dom = day_field(fields[3], True)
        self.months = _plain_set(fields[4], 1, 12, MONTH_NAMES, 1)
        self.dow = day_field(fields[5], False)
        self.years = _year_set(fields[6]) if len(fields) == 7 else None
        self.sorted_h = sorted(self.hours)
        self.sorted_m = sorted(self.minutes)
        self.sorted_s = sorted(self.seconds)

    # -- what matches
    def day_rule(self, d: date) -> bool:
        """SPEC section 2: OR when both are restricted, else the restricted one, else all."""
        if self.dom.restricted and self.dow.restricted:
            return self.dom.matches(d) or self.dow.matches(d)
        if self.dom.restricted:
            return self.dom.matches(d)
        if self.dow.restricted:
            return self.dow.matches(d)
        return True

    def year_ok(self, year: int) -> bool:
        return self.years is None or year in self.years

    def day_ok(self, d: date) -> bool:
        return d.month in self.months and self.year_ok(d.year) and self.day_rule(d)

    def match(self, t: datetime) -> bool:
        return (
            t.microsecond == 0
            and t.second in self.seconds
            and t.minute in self.minutes
            and t.hour in self.hours
            and self.day_ok(t.date())
        )

    def ever_fires(self) -> bool:
        """Does any date match? Checked on one year of each kind the year set holds."""
        if self.years is None:
            reps = list(CYCLE_YEARS)
        else:
            kinds = {(calendar.isleap(y), date(y, 1, 1).weekday()) for y in self.years}
            reps = [
                y for y in CYCLE_YEARS if (calendar.isleap(y), date(y, 1, 1).weekday()) in kinds
            ]
        for y in reps:
            for d in all_days(range(y, y + 1)):
                if d.month in self.months and self.day_rule(d):
                    return True
        return False

    # -- brute-force search
    def next(self, t: datetime, max_days: int = 2000) -> Result:
        """Earliest fire time > t; END if none up to datetime.max; Unknown past max_days."""
        d = t.date()
        for _ in range(max_days):
            if self.years is not None and d.year > max(self.years):
                return END
            if not self.year_ok(d.year):  # jump to January 1st of the next year in the set
                d = date(min(y for y in self.years if y > d.year), 1, 1)  # type: ignore[union-attr]
                continue
            if self.day_ok(d):
                if d > t.date():
                    return datetime(
                        d.year, d.month, d.day, self.sorted_h[0], self.sorted_m[0], self.sorted_s[0]
                    )
                for h in self.sorted_h:
                    if h < t.hour:
                        continue
                    for mi in self.sorted_m:
                        if (h, mi) < (t.hour, t.minute):
                            continue
                        for s in self.sorted_s:
                            c = datetime(d.year, d.month, d.day, h, mi, s)
                            if c > t:
                                return c
            if d == date.max:
                return END
            d += timedelta(days=1)
        return Unknown(d)

    def prev(self, t: datetime, max_days: int = 2000) -> Result:
        """Latest fire time < t; END if none down to datetime.min; Unknown past max_days."""
        d = t.date()
        for _ in range(max_days):
            if self.years is not None and d.year < min(self.years):
                return END
            if not self.year_ok(d.year):  # jump to December 31st of the previous year in the set
                d = date(max(y for y in self.years if y < d.year), 12, 31)  # type: ignore[union-attr]
                continue
            if self.day_ok(d):
                if d < t.date():
                    return datetime(
                        d.year,
                        d.month,
                        d.day,
                        self.sorted_h[-1],
                        self.sorted_m[-1],
                        self.sorted_s[-1],
                    )
                for h in reversed(self.sorted_h):
                    if h > t.hour:
                        continue
                    for mi in reversed(self.sorted_m):
                        if (h, mi) > (t.hour, t.minute):
                            continue
                        for s in reversed(self.sorted_s):
                            c = datetime(d.year, d.month, d.day, h, mi, s)
                            if c < t:
                                return c
            if d == date.min:
                return END
            d -= timedelta(days=1)
        return Unknown(d)


@lru_cache(maxsize=4096)
def model(text: str) -> Model:
    return Model(text)


def model_match(text: str, t: datetime) -> bool:
    return model(text).match(t)


def model_next(text: str, t: datetime, max_days: int = 2000) -> Result:
    return model(text).next(t, max_days)


def model_prev(text: str, t: datetime, max_days: int = 2000) -> Result:
    return model(text).prev(t, max_days)


def model_ever_fires(text: str) -> bool:
    return model(text).ever_fires()
