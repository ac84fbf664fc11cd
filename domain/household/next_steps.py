"""What a household's case file calls for next, and what it allows at all: the workbench puts
the next steps first and hides what cannot apply. Names are the household's command methods.

Only the case's own state is read here; a command still checks every rule when it is sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from domain.codes import HouseholdType, MeasureStatus
from domain.values import Procedure

if TYPE_CHECKING:
    from domain.household.aggregate import Household

#: The identification and elimination steps by the name `Procedure` gives them.
IDENTIFICATION_STEPS = {
    "home_visit": "verify_at_home", "village_notice": "conclude_village_deliberation",
    "township_review": "complete_township_review", "county_decision": "decide_at_county",
}
ELIMINATION_STEPS = {
    "home_visit": "verify_elimination_at_home", "village_notice": "conclude_elimination_notice",
    "township_review": "complete_elimination_review", "county_decision": "decide_elimination_at_county",
}
#: Always possible on a registered household (the rules of each still apply when sent).
ALWAYS = ("raise_alert", "record_visit", "assess_income", "join_member", "leave_member",
          "update_member", "correct")
#: The people on a household (§七): assigning one while nobody holds the duty, else changing
#: or ending the one who does.
GRID_WORKER = ("assign_grid_worker", "change_grid_worker", "end_grid_worker")
HELPER = ("assign_helper", "change_helper", "end_helper")


@dataclass(frozen=True)
class Steps:
    """The commands to offer first, and every command the case file allows now."""

    next: tuple[str, ...]
    possible: frozenset[str]


def steps_for(household: Household, today: date) -> Steps:
    """The next steps of ``household``'s active case (or of its monthly visit) on ``today``."""
    case = household.active_case
    measures = list(household.measures.values())
    next_steps: list[str] = []
    possible = set(ALWAYS)
    lifted_out = household.household_type is HouseholdType.LIFTED_OUT
    if case is not None and not case.included:
        steps = _due(case.identification, IDENTIFICATION_STEPS)
        next_steps += steps
        possible |= set(steps)
        if case.identification.home_visit is not None and case.green_channel is None:
            possible.add("open_green_channel")
    if case is not None and case.helpable:
        mine = [m for m in measures if m.case_number == case.number]
        analysed = any(a.case_number == case.number for a in household.analyses)
        met = household.needs_met(case, by_deadline=False)[1]
        if not analysed:
            next_steps.append("analyse_risk")
        elif met is None:
            next_steps.append("assign_measure")
        if any(m.status is MeasureStatus.PLANNED for m in mine):
            next_steps.append("put_measure_in_place")
        possible |= {"analyse_risk", "assign_measure", "put_measure_in_place", "end_measure",
                     "subsidise_medical_insurance", "pay_relief_insurance"}
        if household.helper is None:  # an included case without its 帮扶责任人
            next_steps.append("assign_helper")
        elif household.helper_to_confirm is not None:  # named before: keep or change (§七)
            next_steps += ["confirm_helper", "change_helper"]
            possible.add("confirm_helper")
    if case is not None and case.monitored:
        steps = _due(case.elimination, ELIMINATION_STEPS) if case.eliminating else (
            ["verify_elimination_at_home"])
        possible |= set(steps)
        if case.eliminating:
            next_steps += steps
    if lifted_out and case is None:  # 四个不摘: follow-up help for a 脱贫户
        possible |= {"assign_measure", "put_measure_in_place", "end_measure"}
    if any(m.status in (MeasureStatus.PLANNED, MeasureStatus.IN_PLACE) for m in measures):
        possible.add("end_measure")
    last = household.cases[-1] if household.cases else None
    if last is not None and last.open_appeal is not None:  # 申诉: answered within 15 days
        next_steps.append("answer_appeal")
        possible.add("answer_appeal")
    elif last is not None and (last.closed or last.monitored or last.eliminated):
        possible.add("lodge_appeal")
    possible |= _staff(household.grid_worker is not None, GRID_WORKER)
    if household.may_have_helper or household.helper is not None:
        possible |= _staff(household.helper is not None, HELPER)
    visited = any(v.occurred_on.year == today.year and v.occurred_on.month == today.month
                  for v in household.visits)
    if household.visited_monthly and not visited:
        next_steps.append("record_visit")
    return Steps(tuple(dict.fromkeys(next_steps)), frozenset(possible))


def _staff(held: bool, names: tuple[str, str, str]) -> set[str]:
    """Change or end the person holding a duty; assign one while nobody does."""
    return set(names[1:]) if held else {names[0]}


def _due(procedure: Procedure | None, names: dict[str, str]) -> list[str]:
    """The steps of a four-step procedure that can be taken now: the visit first, then the
    notice and the township's review (either order), then the county's decision."""
    if procedure is None or procedure.home_visit is None:
        return [names["home_visit"]]
    if procedure.finished:
        return []
    owed = [step for step in ("village_notice", "township_review") if getattr(procedure, step) is None]
    return [names[step] for step in owed] or [names["county_decision"]]
