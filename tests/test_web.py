"""The status API over real HTTP: the standalone server, the WSGI app and the ASGI app.

Every scheduler here runs on a FakeClock and is never started: fires happen
in ``run_pending()``, so the figures served are fixed.
"""

from __future__ import annotations

import asyncio
import html
import http.client
import io
import json
import logging
import socket
import threading
import urllib.parse
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any, NamedTuple
from wsgiref.simple_server import WSGIRequestHandler, make_server

import httpx
import pytest
import uvicorn

from cronsec import CronExpr, FakeClock, Scheduler
from cronsec._runs import Run
from cronsec.web import Request, asgi_app, serve, wsgi_app

UTC = timezone.utc
TOKEN = "s3cret-token-value"
SLASHED = "daily/report <b>&"
UNICODE = "tick é ☃"
SCRIPT = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'


def _fail() -> None:
    raise RuntimeError("boom <i>")


def make_sched() -> tuple[FakeClock, Scheduler]:
    """Three jobs with awkward names; one fire of the first two has happened (one raised)."""
    clock = FakeClock("2026-03-02T08:59:59+00:00")  # a Monday
    sched = Scheduler(tz="UTC", clock=clock, max_workers=2)
    sched.add("0 0 9 * * mon-fri", lambda: None, name=SLASHED)
    sched.add("*/10 * * * * *", _fail, name=UNICODE)
    sched.add("0 30 * * * *", lambda: None, name=SCRIPT, paused=True)
    clock.advance(1)
    sched.run_pending()
    return clock, sched


def path_of(name: str, rest: str = "") -> str:
    return "/jobs/" + urllib.parse.quote(name, safe="") + (f"/{rest}" if rest else "")


class Answer(NamedTuple):
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def call(
    base: str,
    method: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
) -> Answer:
    """One request with http.client: the path goes out exactly as given (no normalising)."""
    parts = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request(method, parts.path.rstrip("/") + path, body=body, headers=headers or {})
        response = conn.getresponse()
        return Answer(
            response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        )
    finally:
        conn.close()


def bearer(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def sched() -> Scheduler:
    return make_sched()[1]


@pytest.fixture
def server(sched: Scheduler) -> Iterator[str]:
    with serve(sched, token=TOKEN) as srv:
        yield srv.url


# -- the standalone server --------------------------------------------------------------


def test_jobs_lists_every_job_with_its_fields(server: str, sched: Scheduler) -> None:
    answer = call(server, "GET", "/jobs")
    assert answer.status == 200
    assert answer.headers["content-type"].startswith("application/json")
    jobs = answer.json()
    assert [j["name"] for j in jobs] == [SLASHED, UNICODE, SCRIPT]
    daily = jobs[0]
    for key in ("expr", "description", "next_fire", "paused", "fires", "misses", "skips"):
        assert key in daily
    for key in ("errors", "timeouts", "running", "last_fire", "lateness", "last_run"):
        assert key in daily
    assert daily["expr"] == "0 0 9 * * mon-fri"
    assert daily["description"] == sched.get(SLASHED).expr.describe()
    assert daily["next_fire"] == "2026-03-03T09:00:00+00:00"
    assert daily["last_fire"] == "2026-03-02T09:00:00+00:00"
    assert (daily["fires"], daily["errors"], daily["paused"]) == (1, 0, False)
    assert (jobs[1]["fires"], jobs[1]["errors"]) == (1, 1)
    assert jobs[2]["paused"] is True and jobs[2]["next_fire"] is None
    assert daily["lateness"]["n"] == 1


def test_runs_and_last_run_of_a_real_scheduler(server: str) -> None:
    daily = call(server, "GET", path_of(SLASHED)).json()
    assert daily["last_run"]["outcome"] == "ok"
    assert daily["last_run"]["instant"] == "2026-03-02T09:00:00+00:00"
    assert daily["last_success"] is not None
    tick = call(server, "GET", path_of(UNICODE, "runs")).json()["runs"]
    assert [r["outcome"] for r in tick] == ["error"]
    assert tick[0]["error"] == "RuntimeError: boom <i>"
    assert call(server, "GET", path_of(SCRIPT, "runs")).json()["runs"] == []


@pytest.mark.parametrize("name", [SLASHED, UNICODE, SCRIPT])
def test_a_job_by_its_percent_encoded_name(server: str, name: str) -> None:
    answer = call(server, "GET", path_of(name))
    assert answer.status == 200
    assert answer.json()["name"] == name
    runs = call(server, "GET", path_of(name, "runs"))
    assert runs.status == 200
    assert runs.json()["job"] == name
    assert isinstance(runs.json()["runs"], list)


def test_a_slash_in_a_name_must_be_encoded(server: str) -> None:
    assert call(server, "GET", "/jobs/daily/report").status == 404
    assert call(server, "GET", "/jobs/daily%2Freport").status == 404  # no such job


def test_calendar_of_a_month(server: str) -> None:
    answer = call(server, "GET", path_of(SLASHED, "calendar") + "?month=2026-03")
    assert answer.status == 200
    cal = answer.json()
    # March 2026: Mondays to Fridays, once a day at 09:00; the 1st is a Sunday.
    weekdays = [d for d in range(1, 32) if datetime(2026, 3, d).weekday() < 5]
    assert cal["days"] == {f"2026-03-{d:02d}": 1 for d in weekdays}
    assert (cal["first_weekday"], cal["days_in_month"]) == (7, 31)
    assert call(server, "GET", path_of(SLASHED, "calendar") + "?month=2026-13").status == 400
    default = call(server, "GET", path_of(SLASHED, "calendar")).json()
    assert default["month"] == "2026-03"  # the month of the next fire


def test_healthz_follows_health(sched: Scheduler) -> None:
    with serve(sched) as srv:
        answer = call(srv.url, "GET", "/healthz")
    assert answer.status == 503  # not started
    assert answer.json()["ok"] is False
    stub = Stub(healthy=True)
    with serve(stub) as srv:
        answer = call(srv.url, "GET", "/healthz")
    assert answer.status == 200
    assert answer.json()["ok"] is True and answer.json()["reason"] == "on time"


def test_pause_and_resume_with_the_token(server: str, sched: Scheduler) -> None:
    answer = call(server, "POST", path_of(SLASHED, "pause"), headers=bearer())
    assert answer.status == 200
    assert answer.json()["job"]["paused"] is True
    assert sched.get(SLASHED).paused
    answer = call(server, "POST", path_of(SLASHED, "resume"), headers=bearer())
    assert answer.status == 200
    assert not sched.get(SLASHED).paused


def test_run_now_fires_once_outside_the_schedule() -> None:
    ran = threading.Event()
    sched = Scheduler(tz="UTC", clock=FakeClock("2026-03-02T08:00:00+00:00"), max_workers=1)
    sched.add("0 0 9 * * *", ran.set, name="x/y")
    with serve(sched, token=TOKEN) as srv:
        answer = call(srv.url, "POST", "/jobs/x%2Fy/run", headers=bearer())
        assert answer.status == 202
        assert answer.json()["action"] == "run"
        assert ran.wait(10)  # the manual run happened on a worker, with no fire due
        assert call(srv.url, "POST", "/jobs/x%2Fy/run").status == 401
    sched.stop()


def test_run_now_without_run_now_is_501() -> None:
    stub = Stub()
    del stub.jobs[0].run_now
    with serve(stub, token=TOKEN) as srv:
        answer = call(srv.url, "POST", "/jobs/a%2Fb/run", headers=bearer())
    assert answer.status == 501
    assert "run_now" in answer.json()["error"]


def test_run_now_on_a_stub() -> None:
    stub = Stub()
    with serve(stub, token=TOKEN) as srv:
        assert call(srv.url, "POST", "/jobs/a%2Fb/run", headers=bearer()).status == 202
    assert stub.get("a/b").manual_runs == 1


def test_head_has_no_body(server: str) -> None:
    answer = call(server, "HEAD", "/jobs")
    assert answer.status == 200 and answer.body == b""


# -- access control ----------------------------------------------------------------


def test_control_is_off_without_token_or_auth(sched: Scheduler) -> None:
    with serve(sched) as srv:
        answer = call(srv.url, "POST", path_of(SLASHED, "pause"), headers=bearer())
    assert answer.status == 403
    assert "token=" in answer.json()["error"]
    assert not sched.get(SLASHED).paused


def test_missing_and_wrong_tokens_are_refused(server: str, sched: Scheduler) -> None:
    missing = call(server, "POST", path_of(SLASHED, "pause"))
    assert missing.status == 401
    assert missing.headers["www-authenticate"].startswith("Bearer")
    for headers in (
        bearer("wrong"),
        bearer(TOKEN + "x"),
        bearer(TOKEN[:-1]),
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": TOKEN},
    ):
        answer = call(server, "POST", path_of(SLASHED, "pause"), headers=headers)
        assert answer.status in (401, 403), headers
        assert TOKEN not in answer.body.decode()
    assert not sched.get(SLASHED).paused
    lower = call(
        server, "POST", path_of(SLASHED, "pause"), headers={"authorization": f"bearer {TOKEN}"}
    )
    assert lower.status == 200


def test_auth_callable(sched: Scheduler) -> None:
    seen: list[Request] = []

    def auth(request: Request) -> bool:
        seen.append(request)
        return request.headers.get("x-user") == "ops" and request.action == "pause"

    with serve(sched, auth=auth) as srv:
        assert call(srv.url, "POST", path_of(SLASHED, "pause")).status == 403
        assert (
            call(srv.url, "POST", path_of(SLASHED, "resume"), headers={"X-User": "ops"}).status
            == 403
        )
        assert (
            call(srv.url, "POST", path_of(SLASHED, "pause"), headers={"X-User": "ops"}).status
            == 200
        )
        assert call(srv.url, "GET", "/jobs").status == 200  # reads stay open
    assert sched.get(SLASHED).paused
    assert seen[-1].job == SLASHED and seen[-1].method == "POST"
    assert "x-user" not in repr(seen[-1])


def test_an_auth_callable_that_raises_refuses(sched: Scheduler) -> None:
    def auth(request: Request) -> bool:
        raise RuntimeError("auth backend down")

    with serve(sched, auth=auth) as srv:
        assert call(srv.url, "POST", path_of(SLASHED, "pause")).status == 403
    assert not sched.get(SLASHED).paused


def test_read_token_protects_reads(sched: Scheduler) -> None:
    with serve(sched, token=TOKEN, read_token="reader") as srv:
        for path in ("/jobs", path_of(SLASHED), path_of(SLASHED, "runs"), "/metrics"):
            assert call(srv.url, "GET", path).status == 401, path
            assert call(srv.url, "GET", path, headers=bearer("nope")).status == 403, path
            assert call(srv.url, "GET", path, headers=bearer("reader")).status == 200, path
            assert call(srv.url, "GET", path, headers=bearer()).status == 200, path
        # The reader's token does not control.
        assert (
            call(srv.url, "POST", path_of(SLASHED, "pause"), headers=bearer("reader")).status == 403
        )
        # Health probes and the page shell stay open; the page holds no job then.
        assert call(srv.url, "GET", "/healthz").status == 503
        page = call(srv.url, "GET", "/")
        assert page.status == 200
        assert "report" not in page.body.decode()
        assert "report" in call(srv.url, "GET", "/", headers=bearer("reader")).body.decode()


def test_cross_site_posts_are_refused(server: str, sched: Scheduler) -> None:
    url = urllib.parse.urlsplit(server)
    target = path_of(SLASHED, "pause")
    form = {"Content-Type": "application/x-www-form-urlencoded", **bearer()}
    assert call(server, "POST", target, headers=form, body=b"a=1").status == 415
    plain = {"Content-Type": "text/plain", **bearer()}
    assert call(server, "POST", target, headers=plain, body=b"x").status == 415
    foreign = {"Origin": "https://evil.example", **bearer()}
    assert call(server, "POST", target, headers=foreign).status == 403
    null = {"Origin": "null", **bearer()}
    assert call(server, "POST", target, headers=null).status == 403
    cross = {"Sec-Fetch-Site": "cross-site", **bearer()}
    assert call(server, "POST", target, headers=cross).status == 403
    assert not sched.get(SLASHED).paused
    same = {"Origin": f"http://{url.netloc}", "Content-Type": "application/json", **bearer()}
    assert call(server, "POST", target, headers=same, body=b"{}").status == 200


# -- bad input --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("POST", "/jobs", "GET, HEAD"),
        ("DELETE", path_of(SLASHED), "GET, HEAD"),
        ("PUT", "/metrics", "GET, HEAD"),
        ("GET", path_of(SLASHED, "pause"), "POST"),
        ("OPTIONS", path_of(SLASHED, "run"), "POST"),
        ("POST", "/", "GET, HEAD"),
    ],
)
def test_wrong_method_is_405_with_allow(server: str, method: str, path: str, allow: str) -> None:
    answer = call(server, method, path, headers=bearer())
    assert answer.status == 405
    assert answer.headers["allow"] == allow
    assert answer.json()["status"] == 405


def test_unknown_job_is_404(server: str) -> None:
    for method, path in (
        ("GET", "/jobs/nope"),
        ("GET", "/jobs/nope/runs"),
        ("POST", "/jobs/nope/pause"),
    ):
        answer = call(server, method, path, headers=bearer())
        assert answer.status == 404
        assert "nope" in answer.json()["error"]


@pytest.mark.parametrize(
    "path",
    [
        "/nope",
        "/jobs/",
        "/jobs//runs",
        "/jobs/x/y/z",
        "/jobs/x/delete",
        "/../jobs",
        "/jobs/../healthz",
        "/static/../../etc/passwd",
        "/%2e%2e/jobs",
        "/jobs%2Fx",
        "http://evil.example/jobs",
    ],
)
def test_unknown_routes_are_404(server: str, path: str) -> None:
    answer = call(server, "GET", path)
    assert answer.status == 404
    assert answer.headers["content-type"].startswith("application/json")


@pytest.mark.parametrize("path", ["/jobs/%2e%2e", "/jobs/..%2F..%2Fetc%2Fpasswd", "/jobs/%00"])
def test_encoded_tricks_are_just_names(server: str, path: str) -> None:
    answer = call(server, "GET", path)
    assert answer.status == 404
    assert "no job named" in answer.json()["error"]


def test_bad_percent_encoding_is_400(server: str) -> None:
    assert call(server, "GET", "/jobs/%ff%fe").status == 400


def test_limits(server: str, sched: Scheduler) -> None:
    huge = call(server, "POST", path_of(SLASHED, "pause"), headers=bearer(), body=b"x" * 9000)
    assert huge.status == 413
    assert not sched.get(SLASHED).paused
    assert call(server, "GET", "/jobs/" + "a" * 3000).status == 414
    assert call(server, "GET", "/jobs", headers={"X-Big": "b" * 20000}).status == 431
    chunked = call(
        server,
        "POST",
        path_of(SLASHED, "pause"),
        headers={"Transfer-Encoding": "chunked", **bearer()},
        body=b"0\r\n\r\n",
    )
    assert chunked.status == 411


# -- the page, escaping, secrets ------------------------------------------------------


def test_page_escapes_every_user_string(server: str) -> None:
    answer = call(server, "GET", "/")
    assert answer.status == 200
    assert answer.headers["content-type"].startswith("text/html")
    page = answer.body.decode()
    assert SCRIPT not in page
    assert html.escape(SCRIPT) in page
    assert "&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;" in page
    assert "daily/report &lt;b&gt;&amp;" in page
    assert "boom <i>" not in page
    assert UNICODE in page
    # The JSON island cannot close its <script> element.
    island = page.split('id="data"', 1)[1].split("</script>", 1)[0]
    assert "<" not in island.split(">", 1)[1]
    csp = answer.headers["content-security-policy"]
    nonce = csp.split("'nonce-", 1)[1].split("'", 1)[0]
    assert page.count(f'nonce="{nonce}"') == 3
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert "http://" not in page and "https://" not in page  # nothing loaded from elsewhere


def test_tokens_stay_out_of_reprs_pages_and_logs(
    sched: Scheduler, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with serve(sched, token=TOKEN, read_token="reader-secret") as srv:
        text = repr(srv) + repr(srv.app) + str(srv.__dict__)
        call(srv.url, "POST", path_of(SLASHED, "pause"), headers=bearer())
        call(srv.url, "POST", path_of(SLASHED, "pause"), headers=bearer("wrong-guess"))
        page = call(srv.url, "GET", "/", headers=bearer()).body.decode()
        jobs = call(srv.url, "GET", "/jobs", headers=bearer()).body.decode()
    for secret in (TOKEN, "reader-secret", "wrong-guess"):
        assert secret not in text
        assert secret not in page + jobs
        assert secret not in caplog.text
    assert "pause" in caplog.text  # the control request is logged, without its header


def test_bad_tokens_are_refused_at_construction(sched: Scheduler) -> None:
    with pytest.raises(ValueError) as info:
        wsgi_app(sched, token=" padded ")
    assert "padded" not in str(info.value)
    with pytest.raises(ValueError):
        wsgi_app(sched, token="")
    with pytest.raises(TypeError):
        wsgi_app(sched, auth="yes")  # type: ignore[arg-type]


def test_server_binds_loopback_and_closes(sched: Scheduler) -> None:
    srv = serve(sched)
    assert srv.host == "127.0.0.1"
    assert srv.url == f"http://127.0.0.1:{srv.port}/"
    assert call(srv.url, "GET", "/healthz").status == 503
    srv.close()
    srv.close()  # twice is fine
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", srv.port), timeout=2).close()


# -- WSGI -----------------------------------------------------------------------------


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_wsgi_app_under_wsgiref(sched: Scheduler) -> None:
    httpd = make_server("127.0.0.1", 0, wsgi_app(sched, token=TOKEN), handler_class=_Quiet)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{httpd.server_port}/"
    try:
        assert [j["name"] for j in call(base, "GET", "/jobs").json()] == [SLASHED, UNICODE, SCRIPT]
        # wsgiref decodes PATH_INFO: the name with a slash is still found.
        assert call(base, "GET", path_of(SLASHED)).json()["name"] == SLASHED
        assert call(base, "GET", path_of(UNICODE, "runs")).json()["job"] == UNICODE
        assert call(base, "GET", path_of(SCRIPT, "calendar")).status == 200
        assert call(base, "POST", path_of(SLASHED, "pause")).status == 401
        assert call(base, "POST", path_of(SLASHED, "pause"), headers=bearer()).status == 200
        assert sched.get(SLASHED).paused
        assert call(base, "GET", "/jobs/nope/runs").status == 404
        assert call(base, "GET", path_of(SLASHED, "pause")).status == 405
        big = call(base, "POST", path_of(SLASHED, "run"), headers=bearer(), body=b"x" * 9000)
        assert big.status == 413
        assert call(base, "GET", "/metrics").status == 200
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def wsgi_call(app: Any, method: str, script: str, path_info: str, **extra: str) -> Answer:
    """Call a WSGI app directly, as a server would with the app mounted at ``script``."""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": script,
        "PATH_INFO": path_info.encode("utf-8").decode("latin-1"),
        "QUERY_STRING": "",
        "SERVER_NAME": "test",
        "SERVER_PORT": "80",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.url_scheme": "http",
        **extra,
    }
    got: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        got["status"] = int(status.split()[0])
        got["headers"] = {k.lower(): v for k, v in headers}

    body = b"".join(app(environ, start_response))
    return Answer(got["status"], got["headers"], body)


def test_wsgi_mounted_under_a_prefix(sched: Scheduler) -> None:
    app = wsgi_app(sched, token=TOKEN)
    redirect = wsgi_call(app, "GET", "/cron", "")
    assert redirect.status == 308 and redirect.headers["location"] == "/cron/"
    assert wsgi_call(app, "GET", "/cron", "/").status == 200
    assert wsgi_call(app, "GET", "/cron", "/jobs").status == 200
    # With the raw URI (gunicorn's RAW_URI, uWSGI's REQUEST_URI) %2F stays in the name.
    raw = "/cron" + path_of(SLASHED, "runs")
    answer = wsgi_call(app, "GET", "/cron", "/jobs/daily/report <b>&/runs", RAW_URI=raw)
    assert answer.json()["job"] == SLASHED
    answer = wsgi_call(app, "GET", "/cron", "/ignored", REQUEST_URI="/cron" + path_of(UNICODE))
    assert answer.json()["name"] == UNICODE


def test_wsgi_decoded_paths_prefer_the_action_of_an_existing_job() -> None:
    stub = Stub(names=("a", "a/runs"))
    app = wsgi_app(stub)
    assert wsgi_call(app, "GET", "", "/jobs/a/runs").json()["job"] == "a"
    assert wsgi_call(app, "GET", "", "/jobs/a").json()["name"] == "a"
    assert wsgi_call(app, "GET", "", "/jobs/b/runs").status == 404
    # The raw path is never ambiguous.
    raw = wsgi_call(app, "GET", "", "/jobs/a/runs", RAW_URI="/jobs/a%2Fruns")
    assert raw.json()["name"] == "a/runs"


# -- ASGI -----------------------------------------------------------------------------


@pytest.fixture
def uvicorn_url(sched: Scheduler) -> Iterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(asgi_app(sched, token=TOKEN), log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    ready = threading.Event()
    while not ready.wait(0.02):  # uvicorn says when it is listening
        if server.started or not thread.is_alive():
            ready.set()
    assert server.started
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/"
    finally:
        server.should_exit = True
        thread.join()
        sock.close()


def test_asgi_app_under_uvicorn(uvicorn_url: str, sched: Scheduler) -> None:
    base = uvicorn_url
    assert [j["name"] for j in call(base, "GET", "/jobs").json()] == [SLASHED, UNICODE, SCRIPT]
    assert call(base, "GET", path_of(SLASHED)).json()["name"] == SLASHED
    assert call(base, "GET", path_of(UNICODE, "runs")).json()["job"] == UNICODE
    assert call(base, "GET", "/jobs/daily/report").status == 404
    assert call(base, "POST", path_of(SLASHED, "pause"), headers=bearer("x")).status == 403
    assert call(base, "POST", path_of(SLASHED, "pause"), headers=bearer()).status == 200
    assert sched.get(SLASHED).paused
    assert call(base, "DELETE", "/jobs").status == 405
    big = call(base, "POST", path_of(SLASHED, "resume"), headers=bearer(), body=b"x" * 9000)
    assert big.status == 413
    assert sched.get(SLASHED).paused
    page = call(base, "GET", "/")
    assert page.status == 200 and SCRIPT not in page.body.decode()
    assert call(base, "GET", "/healthz").status == 503


def test_asgi_app_mounted_with_root_path(sched: Scheduler) -> None:

    async def go() -> list[Any]:
        transport = httpx.ASGITransport(app=asgi_app(sched, token=TOKEN), root_path="/cron")
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            jobs = await client.get("/cron/jobs")
            one = await client.get("/cron" + path_of(SLASHED))
            bare = await client.get("/cron")

            async def chunks() -> Any:
                for _ in range(20):
                    yield b"y" * 1000

            big = await client.post(
                "/cron" + path_of(SLASHED, "pause"), headers=bearer(), content=chunks()
            )
            return [jobs, one, bare, big]

    jobs, one, bare, big = asyncio.run(go())
    assert jobs.status_code == 200 and len(jobs.json()) == 3
    assert one.json()["name"] == SLASHED
    assert bare.status_code == 308 and bare.headers["location"] == "/cron/"
    assert big.status_code == 413
    assert not sched.get(SLASHED).paused


# -- a duck-typed scheduler: fixed runs and health, and a job without run_now -----------------


class StubJob:
    run_now: Any

    def __init__(self, name: str, runs: list[Run]) -> None:
        self.name = name
        self.expr = CronExpr("0 0 * * * *", tz="UTC")
        self.next_fire = datetime(2026, 3, 2, 10, tzinfo=UTC)
        self.paused = False
        self.fires, self.misses, self.skips, self.errors = 3, 0, 0, 1
        self.timeouts, self.retries, self.abandoned, self.running = 0, 0, 0, 0
        self.last_fire = datetime(2026, 3, 2, 9, tzinfo=UTC)
        self.runs = runs
        self.manual_runs = 0
        self.run_now = self._run_now  # an attribute, so a test can take it away

    def pause(self) -> None:
        self.paused = True

    def resume(self) -> None:
        self.paused = False

    def _run_now(self) -> None:
        self.manual_runs += 1


class Health(NamedTuple):
    ok: bool
    reason: str


class Stub:
    """The public surface of a scheduler, with fixed runs."""

    running = True

    def __init__(self, names: tuple[str, ...] = ("a/b",), healthy: bool = True) -> None:
        self.jobs = [StubJob(n, sample_runs(n)) for n in names]
        self.healthy = healthy

    def get(self, name: str) -> StubJob:
        for job in self.jobs:
            if job.name == name:
                return job
        raise KeyError(name)

    def health(self) -> Health:
        return Health(self.healthy, "on time" if self.healthy else "stalled")


def sample_runs(name: str) -> list[Run]:
    """Newest first: one running, one that raised, two that took 0.3 s and 12 s."""
    t = datetime(2026, 3, 2, 9, tzinfo=UTC)
    hour = timedelta(hours=1)
    return [
        Run(name, t, t, None, "running", host="h:1"),
        Run(
            name,
            t - hour,
            t - hour,
            t - hour + timedelta(seconds=2),
            "error",
            "ValueError: <x>",
            host="h:1",
        ),
        Run(
            name,
            t - 2 * hour,
            t - 2 * hour,
            t - 2 * hour + timedelta(seconds=0.3),
            "ok",
            host="h:1",
        ),
        Run(
            name, t - 3 * hour, t - 3 * hour, t - 3 * hour + timedelta(seconds=12), "ok", host="h:1"
        ),
    ]


def test_last_run_and_runs_from_the_history() -> None:
    stub = Stub()
    with serve(stub) as srv:
        job = call(srv.url, "GET", "/jobs/a%2Fb").json()
        runs = call(srv.url, "GET", "/jobs/a%2Fb/runs").json()["runs"]
    assert job["last_run"]["outcome"] == "running"
    assert job["last_run"]["ended"] is None
    assert job["last_success"] == "2026-03-02T07:00:00.300000+00:00"
    assert [r["outcome"] for r in runs] == ["running", "error", "ok", "ok"]
    assert runs[1]["error"] == "ValueError: <x>"
    assert runs[1]["duration"] == 2.0
    assert runs[3]["instant"] == "2026-03-02T06:00:00+00:00"


def test_connections_are_bounded(sched: Scheduler, monkeypatch: pytest.MonkeyPatch) -> None:
    from cronsec.web import _transports

    monkeypatch.setattr(_transports, "MAX_CONNECTIONS", 2)
    with serve(sched) as srv:
        idle = [socket.create_connection(("127.0.0.1", srv.port), timeout=10) for _ in range(2)]
        try:
            with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
                call(srv.url, "GET", "/healthz")
        finally:
            for s in idle:
                s.close()
        # The idle connections' threads end on EOF and give their places back.
        pause = threading.Event()  # never set: a short wait between tries
        for _ in range(250):
            try:
                answer = call(srv.url, "GET", "/healthz")
                break
            except (http.client.RemoteDisconnected, ConnectionError):
                pause.wait(0.02)
        else:
            pytest.fail("the server never served again after its connections closed")
        assert answer.status == 503


def test_schedules_that_are_not_cron_expressions() -> None:
    from cronsec import Interval

    sched = Scheduler(tz="UTC", clock=FakeClock("2026-03-02T08:59:59+00:00"))
    sched.add(Interval(seconds=2), lambda: None, name="every-2s")
    sched.at(datetime(2026, 3, 5, tzinfo=UTC), lambda: None, name="once")
    with serve(sched) as srv:
        jobs = {j["name"]: j for j in call(srv.url, "GET", "/jobs").json()}
        interval = call(srv.url, "GET", "/jobs/every-2s/calendar?month=2026-03").json()
        once = call(srv.url, "GET", "/jobs/once/calendar?month=2026-03").json()
        metrics = call(srv.url, "GET", "/metrics").body.decode()
    assert jobs["every-2s"]["expr"] == jobs["every-2s"]["description"] == "every 2 seconds"
    assert jobs["every-2s"]["next_fire"] == "2026-03-02T09:00:01+00:00"
    assert jobs["once"]["next_fire"] == "2026-03-05T00:00:00+00:00"
    # From its start on 2 March, past the 200 counted per day.
    assert sorted(interval["days"]) == [f"2026-03-{d:02d}" for d in range(2, 32)]
    assert interval["capped"] == sorted(interval["days"])
    assert once["days"] == {"2026-03-05": 1}
    assert 'cronsec_interval_seconds{job="every-2s"} 2.0' in metrics
    assert 'cronsec_interval_seconds{job="once"}' not in metrics  # nothing before it
