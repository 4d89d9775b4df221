"""Retries waiting for their time: per job, oldest first; pure bookkeeping, no lock."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

__all__ = ["Retries", "Retry"]


class Retry(NamedTuple):
    """A retry of a fire that raised, waiting for its time."""

    due: datetime
    """When to run it (UTC)."""
    instant: datetime
    """The scheduled instant of the fire it retries."""
    utc: datetime
    """The same instant in UTC."""
    attempt: int
    """1 for the first retry."""


class Retries:
    """The retries of every job; the scheduler calls it under its lock."""

    def __init__(self) -> None:
        self._waiting: dict[str, list[Retry]] = {}

    def add(self, name: str, retry: Retry) -> None:
        self._waiting.setdefault(name, []).append(retry)

    def due(self, now: datetime, paused: set[str]) -> list[tuple[str, Retry]]:
        """Take the retries due at ``now`` (not of paused jobs), oldest first."""
        taken: list[tuple[str, Retry]] = []
        for name, waiting in list(self._waiting.items()):
            if name in paused:
                continue
            ready = [r for r in waiting if r.due <= now]
            if not ready:
                continue
            rest = [r for r in waiting if r.due > now]
            if rest:
                self._waiting[name] = rest
            else:
                del self._waiting[name]
            taken += [(name, r) for r in ready]
        taken.sort(key=lambda item: item[1].due)
        return taken

    def take(self, name: str, keep: int = 0) -> list[Retry]:
        """Remove and return the job's waiting retries, all but the newest ``keep``."""
        waiting = self._waiting.get(name, [])
        if len(waiting) <= keep:
            return []
        gone, rest = waiting[: len(waiting) - keep], waiting[len(waiting) - keep :]
        if rest:
            self._waiting[name] = rest
        else:
            self._waiting.pop(name, None)
        return gone

    def take_all(self) -> list[tuple[str, Retry]]:
        gone = [(name, r) for name, waiting in self._waiting.items() for r in waiting]
        self._waiting.clear()
        return gone

    def count(self, name: str) -> int:
        return len(self._waiting.get(name, ()))

    def deadline(self, paused: set[str]) -> datetime | None:
        dues = [r.due for name, w in self._waiting.items() if name not in paused for r in w]
        return min(dues) if dues else None

    def held(self) -> list[tuple[str, datetime]]:
        """``(job, instant)`` of every waiting retry (their claims' leases are kept alive)."""
        return [(name, r.utc) for name, waiting in self._waiting.items() for r in waiting]
