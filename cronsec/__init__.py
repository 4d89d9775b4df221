"""cronsec: six-field cron expressions with exact fire times, and a drift-free timer.

The public names live here (and in ``cronsec.stores``, ``cronsec.web``,
``cronsec.strategies`` and ``cronsec.contrib``); every other module is private.
"""

from __future__ import annotations

from ._asyncio import AsyncScheduler
from ._clock import FakeClock
from ._default import every, run, start
from ._errors import CronError
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
from ._expr import CronExpr
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
