"""RedisStore: claims and completions in Redis, shared by processes on any number of hosts."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ._base import StoreClosed, StoreError, StoreUnavailable, check_job, from_epoch, to_epoch

__all__ = ["RedisStore"]

_INSTALL = 'RedisStore needs redis-py: pip install "cronsec[redis]"'

# SET NX wins the claim. If it fails, the key may still be ours: a retried
# command whose first reply was lost finds its own token and must not lose
# the fire. The token is new on every call, so two callers never share one.
_CLAIM_LUA = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
if redis.call('GET', KEYS[1]) == ARGV[1] then return 1 end
return 0
"""
# The last completed instant only moves forward, whatever order completions arrive in.
_RECORD_LUA = """
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if (not cur) or tonumber(cur) < tonumber(ARGV[2]) then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  return 1
end
return 0
"""


class RedisStore:
    """Claims with ``SET key NX PX ttl`` and last completed instants in one hash.

    N processes on any number of hosts running the same schedule against one
    Redis fire each instant once. `url_or_client` is a URL (``redis://``,
    ``rediss://`` for TLS, ``unix://``; the password and TLS options go in the
    URL, e.g. ``rediss://:secret@host:6380/0?ssl_cert_reqs=required&ssl_ca_certs=ca.pem``)
    or a ready ``redis.Redis`` client, which is then used as is and not closed.

    Keys: ``{prefix}:claim:{job}:{epoch seconds}`` (expire after `ttl`
    seconds; it must exceed how late any process may still fire an instant,
    its misfire grace and catch-up window) and the hash ``{prefix}:last``.
    Socket timeouts are short on purpose: the timer thread makes the claim,
    and an unreachable Redis must cost it a bounded, small time. Errors
    reaching Redis raise `StoreUnavailable`; the scheduler backs off and retries.
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
    ) -> None:
        try:
            import redis
            from redis.backoff import NoBackoff
            from redis.retry import Retry
        except ImportError as exc:
            raise ImportError(_INSTALL) from exc
        if not prefix or not isinstance(prefix, str):
            raise ValueError(f"prefix must be a non-empty str, got {prefix!r}")
        if ttl <= 0:
            raise ValueError(f"ttl must be positive seconds, got {ttl!r}")
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
            self.url = _redact(url_or_client)
            # One retry, no backoff: reconnects a pooled connection that a
            # Redis restart closed, and fails fast when Redis is really down.
            self._client: Any = redis.Redis.from_url(
                url_or_client,
                socket_timeout=socket_timeout,
                socket_connect_timeout=socket_connect_timeout,
                max_connections=max_connections,
                health_check_interval=health_check_interval,
                retry=Retry(NoBackoff(), 1),
            )
            self._owns_client = True
        elif hasattr(url_or_client, "register_script"):
            self.url = repr(url_or_client)
            self._client = url_or_client
            self._owns_client = False
        else:
            raise TypeError(
                "RedisStore takes a redis URL (str) or a redis.Redis client, "
                f"not {type(url_or_client).__name__}"
            )
        self.prefix = prefix
        self._ttl_ms = max(1, int(ttl * 1000))
        self._last_key = f"{prefix}:last"
        self._claim_script = self._client.register_script(_CLAIM_LUA)
        self._record_script = self._client.register_script(_RECORD_LUA)
        self._closed = False

    @property
    def retention(self) -> float:
        """Seconds a claim is kept (its key's ttl)."""
        return self._ttl_ms / 1000

    def __repr__(self) -> str:
        return f"RedisStore({self.url!r}, prefix={self.prefix!r})"

    def claim(self, job: str, instant: datetime) -> bool:
        """True for the one caller whose ``SET NX`` creates the claim key; False for the rest."""
        key = f"{self.prefix}:claim:{check_job(job)}:{to_epoch(instant)}"
        token = uuid.uuid4().hex
        return bool(self._call(self._claim_script, keys=[key], args=[token, self._ttl_ms]))

    def claim_many(self, claims: Sequence[tuple[str, datetime]]) -> list[bool]:
        """`claim` for each pair, pipelined: one round trip for the fires due at one moment."""
        keys = [f"{self.prefix}:claim:{check_job(job)}:{to_epoch(t)}" for job, t in claims]
        if not keys:
            return []

        def run() -> list[Any]:
            # EVALSHA itself, not Script objects: a pipeline of those asks
            # SCRIPT EXISTS first, a second round trip on every call.
            for attempt in range(2):
                pipe = self._client.pipeline(transaction=False)
                for key in keys:
                    pipe.evalsha(self._claim_script.sha, 1, key, uuid.uuid4().hex, self._ttl_ms)
                try:
                    result: list[Any] = pipe.execute()
                    return result
                except self._no_script:  # a restarted Redis forgot it: load, send again
                    if attempt:
                        raise
                    self._client.script_load(_CLAIM_LUA)
            raise AssertionError("unreachable")  # pragma: no cover

        return [bool(won) for won in self._call(run)]

    def record(self, job: str, instant: datetime) -> None:
        """Move `job`'s last completed instant forward to `instant` (never back)."""
        check_job(job)
        seconds = to_epoch(instant)
        self._call(self._record_script, keys=[self._last_key], args=[job, seconds])

    def last_completed(self, job: str) -> datetime | None:
        """The latest recorded instant of `job` (UTC), or None."""
        check_job(job)
        value = self._call(self._client.hget, self._last_key, job)
        return None if value is None else from_epoch(int(value))

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

    def _call(self, func: Any, *args: Any, **kwargs: Any) -> Any:
        """Call redis-py, turning its errors into store errors."""
        if self._closed:
            raise StoreClosed(f"{self!r} is closed")
        try:
            return func(*args, **kwargs)
        except self._auth_errors as exc:
            raise StoreError(
                f"Redis at {self.url} refused the credentials (the password goes in the URL): {exc}"
            ) from exc
        except self._errors as exc:
            raise StoreUnavailable(f"Redis at {self.url} is unreachable: {exc}") from exc
        except self._redis_error as exc:
            raise StoreError(f"Redis at {self.url}: {exc}") from exc


def _redact(url: str) -> str:
    """The URL without its password, for messages and repr."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    user = f"{parts.username}:***@" if parts.username else ":***@"
    return urlunsplit((parts.scheme, user + host, parts.path, parts.query, parts.fragment))
