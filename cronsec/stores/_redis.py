"""RedisStore: claims with leases, completions, pauses and runs in Redis, shared by any hosts."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote

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

__all__ = ["SCHEMA_VERSION", "RedisStore"]

_INSTALL = 'RedisStore needs redis-py: pip install "cronsec[redis]"'
SCHEMA_VERSION = 2

# Times are the server's (TIME, in ms), so hosts with skewed clocks agree on leases.
_NOW = "local t = redis.call('TIME') local now = t[1] * 1000 + math.floor(t[2] / 1000)\n"

# KEYS: claim hash, open zset. ARGV: token, owner, lease ms, keep ms, epoch.
# HSETNX wins the claim. If it fails, the claim may still be ours: a retried
# command whose first reply was lost finds its own token and must not lose it.
_CLAIM_LUA = (
    _NOW
    + """
if redis.call('HSETNX', KEYS[1], 't', ARGV[1]) == 1 then
  local u = now + tonumber(ARGV[3])
  redis.call('HSET', KEYS[1], 'o', ARGV[2], 's', '0', 'u', u)
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
  redis.call('ZADD', KEYS[2], u, ARGV[5])
  redis.call('PEXPIRE', KEYS[2], ARGV[4])
  return 1
end
if redis.call('HGET', KEYS[1], 't') == ARGV[1] then return 1 end
return 0
"""
)
# KEYS: claim hash, open zset, last hash. ARGV: job, epoch, owner, keep ms.
_RECORD_LUA = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HSET', KEYS[1], 's', '1')
else
  redis.call('HSET', KEYS[1], 's', '1', 'o', ARGV[3], 'u', '0', 't', '')
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
end
redis.call('ZREM', KEYS[2], ARGV[2])
local cur = redis.call('HGET', KEYS[3], ARGV[1])
if (not cur) or tonumber(cur) < tonumber(ARGV[2]) then
  redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
end
return 1
"""
# KEYS: claim hash, open zset. ARGV: owner, lease ms, keep ms, epoch, action.
# renew: this owner's running claim gets a fresh lease. take_over: an expired one.
# resolve: an expired one, or this owner's, is ended. release: this owner's is deleted.
_LEASE_LUA = (
    _NOW
    + """
local v = redis.call('HMGET', KEYS[1], 'o', 's', 'u')
if v[2] ~= '0' then return 0 end
local mine = v[1] == ARGV[1]
local expired = tonumber(v[3]) < now
local action = ARGV[5]
if action == 'renew' and mine or action == 'take_over' and expired then
  local u = now + tonumber(ARGV[2])
  redis.call('HSET', KEYS[1], 'o', ARGV[1], 'u', u)
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  redis.call('ZADD', KEYS[2], u, ARGV[4])
  redis.call('PEXPIRE', KEYS[2], ARGV[3])
  return 1
end
if action == 'resolve' and (mine or expired) then
  redis.call('HSET', KEYS[1], 's', '2')
  redis.call('ZREM', KEYS[2], ARGV[4])
  return 1
end
if action == 'release' and mine then
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[2], ARGV[4])
  return 1
end
return 0
"""
)
# KEYS: open zset. ARGV: now ms or '', retention ms. Expired leases, oldest first;
# those expired longer than the retention ago are dropped (their claims expired too).
_ABANDONED_LUA = (
    _NOW
    + """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. (now - tonumber(ARGV[2])))
if ARGV[1] ~= '' then now = tonumber(ARGV[1]) end
return redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. now)
"""
)
# KEYS: claim hash. The state, read against the server clock.
_STATE_LUA = (
    _NOW
    + """
local v = redis.call('HMGET', KEYS[1], 's', 'u')
if not v[1] then return false end
if v[1] == '1' then return 'done' end
if v[1] == '2' then return 'resolved' end
if tonumber(v[2]) < now then return 'abandoned' end
return 'running'
"""
)
# KEYS: runs hash, run order zset. ARGV: history, then (id, started, json) triples.
_RUNS_LUA = """
for i = 2, #ARGV, 3 do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 2])
  redis.call('ZADD', KEYS[2], ARGV[i + 1], ARGV[i])
end
local extra = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[1])
if extra > 0 then
  local old = redis.call('ZRANGE', KEYS[2], 0, extra - 1)
  redis.call('ZREMRANGEBYRANK', KEYS[2], 0, extra - 1)
  redis.call('HDEL', KEYS[1], unpack(old))
end
return 1
"""


def part(text: str) -> str:
    """A key part with ``:`` and ``%`` (and all but ``A-Za-z0-9_.-~``) percent-encoded.

    Parts so escaped never contain the ``:`` that separates them, so two keys
    are equal only when prefix and job are: prefix ``app`` with job
    ``x:claim:y`` and prefix ``app:claim:x`` with job ``y`` stay apart.
    """
    return quote(text, safe="")


class RedisStore:
    """Claims with leases in Redis hashes; completions, pauses and runs beside them.

    N processes on any number of hosts running the same schedule against one
    Redis (5 or later) fire each instant once. `url_or_client` is a URL
    (``redis://``, ``rediss://`` for TLS, ``unix://``; the password and TLS
    options go in the URL, e.g.
    ``rediss://:secret@host:6380/0?ssl_cert_reqs=required&ssl_ca_certs=ca.pem``)
    or a ready ``redis.Redis`` client, which is then used as is and not closed.
    The password never appears in `url`, the repr, messages or logs.

    Keys, with `prefix` and job names percent-encoded (`part`):
    ``{prefix}:c:{job}:{epoch}`` a claim (hash: owner, state, lease end,
    token), ``{prefix}:open:{job}`` the running claims by lease end (sorted
    set: what `abandoned` reads, no scan), ``{prefix}:last`` the last
    completed instants, ``{prefix}:paused``, ``{prefix}:runs:{job}`` and
    ``{prefix}:runorder:{job}``, ``{prefix}:schema``. A claim key expires
    ``lease + ttl`` seconds after its last write, so a live lease is never
    forgotten; `ttl` (the retention) must exceed how late any process may still
    fire an instant. Leases are timed by the server's clock. Socket timeouts
    are short on purpose: the timer thread makes the claim, and an
    unreachable Redis must cost it a bounded, small time (`StoreUnavailable`).
    """

    def __init__(
        self,
        url_or_client: Any = "redis://127.0.0.1:6379/0",
        *,
        prefix: str = "cronsec",
        ttl: float = 7200.0,
        socket_timeout: float = 1.0,
        socket_connect_timeout: float = 1.0,
        max_connections: int | None = 32,
        health_check_interval: int = 30,
        lease: float = 30.0,
        history: int = 100,
        owner: str | None = None,
    ) -> None:
        try:
            import redis
            from redis.backoff import NoBackoff
            from redis.retry import Retry
        except ImportError as exc:
            raise ImportError(_INSTALL) from exc
        if not prefix or not isinstance(prefix, str):
            raise ValueError(f"prefix must be a non-empty str, got {prefix!r}")
        self._lease, retention = check_lease(lease, ttl)
        self._history = check_history(history)
        self.owner = owner if owner is not None else new_owner()
        errors = redis.exceptions
        # A wrong password will not fix itself by waiting: not "unavailable".
        self._auth_errors: tuple[type[BaseException], ...] = (
            errors.AuthenticationError,
            errors.AuthenticationWrongNumberOfArgsError,
        )
        # Down, restarting, loading its data, or a replica after a failover.
        self._errors: tuple[type[BaseException], ...] = (
            errors.ConnectionError,
            errors.TimeoutError,
            errors.ReadOnlyError,
        )
        self._redis_error: type[BaseException] = errors.RedisError
        self._no_script: type[BaseException] = errors.NoScriptError
        if isinstance(url_or_client, str):
            self._secrets = url_secrets(url_or_client)
            self.url = redact_url(url_or_client)
            # One retry, no backoff: reconnects a pooled connection that a
            # Redis restart closed, and fails fast when Redis is really down.
            try:
                self._client: Any = redis.Redis.from_url(
                    url_or_client,
                    socket_timeout=socket_timeout,
                    socket_connect_timeout=socket_connect_timeout,
                    max_connections=max_connections,
                    health_check_interval=health_check_interval,
                    retry=Retry(NoBackoff(), 1),
                )
            except (ValueError, TypeError) as exc:
                raise ValueError(
                    f"bad Redis URL {self.url}: {scrub(str(exc), self._secrets)}"
                ) from None
            self._owns_client = True
        elif hasattr(url_or_client, "register_script"):
            kwargs = getattr(
                getattr(url_or_client, "connection_pool", None), "connection_kwargs", {}
            )
            password = kwargs.get("password") if isinstance(kwargs, dict) else None
            self._secrets = [password] if isinstance(password, str) and password else []
            self.url = scrub(repr(url_or_client), self._secrets)
            self._client = url_or_client
            self._owns_client = False
        else:
            raise TypeError(
                "RedisStore takes a redis URL (str) or a redis.Redis client, "
                f"not {type(url_or_client).__name__}"
            )
        self.prefix = prefix
        self._p = part(prefix)
        self._ttl_ms = max(1, int(retention * 1000))
        self._lease_ms = max(1, int(self._lease * 1000))
        self._keep_ms = self._lease_ms + self._ttl_ms
        self._last_key = f"{self._p}:last"
        self._paused_key = f"{self._p}:paused"
        self._scripts = {
            name: self._client.register_script(text)
            for name, text in (
                ("claim", _CLAIM_LUA),
                ("record", _RECORD_LUA),
                ("lease", _LEASE_LUA),
                ("abandoned", _ABANDONED_LUA),
                ("state", _STATE_LUA),
                ("runs", _RUNS_LUA),
            )
        }
        self._schema_checked = False
        self._schema_lock = threading.Lock()
        self._closed = False

    @property
    def retention(self) -> float:
        """Seconds a claim is kept after its last write, beyond its lease (the ttl)."""
        return self._ttl_ms / 1000

    @property
    def lease(self) -> float:
        """Seconds a claim is held without a renewal."""
        return self._lease

    def __repr__(self) -> str:
        return f"RedisStore({self.url!r}, prefix={self.prefix!r})"

    def _claim_key(self, job: str, seconds: int) -> str:
        return f"{self._p}:c:{part(job)}:{seconds}"

    def _open_key(self, job: str) -> str:
        return f"{self._p}:open:{part(job)}"

    # -- claims ------------------------------------------------------------------

    def claim(self, job: str, instant: datetime) -> bool:
        """True for the one caller whose ``HSETNX`` creates the claim; False for the rest."""
        return self.claim_many([(job, instant)])[0]

    def claim_many(self, claims: Sequence[tuple[str, datetime]]) -> list[bool]:
        """`claim` for each pair, pipelined: one round trip for the fires due at one moment."""
        rows = check_pairs(claims)
        if not rows:
            return []
        calls = [
            (
                "claim",
                [self._claim_key(job, s), self._open_key(job)],
                [uuid.uuid4().hex, self.owner, self._lease_ms, self._keep_ms, s],
            )
            for job, s in rows
        ]
        return [bool(won) for won in self._pipeline(calls)]

    def record(self, job: str, instant: datetime) -> None:
        """Mark the claim done; move `job`'s last completed instant forward (never back)."""
        check_job(job)
        s = to_epoch(instant)
        keys = [self._claim_key(job, s), self._open_key(job), self._last_key]
        self._pipeline([("record", keys, [job, s, self.owner, self._keep_ms])])

    def last_completed(self, job: str) -> datetime | None:
        """The latest recorded instant of `job` (UTC), or None."""
        check_job(job)
        value = self._call(self._client.hget, self._last_key, job)
        return None if value is None else from_epoch(int(value))

    def renew(self, claims: Sequence[tuple[str, datetime]]) -> None:
        """Extend this owner's running claims by a lease from now (server time)."""
        self._lease_calls(check_pairs(claims), "renew")

    def abandoned(
        self, jobs: Sequence[str], now: datetime | None = None
    ) -> list[tuple[str, datetime]]:
        """Running claims of `jobs` whose lease expired before `now` (server TIME), oldest first."""
        names = sorted({check_job(job) for job in jobs})
        at = "" if now is None else str(int(now.timestamp() * 1000))
        calls = [("abandoned", [self._open_key(job)], [at, self._ttl_ms]) for job in names]
        found = [
            (int(member), job)
            for job, members in zip(names, self._pipeline(calls))
            for member in members
        ]
        return [(job, from_epoch(seconds)) for seconds, job in sorted(found)]

    def take_over(self, job: str, instant: datetime) -> bool:
        """Take an abandoned claim for this owner with a fresh lease; True for one caller."""
        return self._lease_calls([(check_job(job), to_epoch(instant))], "take_over")[0]

    def resolve(self, job: str, instant: datetime) -> None:
        """End an abandoned claim (or one this owner holds) without running it."""
        self._lease_calls([(check_job(job), to_epoch(instant))], "resolve")

    def release(self, job: str, instant: datetime) -> None:
        """Delete a running claim this owner holds, so that `claim` wins it again."""
        self._lease_calls([(check_job(job), to_epoch(instant))], "release")

    def claim_state(self, job: str, instant: datetime) -> str | None:
        """ "running", "done", "abandoned", "resolved", or None."""
        key = self._claim_key(check_job(job), to_epoch(instant))
        state = self._pipeline([("state", [key], [])])[0]
        if state is None:
            return None
        return state.decode() if isinstance(state, bytes) else str(state)

    def _lease_calls(self, rows: list[tuple[str, int]], action: str) -> list[bool]:
        calls = [
            (
                "lease",
                [self._claim_key(job, s), self._open_key(job)],
                [self.owner, self._lease_ms, self._keep_ms, s, action],
            )
            for job, s in rows
        ]
        return [bool(done) for done in self._pipeline(calls)] if calls else []

    # -- pauses and runs ---------------------------------------------------------

    def set_paused(self, job: str, paused: bool) -> None:
        check_job(job)
        call = self._client.sadd if paused else self._client.srem
        self._ensure_schema()
        self._call(call, self._paused_key, job)

    def paused(self, jobs: Sequence[str]) -> set[str]:
        names = sorted({check_job(job) for job in jobs})
        if not names:
            return set()

        def run() -> list[Any]:
            pipe = self._client.pipeline(transaction=False)
            for job in names:
                pipe.sismember(self._paused_key, job)
            result: list[Any] = pipe.execute()
            return result

        return {job for job, on in zip(names, self._call(run)) if on}

    def add_runs(self, runs: Sequence[Run]) -> None:
        """Store the runs (a later record of one run replaces it); keep `history` per job."""
        by_job: dict[str, list[Any]] = {}
        for r in runs:
            args = by_job.setdefault(check_job(r.job), [self._history])
            args += [run_id(r), to_micros(r.started), json.dumps(run_to_record(r))]
        calls = [
            ("runs", [f"{self._p}:runs:{part(job)}", f"{self._p}:runorder:{part(job)}"], args)
            for job, args in by_job.items()
        ]
        if calls:
            self._pipeline(calls)

    def runs(self, job: str, limit: int = 100) -> list[Run]:
        check_job(job)
        if limit <= 0:
            return []
        runs_key, order_key = f"{self._p}:runs:{part(job)}", f"{self._p}:runorder:{part(job)}"

        def run() -> list[Any]:
            ids = self._client.zrevrange(order_key, 0, limit - 1)
            return list(self._client.hmget(runs_key, ids)) if ids else []

        records = self._call(run)
        return [run_from_record(job, json.loads(r)) for r in records if r is not None]

    def ping(self) -> bool:
        """True when Redis answers; raises `StoreUnavailable` when it does not."""
        return bool(self._call(self._client.ping))

    def close(self) -> None:
        """Disconnect the pool (only if this store made the client). Idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._owns_client:
            try:
                self._client.close()
                self._client.connection_pool.disconnect()
            except Exception:  # pragma: no cover - closing is best effort
                pass

    # -- calling Redis -----------------------------------------------------------

    def _ensure_schema(self) -> None:
        """Once per store: mark the prefix as schema 2, refuse a newer one."""
        if self._schema_checked:
            return
        with self._schema_lock:
            if self._schema_checked:
                return
            key = f"{self._p}:schema"
            self._call(self._client.set, key, SCHEMA_VERSION, nx=True)
            found = self._call(self._client.get, key)
            try:
                version = int(found)
            except (TypeError, ValueError):
                version = -1
            if version != SCHEMA_VERSION:
                raise StoreError(
                    f"Redis at {self.url}: key {key} is {found!r}, not cronsec schema "
                    f"{SCHEMA_VERSION} (a newer cronsec, or another application's key): "
                    "use another prefix or upgrade cronsec"
                )
            self._schema_checked = True

    def _pipeline(self, calls: Sequence[tuple[str, list[Any], list[Any]]]) -> list[Any]:
        """Run scripts by EVALSHA in one pipelined round trip; load them again if flushed."""
        self._ensure_schema()

        def run() -> list[Any]:
            # EVALSHA itself, not Script objects: a pipeline of those asks
            # SCRIPT EXISTS first, a second round trip on every call.
            for attempt in range(2):
                pipe = self._client.pipeline(transaction=False)
                for name, keys, args in calls:
                    pipe.evalsha(self._scripts[name].sha, len(keys), *keys, *args)
                try:
                    result: list[Any] = pipe.execute()
                    return result
                except self._no_script:  # a restarted Redis forgot them: load, send again
                    if attempt:
                        raise
                    for name in {name for name, _, _ in calls}:
                        self._client.script_load(self._scripts[name].script)
            raise AssertionError("unreachable")  # pragma: no cover

        return self._call(run)  # type: ignore[no-any-return]

    def _call(self, func: Any, *args: Any, **kwargs: Any) -> Any:
        """Call redis-py, turning its errors into store errors without the password."""
        if self._closed:
            raise StoreClosed(f"{self!r} is closed")
        try:
            return func(*args, **kwargs)
        except self._auth_errors as exc:
            error: StoreError = StoreError(
                f"Redis at {self.url} refused the credentials (the password goes in the URL): "
                f"{self._scrub(exc)}"
            )
        except self._errors as exc:
            error = StoreUnavailable(f"Redis at {self.url} is unreachable: {self._scrub(exc)}")
        except self._redis_error as exc:
            error = StoreError(f"Redis at {self.url}: {self._scrub(exc)}")
        # Raised outside the except clause: the original exception (whose text
        # may hold the URL) is neither the cause nor the context of this one.
        raise error

    def _scrub(self, exc: BaseException) -> str:
        return scrub(f"{type(exc).__name__}: {exc}", self._secrets)
