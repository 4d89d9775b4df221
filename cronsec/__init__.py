"""cronsec: six-field cron expressions with exact fire times, and a drift-free timer.

The public names live here; every other module is private.
"""

from __future__ import annotations

from ._clock import FakeClock
from ._default import every, run, start
from ._errors import CronError
from ._expr import CronExpr
from ._job import Job, Lateness, fire_time
from ._scheduler import Scheduler

__all__ = [
    "CronError",
    "CronExpr",
    "FakeClock",
    "Job",
    "Lateness",
    "Scheduler",
    "every",
    "fire_time",
    "run",
    "start",
]
__version__ = "0.1.0"
