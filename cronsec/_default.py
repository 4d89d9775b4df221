"""The default scheduler behind ``cronsec.every``, ``cronsec.start`` and ``cronsec.run``.

It is made on first use, so importing cronsec starts no thread.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Mapping
from datetime import tzinfo
from types import FrameType
from typing import Any, Callable, TypeVar

from ._expr import CronExpr
from ._scheduler import DEFAULT, Delays, Grace, Scheduler, _Default

__all__ = ["default_scheduler", "every", "run", "start"]

logger = logging.getLogger("cronsec")
F = TypeVar("F", bound=Callable[..., Any])

_lock = threading.Lock()
_default: Scheduler | None = None


def default_scheduler() -> Scheduler:
    """The process's default scheduler, made (not started) on first use."""
    global _default
    with _lock:
        if _default is None:
            _default = Scheduler()
        return _default


def every(
    expr: str | CronExpr,
    *,
    name: str | None = None,
    args: tuple[Any, ...] = (),
    kwargs: Mapping[str, Any] | None = None,
    tz: tzinfo | str | None = None,
    misfire_grace: Grace = DEFAULT,
    coalesce: bool | _Default = DEFAULT,
    max_instances: int | _Default = DEFAULT,
    jitter: float | _Default = DEFAULT,
    retry: Delays = DEFAULT,
) -> Callable[[F], F]:
    """Decorator: register the function on the default scheduler; return it unchanged."""
    return default_scheduler().every(
        expr,
        name=name,
        args=args,
        kwargs=kwargs,
        tz=tz,
        misfire_grace=misfire_grace,
        coalesce=coalesce,
        max_instances=max_instances,
        jitter=jitter,
        retry=retry,
    )


def start() -> Scheduler:
    """Start the default scheduler in the background and return it (stop() it when done)."""
    sched = default_scheduler()
    sched.start()
    return sched


def run(scheduler: Scheduler | None = None) -> None:
    """Run a scheduler (default: the default one) in the foreground until Ctrl-C or SIGTERM.

    Starts it if needed; at the signal stops it, waiting for the runs in progress,
    and returns. SIGTERM is caught only when called on the main thread.
    """
    sched = scheduler if scheduler is not None else default_scheduler()
    stop = threading.Event()

    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous: Any = None
    in_main = threading.current_thread() is threading.main_thread()
    if in_main:
        previous = signal.signal(signal.SIGTERM, on_sigterm)
    if not sched.running:
        sched.start()
    logger.info("cronsec running %d job(s); Ctrl-C or SIGTERM stops", len(sched.jobs))
    try:
        while not stop.wait(1.0):
            pass
        logger.info("SIGTERM: stopping")
    except KeyboardInterrupt:
        logger.info("interrupted: stopping")
    finally:
        sched.stop(wait=True)
        if in_main:
            signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)
