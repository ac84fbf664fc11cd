"""缺什么补什么 and 四个不摘 over HTTP (domain.md §7): a monitoring object's measure answers a need
of its case's analysis; a 脱贫户 that is not a monitoring object gets follow-up measures."""

from __future__ import annotations

from typing import Any

from tests.http.conftest import Api
from tests.http.kit import MEASURE, RISK_ANALYSIS, problem, register


def refused(response: Any, code: str, field: str | None) -> None:
    """A refusal naming the rule and the field (a rule broken: 409 or 422, see the README)."""
    assert response.status_code in (409, 422), response.text
    body = response.json()
    assert (body["code"], body["field"]) == (code, field), body


def test_a_measure_answers_a_need_the_analysis_found(api: Api) -> None:
    home = register(api, 1).included()
    measures = home.path + "/measures"
    refused(api.post(measures, MEASURE, "township"), "ANALYSIS_REQUIRED", "measure_type")
    home.do("/risk-analyses", RISK_ANALYSIS, who="township")  # needs 健康帮扶, 普通劳动力
    refused(api.post(measures, {**MEASURE, "measure_type": "产业帮扶", "department": "农业农村局"},
                     "township"), "MEASURE_NOT_A_NEED", "measure_type")
    home.do("/measures", MEASURE, who="township")

    changed = {**RISK_ANALYSIS, "needs": ["健康帮扶", "综合保障"], "occurred_on": "2025-03-13"}
    problem(api.post(home.path + "/risk-analyses", changed, "township"), 422, "REASON_REQUIRED", "reason")
    home.do("/risk-analyses", {**changed, "reason": "户主病情加重，家庭刚性支出大"}, who="township")
    protection = {**MEASURE, "measure_id": "M2", "measure_type": "综合保障", "department": "民政局",
                  "occurred_on": "2025-03-14"}
    refused(api.post(measures, protection, "township"), "PROTECTION_NEEDS_REASON", "reason")
    home.do("/measures", {**protection, "reason": "经民政部门审核纳入临时救助"}, who="township")
    file = home.file()
    assert [m["measure_type"] for m in file["measures"]] == ["健康帮扶", "综合保障"]
    assert file["measures"][1]["reason"] == "经民政部门审核纳入临时救助"
    assert file["risk_analyses"][1]["reason"] == "户主病情加重，家庭刚性支出大"


def test_a_lifted_out_household_not_monitored_gets_follow_up_measures(api: Api) -> None:
    lifted = register(api, 1, household_type="脱贫户")
    follow_up = {**MEASURE, "measure_type": "产业帮扶", "department": "农业农村局",
                 "occurred_on": "2025-02-10"}
    lifted.do("/measures", follow_up, who="township")
    lifted.do("/measures/M1/in-place", {"occurred_on": "2025-02-20"}, who="township")
    measure = lifted.file()["measures"][0]
    assert (measure["case_number"], measure["follow_up"], measure["status"]) == (None, True, "已落实")
    ordinary = register(api, 2)
    refused(api.post(ordinary.path + "/measures", follow_up, "township"), "NOT_UNDER_HELP",
            "measure_type")
