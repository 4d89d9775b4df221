"""Crash tests with real processes: SIGKILL after a claim, during a run, during a completion.

Two processes share a store with a 1 s lease: the victim stops dead at the
chosen moment (a store wrapper or the job itself blocks there and prints
where), the test SIGKILLs it, and the survivor must find the instant
abandoned: re-run it (``on_abandoned="rerun"``) or only record it
("record"), count it, and never lose or double any other instant. Real
processes, real servers; the waits are bounded failure guards only.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from postgres_server import postgres_server, postgres_url
from redis_server import redis_server, redis_url

__all__ = ["postgres_server", "postgres_url", "redis_server", "redis_url"]

HERE = Path(__file__).resolve().parent
WORKER = HERE / "crash_worker.py"


def spawn(store: str, role: str, mode: str, abandoned: str) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=str(HERE.parent))
    return subprocess.Popen(
        [sys.executable, str(WORKER), store, role, mode, abandoned],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip


def send(p: subprocess.Popen[str], line: str) -> None:
    assert p.stdin is not None
    p.stdin.write(line + "\n")
    p.stdin.flush()


def read_until(p: subprocess.Popen[str], start: str) -> tuple[str, list[str]]:
    assert p.stdout is not None
    seen: list[str] = []
    while True:
        line = p.stdout.readline()
        assert line, f"process ended before {start!r}: {seen}"
        seen.append(line.strip())
        if line.startswith(start):
            return line.strip(), seen


@pytest.fixture(params=["sqlite", "redis", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:{tmp_path / 'crash.db'}"
    if request.param == "redis":
        return "redis:" + str(request.getfixturevalue("redis_url"))
    return "postgres:" + str(request.getfixturevalue("postgres_url"))


@pytest.mark.parametrize("mode", ["claim", "run", "record"])
@pytest.mark.parametrize("abandoned", ["rerun", "record"])
def test_a_fire_whose_process_dies_is_never_lost_silently(
    store_url: str, mode: str, abandoned: str
) -> None:
    victim = spawn(store_url, "victim", mode, abandoned)
    read_until(victim, "ready")
    send(victim, "go")
    held, before = read_until(victim, "held")
    instant = int(held.split()[2])
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=10)
    ran_by_victim = [ln for ln in before if ln.startswith("fire")]

    survivor = spawn(store_url, "survivor", mode, abandoned)
    read_until(survivor, "ready")
    send(survivor, "go")
    send(survivor, "10")  # at most: lease 1 s, checked every 0.5 s
    out, _ = survivor.communicate(timeout=60)
    lines = out.splitlines()
    assert survivor.returncode == 0, lines
    fires = Counter(int(ln.split()[2]) for ln in lines if ln.startswith("fire"))
    counters = next(ln for ln in lines if ln.startswith("counters")).split()[1:]
    _fires, _misses, _elsewhere, abandoned_seen = (int(x) for x in counters)

    if mode == "record":
        # It ran to its end; only the completion was lost: the survivor sees an
        # abandoned claim (a run that may or may not have finished).
        assert any(int(ln.split()[2]) == instant for ln in ran_by_victim)
    if mode == "claim":
        assert not ran_by_victim  # claimed, never started
    assert abandoned_seen == 1  # seen and counted once, never as "elsewhere" silently
    if abandoned == "rerun":
        assert fires[instant] == 1  # run again by the survivor, once
    else:
        assert fires[instant] == 0  # only recorded, as asked
    assert all(n == 1 for n in fires.values())  # nothing doubled
