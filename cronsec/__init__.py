"""cronsec: six-field cron expressions with exact fire times, and a drift-free timer.

The public names live here; every other module is private.
"""

from __future__ import annotations

from ._errors import CronError
from ._expr import CronExpr

__all__ = ["CronError", "CronExpr"]
__version__ = "0.1.0"
