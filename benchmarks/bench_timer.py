"""Timer benchmark: cronsec's Scheduler beside APScheduler 3's BackgroundScheduler.

Three scenarios, each run for --seconds (default 20) per library, one after the other:

  (i)   20 jobs firing every second whose callables only record the time;
  (ii)  the same while two more jobs burn the CPU for 0.8 s every second;
  (iii) one job firing every second whose callable takes 3 s (max_instances 1).

For each it prints the lateness (callable start minus scheduled instant) p50/p99/max,
fires seen vs expected, missed, duplicated and skipped instants, and the slope of
lateness over time (drift). Needs ``pip install "apscheduler<4"`` (the bench extra).

    python benchmarks/bench_timer.py --seconds 20
"""

from __future__ import annotations

import argparse
import gc
import logging
import statistics
import sys
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import timezone
from typing import Any, Callable

import cronsec

UTC = timezone.utc
RECORDERS = 20


@dataclass
class Run:
    """What one library did in one scenario."""

    starts: list[tuple[str, float, float]] = field(default_factory=list)  # job, instant, start
    skipped: int = 0  # in the window
    missed_events: int = 0  # in the window


def burn() -> None:
    end = time.perf_counter() + 0.8
    while time.perf_counter() < end:
        pass


def slow() -> None:
    time.sleep(3.0)


# -- cronsec ----------------------------------------------------------------------


def run_cronsec(scenario: str, seconds: float) -> tuple[Run, float, float]:
    run = Run()
    sched = cronsec.Scheduler(tz="UTC")

    def recorder(name: str, body: Callable[[], None] | None = None) -> Callable[[], None]:
        def call() -> None:
            start = time.time()
            instant = cronsec.fire_time()
            assert instant is not None
            run.starts.append((name, instant.timestamp(), start))
            if body is not None:
                body()

        return call

    jobs = _jobs(scenario)
    for name, body in jobs:
        sched.add("* * * * * *", recorder(name, body), name=name)
    sched.start()

    def counters() -> tuple[int, int]:
        return sum(j.skips for j in sched.jobs), sum(j.misses for j in sched.jobs)

    t0, t1, before, after = _window(seconds, counters)
    sched.stop(wait=True)
    run.skipped = after[0] - before[0]
    run.missed_events = after[1] - before[1]
    return run, t0, t1


# -- APScheduler 3 -------------------------------------------------------------------


def run_apscheduler(scenario: str, seconds: float) -> tuple[Run, float, float]:
    from apscheduler.events import (  # type: ignore[import-untyped]
        EVENT_JOB_ERROR,
        EVENT_JOB_EXECUTED,
        EVENT_JOB_MAX_INSTANCES,
        EVENT_JOB_MISSED,
    )
    from apscheduler.schedulers.background import (  # type: ignore[import-untyped]
        BackgroundScheduler,
    )
    from apscheduler.triggers.cron import CronTrigger  # type: ignore[import-untyped]

    logging.getLogger("apscheduler").setLevel(logging.ERROR)  # one warning per skip
    run = Run()
    starts: dict[str, list[float]] = defaultdict(list)
    scheduled: dict[str, list[float]] = defaultdict(list)
    missed: list[float] = []
    skipped: list[float] = []
    lock = threading.Lock()

    def listener(event: Any) -> None:
        with lock:
            if event.code in (EVENT_JOB_EXECUTED, EVENT_JOB_ERROR):
                scheduled[event.job_id].append(event.scheduled_run_time.timestamp())
            elif event.code == EVENT_JOB_MISSED:
                missed.append(event.scheduled_run_time.timestamp())
            elif event.code == EVENT_JOB_MAX_INSTANCES:
                skipped.extend(t.timestamp() for t in event.scheduled_run_times)

    def recorder(name: str, body: Callable[[], None] | None = None) -> Callable[[], None]:
        def call() -> None:
            starts[name].append(time.time())
            if body is not None:
                body()

        return call

    sched = BackgroundScheduler(timezone="UTC")
    sched.add_listener(
        listener,
        EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES,
    )
    for name, body in _jobs(scenario):
        sched.add_job(
            recorder(name, body), CronTrigger(second="*", timezone="UTC"), id=name, name=name
        )
    sched.start()
    t0, t1, _, _ = _window(seconds, lambda: (0, 0))
    sched.shutdown(wait=True)
    run.skipped = sum(1 for t in skipped if t0 <= t < t1)
    run.missed_events = sum(1 for t in missed if t0 <= t < t1)
    # With max_instances 1 a job's runs do not overlap: the k-th start is the k-th
    # executed event's scheduled run time.
    for name, times in starts.items():
        for instant, start in zip(scheduled[name], times):
            run.starts.append((name, instant, start))
    return run, t0, t1


# -- scenarios and figures ---------------------------------------------------------


def _jobs(scenario: str) -> list[tuple[str, Callable[[], None] | None]]:
    if scenario == "iii":
        return [("slow", slow)]
    jobs: list[tuple[str, Callable[[], None] | None]] = []
    if scenario == "ii":
        # Added first, so that at each instant they are handed out before the recorders.
        jobs += [("burn0", burn), ("burn1", burn)]
    jobs += [(f"rec{k:02d}", None) for k in range(RECORDERS)]
    return jobs


Counters = Callable[[], "tuple[int, int]"]


def _window(
    seconds: float, counters: Counters
) -> tuple[float, float, tuple[int, int], tuple[int, int]]:
    """Let the scheduler settle for a second or two, then measure ``seconds`` whole seconds.

    ``counters`` is read half a second before the first and after the last instant.
    """
    t0 = float(int(time.time()) + 2)
    t1 = t0 + seconds
    time.sleep(max(0.0, t0 - 0.5 - time.time()))
    before = counters()
    time.sleep(max(0.0, t1 - 0.5 - time.time()))  # the last instant is t1 - 1
    after = counters()
    time.sleep(1.0)  # let the last runs record their start
    return t0, t1, before, after


def figures(run: Run, t0: float, t1: float, scenario: str) -> dict[str, Any]:
    names = [n for n, _ in _jobs(scenario) if not n.startswith("burn")]
    counts = Counter((n, i) for n, i, _ in run.starts if t0 <= i < t1 and n in names)
    late = sorted((s - i) * 1e3 for n, i, s in run.starts if t0 <= i < t1 and n in names)
    per_job = round(t1 - t0)
    expected = per_job * len(names)
    seen = len(counts)
    points = [(i - t0, (s - i) * 1e3) for n, i, s in run.starts if t0 <= i < t1 and n in names]
    slope, se = _slope(points)  # ms of lateness per second of run
    return {
        "p50": _pct(late, 0.50),
        "p99": _pct(late, 0.99),
        "max": late[-1] if late else float("nan"),
        "seen": seen,
        "expected": expected,
        "dup": sum(c - 1 for c in counts.values()),
        "not_run": expected - seen,
        "skipped": run.skipped,
        "missed_ev": run.missed_events,
        "slope": slope * 60,  # per minute
        "se": se * 60,
    }


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return values[min(len(values) - 1, max(0, round(q * len(values) + 0.5) - 1))]


def _slope(points: list[tuple[float, float]]) -> tuple[float, float]:
    """Least-squares slope of lateness over time, and its standard error."""
    if len(points) < 3:
        return float("nan"), float("nan")
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    if not sxx:
        return float("nan"), float("nan")
    b = sum((x - mx) * (y - my) for x, y in points) / sxx
    resid = sum((y - my - b * (x - mx)) ** 2 for x, y in points)
    return b, (resid / (len(points) - 2) / sxx) ** 0.5


TITLES = {
    "i": "(i) 20 jobs every second, callables record the time",
    "ii": "(ii) the same, while 2 jobs burn the CPU 0.8 s every second",
    "iii": "(iii) 1 job every second whose callable takes 3 s (max_instances 1)",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=20, help="measured seconds per run")
    parser.add_argument("--scenarios", default="i,ii,iii", help="comma-separated: i,ii,iii")
    parser.add_argument("--only", choices=["cronsec", "apscheduler"], help="one library")
    args = parser.parse_args(argv)
    libs = [("cronsec", run_cronsec), ("APScheduler", run_apscheduler)]
    if args.only:
        libs = [lib for lib in libs if lib[0].lower() == args.only]
    print(f"python {sys.version.split()[0]}, {args.seconds} s per run; lateness in ms")
    header = (
        f"{'library':<12} {'p50':>7} {'p99':>7} {'max':>8} {'seen/expected':>14} "
        f"{'not run':>7} {'dup':>4} {'skipped':>7} {'missed':>6} {'slope ms/min (± s.e.)':>22}"
    )
    for scenario in args.scenarios.split(","):
        print(f"\n{TITLES[scenario]}\n{header}")
        for name, fn in libs:
            gc.collect()
            run, t0, t1 = fn(scenario, args.seconds)
            f = figures(run, t0, t1, scenario)
            print(
                f"{name:<12} {f['p50']:7.3f} {f['p99']:7.3f} {f['max']:8.3f} "
                f"{f['seen']:>6}/{f['expected']:<7} {f['not_run']:7d} {f['dup']:4d} "
                f"{f['skipped']:7d} {f['missed_ev']:6d} {f['slope']:11.3f} ± {f['se']:<8.3f}",
                flush=True,
            )
    print(
        "\nnot run: expected instants that never started (skipped + missed + lost);"
        "\nskipped: fires refused because the previous run was still going (max_instances 1);"
        "\nmissed: fires the library itself reported as missed (too late / coalesced)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
