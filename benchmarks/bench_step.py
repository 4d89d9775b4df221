"""Clock-step benchmark: how long the timer is held settling a jump of the wall clock.

5,000 every-second jobs (and, for contrast, as many cron jobs of other shapes)
on a fake clock that jumps one hour ahead: the timer's step (plan, claim,
commit: deciding every passed instant by the policies) is timed on its own,
without running the callables (an executor that only queues them). The
first timer counted every passed instant one by one; here each job costs a
few schedule calls however long the jump.

    python benchmarks/bench_step.py --jobs 5000 --hours 1
"""

from __future__ import annotations

import argparse
import logging
import time
from datetime import datetime, timedelta, timezone
from typing import Any

import cronsec
from cronsec._executor import ShutdownReport

UTC = timezone.utc
T0 = datetime(2026, 5, 1, tzinfo=UTC)


class Sink:
    """An executor that only counts what it is handed (the step is timed alone)."""

    kind = "threads"
    can_cancel = False

    def __init__(self) -> None:
        self.fires: list[Any] = []

    def start(self) -> None:
        pass

    def submit(self, fires: Any) -> None:
        self.fires.extend(fires)

    def idle(self) -> int:
        return 1

    def cancel(self, fire: Any) -> bool:
        return False

    def shutdown(self, wait: bool = True, timeout: float | None = None) -> ShutdownReport:
        for fire in self.fires:
            fire.drop("benchmark over")
        return ShutdownReport(0, 0, 0, len(self.fires))


def step(
    exprs: list[str], jobs: int, hours: float, coalesce: bool, tz: str
) -> tuple[float, int, int]:
    clock = cronsec.FakeClock(T0)
    sink = Sink()
    sched = cronsec.Scheduler(
        tz=tz, clock=clock, executors={"default": sink}, coalesce=coalesce, misfire_grace=5
    )
    for k in range(jobs):
        sched.add(exprs[k % len(exprs)], print, name=f"j{k}")
    sched._rt.timetable.look_ahead()  # as the timer does after every step
    clock.advance(timedelta(hours=hours))
    began = time.perf_counter()
    fires = sched._prepare(clock.now())  # the timer's step alone: plan, claim, commit
    took = time.perf_counter() - began
    misses = sum(j.misses for j in sched.jobs)
    fired = len(fires)
    sink.fires.extend(fires)
    sched.stop(wait=False)
    return took, fired, misses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=5000)
    parser.add_argument("--hours", type=float, default=1.0)
    args = parser.parse_args()
    logging.getLogger("cronsec").setLevel(logging.ERROR)  # one warning per job otherwise
    cases = [
        ("every second, coalesced", ["* * * * * *"], True),
        ("every second, not coalesced (grace 5 s)", ["* * * * * *"], False),
        ("mixed cron shapes, coalesced", ["* * * * * *", "*/7 * * * * *", "0 */5 * * * *",
                                          "15,45 * 9-17 * * mon-fri", "0 0 * * * *"], True),
    ]  # fmt: skip
    print(f"{args.jobs} jobs, clock stepped {args.hours:g} h ahead (target: under 100 ms)")
    for tz in ("UTC", "America/New_York"):
        print(f"\nzone {tz}")
        for label, exprs, coalesce in cases:
            took, fired, misses = step(exprs, args.jobs, args.hours, coalesce, tz)
            print(f"{label:42} {took * 1e3:8.1f} ms   {fired} fires handed out, {misses} misses")


if __name__ == "__main__":
    main()
