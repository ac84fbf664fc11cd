"""A department's desk over HTTP (issue 18 item 1, domain.md §2): the roster its duty needs
with only that duty's fields, the measures assigned to it put in place and ended by it, and its
push calendar — on both back ends.

The county of these tests: household 1 a 脱贫户 of 银坊镇 (not monitored), household 2 an
ordinary household of 银坊镇 included as a monitoring object with a measure for 医保局 and one
for 卫健局, household 3 an ordinary household nobody monitors, household 4 a 脱贫户 of 水堡镇.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from litestar.testing import TestClient

from application.accounts.access import User
from domain.codes import Department, Role
from domain.identity import mask_id_number
from interfaces.http import create_app
from tests.http.conftest import OTHER_TOWNSHIP, TOWNSHIP, Api
from tests.http.kit import (
    END_MEASURE,
    IN_PLACE,
    MEASURE,
    Home,
    call,
    code_of,
    head_of,
    problem,
    register,
    set_income_line,
)

ROSTER = "/api/departments/me/roster"
MEASURES = "/api/departments/me/measures"
CALENDAR = "/api/departments/me/calendar"
#: The fields application/rosters.toml gives each department's duty.
YBJ_FIELDS = ["household_code", "township", "village", "household_type", "category", "name",
              "id_number", "sex", "age", "insured"]
MZJ_FIELDS = ["household_code", "township", "village", "category", "name", "id_number",
              "relation", "age", "health", "labour_capacity"]
YBJ_MEASURE = {**MEASURE, "measure_id": "YB1", "department": "医保局",
               "responsible_person": "医保局李科长"}


def county(api: Api) -> dict[int, Home]:
    set_income_line(api)
    homes = {
        1: register(api, 1, household_type="脱贫户"),
        2: register(api, 2).helped(),
        3: register(api, 3),
        4: register(api, 4, household_type="脱贫户", township=OTHER_TOWNSHIP, village="西村"),
    }
    homes[2].do("/measures", YBJ_MEASURE)
    api.catch_up()
    return homes


def roster(api: Api, who: str = "department", **params: Any) -> dict[str, Any]:
    response = api.get(ROSTER, who, **params)
    assert response.status_code == 200, response.text
    return response.json()


def test_the_medical_insurance_bureau_reads_its_roster_with_exactly_its_fields(api: Api) -> None:
    homes = county(api)
    page = roster(api)
    assert [f["key"] for f in page["fields"]] == YBJ_FIELDS
    assert page["full_id_number"] is True and page["department"] == "医保局"
    people = page["rows"]
    assert all(list(person) == YBJ_FIELDS for person in people), people[0]
    # 脱贫户 and monitoring objects, not the household nobody monitors
    assert sorted({p["household_code"] for p in people}) == [code_of(1), code_of(2), code_of(4)]
    assert page["total"] == 9
    head = next(p for p in people if p["household_code"] == code_of(2) and p["name"] == "王建国")
    # 医保局 enrols people by their number: the table gives it in full
    assert head["id_number"] == homes[2].head
    assert head["category"] == "边缘易致贫户" and head["insured"] is True and head["age"] == 55
    lifted = next(p for p in people if p["household_code"] == code_of(1))
    assert lifted["household_type"] == "脱贫户" and lifted["category"] is None


def test_a_roster_is_filtered_by_place_and_shows_another_duty_nothing_of_this_one(api: Api) -> None:
    homes = county(api)
    here = roster(api, township=TOWNSHIP)
    assert {p["township"] for p in here["rows"]} == {TOWNSHIP}
    assert code_of(4) not in {p["household_code"] for p in here["rows"]}
    assert roster(api, township=TOWNSHIP, village="西村")["rows"] == []
    # 民政局's duty: monitoring objects only, with labour capacity and health, masked numbers,
    # and nothing of 医保局's insurance status
    civil = roster(api, "other_department")
    assert [f["key"] for f in civil["fields"]] == MZJ_FIELDS
    assert {p["household_code"] for p in civil["rows"]} == {code_of(2)}
    assert all(list(p) == MZJ_FIELDS for p in civil["rows"])
    numbers = {p["id_number"] for p in civil["rows"]}
    assert mask_id_number(homes[2].head) in numbers and homes[2].head not in numbers
    # a page: the cursor goes on where the last one stopped
    first = roster(api, limit=4)
    rest = roster(api, limit=50, cursor=first["next_cursor"])
    assert len(first["rows"]) + len(rest["rows"]) == 9 and rest["next_cursor"] is None


def test_every_roster_read_is_in_the_access_log(api: Api) -> None:
    county(api)
    roster(api, township=TOWNSHIP)
    records = api.get("/api/access-log", "auditor", user="dept-ybj").json()
    assert sorted(r["household_code"] for r in records) == [code_of(1), code_of(2)]
    assert {(r["route"], r["role"], r["outcome"]) for r in records} == {
        (ROSTER, "行业部门专班", "read")}
    workbook = api.get(ROSTER, "department", format="xlsx")
    assert workbook.status_code == 200 and workbook.content[:2] == b"PK"
    records = api.get("/api/access-log", "auditor", user="dept-ybj").json()
    assert sorted(r["household_code"] for r in records).count(code_of(4)) == 1


def test_every_department_has_its_roster_and_a_duty_on_the_household_lists_its_head(
        api: Api) -> None:
    """Every one of the 13 departments gets the roster of its duty; 住建局's (housing, by the
    household) lists each 脱贫户 and monitoring object once, by its head, with no ID number."""
    county(api)
    rows = {}
    for department in Department:
        token = api.app.state.users.add(User(f"dept-{department.name.lower()}"[:64],
                                             Role.DEPARTMENT, department=department))
        response = api.client.get(ROSTER, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200, (department, response.text)
        rows[department] = response.json()["rows"]
    housing = rows[Department.HOUSING]
    assert [(r["household_code"], r["name"]) for r in housing] == [
        (code_of(1), "王建国"), (code_of(2), "王建国"), (code_of(4), "王建国")]
    assert set(housing[0]) == {"household_code", "township", "village", "household_type",
                               "category", "name"}
    assert all("*" in r["id_number"] for r in rows[Department.PUBLIC_SECURITY])


def test_a_department_the_table_gives_no_roster_is_told_so(api: Api, settings: Any, clock: Any,
                                                          tmp_path: Path) -> None:
    only = tmp_path / "rosters.toml"
    only.write_text('[[roster]]\ndepartment = "医保局"\nhouseholds = ["脱贫户"]\n'
                    'fields = ["household_code", "name"]\n', encoding="utf-8")
    token = api.app.state.users.add(User("dept-gaj", Role.DEPARTMENT,
                                         department=Department.PUBLIC_SECURITY))
    county_app = create_app(replace(settings, rosters_path=only), clock=clock, follow=False)
    with TestClient(county_app) as client:
        response = client.get(ROSTER, headers={"Authorization": f"Bearer {token}"})
    problem(response, 404, "ROSTER_NOT_DEFINED", field="department")


def test_only_departments_have_a_desk(api: Api) -> None:
    for who in ("county", "township", "auditor"):
        for path in (ROSTER, MEASURES, CALENDAR):
            problem(api.get(path, who), 403, "ROLE_FORBIDDEN")


def test_a_department_puts_its_own_measure_in_place_and_ends_it(api: Api) -> None:
    homes = county(api)
    mine = api.get(MEASURES, "department").json()
    assert [(m["code"], m["measure_id"], m["status"]) for m in mine["rows"]] == [
        (code_of(2), "YB1", "计划")]
    row = mine["rows"][0]
    assert row["measure_type"] == "健康帮扶" and row["deadline_on"] == "2025-04-09"
    assert row["overdue"] is True  # planned, and 30 days past inclusion on 03-10 by December

    answer = homes[2].do("/measures/YB1/in-place", IN_PLACE, "department")
    placed = api.get(MEASURES, "department", after=answer["position"]).json()["rows"][0]
    assert placed["status"] == "已落实" and placed["in_place_on"] == "2025-03-20"
    assert placed["overdue"] is False
    last = homes[2].history()[-1]
    assert last["recorded_by"]["user"] == "dept-ybj" and last["recorded_by"]["role"] == "行业部门专班"

    answer = homes[2].do("/measures/YB1/end", END_MEASURE, "department")
    ended = api.get(MEASURES, "department", after=answer["position"], status="已结束").json()
    assert [m["measure_id"] for m in ended["rows"]] == ["YB1"]


def test_a_department_cannot_touch_another_departments_measure(api: Api) -> None:
    homes = county(api)
    before = api.app.state.case_files.max_position()
    # M1 is 卫健局's; YB1 is 医保局's, not 民政局's; M9 is nobody's
    for who, measure in (("department", "M1"), ("other_department", "YB1"), ("department", "M9")):
        for suffix, body in (("in-place", IN_PLACE), ("end", END_MEASURE)):
            refused = call(api, "POST", f"{homes[2].path}/measures/{measure}/{suffix}", who, body)
            problem(refused, 403, "OTHER_DEPARTMENT", field="measure_id")
    # nor any other command on the household, even through its own measure
    refused = call(api, "POST", f"{homes[2].path}/measures", "department",
                   {**YBJ_MEASURE, "measure_id": "YB2"})
    problem(refused, 403, "ROLE_FORBIDDEN")
    assert api.app.state.case_files.max_position() == before, "nothing recorded"
    assert api.get(MEASURES, "other_department").json()["rows"] == []


def _push(api: Api, period: str, on: datetime) -> int:
    """A zero report (零报告) for ``period``, received at ``on``; its log position."""
    api.clock.now = on
    response = api.post("/api/pushes", {"batch_id": f"YB-{period}", "tier": "县级筛查",
                                        "period": period, "rows": []}, "department")
    assert response.status_code == 200, response.text
    return response.json()["position"]


def test_the_calendar_shows_pushes_on_time_late_and_missing_and_the_next_one_due(api: Api) -> None:
    december = api.clock.now
    _push(api, "2025-11上旬", datetime(2025, 11, 9, 2, tzinfo=UTC))  # due the 10th: on time
    position = _push(api, "2025-11中旬", december)  # due the 20th: 11 days late
    calendar = api.get(CALENDAR, "department", after=position).json()
    assert calendar["department"] == "医保局" and calendar["today"] == "2025-12-01"
    assert calendar["digest"] == "", "judged on the push ledgers alone, no household read"
    ten_days, monthly = calendar["duties"]
    assert (ten_days["number"], ten_days["rule"]) == ("②", "every_ten_days")
    pushes = {p["period"]: p for p in ten_days["pushes"]}
    assert pushes["2025-11上旬"]["status"] == "按时" and pushes["2025-11上旬"]["batch_id"] == "YB-2025-11上旬"
    assert pushes["2025-11中旬"]["status"] == "迟报11天"
    assert pushes["2025-11下旬"]["status"] == "漏报" and pushes["2025-11下旬"]["received_on"] is None
    # every 旬 from January to November was due by 1 December: 33, of which two came
    assert (ten_days["on_time"], ten_days["late"], ten_days["missing"]) == (1, 1, 31)
    assert (ten_days["next_period"], ten_days["next_due_on"]) == ("2025-12上旬", "2025-12-10")
    assert ten_days["next_received_on"] is None
    assert monthly["rule"] == "monthly" and monthly["next_period"] == "2025-12"
    assert monthly["next_due_on"] == "2025-12-31" and monthly["missing"] == 11
    assert [b["batch_id"] for b in calendar["batches"]] == ["YB-2025-11上旬", "YB-2025-11中旬"]
    # the same judgement as the year's push compliance, push for push
    compliance = api.get("/api/push-compliance", "department", period="2025").json()["pushes"]
    listed = [p for d in calendar["duties"] for p in d["pushes"]]
    assert sorted(compliance, key=lambda p: (p["due_on"], p["period"])) == sorted(
        listed, key=lambda p: (p["due_on"], p["period"]))
    # 民政局's calendar is its own duty's
    civil = api.get(CALENDAR, "other_department").json()
    assert [(d["number"], d["rule"]) for d in civil["duties"]] == [("③", "half_monthly")]
    assert civil["batches"] == []


def test_an_event_duty_is_judged_on_each_alert_the_department_pushed(api: Api) -> None:
    """卫健局 owes ① within 7 days of each disaster or accident it finds: its calendar judges
    each such alert (here found 11-20, pushed 12-01: 4 days late) and names no next period."""
    register(api, 5)
    token = api.app.state.users.add(User("dept-wjj", Role.DEPARTMENT, department=Department.HEALTH))
    headers = {"Authorization": f"Bearer {token}"}
    pushed = api.client.post("/api/pushes", headers=headers, json={
        "batch_id": "WJ-1", "tier": "县级筛查", "period": "2025-11", "urgent": True,
        "rows": [{"person_id_number": head_of(5), "risk_types": ["因意外事故"],
                  "occurred_on": "2025-11-20"}]})
    assert pushed.status_code == 200, pushed.text
    calendar = api.client.get(CALENDAR, headers=headers,
                              params={"after": pushed.json()["position"]}).json()
    duties = {d["number"]: d for d in calendar["duties"]}
    assert set(duties) == {"①", "③", "⑥"}
    event = duties["①"]
    assert (event["next_period"], event["next_due_on"]) == (None, None)
    assert [(p["due_on"], p["received_on"], p["status"]) for p in event["pushes"]] == [
        ("2025-11-27", "2025-12-01", "迟报4天")]
    assert (event["on_time"], event["late"], event["missing"]) == (0, 1, 0)
    assert calendar["digest"].startswith("sha256:"), "judged by the whole computation"


def test_bad_input_to_the_desk_is_refused_naming_the_field(api: Api) -> None:
    county(api)
    before = len(api.get("/api/access-log", "auditor", user="dept-ybj").json())
    problem(api.get(ROSTER, "department", limit=0), 400, "INVALID_REQUEST", field="limit")
    problem(api.get(ROSTER, "department", format="pdf"), 400, "INVALID_REQUEST", field="format")
    problem(api.get(ROSTER, "department", cursor="garbage"), 422, "CURSOR_INVALID", field="cursor")
    problem(api.get(ROSTER, "department", colour="red"), 400, "INVALID_REQUEST")
    problem(api.get(MEASURES, "department", status="done"), 422, "CODE_UNKNOWN", field="status")
    problem(api.get(MEASURES, "department", sort="-head_name"), 422, "SORT_UNKNOWN", field="sort")
    problem(api.get(CALENDAR, "department", after=10**9), 422, "POSITION_UNKNOWN", field="after")
    after = len(api.get("/api/access-log", "auditor", user="dept-ybj").json())
    assert after == before, "a refused read shows nobody and logs nobody"


def test_the_roster_schema_states_exactly_the_fields_a_roster_may_show() -> None:
    """A field added to ROSTER_FIELDS (and so to a roster file) must be stated in the schema
    the answer is converted to, or every roster naming it would answer 500."""
    from domain.rosters import ROSTER_FIELDS
    from interfaces.http.schemas.departments import RosterPerson

    assert list(RosterPerson.__struct_fields__) == list(ROSTER_FIELDS)
