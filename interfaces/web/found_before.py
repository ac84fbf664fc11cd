"""What a step's form shows of what came before it, for steps outside the four-step procedures
(whose forms show the steps before them: `interfaces.web.household._earlier_steps`): 入户核查
the case's alerts, 风险研判 the risk and the household visit, 帮扶措施 the needs analysed."""

from __future__ import annotations

from collections.abc import Callable

from domain.household import STEP_NAMES, Household
from domain.values import Case

Found = list[tuple[str, str]]


def _alerts_found(household: Household, case: Case) -> Found:
    """The alerts of the case: their risk types and what they say."""
    alerts = (household.alerts.get(alert_id) for alert_id in case.alert_ids)
    return [(f"预警 {a.alert_id}", f"{a.discovered_on}，{'、'.join(a.risk_types)}"
             + (f"：{a.description}" if a.description else "")) for a in alerts if a is not None]


def _risk_and_visit(household: Household, case: Case) -> Found:
    """The case's risk types and its household visit's finding."""
    found = [("风险类型", "、".join(case.risk_types))]
    visit = case.identification.home_visit
    if visit is not None:
        said = f"{visit.occurred_on}，{visit.decision}" + (f"：{visit.reason}" if visit.reason else "")
        found.append((STEP_NAMES["home_visit"], said + ("（风险清楚）" if case.risk_clear else "")))
    return found


def _needs_found(household: Household, case: Case) -> Found:
    """The needs the case's latest risk analysis found."""
    analysis = next((a for a in reversed(household.analyses) if a.case_number == case.number), None)
    if analysis is None:
        return []
    return [("风险研判", f"{analysis.occurred_on}，帮扶需求：{'、'.join(analysis.needs) or '无'}；"
             f"致贫返贫风险原因：{'、'.join(analysis.causes)}；劳动能力：{analysis.labour_capacity}"
             + (f"；{analysis.notes}" if analysis.notes else ""))]


#: Each such step's command, and what its form shows.
FOUND_BEFORE: dict[str, Callable[[Household, Case], Found]] = {
    "verify_at_home": _alerts_found, "analyse_risk": _risk_and_visit, "assign_measure": _needs_found}
