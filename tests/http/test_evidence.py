"""Evidence over HTTP, on both back ends: a grid worker uploads a photo and a scan, attaches
them to a visit; the case file shows them; whoever may read the household reads them (and the
access log says so); anyone else is refused; fake, foreign and oversized files are refused with
their reason."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import pytest

from tests.evidence_files import (
    GPS_IFD,
    exif_of,
    fake_png,
    oversized_jpeg,
    phone_photo,
    scanned_pdf,
)
from tests.http.conftest import ALL_CHECKS_PASS, Api
from tests.http.kit import (
    COUNTY_DECISION,
    MEASURE,
    RELIEF,
    RISK_ANALYSIS,
    Home,
    call,
    problem,
    register,
    set_relief_bands,
)

CODE = "130630101001"
EVIDENCE = f"/api/households/{CODE}/evidence"


def upload(api: Api, data: bytes, content_type: str = "image/jpeg", who: str = "village") -> dict:
    response = api.client.post("/api/attachments", content=data,
                               headers={**api.headers(who), "Content-Type": content_type})
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
def visited(api: Api) -> Api:
    api.register(CODE)
    api.ok(f"/api/households/{CODE}/visits", {"visit_id": "V-1", "visitor": "李网格",
                                               "checks": ALL_CHECKS_PASS, "occurred_on": "2025-11-30"},
           who="village")
    return api


class TestUploadAndAttach:
    def test_a_photo_and_a_scan_attached_to_a_visit_show_in_the_case_file(self, visited: Api) -> None:
        """Given a visit, when the grid worker uploads a phone photo (raw body) and a scan (a
        multipart form) and attaches both, then the case file lists them under the visit with
        their types and addresses, and the photo read back has no GPS position."""
        api = visited
        photo = upload(api, phone_photo())
        form = api.client.post("/api/attachments", headers=api.headers("village"),
                               files={"file": ("扫描.pdf", scanned_pdf(), "application/pdf")})
        assert form.status_code == 201, form.text
        scan = form.json()
        assert photo["media_type"] == "image/jpeg" and scan["media_type"] == "application/pdf"
        assert upload(api, phone_photo()) == photo  # the same bytes again: the same file

        answer = api.ok(EVIDENCE, {"fact": "visit:V-1", "attachments": [photo["sha256"], scan["sha256"]],
                                   "note": "门前与收入证明", "occurred_on": "2025-11-30"}, who="village",
                        key="attach-1")
        file = api.get(f"/api/households/{CODE}", "township").json()
        [evidence] = file["evidence"]
        assert (evidence["fact"], evidence["fact_label"], evidence["note"]) == (
            "visit:V-1", "入户走访 V-1", "门前与收入证明")
        assert [f["sha256"] for f in evidence["files"]] == [photo["sha256"], scan["sha256"]]
        assert evidence["files"][0]["thumbnail_url"] and evidence["files"][1]["thumbnail_url"] is None

        read = api.client.get(evidence["files"][0]["url"], headers=api.headers("auditor"))
        assert read.status_code == 200 and read.headers["content-type"] == "image/jpeg"
        assert hashlib.sha256(read.content).hexdigest() == photo["sha256"]
        assert not exif_of(read.content).get_ifd(GPS_IFD)
        thumbnail = api.client.get(evidence["files"][0]["thumbnail_url"], headers=api.headers("village"))
        assert thumbnail.status_code == 200 and thumbnail.headers["content-type"] == "image/jpeg"
        pdf = api.client.get(evidence["files"][1]["url"], headers=api.headers("village"))
        assert pdf.content == scanned_pdf() and pdf.headers["content-disposition"].startswith("attachment")

        history = api.get(f"/api/households/{CODE}/history").json()["entries"]
        assert history[-1]["event"] == "EvidenceAttached" and "2 个文件" in history[-1]["sentence"]
        assert history[-1]["version"] == answer["version"]

    def test_a_digest_never_uploaded_is_refused_naming_its_place(self, visited: Api) -> None:
        photo = upload(visited, phone_photo())
        response = visited.post(EVIDENCE, {"fact": "visit:V-1", "attachments": [photo["sha256"], "ab" * 32],
                                           "occurred_on": "2025-11-30"}, who="village")
        assert response.status_code == 422
        problem = response.json()
        assert (problem["code"], problem["field"]) == ("ATTACHMENT_UNKNOWN", "attachments[1]")
        assert "请先上传" in problem["detail"]

    def test_a_fact_the_case_file_does_not_hold_is_refused(self, visited: Api) -> None:
        photo = upload(visited, phone_photo())
        response = visited.post(EVIDENCE, {"fact": "visit:V-9", "attachments": [photo["sha256"]],
                                           "occurred_on": "2025-11-30"}, who="village")
        assert (response.status_code, response.json()["code"]) == (404, "FACT_NOT_FOUND")


@pytest.mark.parametrize(("data", "content_type", "status", "code"), [
    (fake_png(), "image/png", 422, "ATTACHMENT_UNREADABLE"),
    (oversized_jpeg(), "image/jpeg", 413, "ATTACHMENT_TOO_LARGE"),
    (b"GIF89a" + b"\x00" * 64, "image/gif", 415, "ATTACHMENT_TYPE"),
    (scanned_pdf(), "image/jpeg", 415, "ATTACHMENT_TYPE_MISMATCH"),
    (b"%PDF-1.4" + b"\x00" * (21 * 1024 * 1024), "application/pdf", 413, "REQUEST_TOO_LARGE"),
], ids=["fake-png", "oversized-photo", "gif", "pdf-called-jpeg", "over-the-body-limit"])
def test_a_file_refused_says_why_in_chinese(api: Api, data: bytes, content_type: str, status: int,
                                            code: str) -> None:
    response = api.client.post("/api/attachments", content=data,
                               headers={**api.headers("village"), "Content-Type": content_type})
    assert response.status_code == status, response.text
    problem = response.json()
    assert problem["code"] == code and any("\u4e00" <= ch <= "\u9fff" for ch in problem["detail"])
    if code == "ATTACHMENT_UNREADABLE":  # not the image library's English ("cannot identify…")
        assert not re.search(r"[a-z]{4,}", problem["detail"]), problem["detail"]


class TestWhoMayRead:
    def test_knowing_a_digest_is_not_holding_the_file(self, visited: Api) -> None:
        """A file another village's worker sent cannot be attached by one only told its digest
        (and so read through a household they cover): answered as an unknown digest. Sending
        the file itself shows one holds it."""
        api = visited
        theirs = upload(api, phone_photo(), who="other_village")
        body = {"fact": "visit:V-1", "attachments": [theirs["sha256"]], "occurred_on": "2025-11-30"}
        refused = api.post(EVIDENCE, body, who="village")
        assert (refused.status_code, refused.json()["code"]) == (422, "ATTACHMENT_UNKNOWN")
        upload(api, phone_photo())
        api.ok(EVIDENCE, body, who="village")

    def test_an_outsider_learns_nothing_of_a_digest(self, visited: Api) -> None:
        """Outside one's area every digest, kept or not, gets the same refusal."""
        api = visited
        kept = upload(api, phone_photo())
        for digest in (kept["sha256"], "0" * 64):
            answer = api.post(EVIDENCE, {"fact": "visit:V-1", "attachments": [digest],
                                         "occurred_on": "2025-11-30"}, who="other_village")
            assert (answer.status_code, answer.json()["code"]) == (403, "OUTSIDE_AREA")

    def test_only_those_who_may_read_the_household_read_its_files_and_each_read_is_logged(
            self, visited: Api) -> None:
        api = visited
        photo = upload(api, phone_photo())
        api.ok(EVIDENCE, {"fact": "visit:V-1", "attachments": [photo["sha256"]],
                          "occurred_on": "2025-11-30"}, who="village")
        url = f"/api/households/{CODE}/attachments/{photo['sha256']}"

        assert api.client.get(url, headers=api.headers("other_village")).status_code == 403
        assert api.client.get(url, headers=api.headers("department")).status_code == 403
        assert api.client.get(url, headers=api.headers("assessment")).status_code == 200
        log = api.get("/api/access-log", "auditor", household_code=CODE).json()
        reads = [(r["user"], r["route"], r["outcome"]) for r in log if r["route"] == url]
        assert ("grid-02", url, "refused:OUTSIDE_AREA") in reads
        assert ("assessment-01", url, "read") in reads

    def test_a_file_not_attached_to_this_household_is_not_found_there(self, visited: Api) -> None:
        """An upload alone belongs to no case file: no household's reader may fetch it."""
        api = visited
        photo = upload(api, phone_photo())
        response = api.client.get(f"/api/households/{CODE}/attachments/{photo['sha256']}",
                                  headers=api.headers("county"))
        assert (response.status_code, response.json()["code"]) == (404, "ATTACHMENT_NOT_FOUND")

    def test_roles_that_record_nothing_may_not_upload(self, api: Api) -> None:
        response = api.client.post("/api/attachments", content=scanned_pdf(),
                                   headers={**api.headers("auditor"), "Content-Type": "application/pdf"})
        assert (response.status_code, response.json()["code"]) == (403, "ROLE_FORBIDDEN")


def test_a_measure_a_payout_and_an_appeal_carry_their_papers(api: Api) -> None:
    """Given a household under help with a measure and a 防贫保 payout, and another whose appeal
    against a refusal is lodged, when the agreement, the bank slip and the household's proof are
    attached, then each case file lists them under their fact; a payout never made takes none."""
    set_relief_bands(api)
    helped = register(api, 1).included()
    helped.do("/risk-analyses", RISK_ANALYSIS, who="township")
    helped.do("/measures", MEASURE, who="township")
    helped.do("/relief-payouts", RELIEF, who="county")
    appealing = register(api, 2).deliberated()
    appealing.do("/identification/county-decision", {**COUNTY_DECISION, "decision": "不通过",
                                                     "reason": "存款超过标准"})
    appealing.do("/appeals", {"case_number": 1, "against": "不予认定", "appellant": "王建国",
                              "by_household": True, "content": "存款是为看病借的",
                              "occurred_on": "2025-03-12"}, who="village")
    appeal_id = appealing.file()["cases"][0]["appeals"][0]["appeal_id"]
    scan = hashlib.sha256(scanned_pdf()).hexdigest()

    def attach(home: Home, fact: str, who: str) -> Any:
        upload(api, scanned_pdf(), "application/pdf", who=who)  # each attaches what it uploaded
        return call(api, "POST", home.path + "/evidence", who, {
            "fact": fact, "attachments": [scan], "note": "纸质材料扫描", "occurred_on": "2025-05-01"})

    for home, fact, who in ((helped, "measure:M1", "township"), (helped, "payout:P1", "county"),
                            (appealing, f"appeal:{appeal_id}", "village")):
        answer = attach(home, fact, who)
        assert answer.status_code == 201, answer.text
    shown = [(e["fact"], e["fact_label"], [f["sha256"] for f in e["files"]])
             for e in helped.file()["evidence"]]
    assert [(fact, files) for fact, _, files in shown] == [("measure:M1", [scan]), ("payout:P1", [scan])]
    assert all(label for _, label, _ in shown), shown
    assert [e["fact"] for e in appealing.file()["evidence"]] == [f"appeal:{appeal_id}"]
    problem(attach(helped, "payout:P9", "county"), 404, "FACT_NOT_FOUND", "fact")
