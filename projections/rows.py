"""What each read model holds for one household, derived from its case file.

Every read model row is a function of the household's state at some version, computed with the
domain's own properties (stage, inclusion, owed steps…), so a read model can never disagree with
the rules. Replacing a household's rows with these is idempotent: applying a batch twice, or
rebuilding from scratch, gives the same rows.

Dates that depend on "today" (days in monitoring, days overdue, visited this month) are not
stored; the queries compute them from the stored dates. The one exception to "a function of the
household" is a household's settled indicator counts (rm_indicator_tallies), found with the
county's poverty lines as the projection knows them when it writes them, and naming them: a
result judged by other lines does not use them (`projections.source.KnownPovertyLines`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec
from msgspec import Struct

from domain.codes import MeasureStatus
from domain.deadlines import measure_deadline
from domain.household import DUPLICATE, JOINED_CASE, NEW_CASE, Household
from domain.identity import mask_id_number
from domain.indicators import household_facts, may_count, settled_counts, settled_years
from domain.values import Case
from projections.source import poverty_lines_in_use
from projections.tables import (
    AlertRow,
    AppealRow,
    CaseQueueRow,
    HouseholdRow,
    IndicatorFactsRow,
    IndicatorTallyRow,
    MeasureRow,
    MemberRow,
    MonitoredRow,
    MonitoringPeriodRow,
)

#: A read-model row: an instance of its table's Struct (`projections.tables`).
Row = Struct
#: What a builder returns: the household's rows, table by table.
Rows = dict[str, list[Row]]


def _joined(values: Any) -> str:
    return "、".join(values)


def _staff(household: Household) -> dict[str, str | None]:
    """The columns naming who answers for the household now (§七)."""
    worker, helper = household.grid_worker, household.helper
    return {
        "grid_worker": worker.name if worker else None,
        "grid_worker_phone": worker.phone if worker else None,
        "helper": helper.name if helper else None,
        "helper_unit": helper.unit if helper else None,
        "helper_phone": helper.phone if helper else None,
    }


def directory_rows(household: Household) -> Rows:
    head = household.head
    category = household.category.value if household.category else None
    last_visit = max((v.occurred_on for v in household.visits), default=None)
    return {
        "rm_households": [HouseholdRow(
            household_id=household.id, code=household.code, township=household.township,
            village=household.village, address=household.address,
            household_type=household.household_type.value, head_name=head.name,
            head_id_masked=mask_id_number(head.id_number),
            members=len(household.current_members()), monitored=household.is_monitoring_object,
            category=category,
            visit_due=household.visited_monthly, last_visit_on=last_visit,
            version=household.version, **_staff(household),
        )],
        "rm_members": [
            MemberRow(household_id=household.id, id_number=m.id_number, name=m.name,
                      relation=m.relation.value, current=m.left_on is None, code=household.code,
                      township=household.township, village=household.village,
                      household_type=household.household_type.value,
                      monitored=household.is_monitoring_object, category=category,
                      sex=m.sex.value, birth_date=m.birth_date, health=m.health.value,
                      labour_capacity=m.labour_capacity.value, in_school=m.in_school,
                      insured=m.insured)
            for m in household.members.values()
        ],
    }


def measure_rows(household: Household) -> Rows:
    """Every help measure of the household, with the day it should be in place by."""
    rows: list[Row] = []
    for m in household.measures.values():
        case = household.cases[m.case_number - 1] if m.case_number else None
        included = case.included_on if case is not None else None
        rows.append(MeasureRow(
            household_id=household.id, measure_id=m.measure_id, code=household.code,
            township=household.township, village=household.village,
            head_name=household.head.name, case_number=m.case_number,
            measure_type=m.measure_type.value, department=m.department.value,
            responsible_person=m.responsible_person, started_on=m.started_on,
            status=m.status.value, amount=str(m.amount) if m.amount is not None else None,
            in_place_on=m.in_place_on, ended_on=m.ended_on,
            deadline_on=measure_deadline(included) if included else None,
        ))
    return {"rm_measures": rows}


def monitoring_rows(household: Household) -> Rows:
    head = household.head
    rows: list[Row] = []
    case = household.monitored_case
    if case is not None and case.included_on is not None:
        measures = [m for m in household.measures.values() if m.case_number == case.number]
        first_in_place = min((m.in_place_on for m in measures if m.in_place_on), default=None)
        _, needs_met_on = household.needs_met(case, by_deadline=False)
        rows.append(MonitoredRow(
            household_id=household.id, code=household.code, township=household.township,
            village=household.village, head_name=head.name,
            head_id_masked=mask_id_number(head.id_number),
            household_type=household.household_type.value,
            category=case.category.value if case.category else None,
            risk_types=_joined(case.risk_types), case_number=case.number,
            included_on=case.included_on,
            measures_in_place=sum(1 for m in measures if m.status is MeasureStatus.IN_PLACE),
            measures_planned=sum(1 for m in measures if m.status is MeasureStatus.PLANNED),
            first_in_place_on=first_in_place,
            first_in_place_days=(first_in_place - case.included_on).days if first_in_place
            else None,
            needs_met_on=needs_met_on,
            needs_met_days=(needs_met_on - case.included_on).days if needs_met_on else None,
            last_visit_on=max((v.occurred_on for v in household.visits), default=None),
            eliminating=case.eliminating, **_staff(household),
            helper_to_confirm=household.helper_to_confirm is not None,
        ))
    periods: list[Row] = [
        MonitoringPeriodRow(
            household_id=household.id, case_number=c.number, code=household.code,
            township=household.township, village=household.village, head_name=head.name,
            category=c.category.value if c.category else None, risk_types=_joined(c.risk_types),
            from_on=c.included_on, to_on=c.eliminated_on,
            ended_how="风险消除" if c.eliminated else None,
        )
        for c in household.cases if c.included_on is not None
    ]
    return {"rm_monitoring": rows, "rm_monitoring_periods": periods}


def case_rows(household: Household) -> Rows:
    head = household.head
    return {
        "rm_case_queue": [_case_row(household, head.name, case)
                          for case in household.cases if case.active and not case.included],
        "rm_appeals": [
            AppealRow(household_id=household.id, appeal_id=a.appeal_id, case_number=case.number,
                      code=household.code, township=household.township,
                      village=household.village, head_name=head.name, against=a.against.value,
                      lodged_on=a.lodged_on, deadline_on=a.due_on,
                      deciding_role=a.deciding_role.value, answered_on=a.answered_on,
                      outcome=a.outcome.value if a.outcome else None)
            for case in household.cases for a in case.appeals],
    }


def _case_row(household: Household, head_name: str, case: Case) -> Row:
    return CaseQueueRow(
        household_id=household.id, case_number=case.number, code=household.code,
        township=household.township, village=household.village, head_name=head_name,
        stage=case.stage.value, discovered_on=case.opened_on,
        deadline_on=case.identification_deadline, green_channel=case.green_channel is not None,
        owed_steps=case.steps_owed_after_green_channel, pending_steps=case.pending_steps,
        re_entry=case.re_entry,
    )


def push_ledger_rows(household: Household) -> Rows:
    """Every alert of the household with what became of it."""
    rows: list[Row] = []
    for alert in household.alerts.values():
        case = household.cases[alert.case_number - 1] if alert.case_number else None
        if alert.duplicate_of is not None:
            outcome = DUPLICATE
        elif case is not None and case.alert_ids[0] == alert.alert_id:
            outcome = NEW_CASE
        else:
            outcome = JOINED_CASE
        rows.append(AlertRow(
            household_id=household.id, alert_id=alert.alert_id, code=household.code,
            township=household.township, village=household.village,
            channel=alert.channel.value,
            department=alert.department.value if alert.department else None,
            tier=alert.tier.value if alert.tier else None, batch_id=alert.batch_id,
            period=alert.period, discovered_on=alert.discovered_on,
            recorded_at=alert.recorded_at, outcome=outcome, duplicate_of=alert.duplicate_of,
            case_number=alert.case_number, case_stage=case.stage.value if case else None,
        ))
    return {"rm_alerts": rows}


#: Indicator facts are stored as this JSON; indicator results digest these very bytes.
FACTS_ENCODER = msgspec.json.Encoder()


def indicator_fact_rows(household: Household) -> Rows:
    """The household's indicator facts (domain.indicators), as JSON text, and whether any
    indicator may count it; if one may, its settled counts for each year it may count in,
    found with the poverty lines the projection knows (`poverty_lines_in_use`)."""
    facts = household_facts(household)
    counted = may_count(facts)
    tallies = []
    if counted:
        lines = poverty_lines_in_use()
        for year in settled_years(facts):
            settled = settled_counts(facts, year, lines)
            tallies.append(IndicatorTallyRow(
                household_id=household.id, year=year.start.year, settled_on=settled.settled_on,
                lines=settled.lines, alerts=bool(facts.alerts),
                counts=FACTS_ENCODER.encode(settled.counts).decode()))
    return {"rm_indicator_facts": [IndicatorFactsRow(
        household_id=household.id, township=household.township,
        facts=FACTS_ENCODER.encode(facts).decode(), counted=counted)],
        "rm_indicator_tallies": tallies}


ROW_BUILDERS: dict[str, Callable[[Household], Rows]] = {
    "directory": directory_rows,
    "monitoring": monitoring_rows,
    "cases": case_rows,
    "push_ledger": push_ledger_rows,
    "measures": measure_rows,
    "indicator_facts": indicator_fact_rows,
}
