"""Job options, defined once: every entry point takes them and this module checks them.

``Scheduler(...)``, ``add``, ``every``, ``at``, ``after`` and the module-level
``cronsec.every`` all take the same keyword options (`Options`); a scheduler's
options are the defaults of its jobs, and a job's own keywords override them.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any, Literal, TypedDict

__all__ = ["OPTION_NAMES", "JobOptions", "Options", "Overlap"]


class Overlap(enum.Enum):
    """What a job does when an instant comes while ``max_instances`` runs are going."""

    SKIP = "skip"
    """Skip the new instant (counted in ``skips``). The default."""
    BUFFER_ONE = "buffer_one"
    """Run once more as soon as a run ends, however many instants passed meanwhile."""
    BUFFER_ALL = "buffer_all"
    """Queue every instant (up to ``buffer_limit``) and run them in order."""
    CANCEL_OTHER = "cancel_other"
    """Cancel the running one and start the new one (async and process executors)."""
    ALLOW_ALL = "allow_all"
    """Start the new run beside the others: no limit on runs at once."""


StoreErrorPolicy = Literal["miss", "fire"]
AbandonedPolicy = Literal["rerun", "record"]


class Options(TypedDict, total=False):
    """The job options, as keywords (see `JobOptions` for each one's meaning)."""

    misfire_grace: float | None
    coalesce: bool
    max_instances: int
    overlap: Overlap | str
    buffer_limit: int
    jitter: float
    retry: Sequence[float]
    catch_up: float | None
    on_store_error: StoreErrorPolicy
    on_abandoned: AbandonedPolicy
    executor: str
    timeout: float | None
    pin: int | None


@dataclass(frozen=True)
class JobOptions:
    """What a job does with late, overlapping, failing and shared fires."""

    misfire_grace: float | None = 60.0
    """Seconds a fire may start after its instant and still run; later is missed. None: no limit."""
    coalesce: bool = True
    """Several instants due at once (a stall, a clock step) run once, for the latest."""
    max_instances: int = 1
    """Runs of this job at one time; what happens beyond is the ``overlap`` policy."""
    overlap: Overlap = Overlap.SKIP
    """When an instant finds ``max_instances`` runs going: skip, buffer, cancel or allow."""
    buffer_limit: int = 100
    """With ``Overlap.BUFFER_ALL``: instants queued at most; beyond, the oldest are missed."""
    jitter: float = 0.0
    """Start each fire up to this many seconds after its instant, at random (spreads load)."""
    retry: tuple[float, ...] = ()
    """Delays (seconds) of the retries after a run that raised: ``(10, 30, 60)``, three."""
    catch_up: float | None = 3600.0
    """After a restart, an instant passed while down runs if at most this old. None: any age."""
    on_store_error: StoreErrorPolicy = "miss"
    """When the store cannot be asked: "miss" (do not fire) or "fire" (fire here anyway)."""
    on_abandoned: AbandonedPolicy = "rerun"
    """An instant whose process died mid-run: "rerun" it (at least once) or only "record" it."""
    executor: str = "default"
    """The name of the executor that runs the job's fires."""
    timeout: float | None = None
    """Seconds a run may take: then it is cancelled where the executor can, else reported."""
    pin: int | None = None
    """Run every fire on this worker of the executor (a warm cache); None: any free one."""

    def __post_init__(self) -> None:
        _check(self)

    def merge(self, given: Mapping[str, Any]) -> JobOptions:
        """These options with ``given`` (keywords from an entry point) on top, checked."""
        unknown = sorted(set(given) - OPTION_NAMES)
        if unknown:
            known = ", ".join(sorted(OPTION_NAMES))
            raise TypeError(f"unknown option {unknown[0]!r}; the job options are: {known}")
        if not given:
            return self
        return replace(self, **{k: _normalise(k, v) for k, v in given.items()})


OPTION_NAMES = frozenset(f.name for f in fields(JobOptions))


def _normalise(name: str, value: Any) -> Any:
    """Accept the friendly spellings: any sequence of delays, an overlap name."""
    if name == "retry":
        if isinstance(value, (int, float)) or not isinstance(value, Sequence):
            raise TypeError(f"retry takes the delays, e.g. retry=(10, 30, 60), not {value!r}")
        return tuple(value)
    if name == "overlap" and isinstance(value, str):
        try:
            return Overlap(value.lower())
        except ValueError:
            names = ", ".join(o.value for o in Overlap)
            raise ValueError(f"overlap must be one of {names}, got {value!r}") from None
    return value


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check(o: JobOptions) -> None:
    """Raise ValueError or TypeError naming the first bad option."""

    def seconds(name: str, value: object, *, none: bool, positive: bool = False) -> None:
        if value is None and none:
            return
        ok = _number(value) and math.isfinite(value) and (value > 0 if positive else value >= 0)  # type: ignore[arg-type,operator]
        if not ok:
            what = "> 0" if positive else ">= 0"
            extra = " or None" if none else ""
            raise ValueError(
                f"{name} must be a finite number of seconds {what}{extra}, got {value!r}"
            )

    seconds("misfire_grace", o.misfire_grace, none=True)
    seconds("jitter", o.jitter, none=False)
    seconds("catch_up", o.catch_up, none=True)
    seconds("timeout", o.timeout, none=True, positive=True)
    if not isinstance(o.coalesce, bool):
        raise TypeError(f"coalesce must be True or False, got {o.coalesce!r}")
    for name, value in (("max_instances", o.max_instances), ("buffer_limit", o.buffer_limit)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be an int >= 1, got {value!r}")
    if not isinstance(o.overlap, Overlap):
        raise TypeError(f"overlap must be an Overlap (e.g. Overlap.SKIP), got {o.overlap!r}")
    if not isinstance(o.retry, tuple) or not all(_number(d) and 0 <= d < math.inf for d in o.retry):
        raise ValueError(f"retry must be delays >= 0 (seconds), e.g. (10, 30, 60), got {o.retry!r}")
    if o.on_store_error not in ("miss", "fire"):
        raise ValueError(f'on_store_error must be "miss" or "fire", got {o.on_store_error!r}')
    if o.on_abandoned not in ("rerun", "record"):
        raise ValueError(f'on_abandoned must be "rerun" or "record", got {o.on_abandoned!r}')
    if not isinstance(o.executor, str) or not o.executor:
        raise TypeError(f"executor must be the name of an executor, got {o.executor!r}")
    if o.pin is not None and (not isinstance(o.pin, int) or isinstance(o.pin, bool) or o.pin < 0):
        raise ValueError(f"pin must be a worker index >= 0 or None, got {o.pin!r}")
