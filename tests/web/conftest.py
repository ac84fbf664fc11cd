"""The workbench served for real (uvicorn in a thread, on a demo county in a SQLite file) and
driven by Debian's Chromium through Playwright.

Browser tests skip when ``/usr/bin/chromium`` is absent, unless ``FANGPIN_REQUIRE_CHROMIUM=1``
(what `.ci/run` sets after installing it) makes them fail. Screenshots go to
``var/screenshots/`` (not committed).
"""

from __future__ import annotations

import itertools
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from application.commands import MemberIn, RegisterHousehold
from application.demo import ensure_demo_users, load_demo
from application.settings import Settings
from domain.codes import Health, HouseholdType, LabourCapacity, Relation, Role
from domain.values import Actor
from interfaces.http import create_app
from tests.builders import id_number
from tests.conftest import TEST_CIPHER_KEY, shut_down

CHROMIUM = Path(os.environ.get("FANGPIN_CHROMIUM", "/usr/bin/chromium"))
REQUIRE_CHROMIUM = os.environ.get("FANGPIN_REQUIRE_CHROMIUM") == "1"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
#: The chromium flags that keep it from reaching for the internet (notes-tooling.md).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
#: How the workbench is read: on a desk, and on a 360 px phone (issue 20).
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}
#: The boxes that scroll sideways on purpose: a matrix is read across, it cannot be cards.
SCROLLS_ON_PURPOSE = ".matrix-box"
#: What spills over on a screen ``width`` px wide, as the browser measures it: a page that is not
#: HTML, the document scrolling sideways, any other box that must scroll sideways, and every box
#: holding text (a block, cell or button, not an inline run) whose text is wider than the box.
SPILLS = """([width, onPurpose]) => {
  const said = [];
  if (document.contentType !== 'text/html') said.push(`不是网页，是 ${document.contentType}`);
  const doc = document.documentElement;
  if (doc.scrollWidth > width) said.push(`页面横向滚动：宽 ${doc.scrollWidth} px，屏宽 ${width} px`);
  const scrolls = box => ['auto', 'scroll'].includes(getComputedStyle(box).overflowX);
  const boxes = new Set([...document.body.querySelectorAll('*')].filter(scrolls));
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let text = walker.nextNode(); text; text = walker.nextNode()) {
    if (!text.textContent.trim() || text.parentElement.closest('select, script, style, template'))
      continue;
    let box = text.parentElement;
    while (box && ['inline', 'contents'].includes(getComputedStyle(box).display))
      box = box.parentElement;
    if (box) boxes.add(box);
  }
  for (const box of boxes) {
    if (!box.checkVisibility() || box.matches(onPurpose) || box.scrollWidth <= box.clientWidth + 1)
      continue;  // not shown (a closed <details>), scrolling on purpose, or fitting
    const name = box.tagName.toLowerCase() + (box.id ? '#' + box.id : '')
      + [...box.classList].map(c => '.' + c).join('');
    const what = scrolls(box) ? '横向滚动' : '文字溢出';
    said.push(`${name} ${what}：${box.scrollWidth} > ${box.clientWidth} px，`
      + `“${box.textContent.trim().replace(/\\s+/g, ' ').slice(0, 40)}”`);
  }
  return said;
}"""
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


class Server:
    """The app served on one fixed address, stopped and started again like a real server."""

    def __init__(self, app: Any) -> None:
        self.app, self.port = app, _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server: uvicorn.Server | None = None
        self.thread: threading.Thread | None = None
        self.running = False

    def start(self) -> None:
        if self.running:
            return
        self.server = uvicorn.Server(uvicorn.Config(
            self.app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off",
            timeout_graceful_shutdown=1))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.05)
        self.running = True

    def stop(self) -> None:
        assert self.server is not None and self.thread is not None
        self.server.should_exit = True
        self.thread.join(10)
        assert not self.thread.is_alive(), "the server did not stop"
        self.running = False


@pytest.fixture(scope="session")
def workbench(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A served demo county of 300 households; yields its base URL and the app. One per test
    process (each of `make test`'s workers): no test may count on what another file did to it;
    one that needs a household in a given state makes it (`household_without_a_case`)."""
    work = tmp_path_factory.mktemp("workbench")
    settings = Settings(sqlite_path=work / "county.sqlite3", cipher_key=TEST_CIPHER_KEY)
    app = create_app(settings, clock=Clock())
    load_demo(app.state.case_files, 300)
    ensure_demo_users(app.state.users)
    with serving(app) as served:
        yield served


@contextmanager
def serving(app: Any) -> Iterator[dict[str, Any]]:
    """``app`` with its read models caught up, served on a free port until the block ends (its
    base URL and the app), then shut down."""
    app.state.projections.catch_up()
    server = Server(app)
    server.start()
    try:
        yield {"url": server.url, "app": app}
    finally:
        server.stop()
        shut_down(app)


#: Households a test registers for itself (`household_without_a_case`), numbered per process.
_REGISTERED = itertools.count(1)


def household_without_a_case(workbench: dict[str, Any], township: str, village: str) -> str:
    """A household registered now in ``village``, with no case: a test that needs one makes its
    own, whatever the tests before it (in any order, on any worker) did to the demo's few."""
    n = next(_REGISTERED)
    code = f"9{n:011d}"
    # A head's name no other such household has, for the tests that search by it; area code
    # 130631 (a neighbour county's), as the demo's people are all 130630.
    head = "赵钱孙周吴郑冯陈"[n % 8] + ("满仓", "有福", "长顺", "来福", "金锁", "富贵", "有余")[n // 8 % 7]
    members = [MemberIn(name=name, id_number=id_number(born, 2 * n + sex, area="130631"),
                        relation=relation, health=Health.HEALTHY,
                        labour_capacity=LabourCapacity.ORDINARY, insured=True)
               for name, born, sex, relation in ((head, date(1966, 4, 2), 1, Relation.HEAD),
                                                 ("孙桂兰", date(1968, 9, 12), 0, Relation.SPOUSE))]
    state = workbench["app"].state
    result = state.case_files.register_household(RegisterHousehold(
        code=code, township=township, village=village, address=f"{village}{n}号",
        household_type=HouseholdType.ORDINARY, lifted_out_year=None, members=members,
        occurred_on=date(2024, 1, 1)), by=Actor("county-centre-01", Role.COUNTY_CENTRE))
    assert state.projections.wait_for(result.position, timeout=10)
    return code


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


@pytest.fixture
def fits(tmp_path: Path) -> Callable[[Any, str], None]:
    """Check that the page shown fits its screen; when something spills, save the whole page's
    screenshot under the test's tmp dir and name it in the failure. (A page that fits is not
    captured: nobody looks at it, and the capture cost a fifth of these tests' time.)"""

    def check(page: Any, name: str) -> None:
        from playwright.sync_api import Error as PlaywrightError

        width = page.viewport_size["width"]
        page.wait_for_load_state()  # a page still on its way has no document to measure
        spills = page.evaluate(SPILLS, [width, SCROLLS_ON_PURPOSE])
        if not spills:
            return
        shot = tmp_path / f"{name}.png"
        try:
            page.screenshot(path=str(shot), full_page=True)
        except PlaywrightError:  # Chromium now and then refuses one capture, then takes it again
            page.wait_for_timeout(250)
            page.screenshot(path=str(shot), full_page=True)
        raise AssertionError(f"{page.url} 在 {width} px 宽的屏上放不下（截图 {shot}）：\n"
                             + "\n".join(spills))

    return check
