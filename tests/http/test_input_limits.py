"""Values no county would type are refused before anything is recorded (amounts, dates), a
department's channel cannot be borrowed, and free text never shows a masked role an ID number."""

from __future__ import annotations

from tests.http.conftest import Api
from tests.http.kit import INCOME, alert_body, call, problem, register, set_income_line


def test_an_absurd_amount_is_refused_and_nothing_is_recorded(api: Api) -> None:
    set_income_line(api)
    home = register(api, 1)
    home.alerted()
    before = home.file()["version"]
    for wages in ("1e27", "NaN", "Infinity", "12.345", 1200, "1,200", " 1200"):
        answer = call(api, "POST", home.path + "/income-assessments", "village",
                      {**INCOME, "wages": wages})
        refused = problem(answer, 400, "INVALID_REQUEST", field="wages")
        assert "1234.50" in refused["detail"], "the answer shows what an amount looks like"
    assert home.file()["version"] == before
    assessed = home.do("/income-assessments", INCOME)
    problem(call(api, "POST", home.path + "/corrections", "county", {
        "corrects_version": assessed["version"], "changes": {"wages": "1e27"},
        "reason": "录错", "occurred_on": "2025-11-01"}), 422, "CORRECTION_VALUE",
        field="changes.wages")
    problem(api.client.put("/api/income-lines/2026", headers=api.headers("county"), json={
        "yuan_per_capita": "1e999999", "occurred_on": "2025-11-01"}), 400, "INVALID_REQUEST",
        field="yuan_per_capita")
    assert home.file()["version"] == assessed["version"]


def test_dates_outside_1990_to_2100_are_refused_not_a_server_error(api: Api) -> None:
    home = register(api, 1)
    problem(api.get(home.path, as_of="9999-12-31"), 422, "DATE_RANGE", field="as_of")
    problem(api.get(home.path + "/history", as_of="9999-12-31T00:00"), 422, "DATE_RANGE")
    problem(api.get("/api/monitoring/measures-missing", today="0001-01-01"), 422, "DATE_RANGE",
            field="today")
    problem(api.get("/api/income-lines", on="0001-01-01"), 422, "DATE_RANGE", field="on")
    answer = call(api, "POST", home.path + "/identification/village-notice", "county", {
        "case_number": 1, "decision": "通过", "notice_from": "0001-01-01",
        "notice_to": "9999-12-31", "occurred_on": "2025-03-09"})
    problem(answer, 422, "DATE_RANGE")


def test_only_a_department_push_or_the_county_records_a_department_alert(api: Api) -> None:
    home = register(api, 1)
    forged = alert_body(1, channel="部门筛查预警", department="医保局", tier="县级筛查",
                        batch_id="B9")
    problem(call(api, "POST", home.path + "/alerts", "village", forged), 403, "CHANNEL_FORBIDDEN",
            field="channel")
    problem(call(api, "POST", home.path + "/alerts", "county",
                 {**alert_body(1), "alert_id": "医保局:B9:1"}), 422, "ALERT_ID_FORMAT")
    assert home.file()["alerts"] == []
    home.do("/alerts", {**forged, "period": "2025-03"}, who="county")
    assert home.file()["alerts"][0]["department"] == "医保局"


def test_a_masked_role_sees_no_id_number_in_free_text_nor_a_full_birth_date(api: Api) -> None:
    home = register(api, 1)
    home.alerted(description=f"户主 {home.head} 住院")
    village, county = home.file("village"), home.file("county")
    assert home.head in county["alerts"][0]["description"]
    assert home.head not in village["alerts"][0]["description"]
    assert home.head[-4:] in village["alerts"][0]["description"]
    assert county["members"][0]["birth_date"] is not None
    assert village["members"][0]["birth_date"] is None
    assert village["members"][0]["birth_year"] == county["members"][0]["birth_year"]


def test_a_key_reused_for_a_different_request_is_refused_not_taken_for_a_repeat(api: Api) -> None:
    home = register(api, 1)
    first = {**alert_body(1), "description": "住院"}
    answer = home.do("/alerts", first, key="k-1")
    repeat = call(api, "POST", home.path + "/alerts", "county", first, key="k-1")
    assert (repeat.status_code, repeat.json()) == (201, answer)
    assert repeat.headers["Idempotent-Replayed"] == "true"
    other = call(api, "POST", home.path + "/alerts", "county",
                 {**first, "description": "另一件事"}, key="k-1")
    problem(other, 409, "IDEMPOTENCY_KEY_REUSED", field="Idempotency-Key")
    assert len(home.file()["alerts"]) == 1
