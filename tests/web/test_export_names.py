"""Downloads named as people file them and saying who exported them (issue 24 item 6): the
reports as the lists are (what, where, the day), and 导出人 the display name everywhere — on
both back ends."""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import unquote

import openpyxl

from application.accounts.access import User
from domain.codes import Department, Role
from tests.http.conftest import TOWNSHIP, Api
from tests.http.conftest import api as api  # the API's fixture, on both back ends
from tests.web.test_structured_forms import _sign_in

TODAY = "20251201"  # the API fixture's clock, in Beijing time


def _person(api: Api, user: User) -> Any:
    api.app.state.users.add(user)
    api.client.cookies.clear()
    return _sign_in(api, user.name)


def _file_name(answer: Any) -> str:
    assert answer.status_code == 200, answer.text[:300]
    return unquote(answer.headers["content-disposition"].split("''", 1)[1])


def _notes(answer: Any) -> str:
    book = openpyxl.load_workbook(io.BytesIO(answer.content))
    return " ".join(str(c.value) for sheet in book for row in sheet.iter_rows(max_row=3)
                    for c in row if c.value)


def test_the_reports_are_named_like_the_lists(api: Api) -> None:
    township = _person(api, User("township-09", Role.TOWNSHIP_WORKSTATION, township=TOWNSHIP,
                                 display_name="银坊镇工作站 张三"))
    monthly = township.get("/web/reports/monthly", params={"month": "2025-10"})
    assert _file_name(monthly) == f"月分析会商报告2025-10-{TOWNSHIP}-{TODAY}.xlsx"
    listed = township.get("/web/exports/cases")
    assert _file_name(listed) == f"案件队列-{TOWNSHIP}-{TODAY}.xlsx"
    assert "导出人：银坊镇工作站 张三（township-09）" in _notes(listed)
    county = _person(api, User("county-09", Role.COUNTY_CENTRE, display_name="县防贫中心 李四"))
    annual = county.get("/web/reports/annual", params={"year": "2025", "format": "xlsx"})
    assert _file_name(annual) == f"年考核评估2025-全县-{TODAY}.xlsx"
    # the API keeps the names programs know
    assert 'filename="fangpin-monthly-2025-10.xlsx"' in api.get(
        "/api/reports/monthly", month="2025-10", format="xlsx").headers["content-disposition"]


def test_the_roster_and_the_provincial_format_name_who_exported_them_by_name(api: Api) -> None:
    api.register()
    desk = _person(api, User("dept-09", Role.DEPARTMENT, department=Department.MEDICAL_INSURANCE,
                             display_name="医保局专班 王五"))
    roster = desk.get("/web/department/roster.xlsx")
    assert _file_name(roster) == f"医保局名册-全县-{TODAY}.xlsx"
    assert "导出人：医保局专班 王五（dept-09）" in _notes(roster)
    county = _person(api, User("county-09", Role.COUNTY_CENTRE, display_name="县防贫中心 李四"))
    exchange = county.get("/web/exchange/households")
    assert _file_name(exchange).endswith(f"-省系统格式-全县-{TODAY}.xlsx")
    assert "导出人：县防贫中心 李四（county-09）" in _notes(exchange)
