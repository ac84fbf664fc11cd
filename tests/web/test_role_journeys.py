"""Each role does its main job in Chromium from the first page after signing in, clicking and
typing into the pages only — never a URL — on a desktop screen and on a 360 px phone.

The served demo county is shared with the other browser tests: a journey that records
something picks a household (or a case) still waiting for it when it runs, a new one per screen.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from application.demo import DEMO_TOKENS, demo_users
from domain.codes import Check, Role
from projections.queries import Area
from tests.web.conftest import household_without_a_case, login, screenshot

USERS = {user.role: user for user in demo_users()}
SCREENS = {
    "desktop": {"viewport": {"width": 1280, "height": 900}},
    "phone": {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True},
}
screens = pytest.mark.parametrize("screen", SCREENS)


def first_page(new_page: Any, role: Role, screen: str) -> Any:
    """Signed in as the demo user of ``role``, on the first page the workbench opens."""
    page = new_page(**SCREENS[screen])
    user = USERS[role]
    login(page, user.name, DEMO_TOKENS[role])
    page.wait_for_url(re.compile(r"/web/$"))
    return page


def go(page: Any, label: str) -> None:
    """Follow the navigation link named ``label``."""
    page.click(f"nav.nav a:text-is('{label}')")
    page.wait_for_load_state()


def fits(page: Any, screen: str) -> None:
    if screen == "phone":
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 362, f"{page.url} is {width} px wide on a 360 px phone"


def open_form(page: Any, command: str, *, next_step: bool = False) -> None:
    """Open a household's command form: among its next steps (``next_step``: it must be one),
    or from the chapter it is grouped under."""
    button = page.locator(f"#next-steps a[data-command={command}]")
    if next_step:
        assert button.count() == 1, f"{command} is not among the next steps"
    elif button.count() == 0:
        button = page.locator(f"a[data-command={command}]")
        page.locator("details.actions.more", has=button).locator("summary").click()
    button.click()
    page.wait_for_selector("#command-form")


def submit(page: Any) -> str:
    """Send the command form; returns what the household page says was recorded."""
    page.click("#command-form button[type=submit]")
    page.wait_for_selector("#done, #form-error")
    assert page.locator("#form-error").count() == 0, page.text_content("#form-error")
    return page.text_content("#done")


def fill_day(page: Any) -> None:
    if not page.input_value("#f-occurred_on"):
        page.fill("#f-occurred_on", "2025-07-20")


def open_case(page: Any, code: str, stage_or_step: str) -> None:
    """Find the household's case in the queue by its head's name, check where it stands and
    open its file."""
    page.fill("#case-filters input[name=head_name]", HEADS[code])
    page.click("#case-filters button[type=submit]")
    page.wait_for_load_state()
    row = page.locator("#case-table tbody tr", has=page.locator(f"a:text-is('{code}')"))
    assert stage_or_step in row.text_content()
    row.locator(f"a:text-is('{code}')").click()
    page.wait_for_selector("#timeline")


#: The head's name of each household a journey works on.
HEADS: dict[str, str] = {}


VILLAGE_AREA = Area("village", township=USERS[Role.VILLAGE_LIAISON].township,
                    village=USERS[Role.VILLAGE_LIAISON].village)
#: The demo township but its first village (whose few households the village's journey visits).
TOWNSHIP_AREA = Area("township", township=USERS[Role.TOWNSHIP_WORKSTATION].township)


def quiet_household(workbench: dict[str, Any], area: Area = VILLAGE_AREA) -> str:
    """A household of ``area`` with no case. In the village user's village, of a few households,
    one registered for the test; in the township, one of the demo's many (outside that village),
    whose file goes back to the start of the year (the county's journey reads it as of then)."""
    if area is VILLAGE_AREA:
        return household_without_a_case(workbench, area.township, area.village)
    state = workbench["app"].state
    busy = {row["code"] for row in state.read_models.case_queue(area, limit=500).rows}
    return next(row["code"] for row in state.read_models.directory(area, limit=200).rows
                if row["code"] not in busy and row["village"] != VILLAGE_AREA.village
                and state.case_files.household(row["code"]).active_case is None)


def case_reviewed_up_to(workbench: dict[str, Any], last: str) -> str:
    """A new case in the demo township whose identification went as far as ``last`` (the step
    the journey takes next is the one after it), sent through the API; returns its household."""
    state = workbench["app"].state
    code = quiet_household(workbench, TOWNSHIP_AREA)
    head = state.case_files.household(code).head.id_number
    HEADS[code] = state.case_files.household(code).head.name
    steps = [
        ("alerts", {"channel": "农户自主申报", "person_id_number": head, "risk_types": ["因病"],
                    "description": "住院花费大", "occurred_on": "2025-07-08"}),
        ("identification/home-visit", {"finding": "风险属实", "risk_clear": True,
                                       "occurred_on": "2025-07-09"}),
        ("identification/village-notice", {"decision": "通过", "notice_from": "2025-07-10",
                                           "notice_to": "2025-07-15", "occurred_on": "2025-07-16"}),
        ("identification/township-review", {"decision": "通过", "occurred_on": "2025-07-17"}),
    ]
    token = DEMO_TOKENS[Role.TOWNSHIP_WORKSTATION]
    with httpx.Client(base_url=workbench["url"], timeout=30) as api:
        for path, body in steps:
            if path != "alerts":
                body = {"case_number": state.case_files.household(code).active_case.number, **body}
            answer = api.post(f"/api/households/{code}/{path}", json=body,
                              headers={"Authorization": f"Bearer {token}"})
            assert answer.status_code == 201, answer.text
            if path.endswith(last):
                break
    assert state.projections.wait_for(answer.json()["position"], timeout=10)
    return code


# ---------------------------------------------------------------------- the village


@screens
def test_the_village_finds_a_household_records_a_failed_check_and_sees_the_new_case(
        new_page: Any, workbench: dict[str, Any], screen: str) -> None:
    code = quiet_household(workbench)
    head = workbench["app"].state.case_files.household(code).head.name
    page = first_page(new_page, Role.VILLAGE_LIAISON, screen)
    # Given the head's name typed into the header's search
    page.fill("form.search input[name=q]", head)
    page.press("form.search input[name=q]", "Enter")
    page.click(f"main a:text-is('{code}')")
    page.wait_for_selector("#timeline")
    fits(page, screen)
    # When the month's visit is recorded with 住房安全 not passed
    open_form(page, "record_visit")
    assert page.input_value("#f-visitor"), "the one visiting is the signed-in user"
    for check in Check:
        found = "fail" if check is Check.HOUSING_SAFETY else "pass"
        page.check(f"input[name='checks.{check.value}'][value={found}]")
    fill_day(page)
    fits(page, screen)
    done = submit(page)
    # Then an alert opened a new case, on the household and in the village's case queue
    assert "生成预警" in done and "新案件" in done
    assert "待入户核查" in page.text_content("main")
    go(page, "案件队列")
    for _ in range(20):  # the read models follow the log in a moment
        page.fill("#case-filters input[name=head_name]", head)
        page.click("#case-filters button[type=submit]")
        page.wait_for_load_state()
        if page.locator(f"#case-table a:text-is('{code}')").count():
            break
        page.wait_for_timeout(250)
    row = page.locator("#case-table tbody tr", has=page.locator(f"a:text-is('{code}')"))
    assert row.count() == 1 and "剩 15 天" in row.text_content()
    fits(page, screen)
    screenshot(page, f"journey-village-{screen}")


# ---------------------------------------------------------------------- the township


@screens
def test_the_township_reviews_a_case_with_the_village_s_findings_before_it(
        new_page: Any, workbench: dict[str, Any], screen: str) -> None:
    code = case_reviewed_up_to(workbench, "village-notice")
    page = first_page(new_page, Role.TOWNSHIP_WORKSTATION, screen)
    go(page, "案件队列")
    fits(page, screen)
    open_case(page, code, "乡镇核查初审、县级比对审定")
    open_form(page, "complete_township_review", next_step=True)
    earlier = page.text_content("#earlier-steps")
    assert "入户核查核实" in earlier and "村级评议公示" in earlier
    assert page.input_value("#f-decision") == "", "no conclusion is chosen for the township"
    page.select_option("#f-decision", "通过")
    page.fill("#f-reason", "材料齐全，同意上报县级审定")
    fill_day(page)
    fits(page, screen)
    assert "乡镇核查初审" in submit(page)
    assert page.locator("#next-steps a[data-command=complete_township_review]").count() == 0
    screenshot(page, f"journey-township-{screen}")


# ---------------------------------------------------------------------- the county


@screens
def test_the_county_decides_assigns_a_measure_and_reads_the_file_as_of_a_day(
        new_page: Any, workbench: dict[str, Any], screen: str) -> None:
    code = case_reviewed_up_to(workbench, "township-review")
    page = first_page(new_page, Role.COUNTY_CENTRE, screen)
    go(page, "案件队列")
    open_case(page, code, "待县级审定")
    household = workbench["app"].state.case_files.household(code)
    open_form(page, "decide_at_county", next_step=True)
    page.select_option("#f-decision", "通过")
    page.select_option("#f-category", "脱贫不稳定户" if household.household_type.value == "脱贫户"
                       else "边缘易致贫户")
    page.fill("#f-asset_comparison", "存款、房产、车辆比对无异常")
    fill_day(page)
    fits(page, screen)
    assert "县级比对审定" in submit(page)
    assert "监测对象" in page.text_content("#monitoring-state")
    # the next steps lead on: the risk analysis, then a measure for what it found
    open_form(page, "analyse_risk", next_step=True)
    causes = page.locator("#f-causes input").all()
    risks = household.active_case.risk_types
    for box in causes:
        if box.get_attribute("value") in {str(r) for r in risks}:
            box.check()
    page.select_option("#f-labour_capacity", "普通劳动力")
    page.check("#f-needs input[value=健康帮扶]")
    fill_day(page)
    submit(page)
    open_form(page, "assign_measure", next_step=True)
    page.select_option("#f-measure_type", "健康帮扶")
    page.select_option("#f-department", "卫健局")
    page.fill("#f-responsible_person", "卫健局 王医生")
    fill_day(page)
    fits(page, screen)
    submit(page)
    assert "健康帮扶" in page.text_content("main")
    # as it stood at the start of the year: not yet a monitoring object, no measure
    page.fill("#as-of", "2025-01-01")
    page.click("#as-of-form button[type=submit]")
    page.wait_for_selector("#as-of-note")
    assert page.text_content("#monitoring-state") == "非监测对象"
    fits(page, screen)
    screenshot(page, f"journey-county-{screen}")


# ---------------------------------------------------------------------- the department


@screens
def test_the_department_uploads_a_push_and_sees_the_batch_in_the_ledger_at_once(
        new_page: Any, workbench: dict[str, Any], screen: str) -> None:
    state = workbench["app"].state
    code = state.read_models.directory(Area(), limit=60).rows[40 + len(screen)]["code"]
    person = state.case_files.household(code).head.id_number
    batch = f"YB-JOURNEY-{screen.upper()}"
    page = first_page(new_page, Role.DEPARTMENT, screen)
    go(page, "部门推送")
    page.set_input_files("#upload-form input[type=file]", files=[{
        "name": "医保局推送.csv", "mimeType": "text/csv",
        "buffer": f"身份证号码,风险类型,发现日期\n{person},因病,2025-07-15\n".encode()}])
    page.fill("#upload-form input[name=period]", "2025-07")
    page.fill("#upload-form input[name=batch_id]", batch)
    fits(page, screen)
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("#upload-summary, #upload-error")
    assert page.locator("#upload-error").count() == 0, page.text_content("#upload-error")
    assert batch in page.text_content("#push-table"), "the batch is on the ledger at once"
    fits(page, screen)
    screenshot(page, f"journey-department-{screen}")


# ---------------------------------------------------------------------- the auditor


@screens
def test_the_auditor_reads_a_household_s_history(new_page: Any, screen: str) -> None:
    page = first_page(new_page, Role.AUDITOR, screen)
    go(page, "监测对象名单")
    if screen == "desktop":  # the longest monitored first
        page.click("#monitoring-table thead a[data-sort=included_on]")
        page.wait_for_selector("#monitoring-table th[aria-sort=ascending]")
    else:  # a phone shows the list as cards, its sort as a choice
        page.select_option("#monitoring-filters select[name=sort]", "included_on")
        page.click("#monitoring-filters button[type=submit]")
        page.wait_for_url(re.compile(r"sort=included_on"))
    page.locator("#monitoring-table tbody tr").first.locator("a").first.click()
    page.wait_for_selector("#timeline")
    entries = page.locator("#timeline tbody tr")
    assert entries.count() >= 5
    said = entries.locator(".said").all_text_contents()
    assert all(s.strip() for s in said), "every recorded fact reads as a sentence"
    assert "（" in entries.first.locator("td").last.text_content(), "who recorded it, in what role"
    entries.first.locator("summary").click()
    assert entries.first.locator("pre").is_visible()
    fits(page, screen)
    screenshot(page, f"journey-auditor-{screen}")


# ---------------------------------------------------------------------- the assessment team


@screens
def test_the_assessment_team_drills_down_a_department_row(new_page: Any, screen: str) -> None:
    page = first_page(new_page, Role.ASSESSMENT_TEAM, screen)
    go(page, "考核指标")
    row = page.locator("#matrix-department tbody tr", has_text="医保局")
    row.locator("td[data-indicator=预警核实率] a").click()
    page.wait_for_selector("#drill-down")
    drill = page.text_content("#drill-down")
    assert "医保局" in drill and page.locator("#drill-down tbody a").count() > 0
    page.locator("#drill-down tbody a").first.click()
    page.wait_for_selector("#timeline")
    fits(page, screen)
    screenshot(page, f"journey-assessment-{screen}")
