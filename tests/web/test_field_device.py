"""What the grid worker's phone holds (issue 23), in Chromium: only the worker's own village,
ID numbers masked as the role sees them; and photos as the county's setting on location and
device data says (``FANGPIN_KEEP_PHOTO_METADATA``, here kept)."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Iterator
from datetime import date
from typing import Any

import httpx
import pytest
from PIL import Image

from application.demo import DEMO_TOKENS, ensure_demo_users
from application.settings import Settings
from domain.codes import Role
from interfaces.http import create_app
from tests.builders import STATED_MEMBER, id_number
from tests.conftest import TEST_CIPHER_KEY, shut_down
from tests.evidence_files import GPS_IFD, MAKE, ORIENTATION, phone_photo
from tests.web.conftest import Clock, Server

MINE = ["130630010019101", "130630010019102"]
ELSEWHERE = "130630010029101"  # a household of another village of the same township
HEADS = {code: id_number(date(1958, 3, n), 20 + n) for n, code in enumerate([*MINE, ELSEWHERE], 1)}


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    settings = Settings(sqlite_path=tmp_path_factory.mktemp("device") / "county.sqlite3",
                        cipher_key=TEST_CIPHER_KEY, keep_photo_metadata=True)
    app = create_app(settings, clock=Clock())
    issued = dict((user.role, user) for user, _ in ensure_demo_users(app.state.users))
    village = issued[Role.VILLAGE_LIAISON]
    server = Server(app)
    server.start()
    for code in [*MINE, ELSEWHERE]:
        registered = httpx.post(server.url + "/api/households", headers={
            "Authorization": f"Bearer {DEMO_TOKENS[Role.COUNTY_CENTRE]}"}, json={
            "code": code, "township": village.township,
            "village": village.village if code in MINE else "另一村", "address": f"{code[-3:]}号",
            "household_type": "脱贫户", "lifted_out_year": 2016,
            "members": [{"name": "钱老汉", "relation": "本人", "id_number": HEADS[code],
                         **STATED_MEMBER}],
            "occurred_on": "2024-01-01"})
        assert registered.status_code == 201, registered.text
    try:
        yield {"server": server, "app": app, "village": village}
    finally:
        server.stop()
        shut_down(app)


@pytest.fixture
def phone(browser: Any, county: dict[str, Any]) -> Iterator[Any]:
    """The village's grid worker signed in on a phone, its households downloaded."""
    context = browser.new_context(base_url=county["server"].url, locale="zh-CN",
                                  viewport={"width": 360, "height": 740}, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto("/app/")
    page.fill("#name", county["village"].name)
    page.fill("#password", DEMO_TOKENS[Role.VILLAGE_LIAISON])
    page.click("#login button[type=submit]")
    page.wait_for_function(f"document.querySelectorAll('.household').length === {len(MINE)}")
    yield page
    context.close()


def test_the_phone_holds_only_its_own_village_with_id_numbers_masked(phone: Any) -> None:
    """Given a household of another village in the same township, when the worker's phone has
    downloaded its households, then the phone's database holds neither that household nor any
    ID number in full: each one kept is masked."""
    held = phone.evaluate("""async () => {
        const store = await import('/app/store.js');
        return {households: await store.all('households'), meta: await store.all('meta')};
    }""")
    assert sorted(h["code"] for h in held["households"]) == MINE
    everything = json.dumps(held, ensure_ascii=False)
    assert ELSEWHERE not in everything
    assert not any(number in everything for number in HEADS.values())
    numbers = [m["id_number"] for h in held["households"] for m in h["members"]]
    numbers += [m["id_number"] for h in held["households"] for m in h["file"]["members"]]
    assert numbers and all("*" in n for n in numbers), numbers


def _taken(page: Any, photo: bytes) -> bytes:
    """The photo as the phone keeps it with the visit form, taken with the form's camera."""
    page.goto(f"/app/#/h/{MINE[0]}/visit")
    page.set_input_files("#f-photos", files=[
        {"name": "IMG_1.jpg", "mimeType": "image/jpeg", "buffer": photo}])
    # The phone redraws the photo before showing it: slow on a loaded machine, so a long wait.
    page.wait_for_function("document.querySelectorAll('#photo-list img').length === 1",
                           timeout=60_000)
    kept = page.evaluate(f"""async () => {{
        const draft = await (await import('/app/store.js')).get('drafts', '{MINE[0]}/visit');
        const bytes = new Uint8Array(await draft.photos.at(-1).arrayBuffer());
        let text = '';
        for (const b of bytes) text += String.fromCharCode(b);
        return btoa(text);
    }}""")
    page.click("#discard")
    # The draft is removed before the phone goes back to the household: wait for that, or the
    # next visit form opened could be sent back by it.
    page.wait_for_function(f"location.hash === '#/h/{MINE[0]}'")
    return base64.b64decode(kept)


def test_a_county_that_keeps_photo_metadata_tells_the_phone_and_the_phone_keeps_it(
        phone: Any, county: dict[str, Any]) -> None:
    photos = httpx.get(county["server"].url + "/app/forms.json").json()["photos"]
    assert photos["keep_metadata"] is True
    assert photos["max_bytes"] == {"image/jpeg": 10 * 1024 * 1024, "image/png": 10 * 1024 * 1024}

    small = phone_photo(colour="olive")  # already small enough: kept as taken
    assert _taken(phone, small) == small

    large = phone_photo(colour="teal", size=(2400, 1800))  # redrawn, its EXIF copied upright
    kept = Image.open(io.BytesIO(_taken(phone, large)))
    exif = kept.getexif()
    assert max(kept.size) == 1600 and kept.size == (1200, 1600), "turned as the camera held it"
    assert exif[MAKE] == "Xiaomi" and exif.get_ifd(GPS_IFD)[1] == "N"
    assert exif[ORIENTATION] == 1, "already upright: no viewer turns it again"


def test_without_the_setting_the_phone_leaves_location_and_device_behind(phone: Any) -> None:
    """The county's default: every photo redrawn, nothing of the camera's data kept."""
    kept = phone.evaluate("""async ([photo, rules]) => {
        const photos = await import('/app/photos.js');
        const taken = await (await fetch(`data:image/jpeg;base64,${photo}`)).blob();
        const kept = await photos.shrink(new File([taken], 'IMG_1.jpg', {type: 'image/jpeg'}), rules);
        let text = '';
        for (const b of new Uint8Array(await kept.arrayBuffer())) text += String.fromCharCode(b);
        return btoa(text);
    }""", [base64.b64encode(phone_photo()).decode(), {"keep_metadata": False}])
    picture = Image.open(io.BytesIO(base64.b64decode(kept)))
    assert picture.size == (480, 640) and not picture.getexif()
