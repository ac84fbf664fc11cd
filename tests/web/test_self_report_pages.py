"""农户自主申报 on the workbench: the public page on a phone (no sign-in), and the township's page
that answers each report (issue 18 item 6)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import httpx

from application.demo import DEMO_TOKENS, demo_users
from domain.codes import Role
from projections.queries import Area
from tests.builders import id_number
from tests.web.conftest import PHONE, screenshot

TOWNSHIP = next(u for u in demo_users() if u.role is Role.TOWNSHIP_WORKSTATION)
NOBODY = id_number(date(1961, 6, 1), 3)  # valid, in no household


def _a_head_of_the_township(workbench: dict[str, Any]) -> str:
    rows = workbench["app"].state.read_models.directory(Area("township", township=TOWNSHIP.township),
                                                      limit=1).rows
    return workbench["app"].state.case_files.household(rows[0]["code"]).head.id_number


def _report_on_a_phone(new_page: Any, fits: Any, person: str) -> str:
    page = new_page(**PHONE)
    page.goto("/web/login")
    page.click("#self-report-link")
    page.fill("#name", "赵大山")
    page.fill("#person_id_number", person)
    page.fill("#phone", "13912345678")
    page.select_option("#township", TOWNSHIP.township)
    page.fill("#village", "东村")
    page.fill("#story", "家里房子被雨冲坏了一面墙")
    page.click("#self-report-form button[type=submit]")
    done = page.locator("#done")
    done.wait_for()  # the answer's page, not the form still navigating away
    fits(page, f"self-report-done-{person[-4:]}")
    screenshot(page, "self-report-phone")
    return done.inner_text()


def test_a_person_reports_on_a_phone_and_the_answer_never_tells_who_is_registered(
        new_page: Any, workbench: dict[str, Any], fits: Any) -> None:
    known = _report_on_a_phone(new_page, fits, _a_head_of_the_township(workbench))
    unknown = _report_on_a_phone(new_page, fits, NOBODY)
    receipt = re.compile(r"ZB-[0-9A-F]{12}")
    assert receipt.search(known) and receipt.sub("", known) == receipt.sub("", unknown)
    assert "乡镇工作站将尽快核实" in known

    # a refused report keeps what was typed and names the field
    page = new_page()
    page.goto("/web/self-report")
    page.fill("#name", "赵大山")
    page.fill("#person_id_number", NOBODY)
    page.fill("#phone", "12345")
    page.select_option("#township", TOWNSHIP.township)
    page.fill("#village", "东村")
    page.fill("#story", "看病花了很多钱")
    page.click("#self-report-form button[type=submit]")
    assert page.locator("#form-error").get_attribute("data-field") == "phone"
    assert page.input_value("#story") == "看病花了很多钱"


def test_the_township_answers_a_report_and_no_conclusion_is_chosen_for_it(workbench: dict[str, Any]) -> None:
    public = httpx.Client(base_url=workbench["url"], timeout=30)
    form = public.get("/web/self-report").text
    token = re.search(r'name="_csrf_token" value="([^"]+)"', form).group(1)
    form_id = re.search(r'name="form_id" value="([^"]+)"', form).group(1)
    sent = {"_csrf_token": token, "form_id": form_id, "name": "钱小花",
            "person_id_number": id_number(date(1962, 3, 3), 5), "phone": "0312-1234567",
            "township": TOWNSHIP.township, "village": "东村", "story": "丈夫车祸住院"}
    taken = public.post("/web/self-report", data=sent)
    report_id = re.search(r'data-report="([^"]+)"', taken.text).group(1)
    # a double tap sends the same form twice: one report, one receipt
    twice = public.post("/web/self-report", data=sent)
    assert re.search(r'data-report="([^"]+)"', twice.text).group(1) == report_id

    township = httpx.Client(base_url=workbench["url"], timeout=30)
    login = township.get("/web/login").text
    township.post("/web/login", data={
        "_csrf_token": re.search(r'name="_csrf_token" value="([^"]+)"', login).group(1),
        "name": TOWNSHIP.name, "password": DEMO_TOKENS[Role.TOWNSHIP_WORKSTATION], "next": "/web/"})
    try:
        desk = township.get("/web/self-reports")
        assert desk.status_code == 200 and f'id="report-{report_id}"' in desk.text
        assert 'href="/web/self-reports"' in desk.text and '<option value="">请选择</option>' in desk.text
        assert desk.text.count(f'id="report-{report_id}"') == 1
        csrf = re.search(r'name="_csrf_token" value="([^"]+)"', desk.text).group(1)
        unchosen = township.post(f"/web/self-reports/{report_id}/answer",
                                 data={"_csrf_token": csrf, "answer": "", "reason": "查无此事"})
        assert 'data-code="ANSWER_REQUIRED"' in unchosen.text and 'value="查无此事"' in unchosen.text
        done = township.post(f"/web/self-reports/{report_id}/answer",
                             data={"_csrf_token": csrf, "answer": "非本乡镇人员", "reason": "户籍在外县"})
        assert f"已答复申报 {report_id}：非本乡镇人员" in done.text
        assert f'id="report-{report_id}"' not in done.text and "户籍在外县" in done.text
    finally:
        public.close()
        township.close()
