"""The request and response values that pass between a transport and the handler."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any, Callable, NamedTuple, Optional

__all__ = [
    "MAX_BODY",
    "MAX_HEADERS",
    "MAX_PATH",
    "REASONS",
    "Auth",
    "RawRequest",
    "Request",
    "Response",
    "base_headers",
    "error",
    "headers_from",
    "json_response",
]

MAX_BODY = 8 * 1024
"""Bytes of request body accepted (control requests need none)."""
MAX_PATH = 2048
"""Characters of path and query accepted."""
MAX_HEADERS = 16 * 1024
"""Bytes of request headers accepted, names and values together."""


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


def base_headers(content_type: str) -> list[tuple[str, str]]:
    return [
        ("Content-Type", content_type),
        ("Cache-Control", "no-store"),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
    ]


def json_response(status: int, data: Any, extra: Iterable[tuple[str, str]] = ()) -> Response:
    body = json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8") + b"\n"
    return Response(status, base_headers("application/json; charset=utf-8") + list(extra), body)


def error(status: int, message: str, extra: Iterable[tuple[str, str]] = ()) -> Response:
    return json_response(status, {"error": message, "status": status}, extra)


def headers_from(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Lower-case header names; repeated headers joined with ", "."""
    found: dict[str, str] = {}
    for key, value in pairs:
        key = key.lower()
        found[key] = f"{found[key]}, {value}" if key in found else value
    return found
