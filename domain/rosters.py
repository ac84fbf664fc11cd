"""What each department's duty needs to see (domain.md §2, §15: 部门名册, 数据共享).

A department gets back the roster its duty is about — e.g. 医保局: the people of 脱贫户 and of
monitoring objects with their medical-insurance status, to enrol them (分类资助参保) — with only
the fields that duty needs. The table is data (``application/rosters.toml``, read by the
application and parsed by `parse_rosters`): per department, which households (脱贫户, 监测对象),
which of their current members (an age range, a health or a labour capacity, or the head
alone where the duty acts on the household), which fields,
and whether the duty needs ID numbers in full (otherwise they are masked, domain.md §2).
`RosterDuty.row` turns a person as the read model holds them into exactly those fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from domain.codes import Department, Health, HouseholdType, LabourCapacity
from domain.errors import InvalidValue
from domain.identity import mask_id_number
from domain.rules import add_months

#: Which households a roster may be about: 脱贫户 (建档立卡) and current monitoring objects.
LIFTED_OUT = HouseholdType.LIFTED_OUT.value
MONITORED = "监测对象"
POPULATIONS = (LIFTED_OUT, MONITORED)

#: Every field a roster may show (its key, as the API and the CLI name it) and its Chinese
#: heading (workbench, workbooks); a roster shows them in this order.
ROSTER_FIELDS: dict[str, str] = {
    "household_code": "户编号",
    "township": "乡镇",
    "village": "行政村",
    "household_type": "农户类型",
    "category": "监测对象类别",
    "name": "姓名",
    "id_number": "身份证号码",
    "relation": "与户主关系",
    "sex": "性别",
    "age": "年龄",
    "health": "健康状况",
    "labour_capacity": "劳动能力",
    "in_school": "在校生",
    "insured": "参加城乡居民基本医疗保险",
}

#: A roster always names the household and the person: a duty acts on someone.
REQUIRED_FIELDS = ("household_code", "name")


@dataclass(frozen=True)
class RosterDuty:
    """One department's roster: whom its duty is about, and what of them it may see."""

    department: Department
    duty: str  # the duty in the notice's words
    households: tuple[str, ...]  # POPULATIONS it covers (either one suffices)
    fields: tuple[str, ...]  # keys of ROSTER_FIELDS, in their order
    full_id_number: bool = False  # the duty needs the number itself (医保局 enrols people)
    ages: tuple[int, int] | None = None  # only members aged from–to (on the day read)
    health: tuple[Health, ...] = ()  # only members in one of these health states
    labour_capacity: tuple[LabourCapacity, ...] = ()
    #: One row per household: its head only (a duty that acts on the household, e.g. housing)
    heads_only: bool = False
    reading: str = ""  # why these people and fields (shown with the roster)

    @property
    def headings(self) -> dict[str, str]:
        return {key: ROSTER_FIELDS[key] for key in self.fields}

    def born_between(self, today: date) -> tuple[date, date] | None:
        """The birth dates of members within ``ages`` on ``today`` (earliest, latest), or None."""
        if self.ages is None:
            return None
        youngest, oldest = self.ages
        latest = add_months(today, -12 * youngest)
        earliest = add_months(today, -12 * (oldest + 1)) + timedelta(days=1)
        return earliest, latest

    def row(self, person: Mapping[str, Any], today: date) -> dict[str, Any]:
        """A person of the read model (`projections.tables.MemberRow`'s fields) as this roster
        shows them: exactly its fields, the ID number masked unless the duty needs it."""
        shown: dict[str, Any] = {}
        for key in self.fields:
            if key == "household_code":
                shown[key] = person["code"]
            elif key == "id_number":
                number = person["id_number"]
                shown[key] = number if self.full_id_number else mask_id_number(number)
            elif key == "age":
                shown[key] = age_on(person["birth_date"], today)
            else:
                shown[key] = person[key]
        return shown


def age_on(birth_date: date, today: date) -> int:
    """Full years of age on ``today``."""
    return today.year - birth_date.year - ((today.month, today.day) < (birth_date.month, birth_date.day))


def parse_rosters(table: Mapping[str, Any]) -> dict[Department, RosterDuty]:
    """The rosters of a roster table (``rosters.toml`` read as a dict), one ``[[roster]]`` per
    department. Refuses what it cannot read, naming the entry and the key."""
    rosters: dict[Department, RosterDuty] = {}
    for index, entry in enumerate(table.get("roster", [])):
        where = f"roster[{index}]"

        def refuse(message: str, field: str, where: str = where) -> InvalidValue:
            return InvalidValue("ROSTER_INVALID", f"{where}: {message}", field)

        unknown = set(entry) - {"department", "duty", "households", "fields", "full_id_number",
                                "ages", "health", "labour_capacity", "heads_only", "reading"}
        if unknown:
            raise refuse(f"未知的键 {'、'.join(sorted(unknown))}", sorted(unknown)[0])
        try:
            department = Department(entry["department"])
        except (KeyError, ValueError):
            raise refuse(f"未知的部门 {entry.get('department')!r}", "department") from None
        if department in rosters:
            raise refuse(f"{department}的名册已在前面定义", "department")
        households = tuple(entry.get("households", ()))
        if not households or any(h not in POPULATIONS for h in households):
            raise refuse(f"households 须取自 {'、'.join(POPULATIONS)}", "households")
        fields = list(entry.get("fields", ()))
        if any(f not in ROSTER_FIELDS for f in fields) or len(set(fields)) != len(fields):
            bad = [f for f in fields if f not in ROSTER_FIELDS]
            raise refuse(f"未知或重复的字段 {'、'.join(bad) or '（重复）'}；可选：{'、'.join(ROSTER_FIELDS)}",
                         "fields")
        missing = [f for f in REQUIRED_FIELDS if f not in fields]
        if missing:
            raise refuse(f"名册须含 {'、'.join(missing)}", "fields")
        full = entry.get("full_id_number", False)
        if not isinstance(full, bool) or (full and "id_number" not in fields):
            raise refuse("full_id_number 须为 true/false，且为 true 时 fields 须含 id_number",
                         "full_id_number")
        ages = entry.get("ages")
        if ages is not None:
            if (not isinstance(ages, list) or len(ages) != 2
                    or not all(isinstance(a, int) and 0 <= a <= 150 for a in ages) or ages[0] > ages[1]):
                raise refuse("ages 须为 [最小年龄, 最大年龄]（0–150）", "ages")
            ages = (ages[0], ages[1])
        heads_only = entry.get("heads_only", False)
        if not isinstance(heads_only, bool):
            raise refuse("heads_only 须为 true/false", "heads_only")
        try:
            health = tuple(Health(h) for h in entry.get("health", ()))
            labour = tuple(LabourCapacity(c) for c in entry.get("labour_capacity", ()))
        except ValueError as error:
            raise refuse(str(error), "health") from None
        rosters[department] = RosterDuty(
            department=department, duty=str(entry.get("duty", "")), households=households,
            fields=tuple(key for key in ROSTER_FIELDS if key in fields), full_id_number=full,
            ages=ages, health=health, labour_capacity=labour, heads_only=heads_only,
            reading=str(entry.get("reading", "")),
        )
    return rosters
