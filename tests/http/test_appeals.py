"""异议与申诉 over HTTP (domain.md §14, issue 18 item 5): a cadre lodges a household's appeal
against a refusal; only the unit that decided answers; upheld, the decision is taken again
through the same step; the case file shows it and 申诉按期办结率 counts it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from domain.errors import InvalidValue
from interfaces.http import create_app
from tests.http.conftest import OTHER_TOWNSHIP, OTHER_VILLAGE, Api
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


def _appeals(api: Api, who: str, **params: object) -> dict:
    api.catch_up()
    response = api.get("/api/appeals", who, **params)
    assert response.status_code == 200, response.text
    return response.json()


def test_the_appeals_list_is_open_ones_by_deadline_in_the_callers_area_overdue_marked(
        api: Api) -> None:
    """Given an appeal lodged in March (due 03-27, long past on 12-01) in one township and one
    lodged 11-28 (due 12-13) in another, the county lists both by deadline with the first
    overdue; each township sees its own; answered, it leaves the open list and shows in all."""
    late = register(api, 1).deliberated()
    late.do("/identification/county-decision", REFUSED)
    late.do("/appeals", APPEAL, who="village")
    fresh = register(api, 2, township=OTHER_TOWNSHIP, village=OTHER_VILLAGE).deliberated()
    fresh.do("/identification/county-decision", REFUSED)
    fresh.do("/appeals", {**APPEAL, "occurred_on": "2025-11-28"})

    county = _appeals(api, "county")
    assert [(r["code"], r["deadline_on"], r["overdue"]) for r in county["rows"]] == [
        (late.code, "2025-03-27", True), (fresh.code, "2025-12-13", False)]
    assert county["total"] == 2 and county["rows"][0]["days_overdue"] == 249
    assert county["rows"][0]["deciding_role"] == "县防贫中心" and county["rows"][0]["outcome"] is None
    assert [r["code"] for r in _appeals(api, "township")["rows"]] == [late.code]
    assert [r["code"] for r in _appeals(api, "other_township")["rows"]] == [fresh.code]
    assert [r["code"] for r in _appeals(api, "county", overdue="true")["rows"]] == [late.code]

    first = _appeals(api, "county", limit=1)
    second = _appeals(api, "county", limit=1, cursor=first["next_cursor"])
    assert [r["code"] for r in first["rows"] + second["rows"]] == [late.code, fresh.code]
    assert second["next_cursor"] is None

    appeal_id = county["rows"][0]["appeal_id"]
    late.do(f"/appeals/{appeal_id}/answer", {"case_number": 1, "outcome": "不成立",
                                            "reason": "存款属实", "occurred_on": "2025-12-01"})
    assert [r["code"] for r in _appeals(api, "county")["rows"]] == [fresh.code]
    every = _appeals(api, "county", status="all")["rows"]
    answered = next(r for r in every if r["code"] == late.code)
    assert (answered["answered_on"], answered["outcome"], answered["on_time"],
            answered["overdue"]) == ("2025-12-01", "不成立", False, False)
    assert next(r for r in every if r["code"] == fresh.code)["on_time"] is None


def test_the_appeals_list_refuses_bad_filters_naming_them(api: Api) -> None:
    problem(call(api, "GET", "/api/appeals", "county", status="closed"), 422, "CODE_UNKNOWN",
            "status")
    problem(call(api, "GET", "/api/appeals", "county", sort="appellant"), 422, "SORT_UNKNOWN",
            "sort")
    assert call(api, "GET", "/api/appeals", "department").status_code == 403


def test_the_county_sets_the_appeal_answer_deadline_and_an_appeal_keeps_the_one_it_was_lodged_under(
        api: Api, settings: Any, clock: Any, tmp_path: Path) -> None:
    """Given deadlines.toml says 10 days, an appeal lodged 03-12 is due 03-22 — on the case file,
    the appeals list and the desk — and stays so when the county goes back to 15."""
    ten = tmp_path / "deadlines.toml"
    ten.write_text("appeal_answer_days = 10\n", encoding="utf-8")
    home = register(api, 1).deliberated()
    home.do("/identification/county-decision", REFUSED)
    county = create_app(replace(settings, deadlines_path=ten), clock=clock, follow=False)
    with TestClient(county) as client:
        lodged = client.post(home.path + "/appeals", json=APPEAL, headers=api.headers("village"))
        assert lodged.status_code == 201, lodged.text
    assert home.file()["cases"][0]["appeals"][0]["due_on"] == "2025-03-22"
    assert [r["deadline_on"] for r in _appeals(api, "county")["rows"]] == ["2025-03-22"]
    api.catch_up()
    desk = api.get("/api/me/tasks", "county").json()["tasks"]
    assert [t["deadline"] for t in desk if t["kind"] == "申诉答复"] == ["2025-03-22"]

    for bad in ("appeal_answer_days = 0\n", "appeal_answer_days = '15'\n", "answer_days = 15\n",
                "appeal_answer_days = 15\nother = 1\n"):
        ten.write_text(bad, encoding="utf-8")
        with pytest.raises(InvalidValue) as refused:
            create_app(replace(settings, deadlines_path=ten), clock=clock, follow=False)
        assert (refused.value.code, refused.value.field) == ("DEADLINES_INVALID", "deadlines")
