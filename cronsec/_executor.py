"""The executor seam: how a granted fire is run (threads, processes, an event loop).

The timer decides *which* fires run; an executor only runs them. Every fire
passes one gate, `Fire.begin`, on the worker just before the callable starts:
it is where a fire that was removed, paused, stopped or superseded while it
waited in a queue is dropped (and counted), so that no fire starts after
``remove()``, ``pause()`` or ``stop()`` returned. `Fire.end` reports how it
ended. Executors call nothing else of the scheduler.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Callable, Literal, NamedTuple, Protocol

__all__ = ["Executor", "Fire", "Outcome", "ShutdownReport"]

Outcome = Literal["ok", "error", "timeout", "cancelled", "crashed"]
"""How a started fire ended: returned, raised, ran past its timeout, was
cancelled (stop, ``Overlap.CANCEL_OTHER``), or its worker process died."""


class Fire(Protocol):
    """One granted fire, as an executor sees it."""

    job_name: str
    instant: datetime
    """The scheduled instant (aware, in the schedule's zone)."""
    func: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    timeout: float | None
    """Seconds the run may take; None: no limit."""
    pin: int | None
    """The worker this job is bound to (index into the pool), or None: round-robin."""

    def begin(self) -> bool:
        """The gate, called on the worker just before the callable starts.

        False: do not run it (it was removed, paused, stopped, superseded or
        is too late); the fire is already counted and logged. True: it has
        started (counted as a fire, lateness recorded); `end` must follow.
        """
        ...

    def end(self, outcome: Outcome, error: BaseException | str | None = None) -> None:
        """Report how a started fire ended (exactly once, from any thread)."""
        ...

    def overran(self) -> None:
        """The run passed its timeout and cannot be stopped (a thread): report it.

        It goes on running and holds its ``max_instances`` place; `end` follows
        when it really ends.
        """
        ...

    def drop(self, why: str) -> None:
        """A fire that will never reach `begin` (the executor shut down): count it missed."""
        ...


class ShutdownReport(NamedTuple):
    """What `Executor.shutdown` did."""

    finished: int
    """Runs that ended on their own while shutdown waited."""
    cancelled: int
    """Runs cancelled or terminated because they outlived the wait."""
    abandoned: int
    """Runs still going that could not be stopped (threads cannot be killed)."""
    dropped: int
    """Queued fires that never started (each got `Fire.drop`)."""


class Executor(Protocol):
    """Runs fires; started before the first fire, shut down by ``Scheduler.stop``."""

    kind: str
    """"threads", "processes" or "async"."""
    can_cancel: bool
    """Whether a running fire can be cancelled (async) or terminated (processes)."""

    def start(self) -> None:
        """Start the workers now, so the first fire does not pay for it."""
        ...

    def submit(self, fires: Sequence[Fire]) -> None:
        """Queue fires; the first start at once. Never blocks on a busy pool."""
        ...

    def idle(self) -> int:
        """Workers free right now (for "no free worker" warnings)."""
        ...

    def cancel(self, fire: Fire) -> bool:
        """Cancel or terminate a running fire (its `end` says "cancelled"); False if it can't."""
        ...

    def shutdown(self, wait: bool = True, timeout: float | None = None) -> ShutdownReport:
        """Start nothing more: drop what is queued; with ``wait``, wait up to ``timeout``
        for running fires, then cancel (where possible) what is left."""
        ...
