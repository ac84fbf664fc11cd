"""A person belongs to at most one household at a time (domain.md §3), over HTTP on both back
ends: a second household refused (409, the field of the member), naming the other household
only to users whose area covers it; and pushes going to the household the person belonged to on
the day the risk was discovered."""

from __future__ import annotations

from typing import Any

from tests.builders import STATED_MEMBER
from tests.http.conftest import OTHER_TOWNSHIP, OTHER_VILLAGE, TOWNSHIP, Api
from tests.http.kit import call, code_of, problem, register, registration_body
from tests.http.test_pushes import batch, row, send


def second_home_for(person: str, n: int, **place: str) -> dict[str, Any]:
    """Household ``n``'s registration with ``person`` as its head."""
    body = registration_body(n, **place)
    body["members"][0]["id_number"] = person
    return body


def test_an_existing_members_id_as_the_head_of_a_new_household_is_refused(api: Api) -> None:
    first = register(api, 1)
    elsewhere = second_home_for(first.head, 2, township=OTHER_TOWNSHIP, village="北村")
    refused = problem(api.post("/api/households", elsewhere, "other_township"), 409,
                      "PERSON_IN_ANOTHER_HOUSEHOLD", "members[0].id_number")
    assert first.code not in refused["detail"] and "本县另一农户" in refused["detail"]
    assert api.get(f"/api/households/{code_of(2)}").status_code == 404, "nothing recorded"

    by_county = problem(api.post("/api/households", elsewhere, "county"), 409,
                        "PERSON_IN_ANOTHER_HOUSEHOLD", "members[0].id_number")
    assert f"农户 {first.code}（银坊镇东村）" in by_county["detail"]
    nearby = second_home_for(first.head, 3, township=TOWNSHIP, village="南村")
    by_its_township = problem(api.post("/api/households", nearby, "township"), 409,
                              "PERSON_IN_ANOTHER_HOUSEHOLD")
    assert f"农户 {first.code}" in by_its_township["detail"]


def test_joining_a_member_of_another_household_is_refused_and_moving_is_leave_then_join(
        api: Api) -> None:
    first, same_village = register(api, 1), register(api, 2)
    other_village = register(api, 3, village=OTHER_VILLAGE)
    joining = {"member": {"name": "王建国", "id_number": first.head, "relation": "其他",
                                       **STATED_MEMBER},
               "reason": "迁入", "occurred_on": "2025-02-01"}
    named = problem(call(api, "POST", f"{same_village.path}/members", "village", joining), 409,
                    "PERSON_IN_ANOTHER_HOUSEHOLD", "member.id_number")
    assert f"农户 {first.code}" in named["detail"]
    unnamed = problem(call(api, "POST", f"{other_village.path}/members", "other_village", joining),
                      409, "PERSON_IN_ANOTHER_HOUSEHOLD", "member.id_number")
    assert first.code not in unnamed["detail"]

    first.do(f"/members/{first.child}/leave", {"reason": "迁出", "occurred_on": "2025-02-01"})
    early = {**joining, "member": {**joining["member"], "id_number": first.child},
             "occurred_on": "2025-01-20"}
    problem(call(api, "POST", f"{same_village.path}/members", "village", early), 409,
            "PERSON_IN_ANOTHER_HOUSEHOLD", "member.id_number")
    same_village.do("/members", {**early, "occurred_on": "2025-02-01"}, who="village")


def test_a_push_goes_to_the_household_of_the_alerts_day(api: Api) -> None:
    former, present = register(api, 1), register(api, 2)
    former.do(f"/members/{former.child}/leave", {"reason": "迁出", "occurred_on": "2025-02-01"})
    present.do("/members", {"member": {"name": "王小明", "id_number": former.child, "relation": "其他",
                                       **STATED_MEMBER},
                            "reason": "迁入", "occurred_on": "2025-02-10"})
    present.do(f"/members/{present.spouse}/leave", {"reason": "死亡", "occurred_on": "2025-02-20"})
    answer = send(api, batch("YB-DAYS", [
        row(former.child, day="2025-01-15"),   # before the move: the former household
        row(former.child, day="2025-02-05"),   # between the two: in no household that day
        row(former.child, day="2025-03-01"),   # after it: the present one
        row(present.spouse, day="2025-01-15"),  # a member then, though not now
        row(present.spouse, day="2025-03-01"),  # after death: in no household
    ]))
    assert [(r["result"], r["household_code"]) for r in answer["rows"]] == [
        ("新案件", former.code), ("未匹配", None), ("新案件", present.code),
        ("并入案件", present.code), ("未匹配", None)]


def test_a_household_just_registered_is_found_by_the_next_push(api: Api) -> None:
    """The person index is written with the log: no read model has to catch up first."""
    home = register(api, 1)
    answer = send(api, batch("YB-NOW", [row(home.head)]))
    assert answer["rows"][0]["household_code"] == home.code
