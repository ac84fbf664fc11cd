"""Evidence (证据附件): files attached, by their SHA-256, to a recorded fact of the case file."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from decimal import Decimal

from household_kit import (
    COUNTY,
    PAYOUT,
    TOWNSHIP,
    VILLAGE,
    all_checks,
    analyse,
    include,
    raise_alert,
    refused,
    registered,
    replay,
    when,
)

from domain.codes import AppealSubject, Decision, Department, Finding, MeasureType, RiskType
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

    def test_a_measure_and_a_payout_carry_their_papers(self) -> None:
        """Given a monitored household with a measure assigned and a 防贫保 payout made, when the
        signed agreement and the bank slip are attached, then each fact names its file; a
        measure or payout not in the case file takes none."""
        household = registered()
        include(household, D)
        analyse(household, D + timedelta(8))
        household.assign_measure(measure_id="M-1", measure_type=MeasureType.HEALTH,
                                 department=Department.HEALTH, responsible_person="王医生",
                                 **when(D + timedelta(9), TOWNSHIP))
        household.pay_relief_insurance(payout_id="P-1", cause=RiskType.ILLNESS,
                                       amount=Decimal("3000"), **PAYOUT, **when(D + timedelta(10)))
        household.attach_evidence("measure:M-1", [SCAN], note="帮扶协议", **when(D + timedelta(11)))
        household.attach_evidence("payout:P-1", [PHOTO], note="银行回单", **when(D + timedelta(11)))

        assert household.evidence_of("measure:M-1") == [SCAN]
        assert household.evidence_of("payout:P-1") == [PHOTO]
        # the facts offered to pick from, in words
        offered = dict(household.evidence_facts())
        assert offered["measure:M-1"] == f"帮扶措施 M-1（健康帮扶，{D + timedelta(9)}）"
        assert offered["payout:P-1"] == f"防贫保赔付 P-1（{D + timedelta(10)}）"
        assert offered["step:1:identification:county_decision"].startswith("第 1 号案件认定·县级比对审定")
        assert all(household.has_fact(key) for key in offered)
        assert replay(household.collect_events()).evidence == household.evidence
        for fact in ("measure:M-2", "payout:P-2"):
            with refused(household, "FACT_NOT_FOUND", "fact"):
                household.attach_evidence(fact, [PHOTO], **when(D + timedelta(11)))

    def test_an_appeal_carries_the_household_s_papers(self) -> None:
        """Given an appeal lodged against the county's refusal, when the household's bank
        statement is attached to it, then the appeal names it; an appeal never lodged does not."""
        household = registered()
        number = raise_alert(household, D).case_number
        household.verify_at_home(number, Finding.RISK_CONFIRMED, **when(D + timedelta(1)))
        household.conclude_village_deliberation(
            number, Decision.PASSED, notice_from=D + timedelta(2), notice_to=D + timedelta(6),
            **when(D + timedelta(7)))
        household.complete_township_review(number, Decision.PASSED, **when(D + timedelta(8), TOWNSHIP))
        household.decide_at_county(number, Decision.REJECTED, reason="存款超过标准",
                                   **when(D + timedelta(9), COUNTY))
        household.lodge_appeal(number, AppealSubject.REFUSAL, appeal_id="SS-1", appellant="张三",
                               content="存款是借的", by_household=True, **when(D + timedelta(10)))
        household.attach_evidence("appeal:SS-1", [SCAN], note="借款凭证", **when(D + timedelta(10)))

        assert household.evidence_of("appeal:SS-1") == [SCAN]
        with refused(household, "FACT_NOT_FOUND", "fact"):
            household.attach_evidence("appeal:SS-2", [SCAN], **when(D + timedelta(10)))

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
