"""A real redis-server for the tests, on a free loopback port, that tests may stop and restart.

Import the fixtures into a test module::

    from redis_server import redis_server, redis_url, redis_factory  # noqa: F401

`redis_server` is one server for the whole session; `redis_url` makes sure it
runs, empties it, and gives its URL; `redis_factory` starts extra servers
(with a password, with TLS, ...) that stop when the test ends. No mocks: when
redis-server is not installed the tests that need it are skipped with the
reason, and fail when the environment variable CI is set (see `need_binary`
in conftest.py; CI installs Debian's redis-server).
"""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Callable

import pytest
from conftest import need_binary

from cronsec.stores import MemoryStore, RedisStore, SQLiteStore, Store

__all__ = ["RedisServer", "TLSFiles", "free_port", "redis_factory", "redis_server", "redis_url"]

HOST = "127.0.0.1"
_START_TIMEOUT = 10.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def redis_server_binary() -> str:
    """The redis-server executable; missing, the test skips (fails under CI) saying what to do."""
    return need_binary("redis-server", why="the tests start a real Redis on loopback")


class TLSFiles:
    """A self-signed CA-less certificate for 127.0.0.1, made with the openssl command."""

    def __init__(self, directory: Path) -> None:
        openssl = need_binary("openssl", why="the TLS test makes a certificate with it")
        directory.mkdir(parents=True, exist_ok=True)
        self.cert = directory / "redis.crt"
        self.key = directory / "redis.key"
        subprocess.run(
            [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
             "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
             "-keyout", str(self.key), "-out", str(self.cert)],
            check=True, capture_output=True,
        )  # fmt: skip


class RedisServer:
    """One redis-server process bound to 127.0.0.1, with its data in `directory`."""

    def __init__(
        self,
        directory: Path,
        *,
        password: str | None = None,
        tls: TLSFiles | None = None,
        extra_args: Sequence[str] = (),
    ) -> None:
        self.directory = directory
        self.password = password
        self.tls = tls
        self.extra_args = list(extra_args)
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        directory.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        """The URL a client connects with (password and TLS options included)."""
        auth = f":{self.password}@" if self.password else ""
        if self.tls is None:
            return f"redis://{auth}{HOST}:{self.port}/0"
        return (
            f"rediss://{auth}{HOST}:{self.port}/0"
            f"?ssl_cert_reqs=required&ssl_ca_certs={self.tls.cert}"
        )

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        """Start the server on `port` (a new free port if that one is taken) and wait for it."""
        if self.running:
            return
        for _attempt in range(5):
            self._spawn()
            if self._wait_ready():
                return
            self._reap()
            self.port = free_port()  # someone took the port between probe and bind
        log = (self.directory / "redis.log").read_text(errors="replace")[-2000:]
        pytest.fail(f"redis-server did not start; its log ends:\n{log}", pytrace=False)

    def stop(self, *, save: bool = True) -> None:
        """Shut down cleanly; with `save`, the data is on disk for the next `start`."""
        if not self.running:
            self._reap()
            return
        # SHUTDOWN closes the connection under the client, which raises.
        with contextlib.suppress(Exception):
            self.client().shutdown(save=save, nosave=not save)
        self._reap()

    def kill(self) -> None:
        """SIGKILL the server: what it had not written is lost."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self._reap()

    def restart(self, *, save: bool = True) -> None:
        self.stop(save=save)
        self.start()

    def client(self, **kwargs: Any) -> Any:
        """A redis-py client for checks from the test itself."""
        import redis

        return redis.Redis.from_url(self.url, socket_timeout=2, socket_connect_timeout=2, **kwargs)

    def flush(self) -> None:
        client = self.client()
        try:
            client.flushall()
        finally:
            client.close()

    def _spawn(self) -> None:
        args = [
            redis_server_binary(),
            "--bind", HOST, "--protected-mode", "yes",
            "--dir", str(self.directory), "--dbfilename", "dump.rdb",
            "--save", "", "--appendonly", "no",
            "--logfile", str(self.directory / "redis.log"),
            "--daemonize", "no",
        ]  # fmt: skip
        if self.tls is None:
            args += ["--port", str(self.port)]
        else:
            args += [
                "--port", "0", "--tls-port", str(self.port),
                "--tls-cert-file", str(self.tls.cert), "--tls-key-file", str(self.tls.key),
                "--tls-ca-cert-file", str(self.tls.cert), "--tls-auth-clients", "no",
            ]  # fmt: skip
        if self.password:
            args += ["--requirepass", self.password]
        args += self.extra_args
        self.process = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    def _wait_ready(self) -> bool:
        import redis

        deadline = time.monotonic() + _START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                return False
            client = redis.Redis.from_url(self.url, socket_timeout=1, socket_connect_timeout=1)
            try:
                if client.ping():
                    return True
            except redis.exceptions.RedisError:
                pass
            finally:
                client.close()
            time.sleep(0.02)
        return False

    def _reap(self) -> None:
        if self.process is None:
            return
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """One redis-server for the session; tests may stop and restart it."""
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    try:
        yield server
    finally:
        server.stop(save=False)


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """The session server's URL, running (a test before may have stopped it) and empty."""
    redis_server.start()
    redis_server.flush()
    return redis_server.url


@pytest.fixture
def redis_factory(tmp_path: Path) -> Iterator[Callable[..., RedisServer]]:
    """Start extra servers (``redis_factory(password="x", tls=True)``), stopped after the test."""
    servers: list[RedisServer] = []

    def make(*, password: str | None = None, tls: bool = False) -> RedisServer:
        directory = tmp_path / f"redis-{len(servers)}"
        files = TLSFiles(directory / "tls") if tls else None
        server = RedisServer(directory, password=password, tls=files)
        servers.append(server)
        server.start()
        return server

    try:
        yield make
    finally:
        for server in servers:
            server.kill()


@contextlib.contextmanager
def shared_stores(
    request: pytest.FixtureRequest, tmp_path: Path, prefix: str
) -> Iterator[Callable[[], Store]]:
    """Open handles on one shared store of the kind ``request.param`` names.

    "memory": one MemoryStore object; "sqlite": one file; "redis": one Redis, under
    ``prefix``. Yields a function that opens another handle; all are closed at the end.
    """
    opened: list[Store] = []
    shared = MemoryStore()

    def make() -> Store:
        store: Store
        if request.param == "memory":
            store = shared
        elif request.param == "sqlite":
            store = SQLiteStore(tmp_path / "state.db")
        else:
            store = RedisStore(request.getfixturevalue("redis_url"), prefix=prefix)
        opened.append(store)
        return store

    try:
        yield make
    finally:
        for store in opened:
            store.close()
