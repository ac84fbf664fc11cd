"""A whole case driven over HTTP, as each role would do its part: a department's alert, the four
identification steps, help, monthly visits, an income assessment and the four elimination
steps. Used with litestar's test client and against a real server process (end-to-end test).

``call(method, path, who, body=None, params=None)`` returns ``(status, json)``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.builders import HEAD_ID, STATED_MEMBER

Call = Callable[..., tuple[int, Any]]

ALL_PASS = {"不愁吃": True, "不愁穿": True, "义务教育": True, "基本医疗": True,
            "住房安全": True, "饮水安全": True}


def members() -> list[dict[str, Any]]:
    from tests.builders import CHILD_ID, SPOUSE_ID

    return [
        {"name": "王建国", "id_number": HEAD_ID, "relation": "本人", **STATED_MEMBER},
        {"name": "李秀英", "id_number": SPOUSE_ID, "relation": "配偶", **STATED_MEMBER},
        {"name": "王小明", "id_number": CHILD_ID, "relation": "子", "in_school": True, **STATED_MEMBER},
    ]


def whole_case(call: Call, code: str, township: str, village: str) -> dict[str, Any]:
    """Drive one household from registration to risk elimination; returns what the checks need:
    the positions reached and the users who acted."""

    def command(method: str, path: str, who: str, body: dict[str, Any]) -> dict[str, Any]:
        status, answer = call(method, path, who, body=body)
        assert status == 201, (path, status, answer)
        return answer

    home = f"/api/households/{code}"
    command("PUT", "/api/income-lines/2025", "county",
            {"yuan_per_capita": "7000", "occurred_on": "2025-01-01", "reason": "县定标准"})
    command("POST", "/api/households", "township", {
        "code": code, "township": township, "village": village, "address": f"{village}8号",
        "household_type": "一般农户", "members": members(), "occurred_on": "2025-01-05",
    })

    status, push = call("POST", "/api/pushes", "department", body={
        "batch_id": f"YB-{code}", "tier": "县级筛查", "period": "2025-03",
        "rows": [{"person_id_number": HEAD_ID, "risk_types": ["因病"],
                  "description": "住院自付费用高", "occurred_on": "2025-03-01"}],
    })
    assert status == 200, push
    assert push["rows"][0]["result"] == "新案件", push
    case = push["rows"][0]["case_number"]

    command("POST", f"{home}/identification/home-visit", "village",
            {"case_number": case, "finding": "风险属实", "risk_clear": True,
             "occurred_on": "2025-03-02"})
    command("POST", f"{home}/identification/village-notice", "village", {
        "case_number": case, "decision": "通过", "notice_from": "2025-03-03",
        "notice_to": "2025-03-08", "occurred_on": "2025-03-09"})
    command("POST", f"{home}/identification/township-review", "township",
            {"case_number": case, "decision": "通过", "occurred_on": "2025-03-04"})
    command("POST", f"{home}/identification/county-decision", "county", {
        "case_number": case, "decision": "通过", "category": "边缘易致贫户",
        "asset_comparison": "存款、房产、车辆比对无异常", "occurred_on": "2025-03-10"})

    command("POST", f"{home}/risk-analyses", "township", {
        "causes": ["因病"], "labour_capacity": "普通劳动力", "needs": ["健康帮扶"],
        "occurred_on": "2025-03-11"})
    command("POST", f"{home}/measures", "township", {
        "measure_id": "M1", "measure_type": "健康帮扶", "department": "卫健局",
        "responsible_person": "王医生", "occurred_on": "2025-03-12"})
    command("POST", f"{home}/measures/M1/in-place", "township", {"occurred_on": "2025-03-20"})
    for month in range(4, 10):
        command("POST", f"{home}/visits", "village", {
            "visitor": "网格员小李", "checks": ALL_PASS, "per_capita_income": "12000",
            "occurred_on": f"2025-{month:02d}-15"})
    assessed = command("POST", f"{home}/income-assessments", "village", {
        "year": 2025, "wages": "30000", "business": "5000", "property": "0",
        "transfers": "2000", "production_costs": "1000", "occurred_on": "2025-09-20"})
    assert assessed["assessment"]["per_capita"] == "12000.00", assessed
    assert assessed["assessment"]["below_line"] is False

    command("POST", f"{home}/elimination/home-visit", "village",
            {"mode": "帮扶消除", "occurred_on": "2025-10-01"})
    command("POST", f"{home}/elimination/village-notice", "village", {
        "decision": "通过", "notice_from": "2025-10-02", "notice_to": "2025-10-07",
        "occurred_on": "2025-10-08"})
    command("POST", f"{home}/elimination/township-review", "township",
            {"decision": "通过", "occurred_on": "2025-10-09"})
    last = command("POST", f"{home}/elimination/county-decision", "county",
                   {"decision": "通过", "occurred_on": "2025-10-10"})
    return {"position": last["position"], "version": last["version"], "case": case}


def check_after_case(call: Call, code: str, result: dict[str, Any]) -> None:
    """What the lists and the history say once the case is through."""
    after = result["position"]
    status, now = call("GET", "/api/monitoring", "county", params={"after": after, "limit": 500})
    assert status == 200, now
    assert code not in [row["code"] for row in now["rows"]], "eliminated: off the current list"
    status, in_june = call("GET", "/api/monitoring", "county",
                           params={"after": after, "as_of": "2025-06-01"})
    assert status == 200, in_june
    assert code in [row["code"] for row in in_june["rows"]], "monitored on 2025-06-01"
    status, cases = call("GET", "/api/cases", "county", params={"after": after})
    assert code not in [row["code"] for row in cases["rows"]]
    status, ledger = call("GET", "/api/pushes", "department", params={"after": after})
    assert status == 200
    batch = next(row for row in ledger["rows"] if row["batch_id"] == f"YB-{code}")
    assert (batch["received"], batch["new_cases"]) == (1, 1)

    status, history = call("GET", f"/api/households/{code}/history", "auditor")
    assert status == 200, history
    entries = history["entries"]
    assert len(entries) == result["version"]
    events = [entry["event"] for entry in entries]
    assert events[0] == "Registered" and events[-1] == "RiskEliminated"
    alert = entries[events.index("AlertRaised")]
    assert alert["recorded_by"] == {"user": "dept-ybj", "role": "行业部门专班"}
    assert alert["occurred_on"] == "2025-03-01"
    decision = entries[events.index("MonitoringObjectIncluded")]
    assert decision["recorded_by"]["role"] == "县防贫中心"
    assert all(entry["recorded_at"] for entry in entries)

    status, file = call("GET", f"/api/households/{code}", "auditor")
    assert status == 200
    assert file["cases"][0]["stage"] == "风险已消除"
    assert file["cases"][0]["included_on"] == "2025-03-10"
    assert file["cases"][0]["eliminated_on"] == "2025-10-10"
    assert file["members"][0]["id_number"] == HEAD_ID, "auditors see full ID numbers"
