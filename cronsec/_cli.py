"""The command line: ``cronsec next | check | explain | show EXPR``.

Standard-library ``argparse`` only, so the core keeps no dependency. Without a
command, ``cronsec EXPR ...`` means ``cronsec next EXPR ...`` (the README's
first command). Exit status: 0 done, 1 the expression is invalid, 2 a bad
argument (an unknown zone, a malformed date, a negative count).
"""

from __future__ import annotations

import argparse
import calendar
import os
import sys
from collections.abc import Sequence
from datetime import date, datetime, tzinfo
from itertools import islice
from typing import NoReturn, TextIO

from . import __version__, _zones
from ._describe import describe
from ._errors import CronError
from ._expr import CronExpr
from ._format import canonical
from ._show import render

COMMANDS = ("next", "check", "explain", "show")
EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2

_EXIT_NOTE = "exit status: 0 done, 1 the expression is invalid, 2 a bad argument"
_EXPR_HELP = 'a cron expression in quotes: 5, 6 or 7 fields, or a @macro (e.g. "*/5 * * * *")'


class UsageError(Exception):
    """A bad argument: reported with exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse with a hint for the commonest slip: an unquoted expression."""

    def error(self, message: str) -> NoReturn:
        if "unrecognized arguments" in message:
            message += ' (quote the expression: cronsec next "0 9 * * 1-5")'
        super().error(message)


def _formatter(prog: str) -> argparse.HelpFormatter:
    return argparse.RawDescriptionHelpFormatter(prog, max_help_position=28)


def build_parser() -> argparse.ArgumentParser:
    """The parser for all commands (each with an example in its --help)."""
    parser = _Parser(
        prog="cronsec",
        formatter_class=_formatter,
        description="Cron expressions with exact fire times: list, check, explain and show them.",
        epilog=(
            "examples:\n"
            '  cronsec next "*/5 * * * * 1-5" -n 5      (also: cronsec "*/5 * * * * 1-5" -n 5)\n'
            '  cronsec check "0 0-23/5 * * *"\n'
            '  cronsec explain "0 30 4 1,15 * 5"\n'
            '  cronsec show "0 0 12 13 * 5" --month 2026-12\n'
            '  cronsec show "0 0 * * * *" --tz America/New_York --day 2026-03-08\n\n' + _EXIT_NOTE
        ),
    )
    parser.add_argument("--version", action="version", version=f"cronsec {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, summary: str, example: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(
            name,
            help=summary,
            description=summary,
            formatter_class=_formatter,
            epilog=f"example:\n  {example}\n\n{_EXIT_NOTE}",
        )
        sub.add_argument("expr", metavar="EXPR", help=_EXPR_HELP)
        return sub

    nxt = command(
        "next",
        "Print the next (or, with --reverse, previous) fire times, ISO 8601, one per line.",
        'cronsec next "0 30 9 * * mon-fri" -n 3 --tz Europe/Riga --from 2026-11-23T00:00',
    )
    nxt.add_argument("-n", type=int, default=5, metavar="N", help="how many (default 5)")
    nxt.add_argument("--tz", metavar="ZONE", help="compute in this IANA zone, e.g. Europe/Riga")
    nxt.add_argument(
        "--from",
        dest="start",
        metavar="ISO",
        help="start from this ISO 8601 time instead of now (read in --tz when it has no offset)",
    )
    nxt.add_argument("--reverse", action="store_true", help="earlier fire times, newest first")
    command(
        "check",
        "Validate an expression: print its normalised form, or the error with a caret.",
        'cronsec check "*/1 0-23/5 * * *"      (prints: 0 * */5 * * *)',
    )
    command(
        "explain",
        "Say in one English sentence when an expression fires.",
        'cronsec explain "0 30 4 1,15 * 5"',
    )
    show = command(
        "show",
        "Draw a month (or a year) of calendar marking the days that fire and how many "
        "times, and a 24-hour strip of the first such day.",
        'cronsec show "0 0 12 13 * 5" --month 2026-12',
    )
    period = show.add_mutually_exclusive_group()
    period.add_argument("--month", metavar="YYYY-MM", help="the month to draw (default: this one)")
    period.add_argument("--year", metavar="YYYY", help="draw the twelve months of this year")
    show.add_argument(
        "--day",
        metavar="YYYY-MM-DD",
        help="the day of the 24-hour strip (default: the first that fires); "
        "without --month or --year, its month is drawn",
    )
    show.add_argument("--tz", metavar="ZONE", help="count fire times in this IANA zone (with DST)")
    show.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour the days that fire (auto: when writing to a terminal and NO_COLOR is unset)",
    )
    return parser


def _with_command(argv: Sequence[str]) -> list[str]:
    """``cronsec EXPR ...`` is ``cronsec next EXPR ...``."""
    args = list(argv)
    if args and args[0] not in COMMANDS and args[0] not in ("-h", "--help", "--version"):
        return ["next", *args]
    return args


def _zone(name: str | None) -> tzinfo | None:
    if name is None:
        return None
    try:
        return _zones.resolve_zone(name)
    except (KeyError, ValueError, OSError, TypeError) as err:
        raise UsageError(
            f"unknown time zone {name!r} (use an IANA name such as Europe/Riga)"
        ) from err


def _start(text: str | None, zone: tzinfo | None) -> datetime | None:
    if text is None:
        return None
    raw = text.strip()
    if raw[-1:] in ("Z", "z"):
        raw = raw[:-1] + "+00:00"
    try:
        start = datetime.fromisoformat(raw)
    except ValueError as err:
        raise UsageError(
            f"--from: {text!r} is not an ISO 8601 time (e.g. 2026-11-23T09:00)"
        ) from err
    if zone is not None and start.utcoffset() is None:
        start = start.replace(tzinfo=zone)
    return start


def _cmd_next(args: argparse.Namespace, out: TextIO) -> int:
    if args.n < 0:
        raise UsageError("-n must be 0 or more")
    zone = _zone(args.tz)
    expr = CronExpr(args.expr, tz=zone)
    start = _start(args.start, zone)
    printed = 0
    for fire in islice(expr.iter(start, reverse=args.reverse), args.n):
        out.write(fire.isoformat() + "\n")
        printed += 1
    if printed < args.n:
        sys.stderr.write(f"cronsec: no further fire times ({printed} of {args.n} printed)\n")
    return EXIT_OK


def _strip_day(args: argparse.Namespace) -> date | None:
    if args.day is None:
        return None
    try:
        return datetime.strptime(args.day, "%Y-%m-%d").date()
    except ValueError as err:
        raise UsageError(f"--day: {args.day!r} is not YYYY-MM-DD (e.g. 2026-03-08)") from err


def _period(args: argparse.Namespace, zone: tzinfo | None) -> tuple[date, date, bool]:
    """The first and last day to draw, and whether it is a whole year."""
    if args.year is not None:
        if not (args.year.isdigit() and 1 <= int(args.year) <= 9999):
            raise UsageError(f"--year: {args.year!r} is not a year 1-9999")
        year = int(args.year)
        return date(year, 1, 1), date(year, 12, 31), True
    if args.month is not None:
        try:
            first = datetime.strptime(args.month, "%Y-%m").date()
        except ValueError as err:
            raise UsageError(f"--month: {args.month!r} is not YYYY-MM (e.g. 2026-11)") from err
    else:
        today = datetime.now(zone).date() if zone is not None else date.today()
        first = (_strip_day(args) or today).replace(day=1)
    length = calendar.monthrange(first.year, first.month)[1]
    return first, first.replace(day=length), False


def _use_color(choice: str, out: TextIO) -> bool:
    if choice != "auto":
        return choice == "always"
    return bool(getattr(out, "isatty", lambda: False)()) and "NO_COLOR" not in os.environ


def _cmd_show(args: argparse.Namespace, out: TextIO) -> int:
    zone = _zone(args.tz)
    expr = CronExpr(args.expr, tz=zone)
    first, last, whole_year = _period(args, zone)
    strip_day = _strip_day(args)
    if strip_day is not None and not first <= strip_day <= last:
        raise UsageError(f"--day: {strip_day} is not in the month or year drawn")
    lines = render(
        expr,
        zone,
        first,
        last,
        whole_year=whole_year,
        sentence=describe(expr),
        color=_use_color(args.color, out),
        strip_day=strip_day,
    )
    out.write("\n".join(lines) + "\n")
    return EXIT_OK


def _run(args: argparse.Namespace, out: TextIO) -> int:
    if args.command == "next":
        return _cmd_next(args, out)
    if args.command == "check":
        out.write(canonical(CronExpr(args.expr).fields) + "\n")
        return EXIT_OK
    if args.command == "explain":
        out.write(describe(CronExpr(args.expr)) + "\n")
        return EXIT_OK
    return _cmd_show(args, out)


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run the command line; returns the exit status (argparse exits 2 on its own errors)."""
    parser = build_parser()
    args = parser.parse_args(_with_command(sys.argv[1:] if argv is None else argv))
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    stream = sys.stdout if out is None else out
    try:
        return _run(args, stream)
    except CronError as err:
        sys.stderr.write(f"cronsec: invalid expression: {err}\n")
        return EXIT_INVALID
    except UsageError as err:
        sys.stderr.write(f"cronsec: {err}\n")
        return EXIT_USAGE
    except OverflowError as err:
        sys.stderr.write(f"cronsec: {err}\n")
        return EXIT_USAGE
