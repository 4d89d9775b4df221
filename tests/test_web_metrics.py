"""GET /metrics scraped over HTTP and parsed with prometheus_client's own parser."""

from __future__ import annotations

import builtins
import sys
import urllib.parse
from datetime import datetime, timedelta, timezone
from typing import Any

import prometheus_client
import pytest
from prometheus_client.parser import text_string_to_metric_families
from test_web import SCRIPT, SLASHED, UNICODE, Stub, call, make_sched

from cronsec._runs import Run
from cronsec.web import metrics_collector, serve

UTC = timezone.utc


def scrape(sched: Any, **options: Any) -> dict[str, dict[tuple[str, ...], float]]:
    """{sample name: {sorted label pairs: value}} from one scrape of /metrics."""
    with serve(sched, **options) as srv:
        answer = call(srv.url, "GET", "/metrics")
    assert answer.status == 200
    assert answer.headers["content-type"].startswith("text/plain")
    return parse(answer.body.decode("utf-8"))


def parse(text: str) -> dict[str, dict[tuple[str, ...], float]]:
    samples: dict[str, dict[tuple[str, ...], float]] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            key = tuple(f"{k}={v}" for k, v in sorted(s.labels.items()))
            samples.setdefault(s.name, {})[key] = s.value
    return samples


def by_job(samples: dict[str, dict[tuple[str, ...], float]], name: str) -> dict[str, float]:
    """The values of one sample name, keyed by job name (samples without other labels)."""
    return {
        key[0].split("=", 1)[1]: value
        for key, value in samples.get(name, {}).items()
        if len(key) == 1 and key[0].startswith("job=")
    }


def test_counters_and_gauges_match_the_jobs() -> None:
    _, sched = make_sched()
    samples = scrape(sched)
    fires = by_job(samples, "cronsec_fires_total")
    assert fires == {SLASHED: 1.0, UNICODE: 1.0, SCRIPT: 0.0}
    assert by_job(samples, "cronsec_errors_total") == {SLASHED: 0.0, UNICODE: 1.0, SCRIPT: 0.0}
    for name in ("misses", "skips", "retries", "timeouts", "abandoned"):
        assert set(by_job(samples, f"cronsec_{name}_total")) == {SLASHED, UNICODE, SCRIPT}
    assert by_job(samples, "cronsec_paused") == {SLASHED: 0.0, UNICODE: 0.0, SCRIPT: 1.0}
    assert by_job(samples, "cronsec_running") == {SLASHED: 0.0, UNICODE: 0.0, SCRIPT: 0.0}
    next_fire = by_job(samples, "cronsec_next_fire_timestamp_seconds")
    assert next_fire[SLASHED] == datetime(2026, 3, 3, 9, tzinfo=UTC).timestamp()
    assert SCRIPT not in next_fire  # paused: no next fire
    assert by_job(samples, "cronsec_interval_seconds")[SLASHED] == 86400.0  # Mon -> Tue
    assert by_job(samples, "cronsec_interval_seconds")[UNICODE] == 10.0
    last = by_job(samples, "cronsec_last_fire_timestamp_seconds")
    assert last[SLASHED] == datetime(2026, 3, 2, 9, tzinfo=UTC).timestamp()
    assert by_job(samples, "cronsec_lateness_seconds_count")[SLASHED] == 1.0
    assert samples["cronsec_healthy"][()] == 0.0  # not started


def test_counters_grow_between_scrapes() -> None:
    clock, sched = make_sched()
    with serve(sched) as srv:
        first = parse(call(srv.url, "GET", "/metrics").body.decode())
        clock.advance(30)  # three more ticks due at :10, :20, :30 (coalesced into one)
        sched.run_pending()
        second = parse(call(srv.url, "GET", "/metrics").body.decode())
    job = sched.get(UNICODE)
    assert by_job(second, "cronsec_fires_total")[UNICODE] == job.fires
    assert by_job(second, "cronsec_errors_total")[UNICODE] == job.errors
    assert (
        by_job(second, "cronsec_fires_total")[UNICODE]
        > by_job(first, "cronsec_fires_total")[UNICODE]
    )


def test_durations_last_success_and_quantiles_from_the_runs() -> None:
    stub = Stub()
    job = stub.jobs[0]
    job.lateness = type("L", (), {"n": 4, "mean": 0.5, "max": 1.5, "p99": 1.25, "last": 0.1})()
    collector = metrics_collector(stub)
    registry = prometheus_client.CollectorRegistry()
    registry.register(collector)
    samples = parse(prometheus_client.generate_latest(registry).decode())
    # Three ended runs: 2 s (error), 0.3 s and 12 s; the running one is not observed yet.
    buckets = {
        dict(pair.split("=", 1) for pair in key)["le"]: value
        for key, value in samples["cronsec_run_duration_seconds_bucket"].items()
    }
    assert buckets["0.25"] == 0 and buckets["0.5"] == 1 and buckets["2.5"] == 2
    assert buckets["10.0"] == 2 and buckets["30.0"] == 3 and buckets["+Inf"] == 3
    assert by_job(samples, "cronsec_run_duration_seconds_count") == {"a/b": 3.0}
    assert by_job(samples, "cronsec_run_duration_seconds_sum")["a/b"] == pytest.approx(14.3)
    ok_end = datetime(2026, 3, 2, 7, 0, 0, 300000, tzinfo=UTC).timestamp()
    assert by_job(samples, "cronsec_last_success_timestamp_seconds") == {"a/b": ok_end}
    assert samples["cronsec_lateness_seconds"][("job=a/b", "quantile=0.99")] == 1.25
    assert by_job(samples, "cronsec_lateness_seconds_sum") == {"a/b": 2.0}
    assert by_job(samples, "cronsec_lateness_max_seconds") == {"a/b": 1.5}
    assert samples["cronsec_healthy"][()] == 1.0

    # The running run ends, a new one starts: only the new ended one is observed.
    t = datetime(2026, 3, 2, 9, tzinfo=UTC)
    ended = Run("a/b", t, t, t + timedelta(seconds=0.01), "ok", host="h:1")
    running = Run("a/b", t + timedelta(hours=1), t, None, "running", host="h:1")
    job.runs = [running, ended, *job.runs[1:]]
    again = parse(prometheus_client.generate_latest(registry).decode())
    assert by_job(again, "cronsec_run_duration_seconds_count") == {"a/b": 4.0}
    assert (
        by_job(again, "cronsec_last_success_timestamp_seconds")["a/b"]
        == (t + timedelta(seconds=0.01)).timestamp()
    )
    # The history forgets the ok runs: the last success is still remembered.
    later = t + timedelta(hours=1)
    job.runs = [Run("a/b", later, later, later + timedelta(seconds=1), "error", "E", host="h:1")]
    third = parse(prometheus_client.generate_latest(registry).decode())
    assert (
        by_job(third, "cronsec_last_success_timestamp_seconds")["a/b"]
        == (t + timedelta(seconds=0.01)).timestamp()
    )
    assert by_job(third, "cronsec_run_duration_seconds_count") == {"a/b": 5.0}


def test_a_removed_job_leaves_the_metrics() -> None:
    stub = Stub(names=("a", "b"))
    samples = scrape(stub)
    assert set(by_job(samples, "cronsec_fires_total")) == {"a", "b"}
    stub.jobs.pop()
    assert set(by_job(scrape(stub), "cronsec_fires_total")) == {"a"}


def test_label_values_are_escaped() -> None:
    stub = Stub(names=('quote " back \\ newline \n end',))
    samples = scrape(stub)
    assert set(by_job(samples, "cronsec_fires_total")) == {'quote " back \\ newline \n end'}


def test_metrics_without_prometheus_client_say_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_import = builtins.__import__

    def no_prometheus(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.startswith("prometheus_client"):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, "cronsec.web._metrics", raising=False)
    monkeypatch.setattr(builtins, "__import__", no_prometheus)
    stub = Stub()
    with serve(stub) as srv:
        answer = call(srv.url, "GET", "/metrics")
        jobs = call(srv.url, "GET", "/jobs/" + urllib.parse.quote("a/b", safe=""))
    assert answer.status == 501
    assert 'pip install "cronsec[metrics]"' in answer.json()["error"]
    assert jobs.status == 200  # the rest works without it


def test_every_run_is_in_the_duration_histogram_however_many_between_scrapes() -> None:
    from cronsec import FakeClock, Scheduler

    clock = FakeClock(datetime(2026, 5, 1, tzinfo=timezone.utc))
    sched = Scheduler(tz="UTC", clock=clock)
    job = sched.add("* * * * * *", lambda: None, name="busy")
    for _ in range(250):  # more runs than the 100 the history keeps
        clock.advance(1)
        sched.run_pending()
    samples = scrape(sched)
    count = samples["cronsec_run_duration_seconds_count"][("job=busy",)]
    inf = samples["cronsec_run_duration_seconds_bucket"][("job=busy", "le=+Inf")]
    assert count == inf == job.fires == 250
    success = samples["cronsec_last_success_timestamp_seconds"][("job=busy",)]
    assert job.last_success is not None and success == job.last_success.timestamp()
