"""A whole case over the API (test client, both back ends), then what the lists and the history
show; and the roles' view of it."""

from __future__ import annotations

from typing import Any

from tests.http.conftest import TOWNSHIP, VILLAGE, Api
from tests.http.flow import check_after_case, whole_case


def caller(api: Api):
    def call(method: str, path: str, who: str, body: Any = None,
             params: dict[str, Any] | None = None) -> tuple[int, Any]:
        response = api.client.request(method, path, json=body, params=params,
                                      headers=api.headers(who))
        return response.status_code, response.json()

    return call


def test_a_whole_case_from_department_alert_to_risk_elimination(api: Api) -> None:
    call = caller(api)
    result = whole_case(call, "130630101001", TOWNSHIP, VILLAGE)
    check_after_case(call, "130630101001", result)


def test_village_user_sees_masked_id_numbers_in_the_file_and_the_history(api: Api) -> None:
    call = caller(api)
    whole_case(call, "130630101001", TOWNSHIP, VILLAGE)
    status, file = call("GET", "/api/households/130630101001", "village")
    assert status == 200
    shown = file["members"][0]["id_number"]
    assert "*" in shown and shown[-4:] == file["alerts"][0]["person_id_number"][-4:]
    status, history = call("GET", "/api/households/130630101001/history", "village")
    text = str(history)
    for member in file["members"]:
        assert "*" in member["id_number"]
    assert "130630197005040011" not in text
