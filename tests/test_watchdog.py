"""The stores' watchdog: a call that outlives its bound has its socket shut down.

Driven on a local socket pair: one end waits for bytes that never come (as a
client waits on a frozen server), the watchdog cuts it. A real frozen server is
in test_store_faults.py.
"""

from __future__ import annotations

import gc
import socket
from collections.abc import Iterator

import pytest

from cronsec.stores._watchdog import Watchdog


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    a, b = socket.socketpair()
    a.settimeout(10)  # a watchdog that never cuts fails the test instead of hanging it
    try:
        yield a, b
    finally:
        a.close()
        b.close()


def test_a_call_past_its_bound_is_cut(pair: tuple[socket.socket, socket.socket]) -> None:
    a, _ = pair
    dog = Watchdog(0.05, "test-watchdog")
    with dog.watching(a.fileno()) as watch:
        got = a.recv(1)  # nothing is ever sent: only the cut ends the wait
    assert got == b"" and watch.cut
    dog.close()


def test_a_call_within_its_bound_is_not_cut(pair: tuple[socket.socket, socket.socket]) -> None:
    a, b = pair
    dog = Watchdog(60.0, "test-watchdog")
    with dog.watching(a.fileno()) as watch:
        b.sendall(b"x")
        got = a.recv(1)
    assert got == b"x" and not watch.cut
    dog.check()  # no call is watched now: nothing to cut
    b.sendall(b"y")
    assert a.recv(1) == b"y"  # the socket still works
    dog.close()


def test_the_thread_ends_with_close_or_once_the_watchdog_is_garbage(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    a, _ = pair
    closed = Watchdog(0.02, "test-watchdog")
    with closed.watching(a.fileno()):
        pass
    closed.close()
    forgotten = Watchdog(0.02, "test-watchdog")
    with forgotten.watching(a.fileno()):
        pass
    threads = [closed._thread, forgotten._thread]
    del forgotten  # a store never closed: its watchdog goes with it
    gc.collect()
    for thread in threads:
        assert thread is not None
        thread.join(10)
        assert not thread.is_alive()
