"""异议与申诉 over HTTP (domain.md §14, issue 18 item 5): a cadre lodges a household's appeal
against a refusal; only the unit that decided answers; upheld, the decision is taken again
through the same step; the case file shows it and 申诉按期办结率 counts it."""

from __future__ import annotations

from tests.http.conftest import Api
from tests.http.kit import COUNTY_DECISION, call, problem, register

REFUSED = {**COUNTY_DECISION, "decision": "不通过", "reason": "存款超过标准"}
APPEAL = {"case_number": 1, "against": "不予认定", "appellant": "王建国", "by_household": True,
          "content": "存款是为看病借的", "occurred_on": "2025-03-12"}


def test_an_appeal_against_a_refusal_runs_its_course_and_is_counted(api: Api) -> None:
    home = register(api, 1).deliberated()
    home.do("/identification/county-decision", REFUSED)
    lodged = home.do("/appeals", APPEAL, who="village")
    appeal_id = home.file()["cases"][0]["appeals"][0]["appeal_id"]
    assert lodged["position"] and appeal_id.startswith("SS")
    # a second appeal while one is open, and an answer by a unit that did not decide, are refused
    problem(call(api, "POST", home.path + "/appeals", "village", APPEAL), 409, "APPEAL_OPEN", "case_number")
    answer = {"case_number": 1, "outcome": "成立", "reason": "借款有凭据", "occurred_on": "2025-03-20"}
    path = f"{home.path}/appeals/{appeal_id}/answer"
    problem(call(api, "POST", path, "township", answer), 409, "APPEAL_NOT_DECIDING_UNIT", "appeal_id")
    problem(call(api, "POST", path, "county", {**answer, "outcome": "不成立", "reason": ""}), 422,
            "REQUIRED", "reason")
    home.do(f"/appeals/{appeal_id}/answer", answer)

    case = home.file()["cases"][0]
    assert case["closed_on"] is None and case["appeals"][0]["outcome"] == "成立"
    appeal = case["appeals"][0]
    assert (appeal["due_on"], appeal["deciding_role"]) == ("2025-03-27", "县防贫中心")
    home.do("/identification/county-decision", {**COUNTY_DECISION, "occurred_on": "2025-03-21"})
    assert home.file()["cases"][0]["included_on"] == "2025-03-21"
    history = [e["what"] for e in api.get(home.path + "/history").json()["entries"]]
    assert "提出申诉" in history and "答复申诉" in history

    api.catch_up()
    figures = api.get("/api/indicators", who="county", period="2025-03").json()
    county = next(f for f in figures["figures"]
                  if f["code"] == "appeals_on_time" and f["level"] == "county")
    assert (county["numerator"], county["denominator"]) == (1, 1)
