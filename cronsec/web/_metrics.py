"""Prometheus metrics of a scheduler, read at scrape time (extra ``cronsec[metrics]``).

A custom collector: nothing is counted twice and nothing runs between
scrapes. Counters and lateness come from each job's own figures; run
durations from its run history, observed once each into a histogram kept
here (runs that leave the history between two scrapes, more than 100 of one
job, are not observed). The only label is ``job``, the job's name.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from .._stats import DURATION_BUCKETS

try:
    from prometheus_client.core import (
        CounterMetricFamily,
        GaugeMetricFamily,
        HistogramMetricFamily,
        Metric,
        SummaryMetricFamily,
    )
    from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
    from prometheus_client.registry import CollectorRegistry
except ImportError as e:  # pragma: no cover - exercised by the 501 test with the import blocked
    raise ImportError(
        'cronsec metrics need prometheus_client: pip install "cronsec[metrics]"'
    ) from e

from . import _view

__all__ = ["BUCKETS", "SchedulerCollector", "exposition", "registry_for"]

BUCKETS = DURATION_BUCKETS
"""Upper bounds (seconds) of the run-duration histogram; +Inf is added."""

_COUNTERS = {
    "fires": "Runs started (fires, catch-ups and manual runs; retries not included).",
    "misses": "Scheduled instants that did not run: too late, coalesced, or dropped.",
    "skips": "Scheduled instants skipped because max_instances runs were still going.",
    "errors": "Runs that raised (retries included).",
    "retries": "Retries started after a run that raised.",
    "timeouts": "Runs stopped or abandoned for exceeding their timeout.",
    "abandoned": "Instants claimed by a process that died before completing them.",
}


class _Durations:
    """One job's duration histogram, fed from its run history."""

    __slots__ = ("buckets", "seen", "total")

    def __init__(self) -> None:
        self.buckets = [0] * (len(BUCKETS) + 1)
        self.total = 0.0
        self.seen: set[tuple[Any, ...]] = set()

    def feed(self, runs: list[Any]) -> None:
        """Observe the ended runs not seen before; remember only the ones still listed."""
        listed = set()
        for run in runs:
            started, ended = getattr(run, "started", None), getattr(run, "ended", None)
            if not isinstance(started, datetime) or not isinstance(ended, datetime):
                continue
            key = (
                getattr(run, "instant", None),
                started,
                getattr(run, "attempt", 0),
                getattr(run, "host", None),
            )
            listed.add(key)
            if key in self.seen:
                continue
            took = max(0.0, (ended - started).total_seconds())
            self.total += took
            for i, bound in enumerate(BUCKETS):
                if took <= bound:
                    self.buckets[i] += 1
                    break
            else:
                self.buckets[-1] += 1
        self.seen = listed

    def cumulative(self) -> list[tuple[str, float]]:
        return _cumulative(self.buckets)


def _cumulative(buckets: list[int]) -> list[tuple[str, float]]:
    """Per-bound counts as Prometheus's cumulative ``le`` buckets."""
    out: list[tuple[str, float]] = []
    running = 0
    for bound, n in zip([*BUCKETS, float("inf")], buckets):
        running += n
        out.append(("+Inf" if bound == float("inf") else repr(float(bound)), running))
    return out


class SchedulerCollector:
    """A ``prometheus_client`` collector for one scheduler: register it in any registry."""

    def __init__(self, sched: Any) -> None:
        self.sched = sched
        self._lock = threading.Lock()
        self._durations: dict[str, _Durations] = {}
        self._last_ok: dict[str, datetime] = {}

    def describe(self) -> list[Metric]:
        return []  # names depend on nothing; skip the registry's trial collect()

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            yield from self._collect()

    def _collect(self) -> Iterator[Metric]:
        jobs = list(self.sched.jobs)
        names = [str(getattr(j, "name", "")) for j in jobs]
        for name in set(self._durations) - set(names):  # removed jobs: forget them
            del self._durations[name]
            self._last_ok.pop(name, None)
        for key, doc in _COUNTERS.items():
            family = CounterMetricFamily(f"cronsec_{key}", doc, labels=["job"])
            for name, job in zip(names, jobs):
                family.add_metric([name], float(getattr(job, key, 0) or 0))
            yield family
        running = GaugeMetricFamily("cronsec_running", "Runs going on now.", labels=["job"])
        paused = GaugeMetricFamily("cronsec_paused", "1 while the job is paused.", labels=["job"])
        late = SummaryMetricFamily(
            "cronsec_lateness_seconds",
            "Seconds from a fire's instant to its start; the quantile is over the last 1000.",
            labels=["job"],
        )
        late_max = GaugeMetricFamily(
            "cronsec_lateness_max_seconds", "The largest lateness so far.", labels=["job"]
        )
        duration = HistogramMetricFamily(
            "cronsec_run_duration_seconds", "How long runs took, start to end.", labels=["job"]
        )
        success = GaugeMetricFamily(
            "cronsec_last_success_timestamp_seconds",
            "When the last successful run ended (Unix time); absent before the first.",
            labels=["job"],
        )
        last_fire = GaugeMetricFamily(
            "cronsec_last_fire_timestamp_seconds",
            "The scheduled instant of the last run started (Unix time).",
            labels=["job"],
        )
        next_fire = GaugeMetricFamily(
            "cronsec_next_fire_timestamp_seconds",
            "The next scheduled instant (Unix time); absent while paused or done.",
            labels=["job"],
        )
        interval = GaugeMetricFamily(
            "cronsec_interval_seconds",
            "Seconds between the next scheduled instant and the one before it.",
            labels=["job"],
        )
        for name, job in zip(names, jobs):
            label = [name]
            running.add_metric(label, float(getattr(job, "running", 0) or 0))
            paused.add_metric(label, 1.0 if getattr(job, "paused", False) else 0.0)
            figures = getattr(job, "lateness", None)
            if figures is not None:
                n = int(getattr(figures, "n", 0))
                late.add_metric(label, n, n * float(getattr(figures, "mean", 0.0)))
                late.add_sample(
                    "cronsec_lateness_seconds",
                    {"job": name, "quantile": "0.99"},
                    float(getattr(figures, "p99", 0.0)),
                )
                late_max.add_metric(label, float(getattr(figures, "max", 0.0)))
            runs = _view.own_runs_of(job)  # a shared store's history is every process's
            stats = getattr(job, "stats", None)
            counts = getattr(stats, "duration_buckets", None)
            if counts is not None:  # the job counts every run itself: none is lost
                duration.add_metric(
                    label, _cumulative(list(counts)), float(getattr(stats, "durations_sum", 0.0))
                )
            else:
                hist = self._durations.setdefault(name, _Durations())
                hist.feed(runs)
                duration.add_metric(label, hist.cumulative(), hist.total)
            ok = _view.last_success(job, runs)
            kept = self._last_ok.get(name)
            if ok is not None and (kept is None or ok > kept):
                self._last_ok[name] = kept = ok
            if kept is not None:
                success.add_metric(label, kept.timestamp())
            fired = getattr(job, "last_fire", None)
            if isinstance(fired, datetime):
                last_fire.add_metric(label, fired.timestamp())
            upcoming = getattr(job, "next_fire", None)
            if isinstance(upcoming, datetime):
                next_fire.add_metric(label, upcoming.timestamp())
                gap = _interval(getattr(job, "expr", None), upcoming)
                if gap is not None:
                    interval.add_metric(label, gap)
        yield from (running, paused, late, late_max, duration, success, last_fire)
        yield from (next_fire, interval)
        healthy = GaugeMetricFamily(
            "cronsec_healthy", "1 when the scheduler's health() is ok, else 0."
        )
        healthy.add_metric([], 1.0 if _view.health_of(self.sched).ok else 0.0)
        yield healthy


def _interval(expr: Any, upcoming: datetime) -> float | None:
    """Seconds from the instant before ``upcoming`` to ``upcoming``; None if unknown."""
    try:
        step = getattr(expr, "prev_before", None) or getattr(expr, "prev", None)
        if step is None:
            period = getattr(expr, "period", None)
            return period.total_seconds() if isinstance(period, timedelta) else None
        before = step(upcoming)
    except (OverflowError, TypeError, ValueError):
        return None
    if not isinstance(before, datetime):
        return None
    return (upcoming - before).total_seconds()


def registry_for(sched: Any) -> CollectorRegistry:
    """A private registry holding only this scheduler's collector."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SchedulerCollector(sched))
    return registry


def exposition(registry: CollectorRegistry) -> tuple[str, bytes]:
    """(content type, body) of a scrape, in the Prometheus text format."""
    return CONTENT_TYPE_LATEST, generate_latest(registry)
