"""What the web side reads from a scheduler: jobs and runs as JSON-ready dicts.

Everything goes through ``getattr(..., default)``: the web parts only need
the scheduler's public surface, and older schedulers (no ``runs``, no
``health()``, no ``run_now()``) still serve, with those parts empty.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import Any, NamedTuple

__all__ = [
    "COUNTERS",
    "Health",
    "calendar_json",
    "expr_text",
    "health_of",
    "iso",
    "job_json",
    "last_success",
    "run_json",
    "runs_of",
]

UTC = timezone.utc
# Counters every job object carries (0 when the scheduler does not keep one).
COUNTERS = ("fires", "misses", "skips", "errors", "timeouts", "retries", "abandoned")
# Fires counted per day of the calendar before it says "at least" (schedules that
# are not cron expressions are walked instant by instant).
DAY_CAP = 200


class Health(NamedTuple):
    ok: bool
    reason: str


def iso(t: object) -> str | None:
    """An ISO 8601 text for a datetime, else None."""
    return t.isoformat() if isinstance(t, datetime) else None


def _number(value: object) -> float:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return value
    return 0


def expr_text(job: object) -> str:
    """The job's schedule as text: the cron expression, or the schedule's own words."""
    expr = getattr(job, "expr", None)
    text = getattr(expr, "text", None)
    if isinstance(text, str):
        return text
    return _describe(job) or str(expr)  # an Interval's repr is no expression


def _describe(job: object) -> str:
    expr = getattr(job, "expr", None)
    describe = getattr(expr, "describe", None)
    if describe is None:
        return ""
    try:
        return str(describe())
    except Exception:  # a description is a nicety; never fail a page over it
        return ""


def runs_of(job: object) -> list[Any]:
    """The job's recent runs, newest first (empty when the scheduler keeps none)."""
    runs = getattr(job, "runs", None)
    if runs is None:
        return []
    if callable(runs):
        runs = runs()
    return list(runs)


def own_runs_of(job: object) -> list[Any]:
    """This process's recent runs of the job (for metrics: each process counts its own)."""
    log = getattr(job, "runlog", None)
    if log is not None and callable(getattr(log, "list", None)):
        return list(log.list())
    return runs_of(job)


def run_json(run: object) -> dict[str, Any]:
    """One run record as JSON-ready values."""
    started = getattr(run, "started", None)
    ended = getattr(run, "ended", None)
    duration = None
    if isinstance(started, datetime) and isinstance(ended, datetime):
        duration = (ended - started).total_seconds()
    return {
        "instant": iso(getattr(run, "instant", None)),
        "started": iso(started),
        "ended": iso(ended),
        "duration": duration,
        "outcome": getattr(run, "outcome", None),
        "error": getattr(run, "error", None),
        "attempt": getattr(run, "attempt", 0),
        "manual": getattr(run, "manual", False),
        "host": getattr(run, "host", None),
    }


def last_success(job: object, runs: list[Any] | None = None) -> datetime | None:
    """When the last successful run ended: ``job.last_success`` if kept, else from the runs."""
    kept = getattr(job, "last_success", None)
    if isinstance(kept, datetime):
        return kept
    for run in runs if runs is not None else runs_of(job):
        ended = getattr(run, "ended", None)
        if getattr(run, "outcome", None) == "ok" and isinstance(ended, datetime):
            return ended
    return None


def _lateness(job: object) -> dict[str, float | int]:
    late = getattr(job, "lateness", None)
    figures: dict[str, float | int] = {}
    for key in ("n", "last", "mean", "max", "p50", "p99"):
        if hasattr(late, key):
            figures[key] = _number(getattr(late, key))
    return figures


def job_json(job: object) -> dict[str, Any]:
    """A job as the API shows it (see docs/watching.md for the fields)."""
    runs = runs_of(job)
    expr = getattr(job, "expr", None)
    zone = getattr(expr, "tz", None)
    data: dict[str, Any] = {
        "name": getattr(job, "name", ""),
        "expr": expr_text(job),
        "description": _describe(job),
        "tz": _zone_name(zone) if zone is not None else None,
        "next_fire": iso(getattr(job, "next_fire", None)),
        "paused": bool(getattr(job, "paused", False)),
    }
    for key in COUNTERS:
        data[key] = int(_number(getattr(job, key, 0)))
    data["running"] = int(_number(getattr(job, "running", 0)))
    data["last_fire"] = iso(getattr(job, "last_fire", None))
    data["last_success"] = iso(last_success(job, runs))
    data["lateness"] = _lateness(job)
    data["last_run"] = run_json(runs[0]) if runs else None
    return data


def health_of(sched: object) -> Health:
    """``sched.health()`` as (ok, reason); without it, alive means started."""
    health = getattr(sched, "health", None)
    if health is None:
        running = bool(getattr(sched, "running", False))
        return Health(running, "running" if running else "the scheduler is not running")
    result = health()
    return Health(bool(getattr(result, "ok", False)), str(getattr(result, "reason", "")))


def _zone_name(zone: tzinfo) -> str:
    return str(getattr(zone, "key", None) or zone)


def _next(expr: object, t: datetime) -> datetime | None:
    """The schedule's first instant strictly after the aware ``t`` (None: no more)."""
    try:
        step = getattr(expr, "next_after", None) or getattr(expr, "next", None)
        found = step(t) if step is not None else None
    except (OverflowError, AttributeError, TypeError, ValueError):
        return None
    return found if isinstance(found, datetime) else None


def calendar_json(job: object, year: int, month: int) -> dict[str, Any]:
    """Fire times per day of one month, in the schedule's zone (UTC if it has none).

    A cron expression is counted by the calendar of ``cronsec show``; other
    schedules are walked instant by instant, and a day with more than 200
    fires is listed in ``capped`` with the count 200.
    """
    expr = getattr(job, "expr", None)
    zone = getattr(expr, "tz", None) or UTC
    days: dict[str, int] = {}
    capped: list[str] = []
    last_day = calendar.monthrange(year, month)[1]
    counted = _cron_days(expr, zone, year, month, last_day)
    for number in range(1, last_day + 1) if counted is None else ():
        day = date(year, month, number)
        start = datetime(year, month, number, tzinfo=zone) - timedelta(microseconds=1)
        end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=zone)
        count = 0
        t = _next(expr, start)
        while t is not None and t.astimezone(UTC) < end.astimezone(UTC) and count < DAY_CAP:
            count += 1
            t = _next(expr, t)
        if count:
            days[day.isoformat()] = count
            if count >= DAY_CAP and t is not None and t.astimezone(UTC) < end.astimezone(UTC):
                capped.append(day.isoformat())
    if counted is not None:
        days = counted
    return {
        "month": f"{year:04d}-{month:02d}",
        "tz": _zone_name(zone),
        "first_weekday": date(year, month, 1).isoweekday(),
        "days_in_month": last_day,
        "days": days,
        "capped": capped,
    }


def _cron_days(
    expr: object, zone: tzinfo, year: int, month: int, last_day: int
) -> dict[str, int] | None:
    """Fires per day by ``cronsec show``'s arithmetic, or None if ``expr`` is not cron."""
    from .._expr import CronExpr

    if not isinstance(expr, CronExpr):
        return None
    try:
        from .._show import Counter

        counter = Counter(expr, zone)
        days: dict[str, int] = {}
        for number in range(1, last_day + 1):
            day = date(year, month, number)
            n = sum(counter.hours_of(day))
            if n:
                days[day.isoformat()] = n
        return days
    except Exception:  # _show changed under us: walk the instants instead
        return None
