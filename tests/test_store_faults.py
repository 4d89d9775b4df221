"""Stores against real servers in trouble: each call raises StoreUnavailable within its
timeout while the fault lasts, and works again after it.

Redis killed and restarted, paused (CLIENT PAUSE), slowed (DEBUG SLEEP); PostgreSQL
restarted, frozen (SIGSTOP: it keeps its connections open and never answers), and a
table locked by another connection. The bounds asserted are the
store's own timeouts plus a generous margin: a hang, not a speed, is what fails.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

import pytest
from postgres_server import PASSWORD, PostgresServer, postgres_server, postgres_url
from redis_server import RedisServer

from cronsec.stores import PostgresStore, RedisStore, StoreError, StoreUnavailable

__all__ = ["postgres_server", "postgres_url"]

T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=timezone.utc)
MARGIN = 3.0  # seconds beyond a store's timeout before a call counts as hung


def at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


def unavailable_within(bound: float, call: Callable[[], object]) -> StoreUnavailable:
    started = time.monotonic()
    with pytest.raises(StoreUnavailable) as info:
        call()
    assert time.monotonic() - started < bound + MARGIN
    return info.value


@pytest.fixture
def redis_debug(tmp_path: Path) -> Iterator[RedisServer]:
    """A Redis of its own that takes DEBUG (for DEBUG SLEEP); killed after the test."""
    server = RedisServer(tmp_path / "redis", extra_args=["--enable-debug-command", "yes"])
    server.start()
    try:
        yield server
    finally:
        server.kill()


def _every_call(store: RedisStore | PostgresStore, n: int) -> list[Callable[[], object]]:
    return [
        lambda: store.claim("job", at(n)),
        lambda: store.claim_many([("a", at(n)), ("b", at(n))]),
        lambda: store.record("job", at(n)),
        lambda: store.renew([("job", at(n))]),
        lambda: store.abandoned(["job"]),
        lambda: store.last_completed("job"),
        lambda: store.paused(["job"]),
    ]


def test_redis_killed_then_restarted(redis_debug: RedisServer) -> None:
    store = RedisStore(redis_debug.url, prefix="kill", socket_timeout=0.5)
    assert store.claim("job", T0)
    store.record("job", T0)
    redis_debug.stop(save=True)
    for call in _every_call(store, 1):
        error = unavailable_within(1.0, call)
        assert "unreachable" in str(error)
    redis_debug.start()
    assert store.claim("job", at(1)) is True  # the same store reconnects
    assert store.claim("job", T0) is False  # what was saved survived
    assert store.last_completed("job") == T0
    store.close()


def test_redis_paused(redis_debug: RedisServer) -> None:
    store = RedisStore(redis_debug.url, prefix="pause", socket_timeout=0.5)
    assert store.claim("job", T0)
    admin = redis_debug.client()
    admin.execute_command("CLIENT", "PAUSE", 2500, "ALL")
    try:
        unavailable_within(0.5 * 2, lambda: store.claim("job", at(1)))  # one retry inside
    finally:
        admin.execute_command("CLIENT", "UNPAUSE")
        admin.close()
    assert store.claim("job", at(2)) is True
    store.close()


def test_redis_slowed(redis_debug: RedisServer) -> None:
    store = RedisStore(redis_debug.url, prefix="slow", socket_timeout=0.5)
    assert store.claim("job", T0)
    import redis

    admin = redis.Redis.from_url(redis_debug.url, socket_timeout=10)
    sleeper = threading.Thread(target=admin.execute_command, args=("DEBUG", "SLEEP", "2"))
    sleeper.start()
    time.sleep(0.3)  # let DEBUG SLEEP start (its effect is what the test checks, not this)
    try:
        unavailable_within(0.5 * 2, lambda: store.claim("job", at(1)))
    finally:
        sleeper.join()
        admin.close()
    assert store.claim("job", at(2)) is True
    store.close()


def test_postgres_restarted(postgres_server: PostgresServer, postgres_url: str) -> None:
    store = PostgresStore(postgres_url, timeout=1.0)
    assert store.claim("job", T0)
    store.record("job", T0)
    postgres_server.stop()
    try:
        for call in _every_call(store, 1):
            error = unavailable_within(2.0, call)  # connect timeout: at least 2 s in libpq
            assert PASSWORD not in str(error)
    finally:
        postgres_server.start()
    assert store.claim("job", at(1)) is True
    assert store.claim("job", T0) is False
    assert store.last_completed("job") == T0
    # A restart while the store holds a live connection: the next call reconnects.
    postgres_server.restart()
    assert store.claim("job", at(2)) is True
    store.close()


def test_postgres_frozen(postgres_server: PostgresServer, postgres_url: str) -> None:
    store = PostgresStore(postgres_url, timeout=0.5)
    assert store.claim("job", T0)
    with postgres_server.connect(postgres_url.rsplit("/", 1)[1]) as admin:
        (pid,) = admin.execute(
            "SELECT pid FROM pg_stat_activity"
            " WHERE datname = current_database() AND application_name = 'cronsec'"
        ).fetchone()
    os.kill(pid, signal.SIGSTOP)  # the server process of the store's connection
    try:
        outcome: list[BaseException | object] = []

        def call() -> None:
            try:
                outcome.append(store.claim("job", at(1)))
            except BaseException as exc:  # what the call ends with is the test
                outcome.append(exc)

        waiter = threading.Thread(target=call, daemon=True)
        started = time.monotonic()
        waiter.start()
        waiter.join(1.5 + MARGIN)  # cut after twice the timeout, at least timeout + 1 s
        assert outcome, "the call still waits for the frozen server"
        assert time.monotonic() - started >= 1.5  # not before the bound
        (error,) = outcome
        assert isinstance(error, StoreUnavailable), error
        assert "did not answer within 1.5s" in str(error) and PASSWORD not in str(error)
        assert store.claim("job", at(2)) is True  # a new connection, served by a new process
    finally:
        os.kill(pid, signal.SIGCONT)
    store.close()


def test_postgres_table_locked(postgres_server: PostgresServer, postgres_url: str) -> None:
    store = PostgresStore(postgres_url, timeout=0.5)
    assert store.claim("job", T0)
    database = postgres_url.rsplit("/", 1)[1]
    locker = postgres_server.connect(database)
    locker.autocommit = False
    locker.execute("LOCK TABLE cronsec_claims IN ACCESS EXCLUSIVE MODE")
    try:
        for call in _every_call(store, 1)[:5]:  # the calls that touch the claims
            error = unavailable_within(store.timeout, call)
            assert "timeout" in str(error) or "lock" in str(error)
    finally:
        locker.rollback()
        locker.close()
    assert store.claim("job", at(1)) is True
    store.close()


def test_postgres_wrong_password_and_foreign_table(
    postgres_server: PostgresServer, postgres_url: str
) -> None:
    wrong = PostgresStore(postgres_url.replace(PASSWORD, "not-the-pw"))
    with pytest.raises(StoreError) as info:
        wrong.claim("job", T0)
    assert not isinstance(info.value, StoreUnavailable)
    assert "not-the-pw" not in str(info.value) and info.value.__context__ is None
    wrong.close()
    database = postgres_url.rsplit("/", 1)[1]
    with postgres_server.connect(database) as conn:
        conn.execute("CREATE TABLE app_claims (id serial PRIMARY KEY, body text)")
    foreign = PostgresStore(postgres_url, prefix="app")
    with pytest.raises(StoreError, match="not cronsec's") as info:
        foreign.claim("job", T0)
    assert not isinstance(info.value, StoreUnavailable)
    foreign.close()
    with pytest.raises(ValueError, match="prefix"):
        PostgresStore(postgres_url, prefix="bad-prefix; drop")


def test_postgres_schema_is_versioned(postgres_server: PostgresServer, postgres_url: str) -> None:
    store = PostgresStore(postgres_url, prefix="v")
    assert store.claim("job", T0)
    database = postgres_url.rsplit("/", 1)[1]
    with postgres_server.connect(database) as conn:
        assert conn.execute("SELECT value FROM v_meta WHERE key = 'schema'").fetchone() == ("1",)
        indexes = {r[0] for r in conn.execute("SELECT indexname FROM pg_indexes")}
        assert {"v_claims_pkey", "v_claims_open", "v_claims_instant"} <= indexes
        conn.execute("UPDATE v_meta SET value = '99' WHERE key = 'schema'")
    store.close()
    newer = PostgresStore(postgres_url, prefix="v")
    with pytest.raises(StoreError, match="newer"):
        newer.claim("job", T0)
    newer.close()


def test_importing_stores_works_without_psycopg() -> None:
    import os
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['psycopg'] = None\n"
        "from cronsec.stores import PostgresStore\n"
        "try:\n"
        "    PostgresStore('postgresql://u:pw@127.0.0.1/db')\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    root = Path(__file__).resolve().parent.parent
    env = dict(os.environ, PYTHONPATH=str(root))
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert 'pip install "cronsec[postgres]"' in out.stdout
