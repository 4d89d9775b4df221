"""MemoryStore: the state of one process, kept in dictionaries."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Sequence
from datetime import datetime

from .._runs import Run
from ._base import (
    StoreClosed,
    check_history,
    check_job,
    check_lease,
    check_pairs,
    from_epoch,
    new_owner,
    run_id,
    to_epoch,
)

__all__ = ["MemoryStore"]

_RUNNING, _DONE, _RESOLVED = 0, 1, 2

# Bytes one kept claim costs, measured with tracemalloc on CPython 3.11 (64-bit),
# for 100,000 claims of one job: dict slot, key tuple, _Claim, deque slot (the name is shared).
CLAIM_BYTES = 230


class MemoryStore:
    """Claims, completions, pauses and runs in memory: the default store.

    Schedulers that share one instance in one process fire each instant once
    between them; nothing survives a restart. Memory stays bounded: a done or
    resolved claim is forgotten `retention` seconds (default 120) behind the
    newest instant claimed, an abandoned one `retention` seconds after its
    lease expired, and a claim whose lease is live never. The retention must
    exceed how late a fire may still be claimed (the jobs' ``misfire_grace``,
    60 s by default). `claims_kept` and `approx_bytes` say what it holds.
    """

    def __init__(
        self,
        *,
        retention: float = 120.0,
        lease: float = 30.0,
        history: int = 100,
        owner: str | None = None,
    ) -> None:
        self._lease, retention = check_lease(lease, retention)
        self._retention = retention
        self._history = check_history(history)
        self.owner = owner if owner is not None else new_owner()
        self._lock = threading.Lock()
        self._claims: dict[tuple[str, int], _Claim] = {}
        self._order: deque[tuple[str, int]] = deque()  # claims, oldest first (mostly)
        self._newest = 0
        self._last: dict[str, int] = {}
        self._paused: set[str] = set()
        self._runs: dict[str, deque[tuple[str, Run]]] = {}
        self._closed = False

    @property
    def retention(self) -> float:
        """Seconds a done claim is kept, behind the newest instant claimed."""
        return float(self._retention)

    @property
    def lease(self) -> float:
        """Seconds a claim is held without a renewal."""
        return self._lease

    @property
    def claims_kept(self) -> int:
        """How many claims the store holds right now."""
        with self._lock:
            return len(self._claims)

    @property
    def approx_bytes(self) -> int:
        """About how many bytes the kept claims take (`CLAIM_BYTES` each)."""
        return self.claims_kept * CLAIM_BYTES

    def __repr__(self) -> str:
        return f"MemoryStore(retention={self._retention:g}, lease={self._lease:g})"

    # -- claims ------------------------------------------------------------------

    def claim(self, job: str, instant: datetime) -> bool:
        """True the first time `(job, instant)` is claimed here, False after."""
        return self.claim_many([(job, instant)])[0]

    def claim_many(self, claims: Sequence[tuple[str, datetime]]) -> list[bool]:
        """`claim` for each pair, under one lock."""
        keys = check_pairs(claims)
        won = []
        now = time.time()
        with self._lock:
            self._check_open()
            for key in keys:
                won.append(key not in self._claims)
                if won[-1]:
                    self._claims[key] = _Claim(_RUNNING, self.owner, now + self._lease)
                    self._order.append(key)
                    self._newest = max(self._newest, key[1])
            self._prune(now, len(keys))
        return won

    def record(self, job: str, instant: datetime) -> None:
        """Mark the claim done and move `job`'s last completed instant forward to `instant`."""
        key = (check_job(job), to_epoch(instant))
        seconds = key[1]
        with self._lock:
            self._check_open()
            entry = self._claims.get(key)
            if entry is None:
                self._claims[key] = _Claim(_DONE, self.owner, 0.0)
                self._order.append(key)
            else:
                entry.state = _DONE
            if self._last.get(job, seconds - 1) < seconds:
                self._last[job] = seconds

    def last_completed(self, job: str) -> datetime | None:
        """The latest recorded instant of `job`, or None."""
        check_job(job)
        with self._lock:
            self._check_open()
            seconds = self._last.get(job)
        return None if seconds is None else from_epoch(seconds)

    def renew(self, claims: Sequence[tuple[str, datetime]]) -> None:
        """Extend this owner's running claims by a lease from now."""
        keys = check_pairs(claims)
        until = time.time() + self._lease
        with self._lock:
            self._check_open()
            for key in keys:
                entry = self._claims.get(key)
                if entry is not None and entry.state == _RUNNING and entry.owner == self.owner:
                    entry.until = until

    def abandoned(
        self, jobs: Sequence[str], now: datetime | None = None
    ) -> list[tuple[str, datetime]]:
        """Running claims of `jobs` whose lease expired before `now`, oldest first.

        A scan of the kept claims: they are few (the retention is short).
        """
        wanted = {check_job(job) for job in jobs}
        at = time.time() if now is None else now.timestamp()
        with self._lock:
            self._check_open()
            found = [
                key
                for key, entry in self._claims.items()
                if key[0] in wanted and entry.state == _RUNNING and entry.until < at
            ]
        return [(job, from_epoch(seconds)) for job, seconds in sorted(found, key=_by_instant)]

    def take_over(self, job: str, instant: datetime) -> bool:
        """Take an abandoned claim for this owner with a fresh lease; True for one caller."""
        key = (check_job(job), to_epoch(instant))
        now = time.time()
        with self._lock:
            self._check_open()
            entry = self._claims.get(key)
            if entry is None or entry.state != _RUNNING or entry.until >= now:
                return False
            entry.owner, entry.until = self.owner, now + self._lease
            return True

    def resolve(self, job: str, instant: datetime) -> None:
        """End an abandoned claim (or one this owner holds) without running it."""
        key = (check_job(job), to_epoch(instant))
        now = time.time()
        with self._lock:
            self._check_open()
            entry = self._claims.get(key)
            live = entry is not None and entry.state == _RUNNING
            if entry is not None and live and (entry.owner == self.owner or entry.until < now):
                entry.state = _RESOLVED

    def release(self, job: str, instant: datetime) -> None:
        """Forget a running claim this owner holds, so that `claim` wins it again."""
        key = (check_job(job), to_epoch(instant))
        with self._lock:
            self._check_open()
            entry = self._claims.get(key)
            if entry is not None and entry.state == _RUNNING and entry.owner == self.owner:
                del self._claims[key]  # its place in the order is skipped when pruned

    def claim_state(self, job: str, instant: datetime) -> str | None:
        """ "running", "done", "abandoned", "resolved", or None."""
        key = (check_job(job), to_epoch(instant))
        with self._lock:
            self._check_open()
            entry = self._claims.get(key)
        if entry is None:
            return None
        if entry.state == _DONE:
            return "done"
        if entry.state == _RESOLVED:
            return "resolved"
        return "running" if entry.until >= time.time() else "abandoned"

    # -- pauses and runs ---------------------------------------------------------

    def set_paused(self, job: str, paused: bool) -> None:
        check_job(job)
        with self._lock:
            self._check_open()
            if paused:
                self._paused.add(job)
            else:
                self._paused.discard(job)

    def paused(self, jobs: Sequence[str]) -> set[str]:
        wanted = {check_job(job) for job in jobs}
        with self._lock:
            self._check_open()
            return wanted & self._paused

    def add_runs(self, runs: Sequence[Run]) -> None:
        """Keep the runs, the newest `history` per job; a run's later record replaces it."""
        ids = [(check_job(run.job), run_id(run), run) for run in runs]
        with self._lock:
            self._check_open()
            for job, rid, run in ids:
                log = self._runs.setdefault(job, deque())
                kept = [pair for pair in log if pair[0] != rid]
                kept.append((rid, run))
                kept.sort(key=lambda pair: pair[1].started)
                self._runs[job] = deque(kept[-self._history :])

    def runs(self, job: str, limit: int = 100) -> list[Run]:
        check_job(job)
        with self._lock:
            self._check_open()
            log = list(self._runs.get(job, ()))
        return [run for _rid, run in reversed(log)][: max(0, limit)]

    def close(self) -> None:
        """Forget everything; later calls raise `StoreClosed`."""
        with self._lock:
            self._closed = True
            self._claims.clear()
            self._order.clear()
            self._last.clear()
            self._paused.clear()
            self._runs.clear()

    def _check_open(self) -> None:
        if self._closed:
            raise StoreClosed("MemoryStore is closed")

    def _prune(self, now: float, budget: int) -> None:
        """Forget claims behind the horizon, from the left of the order; O(1) per claim.

        Claims come in roughly increasing order. One still running (its lease
        live, or expired less than `retention` ago) goes back to the right
        end, to be looked at again later; each call looks at a bounded number.
        """
        horizon = self._newest - self._retention
        order, claims = self._order, self._claims
        for _ in range(budget + 2):
            if not order or order[0][1] >= horizon:
                return
            key = order.popleft()
            entry = claims.get(key)
            if entry is None:
                continue
            if entry.state == _RUNNING and entry.until + self._retention >= now:
                order.append(key)
            else:
                del claims[key]


class _Claim:
    """One kept claim: running, done or resolved; whose; its lease's end (epoch seconds)."""

    __slots__ = ("owner", "state", "until")

    def __init__(self, state: int, owner: str, until: float) -> None:
        self.state, self.owner, self.until = state, owner, until


def _by_instant(key: tuple[str, int]) -> tuple[int, str]:
    return key[1], key[0]
