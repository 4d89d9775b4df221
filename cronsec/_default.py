"""The default scheduler behind ``cronsec.every``, ``cronsec.start`` and ``cronsec.run``.

It is made on first use, so importing cronsec starts no thread.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Mapping
from datetime import timedelta, tzinfo
from types import FrameType
from typing import TYPE_CHECKING, Any, Callable, TypeVar

from ._expr import CronExpr
from ._options import Options
from ._schedule import Schedule
from ._scheduler import Scheduler

if TYPE_CHECKING:
    from typing_extensions import Unpack

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
    expr: str | CronExpr | Schedule | None = None,
    *,
    seconds: float | timedelta | None = None,
    name: str | None = None,
    args: tuple[Any, ...] = (),
    kwargs: Mapping[str, Any] | None = None,
    tz: tzinfo | str | None = None,
    paused: bool = False,
    **options: Unpack[Options],
) -> Callable[[F], F]:
    """Decorator: register the function on the default scheduler; return it unchanged.

    Takes exactly what ``Scheduler.every`` takes, job options included.
    """
    return default_scheduler().every(
        expr, seconds=seconds, name=name, args=args, kwargs=kwargs, tz=tz, paused=paused, **options
    )


def start() -> Scheduler:
    """Start the default scheduler in the background and return it (stop() it when done)."""
    sched = default_scheduler()
    sched.start()
    return sched


def run(scheduler: Scheduler | None = None) -> None:
    """Run a scheduler (default: the default one) in the foreground until Ctrl-C or SIGTERM.

    Starts it if needed; at the signal, or when the scheduler is stopped from
    another thread, stops it (waiting for the runs in progress, then
    cancelling what the executors can) and returns. SIGTERM is caught only
    when called on the main thread.
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
        while sched.running and not stop.wait(0.25):
            pass
        if stop.is_set():
            logger.info("SIGTERM: stopping")
    except KeyboardInterrupt:
        logger.info("interrupted: stopping")
    finally:
        sched.stop(wait=True)
        if in_main:
            signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)
