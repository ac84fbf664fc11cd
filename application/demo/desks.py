"""What the demo leaves on its users' desks on its last day (issue 20: a county official signing
in must find work waiting, as on any working day).

The whole county leaves work open by itself — cases of the last weeks at their steps, visits
due, 帮扶责任人 of the latest inclusions to confirm — but the demo's township and village users
(`application.demo.users`: the first village of the first township) see a few households
only. So the households of their area, as they are generated, take `Stage`s: a few cases of
the last weeks caught at each step (a home visit owed and a village notice running in the
village; a township review and a county decision owed, a 脱贫户 just included whose 帮扶责任人
is still to be confirmed, and a monitoring object of a month whose 帮扶责任人 is still to be
named — among its next steps —, in the township) and three refused cases whose household appealed in
the last days — against the village's deliberation, the township's review and the county's
decision — with no answer yet. Each stage goes to the first household of its area whose deck
plan it fits (`fits`), in the order they come, so household ``i`` does not depend on how many
are asked for.
"""

from __future__ import annotations

from dataclasses import replace

from application.demo.county import Village, county
from application.demo.tables import (
    HELPER,
    INCLUDE,
    REJECT_COUNTY,
    REJECT_TOWNSHIP,
    REJECT_VILLAGE,
    Plan,
    Stage,
)

#: Left open in the demo users' village. A notice runs about five days after the home visit;
#: the village's appeal was lodged three weeks after its refusal.
VILLAGE_STAGES = (
    Stage("村级评议公示中", INCLUDE, discovered=5, hold="village_notice"),
    Stage("对村级评议结果的申诉", REJECT_VILLAGE, discovered=26, appeal=3),
    Stage("待入户核查", INCLUDE, discovered=1, hold="home_visit"),
)
#: Left open in the rest of the demo users' township. Thirteen days after discovery the notice
#: and the review are done (at most twelve days in: `application.demo.cases`), the decision
#: is due in two; sixteen days after, the county has decided (and a month later, a township
#: should have named a 帮扶责任人).
TOWNSHIP_STAGES = (
    Stage("待县级审定", INCLUDE, discovered=13, hold="county_decision"),
    Stage("待乡镇审核", INCLUDE, discovered=13, hold="township_review"),
    Stage("帮扶责任人待确认", INCLUDE, discovered=16, hold=HELPER, lifted_out=True),
    Stage("对乡镇审核结果的申诉", REJECT_TOWNSHIP, discovered=28, appeal=5),
    Stage("对县级不予认定的申诉", REJECT_COUNTY, discovered=30, appeal=2),
    Stage("帮扶责任人待指定", INCLUDE, discovered=45, hold=HELPER),
)


class DeskStages:
    """Hands the stages out to the households of the demo users' area as they are generated."""

    def __init__(self) -> None:
        first = county()[0]
        self.township, self.village = first.township, first.name
        self.left = {self.village: list(VILLAGE_STAGES), self.township: list(TOWNSHIP_STAGES)}

    def plan_for(self, village: Village, plan: Plan) -> Plan:
        """The household's plan, with — in the demo users' area — a stage that fits it: the
        village's first, else the township's (a 脱贫户 the one for 脱贫户 first)."""
        if village.township != self.township:
            return plan
        for area in (village.name, self.township):
            left = self.left.get(area, [])
            fitting = sorted((s for s in left if fits(s, plan)), key=lambda s: not s.lifted_out)
            if fitting:
                stage = fitting[0]
                left.remove(stage)
                return replace(plan, fate=stage.fate, stage=stage)
        return plan


def fits(stage: Stage, plan: Plan) -> bool:
    """Whether a household of ``plan`` may take ``stage``: a plain one any (for 脱贫户 only, a
    脱贫户); one whose deck plans an inclusion of its own, a stage that ends in inclusion too —
    what the deck marked it for (its income, a member left unsubsidised, an objection, a
    department's push) still happens — unless its case has a course of its own (a history,
    the green channel, an early elimination, a visit left owed, a late case)."""
    if stage.lifted_out and not plan.lifted_out:
        return False
    if plan.plain:
        return True
    return stage.fate == INCLUDE and plan.fate in (None, INCLUDE) and not (
        plan.history or plan.green or plan.eliminate or plan.pending or plan.late)
