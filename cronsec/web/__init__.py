"""The status API, the web console and the Prometheus metrics of a scheduler.

One small handler behind three doors: ``wsgi_app`` (mount it in Flask or
Django), ``asgi_app`` (FastAPI, Starlette) and ``serve`` (a standard-library
server in a thread, for programs without a web server). See docs/watching.md.

Access: reading (``GET``) is open unless ``read_token=`` or
``protect_reads=True``; control (``POST`` pause, resume, run) needs
``Authorization: Bearer <token>`` matching ``token=`` (compared in constant
time) or an ``auth(request) -> bool`` callable that returns True, and is
refused when neither is configured. Tokens never appear in reprs or logs.
"""

from __future__ import annotations

from typing import Any

from ._core import App
from ._http import MAX_BODY, Auth, Request
from ._transports import ASGIApp, Server, WSGIApp, asgi_from, serve_app, wsgi_from

__all__ = [
    "MAX_BODY",
    "App",
    "Auth",
    "Request",
    "Server",
    "asgi_app",
    "metrics_collector",
    "serve",
    "wsgi_app",
]


def wsgi_app(
    sched: Any,
    token: str | None = None,
    auth: Auth | None = None,
    *,
    read_token: str | None = None,
    protect_reads: bool = False,
) -> WSGIApp:
    """A WSGI app serving ``sched``'s console, API and metrics (mount it anywhere)."""
    app = App(sched, token, auth, read_token=read_token, protect_reads=protect_reads)
    return wsgi_from(app)


def asgi_app(
    sched: Any,
    token: str | None = None,
    auth: Auth | None = None,
    *,
    read_token: str | None = None,
    protect_reads: bool = False,
) -> ASGIApp:
    """An ASGI 3 app serving ``sched``'s console, API and metrics (mount it anywhere)."""
    app = App(sched, token, auth, read_token=read_token, protect_reads=protect_reads)
    return asgi_from(app)


def serve(
    sched: Any,
    port: int = 0,
    host: str = "127.0.0.1",
    token: str | None = None,
    auth: Auth | None = None,
    *,
    read_token: str | None = None,
    protect_reads: bool = False,
) -> Server:
    """Serve ``sched`` on ``host:port`` from a daemon thread, starting at once.

    ``port=0`` picks a free port (read it from ``server.url``). Binds only
    the loopback interface unless ``host`` says otherwise (``"0.0.0.0"``:
    every interface; then set a ``token`` and put TLS in front).
    """
    app = App(sched, token, auth, read_token=read_token, protect_reads=protect_reads)
    return serve_app(app, host, port)


def metrics_collector(sched: Any) -> Any:
    """A ``prometheus_client`` collector for ``sched``, for a registry of your own.

    ``prometheus_client.REGISTRY.register(metrics_collector(sched))`` adds the
    cronsec metrics to what your application already exposes.
    """
    from ._metrics import SchedulerCollector

    return SchedulerCollector(sched)
