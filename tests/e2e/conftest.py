"""Browser tests: Debian's Chromium driven by Playwright against `sscard serve --demo`.

One server and one browser for the whole session; each test gets its own context
(cookies), so tests do not sign each other in.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from tests.servers import Server, demo_environment, demo_server

CHROMIUM = os.environ.get("SSCARD_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).parent / "screenshots"
WIDTHS = {"desktop": (1280, 800), "phone": (390, 844)}


@pytest.fixture(scope="session")
def started_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`sscard serve --demo` on loopback, on a fresh SQLite file, starting (it loads the
    demo data while the browser starts)."""
    home = tmp_path_factory.mktemp("e2e-server")
    env = demo_environment(home, SSCARD_JOBS_INTERVAL_SECONDS="0")
    with demo_server(home, env, wait=False) as running:
        yield running


@pytest.fixture(scope="session")
def server(started_server: Server, browser: Browser) -> str:
    """The server's base URL, once it answers."""
    started_server.wait_until_healthy()
    return started_server.base


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright, started_server: Server) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        message = f"Chromium is not at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


@pytest.fixture
def page(browser: Browser, server: str) -> Iterator[Page]:
    """A fresh browser context (no cookies) whose first language is Chinese."""
    context = browser.new_context(base_url=server, locale="zh-CN", viewport={"width": 1280, "height": 800})
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def shoot(page: Page, name: str) -> None:
    """Screenshots of the page at desktop and phone width, for a person to look at."""
    SCREENSHOTS.mkdir(exist_ok=True)
    for label, (width, height) in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=SCREENSHOTS / f"{name}-{label}.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})


def serious_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it stands."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    violations: list[dict[str, Any]] = results.response["violations"]
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]]}
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]


def check_page(page: Page, name: str) -> None:
    """Every page a test visits: screenshots, and no serious accessibility violation."""
    shoot(page, name)
    assert serious_violations(page) == []
