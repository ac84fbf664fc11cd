"""Evidence attached to a recorded fact (证据附件): a visit's photos, an alert's or a step's
scanned papers, a measure's or a payout's receipts, an appeal's documents.

The fact stays as it was recorded; `EvidenceAttached` names it by its key (``visit:V-1``), with
the SHA-256 of each file, so the household's hash chain covers the files too. The files
themselves are kept beside the log (`application.evidence`); here a digest is only a text.
"""

from __future__ import annotations

from datetime import date, datetime

from domain.errors import InvalidValue, NotFound
from domain.evidence import FACT_FORMS, FACT_KINDS, Evidence, checked_digests, fact_kind
from domain.household.state import Event, HouseholdState
from domain.household.steps import STEP_NAMES
from domain.values import Actor


class EvidenceAttached(Event):
    """Files attached as evidence of a recorded fact, named by their SHA-256 digests."""

    TOPIC = "fangpin:Household.EvidenceAttached"
    fact: str
    attachments: tuple[str, ...]
    note: str

    def apply_to(self, household: HouseholdState) -> None:
        household.evidence.append(Evidence(
            self.fact, tuple(self.attachments), self.note, self.occurred_on, self.recorded_by))


class EvidenceChapter(HouseholdState):
    """Attaching evidence to the facts of the case file."""

    def attach_evidence(
        self, fact: str, attachments: list[str], *, note: str = "",
        occurred_on: date, by: Actor, at: datetime, command_id: str = "",
    ) -> None:
        """Attach files (by digest) to a recorded visit, alert, step, measure, payout or appeal.
        The fact must be in the case file; a digest already attached to it is not repeated."""
        fact = fact.strip() if isinstance(fact, str) else ""
        if fact_kind(fact) is None:
            raise InvalidValue("FACT_UNKNOWN", f"证据须附于已记录的事实，写作：{FACT_FORMS}", "fact")
        if not self.has_fact(fact):
            kind = FACT_KINDS[fact_kind(fact) or ""]
            raise NotFound("FACT_NOT_FOUND", f"本户档案中没有{kind} {fact.partition(':')[2]}", "fact")
        digests = checked_digests(attachments)
        self._record(EvidenceAttached, occurred_on, by, at, command_id,
                     fact=fact, attachments=tuple(digests), note=(note or "").strip())

    def has_fact(self, fact: str) -> bool:
        """Whether the case file holds the fact a key names."""
        kind, _, rest = fact.partition(":")
        if kind == "visit":
            return any(visit.visit_id == rest for visit in self.visits)
        if kind == "alert":
            return rest in self.alerts
        if kind == "measure":
            return rest in self.measures
        if kind == "payout":
            return rest in self.payouts
        if kind == "appeal":
            return any(appeal.appeal_id == rest for case in self.cases for appeal in case.appeals)
        if kind == "step":
            number, _, rest = rest.partition(":")
            procedure_name, _, step = rest.partition(":")
            if not number.isdigit() or not 1 <= int(number) <= len(self.cases) \
                    or procedure_name not in ("identification", "elimination") \
                    or step not in STEP_NAMES:
                return False
            procedure = getattr(self.cases[int(number) - 1], procedure_name)
            return procedure is not None and getattr(procedure, step) is not None
        return False

    def evidence_of(self, fact: str) -> list[str]:
        """The digests attached to a fact, in the order attached."""
        digests = (d for evidence in self.evidence if evidence.fact == fact
                   for d in evidence.attachments)
        return list(dict.fromkeys(digests))

    def attached(self, digest: str) -> bool:
        """Whether a file of this digest is evidence in this case file."""
        return any(digest in evidence.attachments for evidence in self.evidence)
