"""My work over HTTP (issue 18 item 3): each signed-in person's tasks by deadline with counts
by urgency, and their notifications, read per user and still read after a restart — on both
back ends.

Today is 2025-12-01 (the fixture's clock): December's visits are due by 12-31; a case
discovered 11-01 is past its 15 days (11-16), one of 11-17 is due tomorrow (12-02), one of
11-28 is due 12-13 and landed on the desk within the week.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from litestar.testing import TestClient

from interfaces.http import create_app
from tests.builders import id_number
from tests.http.conftest import OTHER_TOWNSHIP, TOWNSHIP, Api
from tests.http.kit import (
    COUNTY_DECISION,
    GRID_WORKER,
    HELPER,
    HELPER_CHANGE,
    MEASURE,
    RISK_ANALYSIS,
    call,
    code_of,
    problem,
    register,
    set_income_line,
)

TASKS = "/api/me/tasks"
NOTIFICATIONS = "/api/me/notifications"
READ = "/api/me/notifications/read"


def tasks(api: Api, who: str, **params: Any) -> dict[str, Any]:
    api.catch_up()
    response = api.get(TASKS, who, **params)
    assert response.status_code == 200, response.text
    return response.json()


def notifications(api: Api, who: str) -> dict[str, Any]:
    response = api.get(NOTIFICATIONS, who)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_grid_worker_sees_exactly_the_visits_due_on_their_households(api: Api) -> None:
    mine = [register(api, n, household_type="脱贫户") for n in (1, 2)]
    theirs = register(api, 3, household_type="脱贫户")
    unassigned = register(api, 4, household_type="脱贫户")
    register(api, 5)  # an ordinary household nobody monitors: no monthly visit
    for home in mine:
        home.do("/grid-worker", GRID_WORKER)
    theirs.do("/grid-worker", {**GRID_WORKER, "worker_name": "赵网格"})
    api.app.state.my_work.marks.link_grid_worker("grid-01", "李网格")

    answer = tasks(api, "village")
    assert answer["grid_worker"] == "李网格"
    visits = [t for t in answer["tasks"] if t["kind"] == "走访"]
    assert [t["subject"] for t in visits] == [mine[0].code, mine[1].code]
    assert {t["deadline"] for t in visits} == {"2025-12-31"}
    assert visits[0]["path"] == f"/api/households/{mine[0].code}/visits"
    assert visits[0]["link"] == f"/web/households/{mine[0].code}/do/record_visit"
    assert answer["counts"] == {"overdue": 0, "soon": 0, "later": 2}

    # a visit recorded takes the household off the list
    mine[0].do("/visits", {"visitor": "李网格", "checks": {k: True for k in (
        "不愁吃", "不愁穿", "义务教育", "基本医疗", "住房安全", "饮水安全")}, "occurred_on": "2025-12-01"})
    assert [t["subject"] for t in tasks(api, "village")["tasks"]] == [mine[1].code]
    # unlinked, the village user answers for the village's visits
    api.app.state.my_work.marks.link_grid_worker("grid-01", None)
    assert {t["subject"] for t in tasks(api, "village")["tasks"]} == {
        mine[1].code, theirs.code, unassigned.code}


def test_each_unit_sees_the_steps_owed_that_are_its_work_by_deadline_with_counts(api: Api) -> None:
    """The visit and the village notice are the village's work, the review the township's, the
    decision the county's (the most local unit each step's command allows)."""
    late, tomorrow, fresh = register(api, 1), register(api, 2), register(api, 3)
    elsewhere = register(api, 4, township=OTHER_TOWNSHIP, village="西村")
    late.alerted(day="2025-11-01")
    fresh.alerted(day="2025-11-28")
    tomorrow.alerted(day="2025-11-17")
    tomorrow.do("/identification/home-visit", {"case_number": 1, "finding": "风险属实", "risk_clear": True,
                                               "occurred_on": "2025-11-18"})
    elsewhere.alerted(day="2025-11-02")

    answer = tasks(api, "village")
    steps = answer["tasks"]
    assert [(t["subject"], t["deadline"]) for t in steps if t["kind"] != "走访"] == [
        (late.code, "2025-11-16"), (tomorrow.code, "2025-12-02"), (fresh.code, "2025-12-13")]
    steps = [t for t in steps if t["kind"] != "走访"]
    assert [t["urgency"] for t in steps] == ["overdue", "soon", "later"]
    assert [t["days_left"] for t in steps] == [-15, 1, 12]
    assert steps[0]["what"] == "第1号案件待办：入户核查核实"
    assert steps[0]["path"] == f"/api/households/{late.code}/identification/home-visit"
    assert steps[1]["what"] == "第1号案件待办：村级评议公示"
    assert steps[1]["path"] == f"/api/households/{tomorrow.code}/identification/village-notice"

    township = tasks(api, "township")
    assert [(t["subject"], t["what"]) for t in township["tasks"]] == [
        (tomorrow.code, "第1号案件待办：乡镇核查初审")]
    assert township["counts"] == {"overdue": 0, "soon": 1, "later": 0} and township["total"] == 1
    assert tasks(api, "township", urgency="overdue")["tasks"] == []
    # the county owes no decision yet; the other township sees nothing of these
    assert [t for t in tasks(api, "county")["tasks"] if t["kind"] == "认定步骤"] == []
    assert tasks(api, "other_township")["tasks"] == []


def test_a_department_sees_its_measures_to_put_in_place_and_its_pushes_due(api: Api) -> None:
    set_income_line(api)
    home = register(api, 2).included()
    home.do("/risk-analyses", RISK_ANALYSIS)
    home.do("/measures", {**MEASURE, "measure_id": "YB1", "department": "医保局",
                          "responsible_person": "医保局李科长", "occurred_on": "2025-11-28"})
    home.do("/measures", MEASURE)  # 卫健局's: not on 医保局's desk
    answer = tasks(api, "department")
    measures = [t for t in answer["tasks"] if t["kind"] == "帮扶措施"]
    assert [(t["subject"], t["what"]) for t in measures] == [(home.code, "落实帮扶措施 YB1（健康帮扶）")]
    assert measures[0]["deadline"] == "2025-04-09" and measures[0]["urgency"] == "overdue"
    assert measures[0]["path"] == f"/api/households/{home.code}/measures/YB1/in-place"

    calendar = api.get("/api/departments/me/calendar", "department").json()
    due = {(str(d["number"]), d["next_period"], d["next_due_on"]) for d in calendar["duties"]
           if d["next_due_on"] and not d["next_received_on"]}
    pushes = [t for t in answer["tasks"] if t["kind"] == "部门推送"]
    assert due and {(t["subject"], t["deadline"]) for t in pushes} == {(n, d) for n, _, d in due}
    assert all(t["path"] == "/api/pushes" for t in pushes)
    deadlines = [t["deadline"] for t in answer["tasks"]]
    assert deadlines == sorted(deadlines)
    # the measure landed on its desk this week: a notification, which the other department lacks
    texts = [n["text"] for n in notifications(api, "department")["notifications"]]
    assert any(text.startswith("新安排的帮扶措施：" + home.code) for text in texts)
    assert not [t for t in tasks(api, "other_department")["tasks"] if t["kind"] == "帮扶措施"]


def test_a_notification_is_marked_read_and_stays_read_after_a_restart(api: Api, settings: Any,
                                                                     clock: Any) -> None:
    home = register(api, 1)
    home.alerted(day="2025-11-28")  # visited: the notice is the village's, the review the township's
    home.do("/identification/home-visit", {"case_number": 1, "finding": "风险属实", "risk_clear": True,
                                           "occurred_on": "2025-11-29"})
    api.catch_up()
    recorded = api.app.state.case_files.max_position()
    found = notifications(api, "township")
    key = f"landed:case:{home.code}:1"
    assert found["unread"] == 1 and [n["key"] for n in found["notifications"]] == [key]
    assert found["notifications"][0]["text"].startswith(f"新案件：{home.code} 王建国")
    assert tasks(api, "township")["unread"] == 1
    assert notifications(api, "village")["unread"] == 1  # the village's case too

    answer = api.client.post(READ, json={"keys": [key]}, headers=api.headers("township"))
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"marked": 1, "unread": 0}
    assert notifications(api, "township")["notifications"][0]["unread"] is False
    assert notifications(api, "village")["unread"] == 1  # read per user

    again = create_app(settings, clock=clock, follow=False)
    with TestClient(again) as client:
        again.state.projections.catch_up()
        body = client.get(NOTIFICATIONS, headers=api.headers("township")).json()
        assert body["unread"] == 0 and body["notifications"][0]["key"] == key
    # reading never wrote an event
    assert api.app.state.case_files.max_position() == recorded


def test_a_deadline_tomorrow_is_a_notification_computed_each_day(api: Api) -> None:
    home = register(api, 1)
    home.alerted(day="2025-11-17")  # due 12-02; the visit is the village's work
    api.catch_up()
    keys = [n["key"] for n in notifications(api, "village")["notifications"]]
    assert keys == [f"due:case:{home.code}:1:2025-12-02"]
    api.clock.now = api.clock.now.replace(day=2)
    assert notifications(api, "village")["notifications"] == []


def test_bad_input_is_refused_naming_the_field(api: Api) -> None:
    home = register(api, 1)
    home.alerted(day="2025-11-28")
    home.do("/identification/home-visit", {"case_number": 1, "finding": "风险属实", "risk_clear": True,
                                           "occurred_on": "2025-11-29"})  # the review: the township's
    api.catch_up()
    problem(api.get(TASKS, "township", kind="散步"), 422, "CODE_UNKNOWN", field="kind")
    problem(api.get(TASKS, "township", urgency="someday"), 422, "CODE_UNKNOWN", field="urgency")
    problem(api.get(TASKS, "township", limit=5), 400, "INVALID_REQUEST", field=None)
    unknown = api.client.post(READ, json={"keys": ["landed:case:nope:1"]},
                              headers=api.headers("township"))
    problem(unknown, 404, "NOTIFICATION_NOT_FOUND", field="keys[0]")
    problem(api.client.post(READ, json={"keys": []}, headers=api.headers("township")),
            422, "REQUIRED", field="keys")
    problem(api.client.post(READ, json={"all": True, "keys": ["x"]}, headers=api.headers("township")),
            422, "KEYS_WITH_ALL", field="keys")
    problem(api.client.post(READ, json={"every": True}, headers=api.headers("township")),
            400, "INVALID_REQUEST", field="every")
    assert notifications(api, "township")["unread"] == 1  # nothing was marked
    everything = api.client.post(READ, json={"all": True}, headers=api.headers("township"))
    assert everything.json() == {"marked": 1, "unread": 0}


def test_auditors_have_no_tasks_and_a_user_is_linked_only_as_a_village_user(api: Api) -> None:
    assert tasks(api, "auditor")["tasks"] == []
    assert call(api, "GET", TASKS, "assessment").json()["counts"] == {
        "overdue": 0, "soon": 0, "later": 0}
    from domain.errors import RuleViolation
    try:
        api.app.state.my_work.marks.link_grid_worker("township-01", "李网格")
    except RuleViolation as refused:
        assert refused.code == "LINK_NOT_VILLAGE"
    else:
        raise AssertionError("a township user was linked to a grid worker")
    assert code_of(1) and TOWNSHIP


def test_the_unit_that_decided_answers_the_appeal_and_the_township_verifies_self_reports(
        api: Api) -> None:
    by_township = register(api, 1).visited()
    by_township.do("/identification/village-notice", {
        "case_number": 1, "decision": "通过", "notice_from": "2025-03-03", "notice_to": "2025-03-08",
        "occurred_on": "2025-03-09"})
    by_township.do("/identification/township-review", {
        "case_number": 1, "decision": "不通过", "reason": "收入高于标准", "occurred_on": "2025-03-10"})
    by_county = register(api, 2).deliberated()
    by_county.do("/identification/county-decision", {
        "case_number": 1, "decision": "不通过", "reason": "存款超过标准", "occurred_on": "2025-03-10",
        "asset_comparison": "存款超标"})
    for home in (by_township, by_county):
        home.do("/appeals", {"case_number": 1, "against": "不予认定", "appellant": "王建国",
                             "by_household": True, "content": "收入算错了", "occurred_on": "2025-11-28"},
                who="village")
    api.catch_up()  # the townships a self-report may name are those of the registry
    reported = api.client.post("/api/public/self-reports", json={
        "name": "张三", "person_id_number": id_number(date(1980, 1, 1), 7), "phone": "13812345678",
        "township": TOWNSHIP, "village": "东村", "story": "房子漏雨"})
    township = tasks(api, "township")["tasks"]
    appeal = next(t for t in township if t["kind"] == "申诉答复")
    assert appeal["subject"] == by_township.code and appeal["deadline"] == "2025-12-13"
    assert appeal["path"].startswith(f"/api/households/{by_township.code}/appeals/")
    assert [t["subject"] for t in township if t["kind"] == "申诉答复"] == [by_township.code]
    county = tasks(api, "county")["tasks"]
    assert [t["subject"] for t in county if t["kind"] == "申诉答复"] == [by_county.code]
    assert reported.status_code in (200, 201, 202), reported.text
    held = [t for t in township if t["kind"] == "自主申报"]
    assert [t["path"] for t in held] == [f"/api/self-reports/{reported.json()['report_id']}/answer"]
    assert held[0]["deadline"] == "2025-12-16"  # the 15 days from the day reported
    assert not [t for t in tasks(api, "other_township")["tasks"] if t["kind"] == "自主申报"]
    texts = [n["text"] for n in notifications(api, "township")["notifications"]]
    assert any(text.startswith(f"新的申诉：{by_township.code}") for text in texts)


def test_an_appeal_against_the_village_deliberation_is_on_the_village_desk(api: Api) -> None:
    """Given a case the village deliberation refused (村级评议不通过), when the household appeals,
    then the 村联络站 — the unit that decided — has it to answer, and neither unit above does."""
    home = register(api, 1).visited()
    home.do("/identification/village-notice", {
        "case_number": 1, "decision": "不通过", "reason": "群众评议认为收入较高",
        "notice_from": "2025-03-03", "notice_to": "2025-03-08", "occurred_on": "2025-03-09"})
    home.do("/appeals", {"case_number": 1, "against": "不予认定", "appellant": "王建国",
                         "by_household": False, "content": "收入算错了", "occurred_on": "2025-11-28"},
            who="village")
    village = [t for t in tasks(api, "village")["tasks"] if t["kind"] == "申诉答复"]
    assert [(t["subject"], t["deadline"]) for t in village] == [(home.code, "2025-12-13")]
    for unit in ("township", "county"):
        assert not [t for t in tasks(api, unit)["tasks"] if t["kind"] == "申诉答复"], unit
    assert any(n["text"].startswith(f"新的申诉：{home.code}")
               for n in notifications(api, "village")["notifications"])
    appeal_id = village[0]["path"].split("/")[-2]
    home.do(f"/appeals/{appeal_id}/answer", {"case_number": 1, "outcome": "不成立",
                                             "reason": "评议结果有据", "occurred_on": "2025-12-01"},
            who="village")
    assert not [t for t in tasks(api, "village")["tasks"] if t["kind"] == "申诉答复"]


def test_a_helper_named_before_inclusion_is_to_confirm_or_change_until_done(api: Api) -> None:
    """Given two 脱贫户 whose 帮扶责任人 was named under 四个不摘 (02-01), when each is included
    (03-10), then the township and the county have 确认帮扶责任人 on their desks until one is
    confirmed and the other's helper changed; a household included without one is prompted to
    assign, not to confirm."""
    early = {**HELPER, "occurred_on": "2025-02-01"}
    homes = [register(api, n, household_type="脱贫户") for n in (1, 2)]
    for home in homes:
        home.do("/helper", early)
        home.deliberated()
        home.do("/identification/county-decision", {**COUNTY_DECISION, "category": "脱贫不稳定户"})
    register(api, 3).included()  # no helper: the assign prompt is the case file's, not a task here

    def prompted(who: str) -> list[str]:
        return [t["subject"] for t in tasks(api, who)["tasks"] if t["kind"] == "确认帮扶责任人"]

    assert prompted("township") == prompted("county") == [homes[0].code, homes[1].code]
    assert prompted("other_township") == [] and prompted("village") == []
    first = next(t for t in tasks(api, "township")["tasks"] if t["kind"] == "确认帮扶责任人")
    assert first["path"] == f"/api/households/{homes[0].code}/helper/confirm"
    assert first["deadline"] is None and "王帮扶" in first["what"]

    confirm = homes[0].path + "/helper/confirm"
    problem(call(api, "POST", confirm, "township", {"occurred_on": "2025-03-09"}), 422,
            "DATE_ORDER", "occurred_on")
    problem(call(api, "POST", confirm, "village", {"occurred_on": "2025-03-11"}), 403,
            "ROLE_FORBIDDEN")
    homes[0].do("/helper/confirm", {"occurred_on": "2025-03-11"}, who="township")
    problem(call(api, "POST", confirm, "township", {"occurred_on": "2025-03-12"}), 409,
            "HELPER_NOTHING_TO_CONFIRM", "household_code")
    homes[1].do("/helper/change", {**HELPER_CHANGE, "occurred_on": "2025-03-12"})
    assert prompted("township") == []
    history = [e["sentence"] for e in api.get(homes[0].path + "/history").json()["entries"]]
    assert any("确认帮扶责任人王帮扶继续负责第1号案件" in s for s in history)
