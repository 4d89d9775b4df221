"""The one request handler behind the WSGI app, the ASGI app and ``serve()``.

A transport turns its request into a `RawRequest` (method, the path as sent,
still percent-encoded, headers, a body already cut at the limit) and writes
back the `Response`. Routing, limits and access control live only here.
"""

from __future__ import annotations

import hmac
import json
import logging
import secrets
import threading
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import Any, Callable, NamedTuple, Optional
from urllib.parse import parse_qs, unquote

from . import _page, _view

__all__ = ["MAX_BODY", "App", "Auth", "RawRequest", "Request", "Response"]

logger = logging.getLogger("cronsec.web")
UTC = timezone.utc

MAX_BODY = 8 * 1024
"""Bytes of request body accepted (control requests need none)."""
MAX_PATH = 2048
"""Characters of path and query accepted."""
MAX_HEADERS = 16 * 1024
"""Bytes of request headers accepted, names and values together."""

READ_ROUTES = ("runs", "calendar")
ACTIONS = ("pause", "resume", "run")
OPEN = ("healthz", "page")
# What an HTML form can send cross-site without a preflight; never accepted for control.
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_SECRET_HEADERS = ("authorization", "cookie", "proxy-authorization")


class Request:
    """What an ``auth`` callable is shown: who asks for what.

    ``action`` is "read" for GET requests, else "pause", "resume" or "run";
    ``job`` the decoded job name (None for routes without one); ``headers``
    has lower-case names. Its repr never shows the headers (they hold tokens).
    """

    __slots__ = ("action", "client", "headers", "job", "method", "path")

    def __init__(
        self,
        method: str,
        path: str,
        headers: Mapping[str, str],
        client: str | None,
        job: str | None,
        action: str,
    ) -> None:
        self.method = method
        self.path = path
        self.headers = headers
        self.client = client
        self.job = job
        self.action = action

    def __repr__(self) -> str:
        return f"<Request {self.method} {self.path} action={self.action}>"


Auth = Callable[[Request], bool]


class RawRequest(NamedTuple):
    """A request as a transport hands it over."""

    method: str
    target: str
    """The path and query as sent, percent-encoded, after the mount point."""
    headers: Mapping[str, str]
    """Lower-case names."""
    body: bytes
    body_too_large: bool = False
    root: str = ""
    """The mount point (WSGI ``SCRIPT_NAME``, ASGI ``root_path``), for redirects."""
    client: Optional[str] = None  # noqa: UP045 - a NamedTuple field is evaluated on 3.9
    decoded: bool = False
    """True when the transport only had the decoded path (``/`` in names is ambiguous)."""


class Response(NamedTuple):
    status: int
    headers: list[tuple[str, str]]
    body: bytes


REASONS = {
    200: "OK",
    202: "Accepted",
    308: "Permanent Redirect",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    411: "Length Required",
    413: "Content Too Large",
    414: "URI Too Long",
    415: "Unsupported Media Type",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    501: "Not Implemented",
    503: "Service Unavailable",
}


def _base_headers(content_type: str) -> list[tuple[str, str]]:
    return [
        ("Content-Type", content_type),
        ("Cache-Control", "no-store"),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
    ]


def json_response(status: int, data: Any, extra: Iterable[tuple[str, str]] = ()) -> Response:
    body = json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8") + b"\n"
    return Response(status, _base_headers("application/json; charset=utf-8") + list(extra), body)


def error(status: int, message: str, extra: Iterable[tuple[str, str]] = ()) -> Response:
    return json_response(status, {"error": message, "status": status}, extra)


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
        self._token = _check_token(token, "token")
        self._read_token = _check_token(read_token, "read_token")
        if auth is not None and not callable(auth):
            raise TypeError(f"auth must be a callable(request) -> bool, got {type(auth).__name__}")
        self._auth = auth
        self.protect_reads = protect_reads or read_token is not None
        self._metrics: Any = None  # the private registry, made at the first scrape
        self._metrics_lock = threading.Lock()

    @property
    def control(self) -> str:
        """How control requests are allowed: "token", "auth", "token or auth" or "off"."""
        ways = [w for w, on in (("token", self._token), ("auth", self._auth)) if on is not None]
        return " or ".join(ways) if ways else "off"

    def __repr__(self) -> str:
        reads = "protected" if self.protect_reads else "open"
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
        refused = None if kind in OPEN else self._check_access(request, write)
        if refused is not None:
            return refused
        if write:
            refused = _check_post(raw)
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

    # -- access --------------------------------------------------------------

    def _check_access(self, request: Request, write: bool) -> Response | None:
        """None when the request may go on, else the refusal."""
        if not write and not self.protect_reads:
            return None
        tokens = [self._token] if write else [self._token, self._read_token]
        bearer = _bearer(request.headers)
        if bearer is not None:
            given = bearer.encode("utf-8")
            matches = [hmac.compare_digest(given, t.encode("utf-8")) for t in tokens if t]
            if any(matches):
                return None
        if self._auth is not None:
            try:
                if self._auth(request) is True:
                    return None
            except Exception:
                logger.exception("cronsec.web: the auth callable raised; refusing %r", request)
        what = "control (pause, resume, run)" if write else "reading"
        if write and self._token is None and self._auth is None:
            return error(
                403, "control is off: the scheduler's web app was made without token= or auth="
            )
        if bearer is None and (self._token is not None or self._read_token is not None):
            return error(
                401,
                f"{what} needs the header Authorization: Bearer <token>",
                [("WWW-Authenticate", 'Bearer realm="cronsec"')],
            )
        return error(403, f"refused: the token or credentials do not allow {what}")

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
                if not (1 <= number <= 12 and 1 <= year <= 9998):
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
        return Response(200, _base_headers(content_type), body)

    def _page(self, raw: RawRequest) -> Response:
        nonce = secrets.token_urlsafe(16)
        data = None
        if not self.protect_reads or self._check_access(_reader(raw), False) is None:
            data = {
                "health": self.health_json(),
                "jobs": [_view.job_json(j) for j in self.sched.jobs],
            }
        body = _page.render(data, nonce=nonce, control=self.control)
        headers = [
            *_base_headers("text/html; charset=utf-8"),
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


def _bearer(headers: Mapping[str, str]) -> str | None:
    value = headers.get("authorization", "")
    scheme, _, credentials = value.strip().partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        return None
    return credentials.strip()


def _check_post(raw: RawRequest) -> Response | None:
    """Refuse what a cross-site form could send: form content types, a foreign Origin."""
    content_type = raw.headers.get("content-type", "").split(";")[0].strip().lower()
    # Some WSGI servers (wsgiref) say text/plain when the client sent no type: allowed empty.
    if content_type in FORM_TYPES or (raw.body and content_type != "application/json"):
        return error(415, "send no body, or Content-Type: application/json")
    origin = raw.headers.get("origin")
    hosts = {raw.headers.get("host"), raw.headers.get("x-forwarded-host")}
    if origin is not None and origin.partition("://")[2].rstrip("/") not in hosts:
        return error(403, "refused: a request from another origin")
    if raw.headers.get("sec-fetch-site", "") == "cross-site":
        return error(403, "refused: a cross-site request")
    return None


def _check_token(token: str | None, what: str) -> str | None:
    if token is None:
        return None
    if not isinstance(token, str) or not token or token != token.strip():
        raise ValueError(f"{what} must be a non-empty string without surrounding spaces")
    return token


def headers_from(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Lower-case header names; repeated headers joined with ", "."""
    found: dict[str, str] = {}
    for key, value in pairs:
        key = key.lower()
        found[key] = f"{found[key]}, {value}" if key in found else value
    return found


def redacted(headers: Mapping[str, str]) -> dict[str, str]:
    """Headers with their secrets blanked, for a log line."""
    return {k: ("<redacted>" if k in _SECRET_HEADERS else v) for k, v in headers.items()}
