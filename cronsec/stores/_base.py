"""The store protocol, its errors, and the conversion of instants to integers.

A store is the state the timer shares across restarts and processes: who fires
an instant (a claim), and how far each job has got (its last completed instant).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import Protocol, runtime_checkable

__all__ = [
    "Store",
    "StoreClosed",
    "StoreError",
    "StoreUnavailable",
    "check_job",
    "claim_many",
    "from_epoch",
    "to_epoch",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_SECOND = timedelta(seconds=1)


class StoreError(RuntimeError):
    """A store could not do what was asked (bad data, a misconfigured server, ...)."""


class StoreUnavailable(StoreError):
    """The store's backend cannot be reached right now; the call may succeed later.

    The scheduler counts these, backs off and retries; it does not fire an
    instant it could not claim unless the job asks to fire locally.
    """


class StoreClosed(StoreError):
    """The store was closed; it takes no more calls."""


@runtime_checkable
class Store(Protocol):
    """Shared scheduling state: claims on ``(job, instant)`` and last completed instants.

    Instants are aware datetimes that name whole seconds (cron fire times do);
    they are compared as instants, so the zone they are written in does not
    matter. Every method may raise `StoreUnavailable` when the backend cannot
    be reached, and `StoreClosed` after `close`. Implementations are thread-safe.

    A store may also have ``claim_many(claims) -> list[bool]``, the claims of
    several ``(job, instant)`` pairs in one round trip; the scheduler uses it
    when present for the fires due at one moment, and `claim` otherwise.
    """

    def claim(self, job: str, instant: datetime) -> bool:
        """Claim the fire of `job` at `instant`: True for exactly one caller, False for the rest.

        "Exactly one" holds among everything sharing the backend (threads,
        processes, hosts) for as long as the store keeps the claim (its
        retention or ttl), which must exceed how late anyone may still fire.
        """
        ...

    def record(self, job: str, instant: datetime) -> None:
        """Record that the fire of `job` at `instant` completed.

        The stored value only moves forward: recording an earlier instant than
        the one stored changes nothing, so completions may arrive out of order.
        """
        ...

    def last_completed(self, job: str) -> datetime | None:
        """The latest instant recorded for `job` (aware, UTC), or None if none was."""
        ...

    def close(self) -> None:
        """Release connections and files; later calls raise `StoreClosed`. Idempotent."""
        ...


def to_epoch(instant: datetime) -> int:
    """Whole seconds since 1970-01-01 UTC, checking that `instant` is aware and whole.

    Two datetimes for one instant (other zones, or ``fold``) give one integer,
    which is what makes claims from processes in different zones meet.
    """
    if not isinstance(instant, datetime):
        raise TypeError(f"instant must be a datetime, not {type(instant).__name__}")
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(
            f"instant must be aware (a fire time in a zone), got naive {instant.isoformat()}"
        )
    if instant.microsecond:
        raise ValueError(f"instant must be a whole second, got {instant.isoformat()}")
    return (instant - _EPOCH) // _SECOND


def from_epoch(seconds: int) -> datetime:
    """The aware UTC datetime for `seconds` since the epoch."""
    return _EPOCH + timedelta(seconds=seconds)


def check_job(job: str) -> str:
    """Reject job names no backend can key on."""
    if not isinstance(job, str):
        raise TypeError(f"job name must be a str, not {type(job).__name__}")
    if not job:
        raise ValueError("job name must not be empty")
    return job


def claim_many(store: Store, claims: Sequence[tuple[str, datetime]]) -> list[bool]:
    """Claim every pair, in one round trip when the store can (``claim_many``)."""
    batch = getattr(store, "claim_many", None)
    if batch is not None and len(claims) > 1:
        results = batch(claims)
        return [bool(won) for won in results]
    return [store.claim(job, instant) for job, instant in claims]
