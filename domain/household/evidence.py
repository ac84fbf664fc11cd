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
        return fact_kind(fact) is not None and any(key == fact for key, _ in self.evidence_facts())

    def evidence_facts(self) -> list[tuple[str, str]]:
        """Every fact of the case file evidence may be attached to: (key, the fact in words),
        the steps of each case first, then alerts, measures, payouts, appeals, and the visits
        latest first."""
        facts = []
        for case in self.cases:
            for procedure_name, said in (("identification", "认定"), ("elimination", "消除")):
                procedure = getattr(case, procedure_name)
                facts += [(f"step:{case.number}:{procedure_name}:{step}",
                           f"第 {case.number} 号案件{said}·{name}（{taken.occurred_on}）")
                          for step, name in STEP_NAMES.items()
                          if procedure is not None and (taken := getattr(procedure, step)) is not None]
        kinds = FACT_KINDS
        facts += [(f"alert:{a.alert_id}", f"{kinds['alert']} {a.alert_id}（{a.discovered_on}）")
                  for a in self.alerts.values()]
        facts += [(f"measure:{m.measure_id}",
                   f"{kinds['measure']} {m.measure_id}（{m.measure_type}，{m.started_on}）")
                  for m in self.measures.values()]
        facts += [(f"payout:{p.payout_id}", f"{kinds['payout']} {p.payout_id}（{p.occurred_on}）")
                  for p in self.payouts.values()]
        facts += [(f"appeal:{a.appeal_id}", f"{kinds['appeal']} {a.appeal_id}（{a.lodged_on}）")
                  for case in self.cases for a in case.appeals]
        facts += [(f"visit:{v.visit_id}", f"{kinds['visit']} {v.visit_id}（{v.occurred_on}）")
                  for v in reversed(self.visits)]
        return facts

    def evidence_of(self, fact: str) -> list[str]:
        """The digests attached to a fact, in the order attached."""
        digests = (d for evidence in self.evidence if evidence.fact == fact
                   for d in evidence.attachments)
        return list(dict.fromkeys(digests))

    def attached(self, digest: str) -> bool:
        """Whether a file of this digest is evidence in this case file."""
        return any(digest in evidence.attachments for evidence in self.evidence)
