"""A scheduler process to be SIGKILLed at a chosen moment, for the crash tests.

    python crash_worker.py STORE ROLE MODE ABANDONED

STORE: ``sqlite:PATH``, ``redis:URL`` or ``postgres:URL``. ROLE: ``victim`` (it
stops dead at MODE for the job's first instant it wins: ``claim`` right after
the claim, ``run`` inside the callable, ``record`` inside the completion) or
``survivor`` (runs normally). ABANDONED: the job's ``on_abandoned``. Prints
``ready``, waits for a line, starts; prints ``fire JOB EPOCH PID`` when a run
starts and ``held MODE EPOCH`` where a victim stops dead. A survivor prints its
counters (``counters fires misses elsewhere abandoned``) and ``done`` after
it dealt with the abandoned instant, or after SECONDS (a second line on stdin).
"""

from __future__ import annotations

import os
import sys
import threading
from datetime import datetime
from typing import Any

from cronsec import Scheduler, fire_time
from cronsec.stores import PostgresStore, RedisStore, SQLiteStore

LEASE = 1.0
_out = threading.Lock()


def say(line: str) -> None:
    with _out:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def hang(mode: str, instant: datetime) -> None:
    say(f"held {mode} {int(instant.timestamp())}")
    threading.Event().wait()  # until SIGKILL


class Victim:
    """The store, with the victim's stop at the chosen moment."""

    def __init__(self, inner: Any, mode: str) -> None:
        self.inner = inner
        self.mode = mode
        self.armed = True

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def claim_many(self, claims: Any) -> list[bool]:
        won: list[bool] = self.inner.claim_many(claims)
        if self.mode == "claim" and self.armed:
            for (job, instant), w in zip(claims, won):
                if w and job == "crash":
                    self.armed = False
                    hang("claim", instant)
        return won

    def claim(self, job: str, instant: datetime) -> bool:
        return self.claim_many([(job, instant)])[0]

    def record(self, job: str, instant: datetime) -> None:
        if self.mode == "record" and self.armed and job == "crash":
            self.armed = False
            hang("record", instant)
        self.inner.record(job, instant)


def main(argv: list[str]) -> None:
    kind, _, target = argv[1].partition(":")
    role, mode, abandoned = argv[2], argv[3], argv[4]
    if kind == "sqlite":
        store: Any = SQLiteStore(target, lease=LEASE)
    elif kind == "redis":
        store = RedisStore(target, prefix="crash", lease=LEASE)
    else:
        store = PostgresStore(target, prefix="crash", lease=LEASE)
    if role == "victim":
        store = Victim(store, mode)
    armed = {"run": role == "victim" and mode == "run"}

    def job() -> None:
        instant = fire_time()
        assert instant is not None
        say(f"fire crash {int(instant.timestamp())} {os.getpid()}")
        if armed["run"]:
            armed["run"] = False
            hang("run", instant)

    sched = Scheduler(tz="UTC", store=store, on_abandoned=abandoned, misfire_grace=30)  # type: ignore[arg-type]
    sched.add("* * * * * *", job, name="crash")
    say("ready")
    sys.stdin.readline()
    sched.start()
    if role == "victim":
        threading.Event().wait()
    seconds = float(sys.stdin.readline())
    j = sched.get("crash")
    stop = threading.Event()
    for _ in range(int(seconds * 10)):  # done once the abandoned instant was dealt with
        if j.abandoned and (abandoned == "record" or (j.running == 0 and not stop.wait(0.3))):
            break
        stop.wait(0.1)
    sched.stop()
    say(f"counters {j.fires} {j.misses} {j.elsewhere} {j.abandoned}")
    say("done")


if __name__ == "__main__":
    main(sys.argv)
