"""In the workbench, on a desktop and on a 360 px phone: an appeal lodged by a cadre for the
household, found on the appeals list (申诉), answered from there and counted in 申诉按期办结率;
and a village user linked to a 网格员 (`fangpin users link`) seeing exactly their visits due on
their first page.

The demo county's today is 2025-07-20: an appeal lodged 07-05 is due 07-20 (15 days) and,
answered today, counts as answered in time in July's figures."""

from __future__ import annotations

from datetime import date
from typing import Any

import msgspec
import pytest

from application.commands import AssignGridWorker
from application.demo import DEMO_TOKENS, demo_users
from domain.codes import HouseholdType, Role
from domain.values import Actor
from tests.builders import family, registering
from tests.web.conftest import DESKTOP, PHONE, login, screenshot

SCREENS = {"desktop": DESKTOP, "phone": PHONE}
COUNTY = next(user for user in demo_users() if user.role is Role.COUNTY_CENTRE)
VILLAGE = next(user for user in demo_users() if user.role is Role.VILLAGE_LIAISON)
COUNTY_ACTOR = Actor(COUNTY.name, Role.COUNTY_CENTRE)
LODGED_ON = date(2025, 7, 5)


def appealable(app: Any) -> tuple[str, int]:
    """A monitoring object included by 07-05 with no appeal yet: (code, case number)."""
    for household_id in app.iter_households():
        household = app.household(household_id)
        case = household.monitored_case
        if (case is not None and case is household.cases[-1] and case.included_on
                and case.included_on <= LODGED_ON and not case.appeals):
            return household.code, case.number
    raise AssertionError("the demo county has no monitoring object to appeal")


def record(page: Any, values: dict[str, str]) -> None:
    """Fill the command form's fields by name and send it."""
    for name, value in values.items():
        field = page.locator(f"#command-form [name={name}]")
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    page.click("#command-form button[type=submit]")


@pytest.mark.parametrize("screen", SCREENS)
def test_an_appeal_is_lodged_answered_from_the_appeals_list_and_counted(
        new_page: Any, workbench: dict[str, Any], screen: str, fits: Any) -> None:
    app = workbench["app"].state.case_files
    code, number = appealable(app)
    page = new_page(**SCREENS[screen])
    login(page, COUNTY.name, DEMO_TOKENS[Role.COUNTY_CENTRE])
    page.goto(f"/web/households/{code}/do/lodge_appeal")
    record(page, {"case_number": str(number), "against": "监测对象类别", "appellant": "户主",
                  "by_household": "否", "content": "家中两人残疾，类别应为脱贫不稳定户",
                  "occurred_on": LODGED_ON.isoformat()})
    page.wait_for_url(f"**/web/households/{code}?done=lodge_appeal*")
    appeal = app.household(code).cases[number - 1].appeals[-1]
    assert appeal.due_on == date(2025, 7, 20)
    projections = workbench["app"].state.projections
    projections.catch_up()  # the list is a read model: it follows the log within ~0.1 s

    page.click("nav a[href='/web/appeals']")
    page.wait_for_url("**/web/appeals")  # the click returns once the new page is committed, not loaded
    row = page.locator("#appeal-table tbody tr", has_text=appeal.appeal_id)
    assert row.count() == 1 and "2025-07-20（剩 0 天）" in row.text_content()
    assert "县防贫中心" in row.text_content()
    fits(page, f"appeals-{screen}")  # nothing spills over, on the phone too
    screenshot(page, f"45-{screen}-appeals")
    row.locator("a.answer").click()
    record(page, {"appeal_id": appeal.appeal_id, "case_number": str(number), "outcome": "不成立",
                  "reason": "残疾情况已按类别认定标准核实"})
    page.wait_for_url(f"**/web/households/{code}?done=answer_appeal*")
    assert "答复申诉" in page.text_content("body")
    projections.catch_up()

    page.goto("/web/appeals")
    assert page.locator("#appeal-table tbody tr", has_text=appeal.appeal_id).count() == 0
    page.check("#appeal-filters input[name=status]")
    page.click("#appeal-filters button[type=submit]")
    answered = page.locator("#appeal-table tbody tr", has_text=appeal.appeal_id)
    assert "不成立" in answered.text_content() and "逾期" not in answered.text_content()

    page.goto("/web/indicators?period=2025-07")
    page.locator("a[href*='indicator=%E7%94%B3%E8%AF%89%E6%8C%89%E6%9C%9F%E5%8A%9E%E7%BB%93%E7%8E%87']"
                 "[href*='level=county']").first.click()
    drill = page.locator("#drill-down")
    assert f"{code}#{appeal.appeal_id}" in drill.text_content()
    screenshot(page, f"46-{screen}-appeals-on-time")


@pytest.mark.parametrize("screen", SCREENS)
def test_a_linked_grid_worker_sees_exactly_their_visits_due_first(
        new_page: Any, workbench: dict[str, Any], screen: str, fits: Any) -> None:
    state = workbench["app"].state
    app, marks = state.case_files, state.my_work.marks
    name = f"{screen}网格员"
    mine = []  # two 脱贫户 of the village, visited every month, not yet in July: this one's
    for k in (1, 2):
        other = 90 + 2 * list(SCREENS).index(screen) + k
        code = f"1306999900{other:02d}"
        app.register_household(msgspec.structs.replace(
            registering(code, HouseholdType.LIFTED_OUT, family(other)),
            township=VILLAGE.township, village=VILLAGE.village,
            occurred_on=date(2025, 7, 1)), by=COUNTY_ACTOR)
        app.execute(code, AssignGridWorker(worker_name=name, phone="13812345678",
                                           occurred_on=date(2025, 7, 1)), by=COUNTY_ACTOR)
        mine.append(code)
    marks.link_grid_worker(VILLAGE.name, name)  # what `fangpin users link` records
    try:
        state.projections.catch_up()
        page = new_page(**SCREENS[screen])
        login(page, VILLAGE.name, DEMO_TOKENS[Role.VILLAGE_LIAISON])
        page.goto("/web/")
        assert f"网格员 {name}" in page.text_content("#my-work")
        visits = page.locator("#task-list li.task a[href$='/do/record_visit']")
        shown = sorted(visits.nth(i).get_attribute("href") for i in range(visits.count()))
        assert shown == sorted(f"/web/households/{code}/do/record_visit" for code in mine)
        fits(page, f"grid-worker-{screen}")
        screenshot(page, f"47-{screen}-grid-worker")
    finally:
        marks.link_grid_worker(VILLAGE.name, None)
