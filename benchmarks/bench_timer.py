"""Timer benchmark: cronsec beside APScheduler 3, scenario by scenario, in one process.

Each scenario runs for --seconds (default 20) per library, one after the other:

  (solo) one job every second whose callable only records the time;
  (i)   20 jobs firing every second whose callables only record the time;
  (ii)  the same while two more jobs burn the CPU for 0.8 s every second;
  (iii) one job firing every second whose callable takes 3 s (max_instances 1);
  (iv)  20 recorders every second while four CPU-bound jobs (1.5 s of pure Python
        each, every 2 s) run on the process executor ("iv-threads": on threads);
  (v)   1,000 ``async def`` jobs every second in a busy event loop (AsyncScheduler
        beside APScheduler's AsyncIOScheduler);
  (vi)  20 fixed-rate jobs every 250 ms (Interval beside IntervalTrigger);
  (burst) 1,000 and 10,000 jobs due at one instant: when the first and the last start.

For each it prints the lateness (callable start minus scheduled instant) p50/p99/max,
fires seen vs expected, missed, duplicated and skipped instants, and the slope of
lateness over time (drift). Needs ``pip install "apscheduler<4"`` (the bench extra).

    python benchmarks/bench_timer.py --seconds 20
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import statistics
import sys
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
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


def burn15() -> None:
    """1.5 s of pure-Python work (module level: worker processes import it)."""
    end = time.perf_counter() + 1.5
    n = 0
    while time.perf_counter() < end:
        n += 1


def slow() -> None:
    time.sleep(3.0)


# -- cronsec ----------------------------------------------------------------------


def run_cronsec(scenario: str, seconds: float) -> tuple[Run, float, float]:
    run = Run()
    # Four worker processes for the four CPU-bound jobs, as APScheduler's pool below.
    cpu = cronsec.ProcessExecutor(4) if scenario == "iv" else "threads"
    executors: dict[str, Any] = {"cpu": cpu}
    sched = cronsec.Scheduler(tz="UTC", executors=executors)

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
        if name.startswith("cpu"):  # importable, on the "cpu" executor (processes in iv)
            sched.add("*/2 * * * * *", burn15, name=name, executor="cpu")
        elif scenario == "vi":
            start = datetime.fromtimestamp(float(int(time.time()) + 1), UTC)
            sched.add(cronsec.Interval(seconds=0.25, start=start), recorder(name), name=name)
        else:
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

    executors: dict[str, Any] = {}
    if scenario == "iv":
        from apscheduler.executors.pool import (  # type: ignore[import-untyped]
            ProcessPoolExecutor,
            ThreadPoolExecutor,
        )

        executors = {"default": ThreadPoolExecutor(10), "cpu": ProcessPoolExecutor(4)}
    sched = BackgroundScheduler(timezone="UTC", **({"executors": executors} if executors else {}))
    sched.add_listener(
        listener,
        EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES,
    )
    from apscheduler.triggers.interval import IntervalTrigger  # type: ignore[import-untyped]

    for name, body in _jobs(scenario):
        if name.startswith("cpu"):
            trigger = CronTrigger(second="*/2", timezone="UTC")
            sched.add_job(
                burn15,
                trigger,
                id=name,
                name=name,
                executor="cpu" if scenario == "iv" else "default",
            )
            continue
        if scenario == "vi":
            start = datetime.fromtimestamp(float(int(time.time()) + 1), UTC)
            trigger = IntervalTrigger(seconds=0.25, start_date=start, timezone="UTC")
        else:
            trigger = CronTrigger(second="*", timezone="UTC")
        sched.add_job(recorder(name, body), trigger, id=name, name=name)
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


# -- (v) asyncio ----------------------------------------------------------------------

ASYNC_JOBS = 1000


async def _busy_loop(stop: asyncio.Event) -> None:
    """Keep the event loop busy: 0.2 ms of work every millisecond."""
    while not stop.is_set():
        end = time.perf_counter() + 0.0002
        while time.perf_counter() < end:
            pass
        await asyncio.sleep(0.001)


def run_async_cronsec(scenario: str, seconds: float) -> tuple[Run, float, float]:
    run = Run()

    async def main() -> tuple[float, float]:
        sched = cronsec.AsyncScheduler(tz="UTC")
        for k in range(ASYNC_JOBS):
            name = f"rec{k:04d}"

            async def call(name: str = name) -> None:
                start = time.time()
                instant = cronsec.fire_time()
                assert instant is not None
                run.starts.append((name, instant.timestamp(), start))

            sched.add("* * * * * *", call, name=name)
        stop = asyncio.Event()
        busy = asyncio.ensure_future(_busy_loop(stop))
        async with sched:
            t0, t1 = await _async_window(seconds)
        stop.set()
        await busy
        return t0, t1

    t0, t1 = asyncio.run(main())
    return run, t0, t1


def run_async_aps(scenario: str, seconds: float) -> tuple[Run, float, float]:
    from apscheduler.schedulers.asyncio import AsyncIOScheduler  # type: ignore[import-untyped]
    from apscheduler.triggers.cron import CronTrigger  # type: ignore[import-untyped]

    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    run = Run()

    async def main() -> tuple[float, float]:
        sched = AsyncIOScheduler(timezone="UTC")
        for k in range(ASYNC_JOBS):
            name = f"rec{k:04d}"

            async def call(name: str = name) -> None:
                start = time.time()
                instant = float(int(start + 0.5))  # APScheduler does not pass the instant
                run.starts.append((name, instant, start))

            sched.add_job(
                call, CronTrigger(second="*", timezone="UTC"), id=name, misfire_grace_time=60
            )
        stop = asyncio.Event()
        busy = asyncio.ensure_future(_busy_loop(stop))
        sched.start()
        t0, t1 = await _async_window(seconds)
        sched.shutdown(wait=False)
        stop.set()
        await busy
        return t0, t1

    t0, t1 = asyncio.run(main())
    return run, t0, t1


async def _async_window(seconds: float) -> tuple[float, float]:
    t0 = float(int(time.time()) + 2)
    t1 = t0 + seconds
    await asyncio.sleep(max(0.0, t1 - time.time() + 0.5))
    return t0, t1


# -- (burst) many jobs at one instant ---------------------------------------------------


def _start_recorder() -> tuple[list[float], Callable[[], None]]:
    """A job that records when each of its calls started, and the list it records in."""
    starts: list[float] = []
    lock = threading.Lock()

    def call() -> None:
        t = time.time()
        with lock:
            starts.append(t)

    return starts, call


def burst_cronsec(n: int) -> tuple[float, float, int]:
    starts, call = _start_recorder()
    at = datetime.fromtimestamp(float(int(time.time()) + 3), UTC)
    sched = cronsec.Scheduler(tz="UTC")
    for k in range(n):
        sched.at(at, call, name=f"b{k}")
    sched.start()
    time.sleep(max(0.0, at.timestamp() - time.time()) + 1.0 + n / 10_000)
    sched.stop()
    t = at.timestamp()
    return (min(starts) - t) * 1e3, (max(starts) - t) * 1e3, len(starts)


def burst_aps(n: int) -> tuple[float, float, int]:
    from apscheduler.schedulers.background import BackgroundScheduler  # type: ignore[import-untyped]

    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    starts, call = _start_recorder()
    at = datetime.fromtimestamp(float(int(time.time()) + 3), UTC)
    sched = BackgroundScheduler(timezone="UTC")
    for k in range(n):
        sched.add_job(call, "date", run_date=at, id=f"b{k}", misfire_grace_time=60)
    sched.start()
    time.sleep(max(0.0, at.timestamp() - time.time()) + 1.0 + n / 2_000)
    sched.shutdown(wait=True)
    t = at.timestamp()
    return (min(starts) - t) * 1e3, (max(starts) - t) * 1e3, len(starts)


# -- scenarios and figures ---------------------------------------------------------


def _jobs(scenario: str) -> list[tuple[str, Callable[[], None] | None]]:
    if scenario == "iii":
        return [("slow", slow)]
    if scenario == "solo":
        return [("rec00", None)]
    if scenario == "v":
        return [(f"rec{k:04d}", None) for k in range(ASYNC_JOBS)]
    jobs: list[tuple[str, Callable[[], None] | None]] = []
    if scenario in ("iv", "iv-threads"):
        jobs += [(f"cpu{k}", None) for k in range(4)]
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
    names = [n for n, _ in _jobs(scenario) if not n.startswith(("burn", "cpu"))]
    counts = Counter((n, i) for n, i, _ in run.starts if t0 <= i < t1 and n in names)
    late = sorted((s - i) * 1e3 for n, i, s in run.starts if t0 <= i < t1 and n in names)
    per_job = round((t1 - t0) * (4 if scenario == "vi" else 1))
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
    "solo": "(solo) 1 job every second, the callable records the time",
    "iv": "(iv) 20 jobs every second + 4 CPU-bound jobs (1.5 s every 2 s) on worker processes",
    "iv-threads": "(iv, for contrast) the same with the CPU-bound jobs on threads",
    "v": "(v) 1,000 async def jobs every second in a busy event loop",
    "vi": "(vi) 20 fixed-rate jobs every 250 ms",
    "burst": "(burst) 1,000 and 10,000 jobs due at one instant: first / last start, ms",
    "i": "(i) 20 jobs every second, callables record the time",
    "ii": "(ii) the same, while 2 jobs burn the CPU 0.8 s every second",
    "iii": "(iii) 1 job every second whose callable takes 3 s (max_instances 1)",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=20, help="measured seconds per run")
    parser.add_argument(
        "--scenarios",
        default="solo,i,ii,iii,iv,iv-threads,v,vi,burst",
        help="comma-separated: solo,i,ii,iii,iv,iv-threads,v,vi,burst",
    )
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
        if scenario == "burst":
            print(f"\n{TITLES[scenario]}")
            for n in (1000, 10_000):
                for name, _fn in libs:
                    first, last, ran = (burst_cronsec if name == "cronsec" else burst_aps)(n)
                    print(
                        f"{name:<12} {n:>6} jobs: first {first:8.3f}  last {last:9.3f}  ran {ran}"
                    )
            continue
        print(f"\n{TITLES[scenario]}\n{header}")
        if scenario == "v":
            libs_v = [("cronsec", run_async_cronsec), ("APScheduler", run_async_aps)]
            libs_here = [lib for lib in libs_v if not args.only or lib[0].lower() == args.only]
        else:
            libs_here = libs
        for name, fn in libs_here:
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
