"""Every page of the workbench fits its screen (issue 20): on a 1280 px desk and a 360 px phone,
for each role that sees it, the page does not scroll sideways and no box's text spills over.

The pages the other browser tests drive (my work, notices, self-report, the readable pages)
check themselves with the same `fits`; here is every page and command form, for the roles that
see it differently (the auditor's and the assessment team's among them), and the grid worker's
field app (/app/), each with a screenshot in the test's tmp dir. One signed-in tab per role
and width serves them all."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from application.accounts.access import ROLE_ALIASES
from application.demo import DEMO_TOKENS, demo_users
from domain.codes import Role
from interfaces.http.auth import area_of
from interfaces.web.household import COMMAND_FORMS
from interfaces.web.session import SESSION_COOKIE
from tests.web.conftest import DESKTOP, PHONE

USERS = {user.role: user for user in demo_users()}
COUNTY, TOWNSHIP, VILLAGE = Role.COUNTY_CENTRE, Role.TOWNSHIP_WORKSTATION, Role.VILLAGE_LIAISON
DEPARTMENT, AUDITOR, ASSESSMENT = Role.DEPARTMENT, Role.AUDITOR, Role.ASSESSMENT_TEAM
SCREENS = {"desk": DESKTOP, "phone": PHONE}
#: The lists and files of households, for the roles whose area or masking makes them differ.
HOUSEHOLDS = ["/web/monitoring", "/web/cases", "/web/search?q={prefix}", "/web/visits-due",
              "/web/households/{code}"]
#: Each page for the roles that see it differently ({code}: a household of the role's area with a
#: case open; {prefix}: the first digits of its code, so a search lists many; {elsewhere}: a
#: household outside the area). The A4 notice is paper, checked at A4 in test_notices_page.
PAGES: dict[Role | None, list[str]] = {
    None: ["/web/login", "/web/login?next=%2Fweb%2Fmonitoring", "/web/self-report", "/web/no-such-page"],
    COUNTY: ["/web/", *HOUSEHOLDS, "/web/notices", "/web/pushes", "/web/indicators",
             "/web/indicators?period=2025&indicator=走访覆盖率&area=全县", "/web/policy",
             "/web/self-reports", "/web/staff", "/web/register", "/web/reports/annual",
             "/web/reports/annual?year=2025-Q1", "/web/households/0"],
    TOWNSHIP: ["/web/", *HOUSEHOLDS, "/web/indicators", "/web/self-reports", "/web/register"],
    VILLAGE: ["/web/", *HOUSEHOLDS, "/web/notices", "/web/pushes", "/web/policy",
              "/web/households/{elsewhere}"],
    DEPARTMENT: ["/web/", "/web/department", "/web/pushes", "/web/indicators", "/web/monitoring"],
    AUDITOR: ["/web/", "/web/monitoring", "/web/cases", "/web/households/{code}", "/web/pushes",
              "/web/indicators", "/web/policy", "/web/self-reports", "/web/reports/annual"],
    ASSESSMENT: ["/web/", "/web/monitoring", "/web/households/{code}", "/web/pushes",
                 "/web/indicators", "/web/indicators?period=2025&indicator=走访覆盖率&area=全县",
                 "/web/policy", "/web/reports/annual"],
}


def _name(role: Role | None) -> str:
    return "anonymous" if role is None else next(k for k, v in ROLE_ALIASES.items() if v is role)


@pytest.fixture(scope="module")
def tabs(browser: Any, workbench: dict[str, Any]) -> Iterator[Any]:
    """A tab per (role, screen), signed in and kept for the module."""
    opened: dict[tuple[Role | None, str], Any] = {}

    def tab(role: Role | None, screen: str) -> Any:
        if (role, screen) not in opened:
            context = browser.new_context(base_url=workbench["url"], locale="zh-CN", **SCREENS[screen])
            if role is not None:  # signed in as the login form does, without its argon2 work
                session = workbench["app"].state.logins.open_session(USERS[role])
                context.add_cookies([{"name": SESSION_COOKIE, "value": session, "domain": "127.0.0.1",
                                      "path": "/web", "httpOnly": True}])
            page = context.new_page()
            page.set_default_timeout(15_000)
            opened[role, screen] = page
        return opened[role, screen]

    yield tab
    for page in opened.values():
        page.context.close()


def _filled(path: str, role: Role | None, workbench: dict[str, Any]) -> str:
    """The path with its household: {code} one of the role's area with a case open, {prefix}
    the first digits of its code (a search that lists many), {elsewhere} one outside the area."""
    if "{" not in path:
        return path
    from projections.queries import Area

    read_models = workbench["app"].state.read_models
    area = area_of(USERS[role])
    queued = read_models.case_queue(area, limit=1).rows
    code = (queued or read_models.directory(area, limit=1).rows)[0]["code"]
    if "{elsewhere}" in path:
        mine = {row["code"] for row in read_models.directory(area, limit=500).rows}
        code = next(row["code"] for row in read_models.directory(Area(), limit=500).rows
                    if row["code"] not in mine)
    return path.format(code=code, prefix=code[:9], elsewhere=code)


@pytest.mark.parametrize("screen", SCREENS)
@pytest.mark.parametrize(("role", "path"), [(role, path) for role, paths in PAGES.items() for path in paths],
                         ids=lambda v: _name(v) if v is None or isinstance(v, Role) else v)
def test_the_page_fits_the_screen(tabs: Any, fits: Any, workbench: dict[str, Any], role: Role | None,
                                  path: str, screen: str) -> None:
    page = tabs(role, screen)
    page.goto(_filled(path, role, workbench))
    fits(page, f"{_name(role)}-{screen}")


@pytest.mark.parametrize("screen", SCREENS)
@pytest.mark.parametrize("command", COMMAND_FORMS)
def test_the_command_form_fits_the_screen(tabs: Any, fits: Any, workbench: dict[str, Any], command: str,
                                          screen: str) -> None:
    page = tabs(COUNTY, screen)
    page.goto(_filled(f"/web/households/{{code}}/do/{command}", COUNTY, workbench))
    if command == "correct":  # a correction's old and new values show once its fact is picked
        with page.expect_navigation():
            page.select_option("select[name=corrects_version]", index=1)
        assert page.locator("table.changes").count() == 1
    fits(page, f"{command}-{screen}")


@pytest.mark.parametrize("screen", SCREENS)
def test_the_field_app_fits_the_screen(browser: Any, fits: Any, workbench: dict[str, Any],
                                       screen: str) -> None:
    """The grid worker's field app (/app/): its sign-in, then its list of households."""
    context = browser.new_context(base_url=workbench["url"], locale="zh-CN", **SCREENS[screen])
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto("/app/")
        fits(page, f"app-login-{screen}")
        page.fill("#name", USERS[VILLAGE].name)
        page.fill("#password", DEMO_TOKENS[VILLAGE])
        page.click("#login button[type=submit]")
        page.wait_for_function("document.querySelectorAll('.household').length > 0")
        fits(page, f"app-households-{screen}")
    finally:
        context.close()


def test_the_check_names_what_spills_and_leaves_what_scrolls_on_purpose(browser: Any, fits: Any) -> None:
    """Given a phone page with text wider than its box, a box that must scroll and a matrix that
    scrolls on purpose, the check fails naming the first two and its screenshot, not the third
    nor what a closed <details> hides."""
    page = browser.new_page(**PHONE)
    try:
        page.set_content("""<meta name="viewport" content="width=device-width">
            <p id="spilt" style="width: 100px; white-space: nowrap">监测对象识别认定第二步村级评议公示</p>
            <div id="forced" style="overflow-x: auto"><div style="width: 600px">推送台账</div></div>
            <div class="matrix-box" style="overflow-x: auto"><div style="width: 900px">考核指标</div></div>
            <details><summary>更多</summary><p id="hidden" style="width: 10px; white-space: nowrap">
                帮扶措施落实率</p></details>""")
        with pytest.raises(AssertionError) as refused:
            fits(page, "spilling")
    finally:
        page.close()
    said = str(refused.value)
    assert "p#spilt 文字溢出" in said and "div#forced 横向滚动" in said, said
    assert "matrix-box" not in said and "hidden" not in said, said
    shot = said.split("截图 ")[1].split("）")[0]
    assert shot.endswith("spilling.png") and Path(shot).exists()
