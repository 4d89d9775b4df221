"""Run history: one record per started run of a job, kept newest first."""

from __future__ import annotations

import os
import socket
from collections import deque
from datetime import datetime
from typing import NamedTuple

__all__ = ["HISTORY", "Run", "RunLog", "this_host"]

# Runs kept per job in memory (and in a store that keeps history).
HISTORY = 100


_host = ""


def this_host() -> str:
    """``host:pid`` of this process: who ran a fire (computed once per process)."""
    global _host
    if not _host:
        _host = f"{socket.gethostname()}:{os.getpid()}"
    return _host


def _forget_host() -> None:
    global _host
    _host = ""


if hasattr(os, "register_at_fork"):  # a forked child is another process: another pid
    os.register_at_fork(after_in_child=_forget_host)


class Run(NamedTuple):
    """One run of a job: when it was due, started and ended, and how it went."""

    job: str
    instant: datetime
    """The scheduled instant it ran for (aware)."""
    started: datetime
    """When the callable started (aware, UTC)."""
    ended: datetime | None
    """When it ended (aware, UTC); None while it runs."""
    outcome: str
    """"running", "ok", "error", "timeout", "cancelled" or "crashed"."""
    error: str | None = None
    """The exception as text (type and message) when it failed."""
    attempt: int = 0
    """0 for the fire itself, n for its n-th retry."""
    manual: bool = False
    """True for a run started by ``run_now()`` or ``backfill()``."""
    host: str = ""
    """``hostname:pid`` of the process that ran it."""


class RunLog:
    """The last `HISTORY` runs of one job, newest first; thread-safe by deque's atomic ops."""

    __slots__ = ("_runs",)

    def __init__(self, size: int = HISTORY) -> None:
        self._runs: deque[Run] = deque(maxlen=size)

    def add(self, run: Run) -> None:
        self._runs.appendleft(run)

    def replace(self, old: Run, new: Run) -> None:
        """Swap a running record for its ended one (same place in the log)."""
        runs = self._runs
        for i, r in enumerate(runs):
            if r is old:
                runs[i] = new
                return
        runs.appendleft(new)

    def list(self) -> list[Run]:
        return list(self._runs)
