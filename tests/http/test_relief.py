"""防贫保 over HTTP (domain.md §7): the county centre sets the payout bands like the income line,
and a payout is judged by the bands in force on its day — the cause among the case's risks, the
basic-living finding stated, the insurer named, the amount within its band and the year's cap."""

from __future__ import annotations

from typing import Any

from tests.http.conftest import Api
from tests.http.kit import (
    GREEN_CHANNEL,
    HOME_VISIT,
    RELIEF,
    RELIEF_BANDS,
    call,
    problem,
    register,
    set_relief_bands,
)

#: Refusals where the case or the county's policy refuses (409); the others are values breaking a
#: rule (422), as the README's table of statuses says.
STATE_REFUSALS = {"RELIEF_BANDS_MISSING", "RELIEF_CAUSE_NOT_IDENTIFIED", "RELIEF_CAP_EXCEEDED",
                  "RELIEF_NOT_MONITORING_OBJECT"}


def refused(response: Any, code: str, field: str | None) -> None:
    """A refusal naming the rule and the field, with the status of its kind."""
    assert response.status_code == (409 if code in STATE_REFUSALS else 422), response.text
    body = response.json()
    assert (body["code"], body["field"]) == (code, field), body


def test_the_bands_are_set_shown_as_of_a_day_and_superseded_with_a_reason(api: Api) -> None:
    assert api.get("/api/relief-bands", on="2025-03-01").json()["effective_from"] is None
    answer = set_relief_bands(api)
    assert answer["effective_from"] == "2025-01-01" and answer["yearly_cap"] == "50000"
    assert answer["bands"][0]["describe"] == "因病 5000–20000 元按 50% 赔付"
    shown = api.get("/api/relief-bands", on="2025-03-01").json()
    assert (shown["effective_from"], len(shown["bands"]), shown["yearly_cap"]) == (
        "2025-01-01", 3, "50000")
    assert api.get("/api/relief-bands", on="2024-12-31").json()["bands"] == []
    problem(call(api, "PUT", "/api/relief-bands/2025-01-01", "county", {**RELIEF_BANDS, "reason": ""}),
            422, "REASON_REQUIRED", "reason")
    set_relief_bands(api, "2025-07-01", yearly_cap="80000", reason="年中调整")
    assert api.get("/api/relief-bands", on="2025-06-30").json()["yearly_cap"] == "50000"
    assert api.get("/api/relief-bands", on="2025-07-01").json()["yearly_cap"] == "80000"
    overlapping = {**RELIEF_BANDS, "bands": [
        {"cause": "因病", "cost_from": "5000", "rate": "0.5"},
        {"cause": "因病", "cost_from": "9000", "rate": "0.6"}]}
    problem(call(api, "PUT", "/api/relief-bands/2026-01-01", "county", overlapping),
            422, "BANDS_OVERLAP", "bands")
    problem(call(api, "PUT", "/api/relief-bands/2026-01-01", "county",
                 {**RELIEF_BANDS, "bands": [{"cause": "因病", "cost_from": "0", "rate": "1.5"}]}),
            400, "INVALID_REQUEST")
    problem(call(api, "PUT", "/api/relief-bands/2026-01-01", "county", {
        **RELIEF_BANDS, "bands": [{"cause": "缺劳动力", "cost_from": "0", "rate": "0.5"}]}),
        422, "RELIEF_CAUSE_NOT_SUDDEN", "bands[0].cause")


def test_a_payout_is_refused_where_the_notice_says(api: Api) -> None:
    home = register(api, 1).included()  # a monitoring object, risk 因病, included 2025-03-10
    refused(api.post(home.path + "/relief-payouts", RELIEF), "RELIEF_BANDS_MISSING", "occurred_on")
    set_relief_bands(api)
    refused(api.post(home.path + "/relief-payouts", {**RELIEF, "cause": "因意外事故"}),
            "RELIEF_CAUSE_NOT_IDENTIFIED", "cause")
    unstated = {k: v for k, v in RELIEF.items() if k != "basic_living_in_difficulty"}
    problem(api.post(home.path + "/relief-payouts", unstated), 400, "INVALID_REQUEST")
    no_insurer = {k: v for k, v in RELIEF.items() if k != "insurer"}
    problem(api.post(home.path + "/relief-payouts", no_insurer), 400, "INVALID_REQUEST")
    refused(api.post(home.path + "/relief-payouts", {**RELIEF, "basic_living_in_difficulty": False}),
            "RELIEF_LIVING_NOT_AFFECTED", "basic_living_in_difficulty")
    refused(api.post(home.path + "/relief-payouts", {**RELIEF, "amount": "999999"}),
            "RELIEF_ABOVE_BAND", "amount")
    refused(api.post(home.path + "/relief-payouts", {**RELIEF, "out_of_pocket": "4000"}),
            "RELIEF_BELOW_BAND", "out_of_pocket")
    assert home.file()["relief_payouts"] == [], "nothing recorded"
    home.do("/relief-payouts", {**RELIEF, "out_of_pocket": "100000", "amount": "48000"})
    refused(api.post(home.path + "/relief-payouts", {**RELIEF, "payout_id": "P2", "amount": "2000.01"}),
            "RELIEF_CAP_EXCEEDED", "amount")
    payout = home.file()["relief_payouts"][0]
    assert (payout["insurer"], payout["basic_living_in_difficulty"], payout["bands_from"],
            payout["ceiling"]) == ("人保财险涞源支公司", True, "2025-01-01", "50000")


def test_a_green_channel_case_is_paid_and_subsidised_while_under_way(api: Api) -> None:
    set_relief_bands(api)
    home = register(api, 1)
    home.alerted(risk_types=("因意外事故",))
    home.do("/identification/home-visit", HOME_VISIT)
    refused(api.post(home.path + "/relief-payouts", {**RELIEF, "cause": "因意外事故",
                                                     "occurred_on": "2025-03-04"}),
            "RELIEF_NOT_MONITORING_OBJECT", "payout_id")
    home.do("/green-channel", GREEN_CHANNEL, who="township")
    home.do("/relief-payouts", {**RELIEF, "cause": "因意外事故", "occurred_on": "2025-03-04"})
    home.do("/medical-subsidies", {"id_number": home.spouse, "year": 2025, "amount": "380.00",
                                   "occurred_on": "2025-03-04"}, who="township")
    file = home.file()
    assert file["cases"][0]["owed_steps"], "steps 2–4 still owed"
    assert [p["cause"] for p in file["relief_payouts"]] == ["因意外事故"]
    assert len(file["medical_subsidies"]) == 1
