"""A bound on how long a call may wait for a server that has stopped answering.

A server that is frozen (SIGSTOP, a paused VM, a hung host) keeps its TCP
connections open: the kernel still acknowledges what is sent, so neither
the server's own statement timeout nor TCP keepalives ever end the wait. A
store calls through a :class:`Watchdog`, whose thread shuts the connection's
socket down when a call outlives the bound; the blocked read then fails at
once and the store reports the server unavailable.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress


class Watch:
    """One watched call: ``cut`` says whether the watchdog ended it."""

    __slots__ = ("cut", "fd", "since")

    def __init__(self, fd: int) -> None:
        self.fd, self.since, self.cut = fd, time.monotonic(), False


class Watchdog:
    """Cuts the socket of a call that takes longer than ``bound`` seconds.

    One call at a time (a store's calls share one connection under a lock);
    the thread starts with the first call and sleeps while none is running.
    """

    def __init__(self, bound: float, name: str) -> None:
        self.bound = bound
        self._name = name
        self._cond = threading.Condition()
        self._watch: Watch | None = None
        self._thread: threading.Thread | None = None
        self._closed = False

    @contextmanager
    def watching(self, fd: int) -> Iterator[Watch]:
        """Watch the call in the ``with`` block, made on the socket ``fd``."""
        watch = Watch(fd)
        with self._cond:
            self._watch = watch
            if self._thread is None and not self._closed:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
            self._cond.notify()
        try:
            yield watch
        finally:
            with self._cond:
                self._watch = None

    def close(self) -> None:
        """Stop the thread (a later call is not watched)."""
        with self._cond:
            self._closed = True
            self._cond.notify()

    def _run(self) -> None:
        with self._cond:
            while not self._closed:
                watch = self._watch
                if watch is None:
                    self._cond.wait()
                    continue
                left = watch.since + self.bound - time.monotonic()
                if left > 0:
                    self._cond.wait(left)
                    continue
                watch.cut, self._watch = True, None
                _shut(watch.fd)


def _shut(fd: int) -> None:
    """Shut the socket ``fd`` down for both directions (its owner still closes it)."""
    try:
        dup = os.dup(fd)
    except OSError:  # already closed
        return
    try:
        sock = socket.socket(fileno=dup)
    except OSError:  # not a socket
        os.close(dup)
        return
    with sock, suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
