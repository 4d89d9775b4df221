"""The timetable: which instants are due, and which of them the policies let run.

Pure: jobs and "now" in, decisions out; no lock, no thread, no I/O, no
counters. The scheduler owns one and calls it under its own lock. After a
stall or a clock step, each job's passed instants are settled in time that
does not grow with how many passed: coalesced, the latest runs; otherwise
those within the misfire grace run; the rest are counted, never walked.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import NamedTuple

from ._options import JobOptions
from ._schedule import Schedule

__all__ = ["Due", "Missed", "Slot", "Timetable", "catch_up"]

logger = logging.getLogger("cronsec")
UTC = timezone.utc
_TICK = timedelta(microseconds=1)
_MIN = datetime(1970, 1, 1, tzinfo=timezone.utc)
# Instants walked one by one before the timetable switches to counting them.
WALK = 1
# Instants of one job run (not coalesced, within grace) at one step, at most.
RUN_LIMIT = 10_000


class Slot(NamedTuple):
    """One scheduled instant."""

    instant: datetime
    """In the schedule's zone (what users see; fold=1 for a repeated hour)."""
    utc: datetime
    """The same instant in UTC: compared and subtracted safely."""
    target: datetime
    """When to start it, in UTC: ``utc`` plus this fire's jitter."""


class Missed(NamedTuple):
    """Instants a job passed without running them, and why."""

    n: int
    first: datetime
    last: datetime | None
    """The last of them; None when not computed yet: the last instant before ``before``."""
    why: str
    before: datetime | None = None


class Due(NamedTuple):
    """What the timetable decided for one job at one step."""

    name: str
    run: list[Slot]
    """Instants to run (oldest first): the policies allow them; the overlap policy and
    the store still decide."""
    missed: list[Missed]


@dataclass
class _Entry:
    name: str
    schedule: Schedule
    options: JobOptions
    slot: Slot | None = None  # the next instant; None: none (or waiting for a run to end)
    after: Slot | None = None  # lookahead: the instant after ``slot``
    after_known: bool = False
    last_utc: datetime | None = None  # the latest instant handled
    paused: bool = False
    waiting: bool = False  # fixed delay: the next instant comes when the run ends


class Timetable:
    """Each job's next instant, and the decision for each due one."""

    def __init__(self, rng: random.Random | None = None) -> None:
        self._rng = rng if rng is not None else random.Random()
        self._entries: dict[str, _Entry] = {}

    # -- jobs ------------------------------------------------------------------

    def add(
        self, name: str, schedule: Schedule, options: JobOptions, now: datetime, paused: bool
    ) -> Slot | None:
        """Track a job from ``now``; returns its first instant."""
        entry = _Entry(name, schedule, options, paused=paused)
        start = now
        if getattr(schedule, "when", None) is not None:
            # A one-off instant that passed moments ago still runs, within the grace.
            grace = options.misfire_grace
            start = now - timedelta(seconds=grace) - _TICK if grace is not None else _MIN
        entry.slot = self._slot_after(entry, start)
        self._entries[name] = entry
        return entry.slot

    def remove(self, name: str) -> None:
        self._entries.pop(name, None)

    def pause(self, name: str) -> None:
        self._entries[name].paused = True

    def resume(self, name: str, now: datetime) -> Slot | None:
        """Fire again from the first instant after now, never one already handled."""
        entry = self._entries[name]
        entry.paused = False
        start = now
        if entry.last_utc is not None and entry.last_utc > start:
            start = entry.last_utc  # a clock stepped back while paused fires nothing twice
        if not entry.waiting:
            entry.slot = self._slot_after(entry, start)
            if entry.slot is None:  # a fixed delay past its first run: rest, then run
                again = entry.schedule.after_run(start)
                entry.slot = None if again is None else self._slot_of(entry, again)
            entry.after_known = False
        return entry.slot

    def next_slot(self, name: str) -> Slot | None:
        entry = self._entries.get(name)
        return None if entry is None or entry.paused else entry.slot

    def run_ended(self, name: str, ended: datetime) -> None:
        """A run of a fixed-delay job ended (or its fire did not run): arm the next instant."""
        entry = self._entries.get(name)
        if entry is None or not entry.waiting:
            return
        instant = entry.schedule.after_run(ended)
        entry.waiting = False
        entry.slot = None if instant is None else self._slot_of(entry, instant)
        entry.after_known = False

    # -- steps -----------------------------------------------------------------

    def due(self, now: datetime) -> list[Due]:
        """Pop every instant due at ``now``: those to run, and those missed with why.

        Earliest first; each job moves on to its first instant after what it popped.
        """
        entries = [
            (name, e)
            for name, e in self._entries.items()
            if not e.paused and e.slot is not None and e.slot.target <= now
        ]
        entries.sort(key=lambda item: item[1].slot.target)  # type: ignore[union-attr]
        return [self._settle(name, entry, now) for name, entry in entries]

    def deadline(self) -> datetime | None:
        """The earliest target of an active job, or None."""
        targets = [e.slot.target for e in self._entries.values() if not e.paused and e.slot]
        return min(targets) if targets else None

    def due_count(self, when: datetime) -> int:
        """How many jobs have an instant due at ``when`` (to plan how early to prepare)."""
        return sum(
            1 for e in self._entries.values() if not e.paused and e.slot and e.slot.target <= when
        )

    def look_ahead(self) -> None:
        """Compute each job's instant after next, off the critical path of a fire."""
        for entry in self._entries.values():
            if not entry.after_known and not entry.paused and entry.slot is not None:
                entry.after = self._slot_after(entry, entry.slot.utc)
                entry.after_known = True

    # -- inside ----------------------------------------------------------------

    def _settle(self, name: str, entry: _Entry, now: datetime) -> Due:
        """Decide a job's due instants: walk a few, count the rest when there are many."""
        o = entry.options
        passed: list[Slot] = []
        while entry.slot is not None and entry.slot.target <= now and len(passed) < WALK:
            passed.append(entry.slot)
            self._advance(entry)
        missed: list[Missed] = []
        if entry.slot is not None and entry.slot.target <= now:
            keep, skipped = self._jump(entry, now)
            if skipped is None:
                passed += keep
            else:
                count, last = skipped
                first = passed[0].instant if passed else entry.slot.instant
                if o.coalesce and keep:
                    why = "coalesced into the fire for " + keep[-1].instant.isoformat()
                else:
                    why = f"too late (misfire_grace {o.misfire_grace}s)"
                if count is None:
                    count, why = RUN_LIMIT, why + f" (over {RUN_LIMIT}: counted as {RUN_LIMIT})"
                before = keep[0].utc if keep else None
                missed.append(Missed(len(passed) + count, first, last, why, before))
                passed = keep
        if passed and entry.schedule.after_run(now) is not None:
            # Fixed delay: the next instant comes when this run ends (``run_ended``).
            entry.waiting = True
            entry.slot = entry.after = None
            entry.after_known = True
        if passed:
            entry.last_utc = passed[-1].utc
        if o.coalesce and len(passed) > 1:
            why = "coalesced into the fire for " + passed[-1].instant.isoformat()
            missed.append(_span(passed[:-1], why))
            passed = passed[-1:]
        run: list[Slot] = []
        late: list[Slot] = []
        grace = o.misfire_grace
        for slot in passed:
            if grace is not None and (now - slot.target).total_seconds() > grace:
                late.append(slot)
            else:
                run.append(slot)
        if late:
            missed.append(_span(late, f"too late (misfire_grace {grace}s)"))
        return Due(name, run, missed)

    def _jump(
        self, entry: _Entry, now: datetime
    ) -> tuple[list[Slot], tuple[int | None, datetime | None] | None]:
        """Many instants passed: the ones the policy may still run, and a count of the rest.

        Returns ``(keep, skipped)``: ``skipped`` is None when nothing before ``keep``
        was passed over, else ``(count or None when too many, last skipped instant)``.
        The job moves on to its first instant after now.
        """
        o = entry.options
        first = entry.slot
        assert first is not None
        latest = entry.schedule.prev_before(now + _TICK)
        latest_utc = latest.astimezone(UTC) if latest is not None else None
        if latest_utc is None or latest_utc < first.utc:
            return [], None
        if o.coalesce:
            keep_from = latest_utc
        elif o.misfire_grace is None:
            keep_from = first.utc
        else:
            keep_from = max(first.utc, now - timedelta(seconds=o.misfire_grace))
        keep: list[Slot] = []
        t = keep_from - _TICK
        if o.coalesce and latest is not None:  # only the latest may run: no walk at all
            keep.append(self._slot_of(entry, latest, jitter=False))
            t = latest_utc
        while not o.coalesce and len(keep) < RUN_LIMIT:
            instant = entry.schedule.next_after(t)
            if instant is None or instant.astimezone(UTC) > latest_utc:
                break
            keep.append(self._slot_of(entry, instant, jitter=False))
            t = instant
        # Past RUN_LIMIT the rest stays due: the next step takes it up.
        entry.slot = self._slot_after(entry, keep[-1].utc if len(keep) == RUN_LIMIT else latest_utc)
        entry.after_known = False
        if keep and keep[0].utc <= first.utc:
            return keep, None
        if not keep:  # none left to run: every one from ``first`` to ``latest`` passed
            return keep, (_count(entry.schedule, first.utc - _TICK, latest_utc), latest_utc)
        # The last instant passed over is asked of the schedule only if someone looks.
        return keep, (_count(entry.schedule, first.utc - _TICK, keep[0].utc - _TICK), None)

    def _advance(self, entry: _Entry) -> None:
        """Move the job to its instant after ``slot`` (the lookahead when known)."""
        assert entry.slot is not None
        if not entry.after_known:
            entry.after = self._slot_after(entry, entry.slot.utc)
        entry.slot, entry.after, entry.after_known = entry.after, None, False

    def _slot_after(self, entry: _Entry, t: datetime) -> Slot | None:
        try:
            instant = entry.schedule.next_after(t)
        except Exception:  # a schedule's bug stops its job only, never the timer
            logger.exception("job %r: no next instant after %s; it stops", entry.name, t)
            return None
        return None if instant is None else self._slot_of(entry, instant)

    def _slot_of(self, entry: _Entry, instant: datetime, jitter: bool = True) -> Slot:
        utc = instant.astimezone(UTC)
        spread = entry.options.jitter
        if spread and jitter:
            return Slot(instant, utc, utc + timedelta(seconds=self._rng.uniform(0, spread)))
        return Slot(instant, utc, utc)


def catch_up(
    schedule: Schedule, options: JobOptions, last: datetime, end: datetime, now: datetime
) -> tuple[list[Slot], Missed | None]:
    """After a restart: the instants between the last completion and ``end`` (the job's
    first instant since it was added) that run, and the others, counted.

    Coalesced, the latest runs if it is within ``catch_up`` seconds of now;
    otherwise each one within it runs. The rest are counted, never walked.
    """
    first = schedule.next_after(last)
    if first is None or first.astimezone(UTC) >= end:
        return [], None
    latest = schedule.prev_before(end)
    if latest is None:
        return [], None
    window = options.catch_up
    horizon = now - timedelta(seconds=window) if window is not None else None
    run: list[Slot] = []
    if options.coalesce:
        if horizon is None or latest.astimezone(UTC) >= horizon:
            run = [_plain(latest)]
    else:
        t = first.astimezone(UTC) if horizon is None else max(first.astimezone(UTC), horizon)
        t -= _TICK
        while len(run) < RUN_LIMIT:
            nxt = schedule.next_after(t)
            if nxt is None or nxt.astimezone(UTC) >= end:
                break
            run.append(_plain(nxt))
            t = nxt
    upto = run[0].utc if run else end
    count = _count(schedule, first.astimezone(UTC) - _TICK, upto - _TICK)
    if not count:
        return run, None
    why = f"passed while no scheduler ran it (catch_up {window}s, coalesce {options.coalesce})"
    return run, Missed(count, first, None, why, upto)


def _plain(instant: datetime) -> Slot:
    utc = instant.astimezone(UTC)
    return Slot(instant, utc, utc)


def _span(slots: list[Slot], why: str) -> Missed:
    return Missed(len(slots), slots[0].instant, slots[-1].instant, why)


def _count(schedule: Schedule, a: datetime, b: datetime) -> int | None:
    """Instants in (a, b]: the schedule's own fast count, else a bounded walk."""
    fast = getattr(schedule, "count_between", None)
    if fast is not None:
        try:
            return int(fast(a, b))
        except (TypeError, ValueError, NotImplementedError, OverflowError):
            pass
    n = 0
    t = a
    while n <= RUN_LIMIT:
        instant = schedule.next_after(t)
        if instant is None or instant.astimezone(UTC) > b:
            return n
        n += 1
        t = instant
    return None
