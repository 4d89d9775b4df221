"""Store benchmark: timer lateness with Memory, SQLite, Redis and PostgreSQL stores, and claims/s.

Each configuration runs 20 jobs firing every second for --seconds (default 10)
in one or three processes sharing the store; every callable records when it
started. Printed per configuration: lateness (callable start minus scheduled
instant; the claim is part of it) p50/p99/max over all fires, fires seen vs
expected, duplicated and missed instants. Then raw claims per second through
each store's ``claim`` and ``claim_many`` (20 per call, as the timer batches).

Redis: --redis-url, or a redis-server started on a free 127.0.0.1 port in a
temporary directory (Debian's ``redis-server`` must be installed). PostgreSQL:
--postgres-url, or a throwaway server started the way the tests start theirs
(Debian's ``postgresql`` must be installed).

    python benchmarks/bench_stores.py --seconds 10
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

import cronsec
from cronsec.stores import MemoryStore, PostgresStore, RedisStore, SQLiteStore, Store

JOBS = 20
UTC = timezone.utc


def open_store(spec: str) -> Store:
    kind, _, target = spec.partition(":")
    if kind == "memory":
        return MemoryStore()
    if kind == "sqlite":
        return SQLiteStore(target)
    url, _, prefix = target.partition(" ")
    if kind == "postgres":
        return PostgresStore(url, prefix=prefix)
    return RedisStore(url, prefix=prefix)


# -- one process: the child ---------------------------------------------------------


def child(spec: str, seconds: float) -> None:
    """Run the 20 jobs on ``spec``; print the fires as JSON at the end."""
    store = open_store(spec)
    sched = cronsec.Scheduler(tz="UTC", store=store, max_workers=10)
    starts: list[tuple[str, float, float]] = []

    def recorder(name: str) -> Callable[[], None]:
        def call() -> None:
            start = time.time()
            instant = cronsec.fire_time()
            assert instant is not None
            starts.append((name, instant.timestamp(), start))

        return call

    for k in range(JOBS):
        sched.add("* * * * * *", recorder(f"job{k}"), name=f"job{k}")
    print("ready", flush=True)
    sys.stdin.readline()
    began = time.time()
    sched.start()
    time.sleep(seconds)
    ended = time.time()
    sched.stop()
    store.close()
    print(json.dumps({"began": began, "ended": ended, "starts": starts}), flush=True)


# -- the parent ----------------------------------------------------------------------


def run(spec: str, processes: int, seconds: float) -> dict[str, float]:
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parent.parent))
    command = [sys.executable, __file__, "--child", spec, "--seconds", str(seconds)]
    pipe = subprocess.PIPE
    procs = [
        subprocess.Popen(command, stdin=pipe, stdout=pipe, text=True, env=env)
        for _ in range(processes)
    ]
    for p in procs:
        assert p.stdout is not None and p.stdout.readline().strip() == "ready"
    for p in procs:
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.flush()
    results = [json.loads(p.communicate()[0].splitlines()[-1]) for p in procs]
    first = math.floor(max(r["began"] for r in results)) + 1
    last = math.ceil(min(r["ended"] for r in results)) - 1
    fires = [tuple(s) for r in results for s in r["starts"]]
    seen = Counter((job, int(t)) for job, t, _ in fires if first <= t <= last)
    # Only instants after every scheduler started: one that passed between add() and
    # start() runs late on start by the misfire policy, which is no timer lateness.
    late = sorted((start - t) * 1e3 for _, t, start in fires if first <= t <= last)
    expected = JOBS * (last - first + 1)
    return {
        "p50": statistics.median(late),
        "p99": late[max(0, math.ceil(0.99 * len(late)) - 1)],
        "max": late[-1],
        "seen": sum(1 for n in seen.values() if n),
        "expected": expected,
        "dup": sum(n - 1 for n in seen.values() if n > 1),
        "missed": expected - len(seen),
    }


def claims_per_second(store: Store, seconds: float = 1.0) -> tuple[float, float]:
    """Claims/s through ``claim`` and through ``claim_many`` in batches of 20."""
    base = datetime(2030, 1, 1, tzinfo=UTC) + timedelta(seconds=time.time_ns() % 10**6 * 100)
    rates = []
    for batch in (1, 20):
        n, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            pairs = [("bench", base + timedelta(seconds=n + i)) for i in range(batch)]
            if batch == 1:
                store.claim(*pairs[0])
            else:
                store.claim_many(pairs)  # type: ignore[attr-defined]
            n += batch
        rates.append(n / (time.perf_counter() - t0))
        base += timedelta(seconds=n)
    return rates[0], rates[1]


def start_redis(directory: str) -> tuple[subprocess.Popen[bytes], str]:
    binary = shutil.which("redis-server")
    if binary is None:
        sys.exit("redis-server not found: apt-get install redis-server, or pass --redis-url")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--dir", directory,
         "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"redis://127.0.0.1:{port}/0"
    probe = RedisStore(url)
    for _ in range(200):
        try:
            probe.ping()
            break
        except Exception:
            time.sleep(0.02)
    probe.close()
    return proc, url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--redis-url")
    parser.add_argument("--postgres-url")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.seconds)
        return
    with tempfile.TemporaryDirectory() as tmp:
        server = None
        url = args.redis_url
        if url is None:
            server, url = start_redis(tmp)
        pg, pg_url = None, args.postgres_url
        if pg_url is None:
            sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
            from postgres_server import PostgresServer

            pg = PostgresServer()
            pg.start()
            pg_url = pg.url
        try:
            configs = [
                ("MemoryStore", "memory:", 1),
                ("SQLiteStore", f"sqlite:{tmp}/one.db", 1),
                ("SQLiteStore x3", f"sqlite:{tmp}/three.db", 3),
                # A prefix per run: a run must not find the last one's completions and
                # catch up on the instants between them (that fire would count as late).
                ("RedisStore", f"redis:{url} bench-one", 1),
                ("RedisStore x3", f"redis:{url} bench-three", 3),
                ("PostgresStore", f"postgres:{pg_url} bench_one", 1),
                ("PostgresStore x3", f"postgres:{pg_url} bench_three", 3),
            ]
            print(f"{JOBS} every-second jobs, {args.seconds:g} s each; lateness in ms")
            print(f"{'store':16} {'p50':>7} {'p99':>7} {'max':>7}  seen/expected  dup  missed")
            for label, spec, n in configs:
                r = run(spec, n, args.seconds)
                print(
                    f"{label:16} {r['p50']:7.3f} {r['p99']:7.3f} {r['max']:7.3f}  "
                    f"{int(r['seen']):>5}/{int(r['expected']):<7} {int(r['dup']):>4} "
                    f"{int(r['missed']):>6}"
                )
            print("\nclaims per second (one thread): claim()  claim_many(20)")
            stores: list[tuple[str, Store]] = [
                ("MemoryStore", MemoryStore()),
                ("SQLiteStore", SQLiteStore(f"{tmp}/claims.db")),
                ("RedisStore", RedisStore(url, prefix="bench-claims")),
                ("PostgresStore", PostgresStore(pg_url, prefix="bench_claims")),
            ]
            for label, store in stores:
                one, many = claims_per_second(store)
                print(f"{label:16} {one:>10,.0f} {many:>14,.0f}")
                store.close()
        finally:
            if server is not None:
                server.terminate()
                server.wait()
            if pg is not None:
                pg.remove()


if __name__ == "__main__":
    main()
