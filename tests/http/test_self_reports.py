"""农户自主申报 (domain.md §5 channel 1; issue 18 item 6): a person reports on the public endpoint
without signing in; the report is held for the township, never an alert by itself; the answer
never tells whether the ID number is registered; reports are limited per person and address."""

from __future__ import annotations

from datetime import date
from typing import Any

from application.self_reports import PER_PERSON_A_DAY, PER_SOURCE_AN_HOUR
from tests.builders import id_number
from tests.http.conftest import TOWNSHIP, Api
from tests.http.kit import register

NOBODY = id_number(date(1980, 1, 1), 7)  # valid, and in no household


def report(person: str, **fields: Any) -> dict[str, Any]:
    return {"name": "王建国", "person_id_number": person, "phone": "13812345678",
            "township": TOWNSHIP, "village": "东村", "story": "老伴住院，自付医疗费三万多元", **fields}


def public_post(api: Api, body: Any) -> Any:
    return api.client.post("/api/public/self-reports", json=body)


def test_a_self_report_is_held_for_the_township_and_never_probes_the_registry(api: Api) -> None:
    home = register(api, 1)
    api.catch_up()
    # Given a registered person and an unregistered one report, without signing in
    known, unknown = public_post(api, report(home.head)), public_post(api, report(NOBODY))
    # Then both get the same answer (only the receipt number differs), and nothing is on a household
    assert known.status_code == unknown.status_code == 201, known.text
    strip = lambda body: body["message"].replace(body["report_id"], "")  # noqa: E731
    assert strip(known.json()) == strip(unknown.json())
    assert set(known.json()) == set(unknown.json()) == {"report_id", "message"}
    assert home.file()["alerts"] == []

    held = api.get("/api/self-reports", who="township").json()
    assert [(r["report_id"], r["person_id_number"], r["answer"]) for r in held] == [
        (known.json()["report_id"], home.head, None), (unknown.json()["report_id"], NOBODY, None)]
    assert api.get("/api/self-reports", who="other_township").json() == []
    assert api.get("/api/self-reports", who="village").status_code == 403

    # When the township finds the first true: a 农户自主申报 alert discovered on the report's day
    api.clock.advance(days=3)
    answered = api.post(f"/api/self-reports/{known.json()['report_id']}/answer",
                        {"answer": "属实，转为预警", "household_code": home.code, "risk_types": ["因病"]},
                        who="township")
    assert answered.status_code == 201, answered.text
    assert answered.json()["outcome"] == "新案件"
    alert = home.file()["alerts"][0]
    assert (alert["channel"], alert["discovered_on"]) == ("农户自主申报", "2025-12-01")
    # and the other not true, with its reason; neither can be answered twice
    not_true = api.post(f"/api/self-reports/{unknown.json()['report_id']}/answer",
                        {"answer": "非本乡镇人员", "reason": "经查不是本乡镇户籍"}, who="township")
    assert not_true.status_code == 201, not_true.text
    again = api.post(f"/api/self-reports/{unknown.json()['report_id']}/answer",
                     {"answer": "不属实", "reason": "再答一次"}, who="county")
    assert (again.status_code, again.json()["code"]) == (409, "SELF_REPORT_ANSWERED")
    assert api.get("/api/self-reports", who="township").json() == []
    answers = [r["answer"] for r in api.get("/api/self-reports", who="county", status="all").json()]
    assert answers == ["属实，转为预警", "非本乡镇人员"]


def test_bad_self_reports_name_the_field_and_record_nothing(api: Api) -> None:
    register(api, 1)
    api.catch_up()
    cases = [
        (report(NOBODY[:-1] + ("0" if NOBODY[-1] != "0" else "1")), 422, "person_id_number"),
        (report(NOBODY, phone="12345"), 422, "phone"),
        (report(NOBODY, township="火星镇"), 422, "township"),
        (report(NOBODY, story="   "), 422, "story"),
        (report(NOBODY, name="王\u0000五"), 422, "name"),
        (report(NOBODY, extra="x"), 400, None),
    ]
    for body, status, field in cases:
        answer = public_post(api, body)
        assert answer.status_code == status, (body, answer.text)
        if field:
            assert answer.json()["field"] == field, answer.text
    assert api.get("/api/self-reports", who="county", status="all").json() == []
    # an answer that is not true needs its reason; a true one its household
    taken = public_post(api, report(NOBODY)).json()["report_id"]
    no_reason = api.post(f"/api/self-reports/{taken}/answer", {"answer": "不属实"}, who="township")
    assert (no_reason.status_code, no_reason.json()["field"]) == (422, "reason")
    no_home = api.post(f"/api/self-reports/{taken}/answer", {"answer": "属实，转为预警",
                                                             "risk_types": ["因病"]}, who="township")
    assert no_home.status_code in (404, 422) and no_home.json()["field"] in ("household_code", None)


def test_self_reports_are_limited_per_person_and_per_address(api: Api) -> None:
    register(api, 1)
    api.catch_up()
    for _ in range(PER_PERSON_A_DAY):
        assert public_post(api, report(NOBODY)).status_code == 201
    refused = public_post(api, report(NOBODY))
    assert (refused.status_code, refused.json()["code"], refused.json()["field"]) == (
        429, "TOO_MANY_REPORTS", "person_id_number")
    # a day later the person may report again; one address may send so many an hour
    api.clock.advance(days=1, minutes=1)
    assert public_post(api, report(NOBODY)).status_code == 201
    for n in range(PER_SOURCE_AN_HOUR - 1):
        assert public_post(api, report(id_number(date(1970, 1, 1), n + 10))).status_code == 201
    too_many = public_post(api, report(id_number(date(1971, 1, 1), 1)))
    assert (too_many.status_code, too_many.json()["field"]) == (429, "source")


def test_a_report_sent_again_with_its_key_is_recorded_once(api: Api) -> None:
    register(api, 1)
    api.catch_up()
    body = report(NOBODY)
    first = api.client.post("/api/public/self-reports", json=body, headers={"Idempotency-Key": "phone-1"})
    again = api.client.post("/api/public/self-reports", json=body, headers={"Idempotency-Key": "phone-1"})
    other = api.client.post("/api/public/self-reports", json={**body, "story": "另一件事"},
                            headers={"Idempotency-Key": "phone-1"})
    assert first.status_code == again.status_code == other.status_code == 201
    assert first.json()["report_id"] == again.json()["report_id"] != other.json()["report_id"]
    held = api.get("/api/self-reports", who="township").json()
    assert len(held) == 2
    # the repeat did not count against the person's reports a day
    for _ in range(PER_PERSON_A_DAY - 2):
        assert public_post(api, report(NOBODY)).status_code == 201
    assert public_post(api, report(NOBODY)).status_code == 429
