"""What a worker process of the `ProcessExecutor` runs: one pickled fire per message.

The parent (``_processes``) starts each worker with `work` as its target and
talks to it over its own pipe: ``("ready", pid)`` first, then for every fire
the reply ``("ok", None, None)`` or ``("error", traceback text, pickled
exception)``. This module imports little, so a worker starts fast.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import traceback
from multiprocessing.connection import Connection
from typing import Optional

from ._fire import set_current

STOP = b""  # the message that tells an idle worker to exit

Reply = tuple[str, Optional[str], Optional[bytes]]


def work(conn: Connection, nice: int = 0) -> None:
    """A worker's life: report ready, then run one pickled fire per message until told to stop."""
    # Ctrl-C reaches the whole process group; the parent decides what stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if nice and hasattr(os, "nice"):
        with contextlib.suppress(OSError):
            os.nice(nice)
    conn.send(("ready", os.getpid()))
    while True:
        try:
            data = conn.recv_bytes()
        except (EOFError, OSError):
            return  # the parent is gone
        if data == STOP:
            return
        reply = run_one(data)
        del data
        try:
            conn.send(reply)
        except OSError:
            return


def run_one(data: bytes) -> Reply:
    """Run one fire: ("ok", None, None) or ("error", traceback text, pickled exception)."""
    try:
        func, args, kwargs, instant = pickle.loads(data)
    except BaseException:
        return "error", "the worker could not unpickle the job:\n" + traceback.format_exc(), None
    set_current(instant)  # what cronsec.fire_time() answers in the job
    try:
        func(*args, **kwargs)  # the result is discarded, never pickled
    except BaseException as e:
        text = traceback.format_exc()
        try:
            blob: bytes | None = pickle.dumps(e)
        except Exception:
            blob = None
        return "error", text, blob
    finally:
        set_current(None)
    return "ok", None, None
