"""``cronsec status URL``: the jobs table of a running scheduler, read from its HTTP API.

``GET URL/jobs`` returns a JSON list of job objects with at least ``name``,
``expr``, ``next_fire`` (ISO 8601 or null), ``paused`` and the counters
``fires``, ``misses``, ``skips``, ``errors``. The token goes in an
``Authorization: Bearer`` header and never into a message.
"""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

COLUMNS = ("NAME", "EXPR", "NEXT FIRE", "PAUSED", "FIRES", "MISSES", "SKIPS", "ERRORS")
COUNTERS = ("fires", "misses", "skips", "errors")
_REQUIRED = ("name", "expr", "next_fire", "paused", *COUNTERS)


class StatusError(Exception):
    """The jobs could not be read: no connection, an HTTP error, or not the expected JSON."""


def public_url(url: str) -> str:
    """``url`` without a user name or password, for messages."""
    parts = urllib.parse.urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host += f":{parts.port}"
    return urllib.parse.urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def jobs_url(url: str) -> str:
    """``URL/jobs``, whether or not ``url`` ends with a slash."""
    return url.rstrip("/") + "/jobs"


def fetch_jobs(
    url: str, *, token: str | None = None, timeout: float = 10.0
) -> list[dict[str, Any]]:
    """GET ``URL/jobs`` and return the job objects; every failure is a StatusError."""
    target = jobs_url(url)
    shown = public_url(target)
    parts = urllib.parse.urlsplit(target)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise StatusError(f"{shown!r} is not an http:// or https:// URL")
    if parts.username is not None or parts.password is not None:
        raise StatusError(
            f"{shown}: the URL has a user name or password; status sends only a bearer "
            "token (--token, --token-file or CRONSEC_TOKEN)"
        )
    request = urllib.request.Request(target, headers={"Accept": "application/json"})
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
    except urllib.error.HTTPError as err:
        reason = f"HTTP {err.code} {err.reason}"
        if err.code in (401, 403):
            reason += " (a token is needed, or it is wrong: --token or CRONSEC_TOKEN)"
        raise StatusError(f"{shown}: {reason}") from None
    except urllib.error.URLError as err:
        raise StatusError(f"cannot reach {shown}: {_reason(err.reason)}") from None
    except (socket.timeout, TimeoutError):
        raise StatusError(f"cannot reach {shown}: no answer within {timeout:g} s") from None
    except OSError as err:
        raise StatusError(f"cannot reach {shown}: {_reason(err)}") from None
    try:
        jobs = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise StatusError(
            f"{shown} did not answer with JSON (is it a cronsec scheduler?)"
        ) from None
    if not isinstance(jobs, list) or not all(isinstance(job, dict) for job in jobs):
        raise StatusError(f"{shown} did not answer with a JSON list of job objects")
    for job in jobs:
        missing = [key for key in _REQUIRED if key not in job]
        if missing:
            raise StatusError(f"{shown}: a job object has no {', '.join(missing)}")
    return jobs


def _reason(reason: object) -> str:
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused (is the scheduler serving on that port?)"
    if isinstance(reason, (socket.timeout, TimeoutError)):
        return "timed out"
    if isinstance(reason, socket.gaierror):
        return "unknown host"
    return str(getattr(reason, "strerror", None) or reason)


def _cell(value: object) -> str:
    """A served value as table text; control characters (terminal escapes) shown as '?'."""
    return "".join(c if c.isprintable() else "?" for c in str(value))


def table(jobs: list[dict[str, Any]]) -> list[str]:
    """The jobs as an aligned text table, one row per job, in the order served."""
    rows = [list(COLUMNS)]
    for job in jobs:
        rows.append(
            [
                _cell(job["name"]),
                _cell(job["expr"]),
                "-" if job["next_fire"] is None else _cell(job["next_fire"]),
                "yes" if job["paused"] else "no",
                *(_cell(job[key]) for key in COUNTERS),
            ]
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    numeric = range(4, len(COLUMNS))
    lines = []
    for row in rows:
        cells = [
            cell.rjust(widths[i]) if i in numeric else cell.ljust(widths[i])
            for i, cell in enumerate(row)
        ]
        lines.append("  ".join(cells).rstrip())
    return lines
