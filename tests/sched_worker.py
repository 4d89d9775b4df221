"""A process running a Scheduler on a shared store, for the real-time tests.

    python sched_worker.py STORE JOBS [SECONDS]

STORE is ``sqlite:PATH`` or ``redis:URL``. Adds JOBS every-second jobs
(job0, job1, ...) that print "fire JOB EPOCH", prints "ready", waits for a
line on stdin, starts the scheduler and prints "started TIME"; after SECONDS
(default: until killed) prints "stopping TIME", stops, prints each job's
counters as "counters JOB fires misses elsewhere unclaimed" and "done".
"""

from __future__ import annotations

import sys
import threading
import time
from typing import Callable

from cronsec import Scheduler, fire_time
from cronsec.stores import RedisStore, SQLiteStore, Store

_out = threading.Lock()


def say(line: str) -> None:
    with _out:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def printer(name: str) -> Callable[[], None]:
    def fire() -> None:
        instant = fire_time()
        assert instant is not None
        say(f"fire {name} {int(instant.timestamp())}")

    return fire


def main(argv: list[str]) -> None:
    kind, _, target = argv[1].partition(":")
    store: Store = SQLiteStore(target) if kind == "sqlite" else RedisStore(target, prefix="rt")
    sched = Scheduler(tz="UTC", store=store, catch_up=60)
    for k in range(int(argv[2])):
        sched.add("* * * * * *", printer(f"job{k}"), name=f"job{k}")
    say("ready")
    sys.stdin.readline()
    sched.start()
    say(f"started {time.time():.3f}")
    if len(argv) < 4:
        threading.Event().wait()
    time.sleep(float(argv[3]))
    say(f"stopping {time.time():.3f}")
    sched.stop()
    for job in sched.jobs:
        say(f"counters {job.name} {job.fires} {job.misses} {job.elsewhere} {job.unclaimed}")
    store.close()
    say("done")


if __name__ == "__main__":
    main(sys.argv)
