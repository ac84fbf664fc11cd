"""The province's page in Chromium, served by one server for two counties: a provincial
auditor signs in, reads counties × indicators and a county's months, on a desk and a phone."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from application.accounts.access import User
from application.accounts.logins import Logins
from application.accounts.users import Users
from application.app import CaseFiles
from application.demo import load_demo
from application.province import Deployment
from application.province.figures import ProvincialFigures, catch_up_all
from application.settings import Settings
from domain.codes import Role
from interfaces.http.mounts import deployment_app
from tests.conftest import TEST_CIPHER_KEY
from tests.web.conftest import DESKTOP, PHONE, Clock, Server

PASSWORD = "省级核对-2025"
COUNTIES = {"130630": "涞源县", "130633": "易县"}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    settings = Settings(sqlite_path=tmp_path_factory.mktemp("province") / "root.sqlite3",
                        cipher_key=TEST_CIPHER_KEY)
    clock = Clock()
    with Deployment(settings, clock=clock) as deployment:
        for seed, (code, name) in enumerate(COUNTIES.items(), start=1):
            deployment.add(code, name)
            with CaseFiles(deployment.county_settings(code), clock=clock) as app:
                load_demo(app, 30, seed=seed, until=date(2025, 7, 19), now=clock())
        catch_up_all(deployment, ProvincialFigures(deployment.province()))
        with CaseFiles(settings.province_store(), clock=clock) as province:
            users = Users(province.factory.datastore, backend="sqlite")  # type: ignore[attr-defined]
            users.add(User("sheng-sj", Role.AUDITOR))
            Logins(users, clock=clock).set_password("sheng-sj", PASSWORD)
    app = deployment_app(settings, clock=clock)
    server = Server(app)
    server.start()
    yield server.url
    server.stop()
    app.close()


@pytest.mark.parametrize("screen", [DESKTOP, PHONE], ids=["desk", "phone"])
def test_a_provincial_auditor_reads_every_county_and_one_countys_months(
        browser: Any, fits: Any, served: str, screen: dict[str, Any]) -> None:
    context = browser.new_context(base_url=served, locale="zh-CN", **screen)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto("/province/web/")
        page.fill("#name", "sheng-sj")
        page.fill("#password", PASSWORD)
        page.click("#login-form button[type=submit]")
        page.wait_for_selector("#province-matrix")
        assert page.url.endswith("/province/web/province")
        heads = page.locator("#province-matrix thead th[data-county]").all_text_contents()
        assert [h.strip() for h in heads] == list(COUNTIES.values())
        visits = page.locator("#province-matrix tr[data-indicator='visit_coverage'] td")
        assert all(cell.strip().endswith("%") for cell in visits.all_text_contents())
        fits(page, f"province-{page.viewport_size['width']}")
        page.click("#province-matrix th[data-county='130630'] a")
        page.wait_for_selector("#county-matrix")
        assert "/province/web/province/130630" in page.url
        assert "sha256:" in page.text_content("#county-source")
        months = page.locator("#county-matrix thead th").all_text_contents()
        assert "2025-07" in months and "2025-01" in months
        fits(page, f"province-county-{page.viewport_size['width']}")
        # the county's own workbench is one link away, under its own prefix
        page.goto("/province/web/province")
        href = page.get_attribute("#province-sources tr[data-county='130633'] a", "href")
        assert href == "/c/130633/web/indicators?period=2025"
    finally:
        context.close()
