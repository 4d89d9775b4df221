"""The command line: every command, its exit codes, and the ``show`` picture in plain text.

Expected calendars are built from the ``calendar`` module and the days each
expression is known to fire on (a predicate written from its meaning), never
from the implementation's own output.
"""

from __future__ import annotations

import calendar
import io
import json
import socket
import subprocess
import sys
import threading
from datetime import date, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from cronsec._cli import main

HEADER = "Mo      Tu      We      Th      Fr      Sa      Su"
STRIP_RULER = "00 03 06 09 12 15 18 21"


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def month_picture(year: int, month: int, counts: dict[int, int]) -> list[str]:
    """The month grid as `show` draws it: day, then `*` and the count on firing days."""
    # Cells are 8 wide; a count of 5 or more digits widens every cell so that at
    # least one space follows the widest count (`9*86400 10*86400`, never run together).
    widest = max((len(str(n)) for n in counts.values()), default=1)
    width = 8 if widest <= 4 else 2 + 1 + widest + 1
    header = HEADER if width == 8 else "".join(n.ljust(width) for n in HEADER.split()).rstrip()
    lines = [f"{calendar.month_name[month]} {year}", header]
    for week in calendar.monthcalendar(year, month):  # Monday first
        cells = []
        for day in week:
            if day == 0:
                cells.append(" " * width)
            elif counts.get(day):
                cells.append(f"{day:>2}*{counts[day]}".ljust(width))
            else:
                cells.append(f"{day:>2}".ljust(width))
        lines.append("".join(cells).rstrip())
    return lines


def year_block(year: int, month: int, fires: set[date]) -> list[str]:
    """One small month of the year view: `*` after each firing day."""
    lines = [f"{calendar.month_name[month]:<21}", "Mo Tu We Th Fr Sa Su "]
    for week in calendar.monthcalendar(year, month):
        cells = ""
        for day in week:
            if day == 0:
                cells += "   "
            else:
                cells += f"{day:>2}" + ("*" if date(year, month, day) in fires else " ")
        lines.append(cells)
    return lines


def shown_month(out: str) -> list[str]:
    """The calendar lines of `show` output: after the three head lines, up to a blank."""
    lines = out.splitlines()[3:]
    return lines[: lines.index("")]


def days_of(year: int, month: int) -> list[date]:
    return [date(year, month, d) for d in range(1, calendar.monthrange(year, month)[1] + 1)]


# -- next ------------------------------------------------------------------------------------


def test_next_prints_iso_times_from_a_start():
    # 2026-11-23 is a Monday.
    assert date(2026, 11, 23).weekday() == 0
    code, out = run("next", "*/5 * * * * 1-5", "-n", "3", "--from", "2026-11-23T09:00:01")
    assert code == 0
    assert out.splitlines() == [
        "2026-11-23T09:00:05",
        "2026-11-23T09:00:10",
        "2026-11-23T09:00:15",
    ]


def test_no_command_means_next():
    argv = ("*/5 * * * * 1-5", "-n", "2", "--from", "2026-11-27T23:59:58")  # a Friday night
    assert run(*argv) == run("next", *argv)
    assert run(*argv)[1].splitlines() == ["2026-11-30T00:00:00", "2026-11-30T00:00:05"]


def test_next_reverse_goes_back_newest_first():
    code, out = run("next", "0 0 12 13 * 5", "-n", "3", "--reverse", "--from", "2026-12-14")
    assert code == 0
    assert out.splitlines() == [
        "2026-12-13T12:00:00",  # the 13th (a Sunday)
        "2026-12-11T12:00:00",  # Friday
        "2026-12-04T12:00:00",  # Friday
    ]


def test_next_in_a_zone_reads_a_naive_start_there():
    # Riga is UTC+2 in winter; Monday to Friday at 09:30.
    code, out = run(
        "next", "0 30 9 * * mon-fri", "-n", "2", "--tz", "Europe/Riga", "--from", "2026-11-27T10:00"
    )
    assert code == 0
    assert out.splitlines() == ["2026-11-30T09:30:00+02:00", "2026-12-01T09:30:00+02:00"]


def test_next_accepts_a_z_suffix_and_keeps_the_offset():
    code, out = run("next", "0 0 * * * *", "-n", "1", "--from", "2026-11-23T09:30:00Z")
    assert (code, out) == (0, "2026-11-23T10:00:00+00:00\n")


def test_next_without_a_start_gives_aware_times_that_fire():
    code, out = run("next", "*/5 * * * * 1-5", "-n", "3")
    times = [datetime.fromisoformat(line) for line in out.splitlines()]
    assert code == 0 and len(times) == 3
    assert all(t.utcoffset() is not None and t.second % 5 == 0 for t in times)
    assert all(t.weekday() < 5 for t in times)
    assert times == sorted(set(times))


def test_next_zero_prints_nothing_and_a_negative_count_is_a_usage_error(capsys):
    assert run("next", "* * * * *", "-n", "0", "--from", "2026-01-01") == (0, "")
    assert run("next", "* * * * *", "-n", "-1")[0] == 2
    assert "-n must be 0 or more" in capsys.readouterr().err


def test_next_stops_where_the_years_end(capsys):
    code, out = run("next", "0 0 0 1 1 * 2026,2027", "-n", "5", "--from", "2026-06-01")
    assert code == 0
    assert out.splitlines() == ["2027-01-01T00:00:00"]
    assert "no further fire times (1 of 5 printed)" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("next", "* * * * *", "--from", "yesterday"), "not an ISO 8601 time"),
        (("next", "* * * * *", "--tz", "Mars/Olympus_Mons"), "unknown time zone"),
        (("show", "* * * * *", "--month", "2026-13"), "is not YYYY-MM"),
        (("show", "* * * * *", "--year", "20x6"), "is not a year"),
        (("show", "* * * * *", "--tz", "Nowhere/At_All"), "unknown time zone"),
    ],
)
def test_bad_arguments_exit_2_with_a_message(capsys, argv, message):
    assert run(*argv)[0] == 2
    assert message in capsys.readouterr().err


def test_invalid_expression_exits_1_with_the_caret(capsys):
    for command in ("next", "check", "explain", "show"):
        code, out = run(command, "0 0 32 * *")
        err = capsys.readouterr().err
        assert (code, out) == (1, "")
        assert "day-of-month" in err and "32" in err
        assert err.splitlines()[-2:] == ["  0 0 32 * *", "      ^^"]


def test_an_unquoted_expression_is_a_usage_error_with_the_quoted_form(capsys):
    # The shell split `*/5 * * * *` into five arguments (and found no file to expand * into).
    assert run("next", "*/5", "*", "*", "*", "*") == (2, "")
    assert 'quote it: "*/5 * * * *"' in capsys.readouterr().err
    # Here it did expand `*` into file names: not fields, so say that.
    assert run("next", "0", "9", "README.md", "docs", "1-5") == (2, "")
    assert "expanded by the shell into file names" in capsys.readouterr().err
    # show takes one expression: argparse reports the extra fields, with the same advice.
    with pytest.raises(SystemExit) as stop:
        run("show", "*/5", "*", "*", "*", "*")
    assert stop.value.code == 2
    assert "quote it whole" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stop:
        run("show", "* * * * *", "--month", "2026-01", "--year", "2026")
    assert stop.value.code == 2


def test_an_unknown_option_after_a_quoted_expression_does_not_say_quote(capsys):
    with pytest.raises(SystemExit) as stop:
        run("show", "0 9 * * 1-5", "--colour", "never")
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert "quote" not in err and "--help" in err


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        # a year where day-of-week is: seconds and day-of-week added, the year seventh
        ("0 0 12 * * 2027",
         '2027 looks like a year: the year is the seventh field, after second minute hour '
         'day-of-month month day-of-week, e.g. "0 0 0 12 * * 2027"'),
        ("0 12 * * 2027", 'e.g. "0 0 12 * * * 2027"'),
        # a crontab line with its command
        ("*/5 * * * * /usr/bin/backup --full",
         'this looks like a crontab line: the schedule is "*/5 * * * *" and the command '
         '"/usr/bin/backup --full"'),
        ("@every 5m", '@every is not cron (it comes from Go\'s robfig/cron); every 5m is '
         '"0 */5 * * * *"'),
        ("@every 30s", 'every 30s is "*/30 * * * * *"'),
        ("@every 2h", 'every 2h is "0 0 */2 * * *"'),
        ("@every 7m", "no cron expression fires every 7m evenly"),
        ("@reboot", "@reboot runs a crontab job once when cron starts"),
        ("@dayly", "did you mean @daily?"),
    ],
)  # fmt: skip
def test_invalid_expressions_get_a_hint_that_fits(capsys, text, hint):
    assert run("check", text) == (1, "")
    err = capsys.readouterr().err
    hint_line = next(line for line in err.splitlines() if line.startswith("cronsec: hint: "))
    assert hint in hint_line
    assert "quote the expression" not in err


def test_a_plain_field_error_gets_no_hint(capsys):
    assert run("check", "0 0 32 * *")[0] == 1
    assert "hint" not in capsys.readouterr().err


def test_no_arguments_prints_help_and_exits_2(capsys):
    assert run() == (2, "")
    assert "next" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["", "next", "check", "explain", "show", "lint", "status"])
def test_every_help_has_an_example(capsys, command):
    with pytest.raises(SystemExit) as stop:
        run(*([command] if command else []), "--help")
    assert stop.value.code == 0
    text = capsys.readouterr().out
    assert "example" in text and "cronsec " in text and "exit status" in text


def test_version(capsys):
    with pytest.raises(SystemExit):
        run("--version")
    assert capsys.readouterr().out.startswith("cronsec ")


# -- check and explain -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("*/1 * * * *", "0 * * * * *"),
        ("0 0-23/5 * * *", "0 0 */5 * * *"),
        ("*/1 0-23/5 * * *", "0 * */5 * * *"),
        ("@daily", "0 0 0 * * *"),
        ("@hourly", "0 0 * * * *"),
        ("0 0 0 ? * MON-FRI", "0 0 0 * * 1-5"),
        ("0 0 0 1-31 * 1", "0 0 0 * * 1"),
        ("0 0 0 *,L * 5", "0 0 0 * * 5"),
        ("0 0 0 L * fri", "0 0 0 L * 5"),
        ("0 0 22-2 * * *", "0 0 22-2 * * *"),
        ("0 0 22,23,0,1,2 * * *", "0 0 22-2 * * *"),
        ("0 0 0 * * FRI-MON", "0 0 0 * * 5-1"),
        ("0 0 0 * * SAT,SUN", "0 0 0 * * 0,6"),
        ("0 0 0 * * 7", "0 0 0 * * 0"),
        ("0 0,30 * * * *", "0 */30 * * * *"),
        ("0 5,35 * * * *", "0 5,35 * * * *"),
        ("0 5-59/15 * * * *", "0 5/15 * * * *"),
        ("0 0 9 l-3W,15w * fri#2,5L", "0 0 9 L-3W,15W * 5#2,5L"),
        ("0 0 12 * * MON 2027-2030", "0 0 12 * * 1 2027-2030"),
        ("0 0 0 1 1 * 1970-9999", "0 0 0 1 1 *"),
        ("0 0 0 1 1 * */3,*/2", "0 0 0 1 1 * */2,1973/3"),
        ("  0\t0   0 1 JAN *  ", "0 0 0 1 1 *"),
    ],
)
def test_check_prints_the_normalised_expression(text, normal):
    assert run("check", text) == (0, normal + "\n")


def test_explain_says_every_day_when_no_day_is_restricted():
    assert run("explain", "0 0 * * *") == (0, "at 00:00:00 every day\n")
    assert run("explain", "0 30 4,16 * * *") == (0, "at 04:30:00 and 16:30:00 every day\n")
    assert run("explain", "0 0 0 * NOV-FEB *") == (
        0,
        "at 00:00:00 every day, in November through February\n",
    )
    # intervals and restricted days read as before
    assert run("explain", "0 0 */2 * * *") == (0, "every 2 hours\n")
    assert run("explain", "0 0 9 * * 1-5") == (0, "at 09:00:00, Monday through Friday\n")


def last_sunday_of_march(year: int) -> date:
    day = date(year, 3, 31)
    return day - timedelta(days=(day.weekday() + 1) % 7)


def test_explain_in_a_zone_says_what_the_dst_gap_does():
    # Berlin skips 02:00-03:00 on the last Sunday of March (EU rule since 1996).
    year = datetime.now(timezone.utc).year
    gap_day = last_sunday_of_march(year)
    code, out = run("explain", "0 30 2 * * *", "--tz", "Europe/Berlin")
    assert code == 0
    assert out == (
        f"at 02:30:00 every day, Europe/Berlin time; 02:30:00 on {gap_day} does not exist in "
        "Europe/Berlin (clocks skip 02:00-02:59:59): cronsec fires it once at 03:00:00, "
        "right after the gap\n"
    )
    assert run("explain", "0 30 9 * * *", "--tz", "Europe/Berlin") == (
        0,
        "at 09:30:00 every day, Europe/Berlin time\n",
    )
    assert run("explain", "0 0 * * *", "--tz", "Mars/Base")[0] == 2


def test_several_expressions_in_one_call(capsys):
    assert run("check", "*/1 * * * *", "@daily") == (
        0,
        "*/1 * * * *: 0 * * * * *\n@daily: 0 0 0 * * *\n",
    )
    # one invalid among them: the others are still answered, status 1
    code, out = run("explain", "0 0 * * *", "0 0 32 * *", "@hourly")
    assert code == 1
    assert out == "0 0 * * *: at 00:00:00 every day\n@hourly: every hour\n"
    assert "value 32 is out of range 1-31" in capsys.readouterr().err
    code, out = run("next", "0 0 0 * * *", "0 0 12 * * *", "-n", "2", "--from", "2026-11-23")
    assert (code, out.splitlines()) == (
        0,
        [
            "0 0 0 * * *",
            "  2026-11-24T00:00:00",
            "  2026-11-25T00:00:00",
            "0 0 12 * * *",
            "  2026-11-23T12:00:00",
            "  2026-11-24T12:00:00",
        ],
    )


def test_json_shapes(capsys):
    code, out = run("next", "0 0 12 * * *", "0 0 32 * *", "-n", "2", "--from", "2026-11-23",
                    "--json")  # fmt: skip
    assert code == 1
    assert json.loads(out) == [
        {"expr": "0 0 12 * * *", "valid": True, "tz": None, "complete": True,
         "times": ["2026-11-23T12:00:00", "2026-11-24T12:00:00"]},
        {"expr": "0 0 32 * *", "valid": False,
         "error": {"message": "day-of-month: value 32 is out of range 1-31",
                   "field": "day-of-month", "token": "32", "position": 4, "hint": None}},
    ]  # fmt: skip
    assert capsys.readouterr().err == ""  # JSON mode: the errors are in the JSON only
    code, out = run("next", "0 0 0 1 1 * 2027", "-n", "3", "--from", "2026-06-01", "--tz",
                    "UTC", "--json")  # fmt: skip
    assert json.loads(out) == [
        {"expr": "0 0 0 1 1 * 2027", "valid": True, "tz": "UTC", "complete": False,
         "times": ["2027-01-01T00:00:00+00:00"]},
    ]  # fmt: skip
    assert json.loads(run("check", "*/1 0-23/5 * * *", "--json")[1]) == [
        {"expr": "*/1 0-23/5 * * *", "valid": True, "normal": "0 * */5 * * *"}
    ]
    assert json.loads(run("explain", "@weekly", "--json")[1]) == [
        {"expr": "@weekly", "valid": True, "tz": None, "sentence": "at 00:00:00 on Sunday",
         "dst": None}
    ]  # fmt: skip
    code, out = run("check", "0 0 12 * * 2027", "--json")
    assert code == 1
    assert json.loads(out)[0]["error"]["hint"].startswith("2027 looks like a year")


def test_next_names_the_year_that_has_passed(capsys):
    code, out = run("next", "0 0 0 1 1 * 2020", "--from", "2026-01-01")
    assert (code, out) == (0, "")
    assert "its last year, 2020, has passed" in capsys.readouterr().err


def test_explain_prints_one_sentence():
    assert run("explain", "*/5 * * * * 1-5") == (0, "every 5 seconds, Monday through Friday\n")
    assert run("explain", "0 30 4 1,15 * 5") == (
        0,
        "at 04:30:00 on day 1 and 15 of the month, and on Friday\n",
    )


# -- show ----------------------------------------------------------------------------------


def test_show_month_marks_the_13th_and_every_friday():
    code, out = run("show", "0 0 12 13 * 5", "--month", "2026-12")
    assert code == 0
    lines = out.splitlines()
    # Written out by hand from `cal 12 2026` (the 1st is a Tuesday, the 13th a Sunday).
    assert lines[:10] == [
        "0 0 12 13 * 5",
        "at 12:00:00 on day 13 of the month, and on Friday",
        "",
        "December 2026",
        HEADER,
        "         1       2       3       4*1     5       6",
        " 7       8       9      10      11*1    12      13*1",
        "14      15      16      17      18*1    19      20",
        "21      22      23      24      25*1    26      27",
        "28      29      30      31",
    ]
    assert lines[10:] == [
        "",
        "5 days with fire times in December 2026, 5 fire times in all.",
        "",
        "Friday 2026-12-04: 1 fire, at 12:00:00",
        STRIP_RULER,
        "." * 12 + "#" + "." * 11,
    ]


@pytest.mark.parametrize(
    ("text", "year", "month", "fires", "times", "per_day"),
    [
        # the last Monday-Friday of the month
        ("0 0 0 LW * *", 2026, 5,
         lambda d: d == max(x for x in days_of(2026, 5) if x.weekday() < 5), ["00:00:00"], 1),
        # the second Friday
        ("0 0 9 * * FRI#2", 2026, 1, lambda d: d.weekday() == 4 and 8 <= d.day <= 14,
         ["09:00:00"], 1),
        # the last day and every Friday (both day fields restricted: OR)
        ("0 0 0 L * 5", 2026, 2, lambda d: d.weekday() == 4 or d.day == 28, ["00:00:00"], 1),
        # Monday to Friday, every 15 minutes from 09:00 to 17:45
        ("0 */15 9-17 * * 1-5", 2026, 11, lambda d: d.weekday() < 5, None, 9 * 4),
        # every second
        ("* * * * * *", 2027, 2, lambda d: True, None, 86400),
    ],
)  # fmt: skip
def test_show_month_counts_match_the_calendar(text, year, month, fires, times, per_day):
    code, out = run("show", text, "--month", f"{year}-{month:02d}")
    assert code == 0
    lines = out.splitlines()
    days = [d for d in days_of(year, month) if fires(d)]
    grid = month_picture(year, month, {d.day: per_day for d in days})
    assert lines[3 : 3 + len(grid)] == grid
    total = per_day * len(days)
    plural = "s" if len(days) != 1 else ""
    period = f"{calendar.month_name[month]} {year}"
    assert f"{len(days)} day{plural} with fire times in {period}, {total} fire time" in out
    first = days[0]
    summary = lines[3 + len(grid) + 3]
    assert summary.startswith(f"{first.strftime('%A')} {first.isoformat()}: {per_day} fire")
    if times:
        assert summary.endswith("at " + " and ".join(times))


def test_show_every_second_keeps_the_day_counts_apart():
    # 86400 fire times a day: five digits, so the cells widen to 9 characters.
    code, out = run("show", "* * * * * *", "--month", "2027-02")
    assert code == 0
    grid = shown_month(out)
    assert grid[1] == "Mo       Tu       We       Th       Fr       Sa       Su"
    assert grid[2] == " 1*86400  2*86400  3*86400  4*86400  5*86400  6*86400  7*86400"
    assert grid[3].startswith(" 8*86400  9*86400 10*86400 ")
    assert "8640010" not in out


def test_show_day_strip_marks_each_hour_that_fires():
    _, out = run("show", "0 0,30 1,5,9-11,23 * * *", "--month", "2026-03")
    lines = out.splitlines()
    hours = {1, 5, 9, 10, 11, 23}
    assert lines[-3].startswith("Sunday 2026-03-01: 12 fires, from 01:00:00 through 23:30:00")
    assert lines[-2:] == [STRIP_RULER, "".join("#" if h in hours else "." for h in range(24))]


def test_show_lists_up_to_six_times_of_the_day():
    _, out = run("show", "0 0 6,12,18 * * *", "--month", "2026-03")
    assert "Sunday 2026-03-01: 3 fires, at 06:00:00, 12:00:00 and 18:00:00" in out


def test_show_year_marks_the_last_weekday_of_each_month():
    code, out = run("show", "0 0 0 LW * *", "--year", "2026")
    assert code == 0
    fires = {max(d for d in days_of(2026, m) if d.weekday() < 5) for m in range(1, 13)}
    blocks = [year_block(2026, m, fires) for m in range(1, 13)]
    expected = ["0 0 0 LW * *", "at 00:00:00 on the last weekday of the month", "", "2026"]
    for row in range(0, 12, 3):
        group = blocks[row : row + 3]
        height = max(len(b) for b in group)
        expected.append("")
        for i in range(height):
            parts = [b[i] if i < len(b) else " " * 21 for b in group]
            expected.append("  ".join(parts).rstrip())
    lines = out.splitlines()
    assert lines[: len(expected)] == expected
    assert "12 days with fire times in 2026, 12 fire times in all." in out
    assert "Friday 2026-01-30: 1 fire, at 00:00:00" in out  # 2026-01-31 is a Saturday


def test_show_a_period_without_fire_times_says_when_it_next_fires():
    code, out = run("show", "0 0 12 * * MON 2027-2030", "--month", "2026-06")
    assert code == 0
    assert "No fire times in June 2026." in out
    assert "Next fire time: 2027-01-04T12:00:00" in out  # the first Monday of 2027


def test_show_in_new_york_counts_the_dst_days():
    # 2026-03-08 02:00 EST -> 03:00 EDT (an hour skipped); 2026-11-01 02:00 EDT -> 01:00 EST.
    _, out = run("show", "0 0 * * * *", "--month", "2026-03", "--tz", "America/New_York")
    counts = {d.day: 24 for d in days_of(2026, 3)}
    counts[8] = 23  # hourly: no fire in the skipped hour
    assert shown_month(out) == month_picture(2026, 3, counts)
    assert out.splitlines()[0] == "0 0 * * * *  (America/New_York)"
    _, out = run("show", "0 0 * * * *", "--month", "2026-11", "--tz", "America/New_York")
    counts = {d.day: 24 for d in days_of(2026, 11)}
    counts[1] = 25  # hourly: 01:00 EDT and 01:00 EST
    assert shown_month(out) == month_picture(2026, 11, counts)
    assert "Sunday 2026-11-01: 25 fires, from 00:00:00 EDT through 23:00:00 EST" in out
    # A daily 02:30 still fires once on the 8th (at 03:00 EDT, SPEC 4).
    _, out = run("show", "0 30 2 * * *", "--month", "2026-03", "--tz", "America/New_York")
    assert shown_month(out) == month_picture(2026, 3, {d.day: 1 for d in days_of(2026, 3)})


def test_show_colour_only_when_asked_or_on_a_terminal(monkeypatch):
    plain = run("show", "0 0 12 13 * 5", "--month", "2026-12")[1]
    assert "\033[" not in plain
    assert "\033[" not in run("show", "0 0 12 13 * 5", "--month", "2026-12", "--color", "never")[1]
    coloured = run("show", "0 0 12 13 * 5", "--month", "2026-12", "--color", "always")[1]
    assert "\033[1;32m" in coloured
    assert coloured.replace("\033[1;32m", "").replace("\033[0m", "") == plain

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    out = Terminal()
    monkeypatch.delenv("NO_COLOR", raising=False)
    main(["show", "0 0 12 13 * 5", "--month", "2026-12"], out=out)
    assert "\033[" in out.getvalue()
    monkeypatch.setenv("NO_COLOR", "1")
    out = Terminal()
    main(["show", "0 0 12 13 * 5", "--month", "2026-12"], out=out)
    assert "\033[" not in out.getvalue()


def test_show_defaults_to_this_month():
    _, out = run("show", "0 0 0 * * *")
    today = date.today()
    assert f"{calendar.month_name[today.month]} {today.year}" in out.splitlines()[3]


def test_python_dash_m_runs_the_readme_command():
    done = subprocess.run(
        [sys.executable, "-m", "cronsec", "*/5 * * * * 1-5", "-n", "5"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    times = [datetime.fromisoformat(line) for line in done.stdout.splitlines()]
    assert len(times) == 5
    assert all(b - a >= timedelta(seconds=5) for a, b in zip(times, times[1:]))


def test_show_day_picks_the_strip_and_its_month():
    # New York skips 02:00-03:00 on 2026-03-08: hourly has no fire in hour 2 ...
    _, out = run("show", "0 0 * * * *", "--tz", "America/New_York", "--day", "2026-03-08")
    lines = out.splitlines()
    assert lines[3] == "March 2026"
    assert lines[-3] == "Sunday 2026-03-08: 23 fires, from 00:00:00 EST through 23:00:00 EDT"
    assert lines[-1] == "##." + "#" * 21
    # ... and a daily 02:30 runs once, at 03:00 EDT, right after the gap.
    _, out = run("show", "0 30 2 * * *", "--tz", "America/New_York", "--day", "2026-03-08")
    assert out.splitlines()[-3:] == [
        "Sunday 2026-03-08: 1 fire, at 03:00:00 EDT",
        STRIP_RULER,
        "..." + "#" + "." * 20,
    ]


def test_show_day_that_does_not_fire(capsys):
    _, out = run("show", "0 0 0 1 * *", "--day", "2026-03-08")
    assert out.splitlines()[-3:] == ["Sunday 2026-03-08: no fire times", STRIP_RULER, "." * 24]
    assert run("show", "0 0 0 1 * *", "--month", "2026-04", "--day", "2026-03-08")[0] == 2
    assert "not in the month or year drawn" in capsys.readouterr().err
    assert run("show", "0 0 0 1 * *", "--day", "2026-02-30")[0] == 2
    assert "is not YYYY-MM-DD" in capsys.readouterr().err


def test_show_at_the_ends_of_the_datetime_range():
    code, out = run("show", "59 59 23 * * *", "--month", "9999-12", "--day", "9999-12-31")
    assert code == 0
    assert out.splitlines()[-3] == "Friday 9999-12-31: 1 fire, at 23:59:59"
    code, out = run("show", "0 0 0 * * *", "--month", "0001-01")
    assert code == 0
    assert out.splitlines()[-3] == "Monday 0001-01-01: 1 fire, at 00:00:00"
    code, out = run("show", "0 0 0 1 1 * 2026", "--month", "2027-03")
    assert code == 0
    assert out.splitlines()[-2:] == ["No fire times in March 2027.", "It never fires after that."]


# -- status ----------------------------------------------------------------------------------

JOBS = [
    {"name": "refresh", "expr": "0 0 * * * *", "next_fire": "2026-11-23T10:00:00+00:00",
     "paused": False, "fires": 12, "misses": 0, "skips": 1, "errors": 0, "extra": "kept"},
    {"name": "report", "expr": "0 30 9 * * mon-fri", "next_fire": None,
     "paused": True, "fires": 3, "misses": 2, "skips": 0, "errors": 1},
]  # fmt: skip
TOKEN = "s3cret-token-value"


class _Stub(BaseHTTPRequestHandler):
    """GET /ok/jobs, /auth/jobs (needs the bearer TOKEN), /html/jobs, /boom/jobs, /odd/jobs."""

    seen: ClassVar[list[dict[str, str]]] = []

    def do_GET(self) -> None:
        _Stub.seen.append({"path": self.path, **dict(self.headers.items())})
        if self.path in ("/ok/jobs", "/auth/jobs"):
            if self.path == "/auth/jobs" and self.headers.get("Authorization") != f"Bearer {TOKEN}":
                self._send(401, b'{"error": "unauthorized"}', "application/json")
                return
            self._send(200, json.dumps(JOBS).encode(), "application/json")
        elif self.path == "/empty/jobs":
            self._send(200, b"[]", "application/json")
        elif self.path == "/html/jobs":
            self._send(200, b"<html>not json</html>", "text/html")
        elif self.path == "/odd/jobs":
            self._send(200, b'{"jobs": []}', "application/json")
        else:
            self._send(500, b"boom", "text/plain")

    def _send(self, code: int, body: bytes, kind: str) -> None:
        self.send_response(code)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def stub():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Stub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


def test_status_prints_the_jobs_table(stub):
    code, out = run("status", stub + "/ok/")
    assert code == 0
    # Columns two spaces apart; text left-aligned, counters right-aligned.
    assert out.splitlines() == [
        "NAME     EXPR                NEXT FIRE                  "
        "PAUSED  FIRES  MISSES  SKIPS  ERRORS",
        "refresh  0 0 * * * *         2026-11-23T10:00:00+00:00  "
        "no         12       0      1       0",
        "report   0 30 9 * * mon-fri  -                          "
        "yes         3       2      0       1",
    ]
    assert _Stub.seen[-1]["path"] == "/ok/jobs"
    assert "Authorization" not in _Stub.seen[-1]
    assert json.loads(run("status", stub + "/ok", "--json")[1]) == JOBS
    assert run("status", stub + "/empty") == (0, "no jobs\n")


def test_status_sends_the_token_and_never_prints_it(stub, capsys, monkeypatch, tmp_path):
    assert run("status", stub + "/auth", "--token", TOKEN)[0] == 0
    assert _Stub.seen[-1]["Authorization"] == f"Bearer {TOKEN}"
    monkeypatch.setenv("CRONSEC_TOKEN", TOKEN)
    assert run("status", stub + "/auth")[0] == 0
    monkeypatch.delenv("CRONSEC_TOKEN")
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    assert run("status", stub + "/auth", "--token-file", str(token_file))[0] == 0
    assert _Stub.seen[-1]["Authorization"] == f"Bearer {TOKEN}"
    capsys.readouterr()
    code, out = run("status", stub + "/auth", "--token", "wrong-" + TOKEN)
    err = capsys.readouterr().err
    assert (code, out) == (2, "")
    assert "HTTP 401" in err and "--token" in err
    assert TOKEN not in err


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/auth", "HTTP 401 Unauthorized (a token is needed"),
        ("/boom", "/boom/jobs: HTTP 500"),
        ("/html", "did not answer with JSON"),
        ("/odd", "did not answer with a JSON list of job objects"),
    ],
)
def test_status_errors_exit_2(stub, capsys, path, message):
    assert run("status", stub + path) == (2, "")
    assert message in capsys.readouterr().err


def test_status_connection_refused_and_bad_urls(capsys):
    with socket.socket() as probe:  # a port nothing listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert run("status", f"http://127.0.0.1:{port}", "--timeout", "5") == (2, "")
    assert "connection refused" in capsys.readouterr().err
    # A password in the URL is refused, and not repeated.
    assert run("status", f"http://user:pa55word@127.0.0.1:{port}") == (2, "")
    err = capsys.readouterr().err
    assert "--token" in err and "pa55word" not in err
    assert run("status", "ftp://example.org") == (2, "")
    assert "not an http:// or https:// URL" in capsys.readouterr().err
