"""The workbench in a real browser, as county, township and village workers use it."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote

import httpx
import openpyxl
import pytest

from application.demo import demo_users
from domain.codes import Check, Role
from domain.policy import Line
from projections.queries import Area
from tests.web.conftest import PHONE, login, screenshot

USERS = {user.role: user for user in demo_users()}
COUNTY, TOWNSHIP, VILLAGE = (USERS[r] for r in (Role.COUNTY_CENTRE, Role.TOWNSHIP_WORKSTATION,
                                                Role.VILLAGE_LIAISON))
PASSWORDS = {Role.COUNTY_CENTRE: "demo-county", Role.TOWNSHIP_WORKSTATION: "demo-township",
             Role.VILLAGE_LIAISON: "demo-village", Role.AUDITOR: "demo-auditor"}


def _codes(workbench: dict[str, Any], area: Area) -> list[str]:
    page = workbench["app"].state.read_models.directory(area, limit=200)
    return [row["code"] for row in page.rows]


def test_login_lock_out_and_logout(new_page: Any, workbench: dict[str, Any], fits: Any) -> None:
    from application.accounts.access import User

    auditor = User("auditor-lockout", Role.AUDITOR)  # locked below: not a user other tests need
    workbench["app"].state.users.add(auditor)
    workbench["app"].state.logins.set_password(auditor.name, PASSWORDS[Role.AUDITOR])
    page = new_page()
    page.goto("/web/monitoring")
    assert page.url.endswith("/web/login?next=%2Fweb%2Fmonitoring")
    screenshot(page, "01-login")
    for attempt in range(4):
        login(page, auditor.name, f"wrong-{attempt}")
        assert page.text_content("#password-error") == "用户名或密码不对"
    login(page, auditor.name, "wrong-again")
    assert "已锁定" in page.text_content("#password-error")
    login(page, auditor.name, PASSWORDS[Role.AUDITOR])  # the right password: still locked
    assert page.get_attribute("#password-error", "data-code") == "ACCOUNT_LOCKED"
    fits(page, "login-locked")
    screenshot(page, "02-login-locked")

    login(page, COUNTY.name, PASSWORDS[Role.COUNTY_CENTRE])
    assert page.url.rstrip("/").endswith("/web")
    cookie = next(c for c in page.context.cookies() if c["name"] == "fangpin_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    page.click("form.logout button")
    assert "/web/login" in page.url
    page.goto("/web/")
    assert "/web/login" in page.url  # the session is gone on the server too


def test_a_form_without_its_csrf_token_is_refused(workbench: dict[str, Any]) -> None:
    with httpx.Client(base_url=workbench["url"], timeout=30) as client:
        refused = client.post("/web/login", data={"name": COUNTY.name,
                                                  "password": PASSWORDS[Role.COUNTY_CENTRE]})
        assert refused.status_code == 403
        assert "fangpin_session" not in refused.cookies


def test_the_dashboard_draws_its_charts(new_page: Any) -> None:
    page = new_page(viewport={"width": 1280, "height": 900})
    login(page, COUNTY.name, PASSWORDS[Role.COUNTY_CENTRE])
    page.wait_for_selector(".chart[data-rendered=true] canvas")
    rendered = page.eval_on_selector_all(".chart[data-rendered=true] canvas", "els => els.length")
    assert rendered >= 5  # category, township, channel, department, identification trend
    assert page.text_content("h1").startswith("工作台")
    assert int(page.text_content("#overview .tile b")) > 0  # monitoring objects in the demo county
    screenshot(page, "03-dashboard")


def test_filtering_the_monitoring_list(new_page: Any) -> None:
    page = new_page()
    login(page, COUNTY.name, PASSWORDS[Role.COUNTY_CENTRE])
    page.goto("/web/monitoring")
    listed = page.locator("#monitoring-table td.category").all_text_contents()
    assert listed
    chosen = listed[0]
    page.select_option("select[name=category]", chosen)
    page.click("#monitoring-filters button[type=submit]")
    page.wait_for_url(re.compile(r"category="))
    categories = page.locator("#monitoring-table td.category").all_text_contents()
    assert categories and set(categories) == {chosen}
    assert len(categories) == listed.count(chosen)
    page.fill("input[name=village]", "没有这个村")
    page.click("#monitoring-filters button[type=submit]")
    page.wait_for_selector("#monitoring-table td.muted")
    assert page.locator("#monitoring-table td.category").count() == 0
    screenshot(page, "04-monitoring-list")
    with page.expect_download() as download:
        page.click("#export-monitoring")
    assert download.value.suggested_filename.endswith(".xlsx")


def test_a_household_file_as_it_stood_on_a_date(new_page: Any, workbench: dict[str, Any],
                                                fits: Any) -> None:
    page = new_page()
    login(page, COUNTY.name, PASSWORDS[Role.COUNTY_CENTRE])
    page.goto("/web/monitoring")
    page.click("#monitoring-table tbody tr >> nth=0 >> a")
    page.wait_for_selector("#timeline")
    now_rows = page.locator("#timeline tbody tr").count()
    assert "监测对象" in page.text_content("#monitoring-state")
    screenshot(page, "05-household")
    page.fill("#as-of", "2025-01-01")
    page.click("#as-of-form button[type=submit]")
    page.wait_for_selector("#as-of-note")
    assert "2025-01-01" in page.text_content("#as-of-note")
    assert page.locator("#timeline tbody tr").count() < now_rows
    assert page.text_content("#monitoring-state") == "非监测对象"
    fits(page, "household-as-of")
    screenshot(page, "06-household-as-of")


def test_a_refused_form_shows_the_error_beside_its_field(new_page: Any, workbench: dict[str, Any],
                                                         fits: Any) -> None:
    page = new_page()
    login(page, TOWNSHIP.name, PASSWORDS[Role.TOWNSHIP_WORKSTATION])
    code = _codes(workbench, Area("township", township=TOWNSHIP.township))[0]
    before = workbench["app"].state.case_files.household(code).version
    page.goto(f"/web/households/{code}/do/record_visit")
    page.fill("#f-visitor", "")
    page.fill("#f-occurred_on", "2099-01-01")
    page.click("#command-form button[type=submit]")
    page.wait_for_selector(".field-error")
    field = page.locator(".field.has-error").first
    # none of the six checks was chosen: refused too, none is passed by default
    assert field.get_attribute("data-field") in ("checks", "visitor", "occurred_on")
    assert field.locator(".field-error").text_content()
    fits(page, "form-error")
    screenshot(page, "09-form-error")
    page.fill("#f-visitor", "乡镇干部 李四")
    for check in Check:
        page.check(f"input[name='checks.{check.value}'][value=pass]")
    page.click("#command-form button[type=submit]")
    page.wait_for_selector("#form-error")
    assert page.locator("[data-field=occurred_on] .field-error").count() == 1
    assert "2099-01-01" in page.text_content("[data-field=occurred_on] .field-error") or \
        "晚于" in page.text_content("[data-field=occurred_on] .field-error")
    assert workbench["app"].state.case_files.household(code).version == before


def test_a_village_user_cannot_open_another_villages_household(new_page: Any,
                                                                workbench: dict[str, Any]) -> None:
    page = new_page()
    login(page, VILLAGE.name, PASSWORDS[Role.VILLAGE_LIAISON])
    mine = set(_codes(workbench, Area("village", township=VILLAGE.township, village=VILLAGE.village)))
    other = next(c for c in _codes(workbench, Area()) if c not in mine)
    response = page.goto(f"/web/households/{other}")
    assert response.status == 403
    assert page.get_attribute(".error", "data-code") == "OUTSIDE_AREA"
    response = page.goto(f"/web/households/{other}/do/record_visit")
    assert response.status == 403
    listed = page.goto("/web/monitoring")
    assert listed.status == 200
    assert other not in page.text_content("#monitoring-table")


def test_uploading_a_push_shows_what_was_refused_and_why(new_page: Any, fits: Any) -> None:
    from pathlib import Path

    page = new_page()
    login(page, COUNTY.name, PASSWORDS[Role.COUNTY_CENTRE])
    page.goto("/web/pushes")
    page.set_input_files("#upload-form input[type=file]",
                         str(Path(__file__).resolve().parents[1] / "data" / "alerts-edge-cases.xlsx"))
    page.select_option("#upload-form select[name=department]", "医保局")
    page.fill("#upload-form input[name=period]", "2025-07")
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("#upload-summary, #upload-error")
    assert page.locator("#upload-error").count() == 0, page.text_content("#upload-error")
    assert "读取" in page.text_content("#upload-summary")
    assert page.locator("#upload-problems tbody tr").count() > 0
    assert page.get_attribute("#error-workbook", "href").startswith("data:application/vnd.openxml")
    fits(page, "push-upload")
    screenshot(page, "11-push-upload")


def test_the_indicators_drill_down_to_households_and_the_monthly_report(new_page: Any) -> None:
    page = new_page()
    login(page, COUNTY.name, PASSWORDS[Role.COUNTY_CENTRE])
    page.goto("/web/indicators?period=2025")
    page.click("#matrix-township tr.total td[data-indicator='识别认定时限达标率'] a")
    page.wait_for_selector("#drill-down")
    first = page.locator("#drill-down tbody a").first
    assert first.count() == 1
    screenshot(page, "12-indicators")
    with page.expect_download() as download:
        page.click("#monthly-report")
    assert download.value.suggested_filename.endswith(".xlsx")
    first.click()
    assert page.text_content("h1").startswith("农户档案")


def _signed_in_client(workbench: dict[str, Any], name: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=workbench["url"], timeout=30)
    form = client.get("/web/login").text
    token = re.search(r'name="_csrf_token" value="([^"]+)"', form).group(1)
    answer = client.post("/web/login", data={"_csrf_token": token, "name": name,
                                             "password": password, "next": "/web/"})
    assert answer.status_code in (200, 302, 303) and "fangpin_session" in client.cookies, answer.text
    return client


@pytest.mark.parametrize("role", [r for r in Role if r in USERS])
def test_every_role_gets_its_pages_and_only_its_links(workbench: dict[str, Any], role: Role) -> None:
    from application.demo import DEMO_TOKENS

    user = USERS[role]
    client = _signed_in_client(workbench, user.name, DEMO_TOKENS[role])
    try:
        home = client.get("/web/")
        assert home.status_code == 200 and "工作台" in home.text
        for path, allowed in (("/web/monitoring", user.may_read("households")),
                              ("/web/cases", user.may_read("households")),
                              ("/web/pushes", user.may_read("pushes")),
                              ("/web/indicators", user.may_read("indicators"))):
            page = client.get(path)
            assert page.status_code == (200 if allowed else 403), (path, page.text[:300])
            assert (f'href="{path}"' in home.text) == allowed, path
    finally:
        client.close()


def _hidden(html: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]*)"', html).group(1)


def test_indicators_stay_in_the_users_area(workbench: dict[str, Any]) -> None:
    from application.demo import DEMO_TOKENS

    township = _signed_in_client(workbench, TOWNSHIP.name, DEMO_TOKENS[Role.TOWNSHIP_WORKSTATION])
    department_user = USERS[Role.DEPARTMENT]
    department = _signed_in_client(workbench, department_user.name, DEMO_TOKENS[Role.DEPARTMENT])
    try:
        other = next(c for c in workbench["app"].state.read_models.counts(
            "rm_monitoring", "township") if c != TOWNSHIP.township)
        refused = township.get("/web/indicators", params={
            "period": "2025", "indicator": "走访覆盖率", "area": other})
        assert refused.status_code == 403 and "OUTSIDE_AREA" in refused.text
        own = township.get("/web/indicators", params={"period": "2025"})
        assert own.status_code == 200 and "全县" not in own.text.split('id="matrix-township"')[1]
        mine = department.get("/web/indicators", params={"period": "2025"})
        table = mine.text.split('id="matrix-department"')[1]
        assert mine.status_code == 200 and str(department_user.department) in table
        assert "全县" not in table
    finally:
        township.close()
        department.close()


def test_odd_as_of_dates_are_refused_in_words(workbench: dict[str, Any]) -> None:
    from application.demo import DEMO_TOKENS

    client = _signed_in_client(workbench, COUNTY.name, DEMO_TOKENS[Role.COUNTY_CENTRE])
    try:
        code = _codes(workbench, Area())[0]
        for day in ("9999-12-31", "2100-01-01", "20250101", "2025-W01-1"):
            page = client.get(f"/web/households/{code}", params={"as_of": day})
            assert page.status_code == 200, day
            assert "日期" in page.text and 'id="as-of-note"' not in page.text, day
    finally:
        client.close()


def test_forms_start_from_true_defaults_only_and_a_resent_form_gets_a_fresh_one(
        workbench: dict[str, Any]) -> None:
    from application.demo import DEMO_TOKENS

    client = _signed_in_client(workbench, TOWNSHIP.name, DEMO_TOKENS[Role.TOWNSHIP_WORKSTATION])
    try:
        codes = _codes(workbench, Area("township", township=TOWNSHIP.township))
        form = client.get(f"/web/households/{codes[1]}/do/verify_at_home").text
        # 风险清楚 allows simplified approval: stated, never assumed
        assert re.search(r'name="risk_clear"><option value="" selected disabled>请选择</option>'
                         r'<option >是</option><option >否</option>', form)
        visit = client.get(f"/web/households/{codes[1]}/do/record_visit").text
        fields = {"_csrf_token": _hidden(visit, "_csrf_token"), "form_id": _hidden(visit, "form_id"),
                  "visitor": "乡镇干部 王五", "occurred_on": "2025-07-19",
                  **{f"checks.{c}": "pass" for c in ("不愁吃", "不愁穿", "义务教育", "基本医疗",
                                                       "住房安全", "饮水安全")}}
        first = client.post(f"/web/households/{codes[1]}/do/record_visit", data=fields)
        assert first.status_code in (302, 303)
        again = client.post(f"/web/households/{codes[1]}/do/record_visit",
                            data={**fields, "occurred_on": "2025-07-18"})
        assert "FORM_ALREADY_SENT" in again.text
        fresh = _hidden(again.text, "form_id")
        assert fresh != fields["form_id"]
        done = client.post(f"/web/households/{codes[1]}/do/record_visit",
                           data={**fields, "occurred_on": "2025-07-18", "form_id": fresh,
                                 "_csrf_token": _hidden(again.text, "_csrf_token")})
        assert done.status_code in (302, 303)
        shown = client.get(done.headers["location"]).text
        assert re.search(r'id="done">已记录：[^<]+</p>', shown)
        crafted = client.get(f"/web/households/{codes[1]}",
                             params={"done": "已核实，可发放补助", "alert": "nope"}).text
        assert 'id="done"' not in crafted and "可发放补助" not in crafted
        join = client.get(f"/web/households/{codes[1]}/do/join_member").text
        assert 'name="member.name"' in join and 'name="member.id_number"' in join
    finally:
        client.close()


def test_the_dashboard_counts_the_cases_past_their_deadline(workbench: dict[str, Any]) -> None:
    """The alarm tile counts the listed cases whose 15 days are over, as each row says."""
    from application.demo import DEMO_TOKENS

    clock = workbench["app"].state.case_files.clock
    before = clock.now
    clock.now = datetime(2025, 12, 31, 2, 0, tzinfo=UTC)  # every open case is past 15 days
    client = _signed_in_client(workbench, COUNTY.name, DEMO_TOKENS[Role.COUNTY_CENTRE])
    try:
        home = client.get("/web/").text
        home = home[home.index('id="overview"'):]  # my work above counts its own way
        tile = int(re.search(r"<b>(\d+)</b><span>超过15天时限", home).group(1))
        late_rows = len(re.findall(r'<tr class="late">', home))
        assert tile == late_rows == home.count("超期 ") > 0
    finally:
        clock.now = before
        client.close()


def test_the_county_centre_sets_the_relief_bands_on_the_policy_page(workbench: dict[str, Any]) -> None:
    """政策标准: the bands in force are shown to every reader; the county centre sets new ones
    from a day (refused beside the form when they cannot be applied); others may not."""
    from application.demo import DEMO_TOKENS

    county = _signed_in_client(workbench, COUNTY.name, DEMO_TOKENS[Role.COUNTY_CENTRE])
    village = _signed_in_client(workbench, VILLAGE.name, DEMO_TOKENS[Role.VILLAGE_LIAISON])
    case_files = workbench["app"].state.case_files
    try:
        page = county.get("/web/policy", params={"on": "2025-07-01"}).text
        assert "2024-01-01 起施行，每户每年最高赔付 60000 元" in page
        assert "因病 50000 元以上按 70% 赔付" in page and 'id="bands-form"' in page
        assert 'id="line-in-force">8300 元/人·年' in page
        form = {"_csrf_token": _hidden(page, "_csrf_token"), "form_id": _hidden(page, "form_id"),
                "effective_from": "2026-01-01", "yearly_cap": "80000", "reason": "",
                "band-0-cause": "因病", "band-0-cost_from": "5000", "band-0-rate": "0.6",
                "band-1-cause": "因病", "band-1-cost_from": "8000", "band-1-rate": "0.7"}
        overlap = county.post("/web/policy/relief-bands", data=form)
        assert 'data-code="BANDS_OVERLAP"' in overlap.text and 'value="8000"' in overlap.text
        assert case_files.relief_bands_on(date(2026, 2, 1)).yearly_cap == 60000
        done = county.post("/web/policy/relief-bands", data={
            **form, "band-1-cause": "", "band-1-cost_from": "", "band-1-rate": "",
            "_csrf_token": _hidden(overlap.text, "_csrf_token"),
            "form_id": _hidden(overlap.text, "form_id")})
        assert 'id="done">已设定 2026-01-01 起施行的防贫保赔付标准' in done.text
        assert "每户每年最高赔付 80000 元" in done.text
        assert case_files.relief_bands_on(date(2026, 2, 1)).yearly_cap == 80000
        shown = village.get("/web/policy").text
        assert "防贫保赔付标准" in shown and 'id="bands-form"' not in shown
        refused = village.post("/web/policy/relief-bands",
                               data={**form, "_csrf_token": _hidden(shown, "_csrf_token")})
        assert refused.status_code == 403
    finally:
        county.close()
        village.close()


def test_the_county_centre_sets_the_poverty_line_beside_the_income_line(workbench: dict[str, Any]) -> None:
    """扶贫标准 on the policy page: shown with the monitoring line; one not below the monitoring
    line is refused beside its own form, with what was typed kept; a lower one is set."""
    from application.demo import DEMO_TOKENS

    county = _signed_in_client(workbench, COUNTY.name, DEMO_TOKENS[Role.COUNTY_CENTRE])
    case_files = workbench["app"].state.case_files
    try:
        page = county.get("/web/policy", params={"on": "2025-07-01"}).text
        assert 'id="poverty-line-in-force">4800 元/人·年' in page and 'id="poverty-line-form"' in page
        form = {"_csrf_token": _hidden(page, "_csrf_token"), "form_id": _hidden(page, "form_id"),
                "year": "2025", "yuan_per_capita": "8300", "reason": "试算"}
        refused = county.post("/web/policy/poverty-line", data=form)
        assert 'id="poverty-line-error" data-code="LINE_ORDER"' in refused.text
        assert 'id="line-error"' not in refused.text and 'value="试算"' in refused.text
        assert case_files.income_line_on(date(2025, 7, 1), line=Line.POVERTY) == 4800
        done = county.post("/web/policy/poverty-line", data={
            **form, "yuan_per_capita": "5000", "_csrf_token": _hidden(refused.text, "_csrf_token"),
            "form_id": _hidden(refused.text, "form_id")})
        assert 'id="done">已设定 2025 年扶贫标准 5000 元/人·年' in done.text
        assert case_files.income_line_on(date(2025, 7, 1), line=Line.POVERTY) == 5000
    finally:
        county.close()


def test_the_annual_assessment_is_a_page_and_a_workbook_for_the_county(workbench: dict[str, Any]) -> None:
    """年度考核评估 on the workbench: the county centre sees the township ranking with its method
    and downloads the workbook; a township may not see the ranking of its peers."""
    from application.demo import DEMO_TOKENS

    county = _signed_in_client(workbench, COUNTY.name, DEMO_TOKENS[Role.COUNTY_CENTRE])
    township = _signed_in_client(workbench, TOWNSHIP.name, DEMO_TOKENS[Role.TOWNSHIP_WORKSTATION])
    try:
        page = county.get("/web/reports/annual", params={"year": "2025"})
        assert page.status_code == 200 and "乡镇考核排名" in page.text and "排名方法" in page.text
        assert "综合得分（按分母加权）" in page.text and "输入摘要 sha256:" in page.text
        workbook = county.get("/web/reports/annual", params={"year": "2025", "format": "xlsx"})
        assert workbook.headers["content-type"].startswith("application/vnd.openxmlformats")
        wrong = county.get("/web/reports/annual", params={"year": "2025-Q1"})
        assert 'id="report-error"' in wrong.text
        assert township.get("/web/reports/annual").status_code == 403
        assert 'id="annual-report"' not in township.get("/web/indicators").text
    finally:
        county.close()
        township.close()


def test_the_village_notice_form_takes_each_objection_with_its_outcome_and_reason(
        workbench: dict[str, Any]) -> None:
    """村级评议公示: a row per objection (content, 成立/不成立 chosen from an empty first option,
    reason); one without its outcome is refused beside the rows with what was typed kept."""
    from application.commands import RaiseAlert, VerifyAtHome
    from application.demo import DEMO_TOKENS
    from domain.codes import Channel, Finding, RiskType
    from domain.values import Actor

    case_files = workbench["app"].state.case_files
    code = next(code for code in _codes(workbench, Area())
                if case_files.household(code).active_case is None)
    by = Actor(COUNTY.name, Role.COUNTY_CENTRE)
    head = case_files.household(code).head.id_number
    alert = RaiseAlert(alert_id="A-OBJECTIONS", channel=Channel.SELF_DECLARATION,
                       person_id_number=head, risk_types=[RiskType.ILLNESS],
                       occurred_on=date(2025, 7, 1))
    number = case_files.execute(code, alert, by=by).outcome.case_number
    case_files.execute(code, VerifyAtHome(case_number=number, finding=Finding.RISK_CONFIRMED, risk_clear=True,
                                          occurred_on=date(2025, 7, 2)), by=by)
    client = _signed_in_client(workbench, COUNTY.name, DEMO_TOKENS[Role.COUNTY_CENTRE])
    try:
        path = f"/web/households/{code}/do/conclude_village_deliberation"
        form = client.get(path).text
        assert 'name="objections-2-content"' in form
        assert re.search(r'<select name="objections-0-outcome"[^>]*><option value="">请选择</option>'
                         r'<option >成立</option><option >不成立</option></select>', form)
        fields = {"_csrf_token": _hidden(form, "_csrf_token"), "form_id": _hidden(form, "form_id"),
                  "case_number": str(number), "decision": "通过", "notice_from": "2025-07-03",
                  "notice_to": "2025-07-07", "occurred_on": "2025-07-08",
                  "objections-0-content": "", "objections-0-outcome": "", "objections-0-reason": "",
                  "objections-1-content": "村民反映该户有经营性货车", "objections-1-outcome": "",
                  "objections-1-reason": "经核实货车已转让", "objections-2-content": "",
                  "objections-2-outcome": "", "objections-2-reason": ""}
        refused = client.post(path, data=fields).text
        assert 'data-code="OBJECTION_OUTCOME_REQUIRED"' in refused
        assert 'value="村民反映该户有经营性货车"' in refused and 'value="经核实货车已转让"' in refused
        assert re.search(r'<td class="has-error">\s*<select name="objections-0-outcome"', refused)
        assert refused.count('class="has-error"') == 1  # that choice alone, not the whole table
        done = client.post(path, data={
            **fields, "objections-1-outcome": "不成立", "_csrf_token": _hidden(refused, "_csrf_token"),
            "form_id": _hidden(refused, "form_id")})
        assert done.status_code in (302, 303), done.text
        shown = client.get(done.headers["location"]).text
        assert "异议1条：村民反映该户有经营性货车（不成立：经核实货车已转让）" in shown
        recorded = case_files.household(code).cases[number - 1].objections
        assert [(o.content, o.outcome, o.reason) for o in recorded] == [
            ("村民反映该户有经营性货车", "不成立", "经核实货车已转让")]
    finally:
        client.close()


def test_the_dashboards_trend_is_each_months_figure(workbench: dict[str, Any]) -> None:
    """The identification trend (tallied from one pass over the facts) shows, month by month,
    what the indicators page computes for each month on its own."""
    import json
    import re

    from application.demo import DEMO_TOKENS
    from application.indicators import Scope

    county = _signed_in_client(workbench, COUNTY.name, DEMO_TOKENS[Role.COUNTY_CENTRE])
    try:
        page = county.get("/web/").text
    finally:
        county.close()
    found = re.search(r'id="chart-trend-option">(.*?)</script>', page, re.S)
    assert found is not None
    option = json.loads(found.group(1))
    indicators = workbench["app"].state.indicators
    expected = []
    for month in option["xAxis"]["data"]:
        result = indicators.compute(month, scope=Scope())
        rate = next((f.rate for f in result.figures if f.indicator.code == "timely_identification"
                     and f.area.level == "county"), None)
        expected.append(None if rate is None else round(rate * 100, 1))
    assert [point["value"] for point in option["series"][0]["data"]] == expected
    assert any(value is not None for value in expected), "the demo has cases in these months"


def test_nothing_personal_is_kept_by_the_browser_but_the_assets_are(workbench: dict[str, Any]) -> None:
    """Pages, answers and exports say Cache-Control: no-store (Back after 退出登录 on a shared
    PC shows nothing); the stylesheet and scripts may be cached."""
    from application.demo import DEMO_TOKENS

    code = _codes(workbench, Area("county", "全县"))[0]
    county = _signed_in_client(workbench, COUNTY.name, DEMO_TOKENS[Role.COUNTY_CENTRE])
    try:
        for path in (f"/web/households/{code}", "/web/monitoring", "/web/reports/annual?format=xlsx"):
            assert county.get(path).headers.get("cache-control") == "no-store", path
        assert "no-store" not in county.get("/web/static/app.css").headers.get("cache-control", "")
    finally:
        county.close()
    with httpx.Client(base_url=workbench["url"], timeout=30) as api:
        answer = api.get(f"/api/households/{code}",
                         headers={"Authorization": f"Bearer {DEMO_TOKENS[Role.COUNTY_CENTRE]}"})
        assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"


def test_the_indicators_page_drills_into_department_rows_and_offers_only_what_opens(
        workbench: dict[str, Any]) -> None:
    """The county's drill-down of a department's row lists that department's alerts (it showed
    无: the department was taken for a township); the monthly report offered is the month shown;
    a department, which has no monthly report, is not offered one."""
    from application.demo import DEMO_TOKENS

    county = _signed_in_client(workbench, COUNTY.name, DEMO_TOKENS[Role.COUNTY_CENTRE])
    department = _signed_in_client(workbench, USERS[Role.DEPARTMENT].name, DEMO_TOKENS[Role.DEPARTMENT])
    try:
        page = county.get("/web/indicators", params={"period": "2025"}).text
        # a department row with alerts to verify (a rate, not —: one with none drills into 无)
        link = re.search(r'href="(/web/indicators\?[^"]*indicator=' + quote("预警核实率")
                         + r'[^"]*level=department)">\d+\.\d%</a>', page)
        assert link is not None, "a department row links its drill-down with its level"
        drill = county.get(link.group(1).replace("&amp;", "&")).text.split('id="drill-down"')[1]
        assert 'class="muted">无' not in drill and "/web/households/" in drill
        march = county.get("/web/indicators", params={"period": "2025-03"}).text
        assert 'href="/web/reports/monthly?month=2025-03"' in march
        assert 'id="monthly-report"' not in department.get("/web/indicators").text
    finally:
        county.close()
        department.close()


def test_an_uploaded_push_is_on_the_ledger_shown_with_its_answer(workbench: dict[str, Any]) -> None:
    """The department uploads a batch and sees it on the ledger at once (it was left out until a
    reload: the ledger was read before the read models had the new alerts)."""
    from application.demo import DEMO_TOKENS

    state = workbench["app"].state
    code = _codes(workbench, Area())[0]
    person = state.case_files.household(code).head.id_number
    department = _signed_in_client(workbench, USERS[Role.DEPARTMENT].name, DEMO_TOKENS[Role.DEPARTMENT])
    try:
        page = department.get("/web/pushes").text
        csv_text = f"身份证号码,风险类型,发现日期\n{person},因病,2025-07-15\n"
        answer = department.post("/web/pushes/import", data={
            "_csrf_token": _hidden(page, "_csrf_token"), "tier": "省级推送", "period": "2025-07",
            "batch_id": "YB-WEB-UPLOAD-1"}, files={"file": ("push.csv", csv_text.encode(), "text/csv")})
        assert answer.status_code == 200, answer.text[:500]
        ledger = answer.text.split('id="push-table"')[1]
        assert "YB-WEB-UPLOAD-1" in ledger
    finally:
        department.close()


def test_no_choice_is_made_by_default(workbench: dict[str, Any]) -> None:
    """A required choice starts at 请选择 and none of a visit's six checks starts as passed; a
    visit sent without them is refused beside them, keeping what was typed, and records nothing."""
    from application.demo import DEMO_TOKENS

    code = _codes(workbench, Area("township", township=TOWNSHIP.township))[0]
    case_files = workbench["app"].state.case_files
    township = _signed_in_client(workbench, TOWNSHIP.name, DEMO_TOKENS[Role.TOWNSHIP_WORKSTATION])
    try:
        alert_form = township.get(f"/web/households/{code}/do/raise_alert").text
        assert '<option value="" selected disabled>请选择</option>' in alert_form
        person = case_files.household(code).head.id_number
        assert person not in alert_form, "whom an alert is about is stated, not the head by default"
        visit_form = township.get(f"/web/households/{code}/do/record_visit").text
        assert 'value="pass" checked' not in visit_form and 'value="fail" checked' not in visit_form
        # the one visiting is the signed-in user: true, so filled in
        assert f'value="{TOWNSHIP.display_name or TOWNSHIP.name}"' in visit_form
        before = case_files.household(code).version
        refused = township.post(f"/web/households/{code}/do/record_visit", data={
            "_csrf_token": _hidden(visit_form, "_csrf_token"), "visitor": "乡镇干部 李四",
            "occurred_on": "2025-07-10", "checks.不愁吃": "fail"})
        assert 'data-field="checks"' in refused.text and "不愁穿" in refused.text
        assert 'value="乡镇干部 李四"' in refused.text and 'value="fail" checked' in refused.text
        assert case_files.household(code).version == before
    finally:
        township.close()


def test_a_household_is_found_from_the_header_and_a_visit_reached_from_the_dashboard(
        workbench: dict[str, Any]) -> None:
    """A village worker finds a household by 户编号, a member's ID number or a member's name
    (only in the village), and reaches this month's visits from the dashboard's tile, each row
    opening the visit form: no typed URL."""
    from application.demo import DEMO_TOKENS

    state = workbench["app"].state
    area = Area("village", township=VILLAGE.township, village=VILLAGE.village)
    code = _codes(workbench, area)[0]
    household = state.case_files.household(code)
    member = list(household.members.values())[-1]
    elsewhere = next(c for c in _codes(workbench, Area()) if c not in _codes(workbench, area))
    village = _signed_in_client(workbench, VILLAGE.name, DEMO_TOKENS[Role.VILLAGE_LIAISON])
    try:
        home = village.get("/web/").text
        assert 'action="/web/search"' in home and 'href="/web/visits-due"' in home
        for q in (code, code[:-2], member.id_number, member.name):
            found = village.get("/web/search", params={"q": q}).text
            assert f'href="/web/households/{code}"' in found, q
        assert f'/web/households/{elsewhere}"' not in village.get("/web/search", params={"q": elsewhere}).text
        due = village.get("/web/visits-due").text
        expected = state.read_models.visits_due(area, month=date(2025, 7, 20), limit=50)
        assert f"共 {expected.total} 户" in due
        assert all(f'href="/web/households/{row["code"]}/do/record_visit"' in due for row in expected.rows)
    finally:
        village.close()
    # the county centre reads the county's list in a month with visits missed (the demo's log
    # holds the whole year)
    month = next(date(2025, m, 28) for m in range(12, 0, -1)
                 if state.read_models.visits_due(Area(), month=date(2025, m, 28), limit=1).total)
    clock = state.case_files.clock
    before = clock.now
    clock.now = datetime(month.year, month.month, month.day, 2, 0, tzinfo=UTC)
    county = _signed_in_client(workbench, COUNTY.name, DEMO_TOKENS[Role.COUNTY_CENTRE])
    try:
        expected = state.read_models.visits_due(Area(), month=month, limit=50)
        due = county.get("/web/visits-due").text
        assert f"共 {expected.total} 户" in due
        assert f'href="/web/households/{expected.rows[0]["code"]}"' in due
    finally:
        clock.now = before
        county.close()


def test_a_household_page_offers_its_next_step_first_and_hides_what_cannot_apply(
        workbench: dict[str, Any]) -> None:
    from application.demo import DEMO_TOKENS

    read_models = workbench["app"].state.read_models
    queued = read_models.case_queue(Area(), limit=500).rows
    awaiting = next(r["code"] for r in queued if r["stage"] == "待入户核查")
    quiet = next(c for c in _codes(workbench, Area()) if c not in {r["code"] for r in queued}
                 and not workbench["app"].state.case_files.household(c).cases)
    county = _signed_in_client(workbench, COUNTY.name, DEMO_TOKENS[Role.COUNTY_CENTRE])
    try:
        page = county.get(f"/web/households/{awaiting}").text
        first = page.split('id="next-steps"')[1].split("</div>")[0]
        assert 'data-command="verify_at_home"' in first
        assert 'data-command="decide_at_county"' not in page  # steps 2 and 3 come first
        plain = county.get(f"/web/households/{quiet}").text
        assert 'data-command="raise_alert"' in plain
        assert 'data-command="verify_at_home"' not in plain
        assert 'data-command="pay_relief_insurance"' not in plain
    finally:
        county.close()


def test_an_export_is_named_as_people_file_it_and_says_who_exported_it(workbench: dict[str, Any]) -> None:
    from urllib.parse import unquote

    from application.demo import DEMO_TOKENS

    township = _signed_in_client(workbench, TOWNSHIP.name, DEMO_TOKENS[Role.TOWNSHIP_WORKSTATION])
    try:
        answer = township.get("/web/exports/cases")
        name = unquote(answer.headers["content-disposition"].split("''", 1)[1])
        assert name == f"案件队列-{TOWNSHIP.township}-20250720.xlsx"
        book = openpyxl.load_workbook(io.BytesIO(answer.content))
        about = [c.value for row in book["说明"].iter_rows() for c in row]
        who = f"{TOWNSHIP.display_name}（{TOWNSHIP.name}）" if TOWNSHIP.display_name else TOWNSHIP.name
        assert any(f"导出人：{who}" in (text or "") for text in about)
    finally:
        township.close()


def test_the_provincial_format_is_a_link_away_and_holds_only_the_users_area(
        workbench: dict[str, Any]) -> None:
    import csv

    from application.demo import DEMO_TOKENS

    township = _signed_in_client(workbench, TOWNSHIP.name, DEMO_TOKENS[Role.TOWNSHIP_WORKSTATION])
    try:
        assert 'href="/web/exchange/households"' in township.get("/web/monitoring").text
        answer = township.get("/web/exchange/households", params={"format": "csv"})
        assert answer.status_code == 200, answer.text
        assert answer.content.startswith(b"\xef\xbb\xbf")
        rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
        assert rows and {r["乡（镇）"] for r in rows} == {TOWNSHIP.township}
        assert 400 <= township.get("/web/exchange/people").status_code < 500
        assert 400 <= township.get("/web/exchange/households", params={"format": "pdf"}).status_code < 500
    finally:
        township.close()


@pytest.mark.parametrize("path", ["/web/cases", "/web/monitoring"])
def test_lists_are_cards_on_a_phone_with_nothing_off_screen(new_page: Any, path: str) -> None:
    """At 360 px the case queue and the monitoring list show one card per row: no table scrolls
    sideways, and a row's 户主 (and 阶段) are on screen."""
    page = new_page(**PHONE)
    login(page, COUNTY.name, PASSWORDS[Role.COUNTY_CENTRE])
    page.goto(path)
    table = "#case-table" if path == "/web/cases" else "#monitoring-table"
    assert page.evaluate(f"document.querySelector('{table}').scrollWidth") <= 362
    cells = [f"{table} tbody tr:first-child td[data-label='户主']"]
    if path == "/web/cases":
        cells.append(f"{table} tbody tr:first-child td[data-label='阶段']")
    for cell in cells:
        box = page.locator(cell).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 362, cell


def test_a_steps_form_shows_what_the_steps_before_it_found(workbench: dict[str, Any]) -> None:
    """The township's review shows the village's household visit (and, once taken, its notice):
    the one deciding sees the findings they decide on."""
    from application.commands import RaiseAlert, VerifyAtHome
    from application.demo import DEMO_TOKENS
    from domain.codes import Channel, Finding, RiskType
    from domain.values import Actor

    case_files = workbench["app"].state.case_files
    code = next(code for code in reversed(_codes(workbench, Area()))
                if case_files.household(code).active_case is None)
    by = Actor(COUNTY.name, Role.COUNTY_CENTRE)
    head = case_files.household(code).head.id_number
    number = case_files.execute(code, RaiseAlert(
        alert_id="A-EARLIER", channel=Channel.SELF_DECLARATION, person_id_number=head,
        risk_types=[RiskType.ILLNESS], occurred_on=date(2025, 7, 3)), by=by).outcome.case_number
    case_files.execute(code, VerifyAtHome(case_number=number, finding=Finding.RISK_CONFIRMED, risk_clear=True,
                                          notes="住院自付两万余元", occurred_on=date(2025, 7, 4)), by=by)
    county = _signed_in_client(workbench, COUNTY.name, DEMO_TOKENS[Role.COUNTY_CENTRE])
    try:
        review = county.get(f"/web/households/{code}/do/complete_township_review").text
        earlier = review.split('id="earlier-steps"')[1].split("</section>")[0]
        assert "入户核查核实" in earlier and "2025-07-04" in earlier and "住院自付两万余元" in earlier
        assert 'id="earlier-steps"' not in county.get(f"/web/households/{code}/do/record_visit").text
    finally:
        county.close()


def test_a_department_reaches_its_desk_from_its_first_page_and_puts_its_measure_in_place(
        new_page: Any, workbench: dict[str, Any]) -> None:
    """医保局 signs in, goes from its first page to its desk, sees its roster with its fields
    and the calendar of its pushes, and puts a measure assigned to it in place."""
    from application.commands import AssignMeasure
    from application.demo import DEMO_TOKENS
    from domain.codes import Department, MeasureType
    from domain.values import Actor

    app = workbench["app"]
    lifted = next(row for row in app.state.read_models.directory(limit=500).rows
                  if row["household_type"] == "脱贫户" and not row["monitored"])
    app.state.case_files.execute(lifted["code"], AssignMeasure(
        measure_id="YB-WEB-1", measure_type=MeasureType.HEALTH, department=Department.MEDICAL_INSURANCE,
        responsible_person="医保局李科长", occurred_on=date(2025, 7, 1)),
        by=Actor("county-test", Role.COUNTY_CENTRE))
    app.state.projections.catch_up()

    page = new_page()
    login(page, USERS[Role.DEPARTMENT].name, DEMO_TOKENS[Role.DEPARTMENT])
    page.click("#desk-tile")
    assert page.text_content("h1").startswith("部门工作台")
    headings = page.locator("#roster-table thead th").all_text_contents()
    assert headings[:2] == ["户编号", "乡镇"] and "参加城乡居民基本医疗保险" in headings
    assert "劳动能力" not in headings and "健康状况" not in headings
    assert page.locator("#roster-table tbody tr").count() > 0
    assert "脱贫人口和监测对象医疗费用负担较重" in page.text_content("#calendar-table")
    row = page.locator("#measure-table tr[data-measure='YB-WEB-1']")
    assert "计划" in row.text_content()
    screenshot(page, "30-department-desk")
    row.locator("input[name=occurred_on]").fill("2025-07-15")
    row.locator("button[type=submit]").click()
    page.wait_for_selector("#desk-done")
    assert "YB-WEB-1 已落实" in page.text_content("#desk-done")
    assert "已落实" in page.locator("#measure-table tr[data-measure='YB-WEB-1']").text_content()
