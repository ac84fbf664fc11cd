"""Objections to the village notice over HTTP (domain.md §6 step 2): each is recorded with how it
was resolved, upheld 成立 or not upheld 不成立, and why; one upheld refuses the county's simplified
approval, one not upheld does not; the case file and the history show each."""

from __future__ import annotations

from tests.http.conftest import Api
from tests.http.kit import (
    COUNTY_DECISION,
    ELIMINATION_NOTICE,
    TOWNSHIP_REVIEW,
    VILLAGE_NOTICE,
    call,
    problem,
    register,
    set_income_line,
)

UPHELD = {"content": "村民反映该户有经营性货车", "outcome": "成立", "reason": "经核实该户名下货车在营运"}
NOT_UPHELD = {"content": "村民反映该户子女收入稳定", "outcome": "不成立",
              "reason": "经核实子女务工不稳定，年内两次失业"}
SIMPLIFIED = {**COUNTY_DECISION, "simplified": True, "asset_comparison": ""}


def test_an_objection_needs_its_outcome_and_reason(api: Api) -> None:
    home = register(api, 1).visited()
    notice = home.path + "/identification/village-notice"
    for objections, code, field in (
        (["村民反映该户有经营性货车"], "OBJECTION_OUTCOME_REQUIRED", "objections[0].outcome"),
        ([NOT_UPHELD, {"content": "村民反映有存款"}], "OBJECTION_OUTCOME_REQUIRED",
         "objections[1].outcome"),
        ([{**UPHELD, "reason": " "}], "REQUIRED", "objections[0].reason"),
    ):
        body = problem(call(api, "POST", notice, "village", {**VILLAGE_NOTICE, "objections": objections}),
                       422, code, field)
        assert "异议" in body["detail"], body
    assert home.file()["cases"][0]["objections"] == []


def test_an_upheld_objection_refuses_the_simplified_approval(api: Api) -> None:
    home = register(api, 2).visited()
    home.do("/identification/village-notice", {**VILLAGE_NOTICE, "objections": [NOT_UPHELD, UPHELD]},
            who="village")
    home.do("/identification/township-review", TOWNSHIP_REVIEW, who="township")
    refused = problem(call(api, "POST", home.path + "/identification/county-decision", "county",
                           SIMPLIFIED), 409, "SIMPLIFIED_NOTICE_OBJECTED", "simplified")
    assert "“村民反映该户有经营性货车”成立" in refused["detail"]
    assert "子女收入稳定" not in refused["detail"]

    file = home.file("village")
    assert file["cases"][0]["objections"] == [NOT_UPHELD, UPHELD]
    notice = next(e for e in home.history() if e["event"] == "VillageDeliberationConcluded")
    assert notice["details"]["objections"] == [NOT_UPHELD, UPHELD]
    home.do("/identification/county-decision", COUNTY_DECISION)
    assert home.file()["cases"][0]["included_on"] == "2025-03-10"


def test_objections_not_upheld_leave_the_simplified_approval_open(api: Api) -> None:
    home = register(api, 3).visited()
    home.do("/identification/village-notice", {**VILLAGE_NOTICE, "objections": [NOT_UPHELD]})
    home.do("/identification/township-review", TOWNSHIP_REVIEW, who="township")
    home.do("/identification/county-decision", SIMPLIFIED)
    case = home.file()["cases"][0]
    assert (case["included_on"], case["objections"]) == ("2025-03-10", [NOT_UPHELD])


def test_the_elimination_notices_objections_are_kept_on_the_case_file(api: Api) -> None:
    # Given a household whose risk elimination is under way, its home visit done
    set_income_line(api)
    home = register(api, 4).eliminating(1)
    # When its elimination notice records an objection not upheld
    home.do("/elimination/village-notice", {**ELIMINATION_NOTICE, "objections": [NOT_UPHELD]},
            who="village")
    # Then the case file shows it with the elimination, apart from the identification's
    case = home.file("village")["cases"][0]
    assert (case["elimination_objections"], case["objections"]) == ([NOT_UPHELD], [])
