"""A department push sent to the API and the same push uploaded as a file are one use case
(`application.pushes`): the same rows get the same outcomes on either path, sent once, sent
again, once an unmatched person's household is registered, and after that."""

from __future__ import annotations

from typing import Any

from tests.http.conftest import Api
from tests.http.kit import code_of, head_of, register, spouse_of

#: Each path pushes the same rows about households of its own (by number), for a department of
#: its own, so the two never meet: (first household, second household, the unregistered one).
PATHS = {"api": (1, 2, 5), "file": (3, 4, 6)}
DEPARTMENT = {"api": "医保局", "file": "卫健局"}


def rows(first: int, second: int, nobody: int) -> list[tuple[str, str, str]]:
    """(person, risk type, day found): a new case, a joined one, a duplicate (found later the
    same month: a file may not repeat a row), a person in no registered household, a bad ID
    number, another new case."""
    return [(head_of(first), "因病", "2025-03-01"), (spouse_of(first), "因病", "2025-03-01"),
            (head_of(first), "因病", "2025-03-04"), (head_of(nobody), "因病", "2025-03-01"),
            (head_of(first)[:17], "因病", "2025-03-01"), (head_of(second), "因残", "2025-03-02")]


def by_api(api: Api) -> dict[str, int]:
    body = {"batch_id": "P-1", "department": DEPARTMENT["api"], "tier": "省级推送",
            "period": "2025-03", "rows": [
                {"person_id_number": person, "risk_types": [risk], "occurred_on": day}
                for person, risk, day in rows(*PATHS["api"])]}
    response = api.post("/api/pushes", body)
    assert response.status_code == 200, response.text
    answer = response.json()
    return {"rows": answer["received"], "recorded": answer["recorded"],
            "rejected": answer["rejected"], "new_cases": answer["new_cases"],
            "joined": answer["joined_cases"], "duplicates": answer["duplicates"],
            "unmatched": answer["unmatched"], "repeated": answer["repeated"]}


def by_file(api: Api) -> dict[str, int]:
    text = "身份证号码,风险类型,发现日期\r\n" + "".join(
        f"{person},{risk},{day}\r\n" for person, risk, day in rows(*PATHS["file"]))
    response = api.client.post(
        "/api/imports/alerts", files={"file": ("push.csv", text.encode("utf-8"))},
        data={"department": DEPARTMENT["file"], "tier": "省级推送", "period": "2025-03",
              "batch_id": "P-1"}, headers=api.headers("county"))
    assert response.status_code == 200, response.text
    answer = response.json()
    return {"rows": answer["rows_read"], "recorded": answer["recorded"],
            "rejected": answer["rejected"], "new_cases": answer["new_cases"],
            "joined": answer["joined"], "duplicates": answer["duplicates"],
            "unmatched": answer["unmatched"], "repeated": answer["repeated"]}


def recorded(api: Api, path: str) -> dict[str, Any]:
    """What a path's rows left in the case files, the unmatched list and the push ledger, with
    the path's own ids and department left out."""
    households = []
    for n in PATHS[path]:
        response = api.get(f"/api/households/{code_of(n)}")
        if response.status_code == 404:
            households.append(None)
            continue
        file = response.json()
        households.append({
            "alerts": [(a["person_id_number"] == head_of(n), a["risk_types"], a["discovered_on"],
                        a["case_number"], a["duplicate_of"] is not None, a["tier"], a["period"],
                        a["batch_id"]) for a in file["alerts"]],
            "cases": [(c["opened_on"], len(c["alert_ids"]), c["stage"]) for c in file["cases"]],
        })
    held = [(a["discovered_on"], a["resolved_on"], a["household_code"] is not None)
            for a in api.get("/api/unmatched-alerts", status="all").json()
            if a["department"] == DEPARTMENT[path]]
    api.catch_up()
    ledger = [{k: v for k, v in row.items() if k != "department"}
              for row in api.get("/api/pushes", department=DEPARTMENT[path]).json()["rows"]]
    return {"households": households, "held": held, "ledger": ledger}


def test_a_push_row_has_the_same_outcome_sent_to_the_api_or_uploaded_in_a_file(api: Api) -> None:
    for path in PATHS.values():
        register(api, path[0])
        register(api, path[1])

    # Sent once: a new case, a joined one, a duplicate, one held unmatched, one refused
    first = by_api(api)
    assert first == by_file(api) == {"rows": 6, "recorded": 5, "rejected": 1, "new_cases": 2,
                                     "joined": 1, "duplicates": 1, "unmatched": 1, "repeated": 0}
    assert recorded(api, "api") == recorded(api, "file")

    # Sent again: every recorded row is recognised, nothing is recorded twice
    again = by_api(api)
    assert again == by_file(api) == {**first, "repeated": 5}
    assert recorded(api, "api") == recorded(api, "file")

    # The unmatched person's household is registered: the held alert is attached to it, once
    for path in PATHS.values():
        register(api, path[2])
    attached = by_api(api)
    assert attached == by_file(api) == {**first, "new_cases": 3, "unmatched": 0, "repeated": 4}
    assert recorded(api, "api") == recorded(api, "file")

    # And after that the row answers as the attached alert held before
    assert by_api(api) == by_file(api) == {**first, "repeated": 5}
    after = recorded(api, "api")
    assert after == recorded(api, "file")
    assert after["held"] == [("2025-03-01", "2025-12-01", True)]
    assert [len(h["alerts"]) for h in after["households"]] == [3, 1, 1]
