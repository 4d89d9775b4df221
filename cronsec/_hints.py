"""Hints that fit the mistake, added under a ``CronError`` by the command line and ``lint``.

The parser says what is wrong with the text as an expression; these guess what
the person meant: a year written as the sixth field, a crontab line pasted with
its command, ``@every 5m`` from Go's cron, an expression split by the shell.
Each hint is checked before it is offered: a suggested expression parses.
"""

from __future__ import annotations

import difflib
import re

from ._errors import CronError
from ._parse import MACROS, MONTHS, WEEKDAYS, parse

_FIELD_WORD = re.compile(r"[0-9*?,/#LWlw-]+")
_NAME_WORD = re.compile(r"[A-Za-z]{3}(?:-[A-Za-z]{3})?(?:,[A-Za-z]{3}(?:-[A-Za-z]{3})?)*")
_YEARISH = re.compile(r"[0-9,*/-]*(?:19[7-9][0-9]|[2-9][0-9]{3})[0-9,*/-]*")
_DURATION = re.compile(r"(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+)s)?", re.IGNORECASE)
CRONTAB_MACROS = (*MACROS, "@reboot")


def looks_like_field(word: str) -> bool:
    """Whether ``word`` could be a field of an expression (``*/5``, ``1-5``, ``MON-FRI``)."""
    if _FIELD_WORD.fullmatch(word):
        return True
    if _NAME_WORD.fullmatch(word):
        names = re.split(r"[-,]", word.lower())
        return all(name in MONTHS or name in WEEKDAYS for name in names)
    return False


def looks_like_year(token: str) -> bool:
    """Whether a field's text holds a number from 1970 to 9999 (``2027``, ``2026-2030``)."""
    return bool(_YEARISH.fullmatch(token))


def parses(text: str) -> bool:
    """Whether ``text`` is a valid expression (a candidate a hint may suggest)."""
    try:
        parse(text)
    except CronError:
        return False
    return True


def _year_hint(words: list[str], err: CronError) -> str | None:
    """``0 0 12 * * 2027``: a year where day-of-week is."""
    if err.field != "day-of-week" or not looks_like_year(err.token):
        return None
    if len(words) == 6:
        candidates = ["0 " + " ".join(words)]
    elif len(words) == 5:
        candidates = ["0 " + " ".join(words[:4]) + " * " + words[4]]
    else:
        return None
    for candidate in candidates:
        if parses(candidate):
            return (
                f"{err.token} looks like a year: the year is the seventh field, after "
                "second minute hour day-of-month month day-of-week, "
                f'e.g. "{candidate}"'
            )
    return None


def _command_hint(words: list[str]) -> str | None:
    """``*/5 * * * * /usr/bin/backup``: a crontab line, schedule and command."""
    for count in (5, 6, 7):
        if len(words) <= count or looks_like_field(words[count]):
            continue
        schedule = " ".join(words[:count])
        if parses(schedule):
            command = " ".join(words[count:])
            kind = "crontab line" if count == 5 else "line of schedule and command"
            return (
                f'this looks like a {kind}: the schedule is "{schedule}" and the command '
                f'"{command}"; pass the schedule alone, or check a whole file with '
                "cronsec lint FILE"
            )
    return None


def every_equivalent(duration: str) -> str | None:
    """The six-field expression that fires every ``duration`` (``5m``), if one fires evenly."""
    found = _DURATION.fullmatch(duration)
    if not duration or found is None:
        return None
    hours, minutes, seconds = (int(part or 0) for part in found.groups())
    total = hours * 3600 + minutes * 60 + seconds
    if total <= 0:
        return None
    if total < 60 and 60 % total == 0:
        return f"*/{total} * * * * *" if total > 1 else "* * * * * *"
    if total % 60 == 0 and total < 3600 and 60 % (total // 60) == 0:
        n = total // 60
        return f"0 */{n} * * * *" if n > 1 else "0 * * * * *"
    if total % 3600 == 0 and 24 % (total // 3600) == 0:
        n = total // 3600
        return {1: "0 0 * * * *", 24: "0 0 0 * * *"}.get(n, f"0 0 */{n} * * *")
    return None


def macro_hint(word: str, rest: list[str], *, crontab: bool = False) -> str | None:
    """``@every 5m``, ``@reboot`` and misspelt macros (``crontab``: five-field advice)."""
    lower = word.lower()
    if lower == "@every":
        duration = rest[0] if rest else ""
        equal = every_equivalent(duration)
        head = "@every is not cron (it comes from Go's robfig/cron)"
        if equal is not None and crontab:
            if not equal.startswith("0 "):
                return f"{head}; cron cannot run anything more often than once a minute"
            return f'{head}; every {duration} is "{equal[2:]}"'
        if equal is not None:
            return f'{head}; every {duration} is "{equal}"'
        return (
            f"{head}; no cron expression fires every {duration or 'N'} evenly: "
            "in Python use cronsec.Interval(seconds=...)"
        )
    if lower == "@reboot":
        return (
            "@reboot runs a crontab job once when cron starts; it has no fire times, "
            "so cronsec has no expression for it"
        )
    if lower in CRONTAB_MACROS:
        return None
    close = difflib.get_close_matches(lower, CRONTAB_MACROS, n=1)
    return f"did you mean {close[0]}?" if close else None


def hint(text: str, err: CronError) -> str | None:
    """A hint that fits the mistake in ``text``, or None when none does."""
    words = text.split()
    if len(words) == 1 and words[0].isdigit():
        return f"a lone number is not an expression (a count? next takes -n {words[0]})"
    if words and words[0].startswith("@"):
        return macro_hint(words[0], words[1:])
    return _year_hint(words, err) or _command_hint(words)


def split_hint(words: list[str]) -> str | None:
    """Several arguments that are one expression split by the shell, or None.

    Each word is one field (no space inside) and no word is a macro. When a
    word is not a field at all, the shell has probably expanded a ``*`` into
    file names.
    """
    if len(words) < 2 or any(" " in w or "\t" in w or w.startswith("@") for w in words):
        return None
    if not all(looks_like_field(w) for w in words):
        return (
            "these look like one expression split into words, with * expanded by the "
            "shell into file names; quote the expression, "
            'e.g. cronsec next "*/5 * * * *"'
        )
    joined = " ".join(words)
    return f'these look like one expression split into words; quote it: "{joined}"'
