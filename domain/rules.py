"""The rules of the notice (and the national practice it builds on) as small pure functions.

Each function names the rule it enforces; numbers that national practice sets, not the notice,
are module constants so the application can show and later configure them.
"""

from __future__ import annotations

from calendar import monthrange
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

from domain.codes import (
    NO_WORKING_CAPACITY,
    Category,
    Check,
    HouseholdType,
    LabourCapacity,
    MeasureStatus,
    MeasureType,
    ObjectionOutcome,
    Problem,
    RiskType,
    SuddenHardship,
)
from domain.deadlines import IDENTIFICATION_DAYS, MEASURE_WITHIN_DAYS  # the time limits, re-exported
from domain.errors import InvalidValue, RuleViolation

if TYPE_CHECKING:
    from domain.income import IncomeEvidence, Visit
    from domain.values import Case, Measure

#: China Standard Time: the county's calendar, used to date a recording time.
CHINA_TIME = timezone(timedelta(hours=8), "CST")

#: Village public notice lasts at least 5 days, counted inclusive (national practice): the
#: one definition the step's dates and the notice the system produces are both held to.
MIN_NOTICE_DAYS = 5
#: No risk elimination within 6 months of identification (national practice).
ELIMINATION_MIN_MONTHS = 6
#: Income stably above the line: evidence in each of the last 6 months (national practice).
STABLE_INCOME_MONTHS = 6
#: At most five risk types per case (national code table).
MAX_RISK_TYPES = 5
#: No amount a household's case records reaches a billion yuan; beyond it a value is a slip,
#: and arithmetic on it (per-capita income rounded to the fen) could fail after recording.
MAX_AMOUNT = Decimal("1000000000")
_FEN = Decimal("0.01")


def is_amount(value: object) -> bool:
    """A finite amount of yuan and fen (at most two decimals) within ±`MAX_AMOUNT`."""
    return (isinstance(value, Decimal) and value.is_finite() and abs(value) <= MAX_AMOUNT
            and value == value.quantize(_FEN))

#: Which risk types show each sudden hardship that opens the green channel (因灾因疫等).
GREEN_CHANNEL_RISKS: dict[SuddenHardship, frozenset[RiskType]] = {
    SuddenHardship.NATURAL_DISASTER: frozenset({RiskType.NATURAL_DISASTER}),
    SuddenHardship.ACCIDENT: frozenset({RiskType.ACCIDENT}),
    SuddenHardship.EPIDEMIC: frozenset({RiskType.ILLNESS, RiskType.OTHER}),
}

#: Labour capacities an analysis may find for 综合保障 (兜底) without another documented reason.
PROTECTION_CAPACITIES = NO_WORKING_CAPACITY | {LabourCapacity.WEAK}

#: 防贫保 pays only for sudden hardships: disaster, illness (incl. epidemic), accident.
RELIEF_CAUSES = frozenset({RiskType.ILLNESS, RiskType.NATURAL_DISASTER, RiskType.ACCIDENT})

#: A failed visit check is a channel-2 risk signal: the risk type and problem flag it raises.
FAILED_CHECK_SIGNALS: dict[Check, tuple[RiskType, Problem | None]] = {
    Check.FOOD: (RiskType.OTHER, None),
    Check.CLOTHING: (RiskType.OTHER, None),
    Check.COMPULSORY_EDUCATION: (RiskType.SCHOOLING, Problem.OUT_OF_SCHOOL),
    Check.BASIC_MEDICAL: (RiskType.ILLNESS, Problem.UNINSURED_MEMBER),
    Check.HOUSING_SAFETY: (RiskType.OTHER, Problem.UNSAFE_HOUSING),
    Check.WATER_SAFETY: (RiskType.OTHER, Problem.UNSAFE_WATER),
}


def checked_risk_types(
    risk_types: Any, disaster_kind: Any, sudden_hardship: SuddenHardship | None = None,
) -> tuple[RiskType, ...]:
    """An alert's risk types, each once: one to five, with a disaster kind exactly when one of
    them is 因自然灾害, and one showing the sudden hardship (突发困难类型) when one is named (the
    rules every alert meets, held unmatched or on a household)."""
    kinds = tuple(dict.fromkeys(risk_types))
    if not kinds:
        raise InvalidValue("RISK_TYPES_REQUIRED", "至少填写一种返贫致贫风险类型", "risk_types")
    if len(kinds) > MAX_RISK_TYPES:
        raise InvalidValue("RISK_TYPES_TOO_MANY", f"返贫致贫风险类型最多{MAX_RISK_TYPES}种", "risk_types")
    if RiskType.NATURAL_DISASTER in kinds and disaster_kind is None:
        raise InvalidValue("DISASTER_KIND_REQUIRED", "因自然灾害须填写灾害类型", "disaster_kind")
    if disaster_kind is not None and RiskType.NATURAL_DISASTER not in kinds:
        raise InvalidValue("DISASTER_KIND_UNEXPECTED", "只有因自然灾害才填写灾害类型", "disaster_kind")
    if sudden_hardship is not None:
        if not isinstance(sudden_hardship, SuddenHardship):
            raise InvalidValue("CODE_UNKNOWN", f"突发困难类型不在代码表中：{sudden_hardship}",
                               "sudden_hardship")
        shown_by = GREEN_CHANNEL_RISKS[sudden_hardship]
        if not shown_by & set(kinds):
            names = "或".join(r for r in RiskType if r in shown_by)
            raise InvalidValue("SUDDEN_HARDSHIP_WITHOUT_RISK",
                               f"突发困难类型“{sudden_hardship}”须有风险类型{names}", "sudden_hardship")
    return kinds


def require_notice_period(notice_from: date, notice_to: date) -> None:
    """A public notice (公示) is posted for at least `MIN_NOTICE_DAYS` days, both ends counted."""
    days = (notice_to - notice_from).days + 1
    if days < MIN_NOTICE_DAYS:
        raise InvalidValue(
            "NOTICE_TOO_SHORT", f"公示期不少于{MIN_NOTICE_DAYS}天（本次{days}天）", "notice_to"
        )


def shortest_notice_end(notice_from: date) -> date:
    """The earliest last day of a notice posted from ``notice_from`` (`MIN_NOTICE_DAYS`)."""
    return notice_from + timedelta(days=MIN_NOTICE_DAYS - 1)


def local_date(moment: datetime) -> date:
    """The county's calendar date of a recording time."""
    return moment.astimezone(CHINA_TIME).date()


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day when it is shorter)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))


def category_fits(category: Category, household_type: HouseholdType) -> bool:
    """脱贫不稳定户 only for a 脱贫户; 边缘易致贫户 only for a 一般农户; 突发严重困难户 for any."""
    if category is Category.UNSTABLE_LIFTED_OUT:
        return household_type is HouseholdType.LIFTED_OUT
    if category is Category.EDGE_OF_POVERTY:
        return household_type is HouseholdType.ORDINARY
    return True


def require_category_fits(category: Category, household_type: HouseholdType) -> None:
    if not category_fits(category, household_type):
        raise RuleViolation(
            "CATEGORY_MISMATCH",
            f"监测对象类别“{category}”不适用于{household_type}"
            "（脱贫不稳定户须为脱贫户，边缘易致贫户须为一般农户）",
            "category",
        )


def simplified_approval_blockers(case: Case) -> list[tuple[str, str]]:
    """Why the county may not skip comparing deposits, real estate and vehicles (notice §三).

    The simplified approval needs all three: the risk is clear, the village notice drew no
    objection that stands, and the township found no circumstance that rules the household out.
    An objection found not upheld (不成立) does not stand; one upheld (成立) does, and so does one
    recorded before outcomes were (nobody can say now whether it was upheld).
    """
    blockers = []
    if not case.risk_clear:
        blockers.append(("SIMPLIFIED_RISK_NOT_CLEAR", "返贫致贫风险不明确"))
    standing = [o for o in case.objections if o.outcome is not ObjectionOutcome.NOT_UPHELD]
    if standing:
        named = "；".join(f"“{o.content}”{o.outcome or '（未记录处理结果）'}" for o in standing)
        blockers.append(("SIMPLIFIED_NOTICE_OBJECTED", f"村级评议公示有异议：{named}"))
    if case.disqualifying_found:
        blockers.append(("SIMPLIFIED_TOWNSHIP_DISQUALIFYING", "乡级核查存在不予认定情形"))
    return blockers


class CaseFile(Protocol):
    """What the elimination rules read of a household's case file (a `Household` is one)."""

    @property
    def measures(self) -> dict[str, Measure]: ...

    def income_evidence(self, since: date, until: date) -> list[IncomeEvidence]: ...

    def latest_visit(self, on: date) -> Visit | None: ...

    def without_labour_on(self, day: date) -> bool: ...


def stability_months(on: date) -> list[date]:
    """The months income must have been stably above the line before eliminating on ``on``: the
    `STABLE_INCOME_MONTHS` calendar months before its month (their first days, oldest first)."""
    first = on.replace(day=1)
    return [add_months(first, -k) for k in range(STABLE_INCOME_MONTHS, 0, -1)]


def income_stability_blockers(
    household: CaseFile, on: date, line_in_force: Decimal | None
) -> list[tuple[str, str]]:
    """Income stably above the line (domain.md §9): income evidence — assessments and the
    visits' recorded income — in each of the last six calendar months, every piece since then
    at or above the line in force on its own day, and the latest at or above the line in force
    on ``on``."""
    if line_in_force is None:
        return [("INCOME_LINE_MISSING", f"{on} 没有生效的收入监测标准")]
    months = stability_months(on)
    evidence = household.income_evidence(months[0], on)
    if not evidence:
        return [("ELIMINATION_NO_INCOME_ASSESSMENT",
                 f"{months[0]:%Y-%m} 以来没有收入证据（收入核算或走访记录的人均纯收入），"
                 "无法判断收入是否稳定超过监测标准")]
    blockers: list[tuple[str, str]] = []
    below = next((e for e in evidence if e.below_line), None)
    latest = evidence[-1]
    if below is not None:
        blockers.append((
            "ELIMINATION_INCOME_BELOW_LINE",
            f"{below.occurred_on} {below.source} 人均纯收入 {below.per_capita} 元低于当时的收入监测标准"
            f" {below.line_in_force} 元，收入尚不稳定",
        ))
    elif latest.per_capita < line_in_force:
        blockers.append((
            "ELIMINATION_INCOME_BELOW_LINE",
            f"最近的人均纯收入 {latest.per_capita} 元（{latest.source}）低于收入监测标准 {line_in_force} 元",
        ))
    covered = {(e.occurred_on.year, e.occurred_on.month) for e in evidence}
    missing = [m for m in months if (m.year, m.month) not in covered]
    if missing:
        blockers.append((
            "ELIMINATION_INCOME_NOT_STABLE",
            f"收入稳定超过监测标准须有近{STABLE_INCOME_MONTHS}个月每月的收入证据，"
            f"{'、'.join(f'{m:%Y-%m}' for m in missing)} 没有收入核算或走访记录的收入",
        ))
    return blockers


def elimination_blockers(
    household: CaseFile, case: Case, on: date, line_in_force: Decimal | None
) -> list[tuple[str, str]]:
    """The rules of domain.md §9 that forbid eliminating the risk of ``case`` on ``on``.

    Returned in a fixed order as (code, Chinese message); empty means elimination may proceed.
    """
    blockers: list[tuple[str, str]] = []
    included_on = case.included_on
    if included_on is not None and on < add_months(included_on, ELIMINATION_MIN_MONTHS):
        blockers.append((
            "ELIMINATION_TOO_EARLY",
            f"纳入监测未满{ELIMINATION_MIN_MONTHS}个月（{included_on} 纳入），不得消除风险",
        ))
    if not any(
        m.case_number == case.number and m.in_place_on is not None
        for m in household.measures.values()
    ):
        blockers.append(("ELIMINATION_NO_MEASURE", "未落实任何帮扶措施，不得消除风险"))
    blockers += income_stability_blockers(household, on, line_in_force)
    visit = household.latest_visit(on)
    if visit is None or (included_on is not None and visit.occurred_on < included_on):
        blockers.append((
            "ELIMINATION_GUARANTEE_UNVERIFIED", "纳入监测后没有入户走访核实“两不愁三保障”及饮水安全"
        ))
    elif visit.failed_checks:
        failed = "、".join(visit.failed_checks)
        blockers.append(("ELIMINATION_GUARANTEE_FAILING", f"最近一次走访{failed}未保障，不得消除风险"))
    if household.without_labour_on(on) and any(
        m.measure_type is MeasureType.SOCIAL_SECURITY and m.status is MeasureStatus.IN_PLACE
        for m in household.measures.values()
    ):
        blockers.append((
            "ELIMINATION_PROTECTION_DEPENDENT",
            "整户无劳动能力且依靠兜底保障，不得消除风险",
        ))
    return blockers


__all__ = [
    "ELIMINATION_MIN_MONTHS",
    "IDENTIFICATION_DAYS",
    "MAX_AMOUNT",
    "MEASURE_WITHIN_DAYS",
    "MIN_NOTICE_DAYS",
    "NO_WORKING_CAPACITY",
    "STABLE_INCOME_MONTHS",
    "add_months",
    "category_fits",
    "elimination_blockers",
    "is_amount",
    "local_date",
    "require_notice_period",
    "shortest_notice_end",
    "simplified_approval_blockers",
    "stability_months",
]
