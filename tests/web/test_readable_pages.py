"""Pages a county official reads at a glance (issue 20): the case timeline in sentences with the
raw fields a click away, and the indicators as a matrix of units × indicators."""

from __future__ import annotations

import re
from typing import Any

from application.demo import DEMO_TOKENS, demo_users
from domain.codes import Role
from tests.web.conftest import login, screenshot
from tests.web.test_workbench import _signed_in_client

USERS = {user.role: user for user in demo_users()}
COUNTY, VILLAGE = USERS[Role.COUNTY_CENTRE], USERS[Role.VILLAGE_LIAISON]
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}
FULL_ID = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9Xx])")


def _monitored_code(workbench: dict[str, Any]) -> str:
    return workbench["app"].state.read_models.monitoring_list(limit=1).rows[0]["code"]


def test_the_timeline_reads_as_sentences_with_the_raw_fields_a_click_away(
        new_page: Any, workbench: dict[str, Any]) -> None:
    page = new_page(**PHONE)
    login(page, COUNTY.name, DEMO_TOKENS[Role.COUNTY_CENTRE])
    page.goto(f"/web/households/{_monitored_code(workbench)}")
    said = page.locator("#timeline td.sentence .said").all_text_contents()
    assert said and re.match(r"\d{4}-\d{2}-\d{2} \S+登记农户：", said[0]), said[:1]
    assert any("审定：纳入监测，" in s for s in said), said
    assert not any(c in s for s in said for c in "{}[]"), said
    raw = page.locator("#timeline details.raw").first
    assert not raw.locator("pre").is_visible()
    raw.locator("summary").click()
    assert raw.locator("pre").is_visible()
    assert '"members"' in raw.locator("pre").text_content()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 362, f"the household page is {width} px wide on a 360 px screen"
    screenshot(page, "20-timeline-sentences-phone")


def test_a_village_worker_reads_no_full_id_number_in_the_timeline(workbench: dict[str, Any]) -> None:
    from projections.queries import Area

    area = Area("village", township=VILLAGE.township, village=VILLAGE.village)
    code = workbench["app"].state.read_models.directory(area, limit=1).rows[0]["code"]
    client = _signed_in_client(workbench, VILLAGE.name, DEMO_TOKENS[Role.VILLAGE_LIAISON])
    try:
        page = client.get(f"/web/households/{code}")
    finally:
        client.close()
    assert page.status_code == 200
    timeline = page.text.split('id="timeline"')[1]
    assert "登记农户：" in timeline and "原始字段" in timeline
    assert not FULL_ID.search(timeline), FULL_ID.search(timeline)
