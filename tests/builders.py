"""Test data builders shared by the integration tests and benchmarks' checks."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date

from application.commands import MemberIn, RegisterHousehold
from domain.codes import Health, HouseholdType, LabourCapacity, Relation, Role
from domain.identity import check_digit
from domain.values import Actor, MemberDetails

VILLAGE = Actor("grid-01", Role.VILLAGE_LIAISON)
TOWNSHIP = Actor("township-01", Role.TOWNSHIP_WORKSTATION)
COUNTY = Actor("county-01", Role.COUNTY_CENTRE)


def id_number(birth: date, serial: int, area: str = "130630") -> str:
    """A valid 18-digit ID number; odd ``serial`` is male, even female."""
    first_17 = f"{area}{birth:%Y%m%d}{serial:03d}"
    return first_17 + check_digit(first_17)


HEAD_ID = id_number(date(1970, 5, 4), 11)
SPOUSE_ID = id_number(date(1972, 8, 9), 22)
CHILD_ID = id_number(date(2010, 2, 3), 31)


def family(other: int = 0) -> list[MemberDetails]:
    """A family of three. A person is in one household at a time: ``other`` (1 to 99) gives
    another family, whose ID numbers no other family has."""
    if other:
        births = (date(1970, 5, 4), date(1972, 8, 9), date(2010, 2, 3))
        head, spouse, child = (id_number(born, 100 + 3 * other + k) for k, born in enumerate(births))
    else:
        head, spouse, child = HEAD_ID, SPOUSE_ID, CHILD_ID
    return [
        MemberDetails("王建国", head, Relation.HEAD),
        MemberDetails("李秀英", spouse, Relation.SPOUSE),
        MemberDetails("王小明", child, Relation.SON, in_school=True),
    ]


#: A member's findings as an API body states them (健康状况, 劳动能力, 参保): required, never defaulted.
STATED_MEMBER = {"health": "健康", "labour_capacity": "普通劳动力", "insured": True}


def member_in(name: str, id_number: str, relation: Relation) -> MemberIn:
    """A member as joining, with the findings a clerk states (healthy, able to work, insured)."""
    return MemberIn(name=name, id_number=id_number, relation=relation, health=Health.HEALTHY,
                    labour_capacity=LabourCapacity.ORDINARY, insured=True)


def registration(
    code: str = "130630101001", household_type: HouseholdType = HouseholdType.ORDINARY
) -> dict:
    return {
        "code": code,
        "township": "银坊镇",
        "village": "东村",
        "address": "银坊镇东村12号",
        "household_type": household_type,
        "lifted_out_year": 2016 if household_type is HouseholdType.LIFTED_OUT else None,
        "members": family(),
        "occurred_on": date(2025, 1, 1),
        "by": COUNTY,
    }


def registering(
    code: str = "130630101001", household_type: HouseholdType = HouseholdType.ORDINARY,
    members: list[MemberDetails] | None = None,
) -> RegisterHousehold:
    """`registration` as the application's command (who registers it is said apart)."""
    fields = registration(code, household_type)
    del fields["by"]
    fields["members"] = [MemberIn(**asdict(member)) for member in members or fields["members"]]
    return RegisterHousehold(**fields)
