"""Helpers for the pure-domain tests: valid ID numbers, a registered household, a case walked
through identification, and assertions that a refused command recorded nothing.

No database, no clock: every date and recording time is given explicitly.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest

from domain import rules
from domain.codes import (
    Category,
    Channel,
    Check,
    Decision,
    Department,
    DisasterKind,
    EliminationMode,
    Finding,
    HouseholdType,
    LabourCapacity,
    MeasureType,
    Relation,
    RiskType,
    Role,
)
from domain.errors import DomainError
from domain.household import Household
from domain.identity import check_digit
from domain.relief import ReliefBand, ReliefBands
from domain.rules import CHINA_TIME
from domain.values import Actor, MemberDetails

COUNTY = Actor("county-1", Role.COUNTY_CENTRE)
TOWNSHIP = Actor("township-1", Role.TOWNSHIP_WORKSTATION)
VILLAGE = Actor("village-1", Role.VILLAGE_LIAISON)
DEPARTMENT = Actor("dept-1", Role.DEPARTMENT)

#: The day households are registered in most tests.
REGISTERED_ON = date(2023, 1, 10)
LINE = Decimal("8300")

#: The county's 防贫保 bands in the domain tests: illness 5,000–20,000 at 50%, above 20,000 at
#: 70%; disaster above 3,000 at 60%; accident above 5,000 at 60%; at most 50,000 a household a year.
RELIEF_BANDS = ReliefBands(
    effective_from=date(2023, 1, 1),
    bands=(
        ReliefBand(RiskType.ILLNESS, Decimal(5000), Decimal(20000), Decimal("0.5")),
        ReliefBand(RiskType.ILLNESS, Decimal(20000), None, Decimal("0.7")),
        ReliefBand(RiskType.NATURAL_DISASTER, Decimal(3000), None, Decimal("0.6")),
        ReliefBand(RiskType.ACCIDENT, Decimal(5000), None, Decimal("0.6")),
    ),
    yearly_cap=Decimal(50000),
)
#: What a valid payout states besides its cause and amount (a cost of 20,000 under the bands).
PAYOUT = {"out_of_pocket": Decimal("20000"), "insurer": "人保财险涞源支公司",
          "basic_living_in_difficulty": True, "bands": RELIEF_BANDS}

_serial = itertools.count(1)


def make_id(birth: date = date(1970, 5, 17), *, male: bool = True, region: str = "130630") -> str:
    """A fresh valid 18-digit resident ID number (GB 11643) with the given birth date and sex."""
    n = next(_serial)
    order = n % 100
    sex_digit = (1 if male else 0) + 2 * (n // 100 % 5)
    first_17 = f"{region}{birth:%Y%m%d}{order:02d}{sex_digit}"
    return first_17 + check_digit(first_17)


def at(day: date, hour: int = 12) -> datetime:
    """A recording time on ``day`` in China Standard Time (timezone-aware)."""
    return datetime.combine(day, time(hour), tzinfo=CHINA_TIME)


def when(day: date, by: Actor = VILLAGE, **extra: Any) -> dict[str, Any]:
    """The keyword arguments every command takes, recorded on the same day."""
    return {"occurred_on": day, "by": by, "at": at(day), "command_id": f"cmd-{next(_serial)}", **extra}


def member(name: str, id_number: str, relation: Relation, **kw: Any) -> MemberDetails:
    return MemberDetails(name, id_number, relation, **kw)


def registered(
    household_type: HouseholdType = HouseholdType.ORDINARY,
    *,
    code: str | None = None,
    lifted_out_year: int | None = None,
    members: list[MemberDetails] | None = None,
    labour: LabourCapacity = LabourCapacity.ORDINARY,
    on: date = REGISTERED_ON,
) -> Household:
    """A registered household (three members unless given) with its Registered event collected."""
    if members is None:
        members = [
            member("张三", make_id(date(1970, 5, 17)), Relation.HEAD, labour_capacity=labour),
            member("李四", make_id(date(1972, 3, 1), male=False), Relation.SPOUSE, labour_capacity=labour),
            member("张小", make_id(date(2010, 9, 1)), Relation.SON, labour_capacity=labour),
        ]
    if household_type is HouseholdType.LIFTED_OUT and lifted_out_year is None:
        lifted_out_year = 2019
    household = Household.register(
        code=code or f"130630-{next(_serial):06d}",
        township="王安镇",
        village="王安村",
        address="王安村1号",
        household_type=household_type,
        lifted_out_year=lifted_out_year,
        members=members,
        **when(on, COUNTY),
    )
    return household


def head_id(household: Household) -> str:
    return household.head.id_number


def other_members(household: Household) -> list[str]:
    return [m.id_number for m in household.current_members() if m.relation is not Relation.HEAD]


def raise_alert(
    household: Household,
    on: date,
    *,
    risk_types: tuple[RiskType, ...] = (RiskType.ILLNESS,),
    channel: Channel = Channel.SELF_DECLARATION,
    person: str | None = None,
    alert_id: str | None = None,
    **kw: Any,
):
    return household.raise_alert(
        alert_id=alert_id or f"A{next(_serial)}",
        channel=channel,
        person_id_number=person or head_id(household),
        risk_types=risk_types,
        **kw,
        **when(on),
    )


def include(
    household: Household,
    discovered_on: date = date(2023, 3, 1),
    *,
    category: Category | None = None,
    risk_types: tuple[RiskType, ...] = (RiskType.ILLNESS,),
    simplified: bool = True,
) -> int:
    """Walk a new case through the four identification steps; return its number.

    Alert on ``discovered_on``; home visit +1 day; notice +2…+6; township +3; county +8.
    """
    if category is None:
        category = (
            Category.UNSTABLE_LIFTED_OUT
            if household.household_type is HouseholdType.LIFTED_OUT
            else Category.EDGE_OF_POVERTY
        )
    disaster = {"disaster_kind": DisasterKind.FLOOD} if RiskType.NATURAL_DISASTER in risk_types else {}
    outcome = raise_alert(household, discovered_on, risk_types=risk_types, **disaster)
    number = outcome.case_number
    assert number is not None
    d = discovered_on
    household.verify_at_home(number, Finding.RISK_CONFIRMED, **when(d + timedelta(1)))
    household.conclude_village_deliberation(
        number,
        Decision.PASSED,
        notice_from=d + timedelta(2),
        notice_to=d + timedelta(6),
        **when(d + timedelta(7)),
    )
    household.complete_township_review(number, Decision.PASSED, **when(d + timedelta(3), TOWNSHIP))
    household.decide_at_county(
        number,
        Decision.PASSED,
        category=category,
        simplified=simplified,
        asset_comparison="" if simplified else "存款、房产、车辆比对无异常",
        **when(d + timedelta(8), COUNTY),
    )
    return number


def all_checks(*failed: Check) -> dict[Check, bool]:
    """The six visit checks, all passed except those named."""
    return {c: c not in failed for c in Check}


def analyse(household: Household, on: date, *, needs: tuple[MeasureType, ...] = (
        MeasureType.HEALTH, MeasureType.EMPLOYMENT, MeasureType.SOCIAL_SECURITY),
        labour: LabourCapacity = LabourCapacity.WEAK, reason: str = "") -> None:
    """A risk analysis of the active case (缺什么补什么): its needs are what measures answer."""
    household.analyse_risk(causes=[RiskType.ILLNESS], labour_capacity=labour, needs=list(needs),
                           reason=reason, **when(on, TOWNSHIP))


def help_until_eliminable(household: Household, included_on: date) -> date:
    """Analyse the risk, put a measure in place, visit every month with the income found above
    the line (six months of evidence), visit with all checks passed and assess income above it.

    Returns a date 6 months after inclusion on which elimination is allowed.
    """
    case = household.active_case
    again = case is not None and any(a.case_number == case.number for a in household.analyses)
    analyse(household, included_on + timedelta(1), reason="纳入后重新研判" if again else "")
    household.assign_measure(
        measure_id=f"M{next(_serial)}",
        measure_type=MeasureType.HEALTH,
        department=Department.HEALTH,
        responsible_person="王医生",
        **when(included_on + timedelta(2), TOWNSHIP),
    )
    measure_id = next(reversed(household.measures))
    household.put_measure_in_place(measure_id, **when(included_on + timedelta(10), TOWNSHIP))
    ready = included_on + timedelta(200)
    for month in rules.stability_months(ready):  # income stably above the line for 6 months
        household.record_visit(
            visit_id=f"V{next(_serial)}", visitor="网格员王", checks=all_checks(),
            per_capita_income=Decimal("12000"), line_in_force=LINE, **when(month + timedelta(14)),
        )
    household.record_visit(
        visit_id=f"V{next(_serial)}",
        visitor="网格员王",
        checks=all_checks(),
        **when(ready - timedelta(5)),
    )
    household.assess_income(
        assessment_id=f"I{next(_serial)}",
        year=ready.year - 1,
        wages=Decimal("30000"),
        business=Decimal("5000"),
        property=Decimal("0"),
        transfers=Decimal("2000"),
        production_costs=Decimal("1000"),
        line_in_force=LINE,
        **when(ready - timedelta(4)),
    )
    return ready


def eliminate(household: Household, start: date) -> None:
    """The four elimination steps starting on ``start``, all passed."""
    household.verify_elimination_at_home(
        EliminationMode.BY_HELP,
        line_in_force=LINE,
        **when(start),
    )
    household.conclude_elimination_notice(
        Decision.PASSED,
        notice_from=start + timedelta(1),
        notice_to=start + timedelta(5),
        **when(start + timedelta(6)),
    )
    household.complete_elimination_review(Decision.PASSED, **when(start + timedelta(7), TOWNSHIP))
    household.decide_elimination_at_county(
        Decision.PASSED,
        line_in_force=LINE,
        **when(start + timedelta(8), COUNTY),
    )


#: `refused` without a field: any field will do.
ANY_FIELD = object()


def snapshot(household: Household) -> tuple[int, list[int], str]:
    """Version, the pending events (by identity) and the whole state (repr)."""
    return household.version, [id(e) for e in household.pending_events], repr(household)


@contextlib.contextmanager
def refused(household: Household, code: str, field: object = ANY_FIELD) -> Iterator[Any]:
    """Expect a `DomainError` with ``code`` (and ``field`` when given) and that nothing was
    recorded: same version, same pending events, same state."""
    before = snapshot(household)
    with pytest.raises(DomainError) as info:
        yield info
    assert info.value.code == code, info.value
    if field is not ANY_FIELD:
        assert info.value.field == field, info.value
    assert info.value.message
    assert snapshot(household) == before, "a refused command recorded something"


def replay(events: list[Any]) -> Household:
    aggregate = None
    for event in events:
        aggregate = event.mutate(aggregate)
    assert aggregate is not None
    return aggregate
