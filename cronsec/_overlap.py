"""The overlap policy: what an instant does when it finds the job's runs still going.

`Overlaps` keeps the state the policy needs (fires buffered until a run
ends, and the running fires a new one may cancel) and makes the decision;
the runtime calls it under its lock and counts what it decides.
"""

from __future__ import annotations

import logging
from collections import deque
from typing import TYPE_CHECKING, Literal

from ._options import Overlap

if TYPE_CHECKING:
    from ._executor import Executor
    from ._fire import Fire
    from ._job import Job

__all__ = ["Decision", "Overlaps"]

logger = logging.getLogger("cronsec")

Decision = Literal["run", "buffer", "skip", "starved"]


class Overlaps:
    """Buffered fires and cancellable running fires, per job."""

    def __init__(self) -> None:
        self._buffers: dict[str, deque[Fire]] = {}
        self._running: dict[str, list[Fire]] = {}  # started fires, for CANCEL_OTHER

    def decide(self, job: Job, active: int, executor: Executor | None) -> Decision:
        """The fate of a new instant of ``job`` with ``active`` runs going or on their way.

        ``CANCEL_OTHER`` cancels the running ones here (their fires end "cancelled").
        """
        o = job.options
        if o.overlap is Overlap.ALLOW_ALL or active < o.max_instances:
            return "run"
        if o.overlap is Overlap.SKIP:
            stats = job.stats
            # What is in the way never started (it waits for a free worker): that is no
            # run "still going", and the new instant is missed for want of a worker.
            waiting = stats.queued - stats.buffered > 0 and stats.running < o.max_instances
            return "starved" if waiting else "skip"
        if o.overlap is Overlap.CANCEL_OTHER:
            for fire in list(self._running.get(job.name, ())):
                if executor is not None and executor.cancel(fire):
                    logger.warning(
                        "job %r: the run for %s cancelled for a newer fire (cancel_other)",
                        job.name,
                        fire.instant.isoformat(),
                    )
            return "run"
        return "buffer"

    def room(self, job: Job, planned: int) -> int:
        """Fires the job's buffer takes before its oldest is replaced (``planned`` more
        are on their way into it in this step)."""
        o = job.options
        limit = 1 if o.overlap is Overlap.BUFFER_ONE else o.buffer_limit
        return limit - len(self._buffers.get(job.name, ())) - planned

    def limit(self, job: Job) -> int:
        return 1 if job.options.overlap is Overlap.BUFFER_ONE else job.options.buffer_limit

    def oldest(self, job: Job) -> Fire | None:
        """Take the oldest buffered fire of the job out (to make room), or None."""
        queue = self._buffers.get(job.name)
        if not queue:
            return None
        job.stats.count("unbuffered")
        return queue.popleft()

    def buffer(self, fire: Fire) -> None:
        self._buffers.setdefault(fire.job_name, deque()).append(fire)
        fire.job.stats.count("buffered")

    def started(self, fire: Fire) -> None:
        if fire.job.options.overlap is Overlap.CANCEL_OTHER:
            self._running.setdefault(fire.job_name, []).append(fire)

    def ended(self, fire: Fire) -> Fire | None:
        """A run ended: forget it; the job's next buffered fire, now free to start."""
        running = self._running.get(fire.job_name)
        if running and fire in running:
            running.remove(fire)
        return self.oldest(fire.job)

    def has_buffered(self, name: str) -> bool:
        return bool(self._buffers.get(name))

    def take(self, job: Job) -> list[Fire]:
        """Take all of the job's buffered fires (it was removed or paused)."""
        fires = list(self._buffers.pop(job.name, ()))
        for _ in fires:
            job.stats.count("unbuffered")
        return fires

    def take_all(self) -> list[Fire]:
        """Take every buffered fire (the scheduler stops)."""
        fires = [f for q in self._buffers.values() for f in q]
        self._buffers.clear()
        for fire in fires:
            fire.job.stats.count("unbuffered")
        return fires
