"""A separate process for the store tests: races on claims, or writes until it is killed.

    python store_worker.py claim STORE JOBS INSTANTS START
        prints "ready", waits for a line on stdin (so that every worker starts
        together), claims every (job, instant) pair in the same order as its
        rivals, and prints "won JOB EPOCH" for each claim it got, then "done".
    python store_worker.py hammer STORE START
        claims and records instants START, START+1, ... as fast as it can,
        printing each recorded epoch, until it is killed.
    python store_worker.py probe STORE
        opens the store, claims one instant and prints "ok", or the name of
        the exception raised and its message.

STORE is ``sqlite:PATH`` or ``redis:URL``.
"""

from __future__ import annotations

import sys
from datetime import datetime, timezone

from cronsec.stores import RedisStore, SQLiteStore, Store


def open_store(spec: str) -> Store:
    kind, _, target = spec.partition(":")
    if kind == "sqlite":
        return SQLiteStore(target)
    if kind == "redis":
        return RedisStore(target, prefix="race")
    raise SystemExit(f"unknown store {spec!r}")


def instant(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, tz=timezone.utc)


def claim(store: Store, jobs: int, instants: int, start: int) -> None:
    print("ready", flush=True)
    sys.stdin.readline()
    won = []
    for i in range(instants):
        for j in range(jobs):
            if store.claim(f"job{j}", instant(start + i)):
                won.append(f"won job{j} {start + i}")
    print("\n".join([*won, "done"]), flush=True)


def hammer(store: Store, start: int) -> None:
    epoch = start
    while True:
        store.claim("hammer", instant(epoch))
        store.record("hammer", instant(epoch))
        print(epoch, flush=True)
        epoch += 1


def probe(spec: str) -> None:
    try:
        store = open_store(spec)
        store.claim("probe", instant(1_000_000_000))
        store.close()
    except Exception as exc:
        print(f"{type(exc).__name__}: {exc}", flush=True)
    else:
        print("ok", flush=True)


def main(argv: list[str]) -> None:
    if argv[1] == "probe":
        probe(argv[2])
        return
    store = open_store(argv[2])
    if argv[1] == "claim":
        claim(store, int(argv[3]), int(argv[4]), int(argv[5]))
    elif argv[1] == "hammer":
        hammer(store, int(argv[3]))
    store.close()


if __name__ == "__main__":
    main(sys.argv)
