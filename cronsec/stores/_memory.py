"""MemoryStore: the state of one process, kept in dictionaries."""

from __future__ import annotations

import threading
from collections import deque
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

    def __init__(self, *, retention: float = 7200.0) -> None:
        if retention <= 0:
            raise ValueError(f"retention must be positive, got {retention!r}")
        self._retention = int(retention)
        self._lock = threading.Lock()
        self._claims: set[tuple[str, int]] = set()
        self._order: deque[tuple[str, int]] = deque()  # claims, oldest first (mostly)
        self._newest = 0
        self._last: dict[str, int] = {}
        self._closed = False

    @property
    def retention(self) -> float:
        """Seconds a claim is kept, behind the newest instant claimed."""
        return float(self._retention)

    def __repr__(self) -> str:
        return f"MemoryStore(retention={self._retention})"

    def claim(self, job: str, instant: datetime) -> bool:
        """True the first time `(job, instant)` is claimed here, False after."""
        key = (check_job(job), to_epoch(instant))
        with self._lock:
            self._check_open()
            if key in self._claims:
                return False
            self._add(key)
            return True

    def claim_many(self, claims: Sequence[tuple[str, datetime]]) -> list[bool]:
        """`claim` for each pair, under one lock."""
        keys = [(check_job(job), to_epoch(instant)) for job, instant in claims]
        won = []
        with self._lock:
            self._check_open()
            for key in keys:
                won.append(key not in self._claims)
                if won[-1]:
                    self._add(key)
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
            self._order.clear()
            self._last.clear()

    def _check_open(self) -> None:
        if self._closed:
            raise StoreClosed("MemoryStore is closed")

    def _add(self, key: tuple[str, int]) -> None:
        """Keep the claim; forget those older than the retention behind the newest one.

        Claims come in roughly increasing order, so dropping from the left of
        the deque costs O(1) per claim; no pause to sweep the whole set.
        """
        self._claims.add(key)
        self._order.append(key)
        self._newest = max(self._newest, key[1])
        horizon = self._newest - self._retention
        order = self._order
        while order and order[0][1] < horizon:
            self._claims.discard(order.popleft())
