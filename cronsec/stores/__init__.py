"""Stores: the state a `Scheduler` shares across restarts and processes.

- `MemoryStore` (the default): one process, nothing kept across restarts.
- `SQLiteStore`: a file; catch-up after restarts, and one fire per instant
  among the processes of one host that share the file.
- `RedisStore` (needs ``pip install "cronsec[redis]"``): one fire per instant
  among processes on any number of hosts, and catch-up after restarts.
- `PostgresStore` (needs ``pip install "cronsec[postgres]"``): the same, in
  the PostgreSQL database an application already has.

Any object with the methods of `Store` works as a store;
`cronsec.stores.testing` is the contract test suite to check one with.
"""

from __future__ import annotations

from ._base import Store, StoreClosed, StoreError, StoreUnavailable, check_job
from ._memory import MemoryStore
from ._postgres import PostgresStore
from ._redis import RedisStore
from ._sqlite import SQLiteStore

__all__ = [
    "MemoryStore",
    "PostgresStore",
    "RedisStore",
    "SQLiteStore",
    "Store",
    "StoreClosed",
    "StoreError",
    "StoreUnavailable",
    "check_job",
]
