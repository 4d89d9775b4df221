"""The grammar: expression text to the set of values each field allows (SPEC 1 and 8.1)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Optional, Union

from ._errors import CronError

MAX_LENGTH = 1024  # longer text is refused before any parsing work

MONTHS = {
    n: i
    for i, n in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1
    )
}
WEEKDAYS = {n: i for i, n in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])}

MACROS = {
    "@yearly": "0 0 0 1 1 *",
    "@annually": "0 0 0 1 1 *",
    "@monthly": "0 0 0 1 * *",
    "@weekly": "0 0 0 * * 0",
    "@daily": "0 0 0 * * *",
    "@midnight": "0 0 0 * * *",
    "@hourly": "0 0 * * * *",
}

# Day items beyond plain values: ("L", n) is L-n, ("W", m) is mW, ("LW", n) is L-nW;
# ("L", d) in day-of-week is dL, ("#", d, k) is d#k.
DayItem = Union[tuple[str, int], tuple[str, int, int]]


@dataclass(frozen=True)
class FieldSpec:
    """A field's name, bounds and value names."""

    name: str
    low: int
    high: int
    names: dict[str, int] | None = None


SECOND = FieldSpec("second", 0, 59)
MINUTE = FieldSpec("minute", 0, 59)
HOUR = FieldSpec("hour", 0, 23)
DOM = FieldSpec("day-of-month", 1, 31)
MONTH = FieldSpec("month", 1, 12, MONTHS)
DOW = FieldSpec("day-of-week", 0, 7, WEEKDAYS)
YEAR = FieldSpec("year", 1970, 9999)
SPECS = (SECOND, MINUTE, HOUR, DOM, MONTH, DOW, YEAR)


@dataclass(frozen=True)
class Fields:
    """A parsed expression: the sorted values of each field, before any day rule."""

    seconds: tuple[int, ...]
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    days: tuple[int, ...]
    day_items: tuple[DayItem, ...]
    months: tuple[int, ...]
    weekdays: tuple[int, ...]
    weekday_items: tuple[DayItem, ...]
    years: tuple[int, ...] | None  # None: every year
    field_texts: tuple[tuple[str, int], ...]  # (text, position) of each of the 7 fields


_VALUE = r"(?:[0-9]+|[A-Za-z]+)"
_DOM_ITEM = re.compile(r"(L)(?:-([0-9]+))?(W)?|([0-9]+)W", re.ASCII | re.IGNORECASE)
_DOW_ITEM = re.compile(rf"({_VALUE}?)(?:(L)|#([0-9]+))", re.ASCII | re.IGNORECASE)


# An ordinary item's text: `*` or the value a, then b of `a-b` and n of `/n` (None if absent)
Ordinary = tuple[str, Optional[str], Optional[str]]


def _ordinary_parts(item: str) -> Ordinary | None:
    """Split an item as `*` or `a` or `a-b`, each with an optional `/n`; None if it is not."""
    head, slash, every = item.partition("/")
    if slash and not (every.isascii() and every.isdigit()):
        return None
    if head == "*":
        return head, None, every if slash else None
    start, dash, end = head.partition("-")
    if not _is_value(start) or (dash and not _is_value(end)):
        return None
    return start, end if dash else None, every if slash else None


def _is_value(token: str) -> bool:
    """A number or a name as cron spells them: ASCII digits, or ASCII letters."""
    return token.isascii() and (token.isdigit() or token.isalpha())


class _Mistake(Exception):
    """A mistake in one field body, ``offset`` characters into it; scan() places it."""

    def __init__(self, reason: str, token: str, offset: int) -> None:
        super().__init__(reason)
        self.reason, self.token, self.offset = reason, token, offset


class _Field:
    """One field body being parsed; positions are offsets into the body."""

    def __init__(self, spec: FieldSpec, body: str) -> None:
        self.spec, self.body = spec, body

    def fail(self, message: str, token: str, position: int) -> _Mistake:
        return _Mistake(message, token, position)

    def items(self) -> list[tuple[str, int]]:
        """Split on commas; an empty item is an error pointing at its comma."""
        pieces = self.body.split(",")
        parts, pos = [], 0
        for i, piece in enumerate(pieces):
            if not piece:
                raise self.fail("empty item in list", ",", pos if i < len(pieces) - 1 else pos - 1)
            parts.append((piece, pos))
            pos += len(piece) + 1
        return parts

    def value(self, token: str, position: int) -> int:
        """A number or a name, checked against the field's range."""
        spec = self.spec
        if token.isdigit():
            number = int(token) if len(token) <= 6 else spec.high + 1
            if not spec.low <= number <= spec.high:
                raise self.fail(
                    f"value {token} is out of range {spec.low}-{spec.high}", token, position
                )
            return number
        if spec.names is None:
            if token.upper() in ("L", "W", "LW"):
                raise self.fail(f"{token} is only allowed in the day fields", token, position)
            raise self.fail(
                f"{token!r} is not a number (this field takes no names)", token, position
            )
        found = spec.names.get(token.lower())
        if found is None:
            known = "-".join(n.upper() for n in (next(iter(spec.names)), list(spec.names)[-1]))
            raise self.fail(f"unknown name {token!r} (names are {known})", token, position)
        return found

    def step(self, token: str, position: int) -> int:
        if len(token) > 100:
            raise self.fail(f"step {token[:12]}... is too large", token, position)
        number = int(token)
        if number < 1:
            raise self.fail("step must be 1 or more", token, position)
        return number

    def ordinary(self, item: str, pos: int, parts: Ordinary) -> list[range]:
        """The values of `*`, `a`, `a-b` (wrapping when a > b) and their `/n` steps."""
        spec = self.spec
        start, end, every = parts
        step = self.step(every, pos + len(item) - len(every)) if every else 1
        if start == "*":
            return [range(spec.low, (6 if spec is DOW else spec.high) + 1, step)]
        first = self.value(start, pos)
        if end is not None:
            last = self.value(end, pos + len(start) + 1)
        elif every is None:
            last = first
        else:  # a/n runs to the end of the field (Saturday)
            first, last = (first % 7, 6) if spec is DOW else (first, spec.high)
        return self._span(item, pos, first, last, step)

    def _span(self, item: str, pos: int, first: int, last: int, step: int) -> list[range]:
        spec, top = self.spec, self.spec.high
        if spec is DOW:
            # 7 is Sunday: a range starting at 7 starts at 0, one ending at 7 ends on
            # Sunday (7, which the bitmask folds onto 0); a wrapping one ends at Saturday.
            if first == 7:
                first = 0 if last != 7 else 7
            top = 6
        if first <= last:
            return [range(first, last + 1, step)]
        if spec is YEAR:
            raise self.fail("a year range must run forwards (years do not wrap)", item, pos)
        head = range(first, top + 1)  # then on from the field's start, keeping the step
        return [head[::step], range(spec.low + -len(head) % step, last + 1, step)]


def _day_of_month_item(f: _Field, item: str, pos: int) -> DayItem | None:
    match = _DOM_ITEM.fullmatch(item)
    if match is None:
        if re.fullmatch(r"[wW][0-9]+", item, re.ASCII):
            raise f.fail(f"write {item[1:]}W, not {item}", item, pos)
        return None
    if match.group(4) is not None:  # mW
        day = int(match.group(4)) if len(match.group(4)) <= 3 else 0
        if not 1 <= day <= 31:
            raise f.fail("W needs a day 1-31 before it (15W)", item, pos)
        return ("W", day)
    back = match.group(2)
    offset = int(back) if back is not None and len(back) <= 3 else (0 if back is None else 99)
    if offset > 30:
        raise f.fail("L-n needs n from 0 to 30", item, pos)
    return ("LW" if match.group(3) else "L", offset)


def _day_of_week_item(f: _Field, item: str, pos: int) -> DayItem | None:
    if item.upper() == "L":
        raise f.fail(
            "L alone is not a weekday: write dL for the last weekday d (5L, FRIL)", item, pos
        )
    if re.fullmatch(r"[lL](?:[0-9]+|[A-Za-z]{3})", item, re.ASCII):
        raise f.fail(f"write {item[1:]}L, not {item}", item, pos)
    match = _DOW_ITEM.fullmatch(item)
    if match is None or not match.group(1):
        return None
    token = match.group(1)
    if not token.isdigit() and token.lower() not in WEEKDAYS:
        return None
    if token.isdigit() and (len(token) > 3 or int(token) > 7):
        raise f.fail("dL and d#k need a weekday 0-7 or a name", item, pos)
    day = f.value(token, pos) % 7
    if match.group(2):
        return ("L", day)
    nth = match.group(3)
    if len(nth) > 2 or not 1 <= int(nth) <= 5:
        raise f.fail("d#k needs k from 1 to 5", item, pos)
    return ("#", day, int(nth))


def _parse_field(f: _Field) -> tuple[list[range], list[DayItem]]:
    """All plain values and special day items of one field."""
    if f.body == "*":  # the most common field of all
        return [range(f.spec.low, 7 if f.spec is DOW else f.spec.high + 1)], []
    values: list[range] = []
    specials: list[DayItem] = []
    items = f.items()
    for item, pos in items:
        if item == "?" and f.spec in (DOM, DOW):
            if len(items) > 1:
                raise f.fail("? stands alone in its field", "?", pos)
            return [range(f.spec.low, 7 if f.spec is DOW else f.spec.high + 1)], []
        special: DayItem | None = None
        if _looks_special(f.spec, item):
            special = (_day_of_month_item if f.spec is DOM else _day_of_week_item)(f, item, pos)
            if special is None:
                raise f.fail(_malformed_reason(f.spec, item), item, pos)
            specials.append(special)
            continue
        parts = _ordinary_parts(item)
        if parts is None:
            raise f.fail(_malformed_reason(f.spec, item), item, pos)
        values.extend(f.ordinary(item, pos, parts))
    return values, specials


_DAY_LETTERS = frozenset("LWlw")


def _looks_special(spec: FieldSpec, item: str) -> bool:
    """Whether an item uses the day letters (L, W, #) and so must be a day item."""
    if spec is DOM:
        return not _DAY_LETTERS.isdisjoint(item)
    if spec is DOW:
        return "#" in item or item[:1] in ("L", "l") or item[-1:] in ("L", "l")
    return False


def _malformed_reason(spec: FieldSpec, item: str) -> str:
    if any(not (c.isascii() and c.isprintable()) for c in item):
        return f"{item!r} has a character that cron does not use"
    if "#" in item and spec is not DOW:
        return "# is only allowed in day-of-week"
    return f"{item!r} is not a value, a range a-b, a step */n or a-b/n, or a list of them"


def _whole(text: str, message: str, token: str, position: int) -> CronError:
    """An error about the whole expression rather than one field."""
    return CronError(message, text=text, field=None, token=token, position=position)


DayBody = tuple[int, tuple[DayItem, ...]]  # a day field: its plain days (bitmask), day items
Years = Optional[tuple[range, ...]]  # the years as arithmetic runs; None: every year
# (second, minute, hour, day-of-month, month, day-of-week, year): plain fields as bitmasks
Parsed = tuple[int, int, int, DayBody, int, DayBody, Years]

# Each field body already parsed, per field: a crontab repeats `*`, `0`, `*/5`, ...
# so most bodies of a new text are known, and a known body costs a lookup.
_MEMOS: tuple[dict[str, Any], ...] = tuple({} for _ in SPECS)
_MEMOS[6]["*"] = None  # every year: kept through evictions (five- and six-field texts)
_MEMO_SIZE = 2048
_UNKNOWN = object()


def scan(text: str) -> Parsed:
    """Every field's values (bitmasks, day items, years); a mistake is a CronError."""
    bodies = _bodies(text)
    memos = _MEMOS
    try:
        return (
            memos[0][bodies[0]],
            memos[1][bodies[1]],
            memos[2][bodies[2]],
            memos[3][bodies[3]],
            memos[4][bodies[4]],
            memos[5][bodies[5]],
            memos[6][bodies[6]],
        )
    except KeyError:
        return _with_new_bodies(text, bodies)


def _bodies(text: str) -> list[str]:
    """The seven field bodies of ``text``, second to year, with the defaults filled in."""
    if not isinstance(text, str):
        raise TypeError(f"a cron expression must be a str, not {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise _whole(
            text,
            f"expression is too long ({len(text)} characters, at most {MAX_LENGTH})",
            text[MAX_LENGTH],
            MAX_LENGTH,
        )
    bodies = _pieces(text)
    if "" in bodies:
        bodies = [body for body in bodies if body]
    if 5 <= len(bodies) <= 7 and bodies[0][0] != "@":
        if len(bodies) == 5:
            bodies.insert(0, "0")
        if len(bodies) == 6:
            bodies.append("*")
        return bodies
    return _macro_or_count(text)


def _pieces(text: str) -> list[str]:
    """``text`` without the white space around it, split at each space and tab."""
    return text.strip().replace("\t", " ").split(" ")


def _located(text: str) -> list[tuple[str, int]]:
    """Each field of ``text`` as it is written, with its position."""
    located, pos = [], len(text) - len(text.lstrip())
    for piece in _pieces(text):
        if piece:
            located.append((piece, pos))
        pos += len(piece) + 1
    return located


def _macro_or_count(text: str) -> list[str]:
    """A macro's bodies; or the error for a macro misused or a wrong number of fields."""
    found = _located(text)
    if not found:
        raise _whole(text, "expression is empty", "", 0)
    if found[0][0].startswith("@"):
        word, pos = found[0]
        if len(found) > 1:
            raise _whole(
                text,
                f"a macro stands alone; {found[1][0]!r} follows {word!r}",
                found[1][0],
                found[1][1],
            )
        expansion = MACROS.get(word.lower())
        if expansion is None:
            names = ", ".join(MACROS)
            raise _whole(text, f"unknown macro {word!r} (macros are {names})", word, pos)
        return _bodies(expansion)
    if len(found) > 7:
        raise _whole(
            text,
            f"too many fields ({len(found)}; 5, 6 or 7 with a year)",
            found[7][0],
            found[7][1],
        )
    raise _whole(
        text,
        f"too few fields ({len(found)}; 6 are: second minute hour day-of-month month "
        "day-of-week, or 5 without the second)",
        text.strip(),
        len(text) - len(text.lstrip()),
    )


def _field_texts(text: str) -> tuple[tuple[str, int], ...]:
    """(body, position) of each of the seven fields; -1 for a default (second, year).

    A macro's fields are those of its expansion, placed in the expansion.
    """
    found = _located(text)
    if found[0][0].startswith("@"):
        return _field_texts(MACROS[found[0][0].lower()])
    if len(found) == 5:
        found.insert(0, ("0", -1))
    if len(found) == 6:
        found.append(("*", -1))
    return tuple(found)


def _with_new_bodies(text: str, bodies: list[str]) -> Parsed:
    """scan() where some body is new: parse it, remember it, or place its mistake."""
    values = []
    for index, body in enumerate(bodies):
        memo = _MEMOS[index]
        known = memo.get(body, _UNKNOWN)  # one lookup: another thread may be evicting
        if known is not _UNKNOWN:
            values.append(known)
            continue
        try:
            value = _parse_body(SPECS[index], body)
        except _Mistake as mistake:
            raise CronError(
                mistake.reason,
                text=text,
                field=SPECS[index].name,
                token=mistake.token,
                position=_field_texts(text)[index][1] + mistake.offset,
            ) from None
        if len(memo) >= _MEMO_SIZE:
            _forget_half(memo)
        memo[body] = value
        values.append(value)
    s, mi, h, dom, mo, dow, years = values
    return s, mi, h, dom, mo, dow, years


def _parse_body(spec: FieldSpec, body: str) -> Any:
    """One field body: a bitmask, (bitmask, day items) for the day fields, or the years."""
    values, specials = _single(spec, body) or _parse_field(_Field(spec, body))
    if spec is YEAR:
        years = sorted(set().union(*values))
        return None if len(years) == YEAR.high - YEAR.low + 1 else year_runs(tuple(years))
    mask = 0
    for run in values:
        mask |= _range_bits(run)
    if spec is DOW:
        mask = (mask | mask >> 7) & 0x7F  # 7 is Sunday, 0
    if spec is DOM or spec is DOW:
        return mask, tuple(sorted(set(specials)))
    return mask


def _single(spec: FieldSpec, body: str) -> tuple[list[range], list[DayItem]] | None:
    """A body that is one number in range (the commonest after ``*``) read at once; else
    None, and the general parser reads it (and words any mistake)."""
    if body.isdigit() and body.isascii() and len(body) <= 4:
        number = int(body)
        if spec.low <= number <= spec.high:
            return [range(number, number + 1)], []
    return None


def _range_bits(values: range) -> int:
    """A range's values as a bitmask: a bit every ``step`` bits from ``start``."""
    count = len(values)
    if count < 2:  # none, or one (whatever the step, however large)
        return count << values.start
    step = values.step  # the sum of the series 1 + 2**step + 2**(2*step) + ...:
    return ((1 << step * count) - 1) // ((1 << step) - 1) << values.start


def _forget_half(memo: dict[str, Any]) -> None:
    """Make room in a full memo: the older half goes (but every year, `*`, stays)."""
    for key in list(memo)[: len(memo) // 2]:
        if key != "*":
            memo.pop(key, None)  # another thread may have taken it already


def _members(mask: int) -> tuple[int, ...]:
    return tuple(i for i in range(mask.bit_length()) if mask >> i & 1)


def parse(text: str) -> Fields:
    """Parse expression text into field sets; every mistake is a CronError."""
    s, mi, h, (days, day_items), mo, (weekdays, weekday_items), runs = scan(text)
    return Fields(
        seconds=_members(s),
        minutes=_members(mi),
        hours=_members(h),
        days=_members(days),
        day_items=day_items,
        months=_members(mo),
        weekdays=_members(weekdays),
        weekday_items=weekday_items,
        years=None if runs is None else tuple(year for run in runs for year in run),
        field_texts=_field_texts(text),
    )


def year_runs(years: tuple[int, ...]) -> tuple[range, ...]:
    """A sorted set of years as maximal arithmetic runs (``*/2`` is one range)."""
    runs, i = [], 0
    while i < len(years):
        if i + 1 == len(years):
            runs.append(range(years[i], years[i] + 1))
            break
        step, j = years[i + 1] - years[i], i + 1
        while j + 1 < len(years) and years[j + 1] - years[j] == step:
            j += 1
        runs.append(range(years[i], years[j] + 1, step))
        i = j + 1
    return tuple(runs)
