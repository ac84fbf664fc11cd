"""The household page's 网格员 and 帮扶责任人: forms in Chinese, refusals beside their field, the
people on the page, and a grid worker's own visits due."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from domain.codes import Role
from projections.queries import Area
from tests.web.test_workbench import TOWNSHIP, VILLAGE, _hidden, _signed_in_client


def _form(client: Any, code: str, command: str) -> tuple[str, dict[str, str]]:
    page = client.get(f"/web/households/{code}/do/{command}").text
    return page, {"_csrf_token": _hidden(page, "_csrf_token"), "form_id": _hidden(page, "form_id")}


def test_a_village_worker_names_the_grid_worker_and_finds_the_households_visits_due(
        workbench: dict[str, Any]) -> None:
    from application.demo import DEMO_TOKENS

    state = workbench["app"].state
    area = Area("village", township=VILLAGE.township, village=VILLAGE.village)
    # the month after the demo year (its log holds the year): every household visited monthly
    # in the village is due
    month = date(2026, 1, 28)
    assert state.read_models.visits_due(area, month=month, limit=1).total
    code = state.read_models.visits_due(area, month=month, limit=1).rows[0]["code"]
    clock = state.case_files.clock
    before = clock.now
    clock.now = datetime(month.year, month.month, month.day, 2, 0, tzinfo=UTC)
    village = _signed_in_client(workbench, VILLAGE.name, DEMO_TOKENS[Role.VILLAGE_LIAISON])
    try:
        page = village.get(f"/web/households/{code}").text
        # the demo named its 网格员 (the village's liaison): the village hands it to another
        assert 'data-command="change_grid_worker"' in page and 'id="staff"' in page
        assert 'data-command="assign_grid_worker"' not in page
        assert 'data-command="assign_helper"' not in page, "the village names no 帮扶责任人"
        form, hidden = _form(village, code, "change_grid_worker")
        assert "网格员姓名" in form and "联系电话" in form and "理由" in form
        version = state.case_files.household(code).version
        refused = village.post(f"/web/households/{code}/do/change_grid_worker", data={
            **hidden, "worker_name": "村网格员 孙七", "phone": "12345", "reason": "网格调整",
            "occurred_on": f"{month:%Y-%m}-01"})
        assert 'data-field="phone"' in refused.text and "PHONE_INVALID" in refused.text
        assert 'value="村网格员 孙七"' in refused.text
        assert state.case_files.household(code).version == version
        done = village.post(f"/web/households/{code}/do/change_grid_worker", data={
            **_form(village, code, "change_grid_worker")[1], "worker_name": "村网格员 孙七",
            "phone": "13812345678", "reason": "网格调整", "occurred_on": f"{month:%Y-%m}-01"})
        assert done.status_code in (302, 303), done.text
        shown = village.get(done.headers["location"]).text
        staff = shown.split('id="staff"')[1].split("</section>")[0]
        assert "村网格员 孙七" in staff and "13812345678" in staff and "现任" in staff
        assert "更换为网格员村网格员 孙七" in shown.split('id="timeline"')[1]
        assert 'data-command="change_grid_worker"' in shown
        state.projections.catch_up()
        mine = village.get("/web/visits-due", params={"grid_worker": "村网格员 孙七"}).text
        assert f'href="/web/households/{code}"' in mine and "共 1 户" in mine
    finally:
        clock.now = before
        village.close()


def test_an_included_case_without_a_helper_puts_naming_one_among_its_next_steps(
        workbench: dict[str, Any]) -> None:
    from application.demo import DEMO_TOKENS

    state = workbench["app"].state
    area = Area("township", township=TOWNSHIP.township)
    code = next(row["code"] for row in state.read_models.monitoring_list(area, limit=200).rows
                if row["helper"] is None)
    township = _signed_in_client(workbench, TOWNSHIP.name, DEMO_TOKENS[Role.TOWNSHIP_WORKSTATION])
    try:
        page = township.get(f"/web/households/{code}").text
        assert 'data-command="assign_helper"' in page.split('id="next-steps"')[1].split("</div>")[0]
        done = township.post(f"/web/households/{code}/do/assign_helper", data={
            **_form(township, code, "assign_helper")[1], "helper_name": "帮扶干部 周八",
            "unit": "县医保局", "phone": "0312-6123456", "occurred_on": "2025-07-02"})
        assert done.status_code in (302, 303), done.text
        state.projections.catch_up()
        listed = township.get("/web/monitoring").text
        assert "帮扶干部 周八（县医保局）" in listed
        after = township.get(f"/web/households/{code}").text
        assert 'data-command="assign_helper"' not in after
    finally:
        township.close()


def test_a_township_uploads_a_staff_workbook_and_sees_the_row_it_refused(
        workbench: dict[str, Any]) -> None:
    from application.demo import DEMO_TOKENS

    state = workbench["app"].state
    area = Area("township", township=TOWNSHIP.township)
    state.projections.catch_up()
    # two households of other villages than the one whose 网格员 another test hands over; each
    # names its village's liaison (the demo's): another is a change, with its reason
    first, second = [row["code"] for row in state.read_models.directory(area, limit=50).rows
                     if row["village"] != VILLAGE.village][:2]
    kept = state.case_files.household(second).grid_worker
    text = (f"户编号,网格员姓名,网格员电话,更换原因\r\n{first},网格员 吴九,13812345678,网格调整\r\n"
            f"{second},网格员 吴九,0312,网格调整\r\n")
    township = _signed_in_client(workbench, TOWNSHIP.name, DEMO_TOKENS[Role.TOWNSHIP_WORKSTATION])
    village = _signed_in_client(workbench, VILLAGE.name, DEMO_TOKENS[Role.VILLAGE_LIAISON])
    try:
        assert 'href="/web/staff"' in township.get("/web/monitoring").text
        assert 'href="/web/staff"' not in village.get("/web/monitoring").text
        assert village.get("/web/staff").status_code == 403
        page = township.get("/web/staff").text
        answer = township.post("/web/staff/import", data={"_csrf_token": _hidden(page, "_csrf_token")},
                               files={"file": ("人员.csv", text.encode("utf-8"))}).text
        problems = answer.split('id="upload-problems"')[1]
        assert "<td>3</td>" in problems and "【网格员电话】" in problems
        assert 'id="error-workbook"' in answer
        assert state.case_files.household(first).grid_worker.name == "网格员 吴九"
        assert kept is not None and state.case_files.household(second).grid_worker == kept
    finally:
        township.close()
        village.close()
