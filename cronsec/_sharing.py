"""What a scheduler shares through its store beyond claims: leases, pauses, abandoned fires.

The runtime decides; this part keeps the store's side of those decisions:
which claims this process holds (their leases are renewed by the recorder
thread), the pause state last read from the store, and the periodic reads
(pauses made by other processes, claims abandoned by dead ones, taken over
here). Every call is bounded by the store side's timeout; none holds the
runtime's lock.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from ._claims import StoreSide, Unavailable

__all__ = ["Shared", "Sharing"]


class Shared:
    """What one step read of the shared state: pauses, and abandoned claims taken over."""

    __slots__ = ("paused", "taken")

    def __init__(
        self,
        paused: set[str] | Unavailable | None = None,
        taken: list[tuple[str, datetime]] | Unavailable | None = None,
    ) -> None:
        self.paused = paused
        self.taken = taken


class Sharing:
    """Leases held, pause state and the shared-state reads, for one scheduler and its store."""

    def __init__(self, side: StoreSide) -> None:
        self.side = side
        store = side.store
        lease = getattr(store, "lease", None)
        self.lease = float(lease) if isinstance(lease, (int, float)) and lease > 0 else 30.0
        self._lock = threading.Lock()
        self._holding: dict[tuple[str, datetime], int] = {}
        self.store_paused: set[str] = set()  # the pause state last read from the store
        self._sync_at: datetime | None = None
        side.recorder.held = self.held
        side.recorder.renew_every = self.lease / 3 if hasattr(store, "renew") else None

    # -- claims held: their leases are renewed until they end ---------------------------

    def held(self) -> list[tuple[str, datetime]]:
        """The claims this process holds (fires on their way or running, waiting retries)."""
        with self._lock:
            return list(self._holding)

    def hold(self, name: str, utc: datetime) -> None:
        with self._lock:
            key = (name, utc)
            self._holding[key] = self._holding.get(key, 0) + 1

    def unhold(self, name: str, utc: datetime) -> None:
        with self._lock:
            key = (name, utc)
            left = self._holding.get(key, 0) - 1
            if left > 0:
                self._holding[key] = left
            else:
                self._holding.pop(key, None)

    def complete(self, name: str, utc: datetime) -> None:
        """The instant is done with here (it ran, or its retries were given up)."""
        self.side.recorder.submit(name, utc)
        self.unhold(name, utc)

    def release(self, name: str, utc: datetime) -> None:
        """Give the claim of a fire that never started back: another process may run it."""
        self.side.recorder.release(name, utc)
        self.unhold(name, utc)

    # -- pauses ---------------------------------------------------------------------------

    def paused_in_store(self, name: str) -> bool:
        """Whether the store says the job is paused (a pause survives restarts)."""
        store = self.side.store
        if not hasattr(store, "paused"):
            return False
        try:
            found = self._call(lambda: set(store.paused([name])))
        except Exception as exc:
            self.side.failed(exc, f"read whether {name!r} is paused")
            return False
        if name in found:
            self.store_paused.add(name)
        return name in found

    def share_pause(self, name: str, paused: bool) -> None:
        """Pause or resume the job for every process sharing the store."""
        store = self.side.store
        if not hasattr(store, "set_paused"):
            return
        try:
            self._call(lambda: store.set_paused(name, paused))
        except Exception as exc:
            self.side.failed(exc, f"share the {'pause' if paused else 'resume'} of {name!r}")
            return
        (self.store_paused.add if paused else self.store_paused.discard)(name)

    def pause_changes(self, paused: set[str]) -> tuple[set[str], set[str]]:
        """Jobs paused and resumed by other processes since the last read."""
        newly, resumed = paused - self.store_paused, self.store_paused - paused
        self.store_paused = paused
        return newly, resumed

    # -- the periodic read -------------------------------------------------------------------

    @property
    def next_read(self) -> datetime | None:
        """When the shared state is next read (None: at the first chance)."""
        return self._sync_at

    def due(self, now: datetime) -> bool:
        """Whether to read the shared state now (every half lease, at most every second)."""
        if self._sync_at is not None and now < self._sync_at:
            return False
        self._sync_at = now + timedelta(seconds=min(1.0, self.lease / 2))
        return True

    def read(self, names: Sequence[str], now: datetime) -> Shared:
        """Pauses in the store, and the abandoned claims of these jobs this process took over."""
        side, store = self.side, self.side.store
        shared = Shared()
        if hasattr(store, "paused"):
            shared.paused = side.ask(now, lambda: set(store.paused(names)))
        if hasattr(store, "abandoned") and hasattr(store, "take_over"):

            def take() -> list[tuple[str, datetime]]:
                gone = store.abandoned(names)
                return [(job, t) for job, t in gone if store.take_over(job, t)]

            shared.taken = side.ask(now, take)
        return shared

    def resolve(self, name: str, utc: datetime) -> None:
        """End an abandoned claim without running it (the job records only)."""
        store = self.side.store
        if not hasattr(store, "resolve"):
            return
        try:
            self._call(lambda: store.resolve(name, utc))
        except Exception as exc:
            self.side.failed(exc, f"resolve the abandoned claim of {name!r}")

    def _call(self, func: Any) -> Any:
        return self.side._caller.call(func, self.side.timeout)
