"""The store protocol, its errors, job-name checks, and the conversion of instants to integers.

A store is the state the timer shares across restarts and processes: who fires
an instant (a claim, with a lease), whether that fire completed, how far each
job has got (its last completed instant), which jobs are paused, and the
recent runs of each job.
"""

from __future__ import annotations

import os
import re
import secrets
import socket
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any, Protocol, runtime_checkable
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from .._runs import Run

__all__ = [
    "CLAIM_STATES",
    "MAX_JOB_BYTES",
    "Store",
    "StoreClosed",
    "StoreError",
    "StoreUnavailable",
    "check_job",
    "check_lease",
    "claim_many",
    "from_epoch",
    "new_owner",
    "redact_url",
    "run_from_record",
    "run_id",
    "run_to_record",
    "scrub",
    "to_epoch",
    "url_secrets",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_SECOND = timedelta(seconds=1)

MAX_JOB_BYTES = 200
"""The longest job name a store takes, in UTF-8 bytes."""

CLAIM_STATES = ("running", "done", "abandoned", "resolved")
"""What `Store.claim_state` answers (or None: never claimed, released, or pruned)."""


class StoreError(RuntimeError):
    """A store could not do what was asked, and will not by waiting.

    Bad data, a foreign table in the way, a read-only or corrupt file, wrong
    credentials, a key of the wrong type: asking again changes nothing.
    """


class StoreUnavailable(StoreError):
    """The store's backend cannot be reached right now; the call may succeed later.

    Down, restarting, locked past the store's timeout, too slow: the scheduler
    counts these, backs off and retries; it does not fire an instant it could
    not claim unless the job asks to fire locally.
    """


class StoreClosed(StoreError):
    """The store was closed; it takes no more calls."""


@runtime_checkable
class Store(Protocol):
    """Shared scheduling state: claims with leases, completions, pauses and run history.

    Instants are aware datetimes that name whole seconds (cron fire times do);
    they are compared as instants, so the zone they are written in does not
    matter. Job names pass `check_job`. Every method may raise
    `StoreUnavailable` when the backend cannot be reached in time (no call
    blocks past the store's timeout), `StoreError` for what will not heal, and
    `StoreClosed` after `close`. Implementations are thread-safe.

    **Claims and leases.** `claim` gives the fire of ``(job, instant)`` to one
    caller, owned by that store's `owner`, with a lease of the store's
    ``lease`` seconds. The owner renews the lease while the fire runs or waits
    for a retry (`renew`, every lease/3 s). A claim ends one of three ways:
    completed (`record`), resolved without running (`resolve`), or given back
    before it started (`release`). A claim whose lease expired without any of
    these is *abandoned*: its owner died. `abandoned` lists those; `take_over`
    gives one to exactly one caller with a fresh lease. So a claim is, at any
    moment, in one `claim_state`: "running" (lease live), "done", "abandoned"
    (lease expired) or "resolved".

    **Retention.** A store forgets a done or resolved claim `retention`
    seconds behind the newest instant it claimed, and an abandoned one
    `retention` seconds after its lease expired; it never forgets a claim
    whose lease is live. Until a claim is forgotten, nobody else wins it.
    """

    owner: str
    """Who this store object claims as: ``"hostname:pid:random"``, new per object."""

    def claim(self, job: str, instant: datetime) -> bool:
        """Claim the fire of `job` at `instant`: True for exactly one caller, False for the rest.

        "Exactly one" holds among everything sharing the backend (threads,
        processes, hosts) for as long as the store keeps the claim.
        """
        ...

    def claim_many(self, claims: Sequence[tuple[str, datetime]]) -> list[bool]:
        """`claim` for each pair, in one round trip; a pair given twice wins at most once.

        Every pair is checked first: a bad job name or instant raises
        ValueError (naming it) before anything is written.
        """
        ...

    def record(self, job: str, instant: datetime) -> None:
        """Completion: mark the claim of `(job, instant)` done and move `last_completed` forward.

        The last completed instant only moves forward: recording an earlier
        instant than the one stored leaves it, so completions may arrive out of
        order. A done claim is never abandoned, and is never won again.
        """
        ...

    def last_completed(self, job: str) -> datetime | None:
        """The latest instant recorded for `job` (aware, UTC), or None if none was."""
        ...

    def renew(self, claims: Sequence[tuple[str, datetime]]) -> None:
        """Extend the leases of these claims that this owner holds and has not ended.

        Claims held by another owner, done, resolved or unknown are left alone.
        A lease that expired but was not taken over is renewed (its owner was
        only slow).
        """
        ...

    def abandoned(
        self, jobs: Sequence[str], now: datetime | None = None
    ) -> list[tuple[str, datetime]]:
        """Claims of these jobs whose lease expired before `now` without an end, oldest first.

        `now` None is the store's clock (``time.time()``; Redis and PostgreSQL
        use the server's clock). Instants are aware, UTC.
        """
        ...

    def take_over(self, job: str, instant: datetime) -> bool:
        """Re-claim an abandoned claim for this owner with a fresh lease: True for one caller."""
        ...

    def resolve(self, job: str, instant: datetime) -> None:
        """End an abandoned claim (or one this owner holds) without running it.

        The "record only" choice: the claim is no longer abandoned, nobody
        wins it again, and `last_completed` does not move. To count an
        abandoned claim once among processes, `take_over` it first.
        """
        ...

    def release(self, job: str, instant: datetime) -> None:
        """Give back a claim this owner holds but never started: `claim` wins it again."""
        ...

    def claim_state(self, job: str, instant: datetime) -> str | None:
        """ "running", "done", "abandoned", "resolved", or None (never claimed or forgotten)."""
        ...

    def set_paused(self, job: str, paused: bool) -> None:
        """Pause or resume `job` for every process sharing the store (survives restarts)."""
        ...

    def paused(self, jobs: Sequence[str]) -> set[str]:
        """Which of `jobs` are paused in the store."""
        ...

    def add_runs(self, runs: Sequence[Run]) -> None:
        """Add run records; one with the identity of a stored run replaces it (`run_id`).

        The store keeps its ``history`` newest runs per job (by ``started``).
        """
        ...

    def runs(self, job: str, limit: int = 100) -> list[Run]:
        """The newest `limit` runs of `job`, newest first (datetimes in UTC)."""
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


def to_micros(moment: datetime) -> int:
    """Microseconds since the epoch of an aware datetime (naive: taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return (moment - _EPOCH) // timedelta(microseconds=1)


def from_micros(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


def check_job(job: str) -> str:
    """The job name, if every store can key on it; else ValueError saying why.

    A name is 1 to `MAX_JOB_BYTES` (200) bytes of UTF-8 without NUL: lone
    surrogates cannot be encoded, PostgreSQL text cannot hold NUL, and keys
    stay short. The scheduler calls this at ``add()``; every store calls it
    on every name it is given.
    """
    if not isinstance(job, str):
        raise TypeError(f"job name must be a str, not {type(job).__name__}")
    if not job:
        raise ValueError("job name must not be empty")
    try:
        size = len(job.encode("utf-8"))
    except UnicodeEncodeError:
        raise ValueError(
            f"job name {job!r} is not valid Unicode text (a lone surrogate): "
            "stores keep names as UTF-8"
        ) from None
    if "\x00" in job:
        raise ValueError(f"job name {job!r} contains NUL, which stores cannot hold")
    if size > MAX_JOB_BYTES:
        raise ValueError(
            f"job name {job[:40]!r}... is {size} bytes of UTF-8; stores take at most "
            f"{MAX_JOB_BYTES}"
        )
    return job


def check_pairs(claims: Sequence[tuple[str, datetime]]) -> list[tuple[str, int]]:
    """Every ``(job, instant)`` checked, before a store writes any: ValueError names the bad one."""
    rows = []
    for job, instant in claims:
        try:
            rows.append((check_job(job), to_epoch(instant)))
        except ValueError as exc:
            raise ValueError(f"claim of job {job!r} at {instant!r}: {exc}") from None
    return rows


def check_lease(lease: float, retention: float) -> tuple[float, float]:
    """Validated ``(lease, retention)`` seconds."""
    if not lease > 0:
        raise ValueError(f"lease must be positive seconds, got {lease!r}")
    if not retention > 0:
        raise ValueError(f"retention must be positive seconds, got {retention!r}")
    return float(lease), float(retention)


def check_history(history: int) -> int:
    if not isinstance(history, int) or history < 1:
        raise ValueError(f"history must be a positive int, got {history!r}")
    return history


def new_owner() -> str:
    """``hostname:pid:random``: who a new store object claims as."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def scrub(text: str, secrets_: Iterable[str]) -> str:
    """`text` with every secret in it replaced by ``***``."""
    for secret in sorted({s for s in secrets_ if s}, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


# libpq's keyword form: password=secret or password='se cret'.
_KEYWORD = re.compile(r"(?<![\w?&])password\s*=\s*('(?:[^'\\]|\\.)*'|[^\s&]+)", re.IGNORECASE)


def url_secrets(url: str) -> list[str]:
    """The passwords in a URL or libpq string, as written and decoded.

    ``scheme://user:pw@host``, ``?password=pw``, and libpq's ``password=pw`` keyword form.
    """
    found: list[str] = []
    rest = url.partition("://")[2]
    netloc = re.split(r"[/?#]", rest, maxsplit=1)[0]
    userinfo = netloc.rpartition("@")[0]
    if ":" in userinfo:
        raw = userinfo.split(":", 1)[1]
        found += [raw, unquote(raw)]
    query = url.partition("?")[2].partition("#")[0]
    for piece in query.split("&"):
        name, _, value = piece.partition("=")
        if unquote(name).lower() == "password" and value:
            found += [value, unquote(value), unquote(value.replace("+", " "))]
    for match in _KEYWORD.finditer(url):
        value = match.group(1)
        found += [value, value.strip("'").replace("\\'", "'")]
    return [s for s in found if s]


def redact_url(url: str) -> str:
    """The URL (or libpq string) without its password (``***`` in its place)."""
    if "://" not in url:
        return scrub(_KEYWORD.sub("password=***", url), url_secrets(url))
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
        userinfo, at, host = netloc.rpartition("@")
        if at and ":" in userinfo:
            netloc = f"{userinfo.split(':', 1)[0]}:***@{host}"
        query = parts.query
        if query:
            pairs = parse_qsl(query, keep_blank_values=True)
            if any(name.lower() == "password" for name, _ in pairs):
                query = urlencode(
                    [(n, "***" if n.lower() == "password" else v) for n, v in pairs], safe="*/"
                )
        redacted = urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
    except ValueError:
        redacted = "<a URL that does not parse>"
    # Belt and braces: whatever parsing missed.
    return scrub(redacted, url_secrets(url))


def run_id(run: Run) -> str:
    """The identity of a run record: a later record with it replaces the earlier one.

    ``instant``, ``attempt``, ``started`` and ``host``: the record of a run
    still going and the record of the same run ended share it.
    """
    return f"{to_epoch(run.instant)}:{run.attempt}:{to_micros(run.started)}:{run.host}"


def run_to_record(run: Run) -> dict[str, Any]:
    """A run as JSON-safe values (datetimes as microseconds since the epoch)."""
    return {
        "instant": to_epoch(run.instant),
        "started": to_micros(run.started),
        "ended": None if run.ended is None else to_micros(run.ended),
        "outcome": run.outcome,
        "error": run.error,
        "attempt": run.attempt,
        "manual": run.manual,
        "host": run.host,
    }


def run_from_record(job: str, record: dict[str, Any]) -> Run:
    ended = record.get("ended")
    return Run(
        job=job,
        instant=from_epoch(int(record["instant"])),
        started=from_micros(int(record["started"])),
        ended=None if ended is None else from_micros(int(ended)),
        outcome=str(record["outcome"]),
        error=record.get("error"),
        attempt=int(record.get("attempt", 0)),
        manual=bool(record.get("manual", False)),
        host=str(record.get("host", "")),
    )


def claim_many(store: Any, claims: Sequence[tuple[str, datetime]]) -> list[bool]:
    """Claim every pair, in one round trip when the store can (``claim_many``)."""
    batch = getattr(store, "claim_many", None)
    if batch is not None and len(claims) > 1:
        results = batch(claims)
        return [bool(won) for won in results]
    return [store.claim(job, instant) for job, instant in claims]
