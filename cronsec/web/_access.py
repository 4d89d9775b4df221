"""Who may do what: bearer tokens (constant-time), an auth callable, and the CSRF checks.

The tokens live only here, in attributes no repr, message or log line shows.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Mapping

from ._http import Auth, RawRequest, Request, Response, error

__all__ = ["FORM_TYPES", "Access", "check_post"]

logger = logging.getLogger("cronsec.web")

# What an HTML form can send cross-site without a preflight; never accepted for control.
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class Access:
    """The access rules of one app: reads open unless protected, control closed unless set up."""

    __slots__ = ("_auth", "_read_token", "_token", "protect_reads")

    def __init__(
        self,
        token: str | None,
        auth: Auth | None,
        read_token: str | None,
        protect_reads: bool,
    ) -> None:
        self._token = _check_token(token, "token")
        self._read_token = _check_token(read_token, "read_token")
        if auth is not None and not callable(auth):
            raise TypeError(f"auth must be a callable(request) -> bool, got {type(auth).__name__}")
        self._auth = auth
        self.protect_reads = protect_reads or read_token is not None

    @property
    def control(self) -> str:
        """How control requests are allowed: "token", "auth", "token or auth" or "off"."""
        ways = [w for w, on in (("token", self._token), ("auth", self._auth)) if on is not None]
        return " or ".join(ways) if ways else "off"

    def __repr__(self) -> str:
        reads = "protected" if self.protect_reads else "open"
        return f"<Access reads {reads}, control {self.control}>"

    def check(self, request: Request, write: bool) -> Response | None:
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


def _bearer(headers: Mapping[str, str]) -> str | None:
    value = headers.get("authorization", "")
    scheme, _, credentials = value.strip().partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        return None
    return credentials.strip()


def check_post(raw: RawRequest) -> Response | None:
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
