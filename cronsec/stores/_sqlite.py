"""SQLiteStore: claims, completions, pauses and runs in one SQLite file, shared on a host."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, Union

from .._runs import Run
from ._base import (
    StoreClosed,
    StoreError,
    StoreUnavailable,
    check_history,
    check_job,
    check_lease,
    check_pairs,
    from_epoch,
    new_owner,
    run_from_record,
    run_id,
    run_to_record,
    to_epoch,
    to_micros,
)

__all__ = ["SCHEMA_VERSION", "SQLiteStore"]

SCHEMA_VERSION = 2
"""1: cronsec 0.x claims and last completions; 2: leases, pauses and runs."""

# state: 0 running (a lease), 1 done, 2 resolved. Version 1 claims become done.
_TABLES = {
    "cronsec_meta": (
        "CREATE TABLE IF NOT EXISTS cronsec_meta ("
        " key TEXT NOT NULL PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID",
        {"key", "value"},
    ),
    # WITHOUT ROWID: the primary key is the row; the unique key is the claim.
    "cronsec_claims": (
        "CREATE TABLE IF NOT EXISTS cronsec_claims ("
        " job TEXT NOT NULL, instant INTEGER NOT NULL, owner TEXT NOT NULL,"
        " claimed_at REAL NOT NULL, state INTEGER NOT NULL DEFAULT 1,"
        " lease_until REAL NOT NULL DEFAULT 0, PRIMARY KEY (job, instant)) WITHOUT ROWID",
        {"job", "instant", "owner", "claimed_at", "state", "lease_until"},
    ),
    "cronsec_last": (
        "CREATE TABLE IF NOT EXISTS cronsec_last ("
        " job TEXT NOT NULL PRIMARY KEY, instant INTEGER NOT NULL,"
        " updated_at REAL NOT NULL) WITHOUT ROWID",
        {"job", "instant", "updated_at"},
    ),
    "cronsec_paused": (
        "CREATE TABLE IF NOT EXISTS cronsec_paused ("
        " job TEXT NOT NULL PRIMARY KEY, since REAL NOT NULL) WITHOUT ROWID",
        {"job", "since"},
    ),
    "cronsec_runs": (
        "CREATE TABLE IF NOT EXISTS cronsec_runs ("
        " job TEXT NOT NULL, id TEXT NOT NULL, started INTEGER NOT NULL,"
        " record TEXT NOT NULL, PRIMARY KEY (job, id)) WITHOUT ROWID",
        {"job", "id", "started", "record"},
    ),
}
_V1_CLAIMS = {"job", "instant", "owner", "claimed_at"}
_INDEXES = (
    # Pruning by instant, and abandoned() reading only the running claims of a job.
    "CREATE INDEX IF NOT EXISTS cronsec_claims_instant ON cronsec_claims (instant)",
    "CREATE INDEX IF NOT EXISTS cronsec_claims_open ON cronsec_claims (job, lease_until)"
    " WHERE state = 0",
    "CREATE INDEX IF NOT EXISTS cronsec_runs_started ON cronsec_runs (job, started)",
)

_CLAIM = (
    "INSERT OR IGNORE INTO cronsec_claims (job, instant, owner, claimed_at, state, lease_until)"
    " VALUES (?, ?, ?, ?, 0, ?)"
)
_DONE = (
    "INSERT INTO cronsec_claims (job, instant, owner, claimed_at, state, lease_until)"
    " VALUES (?, ?, ?, ?, 1, 0) ON CONFLICT (job, instant) DO UPDATE SET state = 1"
)
# Only moves forward.
_RECORD = (
    "INSERT OR REPLACE INTO cronsec_last (job, instant, updated_at) SELECT ?, ?, ?"
    " WHERE NOT EXISTS (SELECT 1 FROM cronsec_last WHERE job = ? AND instant >= ?)"
)
_LAST = "SELECT instant FROM cronsec_last WHERE job = ?"
_RENEW = (
    "UPDATE cronsec_claims SET lease_until = ?"
    " WHERE job = ? AND instant = ? AND owner = ? AND state = 0"
)
_TAKE_OVER = (
    "UPDATE cronsec_claims SET owner = ?, lease_until = ?"
    " WHERE job = ? AND instant = ? AND state = 0 AND lease_until < ?"
)
_RESOLVE = (
    "UPDATE cronsec_claims SET state = 2"
    " WHERE job = ? AND instant = ? AND state = 0 AND (owner = ? OR lease_until < ?)"
)
_RELEASE = "DELETE FROM cronsec_claims WHERE job = ? AND instant = ? AND state = 0 AND owner = ?"
_STATE = "SELECT state, lease_until FROM cronsec_claims WHERE job = ? AND instant = ?"
_ABANDONED = (
    "SELECT job, instant FROM cronsec_claims"
    " WHERE job = ? AND state = 0 AND lease_until < ? ORDER BY instant"
)
_PRUNE = "DELETE FROM cronsec_claims WHERE instant < ? AND (state <> 0 OR lease_until < ?)"
_ADD_RUN = "INSERT OR REPLACE INTO cronsec_runs (job, id, started, record) VALUES (?, ?, ?, ?)"
_TRIM_RUNS = (
    "DELETE FROM cronsec_runs WHERE job = ? AND id NOT IN"
    " (SELECT id FROM cronsec_runs WHERE job = ? ORDER BY started DESC, id DESC LIMIT ?)"
)
_RUNS = "SELECT record FROM cronsec_runs WHERE job = ? ORDER BY started DESC, id DESC LIMIT ?"

PathLike = Union[str, "os.PathLike[str]"]


class SQLiteStore:
    """Claims with leases, completions, pauses and runs in an SQLite database (WAL mode).

    Processes on one host that share the file fire each instant once: a claim
    is an ``INSERT OR IGNORE`` on the unique key ``(job, instant)``, and only
    the insert that adds the row wins. Every write is one transaction, so a
    process killed at any point (SIGKILL included) leaves the database
    consistent. ``synchronous=NORMAL`` keeps it so across process crashes;
    pass ``synchronous="FULL"`` to survive power loss as well.

    Do not put the file on a network file system: WAL needs shared memory
    between the processes, so it works on one host only. For several hosts use
    `RedisStore` or `PostgresStore`.

    Each thread gets its own connection. `timeout` (default 1 s) bounds every
    call: a write that waits longer for another writer's lock raises
    `StoreUnavailable`. `lease` is how long a claim is held without renewal;
    done claims are deleted `retention` seconds behind the newest instant
    claimed, abandoned ones `retention` seconds after their lease expired.
    `history` runs are kept per job. Tables (schema version 2, in
    ``cronsec_meta``) are made on first use; version 1 files are migrated.
    Indexes: the primary key ``(job, instant)`` for claims, ``(instant)`` for
    pruning, ``(job, lease_until) WHERE state = 0`` for `abandoned`, and
    ``(job, started)`` for runs.
    """

    def __init__(
        self,
        path: PathLike,
        *,
        timeout: float = 1.0,
        retention: float = 7200.0,
        synchronous: str = "NORMAL",
        lease: float = 30.0,
        history: int = 100,
        owner: str | None = None,
    ) -> None:
        path = os.fspath(path)
        if path == ":memory:" or path.startswith("file::memory:") or not path:
            raise ValueError("SQLiteStore needs a file; for in-process state use MemoryStore")
        if not 0 < timeout <= 60:
            raise ValueError(f"timeout must be in (0, 60] seconds, got {timeout!r}")
        self._lease, self._retention = check_lease(lease, retention)
        if synchronous.upper() not in ("NORMAL", "FULL", "EXTRA"):
            raise ValueError(f"synchronous must be NORMAL, FULL or EXTRA, got {synchronous!r}")
        self.path = path
        self._timeout = float(timeout)
        self._history = check_history(history)
        self._synchronous = synchronous.upper()
        self.owner = owner if owner is not None else new_owner()
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        self._closed = False
        self._pruned_at: int | None = None
        self._conn()  # create the schema now, so a bad path fails here

    @property
    def retention(self) -> float:
        """Seconds a done claim is kept, behind the newest instant claimed."""
        return self._retention

    @property
    def lease(self) -> float:
        """Seconds a claim is held without a renewal."""
        return self._lease

    @property
    def timeout(self) -> float:
        """The longest a call waits for a lock before `StoreUnavailable`."""
        return self._timeout

    def __repr__(self) -> str:
        return f"SQLiteStore({self.path!r})"

    # -- claims ------------------------------------------------------------------

    def claim(self, job: str, instant: datetime) -> bool:
        """True for the one connection whose insert adds ``(job, instant)``; False for the rest."""
        check_job(job)
        seconds = to_epoch(instant)
        conn = self._conn()
        now = time.time()
        with self._errors():
            won = conn.execute(_CLAIM, (job, seconds, self.owner, now, now + self._lease))
            won_ = won.rowcount == 1
        if won_:
            self._maybe_prune(conn, seconds)
        return won_

    def claim_many(self, claims: Sequence[tuple[str, datetime]]) -> list[bool]:
        """`claim` for each pair, in one write transaction (all or none are made)."""
        rows = check_pairs(claims)
        if not rows:
            return []
        conn = self._conn()
        now = time.time()
        with self._transaction(conn):
            won = [
                conn.execute(_CLAIM, (job, seconds, self.owner, now, now + self._lease)).rowcount
                == 1
                for job, seconds in rows
            ]
        self._maybe_prune(conn, max(seconds for _, seconds in rows))
        return won

    def record(self, job: str, instant: datetime) -> None:
        """Mark the claim done and move `job`'s last completed instant forward (never back)."""
        check_job(job)
        seconds = to_epoch(instant)
        conn = self._conn()
        now = time.time()
        with self._transaction(conn):
            conn.execute(_DONE, (job, seconds, self.owner, now))
            conn.execute(_RECORD, (job, seconds, now, job, seconds))

    def last_completed(self, job: str) -> datetime | None:
        """The latest recorded instant of `job` (UTC), or None."""
        check_job(job)
        conn = self._conn()
        with self._errors():
            row = conn.execute(_LAST, (job,)).fetchone()
        return None if row is None else from_epoch(int(row[0]))

    def renew(self, claims: Sequence[tuple[str, datetime]]) -> None:
        """Extend this owner's running claims by a lease from now."""
        rows = check_pairs(claims)
        if not rows:
            return
        conn = self._conn()
        until = time.time() + self._lease
        with self._transaction(conn):
            conn.executemany(_RENEW, [(until, job, s, self.owner) for job, s in rows])

    def abandoned(
        self, jobs: Sequence[str], now: datetime | None = None
    ) -> list[tuple[str, datetime]]:
        """Running claims of `jobs` whose lease expired before `now`, oldest first."""
        names = sorted({check_job(job) for job in jobs})
        at = time.time() if now is None else now.timestamp()
        conn = self._conn()
        found: list[tuple[int, str]] = []
        with self._errors():
            for job in names:
                found.extend((s, j) for j, s in conn.execute(_ABANDONED, (job, at)))
        return [(job, from_epoch(int(seconds))) for seconds, job in sorted(found)]

    def take_over(self, job: str, instant: datetime) -> bool:
        """Take an abandoned claim for this owner with a fresh lease; True for one caller."""
        check_job(job)
        seconds = to_epoch(instant)
        conn = self._conn()
        now = time.time()
        with self._errors():
            cursor = conn.execute(_TAKE_OVER, (self.owner, now + self._lease, job, seconds, now))
            return cursor.rowcount == 1

    def resolve(self, job: str, instant: datetime) -> None:
        """End an abandoned claim (or one this owner holds) without running it."""
        check_job(job)
        seconds = to_epoch(instant)
        conn = self._conn()
        with self._errors():
            conn.execute(_RESOLVE, (job, seconds, self.owner, time.time()))

    def release(self, job: str, instant: datetime) -> None:
        """Delete a running claim this owner holds, so that `claim` wins it again."""
        check_job(job)
        seconds = to_epoch(instant)
        conn = self._conn()
        with self._errors():
            conn.execute(_RELEASE, (job, seconds, self.owner))

    def claim_state(self, job: str, instant: datetime) -> str | None:
        """ "running", "done", "abandoned", "resolved", or None."""
        check_job(job)
        seconds = to_epoch(instant)
        conn = self._conn()
        with self._errors():
            row = conn.execute(_STATE, (job, seconds)).fetchone()
        if row is None:
            return None
        state, until = int(row[0]), float(row[1])
        if state == 1:
            return "done"
        if state == 2:
            return "resolved"
        return "running" if until >= time.time() else "abandoned"

    # -- pauses and runs ---------------------------------------------------------

    def set_paused(self, job: str, paused: bool) -> None:
        check_job(job)
        conn = self._conn()
        with self._errors():
            if paused:
                conn.execute(
                    "INSERT OR IGNORE INTO cronsec_paused (job, since) VALUES (?, ?)",
                    (job, time.time()),
                )
            else:
                conn.execute("DELETE FROM cronsec_paused WHERE job = ?", (job,))

    def paused(self, jobs: Sequence[str]) -> set[str]:
        names = sorted({check_job(job) for job in jobs})
        conn = self._conn()
        found: set[str] = set()
        with self._errors():
            for n in range(0, len(names), 500):  # SQLite's bound on parameters
                chunk = names[n : n + 500]
                marks = ",".join("?" * len(chunk))
                query = f"SELECT job FROM cronsec_paused WHERE job IN ({marks})"
                found.update(row[0] for row in conn.execute(query, chunk))
        return found

    def add_runs(self, runs: Sequence[Run]) -> None:
        """Store the runs (a later record of one run replaces it); keep `history` per job."""
        rows = [
            (check_job(r.job), run_id(r), to_micros(r.started), json.dumps(run_to_record(r)))
            for r in runs
        ]
        if not rows:
            return
        conn = self._conn()
        with self._transaction(conn):
            conn.executemany(_ADD_RUN, rows)
            for job in sorted({row[0] for row in rows}):
                conn.execute(_TRIM_RUNS, (job, job, self._history))

    def runs(self, job: str, limit: int = 100) -> list[Run]:
        check_job(job)
        conn = self._conn()
        with self._errors():
            rows = conn.execute(_RUNS, (job, max(0, limit))).fetchall()
        return [run_from_record(job, json.loads(row[0])) for row in rows]

    def close(self) -> None:
        """Close every thread's connection; later calls raise `StoreClosed`."""
        with self._lock:
            self._closed = True
            connections, self._connections = self._connections, []
        for conn in connections:
            with contextlib.suppress(sqlite3.Error):  # closing is best effort
                conn.close()

    # -- connections and schema --------------------------------------------------

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
        with self._errors():
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
        """WAL mode, the durability level and the schema (idempotent, process-safe)."""
        with self._errors():
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
            if self._version(conn) != SCHEMA_VERSION:
                with self._transaction(conn):
                    self._migrate(conn)
            self._check_tables(conn)

    def _version(self, conn: sqlite3.Connection) -> int | None:
        exists = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'cronsec_meta'"
        ).fetchone()
        if exists is None:
            return None
        self._check_columns(conn, "cronsec_meta")
        row = conn.execute("SELECT value FROM cronsec_meta WHERE key = 'schema'").fetchone()
        return None if row is None else int(row[0])

    def _migrate(self, conn: sqlite3.Connection) -> None:
        """Make or upgrade the schema, inside a write transaction."""
        version = self._version(conn)  # again: another process may have done it meanwhile
        if version == SCHEMA_VERSION:
            return
        if version is not None and version > SCHEMA_VERSION:
            raise StoreError(
                f"SQLite database {self.path} has cronsec schema {version}, newer than this "
                f"cronsec's {SCHEMA_VERSION}: upgrade cronsec"
            )
        columns = self._columns(conn, "cronsec_claims")
        if columns and columns == _V1_CLAIMS:  # version 1: its claims are done
            conn.execute("ALTER TABLE cronsec_claims ADD COLUMN state INTEGER NOT NULL DEFAULT 1")
            conn.execute(
                "ALTER TABLE cronsec_claims ADD COLUMN lease_until REAL NOT NULL DEFAULT 0"
            )
        for create, _ in _TABLES.values():
            conn.execute(create)
        self._check_tables(conn)
        for index in _INDEXES:
            conn.execute(index)
        conn.execute(
            "INSERT OR REPLACE INTO cronsec_meta (key, value) VALUES ('schema', ?)",
            (str(SCHEMA_VERSION),),
        )

    def _check_tables(self, conn: sqlite3.Connection) -> None:
        for table in _TABLES:
            self._check_columns(conn, table)

    def _check_columns(self, conn: sqlite3.Connection, table: str) -> None:
        """StoreError when a table of ours exists with other columns (someone else's table)."""
        columns = self._columns(conn, table)
        wanted = _TABLES[table][1]
        if columns and not wanted <= columns:
            raise StoreError(
                f"SQLite database {self.path}: table {table} exists but is not cronsec's "
                f"(columns {', '.join(sorted(columns))}; cronsec needs "
                f"{', '.join(sorted(wanted))}): use another file"
            )

    @staticmethod
    def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
        return {str(row[1]) for row in conn.execute(f"PRAGMA table_info({table})")}

    def _maybe_prune(self, conn: sqlite3.Connection, newest: int) -> None:
        # Prune by the instants claimed, a tenth of the retention apart; a failed
        # prune is harmless and retried next time.
        with self._lock:
            step = max(1, int(self._retention) // 10)
            if self._pruned_at is not None and newest - self._pruned_at < step:
                return
            self._pruned_at = newest
        try:
            conn.execute(_PRUNE, (newest - self._retention, time.time() - self._retention))
        except sqlite3.Error:
            with self._lock:
                self._pruned_at = None

    @contextlib.contextmanager
    def _transaction(self, conn: sqlite3.Connection) -> Iterator[None]:
        """One write transaction (BEGIN IMMEDIATE: the write lock first, within `timeout`)."""
        with self._errors():
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield
                conn.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
                raise

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        """sqlite3 errors as store errors: locks and I/O are "unavailable", the rest not."""
        try:
            yield
        except sqlite3.Error as exc:
            raise _translate(self.path, exc) from exc


# Failures that may heal by waiting: another process's lock, a full or flaky disk,
# a directory not there yet (a volume not mounted).
_TRANSIENT = (
    "locked",
    "busy",
    "disk i/o error",
    "database or disk is full",
    "unable to open database file",
)
_TRANSIENT_CODES = {"SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_IOERR", "SQLITE_FULL"}
_PERMANENT_CODES = {"SQLITE_READONLY", "SQLITE_CORRUPT", "SQLITE_NOTADB", "SQLITE_PERM"}


def _translate(path: str, exc: sqlite3.Error) -> StoreError:
    text = str(exc)
    name: Any = getattr(exc, "sqlite_errorname", None)  # Python 3.11+
    base = str(name).split("_")[0:2] if isinstance(name, str) else None
    code = "_".join(base) if base else None
    if code in _PERMANENT_CODES or "readonly" in text or "read-only" in text:
        return StoreError(f"SQLite database {path}: {text} (this will not heal by waiting)")
    transient = code in _TRANSIENT_CODES or any(word in text.lower() for word in _TRANSIENT)
    if isinstance(exc, sqlite3.OperationalError) and transient:
        return StoreUnavailable(f"SQLite database {path}: {text}")
    return StoreError(f"SQLite database {path}: {text}")
