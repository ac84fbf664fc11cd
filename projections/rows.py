"""What each read model holds for one household, derived from its case file.

Every read model row is a function of the household's state at some version, computed with the
domain's own properties (stage, inclusion, owed steps…), so a read model can never disagree with
the rules. Replacing a household's rows with these is idempotent: applying a batch twice, or
rebuilding from scratch, gives the same rows.

Dates that depend on "today" (days in monitoring, days overdue, visited this month) are not
stored; the queries compute them from the stored dates.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import msgspec

from domain.codes import HouseholdType, MeasureStatus
from domain.household import Household
from domain.identity import mask_id_number
from domain.indicators import INDICATORS_VERSION, household_facts
from domain.rules import IDENTIFICATION_DAYS
from domain.values import Case

Row = tuple[Any, ...]

#: Bump a read model's version when its tables change: stores holding an older version drop
#: and rebuild it from the log when opened.
SCHEMA_VERSIONS: dict[str, int] = {
    "directory": 2, "monitoring": 1, "cases": 2, "push_ledger": 1,
    "indicator_facts": INDICATORS_VERSION,
}

#: The read models, each a set of tables keyed by household id.
TABLES: dict[str, tuple[str, ...]] = {
    "directory": ("rm_households", "rm_members"),
    "monitoring": ("rm_monitoring", "rm_monitoring_periods"),
    "cases": ("rm_case_queue",),
    "push_ledger": ("rm_alerts",),
    "indicator_facts": ("rm_indicator_facts",),
}

#: Column names of each table, in insertion order (the first is always household_id).
COLUMNS: dict[str, tuple[str, ...]] = {
    "rm_households": (
        "household_id", "code", "township", "village", "address", "household_type",
        "head_name", "head_id_masked", "members", "monitored", "category", "visit_due",
        "last_visit_on", "version",
    ),
    "rm_members": ("household_id", "id_number", "name", "relation", "current"),
    "rm_monitoring": (
        "household_id", "code", "township", "village", "head_name", "head_id_masked",
        "household_type", "category", "risk_types", "case_number", "included_on",
        "measures_in_place", "measures_planned", "first_in_place_on", "first_in_place_days",
        "last_visit_on", "eliminating",
    ),
    "rm_monitoring_periods": (
        "household_id", "case_number", "code", "township", "village", "head_name", "category",
        "risk_types", "from_on", "to_on", "ended_how",
    ),
    "rm_case_queue": (
        "household_id", "case_number", "code", "township", "village", "head_name", "stage",
        "discovered_on", "deadline_on", "green_channel", "owed_steps", "pending_steps",
        "re_entry",
    ),
    "rm_alerts": (
        "household_id", "alert_id", "code", "township", "village", "channel", "department",
        "tier", "batch_id", "period", "discovered_on", "recorded_at", "outcome",
        "duplicate_of", "case_number", "case_stage",
    ),
    "rm_indicator_facts": ("household_id", "township", "facts"),
}


def _joined(values: Any) -> str:
    return "、".join(values)


def directory_rows(household: Household) -> dict[str, list[Row]]:
    head = household.head
    last_visit = max((v.occurred_on for v in household.visits), default=None)
    return {
        "rm_households": [(
            household.id, household.code, household.township, household.village,
            household.address, household.household_type.value, head.name,
            mask_id_number(head.id_number), len(household.current_members()),
            household.is_monitoring_object,
            household.category.value if household.category else None,
            _visited_monthly(household), last_visit, household.version,
        )],
        "rm_members": [
            (household.id, m.id_number, m.name, m.relation.value, m.left_on is None)
            for m in household.members.values()
        ],
    }


def _visited_monthly(household: Household) -> bool:
    """Visited every month (domain.md §8–9): monitoring objects, 脱贫户, and households whose
    risk was eliminated (still visited after elimination)."""
    return (
        household.is_monitoring_object
        or household.household_type is HouseholdType.LIFTED_OUT
        or any(case.eliminated for case in household.cases)
    )


def monitoring_rows(household: Household) -> dict[str, list[Row]]:
    head = household.head
    masked = mask_id_number(head.id_number)
    rows: list[Row] = []
    case = household.monitored_case
    if case is not None:
        measures = [m for m in household.measures.values() if m.case_number == case.number]
        in_place = [m for m in measures if m.status is MeasureStatus.IN_PLACE]
        first_in_place = min((m.in_place_on for m in measures if m.in_place_on), default=None)
        rows.append((
            household.id, household.code, household.township, household.village, head.name,
            masked, household.household_type.value,
            case.category.value if case.category else None, _joined(case.risk_types),
            case.number, case.included_on, len(in_place),
            sum(1 for m in measures if m.status is MeasureStatus.PLANNED), first_in_place,
            (first_in_place - case.included_on).days if first_in_place and case.included_on
            else None,
            max((v.occurred_on for v in household.visits), default=None), case.eliminating,
        ))
    periods = [
        (
            household.id, c.number, household.code, household.township, household.village,
            head.name, c.category.value if c.category else None, _joined(c.risk_types),
            c.included_on, c.eliminated_on, "风险消除" if c.eliminated else None,
        )
        for c in household.cases if c.included
    ]
    return {"rm_monitoring": rows, "rm_monitoring_periods": periods}


def case_rows(household: Household) -> dict[str, list[Row]]:
    head = household.head
    return {"rm_case_queue": [
        _case_row(household, head.name, case)
        for case in household.cases if case.active and not case.included
    ]}


def _case_row(household: Household, head_name: str, case: Case) -> Row:
    pending = case.identification.owed_steps if case.identification.home_visit else ()
    owed = pending if case.green_channel else ()  # help started before these steps
    return (
        household.id, case.number, household.code, household.township, household.village,
        head_name, case.stage.value, case.opened_on,
        case.opened_on + timedelta(days=IDENTIFICATION_DAYS), case.green_channel is not None,
        ",".join(owed), ",".join(pending), case.re_entry,
    )


def push_ledger_rows(household: Household) -> dict[str, list[Row]]:
    """Every alert of the household with what became of it."""
    rows = []
    for alert in household.alerts.values():
        case = household.cases[alert.case_number - 1] if alert.case_number else None
        if alert.duplicate_of is not None:
            outcome = "重复"
        elif case is not None and case.alert_ids[0] == alert.alert_id:
            outcome = "新案件"
        else:
            outcome = "并入案件"
        rows.append((
            household.id, alert.alert_id, household.code, household.township, household.village,
            alert.channel.value, alert.department.value if alert.department else None,
            alert.tier.value if alert.tier else None, alert.batch_id, alert.period,
            alert.discovered_on, alert.recorded_at, outcome, alert.duplicate_of,
            alert.case_number, case.stage.value if case else None,
        ))
    return {"rm_alerts": rows}


#: Indicator facts are stored as this JSON; indicator results digest these very bytes.
FACTS_ENCODER = msgspec.json.Encoder()


def indicator_fact_rows(household: Household) -> dict[str, list[Row]]:
    """The household's indicator facts (domain.indicators), as JSON text."""
    facts = FACTS_ENCODER.encode(household_facts(household)).decode()
    return {"rm_indicator_facts": [(household.id, household.township, facts)]}


ROW_BUILDERS: dict[str, Callable[..., dict[str, list[Row]]]] = {
    "directory": directory_rows,
    "monitoring": monitoring_rows,
    "cases": case_rows,
    "push_ledger": push_ledger_rows,
    "indicator_facts": indicator_fact_rows,
}

