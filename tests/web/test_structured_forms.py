"""Command forms a county worker fills without JSON or field identifiers (issue 24 item 3): a
household's members as rows, a joining member's inputs side by side, a correction picked from
the household's facts — each turned into the command the API runs, so its rules judge it.

The forms are posted as a browser without scripts posts them, on both back ends.
"""

from __future__ import annotations

import html
import re
from datetime import date
from typing import Any

import pytest

from domain.errors import NotFound
from projections.queries import Area
from tests.builders import CHILD_ID, HEAD_ID, id_number
from tests.http.conftest import TOWNSHIP, VILLAGE, Api, alert
from tests.http.conftest import api as api  # the API's fixture, on both back ends

CODE = "130630101001"
NEW_CODE = "130630101077"
GOOD = [id_number(date(1980, 3, 1), 51), id_number(date(1982, 6, 2), 62)]
#: Row 2's number with its check digit wrong (GB 11643).
BAD = GOOD[1][:17] + ("0" if GOOD[1][17] != "0" else "1")


def _hidden(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found is not None, name
    return found.group(1)


def _sign_in(api: Api, name: str = "county-01") -> Any:
    api.app.state.logins.set_password(name, f"密码-{name}")
    login = api.client.get("/web/login").text
    signed = api.client.post("/web/login", data={"_csrf_token": _hidden(login, "_csrf_token"),
                                                 "name": name, "password": f"密码-{name}",
                                                 "next": "/web/"}, follow_redirects=False)
    assert signed.status_code in (302, 303), signed.text
    return api.client


def _form(page: str) -> str:
    found = re.search(r'<form method="post" action="/web/(?:households|register)[^"]*".*?</form>',
                      page, re.S)
    assert found is not None, page[:2000]
    return found.group(0)


def _tokens(page: str) -> dict[str, str]:
    return {"_csrf_token": _hidden(page, "_csrf_token"), "form_id": _hidden(page, "form_id")}


#: What a member's row states besides name, ID number and relation (none of it preset).
STATED = {"health": "健康", "labour_capacity": "普通劳动力", "insured": "是"}


def _registration(page: str, rows: list[tuple[str, str, str]]) -> dict[str, str]:
    """The registration form as a browser sends it: the household, then a member per row; a
    row left untouched sends its empty texts and no choice (请选择 is not sent)."""
    fields = {**_tokens(page), "code": NEW_CODE, "township": TOWNSHIP, "village": VILLAGE,
              "address": "东村八号", "household_type": "一般农户", "occurred_on": "2025-11-20"}
    for n in range(3):
        name, number, relation = rows[n] if n < len(rows) else ("", "", "")
        fields |= {f"members-{n}-name": name, f"members-{n}-id_number": number}
        if relation:
            fields[f"members-{n}-relation"] = relation
        if name:
            fields |= {f"members-{n}-{key}": value for key, value in STATED.items()}
    return fields


def _registered(api: Api, code: str) -> bool:
    try:
        api.app.state.case_files.household(code)
    except NotFound:
        return False
    return True


class TestMembersAsRows:
    def test_a_household_is_registered_with_the_members_typed_in_its_rows(self, api: Api) -> None:
        # Given the registration form, whose relation starts at 请选择
        client = _sign_in(api)
        page = client.get("/web/register").text
        assert re.search(r'<select name="members-0-relation"[^>]*><option value="" selected disabled>'
                         r'请选择</option>', page)
        # When two members are typed in the first two rows, the third left blank (and the form
        # is sent twice, as a double click sends it)
        typed = _registration(page, [("赵大山", GOOD[0], "本人"), ("钱小花", GOOD[1], "配偶")])
        done = client.post("/web/register", data=typed, follow_redirects=False)
        again = client.post("/web/register", data=typed, follow_redirects=False)
        # Then the household is registered once, with those two members
        assert done.status_code in (302, 303) and again.status_code in (302, 303), again.text
        assert api.app.state.case_files.household(NEW_CODE).version == 1
        household = api.app.state.case_files.household(NEW_CODE)
        assert [(m.name, m.id_number, m.relation.value) for m in household.current_members()] == [
            ("赵大山", GOOD[0], "本人"), ("钱小花", GOOD[1], "配偶")]
        assert "已登记农户" in client.get(done.headers["location"]).text

    def test_a_bad_id_number_in_row_two_is_refused_beside_row_two_and_records_nothing(
            self, api: Api) -> None:
        client = _sign_in(api)
        page = client.get("/web/register").text
        before = api.app.state.case_files.max_position()
        refused = client.post("/web/register", data=_registration(
            page, [("赵大山", GOOD[0], "本人"), ("钱小花", BAD, "配偶")]))
        assert refused.status_code == 200
        assert 'data-code="ID_NUMBER_CHECK_DIGIT"' in refused.text
        # beside row 2's ID number, in that row's cell, with the domain's message in words
        row_two = re.search(r'<td class="has-error">\s*<input name="members-1-id_number"[^>]*>'
                            r'.*?<p class="error field-error" id="error-members\[1\].id_number">'
                            r'([^<]*)</p>', refused.text, re.S)
        assert row_two is not None, _form(refused.text)
        assert "身份证号码校验码错误" in row_two.group(1) and "id_number" not in refused.text.split(
            "<main>")[1].split("<form")[0]
        assert refused.text.count('class="has-error"') == 1
        # what was typed is kept, and nothing is recorded
        assert f'value="{BAD}"' in refused.text and 'value="赵大山"' in refused.text
        assert api.app.state.case_files.max_position() == before and not _registered(api, NEW_CODE)

    def test_a_row_is_added_without_a_script_and_nothing_is_recorded(self, api: Api) -> None:
        client = _sign_in(api)
        page = client.get("/web/register").text
        assert page.count('name="members-') and 'name="members-3-name"' not in page
        before = api.app.state.case_files.max_position()
        more = client.post("/web/register", data={
            **_registration(page, [("赵大山", GOOD[0], "本人")]), "_more": "members"}).text
        assert 'name="members-3-name"' in more and 'value="赵大山"' in more
        assert 'id="form-error"' not in more
        assert api.app.state.case_files.max_position() == before

    def test_a_member_joins_through_the_inputs_of_one_member(self, api: Api) -> None:
        api.register(CODE)
        client = _sign_in(api)
        path = f"/web/households/{CODE}/do/join_member"
        page = client.get(path).text
        typed = {**_tokens(page), "member.name": "王小红", "member.id_number": BAD,
                 "member.relation": "女", "member.health": "健康",
                 "member.labour_capacity": "无劳动力", "member.in_school": "true",
                 "member.insured": "否", "reason": "出生", "occurred_on": "2025-11-01"}
        refused = client.post(path, data=typed).text
        assert re.search(r'id="error-member.id_number">身份证号码校验码错误', refused), _form(refused)
        version = api.app.state.case_files.household(CODE).version
        done = client.post(path, data={**typed, **_tokens(refused), "member.id_number": GOOD[1]},
                           follow_redirects=False)
        assert done.status_code in (302, 303), done.text
        household = api.app.state.case_files.household(CODE)
        joined = household.members[GOOD[1]]
        assert household.version == version + 1
        assert (joined.name, joined.relation.value, joined.in_school, joined.insured) == (
            "王小红", "女", True, False)  # stated: not insured

    def test_a_members_changes_are_what_was_chosen_and_nothing_else(self, api: Api) -> None:
        api.register(CODE)
        client = _sign_in(api)
        path = f"/web/households/{CODE}/do/update_member"
        page = client.get(path).text
        assert '<option value="">（不变）</option>' in page
        done = client.post(path, data={
            **_tokens(page), "id_number": CHILD_ID, "changes.health": "患有大病",
            "changes.labour_capacity": "", "changes.in_school": "", "changes.insured": "否",
            "occurred_on": "2025-11-02"}, follow_redirects=False)
        assert done.status_code in (302, 303), done.text
        child = api.app.state.case_files.household(CODE).members[CHILD_ID]
        assert (child.health.value, child.in_school, child.insured) == ("患有大病", True, False)


class TestCorrections:
    def test_a_correction_picked_from_the_list_records_the_version_and_field(self, api: Api) -> None:
        # Given a household with an alert about its head
        api.register(CODE)
        api.ok(f"/api/households/{CODE}/alerts", alert("2025-03-01", HEAD_ID))
        household = api.app.state.case_files.household(CODE)
        alert_version = household.version
        client = _sign_in(api)
        path = f"/web/households/{CODE}/do/correct"
        # When the worker opens the form, the facts are offered as sentences
        page = client.get(path).text
        offered = dict(re.findall(r'<option value="([^"]+)" >([^<]+)</option>', _form(page)))
        alert_pick = next(pick for pick, said in offered.items()
                          if said.startswith(f"第{alert_version}项：") and "登记预警" in said)
        assert any("成员王小明（子）" in html.unescape(said) for said in offered.values())
        # and picking one (the button a page without its script sends) shows its fields,
        # each by its label with what is recorded now
        picked = client.post(path, data={**_tokens(page), "corrects_version": alert_pick,
                                         "_redraw": "1", "reason": "", "occurred_on": "2025-11-03"})
        form = _form(picked.text)
        assert 'id="form-error"' not in picked.text
        assert re.search(r'<label for="f-changes.discovered_on">发现日期</label></th>'
                         r'<td class="was">2025-03-01</td>', form), form
        assert 'name="changes.risk_types" value="因病"' in form and "JSON" not in form
        # When a wrong date is typed, the refusal names the field by its label
        typed = {**_tokens(picked.text), "corrects_version": alert_pick,
                 "changes.discovered_on": "2025-13-01", "changes.description": "",
                 "reason": "录入时把日期写错", "occurred_on": "2025-11-03"}
        refused = client.post(path, data=typed).text
        assert "未记录" in refused and "discovered_on" not in refused.split("<form")[0]
        assert "“发现日期”" in refused, re.findall(r"(?:form-error|field-error)[^<]*", refused)
        # Then the right date is recorded as a correction naming that version and field
        done = client.post(path, data={**typed, **_tokens(refused),
                                       "changes.discovered_on": "2025-02-27"},
                           follow_redirects=False)
        assert done.status_code in (302, 303), done.text
        corrected = api.app.state.case_files.household(CODE).corrections[-1]
        assert (corrected.corrects_version, corrected.changes, corrected.reason) == (
            alert_version, {"discovered_on": "2025-02-27"}, "录入时把日期写错")
        assert "更正第" in client.get(done.headers["location"]).text

    def test_a_member_registered_with_the_household_is_corrected_through_the_registration(
            self, api: Api) -> None:
        api.register(CODE)
        client = _sign_in(api)
        path = f"/web/households/{CODE}/do/correct"
        page = client.get(path).text
        pick = next(p for p, said in re.findall(r'<option value="([^"]+)" >([^<]+)</option>', page)
                    if "成员王小明" in html.unescape(said))
        assert CHILD_ID not in page  # the member is named by a digest, never the number
        picked = client.post(path, data={**_tokens(page), "corrects_version": pick, "_redraw": "1"})
        assert re.search(r'与户主关系</label></th><td class="was">子</td>', picked.text)
        done = client.post(path, data={**_tokens(picked.text), "corrects_version": pick,
                                       "changes.relation": "女", "changes.in_school": "",
                                       "reason": "性别登记错误", "occurred_on": "2025-11-03"},
                           follow_redirects=False)
        assert done.status_code in (302, 303), done.text
        corrected = api.app.state.case_files.household(CODE).corrections[-1]
        assert (corrected.corrects_version, corrected.subject, corrected.changes) == (
            1, f"member:{CHILD_ID}", {"relation": "女"})


#: Who may open each form: the first of these users whose role may send the command.
FORM_USERS = ("county-01", "township-01", "grid-01", "dept-ybj")


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
def test_no_workbench_form_asks_for_json(api: Api) -> None:
    """Every command form, as served: no box asks for JSON, no input takes a JSON object."""
    from application.accounts.access import COMMAND_ROLES
    from interfaces.web.household import COMMAND_FORMS
    from tests.http.conftest import USERS

    api.register(CODE)
    api.ok(f"/api/households/{CODE}/alerts", alert("2025-03-01", HEAD_ID))
    signed: dict[str, Any] = {}
    pages = {"register_household": ("county-01", "/web/register")}
    for command in COMMAND_FORMS:
        who = next(name for name in FORM_USERS if USERS[_key(name)].role in COMMAND_ROLES[command])
        pages[command] = (who, f"/web/households/{CODE}/do/{command}")
    asking = []
    for command, (who, path) in pages.items():
        if who not in signed:
            api.client.cookies.clear()
            signed[who] = _sign_in(api, who)
        form = _form(signed[who].get(path).text)
        if re.search(r"JSON|\{&#34;|\{\"", form):
            asking.append(command)
    assert asking == []


def _key(name: str) -> str:
    from tests.http.conftest import USERS

    return next(key for key, user in USERS.items() if user.name == name)


def test_with_its_script_a_row_is_added_and_removed_in_place_and_an_id_number_checked_as_typed(
        new_page: Any, workbench: dict[str, Any]) -> None:
    """In Chromium: 增加一行 and 删除 change the rows without a round trip (renumbered, so the
    server reads them all); an ID number's check digit is checked as it is typed; picking a
    fact to correct shows its fields at once — and none of it records anything."""
    from application.demo import demo_users
    from domain.codes import Role
    from tests.web.conftest import login, screenshot

    county = next(user for user in demo_users() if user.role is Role.COUNTY_CENTRE)
    page = new_page()
    login(page, county.name, "demo-county")
    page.goto("/web/register")
    rows = page.locator("#f-members tbody tr")
    assert rows.count() == 3
    page.click("button[data-more='f-members']")
    assert rows.count() == 4 and page.url.endswith("/web/register")
    rows.nth(0).locator("button.remove").click()
    assert rows.count() == 3
    assert [rows.nth(n).locator("input").first.get_attribute("name") for n in range(3)] == [
        "members-0-name", "members-1-name", "members-2-name"]
    number = rows.nth(1).locator("input[data-id-number]")
    number.fill(BAD)
    hint = rows.nth(1).locator(".id-hint")
    assert f"第18位应为 {GOOD[1][17]}" in hint.inner_text()
    number.fill(GOOD[1])
    assert hint.inner_text() == "校验码正确"
    screenshot(page, "register-rows")
    case_files = workbench["app"].state.case_files
    code = workbench["app"].state.read_models.directory(Area(), limit=1).rows[0]["code"]
    version = case_files.household(code).version
    page.goto(f"/web/households/{code}/do/correct")
    page.select_option("#f-corrects_version", index=1)
    page.wait_for_selector("table.changes td.was")
    assert "JSON" not in page.inner_text("#command-form")
    assert case_files.household(code).version == version


def test_a_list_of_free_texts_is_rows_and_a_gap_left_by_a_removed_row_ends_nothing() -> None:
    """A list of texts (no code table) is a row per text, never JSON or a box of lines; rows are
    read by their numbers, so a row removed in the middle loses no row after it."""
    import msgspec
    from litestar.datastructures import MultiDict

    from application.commands import RegisterHousehold
    from interfaces.web.forms import form_fields, read_form

    class Texts(msgspec.Struct):
        notes: list[str]

    (notes,) = form_fields(Texts)
    assert notes.kind == "lines" and notes.shown_rows == 3
    assert read_form([notes], MultiDict([("notes-0", "一"), ("notes-3", " 三 "), ("notes-1", "")])) == {
        "notes": ["一", "三"]}
    members = next(f for f in form_fields(RegisterHousehold) if f.name == "members")
    sent = MultiDict({"members-0-name": "赵大山", "members-0-relation": "本人",
                      **{f"members-0-{key}": value for key, value in STATED.items()},
                      "members-2-name": "钱小花", "members-2-relation": "配偶",
                      **{f"members-2-{key}": value for key, value in STATED.items()},
                      "members-2-insured": "否"})
    assert [(m["name"], m["relation"], m["insured"]) for m in read_form([members], sent)["members"]] == [
        ("赵大山", "本人", True), ("钱小花", "配偶", False)]


#: What a form may hold before anyone types (issue 24 item 2): today's date, the household's
#: active case, the signed-in user as 走访人 — and, on 农户登记, the user's own township and
#: village, true of every household that user registers; an amount of 0 (no change, no fee) is
#: what the API records when the amount is left out, so showing it decides nothing.
_INPUT = re.compile(r"<input\b([^>]*)>")
_SELECT = re.compile(r'<select\b[^>]*\bname="([^"]+)"[^>]*>(.*?)</select>', re.S)


def _preset(form: str, today: str, case: str, user: Any) -> list[str]:
    """The inputs of a served form that hold a value nobody chose: a choice preselected, a box
    ticked, a text filled in — but for `ALLOWED_DEFAULTS`."""
    said = []
    for name, options in _SELECT.findall(form):
        chosen = re.findall(r"<option\b([^>]*)\bselected\b[^>]*>([^<]*)</option>", options)
        said += [f"{name}={text}" for attrs, text in chosen if 'value=""' not in attrs]
    for attrs in _INPUT.findall(form):
        name = (re.search(r'name="([^"]*)"', attrs) or re.search("()", "")).group(1)
        kind = (re.search(r'type="([^"]*)"', attrs) or re.search("(text)", "text")).group(1)
        value = html.unescape((re.search(r'value="([^"]*)"', attrs) or re.search("()", "")).group(1))
        if kind in ("checkbox", "radio"):
            if re.search(r"\bchecked\b", attrs):
                said.append(f"{name}（已勾选）")
        elif kind in ("hidden", "submit", "file") or not value:
            continue
        elif not ((kind == "date" and value == today) or (name == "case_number" and value == case)
                  or (name == "visitor" and value == (user.display_name or user.name))
                  or (name in ("township", "village") and value == getattr(user, name))
                  or ('inputmode="decimal"' in attrs and value == "0")):
            said.append(f"{name}={value}")
    return said


def test_no_form_starts_with_a_choice_made(api: Api) -> None:
    """Every form the workbench offers, as served to a user who may send it: no choice
    preselected, no box ticked, no text filled in but the true defaults — and 入户核查's 风险清楚
    and a member's 健康状况, 劳动能力 and 参保 each start at 请选择."""
    from application.accounts.access import COMMAND_ROLES
    from interfaces.web.household import COMMAND_FORMS
    from tests.http.conftest import USERS

    api.register(CODE)
    api.ok(f"/api/households/{CODE}/alerts", alert("2025-03-01", HEAD_ID))
    household = api.app.state.case_files.household(CODE)
    assert household.active_case is not None
    pages = {"register_household@county": ("county-01", "/web/register"),
             "register_household@township": ("township-01", "/web/register")}
    for command in COMMAND_FORMS:
        who = next(name for name in FORM_USERS if USERS[_key(name)].role in COMMAND_ROLES[command])
        pages[command] = (who, f"/web/households/{CODE}/do/{command}")
    preset, current = {}, ""
    for command, (who, path) in pages.items():
        if who != current:  # one client: signed in as each user in turn
            api.client.cookies.clear()
            current = who
            _sign_in(api, who)
        page = api.client.get(path)
        assert page.status_code == 200, (command, page.text[:300])
        today = re.search(r'type="date"[^>]*value="([^"]+)"', page.text)
        found = _preset(_form(page.text), today.group(1) if today else "",
                        str(household.active_case.number), USERS[_key(who)])
        if found:
            preset[command] = found
        if command in ("verify_at_home", "register_household@county", "join_member"):
            names = ("risk_clear",) if command == "verify_at_home" else (
                [f"members-{n}-{k}" for n in range(3) for k in STATED] if command.startswith("register")
                else [f"member.{k}" for k in STATED])
            for name in names:
                assert re.search(rf'<select [^>]*name="{re.escape(name)}"[^>]*><option value="" '
                                 r'selected disabled>请选择</option>', page.text), (command, name)
    assert preset == {}


def test_a_township_worker_registers_a_household_leaving_the_spare_rows_untouched(
        new_page: Any, workbench: dict[str, Any]) -> None:
    """In Chromium, as a person fills 农户登记: the household, row 1's member (a choice left at
    请选择 is refused beside it), rows 2–3 untouched — registered with one member (the spare rows
    were refused as a member without a name: they came with 健康 and 参保 chosen)."""
    from application.demo import demo_users
    from domain.codes import Role
    from tests.web.conftest import login

    township = next(user for user in demo_users() if user.role is Role.TOWNSHIP_WORKSTATION)
    village = next(user for user in demo_users() if user.role is Role.VILLAGE_LIAISON).village
    person = id_number(date(1961, 2, 3), 977)
    page = new_page()
    login(page, township.name, "demo-township")
    page.goto("/web/register")
    page.fill("#f-code", "BROWSER-REG-1")
    page.fill("#f-village", village)
    page.select_option("#f-household_type", "一般农户")
    row = "#f-members tbody tr:first-child"
    page.fill(f"{row} input[name='members-0-name']", "孙大林")
    page.fill(f"{row} input[name='members-0-id_number']", person)
    page.select_option(f"{row} select[name='members-0-relation']", "本人")
    page.select_option(f"{row} select[name='members-0-labour_capacity']", "普通劳动力")
    page.select_option(f"{row} select[name='members-0-insured']", "是")
    page.click("#command-form button.primary")
    # 健康状况 was left at 请选择: refused beside row 1's, in words, and nothing recorded
    assert page.text_content("#error-members\\[0\\]\\.health") == "请选择健康状况"
    assert "INVALID_VALUE" not in page.inner_text("main")
    assert page.input_value("input[name='members-0-name']") == "孙大林"
    page.select_option(f"{row} select[name='members-0-health']", "长期慢性病")
    page.click("#command-form button.primary")
    page.wait_for_url("**/web/households/BROWSER-REG-1?done=register_household")
    assert page.text_content("#done") == "已登记农户"
    household = workbench["app"].state.case_files.household("BROWSER-REG-1")
    assert [(m.name, m.health.value, m.insured) for m in household.current_members()] == [
        ("孙大林", "长期慢性病", True)]


def test_the_api_and_the_workbench_name_a_missing_field_alike(api: Api) -> None:
    """A visit without 走访人, sent to the API and from the form: both say 「缺少必填字段 走访人」;
    the API's ``field`` stays the identifier a program reads, and the form's banner names the
    field by its label with its code out of sight."""
    api.register(CODE)
    checks = {c: True for c in ("不愁吃", "不愁穿", "义务教育", "基本医疗", "住房安全", "饮水安全")}
    answer = api.post(f"/api/households/{CODE}/visits", {"checks": checks, "occurred_on": "2025-11-02"})
    problem = answer.json()
    assert answer.status_code == 400 and problem["field"] == "visitor"
    assert problem["detail"] == "“走访人”不符合要求：缺少必填字段 走访人"
    assert problem["errors"][0]["message"] == "缺少必填字段 走访人"
    client = _sign_in(api)
    path = f"/web/households/{CODE}/do/record_visit"
    page = client.get(path).text
    refused = client.post(path, data={**_tokens(page), "visitor": "", "occurred_on": "2025-11-02",
                                      **{f"checks.{c}": "pass" for c in checks}}).text
    beside = re.search(r'id="error-visitor">([^<]*)</p>', refused)
    assert beside is not None and beside.group(1) == "缺少必填字段 走访人"
    banner = re.search(r'<p class="error" id="form-error" data-code="([^"]+)" title="错误代码 \1">'
                       r"([^<]*)</p>", refused)
    assert banner is not None and banner.group(2) == "未记录（走访人）：缺少必填字段 走访人"
    assert banner.group(1) not in banner.group(2)


def _earlier(page: str) -> str:
    found = re.search(r'id="earlier-steps">(.*?)</section>', page, re.S)
    assert found is not None, page[:1500]
    return html.unescape(found.group(1))


def test_each_step_s_form_shows_what_came_before_it(api: Api) -> None:
    """入户核查 shows the alert's risk types and description; 风险研判 the case's risk types and
    the household visit's finding; 帮扶措施 the needs the analysis found."""
    from tests.http.kit import (
        COUNTY_DECISION,
        HOME_VISIT,
        RISK_ANALYSIS,
        TOWNSHIP_REVIEW,
        VILLAGE_NOTICE,
        register,
    )

    home = register(api, 7)
    home.alerted(risk_types=("因病", "因残"), description="住院花费大，右腿骨折")
    client = _sign_in(api)
    path = f"/web/households/{home.code}/do"
    alerts = _earlier(client.get(f"{path}/verify_at_home").text)
    assert "因病、因残" in alerts and "住院花费大，右腿骨折" in alerts
    home.do("/identification/home-visit", {**HOME_VISIT, "risk_clear": True, "notes": "自付四万元"})
    visit = _earlier(client.get(f"{path}/analyse_risk").text)
    assert "因病、因残" in visit and "入户核查核实" in visit and "自付四万元" in visit
    for step, body in (("village-notice", VILLAGE_NOTICE), ("township-review", TOWNSHIP_REVIEW),
                       ("county-decision", COUNTY_DECISION)):
        home.do(f"/identification/{step}", body)
    home.do("/risk-analyses", {**RISK_ANALYSIS, "needs": ["健康帮扶", "就业帮扶"]})
    needs = _earlier(client.get(f"{path}/assign_measure").text)
    assert "帮扶需求：健康帮扶、就业帮扶" in needs
