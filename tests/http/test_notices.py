"""Public notices over HTTP (domain.md §13): the village's deliberation and elimination notices,
as a preview, a printed page and a workbook, show only what may be posted on a village board;
publishing records on each case the notice's period and the SHA-256 of the very page served,
once however often it is sent; a village sees only its own."""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from typing import Any

import pytest

from tests.http.conftest import OTHER_VILLAGE, TOWNSHIP, VILLAGE, Api
from tests.http.kit import (
    INCOME,
    VILLAGE_NOTICE,
    Home,
    call,
    problem,
    register,
    set_income_line,
)

PHONE = "13812345678"
NOTICE = {"notice_from": "2025-03-03", "notice_to": "2025-03-08"}
PLACE = {"township": TOWNSHIP, "village": VILLAGE}
ID_18 = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
MASKED_ID = re.compile(r"\d{4}\*{6,}\d{3}[\dXx]")
MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


@pytest.fixture(autouse=True)
def _income_line(api: Api) -> None:
    set_income_line(api)


def _private_household(api: Api, n: int, head_name: str) -> Home:
    """A household whose case awaits the village notice, its file full of what a board must
    never show: ID numbers, a phone in the alert and in the visit's notes, a member's serious
    illness, its income assessed."""
    home = register(api, n, head_name=head_name)
    home.do(f"/members/{home.spouse}", {"changes": {"health": "患有大病"}, "occurred_on": "2025-02-15"},
            method="PATCH")
    home.do("/income-assessments", {**INCOME, "occurred_on": "2025-02-20"})
    home.alerted(description=f"住院花费大，家属电话{PHONE}，身份证{home.head}")
    home.do("/identification/home-visit", {"case_number": 1, "finding": "风险属实", "risk_clear": True,
                                           "notes": f"人均纯收入12000元，电话{PHONE}",
                                           "occurred_on": "2025-03-02"})
    return home


def _texts_of_xlsx(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        return "".join(book.read(name).decode("utf-8") for name in book.namelist()  # the cells
                       if name.startswith(("xl/worksheets/", "xl/sharedStrings", "docProps/")))


def _assert_nothing_private(text: str, homes: list[Home]) -> None:
    assert not ID_18.search(text), ID_18.search(text)
    assert not MASKED_ID.search(text), MASKED_ID.search(text)
    assert not MOBILE.search(text), MOBILE.search(text)
    for home in homes:
        assert home.head[-6:] not in text and home.spouse[-6:] not in text
    for private in ("患有大病", "12000", "12,000", "30000", "住院花费大", "电话"):
        assert private not in text, private


def _preview(api: Api, who: str = "village", kind: str = "identification", **params: Any) -> Any:
    return api.get(f"/api/notices/{kind}", who, **{**NOTICE, **params})


def test_a_notice_shows_only_what_a_village_board_may(api: Api) -> None:
    homes = [_private_household(api, 1, "王建国"), _private_household(api, 2, "张桂兰")]
    api.catch_up()

    response = _preview(api)
    assert response.status_code == 200, response.text
    notice = response.json()
    assert notice["title"] == f"涞源县{TOWNSHIP}{VILLAGE}监测对象识别村级评议公示"
    assert notice["columns"] == ["序号", "户主姓名", "公示事项", "返贫致贫风险类型"]  # no group recorded
    assert notice["rows"] == [["1", "王建国", "拟纳入监测对象", "因病"],
                              ["2", "张桂兰", "拟纳入监测对象", "因病"]]
    assert (notice["days"], notice["published"]) == (6, False)
    assert "异议" in notice["objection"]

    page = api.get("/api/notices/identification/print", "village", **NOTICE)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.content.decode("utf-8")
    assert "王建国" in html and "2025年3月3日至2025年3月8日（共6天）" in html and "@page" in html
    assert "http" not in html  # nothing fetched from elsewhere
    workbook = api.get("/api/notices/identification/xlsx", "village", **NOTICE)
    assert workbook.status_code == 200
    xlsx = _texts_of_xlsx(workbook.content)
    assert "张桂兰" in xlsx

    shown = {k: v for k, v in notice.items() if k not in ("cases", "digest")}  # what is posted
    for text in (html, xlsx, json.dumps(shown, ensure_ascii=False)):
        _assert_nothing_private(text, homes)
    # the preview's digest is the page's, the page its header's
    assert notice["digest"] == hashlib.sha256(page.content).hexdigest() == page.headers["x-content-sha256"]


def test_publishing_records_the_digest_of_the_page_served_on_each_case_once(api: Api) -> None:
    homes = [_private_household(api, 3, "王建国"), _private_household(api, 4, "张桂兰")]
    api.catch_up()
    page = api.get("/api/notices/identification/print", "village", **NOTICE).content
    digest = hashlib.sha256(page).hexdigest()

    first = call(api, "POST", "/api/notices/identification/publish", "village",
                 {**NOTICE, "digest": digest})
    assert first.status_code == 201, first.text
    assert first.json()["repeated"] is False and first.json()["digest"] == digest
    again = call(api, "POST", "/api/notices/identification/publish", "village",
                 {**NOTICE, "digest": digest})
    assert again.status_code == 201 and again.json()["repeated"] is True, again.text

    for home in homes:
        published = [e for e in home.history("auditor") if e["event"] == "NoticePublished"]
        assert len(published) == 1, published
        entry = published[0]
        assert entry["details"]["digest"] == digest
        assert (entry["details"]["notice_from"], entry["details"]["notice_to"]) == (
            "2025-03-03", "2025-03-08")
        assert entry["occurred_on"] == "2025-03-03" and "公示" in entry["what"]
    # printed again, the published notice is the same page
    api.catch_up()
    again_page = api.get("/api/notices/identification/print", "township", **NOTICE, **PLACE)
    assert again_page.content == page
    assert _preview(api).json()["published"] is True

    # the step then concludes with the published dates, and only with them
    home = homes[0]
    refused = call(api, "POST", home.path + "/identification/village-notice", "village",
                   {**VILLAGE_NOTICE, "notice_from": "2025-03-04", "notice_to": "2025-03-09",
                    "occurred_on": "2025-03-10"})
    problem(refused, 422, "NOTICE_DATES_DIFFER", "notice_from")
    home.do("/identification/village-notice", VILLAGE_NOTICE, who="village")


def test_a_notice_that_changed_since_it_was_printed_is_not_published(api: Api) -> None:
    homes = [_private_household(api, 5, "王建国"), _private_household(api, 6, "张桂兰")]
    api.catch_up()
    digest = _preview(api).json()["digest"]
    homes[0].do("/identification/village-notice", VILLAGE_NOTICE, who="village")  # moved on
    refused = call(api, "POST", "/api/notices/identification/publish", "village",
                   {**NOTICE, "digest": digest})
    problem(refused, 409, "NOTICE_CHANGED", "digest")
    assert not [e for e in homes[1].history() if e["event"] == "NoticePublished"]


def test_a_village_publishes_only_its_own_notice(api: Api) -> None:
    _private_household(api, 7, "王建国")
    api.catch_up()
    digest = _preview(api).json()["digest"]
    for who, params, field in (("other_village", PLACE, "village"),
                               ("other_township", PLACE, "township")):
        problem(_preview(api, who, **params), 403, "OUTSIDE_AREA", field)
        problem(api.get("/api/notices/identification/print", who, **NOTICE, **params), 403,
                "OUTSIDE_AREA")
        problem(call(api, "POST", "/api/notices/identification/publish", who,
                     {**NOTICE, **params, "digest": digest}), 403, "OUTSIDE_AREA")
    problem(_preview(api, "department", **PLACE), 403, "ROLE_FORBIDDEN")
    problem(_preview(api, "county", village=VILLAGE), 422, "REQUIRED", "township")
    # the other village's own notice is its own (and empty)
    own = _preview(api, "other_village").json()
    assert (own["village"], own["rows"]) == (OTHER_VILLAGE, [])
    problem(call(api, "POST", "/api/notices/identification/publish", "other_village",
                 {**NOTICE, "digest": own["digest"]}), 409, "NOTICE_EMPTY")
    assert _preview(api, "county", **PLACE).json()["digest"] == digest


def test_a_notice_shorter_than_the_minimum_is_refused(api: Api) -> None:
    problem(_preview(api, notice_to="2025-03-06"), 422, "NOTICE_TOO_SHORT", "notice_to")
    problem(api.get("/api/notices/nonsense", "village", **NOTICE), 404, "NOT_FOUND", "kind")
    default = api.get("/api/notices/identification", "village", notice_from="2025-03-03").json()
    assert (default["notice_to"], default["days"]) == ("2025-03-07", 5)


def test_the_elimination_notice_shows_category_and_mode_not_income(api: Api) -> None:
    home = register(api, 8, head_name="赵德明").eliminating(1)
    api.catch_up()
    notice = api.get("/api/notices/elimination", "township", notice_from="2025-10-02",
                     notice_to="2025-10-07", **PLACE).json()
    assert notice["columns"] == ["序号", "户主姓名", "监测对象类别", "风险消除方式及原风险类型"]
    assert notice["rows"] == [["1", "赵德明", "边缘易致贫户", "帮扶消除（原风险：因病）"]]
    page = api.client.get(notice["print_url"], headers=api.headers("township"))
    assert page.headers["x-content-sha256"] == notice["digest"]
    html = page.content
    _assert_nothing_private(html.decode("utf-8"), [home])
    published = call(api, "POST", "/api/notices/elimination/publish", "township",
                     {**PLACE, "notice_from": "2025-10-02", "notice_to": "2025-10-07",
                      "digest": hashlib.sha256(html).hexdigest()})
    assert published.status_code == 201, published.text
    assert [c["household_code"] for c in published.json()["cases"]] == [home.code]
