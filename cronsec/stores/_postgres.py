"""PostgresStore: claims with leases, completions, pauses and runs in PostgreSQL (psycopg 3)."""

from __future__ import annotations

import contextlib
import json
import re
import threading
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Callable, TypeVar

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
    redact_url,
    run_from_record,
    run_id,
    run_to_record,
    scrub,
    to_epoch,
    to_micros,
    url_secrets,
)
from ._watchdog import Watchdog

__all__ = ["SCHEMA_VERSION", "PostgresStore"]

_INSTALL = 'PostgresStore needs psycopg 3: pip install "cronsec[postgres]"'
SCHEMA_VERSION = 1
_PREFIX = re.compile(r"[a-z_][a-z0-9_]{0,39}\Z")
_NOW = "extract(epoch FROM clock_timestamp())::float8"
# Authentication failures are connection errors to libpq; they will not heal by waiting.
_AUTH = ("password authentication failed", "no pg_hba.conf entry", "authentication failed")

T = TypeVar("T")


def _schema(p: str) -> list[str]:
    # state: 0 running (a lease), 1 done, 2 resolved. Times: epoch seconds, server clock.
    return [
        f"CREATE TABLE IF NOT EXISTS {p}_claims ("
        " job text NOT NULL, instant bigint NOT NULL, owner text NOT NULL,"
        " state smallint NOT NULL, lease_until float8 NOT NULL, claimed_at float8 NOT NULL,"
        " token text NOT NULL DEFAULT '', PRIMARY KEY (job, instant))",
        f"CREATE INDEX IF NOT EXISTS {p}_claims_open ON {p}_claims (job, lease_until)"
        " WHERE state = 0",
        f"CREATE INDEX IF NOT EXISTS {p}_claims_instant ON {p}_claims (instant)",
        f"CREATE TABLE IF NOT EXISTS {p}_last (job text PRIMARY KEY, instant bigint NOT NULL)",
        f"CREATE TABLE IF NOT EXISTS {p}_paused (job text PRIMARY KEY, since float8 NOT NULL)",
        f"CREATE TABLE IF NOT EXISTS {p}_runs ("
        " job text NOT NULL, id text NOT NULL, started bigint NOT NULL, record text NOT NULL,"
        " PRIMARY KEY (job, id))",
        f"CREATE INDEX IF NOT EXISTS {p}_runs_started ON {p}_runs (job, started)",
    ]


def _columns(p: str) -> dict[str, set[str]]:
    return {
        f"{p}_meta": {"key", "value"},
        f"{p}_claims": {"job", "instant", "owner", "state", "lease_until", "claimed_at", "token"},
        f"{p}_last": {"job", "instant"},
        f"{p}_paused": {"job", "since"},
        f"{p}_runs": {"job", "id", "started", "record"},
    }


class PostgresStore:
    """Claims with leases, completions, pauses and runs in PostgreSQL tables.

    Processes on any number of hosts that share the database fire each
    instant once: the fires due at one moment are claimed in one transaction,
    ``INSERT ... ON CONFLICT DO NOTHING RETURNING`` on the primary key
    ``(job, instant)``, and only the rows inserted win. Leases are timed by
    the server's clock. `dsn` is a ``postgresql://`` URL or a libpq keyword
    string; its password never appears in `url`, the repr, messages or logs.

    Tables ``{prefix}_meta`` (the schema version), ``{prefix}_claims``,
    ``{prefix}_last``, ``{prefix}_paused``, ``{prefix}_runs``, made on first
    use. Indexes: the primary keys ``(job, instant)`` (claims, completions,
    leases: one row by key), ``{prefix}_claims_open (job, lease_until) WHERE
    state = 0`` (what `abandoned` reads), ``{prefix}_claims_instant
    (instant)`` (pruning), ``{prefix}_runs_started (job, started)`` (history).
    No call on the hot path scans a table.

    One connection per store, used under a lock, reconnected when lost.
    `timeout` bounds every call: it is the statement and lock timeout on the
    server, the wait for the connection's lock here, and (rounded up, at least
    2 s) the connect timeout; past it a call raises `StoreUnavailable`. A
    server that stops answering altogether (frozen, SIGSTOP, a paused VM: its
    connections stay open, so no server timeout fires) is cut off here after
    twice `timeout` (at least `timeout` + 1 s; up to a quarter later), and the
    call raises `StoreUnavailable` saying so.
    """

    def __init__(
        self,
        dsn: str,
        *,
        prefix: str = "cronsec",
        lease: float = 30.0,
        retention: float = 7200.0,
        timeout: float = 2.0,
        history: int = 100,
        owner: str | None = None,
    ) -> None:
        try:
            import psycopg
        except ImportError as exc:
            raise ImportError(_INSTALL) from exc
        self._psycopg: Any = psycopg
        if not isinstance(dsn, str):
            raise TypeError(f"PostgresStore takes a libpq URL or string, not {type(dsn).__name__}")
        if not isinstance(prefix, str) or not _PREFIX.match(prefix):
            raise ValueError(
                f"prefix must be a lower-case SQL name (a-z, 0-9, _; at most 40), got {prefix!r}"
            )
        if not 0 < timeout <= 300:
            raise ValueError(f"timeout must be in (0, 300] seconds, got {timeout!r}")
        self._lease, self._retention = check_lease(lease, retention)
        self._history = check_history(history)
        self._secrets = url_secrets(dsn)
        self.url = redact_url(dsn)
        self._dsn = dsn
        self.prefix = prefix
        self.owner = owner if owner is not None else new_owner()
        self._timeout = float(timeout)
        self._watchdog = Watchdog(
            self._timeout + max(1.0, self._timeout), name="cronsec-postgres-watchdog"
        )
        self._lock = threading.Lock()
        self._conn: Any = None
        self._schema_ready = False
        self._pruned_at: int | None = None
        self._closed = False
        p = prefix
        self._sql = {
            "claim": (
                f"INSERT INTO {p}_claims AS c"
                " (job, instant, owner, state, lease_until, claimed_at, token)"
                f" SELECT j, i, %(owner)s, 0, n + %(lease)s, n, %(token)s"
                f" FROM unnest(%(jobs)s::text[], %(instants)s::bigint[]) AS b(j, i),"
                f" (SELECT {_NOW} AS n) AS t ORDER BY j, i"  # one lock order: no deadlock
                " ON CONFLICT (job, instant) DO NOTHING RETURNING job, instant"
            ),
            "mine": (
                f"SELECT job, instant FROM {p}_claims WHERE token = %(token)s"
                " AND (job, instant) IN"
                " (SELECT * FROM unnest(%(jobs)s::text[], %(instants)s::bigint[]))"
            ),
            "done": (
                f"INSERT INTO {p}_claims AS c"
                " (job, instant, owner, state, lease_until, claimed_at)"
                f" VALUES (%(job)s, %(instant)s, %(owner)s, 1, 0, {_NOW})"
                " ON CONFLICT (job, instant) DO UPDATE SET state = 1"
            ),
            "record": (
                f"INSERT INTO {p}_last AS l (job, instant) VALUES (%(job)s, %(instant)s)"
                " ON CONFLICT (job) DO UPDATE SET instant = EXCLUDED.instant"
                " WHERE l.instant < EXCLUDED.instant"
            ),
            "last": f"SELECT instant FROM {p}_last WHERE job = %(job)s",
            "renew": (
                f"UPDATE {p}_claims SET lease_until = {_NOW} + %(lease)s"
                " FROM unnest(%(jobs)s::text[], %(instants)s::bigint[]) AS b(j, i)"
                " WHERE job = b.j AND instant = b.i AND owner = %(owner)s AND state = 0"
            ),
            "abandoned": (
                f"SELECT job, instant FROM {p}_claims WHERE job = ANY(%(jobs)s::text[])"
                " AND state = 0 AND lease_until < COALESCE(%(now)s::float8, "
                f"{_NOW}) ORDER BY instant, job"
            ),
            "take_over": (
                f"UPDATE {p}_claims SET owner = %(owner)s, lease_until = {_NOW} + %(lease)s"
                " WHERE job = %(job)s AND instant = %(instant)s AND state = 0"
                f" AND lease_until < {_NOW} RETURNING 1"
            ),
            "resolve": (
                f"UPDATE {p}_claims SET state = 2"
                " WHERE job = %(job)s AND instant = %(instant)s AND state = 0"
                f" AND (owner = %(owner)s OR lease_until < {_NOW})"
            ),
            "release": (
                f"DELETE FROM {p}_claims WHERE job = %(job)s AND instant = %(instant)s"
                " AND state = 0 AND owner = %(owner)s"
            ),
            "state": (
                f"SELECT state, lease_until >= {_NOW} FROM {p}_claims"
                " WHERE job = %(job)s AND instant = %(instant)s"
            ),
            "prune": (
                f"DELETE FROM {p}_claims WHERE instant < %(horizon)s"
                f" AND (state <> 0 OR lease_until < {_NOW} - %(retention)s)"
            ),
            "pause": (
                f"INSERT INTO {p}_paused (job, since) VALUES (%(job)s, {_NOW})"
                " ON CONFLICT (job) DO NOTHING"
            ),
            "resume": f"DELETE FROM {p}_paused WHERE job = %(job)s",
            "paused": f"SELECT job FROM {p}_paused WHERE job = ANY(%(jobs)s::text[])",
            "add_run": (
                f"INSERT INTO {p}_runs (job, id, started, record)"
                " VALUES (%(job)s, %(id)s, %(started)s, %(record)s)"
                " ON CONFLICT (job, id) DO UPDATE"
                " SET started = EXCLUDED.started, record = EXCLUDED.record"
            ),
            "trim_runs": (
                f"DELETE FROM {p}_runs WHERE job = %(job)s AND id NOT IN"
                f" (SELECT id FROM {p}_runs WHERE job = %(job)s"
                " ORDER BY started DESC, id DESC LIMIT %(history)s)"
            ),
            "runs": (
                f"SELECT record FROM {p}_runs WHERE job = %(job)s"
                " ORDER BY started DESC, id DESC LIMIT %(limit)s"
            ),
        }

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
        """The longest any call takes before `StoreUnavailable`."""
        return self._timeout

    def __repr__(self) -> str:
        return f"PostgresStore({self.url!r}, prefix={self.prefix!r})"

    # -- claims ------------------------------------------------------------------

    def claim(self, job: str, instant: datetime) -> bool:
        """True for the one caller whose insert adds ``(job, instant)``; False for the rest."""
        return self.claim_many([(job, instant)])[0]

    def claim_many(self, claims: Sequence[tuple[str, datetime]]) -> list[bool]:
        """`claim` for each pair in one statement (one transaction, one round trip)."""
        rows = check_pairs(claims)
        if not rows:
            return []
        # Every process inserts in one order (by key), so that two batches that meet on
        # the unique index wait for each other instead of deadlocking.
        ordered = sorted(set(rows))
        params = {
            "owner": self.owner,
            "lease": self._lease,
            "token": uuid.uuid4().hex,
            "jobs": [job for job, _ in ordered],
            "instants": [s for _, s in ordered],
        }

        def work(conn: Any, retried: bool) -> set[tuple[str, int]]:
            # A retry after a lost connection finds the rows its first try made.
            query = self._sql["mine" if retried else "claim"]
            won = {(str(j), int(i)) for j, i in conn.execute(query, params).fetchall()}
            if retried:
                won |= {
                    (str(j), int(i)) for j, i in conn.execute(self._sql["claim"], params).fetchall()
                }
            return won

        won = self._run(work)
        result = []
        for row in rows:
            result.append(row in won)
            won.discard(row)  # a pair given twice wins once
        self._maybe_prune(max(s for _, s in rows))
        return result

    def record(self, job: str, instant: datetime) -> None:
        """Mark the claim done and move `job`'s last completed instant forward (never back)."""
        params = {"job": check_job(job), "instant": to_epoch(instant), "owner": self.owner}

        def work(conn: Any, retried: bool) -> None:
            with conn.transaction():
                conn.execute(self._sql["done"], params)
                conn.execute(self._sql["record"], params)

        self._run(work)

    def last_completed(self, job: str) -> datetime | None:
        """The latest recorded instant of `job` (UTC), or None."""
        params = {"job": check_job(job)}
        row = self._run(lambda conn, _: conn.execute(self._sql["last"], params).fetchone())
        return None if row is None else from_epoch(int(row[0]))

    def renew(self, claims: Sequence[tuple[str, datetime]]) -> None:
        """Extend this owner's running claims by a lease from now (server time)."""
        rows = check_pairs(claims)
        if rows:
            self._simple("renew", jobs=[j for j, _ in rows], instants=[s for _, s in rows])

    def abandoned(
        self, jobs: Sequence[str], now: datetime | None = None
    ) -> list[tuple[str, datetime]]:
        """Running claims of `jobs` whose lease expired before `now`, oldest first."""
        params = {
            "jobs": sorted({check_job(job) for job in jobs}),
            "now": None if now is None else now.timestamp(),
        }
        rows = self._run(lambda conn, _: conn.execute(self._sql["abandoned"], params).fetchall())
        return [(str(job), from_epoch(int(s))) for job, s in rows]

    def take_over(self, job: str, instant: datetime) -> bool:
        """Take an abandoned claim for this owner with a fresh lease; True for one caller."""
        params = self._params(job, instant)
        row = self._run(lambda conn, _: conn.execute(self._sql["take_over"], params).fetchone())
        return row is not None

    def resolve(self, job: str, instant: datetime) -> None:
        """End an abandoned claim (or one this owner holds) without running it."""
        self._simple("resolve", **self._params(job, instant))

    def release(self, job: str, instant: datetime) -> None:
        """Delete a running claim this owner holds, so that `claim` wins it again."""
        self._simple("release", **self._params(job, instant))

    def claim_state(self, job: str, instant: datetime) -> str | None:
        """ "running", "done", "abandoned", "resolved", or None."""
        params = self._params(job, instant)
        row = self._run(lambda conn, _: conn.execute(self._sql["state"], params).fetchone())
        if row is None:
            return None
        state, live = int(row[0]), bool(row[1])
        if state == 1:
            return "done"
        if state == 2:
            return "resolved"
        return "running" if live else "abandoned"

    # -- pauses and runs ---------------------------------------------------------

    def set_paused(self, job: str, paused: bool) -> None:
        self._simple("pause" if paused else "resume", job=check_job(job))

    def paused(self, jobs: Sequence[str]) -> set[str]:
        params = {"jobs": sorted({check_job(job) for job in jobs})}
        if not params["jobs"]:
            return set()
        rows = self._run(lambda conn, _: conn.execute(self._sql["paused"], params).fetchall())
        return {str(row[0]) for row in rows}

    def add_runs(self, runs: Sequence[Run]) -> None:
        """Store the runs (a later record of one run replaces it); keep `history` per job."""
        rows = [
            {
                "job": check_job(r.job),
                "id": run_id(r),
                "started": to_micros(r.started),
                "record": json.dumps(run_to_record(r)),
            }
            for r in runs
        ]
        if not rows:
            return
        jobs = sorted({str(row["job"]) for row in rows})

        def work(conn: Any, retried: bool) -> None:
            with conn.transaction(), conn.cursor() as cur:
                cur.executemany(self._sql["add_run"], rows)
                for job in jobs:
                    cur.execute(self._sql["trim_runs"], {"job": job, "history": self._history})

        self._run(work)

    def runs(self, job: str, limit: int = 100) -> list[Run]:
        params = {"job": check_job(job), "limit": max(0, limit)}
        rows = self._run(lambda conn, _: conn.execute(self._sql["runs"], params).fetchall())
        return [run_from_record(job, json.loads(row[0])) for row in rows]

    def ping(self) -> bool:
        """True when the server answers; raises `StoreUnavailable` when it does not."""
        return bool(self._run(lambda conn, _: conn.execute("SELECT 1").fetchone()[0] == 1))

    def close(self) -> None:
        """Close the connection; later calls raise `StoreClosed`. Idempotent."""
        self._closed = True
        self._watchdog.close()
        if self._lock.acquire(timeout=self._timeout):
            try:
                self._drop()
            finally:
                self._lock.release()

    # -- the connection ----------------------------------------------------------

    def _params(self, job: str, instant: datetime) -> dict[str, Any]:
        return {
            "job": check_job(job),
            "instant": to_epoch(instant),
            "owner": self.owner,
            "lease": self._lease,
        }

    def _simple(self, name: str, **params: Any) -> None:
        params.setdefault("owner", self.owner)
        params.setdefault("lease", self._lease)
        self._run(lambda conn, _: conn.execute(self._sql[name], params))

    def _maybe_prune(self, newest: int) -> None:
        # Prune by the instants claimed, a tenth of the retention apart; a failed
        # prune is harmless and retried next time.
        step = max(1, int(self._retention) // 10)
        if self._pruned_at is not None and newest - self._pruned_at < step:
            return
        self._pruned_at = newest
        params = {"horizon": newest - int(self._retention), "retention": self._retention}
        try:
            self._run(lambda conn, _: conn.execute(self._sql["prune"], params))
        except StoreError:
            self._pruned_at = None

    def _run(self, work: Callable[[Any, bool], T]) -> T:
        """``work(connection, retried)`` under the lock, with store errors for psycopg's.

        A connection found lost (a server restart) is replaced and the work
        tried once more, with ``retried`` True.
        """
        if self._closed:
            raise StoreClosed(f"{self!r} is closed")
        if not self._lock.acquire(timeout=self._timeout):
            raise StoreUnavailable(
                f"{self!r}: the connection stayed busy with another call for {self._timeout:g}s"
            )
        try:
            error: StoreError | None = None
            for attempt in range(2):
                reused = self._conn is not None
                watch = None
                try:
                    conn = self._connect()
                    with self._watchdog.watching(conn.fileno()) as watch:
                        return work(conn, attempt > 0)
                except self._psycopg.Error as exc:
                    lost = self._conn is None or self._conn.closed or self._conn.broken
                    if lost:
                        self._drop()
                    if watch is not None and watch.cut:
                        error = self._silent()
                        break
                    error = self._translate(exc)
                    if not (attempt == 0 and reused and lost and _is_unavailable(error)):
                        break
            assert error is not None
        finally:
            self._lock.release()
        # Raised outside the except clause: psycopg's exception is not chained.
        raise error

    def _connect(self) -> Any:
        if self._conn is not None:
            return self._conn
        if self._closed:
            raise StoreClosed(f"{self!r} is closed")
        ms = max(1, int(self._timeout * 1000))
        conn = self._psycopg.connect(
            self._dsn,
            autocommit=True,
            connect_timeout=max(2, int(-(-self._timeout // 1))),
            options=f"-c statement_timeout={ms} -c lock_timeout={ms}"
            f" -c idle_in_transaction_session_timeout={ms * 10}",
            tcp_user_timeout=ms,
            keepalives=1,
            keepalives_idle=max(1, int(self._timeout)),
            keepalives_interval=1,
            keepalives_count=3,
            application_name="cronsec",
        )
        watch = None
        try:
            if not self._schema_ready:
                with self._watchdog.watching(conn.fileno()) as watch:
                    self._make_schema(conn)
                self._schema_ready = True
        except BaseException as exc:
            conn.close()
            if watch is not None and watch.cut and isinstance(exc, self._psycopg.Error):
                raise self._silent() from None
            raise
        self._conn = conn
        return conn

    def _make_schema(self, conn: Any) -> None:
        """Tables and indexes, made once by whoever comes first (an advisory lock)."""
        p = self.prefix
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"cronsec:{p}",))
            self._check_columns(conn)
            conn.execute(
                f"CREATE TABLE IF NOT EXISTS {p}_meta (key text PRIMARY KEY, value text NOT NULL)"
            )
            row = conn.execute(f"SELECT value FROM {p}_meta WHERE key = 'schema'").fetchone()
            version = None if row is None else int(row[0])
            if version is not None and version > SCHEMA_VERSION:
                raise StoreError(
                    f"{self!r}: the tables have cronsec schema {version}, newer than this "
                    f"cronsec's {SCHEMA_VERSION}: upgrade cronsec"
                )
            if version != SCHEMA_VERSION:
                for statement in _schema(p):
                    conn.execute(statement)
                conn.execute(
                    f"INSERT INTO {p}_meta (key, value) VALUES ('schema', %s)"
                    " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                    (str(SCHEMA_VERSION),),
                )

    def _check_columns(self, conn: Any) -> None:
        """StoreError when a table of ours exists with other columns (someone else's table)."""
        wanted = _columns(self.prefix)
        rows = conn.execute(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = ANY(%s)",
            (list(wanted),),
        ).fetchall()
        found: dict[str, set[str]] = {}
        for table, column in rows:
            found.setdefault(str(table), set()).add(str(column))
        for table, columns in found.items():
            if not wanted[table] <= columns:
                raise StoreError(
                    f"{self!r}: table {table} exists but is not cronsec's (columns "
                    f"{', '.join(sorted(columns))}; cronsec needs "
                    f"{', '.join(sorted(wanted[table]))}): use another prefix"
                )

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):  # closing is best effort
                conn.close()

    def _silent(self) -> StoreUnavailable:
        return StoreUnavailable(
            f"PostgreSQL at {self.url} did not answer within {self._watchdog.bound:g}s:"
            " the connection was cut"
        )

    def _translate(self, exc: BaseException) -> StoreError:
        """psycopg errors as store errors, without the password."""
        errors = self._psycopg.errors
        text = scrub(f"{type(exc).__name__}: {exc}".strip(), self._secrets)
        if isinstance(exc, self._psycopg.OperationalError) and any(a in text for a in _AUTH):
            return StoreError(f"PostgreSQL at {self.url} refused the credentials: {text}")
        transient = (
            self._psycopg.OperationalError,  # down, restarting, timeouts, lock timeouts
            self._psycopg.InterfaceError,  # the connection went away under us
            errors.SerializationFailure,
            errors.DeadlockDetected,
            errors.ReadOnlySqlTransaction,  # a replica after a failover
            errors.AdminShutdown,
            errors.CannotConnectNow,
        )
        if isinstance(exc, transient):
            return StoreUnavailable(f"PostgreSQL at {self.url} is unavailable: {text}")
        return StoreError(f"PostgreSQL at {self.url}: {text}")


def _is_unavailable(error: StoreError) -> bool:
    return isinstance(error, StoreUnavailable)
