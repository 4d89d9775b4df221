"""The command line: ``cronsec next | check | explain | show | lint | status``.

Standard-library ``argparse`` only, so the core keeps no dependency. Without a
command, ``cronsec EXPR ...`` means ``cronsec next EXPR ...`` (the README's
first command). Exit status, for scripts: 0 done; 1 an expression is invalid
(``lint``: a finding of severity error, or any finding with ``--strict``);
2 a usage error (an unknown option or zone, a malformed date, a file that
cannot be read, ``status``: a server that cannot be read).
"""

from __future__ import annotations

import argparse
import calendar
import json
import os
import sys
from collections.abc import Sequence
from datetime import date, datetime, timezone, tzinfo
from itertools import islice
from typing import Any, NoReturn, TextIO

from . import __version__, _zones
from ._describe import describe
from ._errors import CronError
from ._expr import CronExpr
from ._format import canonical
from ._hints import hint, looks_like_field, split_hint
from ._lint import Finding, dst_note, is_system_path, lint
from ._show import render
from ._status import StatusError, fetch_jobs, table

COMMANDS = ("next", "check", "explain", "show", "lint", "status")
EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2

_EXIT_NOTE = (
    "exit status: 0 done, 1 an expression is invalid, 2 a usage error (bad option, zone or date)"
)
_LINT_EXIT = (
    "exit status: 0 no errors (warnings alone pass, unless --strict), 1 errors found, "
    "2 a file cannot be read"
)
_EXPR_HELP = 'a cron expression in quotes: 5, 6 or 7 fields, or a @macro (e.g. "*/5 * * * *")'
_EXPRS_HELP = 'one or more cron expressions, each in quotes (e.g. "*/5 * * * *" @daily)'
_JSON_HELP = "print one JSON array, one object per expression (shapes: docs/cli.md)"


class UsageError(Exception):
    """A bad argument: reported with exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse with hints that fit the slip: an unquoted expression, or see --help."""

    def error(self, message: str) -> NoReturn:
        if "unrecognized arguments: " in message:
            extras = message.split("unrecognized arguments: ", 1)[1].split()
            if extras and all(looks_like_field(word) for word in extras):
                message += (
                    " (they look like more fields of the expression: quote it whole, "
                    'e.g. cronsec show "0 9 * * 1-5")'
                )
            else:
                message += " (see cronsec COMMAND --help)"
        super().error(message)


def _formatter(prog: str) -> argparse.HelpFormatter:
    return argparse.RawDescriptionHelpFormatter(prog, max_help_position=28)


def build_parser() -> argparse.ArgumentParser:
    """The parser for all commands (each with an example in its --help)."""
    parser = _Parser(
        prog="cronsec",
        formatter_class=_formatter,
        description="Cron expressions with exact fire times: list, check, explain and show "
        "them; lint crontab files; read a running scheduler's jobs.",
        epilog=(
            "examples:\n"
            '  cronsec next "*/5 * * * * 1-5" -n 5      (also: cronsec "*/5 * * * * 1-5" -n 5)\n'
            '  cronsec check "0 0-23/5 * * *" @daily --json\n'
            '  cronsec explain "0 30 4 1,15 * 5"\n'
            '  cronsec show "0 0 12 13 * 5" --month 2026-12\n'
            '  cronsec show "0 0 * * * *" --tz America/New_York --day 2026-03-08\n'
            "  cronsec lint /etc/crontab\n"
            "  cronsec status http://127.0.0.1:8080\n\n" + _EXIT_NOTE
        ),
    )
    parser.add_argument("--version", action="version", version=f"cronsec {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(
        name: str, summary: str, example: str, *, many: bool = True, note: str = _EXIT_NOTE
    ) -> argparse.ArgumentParser:
        sub = commands.add_parser(
            name,
            help=summary,
            description=summary,
            formatter_class=_formatter,
            epilog=f"example:\n  {example}\n\n{note}",
        )
        if many:
            sub.add_argument("expr", metavar="EXPR", nargs="+", help=_EXPRS_HELP)
            sub.add_argument("--json", action="store_true", help=_JSON_HELP)
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
        "Validate expressions: print each normalised, or the error with a caret.",
        'cronsec check "*/1 0-23/5 * * *"      (prints: 0 * */5 * * *)',
    )
    explain = command(
        "explain",
        "Say in one English sentence when an expression fires.",
        'cronsec explain "0 30 2 * * *" --tz Europe/Berlin',
    )
    explain.add_argument(
        "--tz",
        metavar="ZONE",
        help="read the times in this IANA zone, and say what its DST gap does to them",
    )
    show = command(
        "show",
        "Draw a month (or a year) of calendar marking the days that fire and how many "
        "times, and a 24-hour strip of the first such day.",
        'cronsec show "0 0 12 13 * 5" --month 2026-12',
        many=False,
    )
    show.add_argument("expr", metavar="EXPR", help=_EXPR_HELP)
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
    _lint_parser(command)
    _status_parser(command)
    return parser


def _lint_parser(command: Any) -> None:
    lint_cmd = command(
        "lint",
        "Check crontab files as cron reads them: each problem as FILE:LINE:COL: "
        "error|warning: message, with the line and a caret.",
        "cronsec lint /etc/crontab /etc/cron.d/*      (crontab -l | cronsec lint -)",
        many=False,
        note=_LINT_EXIT,
    )
    lint_cmd.add_argument("files", metavar="FILE", nargs="+", help="a crontab file, or - for stdin")
    kind = lint_cmd.add_mutually_exclusive_group()
    kind.add_argument(
        "--system",
        action="store_true",
        help="lines have a user column before the command (default: only for a file named "
        "crontab in a directory named etc, or any file in a directory named cron.d)",
    )
    kind.add_argument(
        "--user", action="store_true", help="no user column, even for /etc/crontab or cron.d"
    )
    lint_cmd.add_argument(
        "--seconds",
        action="store_true",
        help="job lines are cronsec's own: six fields, second first (seven with a year)",
    )
    lint_cmd.add_argument("--strict", action="store_true", help="warnings fail too (exit status 1)")
    lint_cmd.add_argument(
        "--tz",
        metavar="ZONE",
        help="the zone cron runs in, for the DST check of lines before any CRON_TZ=",
    )
    lint_cmd.add_argument(
        "--year", type=int, metavar="YYYY", help="the year whose DST gaps are checked (this one)"
    )
    lint_cmd.add_argument(
        "--json", action="store_true", help="print the findings as one JSON array"
    )


def _status_parser(command: Any) -> None:
    status = command(
        "status",
        "Print the jobs table of a running scheduler (GET URL/jobs of its HTTP API).",
        "cronsec status http://127.0.0.1:8080 --token-file ~/.cronsec-token",
        many=False,
        note="exit status: 0 done, 2 the server cannot be reached or read",
    )
    status.add_argument(
        "url", metavar="URL", help="where the scheduler serves, e.g. http://127.0.0.1:8080"
    )
    status.add_argument(
        "--token",
        metavar="TOKEN",
        help="sent as Authorization: Bearer (default: $CRONSEC_TOKEN; prefer it or "
        "--token-file, a command line is visible to other users)",
    )
    status.add_argument("--token-file", metavar="PATH", help="read the token from this file")
    status.add_argument(
        "--timeout", type=float, default=10.0, metavar="SECONDS", help="give up after (10)"
    )
    status.add_argument(
        "--json", action="store_true", help="print the job objects as served, as JSON"
    )


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


# -- next, check, explain: one or more expressions -----------------------------------------


class _Batch:
    """Results of one command over several expressions: text as it goes, or JSON at the end."""

    def __init__(self, args: argparse.Namespace, out: TextIO) -> None:
        self.out, self.json = out, bool(args.json)
        self.many = len(args.expr) > 1
        self.results: list[dict[str, Any]] = []
        self.status = EXIT_OK
        words = split_hint(args.expr)
        if words is not None:
            raise UsageError(words)

    def parse(self, text: str, zone: tzinfo | None = None) -> CronExpr | None:
        try:
            return CronExpr(text, tz=zone)
        except CronError as err:
            self.invalid(text, err)
            return None

    def invalid(self, text: str, err: CronError) -> None:
        self.status = EXIT_INVALID
        extra = hint(text, err)
        self.results.append({"expr": text, "valid": False, "error": _error_json(err, extra)})
        if not self.json:
            sys.stderr.write(f"cronsec: invalid expression: {err}\n")
            if extra:
                sys.stderr.write(f"cronsec: hint: {extra}\n")

    def line(self, text: str, result: str) -> None:
        if not self.json:
            self.out.write(f"{text.strip()}: {result}\n" if self.many else result + "\n")

    def finish(self) -> int:
        if self.json:
            self.out.write(json.dumps(self.results, indent=2, ensure_ascii=False) + "\n")
        return self.status


def _error_json(err: CronError, extra: str | None) -> dict[str, Any]:
    return {
        "message": f"{err.field}: {err.reason}" if err.field else err.reason,
        "field": err.field,
        "token": err.token,
        "position": err.position,
        "hint": extra,
    }


def _ran_out(expr: CronExpr, start: datetime | None, reverse: bool) -> str:
    """Why an expression has no further fire times, when its year field says so."""
    years = expr.fields.years
    if not years:
        return ""
    now = start.year if start is not None else datetime.now(timezone.utc).year
    if not reverse and years[-1] < now:
        return f"; its last year, {years[-1]}, has passed"
    if not reverse and years[-1] == now:
        return f"; {years[-1]} is its last year"
    if reverse and years[0] > now:
        return f"; its first year is {years[0]}"
    return ""


def _cmd_next(args: argparse.Namespace, out: TextIO) -> int:
    if args.n < 0:
        raise UsageError("-n must be 0 or more")
    zone = _zone(args.tz)
    start = _start(args.start, zone)
    batch = _Batch(args, out)
    for text in args.expr:
        expr = batch.parse(text, zone)
        if expr is None:
            continue
        times = [t.isoformat() for t in islice(expr.iter(start, reverse=args.reverse), args.n)]
        batch.results.append(
            {"expr": text, "valid": True, "tz": args.tz, "times": times,
             "complete": len(times) == args.n}
        )  # fmt: skip
        if not batch.json:
            if batch.many:
                out.write(text.strip() + "\n")
            indent = "  " if batch.many else ""
            out.writelines(f"{indent}{t}\n" for t in times)
        if len(times) < args.n and not batch.json:
            why = _ran_out(expr, start, args.reverse)
            sys.stderr.write(
                f"cronsec: {text.strip()}: no further fire times "
                f"({len(times)} of {args.n} printed){why}\n"
            )
    return batch.finish()


def _cmd_check(args: argparse.Namespace, out: TextIO) -> int:
    batch = _Batch(args, out)
    for text in args.expr:
        expr = batch.parse(text)
        if expr is not None:
            normal = canonical(expr.fields)
            batch.results.append({"expr": text, "valid": True, "normal": normal})
            batch.line(text, normal)
    return batch.finish()


def _cmd_explain(args: argparse.Namespace, out: TextIO) -> int:
    zone = _zone(args.tz)
    batch = _Batch(args, out)
    year = datetime.now(zone or timezone.utc).year
    for text in args.expr:
        expr = batch.parse(text, zone)
        if expr is None:
            continue
        sentence = describe(expr, say_every_day=True)
        note = None
        if zone is not None:
            sentence += f", {args.tz} time"
            note = dst_note(text, args.tz, zone, year)
        result = {"expr": text, "valid": True, "tz": args.tz, "sentence": sentence, "dst": note}
        batch.results.append(result)
        batch.line(text, sentence + (f"; {note}" if note else ""))
    return batch.finish()


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
        sentence=describe(expr, say_every_day=True),
        color=_use_color(args.color, out),
        strip_day=strip_day,
    )
    out.write("\n".join(lines) + "\n")
    return EXIT_OK


# -- lint ----------------------------------------------------------------------------------


def _read(path: str) -> str:
    """A crontab's text ('-': standard input); unreadable is a UsageError (exit status 2)."""
    try:
        if path == "-":
            return sys.stdin.read()
        with open(path, "rb") as handle:
            return handle.read().decode("utf-8", errors="replace")
    except OSError as err:
        raise UsageError(f"cannot read {path}: {err.strerror or err}") from err
    except UnicodeDecodeError as err:  # a text-mode stdin with another encoding
        raise UsageError(f"cannot read {path}: {err}") from err


def _visible(text: str) -> str:
    """The line as printed: tabs kept, other control characters as '?'."""
    return "".join(c if c.isprintable() or c == "\t" else "?" for c in text)


def finding_lines(name: str, finding: Finding) -> list[str]:
    """``FILE:LINE:COL: severity: message``, the line, and a caret under the spot."""
    pad = "".join("\t" if c == "\t" else " " for c in finding.source[: finding.col - 1])
    return [
        f"{name}:{finding.line}:{finding.col}: {finding.severity}: {finding.message}",
        "  " + _visible(finding.source),
        "  " + pad + "^" * finding.width,
    ]


def _cmd_lint(args: argparse.Namespace, out: TextIO) -> int:
    if args.tz is not None:
        _zone(args.tz)
    if args.year is not None and not 1 <= args.year <= 9998:
        raise UsageError("--year must be 1-9998")
    status, errors, warnings = EXIT_OK, 0, 0
    report: list[dict[str, Any]] = []
    for path in args.files:
        name = "<stdin>" if path == "-" else path
        try:
            text = _read(path)
        except UsageError as err:
            sys.stderr.write(f"cronsec: {err}\n")
            status = EXIT_USAGE
            continue
        system = args.system or (not args.user and path != "-" and is_system_path(path))
        findings = lint(text, system=system, seconds=args.seconds, tz=args.tz, year=args.year)
        for finding in findings:
            if args.json:
                report.append(
                    {"file": name, "line": finding.line, "col": finding.col,
                     "severity": finding.severity, "code": finding.code,
                     "message": finding.message}
                )  # fmt: skip
            else:
                out.write("\n".join(finding_lines(name, finding)) + "\n")
        errors += sum(f.severity == "error" for f in findings)
        warnings += sum(f.severity == "warning" for f in findings)
    if args.json:
        out.write(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    elif errors or warnings:
        sys.stderr.write(
            f"cronsec lint: {errors} error{'' if errors == 1 else 's'}, "
            f"{warnings} warning{'' if warnings == 1 else 's'}\n"
        )
    if status == EXIT_USAGE:
        return status
    return EXIT_INVALID if errors or (args.strict and warnings) else EXIT_OK


# -- status --------------------------------------------------------------------------------


def _token(args: argparse.Namespace) -> str | None:
    if args.token_file is not None:
        try:
            with open(args.token_file, encoding="utf-8") as handle:
                return handle.read().strip() or None
        except OSError as err:
            raise UsageError(f"cannot read {args.token_file}: {err.strerror or err}") from err
    return args.token or os.environ.get("CRONSEC_TOKEN") or None


def _cmd_status(args: argparse.Namespace, out: TextIO) -> int:
    if not args.timeout > 0:
        raise UsageError("--timeout must be more than 0")
    try:
        jobs = fetch_jobs(args.url, token=_token(args), timeout=args.timeout)
    except StatusError as err:
        raise UsageError(str(err)) from None
    if args.json:
        out.write(json.dumps(jobs, indent=2, ensure_ascii=False) + "\n")
    elif not jobs:
        out.write("no jobs\n")
    else:
        out.write("\n".join(table(jobs)) + "\n")
    return EXIT_OK


_RUN = {
    "next": _cmd_next,
    "check": _cmd_check,
    "explain": _cmd_explain,
    "show": _cmd_show,
    "lint": _cmd_lint,
    "status": _cmd_status,
}


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run the command line; returns the exit status (argparse exits 2 on its own errors)."""
    parser = build_parser()
    args = parser.parse_args(_with_command(sys.argv[1:] if argv is None else argv))
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    stream = sys.stdout if out is None else out
    try:
        return _RUN[args.command](args, stream)
    except CronError as err:
        sys.stderr.write(f"cronsec: invalid expression: {err}\n")
        extra = hint(err.text, err)
        if extra:
            sys.stderr.write(f"cronsec: hint: {extra}\n")
        return EXIT_INVALID
    except UsageError as err:
        sys.stderr.write(f"cronsec: {err}\n")
        return EXIT_USAGE
    except OverflowError as err:
        sys.stderr.write(f"cronsec: {err}\n")
        return EXIT_USAGE
