"""Department pushes (部门筛查预警, domain.md §5): a batch answered row by row, bad rows refused on
their own, the duplicate rule across rows, batches and tiers, sending a batch again, and the
county centre pushing on a department's behalf."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from litestar.testing import TestClient

from application.pushes import PushRecording
from interfaces.http import create_app
from tests.builders import STATED_MEMBER, id_number
from tests.http.conftest import USERS, Api
from tests.http.kit import problem, register

NOBODY = id_number(date(1980, 1, 1), 7)  # a valid ID number registered in no household
BAD_CHECK_DIGIT = NOBODY[:-1] + ("0" if NOBODY[-1] != "0" else "1")


def row(person: str, *risk_types: str, day: str = "2025-03-01", **fields: Any) -> dict[str, Any]:
    return {"person_id_number": person, "risk_types": list(risk_types or ("因病",)), "occurred_on": day,
            "description": "医疗费用自付超过一万元", **fields}


def batch(batch_id: str, rows: list[dict[str, Any]], tier: str = "县级筛查", period: str = "2025-03",
          **fields: Any) -> dict[str, Any]:
    return {"batch_id": batch_id, "tier": tier, "period": period, "rows": rows, **fields}


def send(api: Api, body: dict[str, Any], who: str = "department") -> dict[str, Any]:
    response = api.post("/api/pushes", body, who)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    return response.json()


def test_a_batch_is_answered_row_by_row_and_bad_rows_never_stop_good_ones(api: Api) -> None:
    one, two = register(api, 1), register(api, 2)
    answer = send(api, batch("YB-2025-03-1", [
        row(one.head),                                     # 1: opens a case
        row(two.head, day="2025-03-02"),                   # 2: opens a case
        row(one.spouse),                                   # 3: another person: joins the case
        row(one.head),                                     # 4: same person, risk, department, period
        row(NOBODY),                                       # 5: in no household: held, unmatched
        row(BAD_CHECK_DIGIT),                              # 6
        row(two.spouse, "因穷"),                            # 7: not a risk type
        row(two.spouse, day="2025/03/05"),                 # 8: not a date
        row(two.spouse, "因自然灾害"),                       # 9: a disaster needs its kind
        row(two.spouse, "因学", day="2025-03-05"),          # 10: joins the case after all the bad rows
        row(two.child, "因自然灾害", disaster_kind="洪涝"),   # 11
        row(two.child, "因病", problems=["漏雨"]),           # 12: not a problem flag
        row(two.child, day="2025-12-25"),                  # 13: discovered after today
    ]))

    results = [(r["row"], r["result"]) for r in answer["rows"]]
    assert results == [(1, "新案件"), (2, "新案件"), (3, "并入案件"), (4, "重复"), (5, "未匹配"), (6, "拒收"),
                       (7, "拒收"), (8, "拒收"), (9, "拒收"), (10, "并入案件"), (11, "并入案件"),
                       (12, "拒收"), (13, "拒收")]
    refused = {r["row"]: (r["code"], r["field"]) for r in answer["rows"] if r["result"] == "拒收"}
    assert refused == {
        6: ("ID_NUMBER_CHECK_DIGIT", "rows[5].person_id_number"),
        7: ("CODE_UNKNOWN", "rows[6].risk_types[0]"),
        8: ("DATE_FORMAT", "rows[7].occurred_on"),
        9: ("DISASTER_KIND_REQUIRED", "rows[8].disaster_kind"),
        12: ("CODE_UNKNOWN", "rows[11].problems[0]"),
        13: ("DATE_IN_FUTURE", "rows[12].occurred_on"),
    }
    for refused_row in (r for r in answer["rows"] if r["result"] == "拒收"):
        assert refused_row["message"] and refused_row["position"] is None and refused_row["alert_id"] is None

    first, duplicate = answer["rows"][0], answer["rows"][3]
    assert (first["household_code"], first["case_number"], first["alert_id"]) == (
        one.code, 1, "医保局:YB-2025-03-1:1")
    assert (duplicate["duplicate_of"], duplicate["case_number"]) == ("医保局:YB-2025-03-1:1", None)
    assert answer["rows"][9]["household_code"] == two.code and answer["rows"][9]["case_number"] == 1
    counts = {name: answer[name] for name in ("received", "recorded", "new_cases", "joined_cases",
                                               "duplicates", "rejected", "repeated", "unmatched")}
    assert counts == {"received": 13, "recorded": 7, "new_cases": 2, "joined_cases": 3, "duplicates": 1,
                      "rejected": 6, "repeated": 0, "unmatched": 1}
    held = api.app.state.case_files.unmatched_alerts().alerts["医保局:YB-2025-03-1:5"]
    assert (held.person_id_number, held.discovered_on.isoformat()) == (NOBODY, "2025-03-01")
    assert (answer["department"], answer["tier"], answer["period"]) == ("医保局", "县级筛查", "2025-03")
    # the position reached: the rows, then the batch recorded on the push ledger
    assert answer["position"] > max(r["position"] for r in answer["rows"] if r["position"])

    file = one.file()
    assert [(a["alert_id"], a["duplicate_of"]) for a in file["alerts"]] == [
        ("医保局:YB-2025-03-1:1", None), ("医保局:YB-2025-03-1:3", None),
        ("医保局:YB-2025-03-1:4", "医保局:YB-2025-03-1:1")]
    alert = file["alerts"][0]
    assert (alert["channel"], alert["department"], alert["tier"], alert["batch_id"], alert["period"]) == (
        "部门筛查预警", "医保局", "县级筛查", "YB-2025-03-1", "2025-03")
    assert alert["description"] == "医疗费用自付超过一万元" and alert["discovered_on"] == "2025-03-01"
    assert file["cases"][0]["alert_ids"] == ["医保局:YB-2025-03-1:1", "医保局:YB-2025-03-1:3"]
    assert [a["risk_types"] for a in two.file()["alerts"]] == [["因病"], ["因学"], ["因自然灾害"]]
    assert two.file()["alerts"][2]["disaster_kind"] == "洪涝"
    assert {e["recorded_by"]["user"] for e in one.history()[1:]} == {"dept-ybj"}


def test_sending_the_same_batch_again_records_nothing(api: Api) -> None:
    one, two = register(api, 1), register(api, 2)
    body = batch("YB-7", [row(one.head), row(NOBODY), row(one.head), row(two.head, "因残"),
                          row(two.spouse, "因穷")])
    first = send(api, body)
    histories = [len(one.history()), len(two.history())]
    api.catch_up()
    ledger = api.get("/api/pushes", batch_id="YB-7").json()["rows"]

    again = send(api, body)
    assert [len(one.history()), len(two.history())] == histories
    assert again["repeated"] == again["recorded"] == first["recorded"] == 4  # the unmatched one too
    for before, now in zip(first["rows"], again["rows"], strict=True):
        recorded = before["result"] != "拒收"
        assert now["repeated"] is recorded, now
        assert {**now, "repeated": before["repeated"]} == before, "the same answer, row by row"
    assert (again["new_cases"], again["duplicates"], again["rejected"]) == (2, 1, 1)
    assert again["position"] == first["position"]
    api.catch_up()
    assert api.get("/api/pushes", batch_id="YB-7").json()["rows"] == ledger

    register(api, 3, head_name="赵六")
    late = {**body, "rows": [*body["rows"][:1], row(id_number(date(1970, 5, 4), 3))]}
    answer = send(api, late)
    assert [r["repeated"] for r in answer["rows"]] == [True, False], "row 2 differs: now recorded"
    assert answer["rows"][1]["result"] == "新案件"


def test_a_county_tier_push_does_not_repeat_what_the_province_pushed(api: Api) -> None:
    home = register(api, 1)
    provincial = send(api, batch("SJ-1", [row(home.head, "因病")], tier="省级推送"))
    assert provincial["rows"][0]["result"] == "新案件"
    first = provincial["rows"][0]["alert_id"]

    county = send(api, batch("XJ-1", [
        row(home.head, "因病", day="2025-03-20"),   # the province already pushed it this period
        row(home.head, "因病", "因残"),             # one risk type is new: not a duplicate
        row(home.spouse, "因病"),                   # another person
    ]))
    assert [r["result"] for r in county["rows"]] == ["重复", "并入案件", "并入案件"]
    assert county["rows"][0]["duplicate_of"] == first
    assert county["rows"][1]["duplicate_of"] is None

    next_period = send(api, batch("XJ-2", [row(home.head, "因病", day="2025-04-02")], period="2025-04"))
    assert next_period["rows"][0]["result"] == "并入案件", "another period is news"
    other_department = send(api, batch("MZ-1", [row(home.head, "因病", target_group="临时救助")],
                                       period="2025-03上半月"), who="other_department")
    assert other_department["rows"][0]["result"] == "并入案件", "another department is news"
    province_again = send(api, batch("SJ-2", [row(home.head, "因病", day="2025-03-25")], tier="省级推送"))
    assert province_again["rows"][0]["duplicate_of"] == first

    file = home.file()
    case = file["cases"][0]
    assert len(file["cases"]) == 1
    assert first in case["alert_ids"] and county["rows"][0]["alert_id"] not in case["alert_ids"]
    assert case["risk_types"] == ["因病", "因残"]
    assert case["opened_on"] == "2025-03-01", "a duplicate never moves the 15-day clock"
    api.catch_up()
    ledger = {row["batch_id"]: row for row in api.get("/api/pushes").json()["rows"]}
    assert (ledger["XJ-1"]["received"], ledger["XJ-1"]["duplicates"], ledger["XJ-1"]["joined_cases"]) == (
        3, 1, 2)
    assert (ledger["SJ-1"]["new_cases"], ledger["SJ-2"]["duplicates"]) == (1, 1)


def test_the_county_centre_pushes_on_a_departments_behalf(api: Api) -> None:
    home = register(api, 1)
    body = batch("MZ-2025-03上半月", [row(home.head, "因残", target_group="特困")], period="2025-03上半月")
    problem(api.post("/api/pushes", body, "county"), 422, "DEPARTMENT_REQUIRED", field="department")
    assert len(home.history()) == 1, "nothing recorded"

    answer = send(api, {**body, "department": "民政局"}, who="county")
    assert answer["department"] == "民政局" and answer["rows"][0]["result"] == "新案件"
    entry = home.history()[-1]
    assert entry["details"]["department"] == "民政局"
    assert entry["recorded_by"] == {"user": "county-01", "role": "县防贫中心"}
    api.catch_up()
    assert [row["batch_id"] for row in api.get("/api/alerts", "other_department").json()["rows"]] == [
        "MZ-2025-03上半月"]
    assert api.get("/api/alerts", "department").json()["rows"] == []

    by_the_department = send(api, body, who="other_department")
    assert by_the_department["rows"][0]["repeated"] is True, "the same batch of the same department"
    assert len(home.history()) == 2


def test_a_push_goes_to_the_household_the_person_lives_in_now(api: Api) -> None:
    former, present = register(api, 1), register(api, 2)
    former.do(f"/members/{former.child}/leave", {"reason": "迁出", "occurred_on": "2025-02-01"})
    present.do("/members", {"member": {"name": "王小明", "id_number": former.child, "relation": "其他",
                                       **STATED_MEMBER},
                            "reason": "迁入", "occurred_on": "2025-02-01"})
    answer = send(api, batch("YB-9", [row(former.child), row(former.head)]))
    assert [(r["household_code"], r["result"]) for r in answer["rows"]] == [
        (present.code, "新案件"), (former.code, "新案件")]
    assert [a["person_id_number"] for a in present.file()["alerts"]] == [former.child]


def test_a_batch_not_in_the_schema_shape_is_refused_whole(api: Api) -> None:
    home = register(api, 1)
    good = batch("YB-1", [row(home.head)])
    for field, body in (("tier", {**good, "tier": "市级推送"}),
                        ("department", {**good, "department": "县委"})):
        problem(api.post("/api/pushes", body, "department"), 422, "CODE_UNKNOWN", field=field)
    for field, body in (("period", {**good, "period": "2025-13"}),
                        ("period", {**good, "period": "2025-3"}),
                        ("period", {**good, "period": "2025-03上"}),
                        ("priority", {**good, "priority": "紧急"}),
                        ("batch_id", {key: value for key, value in good.items() if key != "batch_id"})):
        problem(api.post("/api/pushes", body, "department"), 400, "INVALID_REQUEST", field=field)
    missing_risks = {**good, "rows": [{"person_id_number": home.head, "occurred_on": "2025-03-01"}]}
    answer = problem(api.post("/api/pushes", missing_risks, "department"), 400, "INVALID_REQUEST")
    assert "风险类型" in answer["detail"], "the missing field is named as the workbench names it"
    assert len(home.history()) == 1


def test_a_misspelt_field_of_a_row_is_not_dropped_silently(api: Api) -> None:
    home = register(api, 1)
    misspelt = row(home.head, problem=["住房安全问题"])  # for "problems"
    response = api.post("/api/pushes", batch("ZJ-1", [misspelt]), "department")
    refused_whole = response.status_code == 400
    refused_row = response.status_code == 200 and response.json()["rows"][0]["result"] == "拒收"
    assert refused_whole or refused_row, response.text


def test_a_batch_id_used_again_for_another_batch_or_a_period_off_the_cadence_is_refused(api: Api) -> None:
    home = register(api, 1)
    send(api, batch("YB-1", [row(home.head)], period="2025-03上旬"))
    refused = problem(api.post("/api/pushes", batch("YB-1", [row(home.spouse)], period="2025-04上旬"),
                               "department"), 409, "BATCH_ID_REUSED", field="batch_id")
    assert "2025-03上旬" in refused["detail"]
    # 医保局 pushes by 旬 or by month, never by half month (unless urgent, or from the province)
    off = problem(api.post("/api/pushes", batch("YB-2", [row(home.spouse)], period="2025-03上半月"),
                           "department"), 422, "PUSH_PERIOD_NOT_IN_CADENCE", field="period")
    assert "2025-03上旬" in off["detail"]
    send(api, batch("YB-3", [], period="2025-03上半月", urgent=True))
    send(api, batch("YB-4", [], period="2025-03上半月", tier="省级推送"))
    assert len(home.history()) == 2, "the refused batches recorded nothing"


def test_a_zero_report_and_a_ten_day_batch_are_recorded_on_the_push_ledger(api: Api) -> None:
    home = register(api, 1)
    zero = send(api, batch("YB-2025-03上旬", [], period="2025-03上旬"))
    assert (zero["received"], zero["recorded"], zero["received_on"]) == (0, 0, "2025-12-01")
    tenth = send(api, batch("YB-2025-03中旬", [row(home.head)], period="2025-03中旬"))
    assert tenth["new_cases"] == 1
    # the alert's period for the duplicate rule is the month
    assert home.file()["alerts"][0]["period"] == "2025-03"
    urgent = send(api, batch("YB-急-1", [], period="2025-03", urgent=True))
    assert urgent["urgent"] is True
    again = send(api, batch("YB-2025-03上旬", [], period="2025-03上旬"))
    assert again["received_on"] == "2025-12-01" and again["position"] == zero["position"]


class _Crash(Exception):
    """The server process dying mid-batch."""


def test_a_batch_cut_short_is_completed_by_its_resend_and_received_when_it_first_arrived(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a batch of three rows whose server dies after recording two of them
    homes = [register(api, n) for n in (1, 2, 3)]
    body = batch("YB-2025-11-1", [row(home.head) for home in homes], period="2025-11")
    arrived_at = api.clock.now
    recorded = PushRecording._record

    def dies_at_the_third_row(recording: PushRecording, row_id: str, pushed: Any) -> Any:
        if row_id == "3":
            raise _Crash
        return recorded(recording, row_id, pushed)

    monkeypatch.setattr(PushRecording, "_record", dies_at_the_third_row)
    assert api.post("/api/pushes", body, "department").status_code == 500  # the crash, as sent
    monkeypatch.undo()

    # Then the ledger shows the batch as cut short, and no push received is counted
    api.catch_up()
    [line] = api.get("/api/pushes", who="county").json()["rows"]
    assert (line["received"], line["state"]) == (2, "接收未完成")
    assert _received_at(line) == arrived_at
    compliance = api.get("/api/push-compliance", who="county", period="2025-12").json()
    assert compliance["batches"] == []

    # When the department sends the batch again, three days later
    api.clock.advance(days=3)
    again = send(api, body)

    # Then the rows recorded before are not recorded twice, the third is, and the batch is
    # received as of when it first arrived
    assert [(r["result"], r["repeated"]) for r in again["rows"]] == [
        ("新案件", True), ("新案件", True), ("新案件", False)]
    assert again["received_on"] == "2025-12-01"
    api.catch_up()
    [line] = api.get("/api/pushes", who="county").json()["rows"]
    assert (line["received"], line["state"]) == (3, "已接收")
    assert _received_at(line) == arrived_at
    [received] = api.get("/api/push-compliance", who="county", period="2025-12").json()["batches"]
    assert (received["batch_id"], received["rows"], received["new_cases"]) == ("YB-2025-11-1", 3, 3)
    assert datetime.fromisoformat(received["received_at"]) == arrived_at


def _received_at(line: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(line["received_at"])


def test_a_provincial_batch_is_shown_but_never_credited_to_the_county_department(api: Api) -> None:
    # Given the province's batch for 医保局's November 上旬, and none of the department's own
    home = register(api, 1)
    send(api, batch("SJ-2025-11上旬", [row(home.head)], tier="省级推送", period="2025-11上旬"))
    api.catch_up()

    # Then the department's 上旬 is still missing, and the batch is listed with its tier
    compliance = api.get("/api/push-compliance", who="county", period="2025-11",
                         department="医保局").json()
    first = next(p for p in compliance["pushes"] if p["period"] == "2025-11上旬")
    assert (first["status"], first["batch_id"]) == ("漏报", None)
    api.clock.advance(days=1)  # the batches received on a day are listed once it is over
    assert [(b["batch_id"], b["tier"]) for b in api.get(
        "/api/push-compliance", who="county", period="2025-12").json()["batches"]] == [
        ("SJ-2025-11上旬", "省级推送")]

    # When the department sends its own (its row a duplicate of the province's)
    own = send(api, batch("YB-2025-11上旬", [row(home.head)], period="2025-11上旬"))
    assert own["duplicates"] == 1
    api.catch_up()

    # Then that is the push judged, late
    compliance = api.get("/api/push-compliance", who="county", period="2025-11",
                         department="医保局").json()
    first = next(p for p in compliance["pushes"] if p["period"] == "2025-11上旬")
    assert first["batch_id"] == "YB-2025-11上旬" and first["status"].startswith("迟报")


def test_a_batch_whose_every_row_was_refused_does_not_meet_the_cadence(api: Api) -> None:
    # Given 医保局's December 上旬 batch (due the 10th) arrives on time, every row refused
    home = register(api, 1)
    refused = send(api, batch("YB-2025-12上旬-1", [row(BAD_CHECK_DIGIT), row(home.head, "因穷")],
                              period="2025-12上旬"))
    assert [r["result"] for r in refused["rows"]] == ["拒收", "拒收"]

    # Then once the 10th is over the push is missing: the batch is listed, not credited
    api.clock.advance(days=10)
    api.catch_up()

    def first_ten_days() -> dict[str, Any]:
        compliance = api.get("/api/push-compliance", who="county", period="2025-12",
                             department="医保局").json()
        return next(p for p in compliance["pushes"] if p["period"] == "2025-12上旬")

    assert (first_ten_days()["status"], first_ten_days()["batch_id"]) == ("漏报", None)

    # When the department sends it again with a row that is accepted, that push is judged: late
    send(api, batch("YB-2025-12上旬-2", [row(home.head, day="2025-12-01")], period="2025-12上旬"))
    api.catch_up()
    assert (first_ten_days()["status"], first_ten_days()["batch_id"]) == (
        "迟报1天", "YB-2025-12上旬-2")


def test_pushes_due_before_the_county_began_recording_are_not_owed(
        settings: Any, clock: Any) -> None:
    # Given a county whose log began on 1 December 2025 (the app started that day)
    clock.now = datetime(2025, 12, 1, 2, 0, tzinfo=UTC)
    app = create_app(settings, clock=clock, follow=False)
    with TestClient(app) as client:
        token = app.state.users.add(USERS["county"])
        clock.advance(days=10)  # 11 December: 上旬 is over

        def owed(period: str) -> list[tuple[str, str, str]]:
            answer = client.get("/api/push-compliance", params={"period": period},
                                headers={"Authorization": f"Bearer {token}"})
            assert answer.status_code == 200, answer.text
            return [(p["department"], p["period"], p["status"]) for p in answer.json()["pushes"]]

        # Then nothing due in November is owed, and December's 医保局 上旬 is
        assert owed("2025-11") == []
        assert ("医保局", "2025-12上旬", "漏报") in owed("2025-12")


def test_rows_of_a_duty_with_criteria_carry_its_target_group_and_amount(api: Api) -> None:
    """③ 民政局's half-monthly push is about 低保/特困/临时救助 people; ⑥ 卫健局's monthly push
    about the uninsured whose medical spending passed 20,000 yuan. A row that does not say so,
    or says otherwise, is refused with its field; an urgent batch is outside the cadence."""
    one, two = register(api, 1), register(api, 2)
    civil = send(api, batch("MZ-2025-03上半月", [
        row(one.head, "缺劳动力", target_group="低保"),        # 1
        row(two.head, "缺劳动力"),                             # 2: no group
        row(two.spouse, "缺劳动力", target_group="大学新生"),    # 3: not this duty's group
        row(two.child, "缺劳动力", target_group="低保户"),      # 4: not in the code table
    ], period="2025-03上半月"), who="other_department")
    assert [r["result"] for r in civil["rows"]] == ["新案件", "拒收", "拒收", "拒收"]
    refused = [(r["code"], r["field"]) for r in civil["rows"][1:]]
    assert refused == [("TARGET_GROUP_REQUIRED", "rows[1].target_group"),
                       ("TARGET_GROUP_NOT_IN_DUTY", "rows[2].target_group"),
                       ("CODE_UNKNOWN", "rows[3].target_group")]
    assert "低保、特困、临时救助" in civil["rows"][1]["message"]

    health = send(api, batch("WJ-2025-03", [
        row(one.spouse, target_group="未参保", amount="23500.50"),   # 1
        row(two.head, target_group="未参保", amount="18000"),        # 2: not above 20,000
        row(two.spouse, target_group="未参保", amount="两万"),        # 3: not an amount
        row(two.child, target_group="未参保"),                       # 4: no amount
    ], department="卫健局"), who="county")
    assert [r["result"] for r in health["rows"]] == ["并入案件", "拒收", "拒收", "拒收"]
    assert [(r["code"], r["field"]) for r in health["rows"][1:]] == [
        ("AMOUNT_BELOW_CRITERION", "rows[1].amount"), ("AMOUNT_INVALID", "rows[2].amount"),
        ("AMOUNT_BELOW_CRITERION", "rows[3].amount")]
    alerts = {a["alert_id"]: a for a in one.file()["alerts"]}
    assert alerts[civil["rows"][0]["alert_id"]]["target_group"] == "低保"
    pushed = alerts[health["rows"][0]["alert_id"]]
    assert (pushed["target_group"], pushed["amount"]) in (("未参保", "23500.50"), ("未参保", 23500.5))

    # an alert pushed urgently by 卫健局, outside its cadence: no group needed
    urgent = send(api, batch("WJ-急-1", [row(two.head, "因病")], urgent=True, department="卫健局"),
                  who="county")
    assert urgent["rows"][0]["result"] == "新案件"


def test_an_epidemic_alert_is_owed_within_seven_days_under_duty_one(api: Api) -> None:
    """① covers 因疫: a row naming the sudden hardship 疫情 is an event push due 7 days after
    discovery; the hardship must be one the row's risk types show."""
    one, two = register(api, 1), register(api, 2)
    answer = send(api, batch("WJ-疫-1", [
        row(one.head, "因病", day="2025-11-20", sudden_hardship="疫情"),   # 1: 11 days: late
        row(two.head, "因病", day="2025-11-28", sudden_hardship="疫情"),   # 2: on time
        row(two.spouse, "因残", day="2025-11-28", sudden_hardship="疫情"),  # 3: not shown by 因残
        row(two.child, "因病", day="2025-11-28", sudden_hardship="瘟疫"),   # 4: not in the code table
    ], urgent=True, department="卫健局"), who="county")
    assert [r["result"] for r in answer["rows"]] == ["新案件", "新案件", "拒收", "拒收"]
    assert [(r["code"], r["field"]) for r in answer["rows"][2:]] == [
        ("SUDDEN_HARDSHIP_WITHOUT_RISK", "rows[2].sudden_hardship"),
        ("CODE_UNKNOWN", "rows[3].sudden_hardship")]
    assert one.file()["alerts"][0]["sudden_hardship"] == "疫情"
    api.catch_up()

    def owed(period: str) -> list[tuple[str, str]]:
        pushes = api.get("/api/push-compliance", who="county", period=period, department="卫健局").json()
        return [(p["due_on"], p["status"]) for p in pushes["pushes"] if p["duty"] == "①"]

    assert owed("2025-11") == [("2025-11-27", "迟报4天")]
    assert owed("2025-12") == [("2025-12-05", "按时")]
