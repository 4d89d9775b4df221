"""The command line: ``cronsec EXPR -n N`` prints the next fire times."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from itertools import islice
from typing import List, Optional

from ._errors import CronError
from ._expr import CronExpr


def main(argv: Optional[List[str]] = None) -> int:
    """Run the command line; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="cronsec",
        description="Print the next fire times of a cron expression, one per line (ISO 8601).",
        epilog='example: cronsec "*/5 * * * * 1-5" -n 5',
    )
    parser.add_argument("expr", help="a cron expression (5, 6 or 7 fields, or a @macro)")
    parser.add_argument("-n", type=int, default=5, help="how many fire times (default 5)")
    parser.add_argument("--tz", help="an IANA zone name, e.g. Europe/Riga")
    parser.add_argument("--from", dest="start", help="start from this ISO 8601 time")
    parser.add_argument("--reverse", action="store_true", help="earlier fire times instead")
    args = parser.parse_args(argv)
    try:
        expr = CronExpr(args.expr, tz=args.tz)
        start = datetime.fromisoformat(args.start) if args.start else None
        if start is not None and expr.tz is not None and start.utcoffset() is None:
            start = start.replace(tzinfo=expr.tz)
        for fire in islice(expr.iter(start, reverse=args.reverse), max(args.n, 0)):
            print(fire.isoformat())
    except CronError as err:
        print(f"cronsec: {err}", file=sys.stderr)
        return 1
    except ValueError as err:
        print(f"cronsec: {err}", file=sys.stderr)
        return 2
    return 0
