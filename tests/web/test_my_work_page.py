"""The workbench's first page leads with the signed-in person's work (issue 18 item 3): on a
360 px phone, the counts by urgency, the tasks by deadline each linked to where it is done,
and the notifications, one marked read and the header's count going down with it."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx

from application.demo import DEMO_TOKENS, demo_users
from domain.codes import Role
from interfaces.http.auth import area_of
from tests.builders import id_number
from tests.web.conftest import PHONE, login, screenshot

TOWNSHIP = next(user for user in demo_users() if user.role is Role.TOWNSHIP_WORKSTATION)


def test_the_first_page_leads_with_my_work_on_a_360_px_phone(new_page: Any, workbench: dict[str, Any],
                                                              fits: Any) -> None:
    # Given a self-report held for the township today (it lands on its desk)
    reported = httpx.post(workbench["url"] + "/api/public/self-reports", json={
        "name": "孙秀兰", "person_id_number": id_number(date(1958, 4, 9), 8), "phone": "13912345678",
        "township": TOWNSHIP.township, "village": TOWNSHIP.township[:2] + "村", "story": "屋顶漏雨"})
    assert reported.status_code == 201, reported.text
    work = workbench["app"].state.my_work
    tasks = work.tasks(TOWNSHIP, area_of(TOWNSHIP))
    page = new_page(**PHONE)
    login(page, TOWNSHIP.name, DEMO_TOKENS[Role.TOWNSHIP_WORKSTATION])
    page.goto("/web/")
    assert page.locator("#my-work").is_visible()
    assert f"共 {len(tasks)} 件" in page.text_content("#my-work h2")
    shown = page.locator("#task-list li.task")
    assert tasks and shown.count() == min(len(tasks), 50)
    assert shown.first.locator("a").get_attribute("href") == tasks[0].link
    overdue = sum(1 for t in tasks if t.urgency(work.today()).value == "overdue")
    assert page.text_content("#count-overdue b") == str(overdue)
    fits(page, "my-work-phone")
    screenshot(page, "40-phone-my-work")

    unread = work.unread(TOWNSHIP, area_of(TOWNSHIP))
    assert unread >= 1  # the self-report, at least
    assert page.text_content("#unread-count b") == str(unread)
    page.click("#notification-list li.unread form button")
    page.wait_for_url("**/web/#notifications")
    after = page.text_content("#unread-count")
    assert after == f"通知 {unread - 1}" if unread > 1 else after == "通知"
    assert page.locator("#notification-list li.read").count() >= 1
    # only the overdue ones, when their count is chosen; an unknown choice is refused in words
    page.click("#count-overdue")
    page.wait_for_url("**/web/?urgency=overdue*")
    assert page.locator("#task-list li.task").count() == min(overdue, 50)
    refused = page.goto("/web/?urgency=someday")
    assert refused.status == 422 and "“someday”不是期限分类" in page.content()
