"""The workbench served for real (uvicorn in a thread, on a demo county in a SQLite file) and
driven by Debian's Chromium through Playwright.

Browser tests skip when ``/usr/bin/chromium`` is absent, unless ``FANGPIN_REQUIRE_CHROMIUM=1``
(what `.ci/run` sets after installing it) makes them fail. Screenshots go to
``var/screenshots/`` (not committed).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from application.demo import ensure_demo_users, load_demo
from application.settings import Settings
from interfaces.http import create_app
from tests.conftest import TEST_CIPHER_KEY

CHROMIUM = Path(os.environ.get("FANGPIN_CHROMIUM", "/usr/bin/chromium"))
REQUIRE_CHROMIUM = os.environ.get("FANGPIN_REQUIRE_CHROMIUM") == "1"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
#: The chromium flags that keep it from reaching for the internet (notes-tooling.md).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
#: The workbench's "now": mid-July of the demo year, when its cases are open and its visits due.
NOW = datetime(2025, 7, 20, 2, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def workbench(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A served demo county of 300 households; yields its base URL and the app."""
    work = tmp_path_factory.mktemp("workbench")
    settings = Settings(sqlite_path=work / "county.sqlite3", cipher_key=TEST_CIPHER_KEY)
    app = create_app(settings, clock=Clock())
    case_files = app.state.case_files
    load_demo(case_files, 300)
    ensure_demo_users(app.state.users)
    app.state.projections.catch_up()
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the workbench did not start")
        time.sleep(0.05)
    try:
        yield {"url": f"http://127.0.0.1:{port}", "app": app}
    finally:
        server.should_exit = True
        thread.join(10)
        app.state.projections.close()
        case_files.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        if REQUIRE_CHROMIUM:
            pytest.fail(f"Chromium is required (FANGPIN_REQUIRE_CHROMIUM=1) but {CHROMIUM} is missing")
        pytest.skip(f"Chromium not installed at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser: Any, workbench: dict[str, Any]) -> Iterator[Any]:
    """Open pages in fresh browser contexts (no cookies shared between tests)."""
    contexts = []

    def make(**options: Any) -> Any:
        context = browser.new_context(base_url=workbench["url"], locale="zh-CN", **options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield make
    for context in contexts:
        context.close()


def login(page: Any, name: str, password: str) -> None:
    page.goto("/web/login")
    page.fill("#name", name)
    page.fill("#password", password)
    page.click("#login-form button[type=submit]")


def screenshot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
