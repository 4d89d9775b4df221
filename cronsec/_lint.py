"""``cronsec lint``: a crontab read line by line as cron reads it, with the findings a person wants.

Pure: text in, a list of findings out (no file, no clock: the year the DST
check looks at is an argument). The rules follow Vixie cron and cronie
(crontab(5)): ``#`` comments and blank lines, ``NAME=value`` environment lines
(``CRON_TZ=`` sets the zone of the lines after it), five time fields or a
macro, then the user (``/etc/crontab`` and ``/etc/cron.d``) and the command.
With ``seconds=True`` job lines are cronsec's own: six fields, seven with a year.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo

from . import _zones
from ._days import is_restricted
from ._describe import describe_fields
from ._errors import CronError
from ._expr import CronExpr
from ._hints import (
    CRONTAB_MACROS,
    hint,
    looks_like_field,
    looks_like_year,
    macro_hint,
    parses,
)
from ._parse import DOM, DOW, HOUR, MINUTE, MONTH, SECOND, Fields, FieldSpec, parse

ERROR, WARNING = "error", "warning"

_WORD = re.compile(r"[^ \t]+")
_ENV = re.compile(r"""([A-Za-z_][A-Za-z0-9_]*|"[^"]*"|'[^']*')[ \t]*=[ \t]*(.*)""")
_USER = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*\$?")
_YEAR_WORD = re.compile(r"[0-9*,/-]+")
_STAR_STEP = re.compile(r"\*/([0-9]+)")
_SINGLE_STEP = re.compile(r"([0-9]+)/([0-9]+)")
_RANGE = re.compile(r"([0-9]+)-([0-9]+)(?:/[0-9]+)?")
_SYSTEM_USERS = ("root", "www-data", "nobody", "daemon", "postgres", "mysql", "backup")
_UNIT = {"second": "minute", "minute": "hour", "hour": "day", "day-of-month": "month",
         "month": "year", "day-of-week": "week"}  # fmt: skip


@dataclass(frozen=True)
class Finding:
    """One problem: where (1-based line and column, caret width), how bad, and what."""

    line: int
    col: int
    width: int
    severity: str  # "error" or "warning"
    code: str  # a short stable name, e.g. "field", "dom-dow-or", "dst-gap"
    message: str
    source: str  # the text of the line


@dataclass(frozen=True)
class _Line:
    number: int
    text: str
    findings: list[Finding]

    def add(self, severity: str, code: str, message: str, start: int, width: int = 1) -> None:
        """Report at character index ``start`` of the line."""
        finding = Finding(self.number, start + 1, max(1, width), severity, code, message, self.text)
        self.findings.append(finding)


class _Gaps:
    """The wall-clock gaps (skipped times) of zones in one year, found once per zone."""

    def __init__(self, year: int) -> None:
        self.year = year
        self.cache: dict[str, list[tuple[datetime, datetime, tzinfo]]] = {}

    def of(self, name: str, zone: tzinfo) -> list[tuple[datetime, datetime, tzinfo]]:
        if name not in self.cache:
            self.cache[name] = _find_gaps(zone, self.year)
        return self.cache[name]


def _find_gaps(zone: tzinfo, year: int) -> list[tuple[datetime, datetime, tzinfo]]:
    """Skipped wall times ``[start, end)`` (naive) where the UTC offset grows during ``year``."""
    start = datetime(year, 1, 1, tzinfo=timezone.utc) - timedelta(days=1)
    step = timedelta(minutes=15)
    gaps = []
    before = start.astimezone(zone).utcoffset()
    t = start
    while t.year <= year:
        after_t = t + step
        after = after_t.astimezone(zone).utcoffset()
        if after != before and before is not None and after is not None:
            low, high = t, after_t  # the change happens in (low, high]
            while high - low > timedelta(seconds=1):
                mid = low + (high - low) / 2
                if mid.astimezone(zone).utcoffset() == before:
                    low = mid
                else:
                    high = mid
            if after > before:
                wall = (high + before).replace(tzinfo=None)
                if wall.year == year:
                    gaps.append((wall, wall + (after - before), zone))
        before, t = after, after_t
    return gaps


def lint(
    text: str,
    *,
    system: bool = False,
    seconds: bool = False,
    tz: str | None = None,
    year: int | None = None,
) -> list[Finding]:
    """Every finding in crontab ``text``, in line order.

    ``system``: lines have a user column (``/etc/crontab``, ``/etc/cron.d``).
    ``seconds``: job lines are cronsec's six fields (seven with a year).
    ``tz``: the zone of lines before any ``CRON_TZ=``, for the DST check.
    ``year``: the year whose DST gaps are checked (default: this one).
    """
    checker = _Checker(system, seconds, year or datetime.now(timezone.utc).year)
    if tz:
        checker.set_zone(tz)
    lines = text.split("\n")
    missing_newline = bool(text) and not text.endswith("\n")
    if not missing_newline:
        lines.pop()
    findings: list[Finding] = []
    for index, raw in enumerate(lines):
        line = _Line(index + 1, raw, findings)
        is_job = checker.check(line)
        if missing_newline and index == len(lines) - 1 and is_job:
            line.add(
                ERROR,
                "no-newline",
                "the last line has no newline at its end: cron rejects it as a bad command "
                "(crontab -e: 'missing newline before EOF')",
                len(raw),
            )
    return findings


class _Checker:
    def __init__(self, system: bool, seconds: bool, year: int) -> None:
        self.system, self.seconds = system, seconds
        self.zone: tuple[str, tzinfo] | None = None
        self.gaps = _Gaps(year)

    def set_zone(self, name: str) -> bool:
        try:
            self.zone = (name, _zones.resolve_zone(name))
        except (KeyError, ValueError, OSError, TypeError):
            return False
        return True

    def check(self, line: _Line) -> bool:
        """Check one line; True when it is a job line."""
        raw = line.text
        if raw.endswith("\r"):
            line.add(
                WARNING,
                "crlf",
                "the line ends with a carriage return (a file saved with CRLF line ends): "
                "cron keeps it as part of the line",
                len(raw) - 1,
            )
            raw = raw[:-1]
        body = raw.lstrip(" \t")
        start = len(raw) - len(body)
        if not body or body.startswith("#"):
            return False
        if body[0] == "-" and body[1:2] and (body[1] in "@*" or body[1].isdigit()):
            start += 1  # cronie: a leading '-' turns off the syslog line of the job
            body = body[1:]
        if body[0] == "@" or body[0] == "*" or body[0].isdigit() or body[0] == "?":
            self.job(line, raw, start)
            return True
        env = _ENV.fullmatch(body)
        if env is not None:
            self.env(line, env, start)
            return False
        word = _WORD.match(body)
        width = len(word.group()) if word else 1
        line.add(
            ERROR,
            "syntax",
            "not a job, an environment setting (NAME=value) or a comment",
            start,
            width,
        )
        return False

    # -- environment lines ---------------------------------------------------------------

    def env(self, line: _Line, found: re.Match[str], start: int) -> None:
        name = found.group(1).strip("\"'")
        value_at = start + found.start(2)
        value = found.group(2).rstrip(" \t")
        quoted = len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'"
        if quoted:
            value = value[1:-1]
        elif " #" in value or "\t#" in value:
            at = value_at + max(value.find(" #"), value.find("\t#")) + 1
            line.add(
                WARNING,
                "env-comment",
                f"a comment after an environment setting is part of its value: {name} "
                f"is {value!r}; put the comment on a line of its own",
                at,
                len(value) - (at - value_at),
            )
        if "$" in value:
            given = found.group(2).rstrip(" \t")
            line.add(
                WARNING,
                "env-expansion",
                f"cron does not expand variables in environment settings: {name} is "
                f"literally {value!r}; write the value out in full",
                value_at + given.index("$"),
                len(given) - given.index("$"),
            )
        if name == "CRON_TZ":
            if not self.set_zone(value):
                line.add(
                    ERROR,
                    "unknown-zone",
                    f"unknown time zone {value!r} (use an IANA name such as Europe/Riga)",
                    value_at,
                    len(found.group(2).rstrip()),
                )
        elif name == "TZ":
            line.add(
                WARNING,
                "tz-env",
                "TZ= only sets the zone the commands see: cron reads the times in its own "
                "zone (CRON_TZ= sets the zone of the times, in cronie)",
                start,
                2,
            )

    # -- job lines -------------------------------------------------------------------------

    def job(self, line: _Line, raw: str, start: int) -> None:
        words = [(m.group(), m.start()) for m in _WORD.finditer(raw, start)]
        first = words[0][0]
        if first.startswith("@"):
            self.macro(line, raw, words)
            return
        count = 6 if self.seconds else 5
        if self.seconds and len(words) > 6 and _YEAR_WORD.fullmatch(words[6][0]):
            count = 7
        if len(words) < count:
            line.add(
                ERROR,
                "too-few-fields",
                f"a job needs {'six' if self.seconds else 'five'} time fields and a command; "
                f"this line has {len(words)} word{'s' if len(words) != 1 else ''}",
                words[0][1],
                len(raw.rstrip()) - words[0][1],
            )
            return
        if self.seconds and not looks_like_field(words[5][0]):
            schedule5 = " ".join(w for w, _ in words[:5])
            if parses(schedule5):
                line.add(
                    ERROR,
                    "five-fields",
                    "with --seconds a job has six time fields, second first; this one has "
                    f'five: write "0 {schedule5}" for the same times',
                    words[0][1],
                    words[4][1] + len(words[4][0]) - words[0][1],
                )
                return
        begin = words[0][1]
        end = words[count - 1][1] + len(words[count - 1][0])
        schedule = raw[begin:end]
        fields = self.fields(line, schedule, begin)
        rest = words[count:]
        if fields is None:
            return
        # A six-field line misread as five: report that alone, not the misreading's warnings.
        six = not self.seconds and rest and looks_like_field(rest[0][0])
        if six and self.six_fields(line, raw, words):
            return
        if not self.seconds:
            self.cron_grammar(line, words[:count])
        self.steps(line, words[:count])
        self.day_rule(line, fields, words[:count])
        self.user_and_command(line, raw, rest, end)
        self.dst(line, schedule, fields, begin, end - begin)

    def macro(self, line: _Line, raw: str, words: list[tuple[str, int]]) -> None:
        word, at = words[0]
        lower = word.lower()
        if lower not in CRONTAB_MACROS:
            extra = macro_hint(word, [w for w, _ in words[1:]], crontab=not self.seconds)
            line.add(
                ERROR,
                "macro",
                f"unknown macro {word!r} (cron knows {', '.join(CRONTAB_MACROS)})"
                + (f"; {extra}" if extra else ""),
                at,
                len(word),
            )
            return
        if lower == "@reboot":
            line.add(
                WARNING,
                "reboot",
                "@reboot runs once when cron starts; cronsec's timer has no such schedule "
                "(it never fires there)",
                at,
                len(word),
            )
        self.user_and_command(line, raw, words[1:], at + len(word))
        if lower != "@reboot":
            self.dst(line, word, parse(word), at, len(word))

    def fields(self, line: _Line, schedule: str, begin: int) -> Fields | None:
        try:
            return CronExpr(schedule).fields  # the expression's checks, never-firing too
        except CronError as err:
            if self.seconds:
                extra = hint(schedule, err)
            elif err.field == "day-of-week" and looks_like_year(err.token):
                extra = f"{err.token} looks like a year; crontab lines have no year field"
            else:
                extra = None
            head = f"{err.field}: {err.reason}" if err.field else err.reason
            position = max(err.position, 0)
            line.add(
                ERROR,
                "field",
                head + (f" ({extra})" if extra else ""),
                begin + position,
                len(err.token) if err.position >= 0 else 1,
            )
            return None

    def cron_grammar(self, line: _Line, words: list[tuple[str, int]]) -> None:
        """Items cronsec reads but cron (Vixie, cronie) rejects or reads otherwise."""
        for (word, at), spec in zip(words, (MINUTE, HOUR, DOM, MONTH, DOW)):
            offset = 0
            for item in word.split(","):
                self.cron_item(line, item, at + offset, spec)
                offset += len(item) + 1

    def cron_item(self, line: _Line, item: str, at: int, spec: FieldSpec) -> None:
        upper = item.upper()
        special = item == "?" or (spec is DOM and ("L" in upper or "W" in upper))
        special = special or (spec is DOW and ("#" in item or upper.endswith("L")))
        if special:
            line.add(
                ERROR,
                "extension",
                f"{item!r} is a cronsec (and Quartz) extension that cron does not accept in a "
                "crontab; lint cronsec's own files with --seconds",
                at,
                len(item),
            )
            return
        single = _SINGLE_STEP.fullmatch(item)
        if single:
            a, n = single.groups()
            line.add(
                WARNING,
                "single-step",
                f"{item} means {a} alone in Vixie cron, busybox and cronie, but {a}, "
                f"{int(a) + int(n)}, ... to the end of the field in cronsec: write "
                f"{a}-{spec.high}/{n} to mean the series everywhere",
                at,
                len(item),
            )
            return
        span = _RANGE.fullmatch(item)
        if span and int(span.group(1)) > int(span.group(2)):
            a, b = span.group(1), span.group(2)
            line.add(
                ERROR,
                "wrapping-range",
                f"{a}-{b} wraps around the end of the {spec.name} field: busybox and cronsec "
                f"read it so, but Vixie cron and cronie reject it; write {a}-{spec.high},"
                f"{spec.low}-{b}",
                at,
                len(item),
            )

    def steps(self, line: _Line, words: list[tuple[str, int]]) -> None:
        """``*/7`` minutes: the step restarts at the top of the hour, so one gap is shorter."""
        specs = (SECOND, MINUTE, HOUR, DOM, MONTH, DOW)
        for (word, at), spec in zip(words, specs[-len(words) :] if len(words) < 6 else specs):
            offset = 0
            for item in word.split(","):
                found = _STAR_STEP.fullmatch(item)
                offset_now = offset
                offset += len(item) + 1
                if not found:
                    continue
                n = int(found.group(1))
                high = 6 if spec is DOW else spec.high
                size = high - spec.low + 1
                if n <= 1 or n >= size or size % n == 0:
                    continue
                last = spec.low + (size - 1) // n * n
                gap = high - last + 1
                unit = _UNIT[spec.name] + (" (of 31 days)" if spec is DOM else "")
                values = f"{spec.low}, {spec.low + n}, ..., {last}, then {spec.low} again"
                line.add(
                    WARNING,
                    "uneven-step",
                    f"{item} in the {spec.name} field restarts every {unit}: {values}, "
                    f"{gap} apart instead of {n} ({size} is not a multiple of {n})",
                    at + offset_now,
                    len(item),
                )

    def day_rule(self, line: _Line, fields: Fields, words: list[tuple[str, int]]) -> None:
        if not (is_restricted(fields, "dom") and is_restricted(fields, "dow")):
            return
        dom, dow = (words[2], words[4]) if len(words) == 5 else (words[3], words[5])
        message = (
            "day-of-month and day-of-week are both restricted, so the job runs on days that "
            f"match either one, not both: {describe_fields(fields)}"
        )
        if not self.seconds and (dom[0].startswith("*") or dow[0].startswith("*")):
            message += (
                "; Vixie cron and cronie decide by the text instead: a field that starts "
                "with * counts as unrestricted there, so they need both"
            )
        line.add(WARNING, "dom-dow-or", message, dom[1], dow[1] + len(dow[0]) - dom[1])

    def six_fields(self, line: _Line, raw: str, words: list[tuple[str, int]]) -> bool:
        """A six-field (seconds) line in a crontab: cron reads five fields and a command."""
        text = raw[words[0][1] : words[5][1] + len(words[5][0])]
        try:
            six = parse(text)
        except CronError:
            return False
        sentence = describe_fields(six)
        line.add(
            ERROR,
            "six-fields",
            f"this looks like a six-field line with seconds ({sentence}); cron reads five "
            f"fields and would take {words[5][0]!r} as the start of the command. A crontab "
            "cannot run anything more often than once a minute; use cronsec's timer for "
            "seconds, and lint its files with --seconds",
            words[5][1],
            len(words[5][0]),
        )
        return True

    def user_and_command(
        self, line: _Line, raw: str, rest: list[tuple[str, int]], end: int
    ) -> None:
        if self.system:
            if not rest:
                line.add(ERROR, "no-user", "missing user and command", end)
                return
            user, at = rest[0]
            if "/" in user or not _USER.fullmatch(user):
                line.add(
                    ERROR,
                    "user",
                    f"{user!r} is not a user name: /etc/crontab and /etc/cron.d lines name "
                    "the user after the time fields, then the command",
                    at,
                    len(user),
                )
                return
            end, rest = at + len(user), rest[1:]
        if not rest:
            line.add(
                ERROR,
                "no-command",
                "missing command: cron rejects the line as a bad command",
                len(raw.rstrip()) if raw.strip() else end,
            )
            return
        command_at = rest[0][1]
        command = raw[command_at:]
        if not self.system and rest[0][0] in _SYSTEM_USERS and len(rest) > 1:
            line.add(
                WARNING,
                "user-column",
                f"{rest[0][0]!r} looks like a user column, which only /etc/crontab and "
                f"/etc/cron.d files have: here cron runs the command {rest[0][0]!r}; "
                "remove it, or lint with --system if this is a system file",
                command_at,
                len(rest[0][0]),
            )
        for match in re.finditer(r"(?<!\\)%", command):
            line.add(
                WARNING,
                "percent",
                "cron turns an unescaped % in a command into a newline and feeds the rest "
                "to the command's standard input; write \\% (e.g. date +\\%F)",
                command_at + match.start(),
            )
            break

    def dst(self, line: _Line, schedule: str, fields: Fields, at: int, width: int) -> None:
        """Times that fall into a DST gap of the line's zone (``CRON_TZ`` or ``--tz``)."""
        if self.zone is None:
            return
        name, zone = self.zone
        note = gap_note(CronExpr(schedule), fields, name, self.gaps.of(name, zone))
        if note is not None:
            line.add(WARNING, "dst-gap", note, at, width)


def gap_note(
    naive: CronExpr, fields: Fields, name: str, gaps: list[tuple[datetime, datetime, tzinfo]]
) -> str | None:
    """What happens to the first of the expression's wall times that falls into a gap."""
    for gap_start, gap_end, _ in gaps:
        try:
            first = naive.next(gap_start - timedelta(seconds=1))
        except OverflowError:
            continue
        if first >= gap_end:
            continue
        clock = f"{gap_start:%H:%M}-{gap_end - timedelta(seconds=1):%H:%M:%S}"
        where = (
            f"{first:%H:%M:%S} on {first:%Y-%m-%d} does not exist in {name} (clocks skip {clock})"
        )
        if len(fields.hours) == 24:
            effect = "the fire times in the skipped hour do not happen (it runs every hour)"
        else:
            effect = f"cronsec fires it once at {gap_end:%H:%M:%S}, right after the gap"
        return f"{where}: {effect}"
    return None


def dst_note(text: str, name: str, zone: tzinfo, year: int) -> str | None:
    """``gap_note`` for expression text in a zone and year (``cronsec explain --tz``)."""
    return gap_note(CronExpr(text), parse(text), name, _find_gaps(zone, year))


def is_system_path(path: str) -> bool:
    """Whether a path is a system crontab: a file ``crontab`` in ``etc``, or in ``cron.d``."""
    parts = re.split(r"[\\/]+", path)
    if len(parts) >= 2 and parts[-2] == "cron.d":
        return True
    return len(parts) >= 2 and parts[-2] == "etc" and parts[-1] == "crontab"
