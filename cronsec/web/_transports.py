"""The three ways to serve the app: WSGI, ASGI and a standard-library server in a thread."""

from __future__ import annotations

import asyncio
import functools
import http.server
import logging
import threading
from collections.abc import Awaitable, Iterable, MutableMapping
from typing import Any, Callable
from urllib.parse import quote

from ._core import App
from ._http import MAX_BODY, MAX_HEADERS, REASONS, RawRequest, Response, error, headers_from

__all__ = ["Server", "asgi_from", "serve_app", "wsgi_from"]

logger = logging.getLogger("cronsec.web")

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# Seconds a connection of the standalone server may stay silent (mid-request or idle).
SOCKET_TIMEOUT = 30.0
# Connections the standalone server serves at once (a thread each).
MAX_CONNECTIONS = 64


def _status_line(status: int) -> str:
    return f"{status} {REASONS.get(status, 'Unknown')}"


# -- WSGI ------------------------------------------------------------------------


def wsgi_from(app: App) -> WSGIApp:
    """A WSGI callable (PEP 3333) answering with ``app``."""

    def wsgi(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        response = app.handle(_wsgi_request(environ))
        start_response(_status_line(response.status), response.headers)
        return [response.body]

    wsgi.cronsec_app = app  # type: ignore[attr-defined]
    return wsgi


def _wsgi_request(environ: dict[str, Any]) -> RawRequest:
    pairs = [
        (key[5:].replace("_", "-"), str(value))
        for key, value in environ.items()
        if key.startswith("HTTP_")
    ]
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            pairs.append((key.replace("_", "-"), str(environ[key])))
    headers = headers_from(pairs)
    root = _wsgi_text(environ.get("SCRIPT_NAME", ""))
    target, decoded = _wsgi_target(environ, root)
    body, too_large = _read_body(
        environ.get("CONTENT_LENGTH"), lambda n: environ["wsgi.input"].read(n)
    )
    return RawRequest(
        environ.get("REQUEST_METHOD", "GET").upper(),
        target,
        headers,
        body,
        too_large,
        quote(root),
        environ.get("REMOTE_ADDR"),
        decoded,
    )


def _read_body(length_text: str | None, read: Callable[[int], bytes]) -> tuple[bytes, bool]:
    """The body a Content-Length announces, and whether it is too large (or malformed).

    A body over ``MAX_BODY`` (or a length that is no number) is not read at all.
    """
    try:
        length = int(length_text or 0)
    except ValueError:
        length = -1
    if length > MAX_BODY or length < 0:
        return b"", True
    return (read(length) if length else b""), False


def _wsgi_text(value: str) -> str:
    """PEP 3333 strings carry bytes as latin-1; read them as UTF-8."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


def _wsgi_target(environ: dict[str, Any], root: str) -> tuple[str, bool]:
    """The path after the mount point, percent-encoded as sent, and whether it was decoded.

    The raw URI (gunicorn's ``RAW_URI``, uWSGI's and mod_wsgi's ``REQUEST_URI``)
    keeps ``%2F`` inside a job name; ``PATH_INFO`` alone has lost it.
    """
    query = environ.get("QUERY_STRING", "")
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if isinstance(raw, str) and raw.startswith("/"):
        path = raw.partition("?")[0]
        prefix = quote(root)
        if path.startswith(prefix):
            rest = path[len(prefix) :]
            return rest + (f"?{query}" if query else ""), False
    path = _wsgi_text(environ.get("PATH_INFO", ""))
    encoded = quote(path, safe="/")
    return encoded + (f"?{query}" if query else ""), True


# -- ASGI ------------------------------------------------------------------------


def asgi_from(app: App) -> ASGIApp:
    """An ASGI 3 callable answering with ``app`` (the handler runs on a worker thread)."""

    async def asgi(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            raise ValueError(f"cronsec.web serves HTTP only, not {scope['type']!r}")
        raw = await _asgi_request(scope, receive)
        loop = asyncio.get_running_loop()
        response = await loop.run_in_executor(None, functools.partial(app.handle, raw))
        headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers]
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        await send({"type": "http.response.body", "body": response.body})

    asgi.cronsec_app = app  # type: ignore[attr-defined]
    return asgi


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def _asgi_request(scope: Scope, receive: Receive) -> RawRequest:
    headers = headers_from(
        (k.decode("latin-1"), v.decode("latin-1")) for k, v in scope.get("headers", [])
    )
    root = scope.get("root_path", "") or ""
    raw_path = scope.get("raw_path")
    query = scope.get("query_string", b"").decode("latin-1")
    decoded = not raw_path
    if raw_path:
        path = raw_path.decode("latin-1").partition("?")[0]
        prefix = quote(root)
        path = path[len(prefix) :] if prefix and path.startswith(prefix) else path
    else:
        path = scope.get("path", "")
        path = quote(path[len(root) :] if root and path.startswith(root) else path, safe="/")
    body, too_large = bytearray(), False
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        if not too_large:
            body += message.get("body", b"")
            too_large = len(body) > MAX_BODY
        more = message.get("more_body", False)
    client = scope.get("client")
    return RawRequest(
        scope.get("method", "GET").upper(),
        path + (f"?{query}" if query else ""),
        headers,
        b"" if too_large else bytes(body),
        too_large,
        quote(root),
        str(client[0]) if client else None,
        decoded,
    )


# -- the standalone server ------------------------------------------------------------


class _Handler(http.server.BaseHTTPRequestHandler):
    """Hands every request to the app; logs the request line only (never headers)."""

    server: _HTTPServer
    protocol_version = "HTTP/1.1"
    timeout = SOCKET_TIMEOUT

    def version_string(self) -> str:
        return "cronsec"

    def _serve(self) -> None:
        app = self.server.app
        pairs = list(self.headers.items())
        if sum(len(k) + len(v) for k, v in pairs) > MAX_HEADERS:
            self._send(error(431, f"the headers are larger than {MAX_HEADERS} bytes"), close=True)
            return
        headers = headers_from(pairs)
        if "transfer-encoding" in headers:
            self._send(error(411, "send a Content-Length, not a chunked body"), close=True)
            return
        body, too_large = _read_body(headers.get("content-length"), self.rfile.read)
        raw = RawRequest(
            self.command.upper(), self.path, headers, body, too_large, "", self.client_address[0]
        )
        self._send(app.handle(raw), close=too_large)

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _serve

    def _send(self, response: Response, close: bool = False) -> None:
        self.send_response(response.status, REASONS.get(response.status))
        for key, value in response.headers:
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(response.body)))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s - %s", self.client_address[0], format % args)


class _HTTPServer(http.server.ThreadingHTTPServer):
    """One thread per connection, at most `MAX_CONNECTIONS` at once (more are closed)."""

    daemon_threads = True
    app: App

    def __init__(self, address: tuple[str, int], app: App) -> None:
        self.app = app
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        if ":" in address[0]:
            import socket

            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            logger.warning("cronsec.web: %d connections open; closing a new one", MAX_CONNECTIONS)
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()


class Server:
    """The standalone status server, serving in a daemon thread; ``close()`` stops it."""

    def __init__(self, app: App, host: str, port: int) -> None:
        self.app = app
        self._httpd = _HTTPServer((host, port), app)
        self.host = host
        self.port: int = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"cronsec-web:{self.port}",
            daemon=True,
        )
        self._closed = False
        self._thread.start()

    @property
    def url(self) -> str:
        """``http://host:port/`` (the console; the API is under it)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    def close(self) -> None:
        """Stop serving and free the port; returns when the server thread has ended."""
        if self._closed:
            return
        self._closed = True
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "serving"
        return f"<cronsec.web.Server {self.url} {state}, control {self.app.control}>"


def serve_app(app: App, host: str, port: int) -> Server:
    return Server(app, host, port)
