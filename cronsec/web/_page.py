"""The console: one self-contained HTML page (``console.html`` beside this file).

The server fills in the jobs as escaped HTML, so the page reads without
JavaScript, and as a JSON island the script renders from (``textContent``
only: no user string ever reaches ``innerHTML``). Every later refresh comes
from ``GET jobs``.
"""

from __future__ import annotations

import functools
import html
import json
import re
from pathlib import Path
from typing import Any

__all__ = ["csp", "render"]

_SLOT = re.compile(r"\{\{([A-Z_]+)\}\}")


@functools.lru_cache(maxsize=1)
def _template() -> str:
    return Path(__file__).with_name("console.html").read_text(encoding="utf-8")


def csp(nonce: str) -> str:
    """The page's Content-Security-Policy: its own inline script and style, calls to itself."""
    return (
        f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; "
        "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    )


def _json_island(data: Any) -> str:
    """JSON safe inside <script>: no ``<``, ``>``, ``&`` or line separators as such."""
    text = json.dumps(data, ensure_ascii=False)
    for char, escape in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escape)
    return text


def _card(job: dict[str, Any]) -> str:
    e = html.escape
    run = job.get("last_run") or {}
    outcome = run.get("outcome") or "none yet"
    error = f": {run['error']}" if run.get("error") else ""
    paused = ' <span class="badge">paused</span>' if job["paused"] else ""
    return (
        f'<article class="job" data-name="{e(job["name"])}">'
        f'<h2><span class="name">{e(job["name"])}</span>{paused}</h2>'
        f'<code class="expr">{e(job["expr"])}</code>'
        f'<div class="desc">{e(job["description"])}</div>'
        f"<dl><dt>next fire</dt><dd>{e(job['next_fire'] or '—')}</dd>"
        f"<dt>last run</dt><dd>{e(outcome + error)}</dd></dl>"
        f'<div class="counters">fires {job["fires"]} · misses {job["misses"]} · '
        f"skips {job['skips']} · errors {job['errors']}</div></article>"
    )


def render(data: dict[str, Any] | None, *, nonce: str, control: str) -> str:
    """The page; ``data`` holds "health" and "jobs" (the API's answers), None if reading is shut."""
    if data is None:
        cards = '<p class="empty">Reading needs a token: enter it above.</p>'
        health, health_class, now = "?", "", ""
    else:
        cards = "\n".join(_card(job) for job in data["jobs"]) or '<p class="empty">No jobs.</p>'
        ok, reason = data["health"]["ok"], data["health"]["reason"]
        health = "healthy" if ok else f"unhealthy: {reason}"
        health_class = "ok" if ok else "bad"
        now = data["health"]["now"]
    values = {
        "NONCE": nonce,
        "CARDS": cards,
        "DATA": _json_island(data),
        "HEALTH": html.escape(health),
        "HEALTH_CLASS": health_class,
        "NOW": html.escape(now),
        "CONTROL": html.escape(control),
    }
    # One pass: a value that happens to contain "{{...}}" is never filled in again.
    return _SLOT.sub(lambda m: values[m.group(1)], _template())
