"""The store contract (cronsec.stores.testing) run against every built-in store.

Redis and PostgreSQL are real servers started by the tests on loopback
(tests/redis_server.py, tests/postgres_server.py), never mocks.
"""

from __future__ import annotations

import functools
import itertools
from pathlib import Path
from typing import Any

import pytest
from postgres_server import PASSWORD, PostgresServer, postgres_server
from redis_server import redis_server, redis_url

from cronsec.stores import MemoryStore, PostgresStore, RedisStore, SQLiteStore, Store
from cronsec.stores.testing import CrossProcessContract, StoreContract, StoreFactory

# The fixtures are imported to be found by name; __all__ says they are used.
__all__ = ["postgres_server", "redis_server", "redis_url"]

_prefixes = itertools.count()


class TestMemoryStore(StoreContract):
    @pytest.fixture
    def store_factory(self) -> StoreFactory:
        # One MemoryStore per set of options: the handles of one test share it.
        shared: dict[tuple[Any, ...], Store] = {}

        def make(**options: Any) -> Store:
            key = tuple(sorted(options.items()))
            if key not in shared:
                shared[key] = MemoryStore(**options)
            return shared[key]

        return make


class TestSQLiteStore(StoreContract, CrossProcessContract):
    @pytest.fixture
    def store_factory(self, tmp_path: Path) -> StoreFactory:
        return functools.partial(SQLiteStore, tmp_path / "state.db")


class TestRedisStore(StoreContract, CrossProcessContract):
    @pytest.fixture
    def store_factory(self, redis_url: str) -> StoreFactory:
        return functools.partial(RedisStore, redis_url, prefix=f"contract{next(_prefixes)}")


class TestPostgresStore(StoreContract, CrossProcessContract):
    secret = PASSWORD

    @pytest.fixture
    def store_factory(self, postgres_server: PostgresServer) -> StoreFactory:
        # One database for the class, tables of their own per test (a prefix).
        postgres_server.start()
        assert PASSWORD in postgres_server.url
        return functools.partial(
            PostgresStore, postgres_server.url, prefix=f"contract{next(_prefixes)}"
        )
