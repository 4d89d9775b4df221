"""The one request handler behind the WSGI app, the ASGI app and ``serve()``.

A transport turns its request into a `RawRequest` (method, the path as sent,
still percent-encoded, headers, a body already cut at the limit) and writes
back the `Response`. Limits and routing live here, access in ``_access``.
"""

from __future__ import annotations

import logging
import secrets
import threading
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qs, unquote

from . import _page, _view
from ._access import Access, check_post
from ._http import (
    MAX_BODY,
    MAX_HEADERS,
    MAX_PATH,
    Auth,
    RawRequest,
    Request,
    Response,
    base_headers,
    error,
    json_response,
)

__all__ = ["App"]

logger = logging.getLogger("cronsec.web")
UTC = timezone.utc

READ_ROUTES = ("runs", "calendar")
ACTIONS = ("pause", "resume", "run")
OPEN = ("healthz", "page")


class App:
    """The status API, the console and the metrics of one scheduler, transport-free."""

    def __init__(
        self,
        sched: Any,
        token: str | None = None,
        auth: Auth | None = None,
        *,
        read_token: str | None = None,
        protect_reads: bool = False,
    ) -> None:
        self.sched = sched
        self.access = Access(token, auth, read_token, protect_reads)
        self._metrics: Any = None  # the private registry, made at the first scrape
        self._metrics_lock = threading.Lock()

    @property
    def control(self) -> str:
        """How control requests are allowed: "token", "auth", "token or auth" or "off"."""
        return self.access.control

    def __repr__(self) -> str:
        reads = "protected" if self.access.protect_reads else "open"
        return f"<cronsec.web app: reads {reads}, control {self.control}>"

    # -- the entry point ---------------------------------------------------------

    def handle(self, raw: RawRequest) -> Response:
        """Answer one request; never raises (a bug answers 500 and is logged)."""
        try:
            response = self._handle(raw)
        except Exception:
            logger.exception("cronsec.web: error answering %s %.200s", raw.method, raw.target)
            response = error(500, "internal error (see the server log)")
        if raw.method == "HEAD":
            response = response._replace(body=b"")
        return response

    def _handle(self, raw: RawRequest) -> Response:
        if len(raw.target) > MAX_PATH:
            return error(414, f"the path is longer than {MAX_PATH} characters")
        if sum(len(k) + len(v) for k, v in raw.headers.items()) > MAX_HEADERS:
            return error(431, f"the headers are larger than {MAX_HEADERS} bytes")
        if raw.body_too_large:
            return error(413, f"the request body is larger than {MAX_BODY} bytes")
        path, _, query = raw.target.partition("?")
        if path == "":  # the mount point without its slash: relative links need one
            return Response(308, [("Location", raw.root + "/")], b"")
        try:
            route = self._route(path, raw.decoded)
        except ValueError as e:
            return error(400, str(e))
        if route is None:
            return error(404, "no such route; see GET /jobs, /healthz, /metrics")
        kind, name = route
        write = kind in ACTIONS
        allowed = "POST" if write else "GET, HEAD"
        if raw.method not in allowed.split(", "):
            return error(405, f"use {allowed} here", [("Allow", allowed)])
        request = Request(
            raw.method, path, raw.headers, raw.client, name, kind if write else "read"
        )
        # Health probes and the page shell are always open (the page then holds no job).
        refused = None if kind in OPEN else self.access.check(request, write)
        if refused is not None:
            return refused
        if write:
            refused = check_post(raw)
            if refused is not None:
                return refused
        job = None
        if name is not None:
            try:
                job = self.sched.get(name)
            except KeyError:
                return error(404, f"no job named {name!r}")
        return self._answer(kind, job, raw, parse_qs(query))

    # -- routing -------------------------------------------------------------

    def _route(self, path: str, decoded: bool) -> tuple[str, str | None] | None:
        """(kind, job name) for a path; None for no route. Names are percent-decoded."""
        if not path.startswith("/"):
            return None
        if path in ("/", "/jobs", "/healthz", "/metrics"):
            return {"/": "page", "/jobs": "jobs"}.get(path, path[1:]), None
        if not path.startswith("/jobs/"):
            return None
        rest = path[len("/jobs/") :]
        if decoded:
            return self._route_decoded(_unquote(rest))
        parts = rest.split("/")
        if len(parts) > 2 or parts[0] == "":
            return None
        name = _unquote(parts[0])
        if len(parts) == 1:
            return "job", name
        if parts[1] in READ_ROUTES or parts[1] in ACTIONS:
            return parts[1], name
        return None

    def _route_decoded(self, rest: str) -> tuple[str, str | None] | None:
        """Route a decoded path: ``/`` may belong to the name, so ask which jobs exist."""
        if rest == "":
            return None
        names = {getattr(j, "name", None) for j in self.sched.jobs}
        for suffix in READ_ROUTES + ACTIONS:
            head = rest[: -len(suffix) - 1]
            if rest.endswith("/" + suffix) and head in names:
                return suffix, head
        if rest in names:
            return "job", rest
        for suffix in READ_ROUTES + ACTIONS:  # an unknown job: answer 404 for its name
            if rest.endswith("/" + suffix) and len(rest) > len(suffix) + 1:
                return suffix, rest[: -len(suffix) - 1]
        return "job", rest

    # -- answers -------------------------------------------------------------

    def _answer(
        self, kind: str, job: Any, raw: RawRequest, query: dict[str, list[str]]
    ) -> Response:
        if kind == "jobs":
            return json_response(200, [_view.job_json(j) for j in self.sched.jobs])
        if kind == "job":
            return json_response(200, _view.job_json(job))
        if kind == "runs":
            runs = _view.runs_of(job)
            return json_response(200, {"job": job.name, "runs": [_view.run_json(r) for r in runs]})
        if kind == "calendar":
            return self._calendar(job, query)
        if kind == "healthz":
            health = self.health_json()
            return json_response(200 if health["ok"] else 503, health)
        if kind == "metrics":
            return self._metrics_response()
        if kind == "page":
            return self._page(raw)
        return self._act(kind, job)

    def health_json(self) -> dict[str, Any]:
        """``GET /healthz``: ok, reason, the scheduler's now and whether it runs."""
        health = _view.health_of(self.sched)
        return {
            "ok": health.ok,
            "reason": health.reason,
            "now": _now(self.sched).isoformat(),
            "running": bool(getattr(self.sched, "running", False)),
        }

    def _calendar(self, job: Any, query: dict[str, list[str]]) -> Response:
        month = query.get("month", [""])[0]
        if month:
            try:
                year, number = (int(p) for p in month.split("-"))
                if not (1 <= number <= 12 and 1970 <= year <= 9998):
                    raise ValueError
            except ValueError:
                return error(400, "month must look like 2026-12")
        else:
            start = getattr(job, "next_fire", None) or _now(self.sched)
            year, number = start.year, start.month
        return json_response(200, _view.calendar_json(job, year, number))

    def _act(self, action: str, job: Any) -> Response:
        if action == "run":
            run_now = getattr(job, "run_now", None)
            if run_now is None:
                return error(501, "this scheduler has no run_now() yet")
            run_now()
            status = 202
        else:
            getattr(job, action)()
            status = 200
        logger.info("cronsec.web: %s job %r", action, job.name)
        return json_response(status, {"ok": True, "action": action, "job": _view.job_json(job)})

    def _metrics_response(self) -> Response:
        try:
            from ._metrics import exposition
        except ImportError:
            return error(
                501,
                'metrics need prometheus_client: pip install "cronsec[metrics]"',
            )
        with self._metrics_lock:
            if self._metrics is None:
                from ._metrics import registry_for

                self._metrics = registry_for(self.sched)
        content_type, body = exposition(self._metrics)
        return Response(200, base_headers(content_type), body)

    def _page(self, raw: RawRequest) -> Response:
        nonce = secrets.token_urlsafe(16)
        data = None
        if not self.access.protect_reads or self.access.check(_reader(raw), False) is None:
            data = {
                "health": self.health_json(),
                "jobs": [_view.job_json(j) for j in self.sched.jobs],
            }
        body = _page.render(data, nonce=nonce, control=self.control)
        headers = [
            *base_headers("text/html; charset=utf-8"),
            ("Content-Security-Policy", _page.csp(nonce)),
            ("X-Frame-Options", "DENY"),
        ]
        return Response(200, headers, body.encode("utf-8"))


def _reader(raw: RawRequest) -> Request:
    return Request(raw.method, raw.target, raw.headers, raw.client, None, "read")


def _now(sched: Any) -> datetime:
    clock = getattr(sched, "clock", None)
    now = getattr(clock, "now", None)
    found = now() if now is not None else None
    return found if isinstance(found, datetime) else datetime.now(UTC)


def _unquote(segment: str) -> str:
    try:
        return unquote(segment, errors="strict")
    except UnicodeDecodeError:
        raise ValueError("the path is not valid percent-encoded UTF-8") from None
