"""The status page in a real browser: Debian's headless Chromium driven by Playwright, against
the Flask app served on 127.0.0.1 over a moto table seeded with a day of checks.

Run with `make test-browser` (it installs Playwright and axe-core's script from PyPI; Chromium
comes from `apt-get install chromium`). `make test` leaves these tests out (marker `browser`).
"""

from __future__ import annotations

import importlib.resources
import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright import sync_api as playwright_sync
from werkzeug.serving import make_server

from tools.local_monitor import DOWN_NOW, SAMPLE_SITES, local_monitor

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
HEARTBEATS_PER_SITE = 40
# Where the screenshot goes; `make test-browser SCREENSHOT=docs/status-page.png` updates the
# one on the monitor page (docs/monitor.md).
SCREENSHOT = Path(os.environ.get("SCREENSHOT", ".build/status-page.png"))


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with local_monitor(NOW) as app:
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.port}"
        finally:
            server.shutdown()
            thread.join(timeout=5)


@pytest.fixture(scope="module")
def browser_context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (make test-browser does)")
    with playwright_sync.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1024, "height": 900},
        )
        try:
            yield context
        finally:
            context.close()


class PageWatch:
    """Every request the page makes, and every console error or uncaught exception."""

    def __init__(self, page: Any) -> None:
        self.requests: list[str] = []
        self.errors: list[str] = []
        page.on("request", lambda request: self.requests.append(request.url))
        page.on(
            "console",
            lambda message: self.errors.append(message.text) if message.type == "error" else None,
        )
        page.on("pageerror", lambda error: self.errors.append(str(error)))


@pytest.fixture
def page(browser_context: Any, base_url: str) -> Iterator[tuple[Any, PageWatch]]:
    # Anything not addressed to the app is stopped (and still recorded by the watch).
    page = browser_context.new_page()
    page.route(
        "**/*",
        lambda route: (
            route.continue_() if route.request.url.startswith(f"{base_url}/") else route.abort()
        ),
    )
    watch = PageWatch(page)
    page.goto(f"{base_url}/", wait_until="load")
    yield page, watch
    page.close()


def test_banner_counts_the_sites_that_are_down(page: tuple[Any, PageWatch], base_url: str):
    browser_page, _watch = page
    api = browser_page.request.get(f"{base_url}/api/status").json()
    down = [site["url"] for site in api["sites"] if site["status"] == "down"]

    banner = browser_page.get_by_role("status")

    assert down == [DOWN_NOW]
    assert banner.inner_text() == f"{len(down)} of {len(SAMPLE_SITES)} sites down"
    assert browser_page.title() == f"{len(down)} down · Uptime"


def test_every_site_has_a_heartbeat_bar_and_a_latency_sparkline(page: tuple[Any, PageWatch]):
    browser_page, _watch = page
    sites = browser_page.locator("section.site")

    assert sites.count() == len(SAMPLE_SITES)
    for index in range(len(SAMPLE_SITES)):
        site = sites.nth(index)
        bars = site.locator("svg.beats rect")
        assert bars.count() == HEARTBEATS_PER_SITE
        box = bars.last.bounding_box()
        assert box is not None and box["width"] > 0 and box["height"] > 0
        line = site.locator("svg.spark polyline").bounding_box()
        assert line is not None and line["width"] > 100
    down_site = sites.filter(has_text=DOWN_NOW)
    assert down_site.locator("svg.beats rect.down").count() == 3
    assert "timeout after 10 s" in down_site.inner_text()


def test_no_console_errors_and_no_request_leaves_the_machine(
    page: tuple[Any, PageWatch], base_url: str
):
    _browser_page, watch = page

    assert watch.errors == []
    assert watch.requests and all(url.startswith(f"{base_url}/") for url in watch.requests)


def test_the_page_passes_axe_core(page: tuple[Any, PageWatch]):
    browser_page, _watch = page
    axe = importlib.resources.files("axe_playwright_python").joinpath("axe.min.js").read_text()

    # Evaluated through the DevTools protocol, which the page's CSP does not govern.
    browser_page.evaluate(axe)
    results = browser_page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")

    violations = [
        (violation["id"], [node["target"] for node in violation["nodes"]])
        for violation in results["violations"]
    ]
    assert violations == []
    assert results["passes"], "axe ran no checks"


def test_readable_on_a_phone_without_sideways_scrolling(page: tuple[Any, PageWatch]):
    browser_page, _watch = page
    browser_page.set_viewport_size({"width": 375, "height": 812})

    widths = browser_page.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth]"
    )

    assert widths[0] <= widths[1]
    assert browser_page.locator("svg.beats").first.bounding_box()["width"] <= 375


def test_screenshot_of_the_status_page(page: tuple[Any, PageWatch]):
    browser_page, _watch = page
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)

    browser_page.screenshot(path=str(SCREENSHOT), full_page=True)

    assert SCREENSHOT.stat().st_size > 10_000
