"""A throwaway PostgreSQL for the tests, on a free loopback port, that tests may stop and restart.

Import the fixtures into a test module::

    from postgres_server import postgres_server, postgres_url  # noqa: F401

`postgres_server` is one server for the whole session (``initdb`` in a temporary
directory, then ``postgres`` on 127.0.0.1); `postgres_url` makes sure it runs
and gives the URL of a database of its own for the test. PostgreSQL refuses to
run as root: when the tests run as root, the server runs as the ``postgres``
user if there is one, else ``nobody``, in a directory that user owns. The
superuser's password is `PASSWORD` (scram-sha-256 over TCP). When the binaries
are missing the tests that need them are skipped with the reason, and fail
when the environment variable CI is set (see `need_binary` in conftest.py).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import need_binary
from redis_server import HOST, free_port

__all__ = ["PASSWORD", "PostgresServer", "postgres_server", "postgres_url"]

PASSWORD = "pg-s3cret-pw"
_START_TIMEOUT = 30.0
_SEARCH = ("/usr/lib/postgresql/*/bin/{}", "/usr/local/pgsql/bin/{}")
_databases = itertools.count()


def pg_binary(name: str) -> str:
    return need_binary(
        name,
        why="the tests start a real PostgreSQL on loopback",
        search=[pattern.format(name) for pattern in _SEARCH],
    )


class PostgresServer:
    """One PostgreSQL cluster in a temporary directory, served on 127.0.0.1:`port`."""

    def __init__(self) -> None:
        self.initdb, self.postgres = pg_binary("initdb"), pg_binary("postgres")
        self.user: pwd.struct_passwd | None = None
        if os.geteuid() == 0:  # postgres will not run as root
            for name in ("postgres", "nobody"):
                with contextlib.suppress(KeyError):
                    self.user = pwd.getpwnam(name)
                    break
        self.root = Path(tempfile.mkdtemp(prefix="cronsec-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        if self.user is not None:
            os.chown(self.root, self.user.pw_uid, self.user.pw_gid)
        self._initdb()

    @property
    def url(self) -> str:
        return self.database_url("postgres")

    def database_url(self, database: str, *, password: str = PASSWORD) -> str:
        return f"postgresql://postgres:{password}@{HOST}:{self.port}/{database}"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def _as_user(self) -> dict[str, Any]:
        if self.user is None:
            return {}
        return {"user": self.user.pw_uid, "group": self.user.pw_gid, "extra_groups": []}

    def _initdb(self) -> None:
        pwfile = self.root / "pwfile"
        pwfile.write_text(PASSWORD + "\n")
        if self.user is not None:
            os.chown(pwfile, self.user.pw_uid, self.user.pw_gid)
        result = subprocess.run(
            [self.initdb, "-D", str(self.data), "-U", "postgres", "--pwfile", str(pwfile),
             "--auth-local", "trust", "--auth-host", "scram-sha-256",
             "--encoding", "UTF8", "--locale", "C", "--no-sync"],
            capture_output=True, cwd=self.root, **self._as_user(),
        )  # fmt: skip
        if result.returncode:
            pytest.fail(f"initdb failed:\n{result.stderr.decode(errors='replace')}", pytrace=False)

    def start(self) -> None:
        """Start the server (a new free port if its port was taken) and wait until it answers."""
        if self.running:
            return
        for _attempt in range(5):
            self.process = subprocess.Popen(
                [self.postgres, "-D", str(self.data), "-p", str(self.port),
                 "-c", f"listen_addresses={HOST}", "-c", f"unix_socket_directories={self.root}",
                 "-c", "fsync=off", "-c", "synchronous_commit=off",
                 "-c", "full_page_writes=off", "-c", "max_connections=100",
                 "-c", "shared_buffers=16MB"],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=open(self.root / "postgres.log", "ab"),  # noqa: SIM115
                cwd=self.root, **self._as_user(),
            )  # fmt: skip
            if self._wait_ready():
                return
            self.kill()
            self.port = free_port()
        log = (self.root / "postgres.log").read_text(errors="replace")[-3000:]
        pytest.fail(f"postgres did not start; its log ends:\n{log}", pytrace=False)

    def stop(self) -> None:
        """Fast shutdown: clients are disconnected, the data stays."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        self._reap()

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self._reap()

    def restart(self) -> None:
        self.stop()
        self.start()

    def connect(self, database: str = "postgres") -> Any:
        import psycopg

        return psycopg.connect(self.database_url(database), autocommit=True, connect_timeout=5)

    def new_database(self) -> str:
        """A fresh database for one test; its URL."""
        name = f"t{os.getpid()}_{next(_databases)}"
        with self.connect() as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.database_url(name)

    def remove(self) -> None:
        self.kill()
        shutil.rmtree(self.root, ignore_errors=True)

    def _wait_ready(self) -> bool:
        import psycopg

        deadline = time.monotonic() + _START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                return False
            try:
                with psycopg.connect(self.url, connect_timeout=2) as conn:
                    conn.execute("SELECT 1")
                return True
            except psycopg.Error:
                time.sleep(0.05)
        return False

    def _reap(self) -> None:
        if self.process is None:
            return
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One PostgreSQL for the session; tests may stop and restart it."""
    server = PostgresServer()
    server.start()
    try:
        yield server
    finally:
        server.remove()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """The URL of a new, empty database on the session's server (started if a test stopped it)."""
    postgres_server.start()
    return postgres_server.new_database()
