"""Importable jobs for tests/test_processes.py: they run in the executor's worker processes.

A job tells the test it runs by connecting to the test's `Inbox` (a TCP
socket on 127.0.0.1) and sending one JSON line; a job that holds its worker
then waits for the test to send a line back (or to close the connection).
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import socket
import threading
import time
from typing import Any

import cronsec

Address = tuple[str, int]


def _tell(addr: Address, tag: str, **extra: Any) -> socket.socket:
    conn = socket.create_connection((addr[0], addr[1]), timeout=60)
    instant = cronsec.fire_time()
    message = {
        "tag": tag,
        "pid": os.getpid(),
        "fire_time": instant and instant.isoformat(),
        "nice": os.nice(0) if hasattr(os, "nice") else None,
    }
    conn.sendall(json.dumps({**message, **extra}).encode() + b"\n")
    return conn


def report(addr: Address, tag: str) -> None:
    """Say "I ran" (with this worker's pid and ``cronsec.fire_time()``) and return."""
    _tell(addr, tag).close()


def hold(addr: Address, tag: str) -> None:
    """Say "I started", then keep the worker until the test releases it."""
    conn = _tell(addr, tag)
    conn.settimeout(None)
    conn.recv(16)
    conn.close()


def hold_ignoring_sigterm(addr: Address, tag: str) -> None:
    """As `hold`, deaf to SIGTERM: only SIGKILL ends it early."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    hold(addr, tag)


def spin(addr: Address, tag: str) -> None:
    """Pure-Python work (holding this process's GIL) until the test releases it."""
    conn = _tell(addr, tag)
    conn.setblocking(False)
    total = 0
    while True:
        for i in range(10_000):
            total += i * i
        try:
            conn.recv(16)
            break  # released (or the test closed the connection)
        except BlockingIOError:
            continue
    conn.close()


def exit_with(code: int) -> None:
    os._exit(code)


def kill_self() -> None:
    os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(60)  # not reached: SIGKILL is immediate


def segfault() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # no core file
    ctypes.string_at(0)


def fail(message: str) -> None:
    raise ValueError(message)


class Unpicklable(Exception):
    """An exception that cannot cross back to the parent (it holds a lock)."""

    def __init__(self) -> None:
        super().__init__("it holds a lock")
        self.lock = threading.Lock()


def fail_unpicklable() -> None:
    raise Unpicklable()


class Plain:
    """A picklable object: its bound methods can be jobs."""

    def method(self) -> None:
        pass


class WithLock:
    """An unpicklable object: its bound methods cannot be jobs."""

    def __init__(self) -> None:
        self.lock = threading.Lock()

    def method(self) -> None:
        pass
