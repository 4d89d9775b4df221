"""MemoryStore: the state of one process, kept in dictionaries."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime

from ._base import StoreClosed, check_job, from_epoch, to_epoch

__all__ = ["MemoryStore"]


class MemoryStore:
    """Claims and completions in memory: the default, and today's behaviour.

    Schedulers that share one instance in one process fire each instant once
    between them; nothing survives a restart. Claims older than `retention`
    seconds (counted back from the newest instant claimed) are forgotten, so
    memory stays bounded however long the process runs.
    """

    def __init__(self, *, retention: float = 3600.0) -> None:
        if retention <= 0:
            raise ValueError(f"retention must be positive, got {retention!r}")
        self._retention = int(retention)
        self._lock = threading.Lock()
        self._claims: set[tuple[str, int]] = set()
        self._last: dict[str, int] = {}
        self._pruned_at: int | None = None
        self._closed = False

    def __repr__(self) -> str:
        return f"MemoryStore(retention={self._retention})"

    def claim(self, job: str, instant: datetime) -> bool:
        """True the first time `(job, instant)` is claimed here, False after."""
        key = (check_job(job), to_epoch(instant))
        with self._lock:
            self._check_open()
            if key in self._claims:
                return False
            self._claims.add(key)
            self._maybe_prune(key[1])
            return True

    def claim_many(self, claims: Sequence[tuple[str, datetime]]) -> list[bool]:
        """`claim` for each pair, under one lock."""
        keys = [(check_job(job), to_epoch(instant)) for job, instant in claims]
        won = []
        with self._lock:
            self._check_open()
            for key in keys:
                won.append(key not in self._claims)
                self._claims.add(key)
            if keys:
                self._maybe_prune(max(k[1] for k in keys))
        return won

    def record(self, job: str, instant: datetime) -> None:
        """Move `job`'s last completed instant forward to `instant`."""
        check_job(job)
        seconds = to_epoch(instant)
        with self._lock:
            self._check_open()
            if self._last.get(job, seconds - 1) < seconds:
                self._last[job] = seconds

    def last_completed(self, job: str) -> datetime | None:
        """The latest recorded instant of `job`, or None."""
        check_job(job)
        with self._lock:
            self._check_open()
            seconds = self._last.get(job)
        return None if seconds is None else from_epoch(seconds)

    def close(self) -> None:
        """Forget everything; later calls raise `StoreClosed`."""
        with self._lock:
            self._closed = True
            self._claims.clear()
            self._last.clear()

    def _check_open(self) -> None:
        if self._closed:
            raise StoreClosed("MemoryStore is closed")

    def _maybe_prune(self, newest: int) -> None:
        # Prune by the instants claimed, not the wall clock, so a fake clock
        # in tests and a real one behave alike; a tenth of the retention apart.
        if self._pruned_at is not None and newest - self._pruned_at < self._retention // 10:
            return
        self._pruned_at = newest
        horizon = newest - self._retention
        self._claims = {c for c in self._claims if c[1] >= horizon}
