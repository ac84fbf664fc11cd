"""Attaching evidence (证据附件) to a recorded fact: files uploaded first, named here by their
SHA-256 (`application.evidence`), recorded on the household as `EvidenceAttached`."""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta

from application.commands.base import LOCAL, HouseholdCommand, Recording
from application.commands.fields import Happened, Text
from domain.evidence import FACT_FORMS, MAX_ATTACHMENTS
from domain.household import Household

Sha256 = Annotated[str, Meta(min_length=64, max_length=64, pattern="^[0-9a-f]{64}$",
                             description="已上传文件的 SHA-256（POST /api/attachments 的答复）")]


class AttachEvidence(HouseholdCommand, kw_only=True):
    """Attach uploaded files (photos, scans, PDFs) as evidence of a recorded visit, alert,
    identification or elimination step, measure, payout or appeal of the household."""

    name = "attach_evidence"
    roles = LOCAL

    fact: Annotated[str, Meta(min_length=3, max_length=200,
                              description=f"证据所属的已记录事实：{FACT_FORMS}")]
    attachments: Annotated[list[Sha256], Meta(min_length=1, max_length=MAX_ATTACHMENTS,
                                              description="附件的 SHA-256（先上传）")]
    note: Annotated[Text, Meta(description="附件说明（拍的是什么）")] = ""
    occurred_on: Happened

    def attachment_digests(self) -> list[str]:
        return list(self.attachments)

    def run(self, household: Household, on: Recording) -> None:
        household.attach_evidence(self.fact, list(self.attachments), note=self.note,
                                  occurred_on=self.occurred_on, by=on.by, at=on.at,
                                  command_id=on.command_id)
