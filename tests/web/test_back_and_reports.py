"""Slips once checked only over HTTP, now in Chromium as people meet them (issue 24 items 7
and 8): Back after 退出登录 shows nothing personal; the monthly report downloaded is the month
shown; a department is offered no report it may not open."""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin

from application.demo import DEMO_TOKENS, demo_users
from domain.codes import Role
from projections.queries import Area
from tests.web.conftest import login

USERS = {user.role: user for user in demo_users()}


def test_back_after_logging_out_shows_no_name_or_id_number(new_page: Any,
                                                           workbench: dict[str, Any]) -> None:
    state = workbench["app"].state
    code = state.read_models.directory(Area(), limit=1).rows[0]["code"]
    head = state.case_files.household(code).head
    page = new_page()
    login(page, USERS[Role.COUNTY_CENTRE].name, DEMO_TOKENS[Role.COUNTY_CENTRE])
    page.goto(f"/web/households/{code}")
    shown = page.content()
    assert head.name in shown and head.id_number in shown  # the county reads them in full
    page.click("form.logout button")
    page.wait_for_url("**/web/login**")
    page.go_back()
    page.wait_for_load_state()
    after = page.content()
    assert head.name not in after and head.id_number not in after, page.url
    assert "/web/login" in page.url


def test_the_monthly_report_downloaded_is_the_month_shown(new_page: Any) -> None:
    page = new_page()
    login(page, USERS[Role.COUNTY_CENTRE].name, DEMO_TOKENS[Role.COUNTY_CENTRE])
    page.goto("/web/indicators")
    page.fill("input[name='period']", "2025-03")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**period=2025-03**")
    assert "2025-03" in page.text_content("#monthly-report")
    with page.expect_download() as download:
        page.click("#monthly-report")
    assert download.value.suggested_filename.startswith("月分析会商报告2025-03-全县-")


def test_a_department_is_offered_no_report_it_may_not_open(new_page: Any) -> None:
    """Every report link on the department's first page and its indicators page opens."""
    page = new_page()
    login(page, USERS[Role.DEPARTMENT].name, DEMO_TOKENS[Role.DEPARTMENT])
    offered: set[str] = set()
    for path in ("/web/", "/web/indicators"):
        page.goto(path)
        hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))")
        offered |= {urljoin(page.url, h) for h in hrefs if "report" in h or "indicators" in h}
    assert page.locator("#monthly-report").count() == 0
    answers = {href: page.request.get(href).status for href in sorted(offered)}
    assert answers and all(status != 403 for status in answers.values()), answers
