"""The stores on their own: claims exactly once (threads, processes), completions, failures.

Redis tests run against a real redis-server (tests/redis_server.py), never a mock.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
from redis_server import (
    RedisServer,
    free_port,
    redis_factory,
    redis_server,
    redis_url,
    shared_stores,
)

from cronsec.stores import (
    MemoryStore,
    RedisStore,
    SQLiteStore,
    Store,
    StoreClosed,
    StoreError,
    StoreUnavailable,
)
from cronsec.stores._base import check_job, claim_many

# The fixtures are imported to be found by name; __all__ says they are used.
__all__ = ["redis_factory", "redis_server", "redis_url"]

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORKER = HERE / "store_worker.py"
T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=timezone.utc)
EPOCH0 = int(T0.timestamp())

MakeStore = Callable[[], Store]


@pytest.fixture(params=["memory", "sqlite", "redis"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MakeStore]:
    """Opens stores of one kind that share state (one file, one Redis; memory: one object)."""
    with shared_stores(request, tmp_path, prefix="t") as make:
        yield make


def test_every_store_is_a_store(make_store: MakeStore) -> None:
    assert isinstance(make_store(), Store)


def test_the_first_claim_wins_and_later_ones_lose(make_store: MakeStore) -> None:
    store = make_store()
    assert store.claim("job", T0) is True
    assert store.claim("job", T0) is False
    assert store.claim("job", T0 + timedelta(seconds=1)) is True
    assert store.claim("other", T0) is True


def test_claim_many_claims_each_pair(make_store: MakeStore) -> None:
    store = make_store()
    assert store.claim("a", T0) is True
    t1 = T0 + timedelta(seconds=1)
    pairs = [("a", T0), ("b", T0), ("a", t1), ("b", T0)]
    assert claim_many(store, pairs) == [False, True, True, False]
    assert claim_many(store, pairs) == [False, False, False, False]
    assert claim_many(store, []) == []
    assert store.claim("a", t1) is False


def test_a_claim_names_an_instant_whatever_its_zone(make_store: MakeStore) -> None:
    # New York, 2026-11-01: 01:00 EDT (05:00 UTC), then 01:00 EST again (06:00 UTC).
    store = make_store()
    ny = ZoneInfo("America/New_York")
    assert store.claim("job", datetime(2026, 11, 1, 1, 0, tzinfo=ny)) is True
    assert store.claim("job", datetime(2026, 11, 1, 5, 0, tzinfo=timezone.utc)) is False
    assert store.claim("job", datetime(2026, 11, 1, 1, 0, fold=1, tzinfo=ny)) is True
    assert store.claim("job", datetime(2026, 11, 1, 6, 0, tzinfo=timezone.utc)) is False


def test_instants_must_be_aware_whole_seconds(make_store: MakeStore) -> None:
    store = make_store()
    with pytest.raises(ValueError, match="aware"):
        store.claim("job", datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="whole second"):
        store.record("job", T0.replace(microsecond=5))
    with pytest.raises(ValueError, match="empty"):
        store.claim("", T0)


def test_last_completed_moves_forward_only(make_store: MakeStore) -> None:
    store = make_store()
    assert store.last_completed("job") is None
    store.record("job", T0)
    assert store.last_completed("job") == T0
    store.record("job", T0 + timedelta(minutes=5))
    store.record("job", T0 + timedelta(minutes=1))  # a late completion of an earlier fire
    last = store.last_completed("job")
    assert last == T0 + timedelta(minutes=5)
    assert last is not None and last.utcoffset() == timedelta(0)
    assert store.last_completed("other") is None
    assert make_store().last_completed("job") == last  # a second handle sees it


def test_a_closed_store_refuses_calls(make_store: MakeStore) -> None:
    store = make_store()
    store.close()
    store.close()
    with pytest.raises(StoreClosed):
        store.claim("job", T0)
    with pytest.raises(StoreClosed):
        store.last_completed("job")


@pytest.mark.parametrize("handles", ["one store", "a store per thread"])
@pytest.mark.parametrize("batch", [1, 3])
def test_claims_exactly_once_across_threads(
    make_store: MakeStore, handles: str, batch: int
) -> None:
    threads, jobs, instants = 12, 3, 100
    shared = make_store()
    stores = [shared if handles == "one store" else make_store() for _ in range(threads)]
    won: list[list[tuple[str, int]]] = [[] for _ in range(threads)]
    barrier = threading.Barrier(threads)

    def race(k: int) -> None:
        barrier.wait()
        pairs = [(f"job{j}", i) for i in range(instants) for j in range(jobs)]
        for n in range(0, len(pairs), batch):  # batch 3: claim_many, one round trip
            chunk = pairs[n : n + batch]
            got = claim_many(stores[k], [(job, T0 + timedelta(seconds=i)) for job, i in chunk])
            won[k].extend(pair for pair, ok in zip(chunk, got) if ok)

    workers = [threading.Thread(target=race, args=(k,)) for k in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    counts = Counter(c for claims in won for c in claims)
    assert len(counts) == jobs * instants
    assert set(counts.values()) == {1}


def _spawn(*args: str) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen(
        [sys.executable, str(WORKER), *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )


@pytest.mark.parametrize("kind", ["sqlite", "redis"])
def test_claims_exactly_once_across_processes(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    spec = (
        f"sqlite:{tmp_path / 'state.db'}"
        if kind == "sqlite"
        else f"redis:{request.getfixturevalue('redis_url')}"
    )
    processes, jobs, instants = 4, 3, 200
    procs = [_spawn("claim", spec, str(jobs), str(instants), str(EPOCH0)) for _ in range(processes)]
    for p in procs:
        assert p.stdout is not None and p.stdout.readline().strip() == "ready"
    for p in procs:  # start them together
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.flush()
    outputs = [p.communicate(timeout=60)[0].split("\n") for p in procs]
    assert [p.returncode for p in procs] == [0] * processes
    assert all("done" in out for out in outputs)
    counts = Counter(line for out in outputs for line in out if line.startswith("won "))
    assert len(counts) == jobs * instants
    assert set(counts.values()) == {1}


def test_sqlite_survives_sigkill_mid_write(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    seen = 0
    for round_ in range(3):
        proc = _spawn("hammer", f"sqlite:{path}", str(EPOCH0 + seen + 1))
        assert proc.stdout is not None
        for _ in range(200 + 150 * round_):  # let it get well into its write loop
            assert proc.stdout.readline()
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        proc.stdout.close()
        assert proc.stdin is not None
        proc.stdin.close()

        conn = sqlite3.connect(path)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        conn.close()
        store = SQLiteStore(path)
        last = store.last_completed("hammer")
        assert last is not None
        done = int(last.timestamp()) - EPOCH0
        assert done >= seen + 200 + 150 * round_  # every printed record was committed
        assert store.claim("hammer", last) is False  # its claim is there too
        assert store.claim("after-kill", T0 + timedelta(seconds=round_)) is True
        store.record("hammer", last + timedelta(seconds=1))
        store.close()
        seen = done + 1


def test_sqlite_prunes_claims_older_than_its_retention(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "state.db", retention=100)
    for i in range(1000):
        assert store.claim("job", T0 + timedelta(seconds=i))
        store.record("job", T0 + timedelta(seconds=i))  # done: a live lease is never pruned
    conn = sqlite3.connect(tmp_path / "state.db")
    rows = conn.execute("SELECT count(*), min(instant) FROM cronsec_claims").fetchone()
    conn.close()
    assert rows[0] <= 111
    assert rows[1] >= EPOCH0 + 1000 - 111
    store.close()


def test_memory_store_prunes_claims_older_than_its_retention() -> None:
    store = MemoryStore(retention=100)
    for i in range(1000):
        assert store.claim("job", T0 + timedelta(seconds=i))
        store.record("job", T0 + timedelta(seconds=i))  # done: a live lease is never pruned
    assert store.claim("job", T0 + timedelta(seconds=999)) is False
    assert store.claim("job", T0) is True  # forgotten long ago


def test_sqlite_wants_a_file(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="MemoryStore"):
        SQLiteStore(":memory:")
    with pytest.raises(StoreUnavailable):
        SQLiteStore(tmp_path / "no" / "such" / "dir" / "x.db")


def test_sqlite_locked_for_longer_than_its_timeout_is_unavailable(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    store = SQLiteStore(path, timeout=0.1)
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreUnavailable, match="locked"):
            store.claim("job", T0)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert store.claim("job", T0) is True
    store.close()


def test_redis_down_is_store_unavailable_and_back_up_works(redis_server: RedisServer) -> None:
    redis_server.start()
    redis_server.flush()
    store = RedisStore(redis_server.url)
    assert store.claim("job", T0) is True
    store.record("job", T0)
    redis_server.stop(save=True)
    started = time.monotonic()
    with pytest.raises(StoreUnavailable, match="unreachable"):
        store.claim("job", T0 + timedelta(seconds=1))
    with pytest.raises(StoreUnavailable):
        store.last_completed("job")
    with pytest.raises(StoreUnavailable):
        claim_many(store, [("job", T0), ("other", T0)])
    assert time.monotonic() - started < 2.0  # fails fast, the timer thread waits on it
    redis_server.start()
    # The same store reconnects; the claim and the completion survived the restart.
    assert store.claim("job", T0) is False
    assert store.claim("job", T0 + timedelta(seconds=1)) is True
    assert store.last_completed("job") == T0
    store.close()


def test_redis_nothing_listening_is_store_unavailable() -> None:
    store = RedisStore(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=0.5)
    with pytest.raises(StoreUnavailable) as info:
        store.claim("job", T0)
    assert "127.0.0.1" in str(info.value)
    store.close()


def test_redis_claims_expire_after_lease_plus_ttl(redis_url: str) -> None:
    store = RedisStore(redis_url, prefix="ttl", ttl=0.2, lease=0.1)
    assert store.claim("job", T0) is True
    assert store.claim("job", T0) is False
    client = RedisStore(redis_url, prefix="ttl")._client
    ttl_ms = client.pttl("ttl:c:job:" + str(EPOCH0))
    assert 0 < ttl_ms <= 300  # lease + ttl: the claim key goes, nothing else keeps it
    deadline = time.monotonic() + 10
    while not store.claim("job", T0):  # the ttl bounds how long a claim holds
        assert time.monotonic() < deadline
        time.sleep(0.02)
    store.close()


def test_redis_prefixes_keep_apps_apart(redis_url: str) -> None:
    a, b = RedisStore(redis_url, prefix="app-a"), RedisStore(redis_url, prefix="app-b")
    assert a.claim("job", T0) is True
    assert b.claim("job", T0) is True
    a.record("job", T0)
    assert b.last_completed("job") is None
    a.close()
    b.close()


def test_redis_a_retried_claim_finds_its_own_token(redis_url: str) -> None:
    # A claim whose reply was lost is retried by redis-py: it must still win.
    store = RedisStore(redis_url, prefix="retry")
    keys, script = ["retry:c:job:1", "retry:open:job"], store._scripts["claim"]
    assert script(keys=keys, args=["token-1", "me", 10_000, 20_000, 1]) == 1
    assert script(keys=keys, args=["token-1", "me", 10_000, 20_000, 1]) == 1
    assert script(keys=keys, args=["token-2", "me", 10_000, 20_000, 1]) == 0
    store.close()


def test_redis_claims_survive_a_script_flush(redis_server: RedisServer) -> None:
    # A restarted Redis has forgotten the claim script: both paths load it again.
    redis_server.start()
    store = RedisStore(redis_server.url, prefix="flush")
    assert claim_many(store, [("a", T0), ("b", T0)]) == [True, True]
    client = redis_server.client()
    client.script_flush()
    assert claim_many(store, [("a", T0 + timedelta(seconds=1)), ("b", T0)]) == [True, False]
    client.script_flush()
    assert store.claim("a", T0 + timedelta(seconds=2)) is True
    client.close()
    store.close()


def test_redis_password_goes_in_the_url(redis_factory: Callable[..., RedisServer]) -> None:
    server = redis_factory(password="s3cret")
    store = RedisStore(server.url)
    assert store.claim("job", T0) is True
    assert "s3cret" not in repr(store)
    store.close()
    wrong = RedisStore(server.url.replace("s3cret", "wrong"))
    with pytest.raises(StoreError) as info:
        wrong.claim("job", T0)
    assert not isinstance(info.value, StoreUnavailable)
    assert "wrong" not in str(info.value).split("refused")[0]  # the URL in it is redacted
    wrong.close()


def test_redis_tls_through_a_rediss_url(redis_factory: Callable[..., RedisServer]) -> None:
    server = redis_factory(tls=True)
    assert server.url.startswith("rediss://")
    store = RedisStore(server.url)
    assert store.claim("job", T0) is True
    assert store.claim("job", T0) is False
    store.close()


def test_redis_takes_a_client_and_leaves_it_open(redis_server: RedisServer) -> None:
    redis_server.start()
    client = redis_server.client()
    store = RedisStore(client, prefix="client")
    assert store.claim("job", T0) is True
    store.close()
    assert client.ping() is True
    client.close()
    with pytest.raises(TypeError, match="URL"):
        RedisStore(42)


def test_importing_stores_works_without_redis() -> None:
    code = (
        "import sys; sys.modules['redis'] = None\n"
        "from cronsec.stores import MemoryStore, RedisStore, SQLiteStore\n"
        "MemoryStore()\n"
        "try:\n"
        "    RedisStore('redis://127.0.0.1:6379/0')\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert 'pip install "cronsec[redis]"' in out.stdout


# -- issue 15: the faults found under attack, each pinned ------------------------------


def test_check_job_rejects_what_a_store_cannot_hold() -> None:
    assert check_job("myapp.tasks.refresh") == "myapp.tasks.refresh"
    assert check_job("é" * 100) == "é" * 100  # 200 bytes of UTF-8: the limit
    with pytest.raises(ValueError, match="empty"):
        check_job("")
    with pytest.raises(ValueError, match="surrogate"):
        check_job("bad \udc80 name")
    with pytest.raises(ValueError, match="NUL"):
        check_job("a\x00b")
    with pytest.raises(ValueError, match="201 bytes"):
        check_job("é" * 100 + "x")
    with pytest.raises(TypeError):
        check_job(42)  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", ["sqlite", "redis"])
def test_one_unencodable_name_does_not_fail_the_batch_silently(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    # Today's stores failed the whole batch as "unavailable" (and backed off forever).
    store: Store = (
        SQLiteStore(tmp_path / "state.db")
        if kind == "sqlite"
        else RedisStore(request.getfixturevalue("redis_url"))
    )
    with pytest.raises(ValueError, match="'bad"):
        store.claim_many([("good", T0), ("bad \udc80", T0)])
    assert store.claim_many([("good", T0), ("other", T0)]) == [True, True]  # nothing was written
    store.close()


def test_redis_key_parts_are_escaped(redis_url: str) -> None:
    a = RedisStore(redis_url, prefix="app")
    b = RedisStore(redis_url, prefix="app:claim:x")
    assert a.claim("x:claim:y", T0) is True
    assert b.claim("y", T0) is True  # the same key on today's code
    # A length prefix on the job alone would not do: the prefix is free text too.
    c, d = RedisStore(redis_url, prefix="p"), RedisStore(redis_url, prefix="p:c:11:z")
    assert c.claim("z:c:1:y", T0) is True
    assert d.claim("y", T0) is True
    a.record("x:claim:y", T0)
    assert b.last_completed("y") is None
    for store in (a, b, c, d):
        store.close()


def test_sqlite_waits_at_most_its_timeout_for_a_lock_held_elsewhere(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    assert SQLiteStore(path).timeout == 1.0  # was 5 s of busy waiting on the timer thread
    store = SQLiteStore(path, timeout=0.3)
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        for call in (
            lambda: store.claim("job", T0),
            lambda: claim_many(store, [("a", T0), ("b", T0)]),
            lambda: store.record("job", T0),
            lambda: store.renew([("job", T0)]),
        ):
            started = time.monotonic()
            with pytest.raises(StoreUnavailable, match="locked"):
                call()
            assert time.monotonic() - started < store.timeout + 2.0  # bounded, not a benchmark
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert store.claim("job", T0) is True
    with pytest.raises(ValueError, match="timeout"):
        SQLiteStore(path, timeout=0)
    store.close()


def test_memory_store_keeps_only_a_short_window_of_claims() -> None:
    store = MemoryStore()
    assert store.retention == 120.0  # was 7200 s: 1 MB per every-second job
    live = T0 - timedelta(hours=1)
    assert store.claim("slow", live)  # a lease that is live is never pruned
    for i in range(5000):
        t = T0 + timedelta(seconds=i)
        assert store.claim("every-second", t)
        store.record("every-second", t)
    assert store.claims_kept <= 125
    assert store.approx_bytes == store.claims_kept * 230
    assert store.claim_state("slow", live) == "running"
    assert store.claim("every-second", T0 + timedelta(seconds=4999)) is False


def test_sqlite_never_prunes_a_live_lease(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "state.db", retention=100)
    assert store.claim("slow", T0)
    for i in range(1, 400):
        t = T0 + timedelta(seconds=i)
        assert store.claim("job", t)
        store.record("job", t)
    assert store.claim_state("slow", T0) == "running"
    assert store.claim_state("job", T0 + timedelta(seconds=1)) is None  # done and pruned
    store.close()


def test_sqlite_foreign_table_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE cronsec_claims (id INTEGER PRIMARY KEY, payload TEXT)")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="not cronsec's") as info:
        SQLiteStore(path)
    assert not isinstance(info.value, StoreUnavailable)


def test_sqlite_corrupt_file_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    path.write_bytes(b"this is not a database, " * 200)
    with pytest.raises(StoreError) as info:
        SQLiteStore(path)
    assert not isinstance(info.value, StoreUnavailable)


def _probe_as_nobody(path: Path) -> str:
    """Open the store and claim in a forked child that is not root (root writes through modes)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: no exec (the interpreter may sit where nobody can reach it)
        try:
            os.close(read)
            if os.geteuid() == 0:
                os.setgroups([])
                os.setgid(65534)
                os.setuid(65534)
            try:
                SQLiteStore(path).claim("probe", T0)
                answer = "ok"
            except Exception as exc:
                answer = f"{type(exc).__name__}: {exc}"
            os.write(write, answer.encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        answer = pipe.read().decode()
    os.waitpid(pid, 0)
    return answer


def test_sqlite_read_only_file_is_a_store_error() -> None:
    directory = Path(tempfile.mkdtemp(prefix="cronsec-ro-"))
    try:
        path = directory / "state.db"
        SQLiteStore(path).close()
        for name in os.listdir(directory):
            (directory / name).chmod(0o444)
        directory.chmod(0o555)
        answer = _probe_as_nobody(path)
        assert answer.startswith("StoreError: "), answer  # not StoreUnavailable: it stays so
        assert "readonly" in answer or "read-only" in answer
    finally:
        directory.chmod(0o755)
        shutil.rmtree(directory, ignore_errors=True)


def test_sqlite_version_1_files_are_migrated(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.executescript(
        "CREATE TABLE cronsec_claims (job TEXT NOT NULL, instant INTEGER NOT NULL,"
        " owner TEXT NOT NULL, claimed_at REAL NOT NULL, PRIMARY KEY (job, instant))"
        " WITHOUT ROWID;"
        "CREATE TABLE cronsec_last (job TEXT NOT NULL PRIMARY KEY, instant INTEGER NOT NULL,"
        " updated_at REAL NOT NULL) WITHOUT ROWID;"
        f"INSERT INTO cronsec_claims VALUES ('job', {EPOCH0}, 'old:1', 0);"
        f"INSERT INTO cronsec_last VALUES ('job', {EPOCH0}, 0);"
    )
    conn.commit()
    conn.close()
    store = SQLiteStore(path)
    assert store.last_completed("job") == T0
    assert store.claim("job", T0) is False
    assert store.claim_state("job", T0) == "done"  # old claims are never abandoned
    assert store.abandoned(["job"], now=T0 + timedelta(days=1)) == []
    store.close()
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT value FROM cronsec_meta WHERE key = 'schema'").fetchone() == ("2",)
    conn.close()


def test_redis_wrongtype_is_a_store_error(redis_url: str) -> None:
    store = RedisStore(redis_url, prefix="wt")
    client = store._client
    client.set("wt:last", "a string, not a hash")
    with pytest.raises(StoreError, match="WRONGTYPE") as info:
        store.record("job", T0)
    assert not isinstance(info.value, StoreUnavailable)
    store.close()


SECRET = "pw-Zq8!x"  # a character that URLs percent-encode, so both spellings are checked
WRONG = "wrong-Pw7"


def _redis_urls(server: RedisServer, socket: Path, password: str) -> dict[str, str]:
    quoted = quote(password, safe="")
    port = server.port
    return {
        "netloc": f"redis://:{quoted}@127.0.0.1:{port}/0",
        "user": f"redis://default:{quoted}@127.0.0.1:{port}/0",
        "query": f"redis://127.0.0.1:{port}/0?password={quoted}",
        "unix-netloc": f"unix://:{quoted}@{socket}?db=0",
        "unix-query": f"unix://{socket}?db=0&password={quoted}",
    }


def _texts(exc: BaseException) -> str:
    """Everything a log line with this exception's traceback could show."""
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)) + repr(exc)


def test_redis_passwords_never_show_in_any_url_form(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    socket = tmp_path / f"{SECRET}.sock"  # redis-py's own errors name the socket path
    server = RedisServer(
        tmp_path / "redis", password=SECRET, extra_args=["--unixsocket", str(socket)]
    )
    server.start()
    try:
        right = _redis_urls(server, socket, SECRET)
        wrong = _redis_urls(server, socket, WRONG)
        for form, url in right.items():
            store = RedisStore(url, prefix=form)
            assert store.claim("job", T0) is True, form
            for text in (repr(store), str(store), store.url):
                assert SECRET not in text and quote(SECRET, safe="") not in text, (form, text)
            with caplog.at_level(logging.WARNING):
                logging.getLogger("cronsec").warning("store %r unavailable", store)
            store.close()
        for form, url in wrong.items():
            store = RedisStore(url, prefix=form)
            with pytest.raises(StoreError) as info:
                store.claim("job", T0)
            assert not isinstance(info.value, StoreUnavailable), form  # a wrong password stays
            assert info.value.__cause__ is None and info.value.__context__ is None
            assert WRONG not in _texts(info.value), form
            store.close()
        server.stop(save=False)
        for form, url in right.items():
            store = RedisStore(url, prefix=form, socket_connect_timeout=0.5)
            with pytest.raises(StoreUnavailable) as info:
                store.claim("job", T0)
            assert SECRET not in _texts(info.value), form  # the unix path holds it
            store.close()
        assert SECRET not in caplog.text
    finally:
        server.kill()


def test_redis_tls_password_never_shows(redis_factory: Callable[..., RedisServer]) -> None:
    server = redis_factory(password=SECRET, tls=True)
    assert server.url.startswith("rediss://")
    url = server.url.replace(SECRET, quote(SECRET, safe=""))
    store = RedisStore(url)
    assert store.claim("job", T0) is True
    assert SECRET not in repr(store) and quote(SECRET, safe="") not in store.url
    store.close()
    bad = RedisStore(url.replace(quote(SECRET, safe=""), WRONG))
    with pytest.raises(StoreError) as info:
        bad.claim("job", T0)
    assert WRONG not in _texts(info.value)
    bad.close()


def test_a_given_redis_client_keeps_its_password(redis_factory: Callable[..., RedisServer]) -> None:
    import redis

    server = redis_factory(password=SECRET)
    client = redis.Redis(host="127.0.0.1", port=server.port, password=SECRET)
    store = RedisStore(client, prefix="client")
    assert store.claim("job", T0) is True
    assert SECRET not in repr(store)
    store.close()
    client.close()
