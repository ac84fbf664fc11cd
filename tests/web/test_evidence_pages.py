"""Evidence on the workbench: a household's photos show as thumbnails on its page and in its
timeline, open in full, and are read only by those who may read the household (logged)."""

from __future__ import annotations

from typing import Any

from application.commands import AttachEvidence
from domain.codes import Role
from tests.evidence_files import phone_photo, scanned_pdf
from tests.web.test_workbench import USERS, VILLAGE, _signed_in_client


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
