"""Fixed-rate, fixed-delay and one-off schedules: pure values, no timer state.

A fixed rate fires at ``anchor + k * period`` for k = 0, 1, 2, ... (never at
"now + period", so it cannot drift); a fixed delay fires ``period`` after each
run ends; a one-off fires once. All arithmetic is on whole microseconds since
the Unix epoch (UTC), in Python integers: no float is ever accumulated, and
``Interval(seconds=0.1)`` is exactly 100000 s after its anchor after 10**6 periods.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from fractions import Fraction
from numbers import Rational
from typing import Any, Union

__all__ = ["MIN_PERIOD", "Interval", "OneOff"]

UTC = timezone.utc
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
# Microseconds since the epoch of datetime.min and datetime.max (as UTC instants).
_LOW = (datetime.min.replace(tzinfo=UTC) - _EPOCH) // _US
_HIGH = (datetime.max.replace(tzinfo=UTC) - _EPOCH) // _US
_MAX_PERIOD = timedelta.max // _US

MIN_PERIOD = timedelta(milliseconds=10)
"""The shortest period an `Interval` accepts."""

_MODES = ("rate", "delay")
# Units, largest first: (microseconds, keyword, singular, plural) for repr and describe.
_UNITS = (
    (86_400_000_000, "days", "day", "days"),
    (3_600_000_000, "hours", "hour", "hours"),
    (60_000_000, "minutes", "minute", "minutes"),
    (1_000_000, "seconds", "second", "seconds"),
    (1_000, "milliseconds", "millisecond", "milliseconds"),
    (1, "", "microsecond", "microseconds"),
)

Amount = Union[int, float, Fraction, Decimal, timedelta]


def _amount(name: str, value: object, scale: int) -> Fraction:
    """``value`` (a number of ``scale``-microsecond units) as an exact Fraction of µs."""
    if isinstance(value, timedelta):
        if name != "seconds":
            raise TypeError(f"{name} must be a number, not a timedelta (pass it first)")
        if value < timedelta(0):
            raise ValueError(f"the period must not be negative, got {value!r}")
        return Fraction(value // _US)
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal, Rational)):
        raise TypeError(f"{name} must be a number, not {type(value).__name__}")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{name} must be finite, not {value!r}")
        # The float's shortest repr is what was typed: 0.1 means one tenth, not 0.1000...0555.
        exact = Fraction(repr(value))
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{name} must be finite, not {value!r}")
        exact = Fraction(value)
    else:
        exact = Fraction(value)
    if exact < 0:
        raise ValueError(f"{name} must not be negative, got {value!r}")
    return exact * scale


def _period_us(seconds: object, parts: Mapping[str, object]) -> int:
    scales = {"minutes": 60_000_000, "hours": 3_600_000_000, "days": 86_400_000_000}
    scales["milliseconds"] = 1_000
    total = _amount("seconds", seconds, 1_000_000)
    for name, value in parts.items():
        total += _amount(name, value, scales[name])
    if total.denominator != 1:
        raise ValueError(
            f"the period must be a whole number of microseconds, got {float(total)} µs"
        )
    period = int(total)
    if period < MIN_PERIOD // _US:
        shown = "zero" if period == 0 else f"{_spell(period)}"
        raise ValueError(f"the period must be at least 10 milliseconds, got {shown}")
    if period > _MAX_PERIOD:
        raise ValueError("the period must fit in a timedelta (at most 999999999 days)")
    return period


def _spell(us: int) -> str:
    """A period in its largest whole unit: "2 seconds", "250 milliseconds", "1 minute"."""
    if us > 1_000_000 and us % 1_000 == 0 and us % 1_000_000:
        return f"{_seconds_text(us)[:-1]} seconds"  # 2.5 seconds, not 2500 milliseconds
    for size, _, one, many in _UNITS:
        if us % size == 0:
            n = us // size
            return f"1 {one}" if n == 1 else f"{n} {many}"
    raise AssertionError("unreachable: every period is whole microseconds")


def _seconds_text(us: int) -> str:
    """Exact decimal seconds for keys: 2500000 -> "2.5s", 10000 -> "0.01s"."""
    whole, frac = divmod(us, 1_000_000)
    return f"{whole}s" if not frac else f"{whole}.{frac:06d}".rstrip("0") + "s"


def _aware(name: str, t: object) -> datetime:
    if not isinstance(t, datetime):
        raise TypeError(f"{name} must be a datetime, not {type(t).__name__}")
    if t.utcoffset() is None:
        raise TypeError(
            f"{name} must be an aware datetime (with a tzinfo), got the naive {t!r}: "
            "pass e.g. datetime.now(timezone.utc) or t.replace(tzinfo=ZoneInfo(...))"
        )
    return t


def _micros(t: datetime) -> int:
    """Microseconds since the epoch of the aware ``t``."""
    return (t - _EPOCH) // _US


def _instant(us: int, zone: tzinfo | None) -> datetime | None:
    """The instant ``us`` µs after the epoch in ``zone`` (UTC if None); None out of range."""
    if not _LOW <= us <= _HIGH:
        return None
    t = _EPOCH + timedelta(microseconds=us)
    if zone is None or zone is UTC:
        return t
    try:
        return t.astimezone(zone)
    except OverflowError:  # the wall time in zone is past the range; the instant is not
        return t


def _iso(us: int) -> str:
    return (_EPOCH + timedelta(microseconds=us)).isoformat()


class Interval:
    """Fixed rate (``anchor + k * period``) or fixed delay (``period`` after each run ends).

    ``Interval(seconds=2)``, ``Interval(timedelta(minutes=5))``,
    ``Interval(milliseconds=250, start=datetime(2026, 1, 1, tzinfo=UTC))``,
    ``Interval(seconds=30, mode="delay")``. The period is the sum of the amounts
    given, at least 10 ms and a whole number of microseconds; a float means its
    decimal text (``0.1`` is one tenth of a second exactly).

    The anchor is ``start`` or, for an Interval without one, what `bind` sets:
    the moment the job was added. Rate mode fires at ``anchor + k * period``,
    k >= 0. Delay mode fires first at the anchor (``start``, or ``now + period``
    when bound without one), then only where `after_run` says.

    Immutable, hashable and picklable; equal when mode, period and anchor
    instant are equal. Results are aware datetimes in the anchor's zone.
    """

    __slots__ = ("_anchor", "_mode", "_period", "_us")

    _anchor: datetime | None
    _mode: str
    _period: int
    _us: int | None

    def __init__(
        self,
        seconds: Amount = 0,
        *,
        minutes: float | Fraction | Decimal = 0,
        hours: float | Fraction | Decimal = 0,
        days: float | Fraction | Decimal = 0,
        milliseconds: float | Fraction | Decimal = 0,
        start: datetime | None = None,
        mode: str = "rate",
    ) -> None:
        if not isinstance(mode, str) or mode not in _MODES:
            raise ValueError(f"mode must be one of {', '.join(map(repr, _MODES))}, not {mode!r}")
        parts = {"minutes": minutes, "hours": hours, "days": days, "milliseconds": milliseconds}
        period = _period_us(seconds, parts)
        if start is not None:
            _aware("start", start)
        self._set(period, mode, start)

    def _set(self, period: int, mode: str, anchor: datetime | None) -> None:
        us = None if anchor is None else _micros(anchor)
        for name, value in (("_period", period), ("_mode", mode), ("_anchor", anchor)):
            object.__setattr__(self, name, value)
        object.__setattr__(self, "_us", us)

    @classmethod
    def _make(cls, period: int, mode: str, anchor: datetime | None) -> Interval:
        self = object.__new__(cls)
        self._set(period, mode, anchor)
        return self

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Interval is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("Interval is immutable")

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore, (self._period, self._mode, self._anchor))

    # -- what it is -----------------------------------------------------------

    @property
    def period(self) -> timedelta:
        """The period (rate) or the delay after each run (delay)."""
        return timedelta(microseconds=self._period)

    @property
    def mode(self) -> str:
        """``"rate"`` (fixed rate) or ``"delay"`` (fixed delay)."""
        return self._mode

    @property
    def start(self) -> datetime | None:
        """The anchor: the first instant (None until bound)."""
        return self._anchor

    @property
    def bound(self) -> bool:
        """Whether it has an anchor (a ``start``, or `bind` was called)."""
        return self._anchor is not None

    @property
    def whole_seconds(self) -> bool:
        """Whether the period and the anchor (if any) are whole seconds, as stores need."""
        return self._period % 1_000_000 == 0 and (self._us is None or self._us % 1_000_000 == 0)

    def bind(self, now: datetime) -> Interval:
        """This Interval anchored: unchanged if it has an anchor, else anchored at ``now``.

        Rate mode anchors at ``now`` itself (the first instant is ``now + period``);
        delay mode at ``now + period`` (its first run).
        """
        now = _aware("now", now)
        if self._anchor is not None:
            return self
        if self._mode == "rate":
            return Interval._make(self._period, self._mode, now)
        first = _instant(_micros(now) + self._period, now.tzinfo)
        if first is None:
            raise OverflowError("now + period is past the datetime range")
        return Interval._make(self._period, self._mode, first)

    @property
    def key(self) -> str:
        """``every:2.5s@<anchor, UTC ISO>``, ``delay:30s@<first run>``; ``@unbound`` before bind."""
        name = "every" if self._mode == "rate" else "delay"
        where = "unbound" if self._us is None else _iso(self._us)
        return f"{name}:{_seconds_text(self._period)}@{where}"

    def describe(self) -> str:
        """``every 2 seconds``, ``every 250 milliseconds``, ``2 seconds after each run ends``."""
        spelled = _spell(self._period)
        if self._mode == "delay":
            return f"{spelled} after each run ends"
        return "every " + (spelled[2:] if spelled.startswith("1 ") else spelled)

    def __repr__(self) -> str:
        args = []
        for size, keyword, _, _ in _UNITS:
            if self._period % size == 0:
                if keyword:
                    args.append(f"{keyword}={self._period // size}")
                else:
                    args.append(repr(self.period))
                break
        if self._anchor is not None:
            args.append(f"start={self._anchor!r}")
        if self._mode != "rate":
            args.append(f"mode={self._mode!r}")
        return f"Interval({', '.join(args)})"

    def _identity(self) -> tuple[str, int, int | None]:
        return (self._mode, self._period, self._us)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Interval):
            return NotImplemented
        return self._identity() == other._identity()

    def __hash__(self) -> int:
        return hash(("Interval", *self._identity()))

    # -- the instants ---------------------------------------------------------

    def _anchored(self) -> int:
        if self._us is None:
            raise ValueError(
                f"{self!r} has no anchor yet: give it start=... or call .bind(now) "
                "(the scheduler does this when the job is added)"
            )
        return self._us

    def _zone(self) -> tzinfo | None:
        return None if self._anchor is None else self._anchor.tzinfo

    def next_after(self, t: datetime) -> datetime | None:
        """The first instant strictly after ``t``; None past the datetime range.

        Delay mode knows only its first run: the anchor if it is after ``t``, else None.
        """
        u = _micros(_aware("t", t))
        a = self._anchored()
        if u < a:
            return self._anchor
        if self._mode == "delay":
            return None
        return _instant(a + ((u - a) // self._period + 1) * self._period, self._zone())

    def prev_before(self, t: datetime) -> datetime | None:
        """The last instant strictly before ``t``, or None (none before the anchor)."""
        u = _micros(_aware("t", t))
        a = self._anchored()
        if u <= a:
            return None
        if self._mode == "delay":
            return self._anchor
        return _instant(a + -((a - u) // self._period + 1) * self._period, self._zone())

    def count_between(self, a: datetime, b: datetime) -> int:
        """How many instants lie in ``(a, b]`` (0 when ``b <= a``), in O(1)."""
        ua, ub = _micros(_aware("a", a)), _micros(_aware("b", b))
        anchor = self._anchored()
        if ub <= ua or ub < anchor:
            return 0
        if self._mode == "delay":
            return 1 if ua < anchor else 0
        hi = min(ub, _HIGH)
        if hi < ua or hi < anchor:
            return 0
        below = 0 if ua < anchor else (ua - anchor) // self._period + 1
        return (hi - anchor) // self._period + 1 - below

    def after_run(self, ended: datetime) -> datetime | None:
        """Delay mode: ``period`` after the run ended (in ``ended``'s zone); rate mode: None."""
        ended = _aware("ended", ended)
        if self._mode != "delay":
            return None
        return _instant(_micros(ended) + self._period, ended.tzinfo)


def _restore(period: int, mode: str, anchor: datetime | None) -> Interval:
    """Unpickle an `Interval` (its constructor's checks passed when it was made)."""
    return Interval._make(period, mode, anchor)


class OneOff:
    """A job that fires once, at the aware instant ``when``."""

    __slots__ = ("_us", "_when")

    _when: datetime
    _us: int

    def __init__(self, when: datetime) -> None:
        _aware("when", when)
        us = _micros(when)
        object.__setattr__(self, "_when", when)
        object.__setattr__(self, "_us", us)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("OneOff is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("OneOff is immutable")

    def __reduce__(self) -> tuple[Any, ...]:
        return (OneOff, (self._when,))

    @property
    def when(self) -> datetime:
        """The instant, as given."""
        return self._when

    @property
    def whole_seconds(self) -> bool:
        """Whether the instant is a whole second, as stores need."""
        return self._us % 1_000_000 == 0

    def bind(self, now: datetime) -> OneOff:
        """Itself: a one-off is anchored by its instant (here for a uniform interface)."""
        _aware("now", now)
        return self

    @property
    def key(self) -> str:
        """``at:<instant, UTC ISO>``."""
        return f"at:{_iso(self._us)}"

    def describe(self) -> str:
        """``once at 2026-12-01 09:00:00+01:00`` (in the zone given)."""
        return f"once at {self._when}"

    def __repr__(self) -> str:
        return f"OneOff({self._when!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, OneOff):
            return NotImplemented
        return self._us == other._us

    def __hash__(self) -> int:
        return hash(("OneOff", self._us))

    def next_after(self, t: datetime) -> datetime | None:
        """``when`` if it is strictly after ``t``, else None."""
        return self._when if self._us > _micros(_aware("t", t)) else None

    def prev_before(self, t: datetime) -> datetime | None:
        """``when`` if it is strictly before ``t``, else None."""
        return self._when if self._us < _micros(_aware("t", t)) else None

    def count_between(self, a: datetime, b: datetime) -> int:
        """1 if ``when`` lies in ``(a, b]``, else 0."""
        return int(_micros(_aware("a", a)) < self._us <= _micros(_aware("b", b)))

    def after_run(self, ended: datetime) -> datetime | None:
        """None: a one-off's instant does not depend on runs."""
        _aware("ended", ended)
        return None
