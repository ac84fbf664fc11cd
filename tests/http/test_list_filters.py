"""The lists' typed filters and sorts, on both back ends: part of a place's or person's name
finds it, a full name finds only that one, LIKE's wildcards in typed text match themselves, and
every sort the lists offer pages through all rows once, in order."""

from __future__ import annotations

from typing import Any

import pytest

from projections.filters import SORT_KEYS
from tests.http.conftest import OTHER_TOWNSHIP, TOWNSHIP, Api
from tests.http.kit import code_of, problem, register

TODAY = "2025-12-01"
LISTS = ("/api/monitoring", "/api/cases", "/api/visits-due", "/api/households")

#: n: (township, village, head's name)
HOMES = {
    1: (TOWNSHIP, "东营村", "王建国"),
    2: (TOWNSHIP, "下东营村", "李建华"),
    3: (TOWNSHIP, "石门村", "张秀山"),
    4: (OTHER_TOWNSHIP, "上石门村", "王建国强"),
}


@pytest.fixture
def county(api: Api) -> Api:
    """Three monitoring objects (on every list but the case queue) and a 脱贫户 whose case is
    still being identified (on every list but the monitoring list): all visited monthly."""
    for n, (township, village, head) in HOMES.items():
        home = register(api, n, township=township, village=village, head_name=head,
                        household_type="脱贫户" if n == 4 else "一般农户")
        home.alerted() if n == 4 else home.included()
    api.catch_up()
    return api


def on_today(path: str) -> dict[str, str]:
    """The list's "today" where it counts days (visits due: the month)."""
    return {"/api/households": {}, "/api/visits-due": {"month": TODAY}}.get(path, {"today": TODAY})


def codes(api: Api, path: str, who: str = "county", **params: Any) -> set[str]:
    response = api.get(path, who, **on_today(path), **params)
    assert response.status_code == 200, response.text
    return {row["code"] for row in response.json()["rows"]}


def homes(*ns: int) -> set[str]:
    return {code_of(n) for n in ns}


def listed(path: str, *ns: int) -> set[str]:
    """The households among ``ns`` that ``path`` lists at all (the case queue: only 4's)."""
    on_list = {"/api/cases": {4}}.get(path, {1, 2, 3, 4})
    if path == "/api/monitoring":
        on_list = {1, 2, 3}
    return homes(*(n for n in ns if n in on_list))


@pytest.mark.parametrize("path", LISTS)
def test_part_of_a_name_finds_it_and_a_full_name_only_that_one(county: Api, path: str) -> None:
    # Given villages 东营村 and 下东营村, 石门村 and 上石门村, heads 王建国 and 王建国强
    # When a list is filtered by part of a name, Then every name containing it is found
    assert codes(county, path, village="东营") == listed(path, 1, 2)
    assert codes(county, path, village="石门") == listed(path, 3, 4)
    assert codes(county, path, township="水堡") == listed(path, 4)
    assert codes(county, path, head_name="建国") == listed(path, 1, 4)
    assert codes(county, path, head_name=" 建 ") == listed(path, 1, 2, 4)  # trimmed as typed
    # A full name (as a pick-list sends it) finds that name only
    assert codes(county, path, village="东营村") == listed(path, 1)
    assert codes(county, path, village="石门村") == listed(path, 3)
    assert codes(county, path, head_name="王建国") == listed(path, 1)
    assert codes(county, path, township=TOWNSHIP, village="东营") == listed(path, 1, 2)


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize("typed", ["%", "_", "东_村", "\\", "%营%", "'"])
def test_wildcards_in_typed_text_match_only_themselves(county: Api, path: str, typed: str) -> None:
    assert codes(county, path, village=typed) == set()
    assert codes(county, path, head_name=typed) == set()


def test_a_member_s_name_found_by_part_of_it(county: Api) -> None:
    assert codes(county, "/api/households", member_name="秀英") == homes(1, 2, 3, 4)
    assert codes(county, "/api/households", member_name="秀") == homes(1, 2, 3, 4)
    assert codes(county, "/api/households", member_name="秀山") == homes(3)
    assert codes(county, "/api/households", member_name="_") == set()


def test_a_name_outside_the_user_s_area_finds_nothing_in_it(county: Api) -> None:
    # The township user of 银坊镇 typing 石门 finds its own 石门村, never 水堡镇's 上石门村;
    # typing that village's full name finds nothing (it is no name of its area)
    assert codes(county, "/api/monitoring", "township", village="石门") == homes(3)
    assert codes(county, "/api/households", "township", village="上石门村") == set()
    assert codes(county, "/api/households", "township", head_name="王建国强") == set()


def test_the_overdue_list_matches_held_alerts_by_the_same_rule(county: Api) -> None:
    # No held alerts here: the overdue queue by part of a township's name simply answers
    response = county.get("/api/cases", overdue="true", township="水堡", today="2026-01-30")
    assert response.status_code == 200, response.text
    assert {row["code"] for row in response.json()["rows"]} == homes(4)


def every_page(api: Api, path: str, sort: str, limit: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"sort": sort, "limit": limit}
        if cursor:
            params["cursor"] = cursor
        params.update(on_today(path))
        answer = api.get(path, **params)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        rows += body["rows"]
        cursor = body["next_cursor"]
        if not cursor:
            return rows


SORTED_LISTS = {"/api/monitoring": "monitoring", "/api/cases": "cases",
                "/api/visits-due": "visits_due", "/api/households": "directory"}


@pytest.mark.parametrize("path", SORTED_LISTS)
def test_every_sort_pages_through_every_row_once_in_order(api: Api, path: str) -> None:
    # Given households with repeated villages and heads (ties broken by the list's key)
    for n in range(1, 8):
        home = register(api, n, village=("东营村", "石门村", "东营村")[n % 3],
                        head_name=("王建国", "李建华")[n % 2])
        home.alerted() if path == "/api/cases" else home.included()
    api.catch_up()
    for key in SORT_KEYS[SORTED_LISTS[path]]:
        whole = every_page(api, path, key, 50)
        assert len(whole) == 7
        # paged one row at a time: the same rows in the same order
        assert every_page(api, path, key, 1) == whole
        assert every_page(api, path, f"-{key}", 2) == whole[::-1]
        values = [row[key] for row in whole]
        # rows of one value are together, in the direction asked for
        assert values == sorted(values) or key in ("township", "village", "head_name")
        assert [v for i, v in enumerate(values) if i == 0 or values[i - 1] != v] == list(
            dict.fromkeys(values))


def test_a_sort_not_in_the_table_is_refused(api: Api) -> None:
    for path, sort in (("/api/cases", "stage"), ("/api/visits-due", "last_visit_on"),
                       ("/api/monitoring", "head_id_masked"), ("/api/cases", "code;drop")):
        problem(api.get(path, sort=sort), 422, "SORT_UNKNOWN", field="sort")


def test_the_api_documents_partial_names_and_its_sorts(api: Api) -> None:
    schema = api.client.get("/schema/openapi.json").json()
    for path in LISTS:
        parameters = {p["name"]: p for p in schema["paths"][path]["get"]["parameters"]}
        assert "东营" in parameters["village"]["description"]
        assert "东营" in parameters["head_name"]["description"]
        enum = parameters["sort"]["schema"]["enum"]
        assert "head_name" in enum and "-village" in enum
