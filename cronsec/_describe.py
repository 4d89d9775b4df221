"""One English sentence for an expression: ``CronExpr.describe()`` and ``cronsec explain``.

The sentence is built from the parsed sets, not the text, so it says what the
expression does (``0-23/5`` and ``*/5`` read alike) and the day rule of SPEC 2
and 8.4 comes out right: two restricted day fields are joined by "and", one
restricted field speaks alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Callable

from ._days import is_restricted
from ._format import Run, Shape, cover, runs, shape
from ._parse import DayItem, Fields

if TYPE_CHECKING:
    from ._expr import CronExpr

WEEKDAY_NAMES = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
MONTH_NAMES = (
    "", "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_ORDINAL_WORDS = (
    "", "first", "second", "third", "fourth", "fifth",
    "sixth", "seventh", "eighth", "ninth", "tenth",
)  # fmt: skip


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 21st, ..."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def ordinal_word(n: int) -> str:
    """first .. tenth, then 11th, 12th, ..."""
    return _ORDINAL_WORDS[n] if n < len(_ORDINAL_WORDS) else ordinal(n)


def join(words: Sequence[str]) -> str:
    """'a', 'a and b', 'a, b and c'; with a comma before the last 'and' if a part has one."""
    if len(words) <= 1:
        return "".join(words)
    last = ", and " if any(" and " in word for word in words) else " and "
    return ", ".join(words[:-1]) + last + words[-1]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _clock(h: int, m: int, s: int) -> str:
    return f"{h:02d}:{m:02d}:{s:02d}"


def _run_words(run: Run, label: Callable[[int], str] = str) -> str:
    first, last = run
    if first == last:
        return label(first)
    return f"{label(first)} through {label(last)}"


def _list_words(found: Shape) -> tuple[str, bool]:
    """The runs of a list shape in words, and whether they are all single values."""
    words = [_run_words(run) for run in found.runs]
    return join(words), all(a == b for a, b in found.runs)


# -- time of day ---------------------------------------------------------------


def _hour_window(hours: Shape) -> str:
    """The hours a faster field runs in: 'between 09:00 and 17:59', 'during every 2nd hour'."""
    if hours.kind == "step":
        every = f"during every {ordinal(hours.step)} hour"
        if hours.star:
            return every
        return f"{every} from {hours.first:02d}:00 through {hours.last:02d}:59"
    if len(hours.runs) == 1:
        first, last = hours.runs[0]
        return f"between {first:02d}:00 and {last:02d}:59"
    words, _ = _list_words(hours)
    return f"during hours {words}"


def _at_clock_times(h: Shape, m: int, s: int) -> str:
    """One minute and second, several hours: clock times, or hourly between two of them."""
    if h.kind == "all":
        if m == 0 and s == 0:
            return "every hour"
        return f"every hour at minute {m}" + (f", second {s}" if s else "")
    if h.kind == "step":
        if h.star and m == 0 and s == 0:
            return f"every {h.step} hours"
        start, end = _clock(h.first, m, s), _clock(h.last, m, s)
        return f"every {h.step} hours from {start} through {end}"
    clauses: list[str] = []
    singles: list[str] = []
    for first, last in h.runs:
        if first == last:
            singles.append(_clock(first, m, s))
            continue
        if singles:
            clauses.append("at " + join(singles))
            singles = []
        clauses.append(f"every hour from {_clock(first, m, s)} through {_clock(last, m, s)}")
    if singles:
        clauses.append("at " + join(singles))
    return join(clauses)


def _minutes_first(minutes: Shape, s: int) -> str:
    """Second fixed, minutes vary: 'every 5 minutes', 'at 0 and 30 minutes past the hour'."""
    at_second = f" at second {s}" if s else ""
    if minutes.kind == "all":
        return "every minute" + at_second
    if minutes.kind == "step":
        if minutes.star:
            return f"every {minutes.step} minutes" + at_second
        span = f"from {minutes.first} through {minutes.last} minutes past the hour"
        return f"every {minutes.step} minutes {span}" + at_second
    if len(minutes.runs) == 1:
        first, last = minutes.runs[0]
        return f"every minute from {first} through {last} minutes past the hour" + at_second
    words, singles = _list_words(minutes)
    text = f"at {words} minutes" if singles else f"at minutes {words}"
    return f"{text} past the hour" + (f", at second {s}" if s else "")


def _seconds_first(seconds: Shape) -> str:
    """Seconds vary: 'every second', 'every 5 seconds', 'at 0 and 30 seconds past the minute'."""
    if seconds.kind == "all":
        return "every second"
    if seconds.kind == "step":
        if seconds.star:
            return f"every {seconds.step} seconds"
        span = f"from {seconds.first} through {seconds.last} seconds past the minute"
        return f"every {seconds.step} seconds {span}"
    if len(seconds.runs) == 1:
        first, last = seconds.runs[0]
        return f"every second from {first} through {last} seconds past the minute"
    words, singles = _list_words(seconds)
    text = f"at {words} seconds" if singles else f"at seconds {words}"
    return f"{text} past the minute"


def _in_one_minute(seconds: Shape, values: Sequence[int], h: int, m: int) -> str:
    """Several seconds of one clock minute: 'every 10 seconds from 09:30:00 through 09:30:50'."""
    if seconds.kind == "all" or (seconds.kind == "list" and len(seconds.runs) == 1):
        every = "every second"
    elif seconds.kind == "step":
        every = f"every {seconds.step} seconds"
    else:
        words, singles = _list_words(seconds)
        text = f"at {words} seconds" if singles else f"at seconds {words}"
        return f"{text} past {h:02d}:{m:02d}"
    return f"{every} from {_clock(h, m, values[0])} through {_clock(h, m, values[-1])}"


def _minute_window(minutes: Shape) -> str:
    """The minutes a seconds field runs in: 'during minute 30', 'during every 5th minute'."""
    if minutes.kind == "step":
        every = f"during every {ordinal(minutes.step)} minute"
        if minutes.star:
            return every
        return f"{every} from minute {minutes.first} through {minutes.last}"
    if len(minutes.runs) == 1:
        first, last = minutes.runs[0]
        return (
            f"during minute {first}" if first == last else f"during minutes {first} through {last}"
        )
    words, _ = _list_words(minutes)
    return f"during minutes {words}"


def describe_time(fields: Fields, *, every_day: bool = True) -> str:
    """The time-of-day part of the sentence.

    A range wraps in words ("from 22:00:00 through 02:00:00") only where the
    next larger unit runs without a break: hours only when ``every_day``
    fires, minutes only in every hour, seconds only in every minute. Otherwise
    `22-2` on Fridays would read as Friday night into Saturday.
    """
    secs, mins, hrs = fields.seconds, fields.minutes, fields.hours
    hours = shape(hrs, 0, 23, cyclic=every_day)
    if len(secs) == 1 and len(mins) == 1:
        if len(hrs) == 1:
            return "at " + _clock(hrs[0], mins[0], secs[0])
        return _at_clock_times(hours, mins[0], secs[0])
    minutes = shape(mins, 0, 59, cyclic=hours.kind == "all")
    if len(secs) == 1:
        text = _minutes_first(minutes, secs[0])
        return text if hours.kind == "all" else f"{text}, {_hour_window(hours)}"
    seconds = shape(secs, 0, 59, cyclic=minutes.kind == "all")
    if len(mins) == 1 and len(hrs) == 1:
        return _in_one_minute(seconds, secs, hrs[0], mins[0])
    text = _seconds_first(seconds)
    if minutes.kind != "all":
        text += " " + _minute_window(minutes)
        if hours.kind == "all":
            text += " of every hour"
    if hours.kind != "all":
        text += ", " + _hour_window(hours)
    return text


# -- days, months, years ------------------------------------------------------------


def _from_last(n: int) -> str:
    return "the last day" if n == 0 else f"the {ordinal_word(n + 1)}-to-last day"


def _day_item_words(item: DayItem) -> str:
    kind, number = item[0], item[1]
    if kind == "W":
        return f"the weekday nearest day {number}"
    if kind == "LW":
        return "the last weekday" if number == 0 else f"the weekday nearest {_from_last(number)}"
    return _from_last(number)


def describe_days_of_month(fields: Fields) -> str:
    """'on day 1 and 15 of the month', 'on the last weekday of the month', ..."""
    parts: list[str] = []
    if fields.days:
        days = shape(fields.days, 1, 31, cyclic=False)
        if days.kind == "step":
            every = f"every {ordinal(days.step)} day"
            parts.append(
                every if days.star else f"{every} from day {days.first} through {days.last}"
            )
        else:
            words, singles = _list_words(days)
            parts.append(("day " if singles else "days ") + words)
    parts.extend(_day_item_words(item) for item in fields.day_items)
    return f"on {join(parts)} of the month"


def _weekday_runs(weekdays: Sequence[int]) -> list[Run]:
    """Runs in week order, Monday first, Sunday wrapping on to Monday (Friday through Monday)."""
    monday_first = sorted((d - 1) % 7 for d in weekdays)
    return [((a + 1) % 7, (b + 1) % 7) for a, b in runs(monday_first, 0, 6)]


def describe_days_of_week(fields: Fields, *, alone: bool) -> str:
    """'Monday through Friday', 'on Friday', 'on the second Friday of the month', ..."""
    names = [_run_words(run, WEEKDAY_NAMES.__getitem__) for run in _weekday_runs(fields.weekdays)]
    specials: list[str] = []
    for item in fields.weekday_items:
        day = WEEKDAY_NAMES[item[1]]
        if item[0] == "L":
            specials.append(f"the last {day}")
        else:
            specials.append(f"the {ordinal_word(item[2])} {day}")  # type: ignore[misc]
    if not specials and alone and len(names) == 1 and " through " in names[0]:
        return names[0]
    parts = [join(names)] if names else []
    if specials:
        parts.append(join(specials) + " of the month")
    return "on " + " and on ".join(parts)


def describe_days(fields: Fields) -> str:
    """The day part under the day rule (SPEC 2, 8.4); empty when every day fires."""
    dom, dow = is_restricted(fields, "dom"), is_restricted(fields, "dow")
    if dom and dow:
        return (
            describe_days_of_month(fields) + ", and " + describe_days_of_week(fields, alone=False)
        )
    if dom:
        return describe_days_of_month(fields)
    if dow:
        return describe_days_of_week(fields, alone=True)
    return ""


def describe_months(months: Sequence[int], *, every_year: bool = True) -> str:
    """'in January', 'in November through February'; empty for every month.

    Month ranges wrap in words only when every year fires.
    """
    if len(months) == 12:
        return ""
    found = runs(months, 1, 12, cyclic=every_year)
    return "in " + join([_run_words(run, MONTH_NAMES.__getitem__) for run in found])


def describe_years(years: Sequence[int]) -> str:
    """'in 2027 through 2030', 'in even years', 'in every 5th year from 2027 through 9997'."""
    found = shape(years, 1970, 9999, cyclic=False)
    if found.kind == "step":
        if found.star and found.step == 2:
            return "in even years"
        return f"in every {ordinal(found.step)} year from {found.first} through {found.last}"
    if len(found.runs) <= 4:
        return "in " + _list_words(found)[0]
    parts = []
    for first, last, step in cover(years, 9999):
        if step == 1:
            parts.append(_run_words((first, last)))
        else:
            parts.append(f"every {ordinal(step)} year from {first} through {last}")
    return "in " + join(parts)


def _names_clock_times(fields: Fields) -> bool:
    """Whether the time of day is a daily pattern (hours named), not an interval like */2."""
    hours = shape(fields.hours, 0, 23)
    return hours.kind != "all" and not (hours.kind == "step" and hours.star)


def describe_fields(fields: Fields, *, say_every_day: bool = False) -> str:
    """The whole sentence for parsed fields.

    With ``say_every_day`` (``cronsec explain``), a time of day with no day
    restriction says so: "at 00:00:00 every day" rather than "at 00:00:00".
    """
    days = describe_days(fields)
    every_day = not days and len(fields.months) == 12 and fields.years is None
    text = describe_time(fields, every_day=every_day)
    if days:
        text += (" " if days.startswith("on ") else ", ") + days
    elif say_every_day and _names_clock_times(fields):
        text += " every day" if text.startswith("at ") else ", every day"
    months = describe_months(fields.months, every_year=fields.years is None)
    if months:
        text += ", " + months
    if fields.years is not None:
        text += ", " + describe_years(fields.years)
    return text


def describe(expr: CronExpr | Fields | str, *, say_every_day: bool = False) -> str:
    """One English sentence saying when ``expr`` fires (a CronExpr, its fields, or text)."""
    if isinstance(expr, Fields):
        return describe_fields(expr, say_every_day=say_every_day)
    if isinstance(expr, str):
        from ._expr import CronExpr

        expr = CronExpr(expr)
    return describe_fields(expr.fields, say_every_day=say_every_day)
