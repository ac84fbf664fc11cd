"""Evidence (证据附件): files attached, by their SHA-256, to a recorded fact of the case file."""

from __future__ import annotations

import hashlib
from datetime import date

from household_kit import VILLAGE, all_checks, include, refused, registered, replay, when

from domain.evidence import Evidence, fact_kind, is_sha256

D = date(2023, 6, 1)
PHOTO = hashlib.sha256(b"photo").hexdigest()
SCAN = hashlib.sha256(b"scan").hexdigest()


class TestAttachEvidence:
    def test_a_visit_photo_is_kept_on_the_case_file_and_survives_replay(self) -> None:
        """Given a recorded visit, when two photos are attached to it, then the case file names
        them under that visit, once each, and replaying the events gives the same."""
        household = registered()
        household.record_visit(visit_id="V-1", visitor="李网格", checks=all_checks(), **when(D))
        household.attach_evidence("visit:V-1", [PHOTO, SCAN, PHOTO], note="门前照片", **when(D))

        assert household.evidence == [Evidence("visit:V-1", (PHOTO, SCAN), "门前照片", D, VILLAGE)]
        assert household.evidence_of("visit:V-1") == [PHOTO, SCAN]
        assert household.attached(SCAN) and not household.attached("0" * 64)
        assert replay(household.collect_events()).evidence == household.evidence

    def test_each_kind_of_fact_may_carry_evidence(self) -> None:
        """Given a case walked through identification, then its steps and its alert take
        evidence; a step not taken does not."""
        household = registered()
        number = include(household)
        alert_id = household.cases[number - 1].alert_ids[0]
        for fact in (f"alert:{alert_id}", f"step:{number}:identification:home_visit",
                     f"step:{number}:identification:county_decision"):
            household.attach_evidence(fact, [PHOTO], **when(D))
        assert [e.fact for e in household.evidence][-1].endswith("county_decision")
        with refused(household, "FACT_NOT_FOUND", "fact"):
            household.attach_evidence(f"step:{number}:elimination:home_visit", [PHOTO], **when(D))

    def test_a_fact_not_in_the_case_file_or_of_no_kind_is_refused(self) -> None:
        household = registered()
        with refused(household, "FACT_NOT_FOUND", "fact"):
            household.attach_evidence("visit:V-9", [PHOTO], **when(D))
        with refused(household, "FACT_UNKNOWN", "fact"):
            household.attach_evidence("household", [PHOTO], **when(D))

    def test_a_digest_not_of_sha256_shape_is_refused_naming_its_place(self) -> None:
        household = registered()
        household.record_visit(visit_id="V-1", visitor="李网格", checks=all_checks(), **when(D))
        with refused(household, "ATTACHMENT_DIGEST", "attachments[1]"):
            household.attach_evidence("visit:V-1", [PHOTO, PHOTO.upper()], **when(D))
        with refused(household, "ATTACHMENTS_REQUIRED", "attachments"):
            household.attach_evidence("visit:V-1", [], **when(D))


def test_keys_and_digests_are_read_by_one_rule() -> None:
    assert fact_kind("step:1:identification:home_visit") == "step"
    assert fact_kind("visit:") is None and fact_kind("member:x") is None
    assert is_sha256(PHOTO) and not is_sha256(PHOTO[:-1]) and not is_sha256(None)
