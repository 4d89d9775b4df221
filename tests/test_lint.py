"""``cronsec lint``: a corpus of crontab files, each with its findings written out by hand.

Every expectation below was worked out from the file and crontab(5) / cronie's
parser, not copied from lint's output: a column is found by searching the
file's own line for the text the finding is about, so a wrong caret fails.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from cronsec._cli import main
from cronsec._lint import is_system_path, lint

CORPUS = Path(__file__).parent / "crontabs"
E, W = "error", "warning"
EOL = "end of line"  # the finding points just past the line's last character

# file -> [(line, where, severity, code)]; `where` is a column (int), the text the
# finding starts at (its first occurrence in the line), EOL, or None (any column).
EXPECTED: dict[str, list[tuple[int, object, str, str]]] = {
    # Debian's own files: clean
    "etc/crontab": [],
    "cron.d/e2scrub_all": [],
    "cron.d/php": [],
    "cron.d/sysstat": [],
    "cron.d/certbot": [],  # */12 hours divides the day
    "cron.d/anacron": [],
    "cron.d/popularity-contest": [],
    "cron.d/mdadm": [],  # its % are escaped as \%
    "cron.d/zfsutils-linux": [],
    # system files with mistakes
    "cron.d/pgdump-missing-user": [(3, "/usr/local", E, "user")],
    # `*/10 * * * * *`: the sixth word `*` would be the user; cron has no seconds
    "cron.d/heartbeat-six-fields": [(2, 14, E, "six-fields")],
    "cron.d/tmp-cleaner-typo-user": [(1, "root:", E, "user")],
    # Berlin skips 02:00-03:00 on 2026-03-29; 03:00 itself exists
    "cron.d/logrotate-berlin": [(3, 1, W, "dst-gap")],
    "cron.d/macros-system": [(2, 1, W, "reboot"), (3, "/usr/bin", E, "user")],
    # spaces around = are allowed; `5 * * * root` has only four time fields before root
    "cron.d/spaced-env-and-missing-field": [(4, "root", E, "field")],
    # user crontabs
    "user/alice": [],
    "user/bob-percent": [(2, "%", W, "percent")],
    "user/carol-dom-dow": [(2, "1,15", W, "dom-dow-or"), (3, "1-7", W, "dom-dow-or")],
    "user/dave-steps": [
        (1, "*/7", W, "uneven-step"),  # minutes: 60 is not a multiple of 7
        (2, "*/5", W, "uneven-step"),  # hours: 24 is not a multiple of 5
        (3, "*/2", W, "uneven-step"),  # days: the 31st and the 1st back to back
    ],  # */20 minutes and */6 hours divide evenly
    "user/erin-macros": [(1, 1, W, "reboot"), (5, 1, E, "macro"), (6, 1, E, "macro")],
    "user/frank-seconds": [(2, 14, E, "six-fields"), (3, 13, E, "six-fields")],
    "user/grace-env": [
        (1, "$HOME", W, "env-expansion"),
        (2, "#", W, "env-comment"),
        (3, 1, W, "tz-env"),
    ],
    # New York skips 02:00-03:00 on 2026-03-08: 02:30 moves to 03:00; the */10 job
    # loses the fire times of that hour; 01:00 is untouched
    "user/heidi-cron-tz": [(2, 1, W, "dst-gap"), (4, 1, W, "dst-gap")],
    "user/ivan-bad-zone": [(1, "Europe/Moskow", E, "unknown-zone")],
    "user/judy-fields": [
        (1, "24", E, "field"),
        (2, "60", E, "field"),
        (3, 5, E, "field"),  # day-of-month 0
        (4, "13", E, "field"),
        (5, "8", E, "field"),
        (6, None, E, "field"),  # the 31st of February never comes
    ],
    "user/kim-no-command": [
        (2, EOL, E, "no-command"),
        (3, EOL, E, "no-command"),
        (4, 1, E, "too-few-fields"),
    ],
    "user/leo-crlf": [(1, "\r", W, "crlf"), (2, "\r", W, "crlf")],
    "user/mallory-no-newline": [(2, EOL, E, "no-newline")],
    "user/nina-comment-no-newline": [],  # an unterminated comment loses nothing
    "user/oscar-extensions": [
        (1, "L", E, "extension"),
        (2, "5#2", E, "extension"),
        (3, "15W", E, "extension"),
        (4, "?", E, "extension"),
        (5, "5L", E, "extension"),
    ],
    "user/peggy-step-and-wrap": [(1, "5/15", W, "single-step"), (2, "22-2", E, "wrapping-range")],
    "user/quentin-user-column": [(1, "root", W, "user-column")],
    "user/rupert-garbage": [(1, 1, E, "syntax"), (3, 1, E, "syntax")],
    "user/sybil-year": [(1, "2027", E, "field")],
    "user/trent-webapp": [],
    "user/xena-every-second": [(1, 11, E, "six-fields")],
    "user/yvonne-quoted-dollar": [(1, "$USER", W, "env-expansion")],
    "user/zack-no-log-prefix": [],  # cronie's leading '-' (no syslog line)
    "user/amy-tabs": [],
    # London skips 01:00-02:00 on 2026-03-29
    "user/ben-london": [
        (3, 1, W, "dst-gap"),
        (4, "1 * 1", W, "dom-dow-or"),
        (5, "*/9", W, "uneven-step"),
        (5, 1, W, "dst-gap"),
    ],
    "user/cara-names": [],
    "user/dan-empty": [],
    "user/ed-only-comments": [],
    # cronsec's own six- and seven-field lines (--seconds)
    "seconds/uma-jobs": [],
    "seconds/victor-broken": [
        (1, 1, E, "five-fields"),
        (2, "2027", E, "field"),
        (3, "*/7", W, "uneven-step"),
        (4, "1 * MON", W, "dom-dow-or"),
    ],
}


def read(name: str) -> str:
    return (CORPUS / name).read_bytes().decode("utf-8")


def column(name: str, line: int, where: object) -> object:
    """The 1-based column that `where` names in line `line` of the file."""
    text = read(name).split("\n")[line - 1]
    if where is EOL:
        return len(text) + 1
    if isinstance(where, str):
        assert where in text, (name, line, where)
        return text.index(where) + 1
    return where


def findings_of(name: str) -> list:
    return lint(
        read(name),
        system=is_system_path(str(CORPUS / name)),
        seconds=name.startswith("seconds/"),
        year=2026,
    )


def test_the_corpus_has_at_least_30_files_and_every_one_is_expected():
    files = sorted(str(p.relative_to(CORPUS)) for p in CORPUS.rglob("*") if p.is_file())
    assert len(files) >= 30
    assert files == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_file(name):
    found = findings_of(name)
    got = sorted((f.line, f.col, f.severity, f.code) for f in found)
    want = [
        (line, column(name, line, where), sev, code) for line, where, sev, code in EXPECTED[name]
    ]
    if any(where is None for _, where, _, _ in EXPECTED[name]):
        got = [(line, None if (line, code) in _any(name) else col, sev, code)
               for line, col, sev, code in got]  # fmt: skip
    assert got == sorted(want, key=lambda x: (x[0], x[1] or 0, x[2], x[3]))
    for f in found:
        assert f.message and f.width >= 1
        assert f.source == read(name).split("\n")[f.line - 1]


def _any(name: str) -> set[tuple[int, str]]:
    return {(line, code) for line, where, _, code in EXPECTED[name] if where is None}


# -- messages that say what a person needs -------------------------------------------------


def messages(name: str) -> dict[tuple[int, str], str]:
    return {(f.line, f.code): f.message for f in findings_of(name)}


def test_messages_explain_the_mistake():
    six = messages("user/xena-every-second")[(1, "six-fields")]
    assert "every second" in six and "once a minute" in six and "--seconds" in six
    gap = messages("user/heidi-cron-tz")
    assert gap[(2, "dst-gap")] == (
        "02:30:00 on 2026-03-08 does not exist in America/New_York (clocks skip "
        "02:00-02:59:59): cronsec fires it once at 03:00:00, right after the gap"
    )
    assert "do not happen" in gap[(4, "dst-gap")]
    assert messages("cron.d/logrotate-berlin")[(3, "dst-gap")].startswith(
        "02:30:00 on 2026-03-29 does not exist in Europe/Berlin"
    )
    assert "01:30:00 on 2026-03-29" in messages("user/ben-london")[(3, "dst-gap")]
    step = messages("user/dave-steps")[(1, "uneven-step")]
    assert "0, 7, ..., 56, then 0 again" in step and "4 apart instead of 7" in step
    both = messages("user/carol-dom-dow")[(2, "dom-dow-or")]
    assert "either" in both and "day 1 and 15 of the month, and on Friday" in both
    assert "looks like a year" in messages("user/sybil-year")[(1, "field")]
    assert '"*/5 * * * *"' in messages("user/erin-macros")[(5, "macro")]
    assert "@daily" in messages("user/erin-macros")[(6, "macro")].split(";")[-1]
    assert "2027 looks like a year" in messages("seconds/victor-broken")[(2, "field")]
    assert '"0 0 5 * * *"' in messages("seconds/victor-broken")[(1, "five-fields")]
    assert "\\%" in messages("user/bob-percent")[(2, "percent")]


def test_a_zone_given_on_the_command_line_applies_until_cron_tz():
    text = "30 2 * * * /a\nCRON_TZ=UTC\n30 2 * * * /b\n"
    found = lint(text, tz="Europe/Berlin", year=2026)
    assert [(f.line, f.code) for f in found] == [(1, "dst-gap")]


def test_system_paths():
    assert is_system_path("/etc/crontab")
    assert is_system_path("/etc/cron.d/certbot")
    assert not is_system_path("/var/spool/cron/crontabs/alice")
    assert not is_system_path("/etc/cron.daily/logrotate")


# -- the command ---------------------------------------------------------------------------


def run(*argv: str, stdin: str | None = None, monkeypatch=None) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out=out), out.getvalue()


def test_lint_prints_file_line_col_the_line_and_a_caret(capsys):
    path = str(CORPUS / "user/judy-fields")
    code, out = run("lint", path, "--year", "2026")
    assert code == 1
    lines = out.splitlines()
    assert lines[:3] == [
        f"{path}:1:3: error: hour: value 24 is out of range 0-23",
        "  0 24 * * * /bin/true",
        "    ^^",
    ]
    assert capsys.readouterr().err == "cronsec lint: 6 errors, 0 warnings\n"


def test_lint_caret_follows_tabs(tmp_path):
    path = tmp_path / "tabs"
    path.write_text("0\t99\t*\t*\t*\t/x\n")
    code, out = run("lint", str(path))
    assert code == 1
    assert out.splitlines()[1:] == ["  0\t99\t*\t*\t*\t/x", "   \t^^"]


def test_lint_exit_status_warnings_pass_unless_strict():
    path = str(CORPUS / "user/carol-dom-dow")
    assert run("lint", path)[0] == 0
    assert run("lint", path, "--strict")[0] == 1
    assert run("lint", str(CORPUS / "etc/crontab"), "--strict") == (0, "")


def test_lint_reads_stdin(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("0 0 32 * * /x\n"))
    code, out = run("lint", "-")
    assert code == 1
    assert out.startswith("<stdin>:1:5: error: day-of-month: value 32")


def test_lint_system_is_detected_from_the_path_or_forced(tmp_path):
    # In cron.d the word after the time fields is the user: here a path, so an error.
    cron_d = tmp_path / "cron.d"
    cron_d.mkdir()
    job = cron_d / "job"
    job.write_text("0 5 * * * /usr/bin/backup\n")
    assert run("lint", str(job))[0] == 1
    assert run("lint", str(job), "--user") == (0, "")
    plain = tmp_path / "job"
    plain.write_text("0 5 * * * root /usr/bin/backup\n")
    assert run("lint", str(plain), "--system") == (0, "")
    assert "user column" in run("lint", str(plain))[1]


def test_lint_seconds_option():
    path = str(CORPUS / "seconds/uma-jobs")
    assert run("lint", path, "--seconds") == (0, "")
    code, out = run("lint", path)  # read as a crontab, these are six-field lines
    assert code == 1 and "six-fields" not in out and "six-field line" in out


def test_lint_json(capsys):
    path = str(CORPUS / "user/quentin-user-column")
    code, out = run("lint", path, "--json")
    assert code == 0
    [finding] = json.loads(out)
    assert {k: finding[k] for k in ("file", "line", "col", "severity", "code")} == {
        "file": path,
        "line": 1,
        "col": 11,
        "severity": "warning",
        "code": "user-column",
    }


def test_lint_unreadable_file_exits_2_and_goes_on(capsys, tmp_path):
    code, out = run("lint", str(tmp_path / "missing"), str(CORPUS / "user/sybil-year"))
    assert code == 2
    assert "sybil-year:1:9: error" in out
    assert "cannot read" in capsys.readouterr().err
