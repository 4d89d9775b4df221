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
import weakref
from collections.abc import Iterator
from contextlib import contextmanager, suppress


class Watch:
    """One watched call: ``cut`` says whether the watchdog ended it."""

    __slots__ = ("cut", "fd", "since")

    def __init__(self, fd: int) -> None:
        self.fd, self.since, self.cut = fd, time.monotonic(), False


class Watchdog:
    """Cuts the socket of a call that takes longer than ``bound`` seconds.

    One call at a time (a store's calls share one connection under a lock).
    The thread starts with the first call and looks four times per ``bound``,
    so a call costs two uncontended lock round trips and nothing wakes it; a
    call is cut between ``bound`` and 1.25 ``bound`` after it began. The thread
    ends with `close` or once the watchdog is garbage (a store never closed).
    """

    def __init__(self, bound: float, name: str) -> None:
        self.bound = bound
        self._name = name
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._watch: Watch | None = None
        self._thread: threading.Thread | None = None

    @contextmanager
    def watching(self, fd: int) -> Iterator[Watch]:
        """Watch the call in the ``with`` block, made on the socket ``fd``."""
        watch = Watch(fd)
        with self._lock:
            self._watch = watch
            if self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(
                    target=_patrol,
                    args=(weakref.ref(self), self._stop, self.bound / 4),
                    name=self._name,
                    daemon=True,
                )
                self._thread.start()
        try:
            yield watch
        finally:
            with self._lock:
                self._watch = None

    def close(self) -> None:
        """Stop the thread (a later call is not watched)."""
        self._stop.set()

    def check(self) -> None:
        """Cut the watched call if it has outlived the bound."""
        with self._lock:  # the call cannot end (and another begin) meanwhile
            watch = self._watch
            if watch is not None and time.monotonic() - watch.since >= self.bound:
                watch.cut, self._watch = True, None
                _shut(watch.fd)


def _patrol(ref: weakref.ref[Watchdog], stop: threading.Event, every: float) -> None:
    """The watchdog's thread; it holds no strong reference, so the store can be collected."""
    while not stop.wait(every):
        dog = ref()
        if dog is None:
            return
        dog.check()
        del dog


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
