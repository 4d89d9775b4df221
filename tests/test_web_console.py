"""The console in a real headless Chromium (Debian's ``chromium``, driven by Playwright).

The scheduler runs on a FakeClock and is never started, so the page shows
fixed data. The screenshot in docs/watching.md is taken here when the
environment variable CRONSEC_SCREENSHOT is set (a test run leaves docs alone).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import need_binary
from test_web import SCRIPT, SLASHED, TOKEN, UNICODE, make_sched

from cronsec import Scheduler
from cronsec.web import serve

SCREENSHOT = Path(__file__).resolve().parent.parent / "docs" / "console.png"
WAIT = 10_000  # ms: the longest Playwright waits for something to appear


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    chromium = need_binary("chromium", why="the console tests drive a headless Chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def served() -> Iterator[tuple[Scheduler, str]]:
    _, sched = make_sched()
    with serve(sched, token=TOKEN) as srv:
        yield sched, srv.url


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    http_status = "Failed to load resource: the server responded with a status"

    def on_console(message: Any) -> None:
        # 401/403/503 answers are the page's business; CSP violations and script errors are not.
        if message.type == "error" and not message.text.startswith(http_status):
            errors.append(message.text)

    page.on("console", on_console)
    page.set_default_timeout(WAIT)
    yield page
    context.close()
    assert errors == [], errors  # no script error, no CSP violation


def card(page: Any, name: str) -> Any:
    return page.locator("article.job").filter(has=page.locator("span.name", has_text=name))


def test_console_shows_every_job(page: Any, served: tuple[Scheduler, str]) -> None:
    sched, url = served
    page.goto(url)
    names = page.locator("article.job span.name").all_text_contents()
    assert names == [SLASHED, UNICODE, SCRIPT]  # the script's name shown as text, not run
    daily = card(page, SLASHED)
    assert "0 0 9 * * mon-fri" in daily.locator("code.expr").inner_text()
    assert daily.locator(".desc").inner_text() == sched.get(SLASHED).expr.describe()
    assert "fires 1" in daily.locator(".counters").inner_text()
    assert card(page, UNICODE).locator(".counters").inner_text().count("errors 1") == 1
    assert card(page, SCRIPT).locator(".badge").inner_text() == "paused"
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert "unhealthy" in page.locator("#health").inner_text()  # not started


def test_pause_with_the_token_pauses_the_job(page: Any, served: tuple[Scheduler, str]) -> None:
    sched, url = served
    page.goto(url)
    page.fill("#token", TOKEN)
    page.click("#savetoken")
    card(page, SLASHED).locator("button.act-pause").click()
    page.locator("#message.good", has_text="pause: done").wait_for()
    assert sched.get(SLASHED).paused
    # The page refreshes from /jobs and now offers resume.
    card(page, SLASHED).locator(".badge").wait_for()
    card(page, SLASHED).locator("button.act-resume").click()
    page.locator("#message", has_text="resume: done").wait_for()
    assert not sched.get(SLASHED).paused
    assert TOKEN not in page.content()  # kept in sessionStorage, never in the page
    assert page.evaluate("sessionStorage.getItem('cronsec-token')") == TOKEN


def test_a_wrong_token_is_refused(page: Any, served: tuple[Scheduler, str]) -> None:
    sched, url = served
    page.goto(url)
    card(page, SLASHED).locator("button.act-pause").click()
    page.locator("#message.bad").wait_for()
    assert "Refused (401)" in page.locator("#message").inner_text()
    page.fill("#token", "not-the-token")
    page.click("#savetoken")
    card(page, SLASHED).locator("button.act-pause").click()
    page.locator("#message", has_text="Refused (403)").wait_for()
    assert not sched.get(SLASHED).paused


def test_a_job_shows_its_runs_and_calendar(page: Any) -> None:
    clock, sched = make_sched()
    clock.advance(86400)  # to Tuesday 09:00: one more daily run, ticks missed and one run
    sched.run_pending()
    with serve(sched, token=TOKEN) as srv:
        page.goto(srv.url)
        card(page, SLASHED).locator("code.expr").click()
        page.locator("#detail.show .cal .fire").first.wait_for()
        check_detail(page)


def check_detail(page: Any) -> None:
    runs = page.locator("#detail .runs tr")
    runs.nth(2).wait_for()  # a header and the two runs of the daily job
    assert runs.count() == 3
    assert page.locator("#detail .runs td.out-ok").count() == 2
    assert page.locator("#detail h2").inner_text() == SLASHED
    assert "2026-03" in page.locator("#detail .calnav").inner_text()
    assert page.locator("#detail .cal .fire").count() == 22  # March 2026 has 22 weekdays
    if os.environ.get("CRONSEC_SCREENSHOT"):  # CRONSEC_SCREENSHOT=1 renews docs/console.png
        page.set_viewport_size({"width": 1000, "height": 820})
        page.screenshot(path=str(SCREENSHOT), full_page=True)
    page.locator("#detail .calnav button").last.click()
    page.locator("#detail .calnav", has_text="2026-04").wait_for()
    assert page.locator("#detail .cal .fire").count() == 22  # April 2026 too


def test_console_reads_on_a_phone(browser: Any, served: tuple[Scheduler, str]) -> None:
    _, url = served
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        page = context.new_page()
        page.goto(url)
        page.locator("article.job").first.wait_for()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390  # no sideways scrolling
        assert page.locator("article.job").count() == 3
    finally:
        context.close()
