"""Real time, real processes: three sharing a Redis, and one SIGKILLed on SQLite.

A few seconds each; the fake-clock tests in test_stores_scheduler.py cover
the same rules over simulated hours.
"""

from __future__ import annotations

import math
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from redis_server import redis_factory, redis_server, redis_url

# The fixtures are imported to be found by name; __all__ says they are used.
__all__ = ["redis_factory", "redis_server", "redis_url"]

HERE = Path(__file__).resolve().parent
WORKER = HERE / "sched_worker.py"


def spawn(*args: str) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=str(HERE.parent))
    return subprocess.Popen(
        [sys.executable, str(WORKER), *args],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip


def go(procs: list[subprocess.Popen[str]]) -> None:
    """Wait until every process is ready, then start them together."""
    for p in procs:
        assert p.stdout is not None and p.stdout.readline().strip() == "ready"
    for p in procs:
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.flush()


def parse(lines: list[str]) -> tuple[list[tuple[str, int]], dict[str, float], dict[str, list[int]]]:
    fires, marks, counters = [], {}, {}
    for line in lines:
        word, *rest = line.split()
        if word == "fire":
            fires.append((rest[0], int(rest[1])))
        elif word in ("started", "stopping"):
            marks[word] = float(rest[0])
        elif word == "counters":
            counters[rest[0]] = [int(x) for x in rest[1:]]
    return fires, marks, counters


def test_three_processes_sharing_redis_fire_each_instant_once(redis_url: str) -> None:
    procs = [spawn(f"redis:{redis_url}", "2", "3.2") for _ in range(3)]
    go(procs)
    outputs = [p.communicate(timeout=30)[0].splitlines() for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0]
    runs = [parse(out) for out in outputs]
    counts = Counter(f for fires, _, _ in runs for f in fires)
    assert counts and set(counts.values()) == {1}  # no instant fired twice
    # Every instant while all three ran was fired, by exactly one of them.
    first = math.floor(max(marks["started"] for _, marks, _ in runs)) + 1
    last = math.ceil(min(marks["stopping"] for _, marks, _ in runs)) - 1
    assert last - first >= 1
    for job in ("job0", "job1"):
        for t in range(first, last + 1):
            assert counts[(job, t)] == 1, (job, t)
    for _, _, counters in runs:
        for _fires, misses, _elsewhere, unclaimed in counters.values():
            assert (misses, unclaimed) == (0, 0)
    # They did compete: the instants the others fired, each saw as "elsewhere".
    assert sum(c[2] for _, _, counters in runs for c in counters.values()) >= 2 * (last - first)


def test_a_sigkilled_process_on_sqlite_restarts_and_catches_up(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    first = spawn(f"sqlite:{db}", "1")
    go([first])
    assert first.stdout is not None
    lines: list[str] = []
    while sum(1 for line in lines if line.startswith("fire")) < 2:
        lines.append(first.stdout.readline().strip())
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    lines += first.stdout.read().splitlines()
    first.stdout.close()
    assert first.stdin is not None
    first.stdin.close()
    before, _, _ = parse(lines)
    time.sleep(2.2)  # down for two seconds or more: instants pass

    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    second = spawn(f"sqlite:{db}", "1", "1.5")
    go([second])
    after, marks, counters = parse(second.communicate(timeout=30)[0].splitlines())
    assert second.returncode == 0

    counts = Counter(before + after)
    assert set(counts.values()) == {1}  # nothing fired twice across the kill
    # The catch-up: the latest instant passed while down ran once, at start.
    caught = [t for _, t in after if t < marks["started"]]
    assert len(caught) == 1
    assert caught[0] > max(t for _, t in before)
    _fires, misses, elsewhere, _ = counters["job0"]
    assert misses >= 1  # the older ones: counted and logged, not lost
    span = range(min(t for _, t in before), max(t for _, t in after) + 1)
    assert len(span) <= len(counts) + misses + elsewhere
