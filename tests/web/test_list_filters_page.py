"""The workbench's lists in Chromium: a place typed in part or picked from the user's area, and
columns sorted by a click on their header, the sort kept from page to page."""

from __future__ import annotations

import re
from typing import Any

from application.demo import DEMO_TOKENS, demo_users
from domain.codes import Role
from tests.web.conftest import login, screenshot

COUNTY = next(user for user in demo_users() if user.role is Role.COUNTY_CENTRE)


def test_a_village_found_by_part_of_its_name_and_a_list_sorted_by_its_header(
        new_page: Any, workbench: dict[str, Any]) -> None:
    page = new_page(viewport={"width": 1280, "height": 900})
    login(page, COUNTY.name, DEMO_TOKENS[Role.COUNTY_CENTRE])
    page.click("nav.nav a:text-is('监测对象名单')")
    # the pick-list offers the county's villages
    offered = page.eval_on_selector_all("#village-choices option", "os => os.map(o => o.value)")
    assert "板桥村" in offered and len(offered) > 50
    # Given part of a name typed, Then every village containing it is listed
    page.fill("#monitoring-filters input[name=village]", "板桥")
    page.click("#monitoring-filters button[type=submit]")
    page.wait_for_url(re.compile("village="))
    assert set(page.locator("#monitoring-table td[data-label=村]").all_text_contents()) == {"板桥村"}
    page.fill("#monitoring-filters input[name=village]", "庄")
    page.click("#monitoring-filters button[type=submit]")
    page.wait_for_url(re.compile("village=%E5%BA%84"))
    villages = page.locator("#monitoring-table td[data-label=村]").all_text_contents()
    assert villages and all("庄" in v for v in villages) and len(set(villages)) > 1
    # When the 户主 header is clicked, Then the list is sorted by it, and the header says so
    page.click("#monitoring-table thead a[data-sort=head_name]")
    page.wait_for_selector("#monitoring-table th[aria-sort=ascending] a[data-sort=head_name]")
    heads = page.locator("#monitoring-table td[data-label=户主]").all_text_contents()
    page.click("#monitoring-table thead a[data-sort=head_name]")
    page.wait_for_selector("#monitoring-table th[aria-sort=descending] a[data-sort=head_name]")
    assert page.locator("#monitoring-table td[data-label=户主]").all_text_contents() == heads[::-1]
    assert page.input_value("#monitoring-filters input[name=village]") == "庄", "the filter is kept"
    screenshot(page, "13-monitoring-sorted")
