"""``CronExpr``: an immutable cron expression, optionally bound to a zone."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, tzinfo
from typing import Any, Union

from . import _aware, _zones
from ._days import day_masks, ever_fires, is_restricted
from ._errors import CronError
from ._parse import Fields, Parsed, parse, scan
from ._search import Search

TzArg = Union[tzinfo, str, None]
_MAX_INSTANCES = 4096


# Compiled expressions by meaning-bearing parse (field masks), shared by every text that
# parses the same (`0 0 * * *`, `0  0 * * *`, `0 0 0 * * *`, `0 0 0 * * ?`, ...).
_COMPILED: dict[Parsed, tuple[Search, tuple[Any, ...]]] = {}


def _compile(text: str) -> tuple[Search, tuple[Any, ...]]:
    """Parse and check ``text``: its search tables and its meaning (for == and hash)."""
    p = scan(text)
    found = _COMPILED.get(p)
    if found is not None:
        return found
    seconds, minutes, hours, (days, day_items), months, (weekdays, weekday_items), years = p
    table, table_bytes, every_shape = day_masks(days, day_items, weekdays, weekday_items)
    if not every_shape and not ever_fires(table, months, years):
        raise _never_fires(text)
    search = Search(seconds, minutes, hours, months, table, years)
    found = search, (seconds, minutes, hours, months, table_bytes, years)
    if len(_COMPILED) >= _MAX_INSTANCES:
        _COMPILED.clear()
    _COMPILED[p] = found
    return found


def _never_fires(text: str) -> CronError:
    """The error for an expression with no fire day, pointing at the restricting day field."""
    fields = parse(text)
    which = 3 if is_restricted(fields, "dom") else 5
    token, position = fields.field_texts[which]
    return CronError(
        "this expression can never fire (no allowed month"
        + (" of an allowed year" if fields.years else "")
        + " has such a day)",
        text=text,
        field="day-of-month" if which == 3 else "day-of-week",
        token=token,
        position=max(position, 0),
    )


def _zone_key(zone: tzinfo | None) -> object:
    """A hashable stand-in for a zone (dateutil zones are not hashable)."""
    if zone is None:
        return None
    try:
        hash(zone)
    except TypeError:
        return ("id", id(zone))
    return zone


_INSTANCES: dict[tuple[type, str, object], CronExpr] = {}
_EVERY_HOUR = (1 << 24) - 1


class CronExpr:
    """A cron expression (SPEC.md): fire times after, before and at a datetime.

    Immutable and hashable; two expressions are equal when they fire at the
    same times in the same zone. Constructing the same text (and zone) again
    returns the cached instance.
    """

    __slots__ = ("_hourfull", "_meaning", "_search", "_text", "_tz")

    _text: str
    _tz: tzinfo | None
    _search: Search
    _meaning: tuple[Any, ...]
    _hourfull: bool

    def __new__(cls, text: str, tz: TzArg = None) -> CronExpr:
        if not isinstance(text, str):
            raise TypeError(f"a cron expression must be a str, not {type(text).__name__}")
        zone = None if tz is None else _zones.resolve_zone(tz)
        key = (cls, text, _zone_key(zone))
        cached = _INSTANCES.get(key)
        if cached is not None:
            return cached
        search, meaning = _compile(text)
        self = object.__new__(cls)
        _set_text(self, text)
        _set_tz(self, zone)
        _set_search(self, search)
        _set_meaning(self, (*meaning, key[2]))
        _set_hourfull(self, meaning[2] == _EVERY_HOUR)
        if len(_INSTANCES) >= _MAX_INSTANCES:
            _INSTANCES.clear()
        _INSTANCES[key] = self
        return self

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("CronExpr is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("CronExpr is immutable")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self._text, self._tz))

    @property
    def text(self) -> str:
        """The expression text as given."""
        return self._text

    @property
    def tz(self) -> tzinfo | None:
        """The bound zone, or None."""
        return self._tz

    @property
    def fields(self) -> Fields:
        """The parsed value sets of each field (for describing and formatting)."""
        return parse(self._text)

    def describe(self) -> str:
        """One English sentence saying when this expression fires (``cronsec explain``)."""
        from ._describe import describe

        return describe(self)

    def __str__(self) -> str:
        return self._text

    def __repr__(self) -> str:
        if self._tz is None:
            return f"CronExpr({self._text!r})"
        name = getattr(self._tz, "key", None) or str(self._tz)
        return f"CronExpr({self._text!r}, tz={name!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CronExpr):
            return NotImplemented
        return self._meaning == other._meaning

    def __hash__(self) -> int:
        return hash(self._meaning)

    # -- the searches ---------------------------------------------------------

    def _start(self, t: datetime | None) -> datetime:
        """Check ``t`` against the binding (SPEC 5); None means now."""
        if t is None:
            return datetime.now(self._tz if self._tz is not None else _zones.local_zone())
        if not isinstance(t, datetime):
            raise TypeError(f"expected a datetime, not {type(t).__name__}")
        if self._tz is not None and t.utcoffset() is None:
            raise TypeError(
                "this CronExpr is bound to a zone, so it needs an aware datetime: "
                "pass e.g. datetime.now(expr.tz) or t.replace(tzinfo=expr.tz)"
            )
        return t

    def _zone_of(self, t: datetime) -> tzinfo:
        return self._tz if self._tz is not None else t.tzinfo  # type: ignore[return-value]

    def _naive_next(self, t: datetime) -> datetime:
        """The earliest naive fire time strictly after the naive ``t``."""
        return self._search.after(t)

    def _naive_prev(self, t: datetime) -> datetime:
        """The latest naive fire time strictly before the naive ``t``."""
        return self._search.before(t)

    def next(self, t: datetime | None = None) -> datetime:
        """The earliest fire time strictly after ``t`` (default: now).

        Raises OverflowError when there is none before ``datetime.max``.
        """
        if t.__class__ is datetime:  # the common cases first, without the checks of _start
            zone = t.tzinfo
            if zone is None:
                if self._tz is None:
                    return self._search.after(t)
            else:
                return _aware.next_fire(self, t, zone if self._tz is None else self._tz)
        t = self._start(t)
        if t.utcoffset() is None:
            return self._search.after(t)
        return _aware.next_fire(self, t, self._zone_of(t))

    def prev(self, t: datetime | None = None) -> datetime:
        """The latest fire time strictly before ``t`` (default: now).

        Raises OverflowError when there is none after ``datetime.min``.
        """
        if t.__class__ is datetime:  # the common cases first, without the checks of _start
            zone = t.tzinfo
            if zone is None:
                if self._tz is None:
                    return self._search.before(t)
            else:
                return _aware.prev_fire(self, t, zone if self._tz is None else self._tz)
        t = self._start(t)
        if t.utcoffset() is None:
            return self._search.before(t)
        return _aware.prev_fire(self, t, self._zone_of(t))

    def iter(self, start: datetime | None = None, *, reverse: bool = False) -> Iterator[datetime]:
        """Fire times after ``start`` in order (before it, newest first, with reverse).

        The iterator ends where the datetime range (or the year field) does. A bad
        ``start`` raises TypeError here, not at the first item.
        """
        t = self._start(start)
        if t.utcoffset() is None:  # naive: the search walks on, minute by minute
            return self._search.walk(t, not reverse)
        return self._walk_aware(t, self.prev if reverse else self.next)

    @staticmethod
    def _walk_aware(t: datetime, step: Callable[[datetime], datetime]) -> Iterator[datetime]:
        while True:
            try:
                t = step(t)
            except OverflowError:
                return
            yield t

    def match(self, t: datetime) -> bool:
        """Whether ``t`` is a fire time (a non-zero microsecond never is)."""
        if not isinstance(t, datetime):
            raise TypeError(f"expected a datetime, not {type(t).__name__}")
        if t.utcoffset() is None:
            if self._tz is not None:
                self._start(t)  # raises the TypeError that explains the binding
            return self._search.match(t)
        return _aware.match_fire(self, t, self._zone_of(t))


# The slots are set once, in __new__, through their descriptors (__setattr__ refuses).
_set_text, _set_tz, _set_search, _set_meaning, _set_hourfull = (
    vars(CronExpr)[name].__set__ for name in ("_text", "_tz", "_search", "_meaning", "_hourfull")
)
