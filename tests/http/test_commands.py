"""Every command endpoint with a good body, what it answers and what the case file then shows;
the problem+json answers of refused requests, and that a refusal records nothing; idempotent
repeats; the request-size limit."""

from __future__ import annotations

from datetime import date
from typing import Any

from interfaces.field_names import where
from tests.builders import id_number
from tests.http.conftest import Api
from tests.http.kit import (
    ALL_PASS,
    CORRECTION,
    COUNTY_DECISION,
    ELIMINATION_DECISION,
    ELIMINATION_NOTICE,
    ELIMINATION_REVIEW,
    ELIMINATION_VISIT,
    END_MEASURE,
    GREEN_CHANNEL,
    HOME_VISIT,
    IN_PLACE,
    INCOME,
    LEAVE,
    MEASURE,
    PROBLEM_JSON,
    RELIEF,
    RISK_ANALYSIS,
    TOWNSHIP_REVIEW,
    UPDATE,
    VILLAGE_NOTICE,
    VISIT,
    Home,
    alert_body,
    call,
    join_body,
    problem,
    register,
    registration_body,
    set_income_line,
    set_relief_bands,
    subsidy_body,
)


class Answers:
    """Checks each command's answer against the one before on the same household: the same
    household, the version up by the events recorded, the log position further on."""

    def __init__(self, home: Home) -> None:
        self.home, self.version, self.position = home, 0, 0

    def __call__(self, answer: dict[str, Any], events: int = 1) -> dict[str, Any]:
        assert answer["household_id"] == self.home.id
        assert answer["household_code"] == self.home.code
        assert answer["version"] == self.version + events, answer
        assert answer["position"] > self.position, answer
        self.version, self.position = answer["version"], answer["position"]
        return answer


def _first(items: list[dict[str, Any]], **match: Any) -> dict[str, Any]:
    return next(item for item in items if all(item[k] == v for k, v in match.items()))


# ---------------------------------------------------------------------- each command once


def test_registration_and_member_changes(api: Api) -> None:
    home = Home(api, 1)
    check = Answers(home)
    first = api.post("/api/households", registration_body(1), "township")
    assert first.status_code == 201 and first.headers["content-type"] == "application/json"
    assert "idempotent-replayed" not in first.headers
    registered = check(first.json())
    assert registered["version"] == 1 and registered["alert"] is None and registered["assessment"] is None
    file = home.file()
    assert (file["code"], file["township"], file["village"], file["household_type"]) == (
        home.code, "银坊镇", "东村", "一般农户")
    assert [m["name"] for m in file["members"]] == ["王建国", "李秀英", "王小明"]
    assert file["members"][0]["birth_date"] == "1970-05-04" and file["members"][0]["sex"] == "男"
    assert file["version"] == 1 and file["monitoring_object"] is False

    check(home.do("/members", join_body(1), who="village"))
    check(home.do(f"/members/{home.child}/leave", LEAVE, who="village"))
    check(home.do(f"/members/{home.spouse}", UPDATE, who="village", method="PATCH"))
    check(home.do("/corrections", CORRECTION, who="township"))

    file = home.file()
    assert file["version"] == 5
    newborn = _first(file["members"], name="王小花")
    assert (newborn["current"], newborn["joined_on"], newborn["join_reason"]) == (True, "2025-02-01", "出生")
    child = _first(file["members"], name="王小明")
    assert (child["current"], child["left_on"], child["leave_reason"]) == (False, "2025-02-01", "迁出")
    spouse = _first(file["members"], name="李秀英")
    assert (spouse["health"], spouse["labour_capacity"]) == ("患有大病", "弱劳动力或半劳动力")
    assert file["address"] == "东村十二号"
    events = [entry["event"] for entry in home.history()]
    assert events == ["Registered", "MemberJoined", "MemberLeft", "MemberDetailsUpdated", "FactCorrected"]


def test_an_alert_and_the_four_identification_steps(api: Api) -> None:
    home = register(api, 1)
    check = Answers(home)
    check.version = 1
    raised = check(home.do("/alerts", alert_body(1), who="village"))
    assert raised["alert"]["case_number"] == 1 and raised["alert"]["new_case"] is True
    assert raised["alert"]["outcome"] == "新案件" and raised["alert"]["duplicate_of"] is None
    case = home.file()["cases"][0]
    assert (case["stage"], case["opened_on"], case["deadline_on"]) == (
        "待入户核查", "2025-03-01", "2025-03-16")
    assert home.file()["alerts"][0]["alert_id"] == raised["alert"]["alert_id"]

    check(home.do("/identification/home-visit", HOME_VISIT, who="village"))
    assert home.file()["cases"][0]["stage"] == "评议审核中"
    check(home.do("/identification/village-notice", VILLAGE_NOTICE, who="village"))
    check(home.do("/identification/township-review", TOWNSHIP_REVIEW, who="township"))
    assert home.file()["cases"][0]["stage"] == "待县级审定"
    check(home.do("/identification/county-decision", COUNTY_DECISION, who="county"))

    file = home.file()
    assert file["monitoring_object"] is True and file["category"] == "边缘易致贫户"
    case = file["cases"][0]
    assert (case["stage"], case["included_on"], case["days_to_inclusion"]) == ("监测帮扶中", "2025-03-10", 9)
    assert [step["step"] for step in case["identification"]] == [
        "入户核查核实", "村级评议公示", "乡镇核查初审", "县级比对审定"]


def test_the_green_channel_lets_help_start_before_the_other_steps(api: Api) -> None:
    home = register(api, 1)
    home.alerted(risk_types=("因意外事故",))
    home.do("/identification/home-visit", HOME_VISIT)
    check = Answers(home)
    check.version = 3
    check(home.do("/green-channel", GREEN_CHANNEL, who="township"))
    case = home.file()["cases"][0]
    assert case["green_channel"] is True
    assert case["owed_steps"] == ["村级评议公示", "乡镇核查初审", "县级比对审定"]
    check(home.do("/risk-analyses", {**RISK_ANALYSIS, "causes": ["因意外事故"]}, who="township"))
    check(home.do("/measures", MEASURE, who="township"))
    assert home.file()["measures"][0]["status"] == "计划"


def test_the_help_commands(api: Api) -> None:
    set_relief_bands(api)
    home = register(api, 1).included()
    check = Answers(home)
    check.version = 6
    check(home.do("/risk-analyses", RISK_ANALYSIS, who="township"))
    analysed = home.history()[-1]
    assert analysed["event"] == "RiskAnalysed" and analysed["details"]["needs"] == ["健康帮扶"]

    check(home.do("/measures", MEASURE, who="township"))
    measure = home.file()["measures"][0]
    assert (measure["measure_id"], measure["status"], measure["amount"], measure["started_on"]) == (
        "M1", "计划", "1500.00", "2025-03-12")
    check(home.do("/measures/M1/in-place", IN_PLACE, who="township"))
    assert home.file()["measures"][0]["in_place_on"] == "2025-03-20"
    assert home.file()["measures"][0]["status"] == "已落实"
    check(home.do("/measures/M1/end", END_MEASURE, who="county"))
    measure = home.file()["measures"][0]
    assert (measure["status"], measure["ended_on"], measure["end_reason"]) == (
        "已结束", "2025-04-30", "住院治疗结束")

    check(home.do("/medical-subsidies", subsidy_body(1), who="township"))
    subsidy = home.history()[-1]
    assert subsidy["event"] == "MedicalInsuranceSubsidised"
    assert (subsidy["details"]["year"], subsidy["details"]["amount"]) == (2025, "380.00")
    check(home.do("/relief-payouts", RELIEF, who="county"))
    payout = home.history()[-1]
    assert payout["event"] == "ReliefInsurancePaid" and payout["details"]["amount"] == "2000.00"
    assert payout["details"]["insurer"] == "人保财险涞源支公司"
    assert home.file()["relief_payouts"][0]["ceiling"] == "3500.00"  # (12,000 − 5,000) × 50%
    assert payout["recorded_by"] == {"user": "county-01", "role": "县防贫中心"}


def test_the_income_line_visits_assessment_and_the_four_elimination_steps(api: Api) -> None:
    line = call(api, "PUT", "/api/income-lines/2025", "county",
                {"yuan_per_capita": "7000", "occurred_on": "2025-01-01", "reason": "县定标准"})
    assert line.status_code == 201, line.text
    assert line.json()["year"] == 2025 and line.json()["yuan_per_capita"] == "7000"
    assert api.get("/api/income-lines", on="2025-05-01").json()["yuan_per_capita"] == "7000"
    again = call(api, "PUT", "/api/income-lines/2025", "county",
                 {"yuan_per_capita": "7200", "occurred_on": "2025-02-01", "reason": "省里上调"})
    assert again.json()["version"] == line.json()["version"] + 1
    assert again.json()["position"] > line.json()["position"]

    home = register(api, 1).helped()
    check = Answers(home)
    check.version = 9
    check(home.do("/visits", {**VISIT, "per_capita_income": "9000"}, who="village"))
    visit = home.file()["visits"][0]
    assert (visit["visitor"], visit["failed_checks"], visit["income_change"]) == ("网格员小李", [], "200")
    assert (visit["per_capita_income"], visit["line_in_force"]) == ("9000", "7200")
    assessed = check(home.do("/income-assessments", INCOME, who="village"))["assessment"]
    assert (assessed["household_size"], assessed["net_income"], assessed["per_capita"]) == (
        3, "36000", "12000.00")
    assert (assessed["line_in_force"], assessed["below_line"]) == ("7200", False)
    assert home.file()["assessments"] == [assessed]

    # September's evidence alone is not six months of income stably above the line (§9)
    refused = api.post(home.path + "/elimination/home-visit", ELIMINATION_VISIT, "village")
    assert refused.status_code in (409, 422), refused.text
    assert (refused.json()["code"], refused.json()["field"]) == ("ELIMINATION_INCOME_NOT_STABLE",
                                                                 "occurred_on")
    assert "2025-04、2025-05、2025-06、2025-07、2025-08 没有" in refused.json()["detail"]
    for month in range(4, 9):
        check(home.do("/visits", {**VISIT, "per_capita_income": "9000",
                                  "occurred_on": f"2025-{month:02d}-15"}, who="village"))

    check(home.do("/elimination/home-visit", ELIMINATION_VISIT, who="village"))
    assert home.file()["cases"][0]["stage"] == "风险消除程序中"
    check(home.do("/elimination/village-notice", ELIMINATION_NOTICE, who="village"))
    check(home.do("/elimination/township-review", ELIMINATION_REVIEW, who="township"))
    check(home.do("/elimination/county-decision", ELIMINATION_DECISION, who="county"))
    file = home.file()
    case = file["cases"][0]
    assert (case["stage"], case["eliminated_on"], case["elimination_mode"]) == (
        "风险已消除", "2025-10-10", "帮扶消除")
    assert len(case["elimination"]) == 4
    assert file["monitoring_object"] is False and file["category"] is None


# ---------------------------------------------------------------------- refused requests


def test_a_request_not_in_the_schema_shape_is_400_naming_the_field(api: Api) -> None:
    def body(**change: Any) -> dict[str, Any]:
        registration = registration_body(1)
        registration.update(change)
        return registration

    wrong_relation = body()
    wrong_relation["members"][1]["relation"] = "表哥"
    missing = body()
    del missing["occurred_on"]
    for field, sent in (("household_type", body(household_type="富户")),
                        ("members[1].relation", wrong_relation)):  # not in the code table: 422
        problem(api.post("/api/households", sent), 422, "CODE_UNKNOWN", field=field)
    cases = {
        "occurred_on": missing,
        "recorded_at": body(recorded_at="2025-01-01T00:00:00Z"),  # unknown field
        "lifted_out_year": body(lifted_out_year="二〇一六"),
    }
    for field, sent in cases.items():
        answer = problem(api.post("/api/households", sent), 400, "INVALID_REQUEST", field=field)
        assert answer["type"] == "/problems/INVALID_REQUEST" and answer["title"] == "请求格式有误"
        assert answer["instance"] == "/api/households"
        # named by its label, as the workbench names it (an unknown field: as it was sent)
        assert f"“{where(field) or field}”不符合要求" in answer["detail"]
        assert answer["errors"][0]["field"] == field

    for day in ("2025/01/01", "01-01-2025", "2025-02-30", "yesterday"):
        problem(api.post("/api/households", body(occurred_on=day)), 400, "INVALID_REQUEST",
                field="occurred_on")
    home = register(api, 1)
    # A value not in a code table breaks a rule (422), with the nearest terms
    near = problem(api.post(home.path + "/alerts", alert_body(1, risk_types=("因穷",))), 422,
                   "CODE_UNKNOWN", field="risk_types[0]")
    assert "是否为“因病”" in near["detail"] and "缺劳动力" in near["detail"]

    malformed = api.client.post("/api/households", content=b'{"code": "1306", ',
                                headers={**api.headers("county"), "Content-Type": "application/json"})
    assert malformed.status_code == 400
    assert malformed.headers["content-type"].startswith(PROBLEM_JSON)
    assert malformed.json()["status"] == 400 and malformed.json()["field"] is None
    assert len(home.history()) == 1, "nothing recorded"


def test_a_malformed_json_body_has_the_same_code_as_any_malformed_request(api: Api) -> None:
    malformed = api.client.post("/api/households", content=b'{"code": ',
                                headers={**api.headers("county"), "Content-Type": "application/json"})
    problem(malformed, 400, "INVALID_REQUEST")


def test_a_wrong_date_format_is_explained_in_chinese(api: Api) -> None:
    answer = problem(api.post("/api/households", {**registration_body(1), "occurred_on": "2025/01/01"}),
                     400, "INVALID_REQUEST", field="occurred_on")
    assert "Invalid" not in answer["detail"], answer["detail"]


def test_a_bad_id_number_check_digit_is_422_naming_the_field(api: Api) -> None:
    good = id_number(date(1980, 1, 1), 5)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    registration = registration_body(1)
    registration["members"][1]["id_number"] = bad
    answer = problem(api.post("/api/households", registration), 422, "ID_NUMBER_CHECK_DIGIT",
                     field="members[1].id_number")
    assert answer["title"] == "内容不符合规则" and bad in answer["detail"]
    problem(api.get("/api/households/" + registration["code"]), 404, "HOUSEHOLD_NOT_FOUND")

    home = register(api, 1)
    problem(api.post(home.path + "/alerts", alert_body(1, person_id_number=bad)), 422,
            "ID_NUMBER_CHECK_DIGIT", field="person_id_number")
    problem(api.post(home.path + "/alerts", alert_body(1, person_id_number="13063019800101")), 422,
            "ID_NUMBER_FORMAT", field="person_id_number")
    assert len(home.history()) == 1


def test_unknown_households_members_and_routes_are_404(api: Api) -> None:
    for response in (api.post("/api/households/999999/alerts", alert_body(1)),
                     api.get("/api/households/999999"), api.get("/api/households/999999/history")):
        problem(response, 404, "HOUSEHOLD_NOT_FOUND", field="household_code")
    home = register(api, 1)
    stranger = id_number(date(1990, 1, 1), 9)
    problem(api.post(f"{home.path}/members/{stranger}/leave", LEAVE), 404, "MEMBER_NOT_FOUND",
            field="id_number")
    problem(api.post(f"{home.path}/measures/M9/in-place", IN_PLACE), 404, "MEASURE_NOT_FOUND")
    for response in (api.get("/api/nowhere"), api.post("/api/households/1/nothing", {}),
                     api.get("/api/households/1/history/more")):
        answer = problem(response, 404, "NOT_FOUND", field=None)
        assert answer["title"] == "未找到"
    problem(call(api, "DELETE", home.path), 405, "METHOD_NOT_ALLOWED")
    assert len(home.history()) == 1


def test_a_rule_refusal_is_409_and_changes_nothing(api: Api) -> None:
    home = register(api, 1)
    home.alerted()
    file, history = home.file(), home.history()

    answer = problem(api.post(home.path + "/identification/township-review", TOWNSHIP_REVIEW, "township"),
                     409, "STEP_OUT_OF_ORDER", field="case_number")
    assert answer["title"] == "与档案现状冲突" and "入户核查核实" in answer["detail"]
    problem(api.post(home.path + "/identification/county-decision", COUNTY_DECISION), 409,
            "STEP_OUT_OF_ORDER")
    problem(api.post(home.path + "/measures", MEASURE), 409, "NOT_UNDER_HELP")
    problem(api.post("/api/households", registration_body(1)), 409, "HOUSEHOLD_EXISTS", field="code")
    problem(api.post(home.path + "/identification/home-visit", {**HOME_VISIT, "occurred_on": "2025-12-25"}),
            422, "DATE_IN_FUTURE", field="occurred_on")

    assert home.file() == file, "the case file is as it was"
    assert home.history() == history
    assert home.file()["version"] == 2 and home.file()["cases"][0]["stage"] == "待入户核查"


# ---------------------------------------------------------------------- idempotent repeats


def _twice(api: Api, path: str, body: dict[str, Any], who: str = "county", key: str = "key-1") -> Any:
    first, second = (api.post(path, body, who, key=key) for _ in range(2))
    assert first.status_code == second.status_code == 201, (first.text, second.text)
    assert "idempotent-replayed" not in first.headers
    assert second.headers["idempotent-replayed"] == "true"
    assert second.json() == first.json()
    return first.json()


def test_a_repeated_registration_is_recorded_once(api: Api) -> None:
    answer = _twice(api, "/api/households", registration_body(1), "township")
    home = Home(api, 1)
    assert answer["version"] == 1
    assert [entry["event"] for entry in home.history()] == ["Registered"]


def test_a_repeated_alert_is_recorded_once_and_answers_its_outcome(api: Api) -> None:
    home = register(api, 1)
    answer = _twice(api, home.path + "/alerts", alert_body(1), "village")
    assert answer["alert"]["new_case"] is True and answer["alert"]["case_number"] == 1
    assert [entry["event"] for entry in home.history()] == ["Registered", "AlertRaised"]
    assert len(home.file()["alerts"]) == 1


def test_a_repeated_visit_with_a_failed_check_raises_its_alert_once(api: Api) -> None:
    home = register(api, 1)
    visit = {**VISIT, "checks": {**ALL_PASS, "住房安全": False}}
    answer = _twice(api, home.path + "/visits", visit, "village")
    assert answer["version"] == 3, "the visit and the alert it raised"
    assert answer["alert"]["new_case"] is True and answer["alert"]["outcome"] == "新案件"
    assert [entry["event"] for entry in home.history()] == ["Registered", "VisitRecorded", "AlertRaised"]
    file = home.file()
    assert len(file["visits"]) == 1 and file["visits"][0]["failed_checks"] == ["住房安全"]
    assert [alert["problems"] for alert in file["alerts"]] == [["住房安全问题"]]
    assert file["alerts"][0]["channel"] == "乡村干部排查"


def test_a_repeated_income_assessment_is_recorded_once_and_answers_its_result(api: Api) -> None:
    set_income_line(api)
    home = register(api, 1)
    answer = _twice(api, home.path + "/income-assessments", INCOME, "village")
    assert answer["assessment"]["per_capita"] == "12000.00" and answer["assessment"]["below_line"] is False
    assert [entry["event"] for entry in home.history()] == ["Registered", "IncomeAssessed"]
    assert len(home.file()["assessments"]) == 1


def test_a_key_repeated_after_other_commands_still_answers_as_the_first_time(api: Api) -> None:
    home = register(api, 1)
    first = api.post(home.path + "/alerts", alert_body(1), "village", key="k")
    home.do("/identification/home-visit", HOME_VISIT)
    again = api.post(home.path + "/alerts", alert_body(1), "village", key="k")
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert len(home.history()) == 3


def test_the_same_key_from_two_users_records_both_commands(api: Api) -> None:
    home = register(api, 1)
    by_village = api.post(home.path + "/alerts", alert_body(1), "village", key="shared-key")
    by_county = api.post(home.path + "/alerts", alert_body(1, risk_types=("因残",)), "county",
                         key="shared-key")
    assert by_village.status_code == by_county.status_code == 201
    assert "idempotent-replayed" not in by_county.headers
    assert by_county.json()["version"] == by_village.json()["version"] + 1
    assert by_county.json()["alert"]["outcome"] == "并入案件"
    assert len(home.file()["alerts"]) == 2
    recorders = [entry["recorded_by"]["user"] for entry in home.history()[1:]]
    assert recorders == ["grid-01", "county-01"]

    problem(api.post(home.path + "/alerts", alert_body(1), "village", key="   "), 422, "IDEMPOTENCY_KEY",
            field="Idempotency-Key")
    assert len(home.history()) == 3


def test_a_repeated_income_line_answers_what_was_recorded(api: Api) -> None:
    first = call(api, "PUT", "/api/income-lines/2025", "county",
                 {"yuan_per_capita": "7000", "occurred_on": "2025-01-01"}, key="line-2025")
    again = call(api, "PUT", "/api/income-lines/2025", "county",
                 {"yuan_per_capita": "8000", "occurred_on": "2025-01-01"}, key="line-2025")
    assert again.headers["idempotent-replayed"] == "true"
    assert api.get("/api/income-lines", on="2025-06-01").json()["yuan_per_capita"] == "7000"
    assert again.json() == first.json()


# ---------------------------------------------------------------------- size limit


def test_a_body_over_4_mib_is_413(api: Api) -> None:
    huge = {**registration_body(1), "address": "东" * (1_500_000)}  # 4.5 MB of UTF-8
    answer = problem(api.post("/api/households", huge), 413, "REQUEST_TOO_LARGE", field=None)
    assert answer["title"] == "请求内容过大"
    problem(api.get("/api/households/" + huge["code"]), 404, "HOUSEHOLD_NOT_FOUND")
    rows = [{"person_id_number": "130630197005040119", "risk_types": ["因病"], "occurred_on": "2025-03-01",
             "description": "x" * 1000}] * 5000
    problem(api.post("/api/pushes", {"batch_id": "BIG", "department": "医保局", "tier": "县级筛查",
                                     "period": "2025-03", "rows": rows}), 413, "REQUEST_TOO_LARGE")


def test_a_value_breaking_a_rule_is_422_and_a_step_the_case_refuses_is_409(api: Api) -> None:
    home = register(api, 1).visited()
    notice = "/identification/village-notice"
    # A notice of three days: the value breaks the rule (a week at least), whatever the case
    short = {**VILLAGE_NOTICE, "notice_to": "2025-03-05"}
    problem(call(api, "POST", home.path + notice, "county", short), 422, "NOTICE_TOO_SHORT",
            field="notice_to")
    # The step done already: the case's state refuses it, whatever the values
    home.do(notice, VILLAGE_NOTICE)
    problem(call(api, "POST", home.path + notice, "county", VILLAGE_NOTICE), 409, "STEP_DONE")
