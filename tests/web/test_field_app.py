"""The grid worker's offline app in Chromium (issue 23): a phone that signs in once, walks into a
valley with no signal, records visits, reloads, and sends them when the signal returns.

"No signal" is the honest kind: the server process is stopped while the phone is in the field
(Playwright's ``set_offline`` does not cut a service worker's own fetches — notes-tooling.md),
and started again on the same address when it comes back. The county is small and made here:
four 脱贫户 of the demo village user's village, each due a visit this month.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from application.accounts.access import User
from application.accounts.logins import DEVICE_SESSION_DAYS
from application.commands import AssignGridWorker
from application.demo import DEMO_TOKENS, ensure_demo_users
from application.settings import Settings
from domain.codes import Role
from domain.values import Actor
from interfaces.http import create_app
from tests.builders import STATED_MEMBER, id_number
from tests.conftest import TEST_CIPHER_KEY, shut_down
from tests.evidence_files import fake_png, phone_photo
from tests.web.conftest import Clock, Server, screenshot

CODES = [f"13063001001900{n}" for n in range(1, 5)]
IN_THE_FIELD = "2025-07-18"  # the day of the visits: before the server's "today" (Clock)
WITH_A_CAMERA = "2025-07-19"  # the day of the visits with photos


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    settings = Settings(sqlite_path=tmp_path_factory.mktemp("field") / "county.sqlite3",
                        cipher_key=TEST_CIPHER_KEY)
    clock = Clock()
    app = create_app(settings, clock=clock)
    issued = dict((user.role, user) for user, _ in ensure_demo_users(app.state.users))
    village = issued[Role.VILLAGE_LIAISON]
    server = Server(app)
    server.start()
    county_token = {"Authorization": f"Bearer {DEMO_TOKENS[Role.COUNTY_CENTRE]}"}
    for n, code in enumerate(CODES, start=1):
        registered = httpx.post(server.url + "/api/households", headers=county_token, json={
            "code": code, "township": village.township, "village": village.village,
            "address": f"{village.village}{n}号", "household_type": "脱贫户", "lifted_out_year": 2016,
            "members": [{"name": f"赵{'一二三四'[n - 1]}山", "relation": "本人",
                         "id_number": id_number(date(1960, 1, n), 10 + n), **STATED_MEMBER}],
            "occurred_on": "2024-01-01"})
        assert registered.status_code == 201, registered.text
    try:
        yield {"server": server, "app": app, "village": village, "clock": clock}
    finally:
        server.stop()
        shut_down(app)


@pytest.fixture
def phone(browser: Any, county: dict[str, Any]) -> Iterator[Any]:
    """A phone's browser, signed in to the app as the village's grid worker, its households
    downloaded and its service worker in control."""
    county["server"].start()  # back from the last test's field trip, if it stopped half-way
    context = browser.new_context(base_url=county["server"].url, locale="zh-CN",
                                  viewport={"width": 360, "height": 740}, is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto("/app/")
    page.fill("#name", county["village"].name)
    page.fill("#password", DEMO_TOKENS[Role.VILLAGE_LIAISON])
    page.click("#login button[type=submit]")
    page.wait_for_function(f"document.querySelectorAll('.household').length === {len(CODES)}")
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    yield page
    context.close()


#: What the service worker may keep: the app's own files, never an answer of the API.
APP_FILES = {"/app/", "/app/app.js", "/app/store.js", "/app/outbox.js", "/app/forms.js", "/app/photos.js",
             "/app/app.css", "/app/forms.json", "/app/manifest.webmanifest", "/app/icon.svg",
             "/app/icon-192.png", "/app/icon-512.png"}


def _kept_in_caches(page: Any) -> set[str]:
    return set(page.evaluate("""async () => {
        const kept = [];
        for (const name of await caches.keys()) {
            const cache = await caches.open(name);
            for (const request of await cache.keys()) kept.push(new URL(request.url).pathname);
        }
        return kept;
    }"""))


def _left_on_phone(page: Any) -> list[int]:
    """How many households and queued commands the phone's database holds."""
    return page.evaluate("""async () => {
        const store = await import('/app/store.js');
        return [(await store.all('households')).length, (await store.all('outbox')).length];
    }""")


def _in_the_field(page: Any, county: dict[str, Any]) -> None:
    county["server"].stop()
    page.context.set_offline(True)


def _back_in_signal(page: Any, county: dict[str, Any]) -> None:
    county["server"].start()
    page.context.set_offline(False)  # the page hears "online" and sends its queue


def _visit(page: Any, code: str, *, day: str = IN_THE_FIELD, income: str = "300",
           photos: tuple[bytes, ...] = ()) -> None:
    page.click(f".household[data-code='{code}']")
    page.click("#do-visit")
    page.fill("#f-occurred_on", day)
    page.fill("#f-income_change", income)
    if photos:
        _take_photos(page, photos)
    page.click("#command button[type=submit]")
    page.wait_for_selector(".item")


def _take_photos(page: Any, photos: tuple[bytes, ...]) -> None:
    """Photos taken with the form's camera, shown once the phone has made them small."""
    page.set_input_files("#f-photos", files=[
        {"name": f"IMG_{n}.jpg", "mimeType": "image/jpeg", "buffer": photo}
        for n, photo in enumerate(photos)])
    page.wait_for_function(f"document.querySelectorAll('#photo-list img').length === {len(photos)}")


def _visits(county: dict[str, Any], code: str, day: str = IN_THE_FIELD) -> list[Any]:
    return [v for v in county["app"].state.case_files.household(code).visits
            if v.occurred_on == date.fromisoformat(day)]


def test_three_visits_recorded_offline_are_recorded_once_when_the_signal_returns(
        phone: Any, county: dict[str, Any]) -> None:
    page = phone
    _in_the_field(page, county)
    for code in CODES[:2]:
        page.goto("/app/#/")
        _visit(page, code)
    # the third form is half typed when the browser goes down: nothing typed is lost
    page.goto("/app/#/")
    page.click(f".household[data-code='{CODES[2]}']")
    page.click("#do-visit")
    page.fill("#f-occurred_on", IN_THE_FIELD)
    page.fill("#f-income_change", "-150")
    page.uncheck("[name=passed][value=饮水安全]")
    _until(page, f"""async () => {{  // each keystroke is written as it is typed
        const draft = await (await import('/app/store.js')).get('drafts', '{CODES[2]}/visit');
        return draft?.typed.some(([name, value, on]) => value === '饮水安全' && !on);
    }}""")
    page.reload()
    # the draft is put back into the form as the page opens (from IndexedDB, a moment later)
    _until(page, "() => document.querySelector('#f-income_change')?.value === '-150'")
    assert not page.is_checked("[name=passed][value=饮水安全]")
    page.click("#command button[type=submit]")
    page.wait_for_function("document.querySelectorAll('.item.queued').length === 3")
    page.reload()  # still no signal: the app opens from the phone, its queue from IndexedDB
    page.goto("/app/#/outbox")
    page.wait_for_function("document.querySelectorAll('.item.queued').length === 3")
    assert page.text_content("#queued") == "3"
    screenshot(page, "field-app-offline-queue")

    _back_in_signal(page, county)
    page.wait_for_function("document.querySelectorAll('.item.recorded').length === 3")
    assert [len(_visits(county, code)) for code in CODES[:3]] == [1, 1, 1]
    water = _visits(county, CODES[2])[0]
    assert not water.checks["饮水安全"] and str(water.income_change) == "-150"
    # its failed check raised an alert, and the answer says what became of it
    assert "新案件" in page.text_content(f".item:has-text('{CODES[2]}') .answer")

    # The answer to the first was lost on the way: sent again, it is answered, not recorded again
    page.evaluate("""async () => {
        const store = await import('/app/store.js');
        const [first] = (await store.all('outbox')).sort((a, b) => a.seq - b.seq);
        await store.put('outbox', {...first, status: 'queued'});
    }""")
    page.click("#sync")
    page.wait_for_selector(".item.recorded:has-text('重发，未重复记录')")
    assert [len(_visits(county, code)) for code in CODES[:3]] == [1, 1, 1]


def test_a_household_changed_meanwhile_is_shown_as_a_conflict_with_what_changed(
        phone: Any, county: dict[str, Any]) -> None:
    page = phone
    code = CODES[3]
    _in_the_field(page, county)
    _visit(page, code, income="80")
    # Meanwhile, at the township, the household is given its 网格员
    county["app"].state.case_files.execute(code, AssignGridWorker(
        worker_name="钱网格", phone="13800138000", occurred_on=date(2025, 7, 19)),
        by=Actor("township-01", Role.TOWNSHIP_WORKSTATION))
    _back_in_signal(page, county)
    conflict = page.wait_for_selector(".item.conflict")
    assert "冲突" in conflict.text_content()
    assert "钱网格" in conflict.text_content(), "what changed is shown"
    assert _visits(county, code) == []
    screenshot(page, "field-app-conflict")
    # the worker has seen it and still records the visit
    page.click(".item.conflict button[data-anyway]")
    page.wait_for_selector(".item.recorded")
    assert len(_visits(county, code)) == 1


def test_a_refused_visit_is_shown_with_the_reason_in_chinese(phone: Any, county: dict[str, Any]) -> None:
    page = phone
    _visit(page, CODES[0], day="2025-08-30")  # after the server's today
    refused = page.wait_for_selector(".item.refused")
    assert "发生日期 2025-08-30 晚于登记日期 2025-07-20" in refused.text_content()


def test_signing_out_wipes_the_phones_copy(phone: Any) -> None:
    page = phone
    page.click("#sign-out")
    page.wait_for_selector("#login")
    assert "本机保存的资料已清除" in page.text_content("#notice")
    assert _left_on_phone(page) == [0, 0]
    assert _kept_in_caches(page) <= APP_FILES


def test_a_revoked_session_wipes_the_phones_copy(phone: Any, county: dict[str, Any]) -> None:
    page = phone
    logins, name = county["app"].state.logins, county["village"].name
    logins.set_password(name, "新密码-2025-07")  # a new password ends every session
    try:
        page.click("#sync")
        page.wait_for_selector("#login")
        assert "密码已更改，本机保存的资料已清除" in page.text_content("#notice")
        assert _left_on_phone(page) == [0, 0]
        assert _kept_in_caches(page) <= APP_FILES
    finally:
        logins.set_password(name, DEMO_TOKENS[Role.VILLAGE_LIAISON])


ON_A_LONG_TRIP = "2025-07-16"  # the day of the visits written before the session expired


def _expired_in_the_field(page: Any, county: dict[str, Any], code: str) -> None:
    """A visit written with no signal; the phone's session runs out before the signal returns."""
    _in_the_field(page, county)
    _visit(page, code, day=ON_A_LONG_TRIP)
    page.wait_for_selector(".item.queued")
    county["clock"].now += timedelta(days=DEVICE_SESSION_DAYS + 1)
    _back_in_signal(page, county)
    page.wait_for_selector("#login #kept-for")


def _sign_in(page: Any, name: str, password: str) -> None:
    page.fill("#name", name)
    page.fill("#password", password)
    page.click("#login button[type=submit]")


def test_an_expired_session_keeps_the_queue_and_sends_it_once_signed_in_again(
        phone: Any, county: dict[str, Any]) -> None:
    page, code, started = phone, CODES[1], county["clock"].now
    try:
        _expired_in_the_field(page, county, code)
        assert "登录已过期" in page.text_content("#notice")
        assert "未发送的 1 项仍保存着" in page.text_content("#notice")
        assert _left_on_phone(page) == [len(CODES), 1], "nothing is wiped"
        assert _visits(county, code, ON_A_LONG_TRIP) == []
        screenshot(page, "field-app-session-expired")
        _sign_in(page, county["village"].name, DEMO_TOKENS[Role.VILLAGE_LIAISON])
        page.wait_for_selector(".item.recorded")
        assert len(_visits(county, code, ON_A_LONG_TRIP)) == 1
    finally:
        county["clock"].now = started


def test_another_worker_signing_in_on_an_expired_phone_does_not_send_the_first_ones_queue(
        phone: Any, county: dict[str, Any]) -> None:
    page, code, started = phone, CODES[2], county["clock"].now
    village, state = county["village"], county["app"].state
    state.users.add(User(name="grid-second", role=Role.VILLAGE_LIAISON, township=village.township,
                         village=village.village, display_name="孙网格"))
    state.logins.set_password("grid-second", "孙网格的密码-2025")
    try:
        _expired_in_the_field(page, county, code)
        assert "用其他账号登录将清除这些记录" in page.text_content("#kept-for")
        _sign_in(page, "grid-second", "孙网格的密码-2025")
        page.wait_for_selector("#who:has-text('孙网格')")
        _until(page, "async () => (await (await import('/app/store.js')).all('households'))"
               f".length === {len(CODES)}")
        notice = page.text_content("#notice")
        assert f"{village.name}" in notice and "1 项尚未发送，已一并删除" in notice
        assert _left_on_phone(page) == [len(CODES), 0]
        assert _visits(county, code, ON_A_LONG_TRIP) == []
    finally:
        county["clock"].now = started
        state.logins.disable_user("grid-second")


def test_an_alert_from_a_failed_check_and_a_self_report_taken_at_the_door_offline(
        phone: Any, county: dict[str, Any]) -> None:
    page = phone
    code, head = CODES[1], id_number(date(1960, 1, 2), 12)
    _in_the_field(page, county)  # both written against the same file, sent one after the other
    page.click(f".household[data-code='{code}']")
    page.click("#do-alert")
    page.fill("#f-occurred_on", IN_THE_FIELD)
    page.fill("#f-person_id_number", head[:-1] + ("0" if head[-1] != "0" else "1"))
    assert "与本户成员不符" in page.text_content("#person-check")
    page.fill("#f-person_id_number", head)
    assert page.text_content("#person-check") == ""
    page.check("[name=failed][value=住房安全]")
    assert page.is_checked("[name=risk_types][value=其他]"), "the failed check signals its risk"
    page.fill("#f-description", "房屋墙体开裂")
    screenshot(page, "field-app-alert-form")
    page.click("#command button[type=submit]")
    page.wait_for_selector(".item.queued")
    page.goto("/app/#/")
    page.click(f".household[data-code='{code}']")
    page.click("#do-self_report")
    page.fill("#f-occurred_on", IN_THE_FIELD)
    page.fill("#f-person_id_number", head)
    page.check("[name=risk_types][value=因病]")
    page.fill("#f-description", "老伴住院，花费大")
    page.click("#command button[type=submit]")
    _back_in_signal(page, county)
    # the second was written before the first was recorded: our own alert is no conflict
    page.wait_for_function("document.querySelectorAll('.item.recorded').length === 2")
    alerts = county["app"].state.case_files.household(code).alerts.values()
    found = {(a.channel.value, tuple(p.value for p in a.problems), a.description) for a in alerts}
    assert ("乡村干部排查", ("住房安全问题",), "房屋墙体开裂") in found
    assert ("农户自主申报", (), "老伴住院，花费大") in found


def _outbox_photos(page: Any) -> list[dict[str, Any]]:
    """The photos of the phone's queue as it keeps them: their item's fact, status, digest, kind."""
    return page.evaluate("""async () => {
        const store = await import('/app/store.js');
        return (await store.all('outbox')).flatMap((item) => item.files.map((f) => ({
            fact: item.fact, status: f.status, sha256: f.sha256, type: f.blob.type, size: f.blob.size})));
    }""")


def test_a_photo_taken_offline_is_attached_once_to_its_visit_when_the_signal_returns(
        phone: Any, county: dict[str, Any]) -> None:
    page = phone
    code = CODES[0]
    _in_the_field(page, county)
    # a photo taken, the page reloaded before saving: the photo stays with the form
    page.click(f".household[data-code='{code}']")
    page.click("#do-visit")
    page.fill("#f-occurred_on", WITH_A_CAMERA)
    _take_photos(page, (phone_photo(colour="olive"),))
    page.reload()
    page.wait_for_function("document.querySelectorAll('#photo-list img').length === 1",
                           timeout=60_000)  # redrawn before shown: slow on a loaded machine
    page.click("#command button[type=submit]")
    page.wait_for_selector(".item")
    for other in CODES[1:3]:
        page.goto("/app/#/")
        _visit(page, other, day=WITH_A_CAMERA, income="120")
    page.wait_for_function("document.querySelectorAll('.item.queued').length === 3")
    [kept] = _outbox_photos(page)
    assert kept["type"] == "image/jpeg" and kept["status"] == "queued"
    page.reload()  # no signal still: the photo waits in IndexedDB with its visit
    page.goto("/app/#/outbox")
    page.wait_for_selector(".item.queued .photo.queued:has-text('照片 1：待上传')")
    screenshot(page, "field-app-photo-queued")

    _back_in_signal(page, county)
    page.wait_for_function("document.querySelectorAll('.item.recorded').length === 3")
    page.wait_for_selector(".photo.attached")
    [sent] = _outbox_photos(page)
    household = county["app"].state.case_files.household(code)
    [visit] = _visits(county, code, WITH_A_CAMERA)
    assert sent["fact"] == f"visit:{visit.visit_id}"
    assert [(e.fact, e.attachments) for e in household.evidence] == [(sent["fact"], (sent["sha256"],))]
    assert [len(_visits(county, c, WITH_A_CAMERA)) for c in CODES[:3]] == [1, 1, 1]
    shown = page.text_content(f".item:has-text('{code}') .photos")
    assert f"照片 1：已附上（{sent['fact']}）" in shown
    screenshot(page, "field-app-photo-attached")

    # the answers to the upload and the attachment were lost: sent again, nothing is kept twice
    page.evaluate("""async () => {
        const store = await import('/app/store.js');
        for (const item of await store.all('outbox')) {
            if (!item.files.length) continue;
            item.files.forEach((f) => { f.status = 'queued'; f.sha256 = null; });
            await store.put('outbox', item);
        }
    }""")
    # The app sends on every load and on 同步, so the queued state may be gone before a
    # selector could see it: the digest coming back (it was wiped) is the proof it was re-sent.
    page.goto("/app/#/outbox")
    page.click("#sync")
    _until(page, """async () => {
        const store = await import('/app/store.js');
        const files = (await store.all('outbox')).flatMap((item) => item.files);
        return files.length === 1 && files[0].status === 'attached' && !!files[0].sha256;
    }""")
    [resent] = _outbox_photos(page)
    assert resent["sha256"] == sent["sha256"] and resent["fact"] == sent["fact"]
    page.wait_for_selector(".item.recorded .photo.attached")
    household = county["app"].state.case_files.household(code)
    assert [(e.fact, e.attachments) for e in household.evidence] == [(sent["fact"], (sent["sha256"],))]


def test_a_fake_photo_is_refused_with_its_reason_and_the_alert_still_recorded(
        phone: Any, county: dict[str, Any]) -> None:
    page = phone
    code, head = CODES[3], id_number(date(1960, 1, 4), 14)
    page.click(f".household[data-code='{code}']")
    page.click("#do-alert")
    page.fill("#f-occurred_on", IN_THE_FIELD)
    page.fill("#f-person_id_number", head)
    page.check("[name=risk_types][value=因病]")
    page.fill("#f-description", "照片打不开")
    page.set_input_files("#f-photos", files=[
        {"name": "IMG_1.png", "mimeType": "image/png", "buffer": fake_png()},
        {"name": "IMG_2.jpg", "mimeType": "image/jpeg", "buffer": phone_photo(colour="navy")}])
    page.wait_for_function("document.querySelectorAll('#photo-list img').length === 2")
    page.click("#command button[type=submit]")
    page.wait_for_selector(".item.recorded .photo.attached")
    refused = page.text_content(".item.recorded .photo.refused")
    assert "照片 1：被拒绝" in refused and "无法完整解码（已损坏或伪造）" in refused
    screenshot(page, "field-app-photo-refused")
    [fake, real] = _outbox_photos(page)
    assert fake["sha256"] is None and fake["type"] == "image/png", "not redrawn: sent as taken"
    alert = next(a for a in county["app"].state.case_files.household(code).alerts.values()
                 if a.description == "照片打不开")
    evidence = county["app"].state.case_files.household(code).evidence
    assert [(e.fact, e.attachments) for e in evidence] == [(f"alert:{alert.alert_id}", (real["sha256"],))]


def _until(page: Any, check: str, seconds: float = 15) -> None:
    """Wait until the asynchronous ``check`` answers true. (`wait_for_function` takes the
    promise an async function returns for true at once, so it would not wait at all.)"""
    deadline = time.monotonic() + seconds
    while not page.evaluate(check):
        assert time.monotonic() < deadline, f"not true after {seconds} s: {check}"
        page.wait_for_timeout(100)
