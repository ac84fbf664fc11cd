"""Evidence on the workbench: a household's photos show as thumbnails on its page and in its
timeline, open in full, and are read only by those who may read the household (logged)."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from application.commands import AttachEvidence
from domain.codes import Role
from tests.evidence_files import fake_png, phone_photo, scanned_pdf
from tests.web.test_workbench import USERS, VILLAGE, _hidden, _signed_in_client


def test_a_visit_photo_shows_on_the_household_page_for_its_village_only(workbench: dict[str, Any]) -> None:
    from application.demo import DEMO_TOKENS

    state = workbench["app"].state
    app = state.case_files
    household = next(h for h in map(app.household, app.iter_households())
                     if h.village == VILLAGE.village and h.latest_visit(app.today()))
    visit = household.latest_visit(app.today())
    photo = app.attachments().receive(phone_photo(colour="blue"), None, by=VILLAGE.name)
    scan = app.attachments().receive(scanned_pdf(padding=7), None, by=VILLAGE.name)
    app.execute(household.code, AttachEvidence(
        fact=f"visit:{visit.visit_id}", attachments=[photo.sha256, scan.sha256], note="门前照片",
        occurred_on=visit.occurred_on), by=VILLAGE.actor)
    base = f"/web/households/{household.code}/attachments"

    village = _signed_in_client(workbench, VILLAGE.name, DEMO_TOKENS[Role.VILLAGE_LIAISON])
    try:
        page = village.get(f"/web/households/{household.code}").text
        evidence = page.split('id="evidence"')[1].split("</section>")[0]
        assert f"入户走访 {visit.visit_id}" in evidence and "门前照片" in evidence
        assert f'src="{base}/{photo.sha256}/thumbnail"' in evidence
        assert f'href="{base}/{scan.sha256}"' in evidence and f"文件 {scan.sha256[:12]}" in evidence
        timeline = page.split('id="timeline"')[1]
        assert f'src="{base}/{photo.sha256}/thumbnail"' in timeline
        small = village.get(f"{base}/{photo.sha256}/thumbnail")
        assert small.status_code == 200 and small.headers["content-type"] == "image/jpeg"
        full = village.get(f"{base}/{photo.sha256}")
        assert full.status_code == 200 and len(full.content) == photo.size
    finally:
        village.close()
    log = state.access_log.query(household_code=household.code)
    assert any(r.route == f"{base}/{photo.sha256}/thumbnail" and r.outcome == "read" for r in log)

    department = _signed_in_client(workbench, USERS[Role.DEPARTMENT].name, DEMO_TOKENS[Role.DEPARTMENT])
    try:
        assert department.get(f"{base}/{photo.sha256}").status_code == 403
    finally:
        department.close()


def test_files_picked_on_the_attach_form_are_uploaded_and_attached_to_the_visit(
        workbench: dict[str, Any]) -> None:
    """Given a visit of the village, when its 网格员 picks a photo and a scan on the attach form,
    then both are kept and attached by their digests — no digest typed; a fake image is refused
    beside the field with its reason, and a file kept before a refusal needs no second pick."""
    from application.demo import DEMO_TOKENS

    app = workbench["app"].state.case_files
    household = [h for h in map(app.household, app.iter_households())
                 if h.village == VILLAGE.village and h.latest_visit(app.today())][-1]
    visit = household.latest_visit(app.today())
    form_url = f"/web/households/{household.code}/do/attach_evidence"
    before = len(household.evidence)

    village = _signed_in_client(workbench, VILLAGE.name, DEMO_TOKENS[Role.VILLAGE_LIAISON])
    try:
        page = village.get(form_url).text
        form = page.split('id="command-form"')[1].split("</form>")[0]
        assert 'enctype="multipart/form-data"' in form
        assert 'type="file" id="f-attachments" name="attachments-files" multiple' in form
        assert 'accept="image/jpeg,image/png,application/pdf"' in form
        assert "SHA-256" not in form, "no digest to type"
        # the fact is picked from the household's facts, in words, not typed as a key
        assert '<select id="f-fact" name="fact">' in form
        assert (f'<option value="visit:{visit.visit_id}" >入户走访 {visit.visit_id}'
                f'（{visit.occurred_on}）</option>') in form

        def send(page: str, files: list[tuple[str, bytes, str]], fact: str) -> Any:
            return village.post(form_url, data={
                "_csrf_token": _hidden(page, "_csrf_token"), "form_id": _hidden(page, "form_id"),
                "fact": fact, "note": "门前与签字表", "occurred_on": str(visit.occurred_on),
                **{k: v for k, v in re.findall(r'name="(attachments-\d+)" value="([^"]+)"', page)},
            }, files=[("attachments-files", f) for f in files])

        photo, scan = phone_photo(colour="maroon"), scanned_pdf(padding=11)
        fake = send(page, [("门前.jpg", photo, "image/jpeg"), ("门牌.png", fake_png(), "image/png")],
                    f"visit:{visit.visit_id}")
        assert fake.status_code == 200
        assert re.search(r'id="error-attachments">门牌.png：文件开头像PNG 图片，但无法完整解码', fake.text)
        assert f'value="visit:{visit.visit_id}" selected' in fake.text, "what was picked is shown again"
        assert "已上传 1 个文件" in fake.text, "the photo before the fake one is kept"

        wrong = send(fake.text, [("签字表.pdf", scan, "application/pdf")], "visit:V-没有这次走访")
        assert wrong.status_code == 200 and "FACT_NOT_FOUND" in wrong.text
        assert "已上传 2 个文件" in wrong.text

        done = send(wrong.text, [], f"visit:{visit.visit_id}")  # no second pick
        assert done.status_code in (302, 303), done.text
        shown = village.get(done.headers["location"]).text
        assert "已记录：附上证据" in shown
    finally:
        village.close()
    evidence = app.household(household.code).evidence
    assert len(evidence) == before + 1
    attached = evidence[-1]
    assert attached.fact == f"visit:{visit.visit_id}" and attached.note == "门前与签字表"
    kept = app.attachments().describe(attached.attachments)
    assert sorted(f.media_type for f in kept.values()) == ["application/pdf", "image/jpeg"]
    assert hashlib.sha256(scan).hexdigest() in attached.attachments, "a PDF is kept as sent"
