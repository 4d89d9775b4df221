"""cronsec: six-field cron expressions with exact fire times, and a drift-free timer.

The public names live here (and in ``cronsec.stores``, ``cronsec.web``,
``cronsec.strategies`` and ``cronsec.contrib``); every other module is private.
The expression engine is imported at once; the timer's names (schedulers,
executors, events) are imported on first use, so ``from cronsec import
CronExpr`` does not load threads, processes, asyncio and the stores.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from ._errors import CronError
from ._expr import CronExpr

if TYPE_CHECKING:
    from ._asyncio import AsyncScheduler
    from ._clock import FakeClock
    from ._default import every, run, start
    from ._events import (
        FireFailed,
        FireFinished,
        FireMissed,
        FireSkipped,
        FireStarted,
        JobAdded,
        JobPaused,
        JobRemoved,
        JobResumed,
        RetryScheduled,
        StoreRecovered,
        StoreUnavailableEvent,
        TimerStalled,
    )
    from ._fire import fire_time
    from ._front import Health
    from ._interval import Interval, OneOff
    from ._job import Job
    from ._options import JobOptions, Options, Overlap
    from ._processes import ProcessExecutor
    from ._runs import Run
    from ._schedule import Schedule
    from ._scheduler import Scheduler
    from ._stats import Lateness
    from ._threads import ThreadExecutor

# Each lazily imported public name, and the private module that defines it.
_LAZY = {
    "AsyncScheduler": "._asyncio",
    "FakeClock": "._clock",
    "FireFailed": "._events",
    "FireFinished": "._events",
    "FireMissed": "._events",
    "FireSkipped": "._events",
    "FireStarted": "._events",
    "Health": "._front",
    "Interval": "._interval",
    "Job": "._job",
    "JobAdded": "._events",
    "JobOptions": "._options",
    "JobPaused": "._events",
    "JobRemoved": "._events",
    "JobResumed": "._events",
    "Lateness": "._stats",
    "OneOff": "._interval",
    "Options": "._options",
    "Overlap": "._options",
    "ProcessExecutor": "._processes",
    "RetryScheduled": "._events",
    "Run": "._runs",
    "Schedule": "._schedule",
    "Scheduler": "._scheduler",
    "StoreRecovered": "._events",
    "StoreUnavailableEvent": "._events",
    "ThreadExecutor": "._threads",
    "TimerStalled": "._events",
    "every": "._default",
    "fire_time": "._fire",
    "run": "._default",
    "start": "._default",
}


def __getattr__(name: str) -> object:
    """Import a timer name on first use (PEP 562) and keep it here."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'cronsec' has no attribute {name!r}")
    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__all__ = [
    "AsyncScheduler",
    "CronError",
    "CronExpr",
    "FakeClock",
    "FireFailed",
    "FireFinished",
    "FireMissed",
    "FireSkipped",
    "FireStarted",
    "Health",
    "Interval",
    "Job",
    "JobAdded",
    "JobOptions",
    "JobPaused",
    "JobRemoved",
    "JobResumed",
    "Lateness",
    "OneOff",
    "Options",
    "Overlap",
    "ProcessExecutor",
    "RetryScheduled",
    "Run",
    "Schedule",
    "Scheduler",
    "StoreRecovered",
    "StoreUnavailableEvent",
    "ThreadExecutor",
    "TimerStalled",
    "every",
    "fire_time",
    "run",
    "start",
]
__version__ = "0.2.0.dev0"
