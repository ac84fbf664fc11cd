"""公示 in the workbench: the village previews its notice, prints the very page the API serves
(and publishing digests), exports it, and publishes it once; the page is reached from the
village's and the township's menus, and another village's notice is not theirs to print."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import UTC, date, datetime
from typing import Any

import httpx
import openpyxl

from application.commands import RaiseAlert, VerifyAtHome
from application.demo import DEMO_TOKENS, demo_users
from domain.codes import Channel, Finding, RiskType, Role
from domain.values import Actor
from tests.web.conftest import PHONE, household_without_a_case, login, screenshot

USERS = {user.role: user for user in demo_users()}
VILLAGE, TOWNSHIP = USERS[Role.VILLAGE_LIAISON], USERS[Role.TOWNSHIP_WORKSTATION]


def _client(workbench: dict[str, Any], role: Role) -> httpx.Client:
    client = httpx.Client(base_url=workbench["url"], timeout=30)
    token = re.search(r'name="_csrf_token" value="([^"]+)"', client.get("/web/login").text).group(1)
    client.post("/web/login", data={"_csrf_token": token, "name": USERS[role].name,
                                    "password": DEMO_TOKENS[role], "next": "/web/"})
    assert "fangpin_session" in client.cookies
    return client


#: The day the village prints its notice: after the demo's year (its log holds the year, and
#: the village's own case of the year's last days awaits its notice too: it is verified after
#: the fixture's July, so a notice of July could not list it).
PRINTED = datetime(2026, 1, 12, 2, 0, tzinfo=UTC)


def _case_awaiting_the_notice(workbench: dict[str, Any]) -> str:
    """A household of the village user's village with a case whose visit confirmed the risk."""
    app = workbench["app"]
    case_files = app.state.case_files
    code = household_without_a_case(workbench, VILLAGE.township, VILLAGE.village)
    by = Actor("county-centre-01", Role.COUNTY_CENTRE)
    head = case_files.household(code).head.id_number
    number = case_files.execute(code, RaiseAlert(
        alert_id="A-NOTICE-PAGE", channel=Channel.SELF_DECLARATION, person_id_number=head,
        risk_types=[RiskType.ILLNESS], description="电话13912345678", occurred_on=date(2026, 1, 8)),
        by=by).outcome.case_number
    case_files.execute(code, VerifyAtHome(case_number=number, finding=Finding.RISK_CONFIRMED, risk_clear=True,
                                          occurred_on=date(2026, 1, 9)), by=by)
    return code


def test_the_village_prints_and_publishes_its_notice_from_the_workbench(
        workbench: dict[str, Any]) -> None:
    case_files = workbench["app"].state.case_files
    before, case_files.clock.now = case_files.clock.now, PRINTED
    try:
        _prints_and_publishes(workbench)
    finally:
        case_files.clock.now = before


def _prints_and_publishes(workbench: dict[str, Any]) -> None:
    code = _case_awaiting_the_notice(workbench)
    case_files = workbench["app"].state.case_files
    head = case_files.household(code).head
    village = _client(workbench, Role.VILLAGE_LIAISON)
    try:
        assert 'href="/web/notices"' in village.get("/web/").text
        page = village.get("/web/notices").text
        assert head.name in page.split('id="notice-table"')[1]
        digest = re.search(r'id="notice-digest">([0-9a-f]{64})<', page).group(1)
        query = re.search(r'id="print-link" href="/web/notices/print\?([^"]+)"', page)
        query = query or re.search(r'href="/web/notices/print\?([^"]+)"', page)
        printed = village.get("/web/notices/print?" + query.group(1).replace("&amp;", "&"))
        assert hashlib.sha256(printed.content).hexdigest() == digest
        api = httpx.get(f"{workbench['url']}/api/notices/identification/print",
                        headers={"Authorization": f"Bearer {DEMO_TOKENS[Role.VILLAGE_LIAISON]}"})
        assert api.content == printed.content  # one page, whichever way it is fetched
        text = printed.content.decode("utf-8")
        assert head.name in text and not re.search(r"\d{17}[\dX]|1[3-9]\d{9}", text)
        book = openpyxl.load_workbook(io.BytesIO(village.get(
            "/web/notices/xlsx?" + query.group(1).replace("&amp;", "&")).content))
        cells = [str(c) for row in book["公示名单"].iter_rows(values_only=True) for c in row]
        assert head.name in cells and not any(head.id_number in c for c in cells)

        form = page.split('id="publish-form"')[1]
        fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form))
        done = village.post("/web/notices/publish", data=fields).text
        assert 'id="done"' in done and 'id="published"' in done, done[:2000]
        again = village.post("/web/notices/publish", data=fields).text
        assert "已发布过，未重复记录" in again
        published = [e for e in case_files.history(code) if e.event == "NoticePublished"]
        assert [e.details["digest"] for e in published] == [digest]
        assert "发布公示" in village.get(f"/web/households/{code}").text

        other = village.get("/web/notices/print", params={"township": TOWNSHIP.township,
                                                           "village": "不存在村"})
        assert other.status_code == 403 and "OUTSIDE_AREA" in other.text
    finally:
        village.close()
    township = _client(workbench, Role.TOWNSHIP_WORKSTATION)
    try:
        assert 'href="/web/notices"' in township.get("/web/").text
        page = township.get("/web/notices", params={"village": VILLAGE.village}).text
        assert head.name in page and 'id="published"' in page
    finally:
        township.close()


def test_the_notices_page_fits_a_phone_and_the_notice_prints_on_a4(new_page: Any, fits: Any) -> None:
    page = new_page(**PHONE)
    login(page, VILLAGE.name, DEMO_TOKENS[Role.VILLAGE_LIAISON])
    page.goto("/web/notices")
    assert page.locator("#notice-preview h2").text_content().endswith("监测对象识别村级评议公示")
    fits(page, "notices-phone")
    screenshot(page, "20-phone-notices")
    printed = page.locator("#print-link").get_attribute("href")
    # the print page is paper (its bytes are the notice's digest): read at A4 width, 96 dpi
    page = new_page(viewport={"width": 794, "height": 1123}, storage_state=page.context.storage_state())
    page.goto(printed)
    fits(page, "notice-print-a4")
    screenshot(page, "21-notice-print")
    page.emulate_media(media="print")
    assert page.locator("h1").text_content() == "监测对象识别村级评议公示"
    pdf = page.pdf(format="A4", prefer_css_page_size=True)
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") >= 1
