"""SQLiteStore: claims and completions in one SQLite file, shared by processes on a host."""

from __future__ import annotations

import contextlib
import os
import socket
import sqlite3
import threading
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Union

from ._base import StoreClosed, StoreError, StoreUnavailable, check_job, from_epoch, to_epoch

__all__ = ["SQLiteStore"]

_SCHEMA = (
    # WITHOUT ROWID: the primary key is the row; the unique key is the claim.
    "CREATE TABLE IF NOT EXISTS cronsec_claims ("
    " job TEXT NOT NULL, instant INTEGER NOT NULL, owner TEXT NOT NULL,"
    " claimed_at REAL NOT NULL, PRIMARY KEY (job, instant)) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS cronsec_claims_instant ON cronsec_claims (instant)",
    "CREATE TABLE IF NOT EXISTS cronsec_last ("
    " job TEXT NOT NULL PRIMARY KEY, instant INTEGER NOT NULL,"
    " updated_at REAL NOT NULL) WITHOUT ROWID",
)
_CLAIM = (
    "INSERT OR IGNORE INTO cronsec_claims (job, instant, owner, claimed_at) VALUES (?, ?, ?, ?)"
)
# One statement, so atomic without an explicit transaction; only moves forward.
_RECORD = (
    "INSERT OR REPLACE INTO cronsec_last (job, instant, updated_at) SELECT ?, ?, ?"
    " WHERE NOT EXISTS (SELECT 1 FROM cronsec_last WHERE job = ? AND instant >= ?)"
)
_LAST = "SELECT instant FROM cronsec_last WHERE job = ?"
_PRUNE = "DELETE FROM cronsec_claims WHERE instant < ?"

PathLike = Union[str, "os.PathLike[str]"]


class SQLiteStore:
    """Claims and last completed instants in an SQLite database (WAL mode).

    Processes on one host that share the file fire each instant once: a claim
    is an ``INSERT OR IGNORE`` on the unique key ``(job, instant)``, and only
    the insert that adds the row wins. Every write is one statement, hence one
    transaction, so a process killed at any point (SIGKILL included) leaves the
    database consistent. ``synchronous=NORMAL`` keeps it so across process
    crashes; pass ``synchronous="FULL"`` to survive power loss as well.

    Do not put the file on a network file system: WAL needs shared memory
    between the processes, so it works on one host only. For several hosts use
    `RedisStore`.

    Each thread gets its own connection; `timeout` is how long a write waits
    for another writer's lock before the call raises `StoreUnavailable`.
    Claims older than `retention` seconds (behind the newest instant claimed)
    are deleted as claiming moves on.
    """

    def __init__(
        self,
        path: PathLike,
        *,
        timeout: float = 5.0,
        retention: float = 7200.0,
        synchronous: str = "NORMAL",
    ) -> None:
        path = os.fspath(path)
        if path == ":memory:" or path.startswith("file::memory:") or not path:
            raise ValueError("SQLiteStore needs a file; for in-process state use MemoryStore")
        if retention <= 0:
            raise ValueError(f"retention must be positive, got {retention!r}")
        if synchronous.upper() not in ("NORMAL", "FULL", "EXTRA"):
            raise ValueError(f"synchronous must be NORMAL, FULL or EXTRA, got {synchronous!r}")
        self.path = path
        self._timeout = float(timeout)
        self._retention = int(retention)
        self._synchronous = synchronous.upper()
        self._owner = f"{socket.gethostname()}:{os.getpid()}"
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        self._closed = False
        self._pruned_at: int | None = None
        self._conn()  # create the schema now, so a bad path fails here

    @property
    def retention(self) -> float:
        """Seconds a claim is kept, behind the newest instant claimed."""
        return float(self._retention)

    def __repr__(self) -> str:
        return f"SQLiteStore({self.path!r})"

    def claim(self, job: str, instant: datetime) -> bool:
        """True for the one connection whose insert adds ``(job, instant)``; False for the rest."""
        check_job(job)
        seconds = to_epoch(instant)
        conn = self._conn()
        with _errors(self.path):
            won = conn.execute(_CLAIM, (job, seconds, self._owner, time.time())).rowcount == 1
        if won:
            self._maybe_prune(conn, seconds)
        return won

    def claim_many(self, claims: Sequence[tuple[str, datetime]]) -> list[bool]:
        """`claim` for each pair, in one write transaction (all or none are made)."""
        rows = [(check_job(job), to_epoch(instant)) for job, instant in claims]
        if not rows:
            return []
        conn = self._conn()
        now = time.time()
        with _errors(self.path):
            conn.execute("BEGIN IMMEDIATE")
            try:
                won = [
                    conn.execute(_CLAIM, (job, seconds, self._owner, now)).rowcount == 1
                    for job, seconds in rows
                ]
                conn.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
                raise
        self._maybe_prune(conn, max(seconds for _, seconds in rows))
        return won

    def record(self, job: str, instant: datetime) -> None:
        """Move `job`'s last completed instant forward to `instant` (never back)."""
        check_job(job)
        seconds = to_epoch(instant)
        conn = self._conn()
        with _errors(self.path):
            conn.execute(_RECORD, (job, seconds, time.time(), job, seconds))

    def last_completed(self, job: str) -> datetime | None:
        """The latest recorded instant of `job` (UTC), or None."""
        check_job(job)
        conn = self._conn()
        with _errors(self.path):
            row = conn.execute(_LAST, (job,)).fetchone()
        return None if row is None else from_epoch(int(row[0]))

    def close(self) -> None:
        """Close every thread's connection; later calls raise `StoreClosed`."""
        with self._lock:
            self._closed = True
            connections, self._connections = self._connections, []
        for conn in connections:
            with contextlib.suppress(sqlite3.Error):  # closing is best effort
                conn.close()

    def _conn(self) -> sqlite3.Connection:
        """This thread's connection, opened (and the schema made) on first use."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if self._closed:
            raise StoreClosed(f"SQLiteStore({self.path!r}) is closed")
        # A connection must not cross a fork: the child opens its own.
        if conn is not None and self._local.pid == os.getpid():
            return conn
        conn = self._open()
        with self._lock:
            if self._closed:
                conn.close()
                raise StoreClosed(f"SQLiteStore({self.path!r}) is closed")
            self._connections.append(conn)
        self._local.conn = conn
        self._local.pid = os.getpid()
        return conn

    def _open(self) -> sqlite3.Connection:
        # isolation_level=None: autocommit, each statement its own transaction;
        # check_same_thread=False only so that close() may run on any thread.
        with _errors(self.path):
            conn = sqlite3.connect(
                self.path, timeout=self._timeout, isolation_level=None, check_same_thread=False
            )
        try:
            self._setup(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    def _setup(self, conn: sqlite3.Connection) -> None:
        """WAL mode, the durability level and the tables (idempotent, process-safe)."""
        with _errors(self.path):
            deadline = time.monotonic() + self._timeout
            while True:
                # Switching a new file to WAL takes an exclusive lock and may
                # report "locked" at once, without waiting: retry until timeout.
                try:
                    mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
                    break
                except sqlite3.OperationalError as exc:
                    if "locked" not in str(exc) or time.monotonic() > deadline:
                        raise
                    time.sleep(0.01)
            if str(mode).lower() != "wal":
                raise StoreError(f"{self.path}: SQLite refused WAL mode (journal_mode={mode})")
            conn.execute(f"PRAGMA synchronous={self._synchronous}")
            for statement in _SCHEMA:
                conn.execute(statement)

    def _maybe_prune(self, conn: sqlite3.Connection, newest: int) -> None:
        # Prune by the instants claimed, not the wall clock, a tenth of the
        # retention apart; a failed prune is harmless and retried next time.
        with self._lock:
            if self._pruned_at is not None and newest - self._pruned_at < self._retention // 10:
                return
            self._pruned_at = newest
        try:
            conn.execute(_PRUNE, (newest - self._retention,))
        except sqlite3.OperationalError:
            with self._lock:
                self._pruned_at = None


class _errors:
    """Turn sqlite3 errors into store errors: lock timeouts and I/O are "unavailable"."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, exc: BaseException | None, tb: object) -> None:
        if isinstance(exc, sqlite3.OperationalError):
            raise StoreUnavailable(f"SQLite database {self.path}: {exc}") from exc
        if isinstance(exc, sqlite3.Error):
            raise StoreError(f"SQLite database {self.path}: {exc}") from exc
