"""What the demo's simulation draws from: the deck that spreads rare processes over each block of
100 households, the script of each case, and the tables of risks, departments, needs, help
measures and amounts, with the same-day order of what people do."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from random import Random
from typing import Any

from domain.codes import Category, Check, Department, LabourCapacity, MeasureType, Problem, RiskType

#: Households per block of the deck that spreads rare processes evenly.
BLOCK_SIZE = 100



# ---------------------------------------------------------------------------------- the deck

NO_RISK = "no_risk"
REJECT_VILLAGE = "reject_village"
REJECT_TOWNSHIP = "reject_township"
REJECT_COUNTY = "reject_county"
INCLUDE = "include"


#: The identification steps in their order: a case caught at one on the last day has taken the
#: steps before it and none from it on (`Stage.hold`).
STEPS = ("home_visit", "village_notice", "township_review", "county_decision")
#: What a case held at "helper" leaves undone: its 脱贫户's 帮扶责任人, named before, not yet
#: confirmed for it.
HELPER = "helper"


@dataclass(frozen=True)
class Stage:
    """Work the demo leaves open on its last day (`application.demo.desks`): a case whose risk
    was found ``discovered`` days before that day, ending as ``fate``, that has not taken
    ``hold`` (a step of `STEPS`, or `HELPER`) by then — or, refused, whose appeal was lodged
    ``appeal`` days before that day and is not answered yet."""

    name: str
    fate: str
    discovered: int
    hold: str | None = None
    appeal: int | None = None
    lifted_out: bool = False  # a 脱贫户's: its 帮扶责任人 was named before its case


@dataclass(frozen=True)
class Plan:
    """What the block deck decided for one household."""

    lifted_out: bool
    fate: str | None = None  # the planned risk episode and how its identification ends
    green: bool = False  # a sudden risk taken through the green channel
    green_owed: bool = False  # … whose steps 2–4 are still owed at the end of the year
    eliminate: bool = False  # an early case whose risk is eliminated
    reentry: bool = False  # … and that falls back into risk afterwards
    correction: bool = False
    month: int = 0  # which of the year's last twelve calendar months the episode begins in
    pending: bool = False  # a department's alert of the last weeks, not yet verified at home
    pushed: bool = False  # found through a department's push (this month's alerts by department)
    late: bool = False  # identified past its 15 days
    unsubsidised: bool = False  # its youngest member is left out of 医保参保资助 (应保未保)
    objection: bool = False  # its village notice draws an objection (异议)
    poor: bool = False  # its income at inclusion is below the poverty line (返贫 / 致贫)
    history: bool = False  # registered a year earlier: its case was eliminated before the year
    stage: Stage | None = None  # work left open on the last day, in the demo users' area
    appealed_late: bool = False  # refused, it appeals and the answer comes past its deadline

    @property
    def plain(self) -> bool:
        """Nothing of the deck's rare processes: its household may take a `Stage` instead."""
        return not (self.history or self.green or self.eliminate or self.pending or self.pushed
                    or self.late or self.unsubsidised or self.objection or self.poor
                    or self.appealed_late)


def block_plans(seed: int, block: int) -> list[Plan]:
    """The deck of one block of households: 22–28 脱贫户, 13–16 risk episodes (more among 脱贫户),
    of which two find no risk, three are rejected at a step and the rest are included; one green
    channel case; one early case eliminated (every eighth block: it re-enters); one correction.
    The episodes other than the early one are spread over the months, four months further each
    block, so that every month of the year has several cases in a county of 300 households (a
    monthly rate of a case or two swings from 0 to 100%); the first of the month before this
    is a department's alert still waiting for its home visit, those of the last two months
    department's alerts, and (every other block) the latest included one
    of the months before is identified late, besides the cases late by chance; the earliest
    included one leaves its youngest member without the medical insurance subsidy, and the
    latest other one's village notice draws an objection; the earliest refused one appeals and
    is answered late (申诉按期办结率 has a gap to show). Of the included ones (not green, not
    eliminated early), the earliest of the 脱贫户 and the earliest of the others find an income
    below the poverty line at inclusion (返贫, 致贫). Two households with no episode in the year
    have a history: registered a year or more earlier, their case was eliminated before the
    year (风险消除稳定率 has cases to judge); one of them falls back into risk (再次纳入)."""
    rng = Random(f"{seed}/block/{block}")
    slots = list(range(BLOCK_SIZE))
    lifted = set(rng.sample(slots, rng.randint(22, 28)))
    episodes = rng.choice((15, 16, 17, 18))
    from_lifted = round(episodes * 0.35)
    chosen = rng.sample(sorted(lifted), from_lifted) + rng.sample(
        [s for s in slots if s not in lifted], episodes - from_lifted
    )
    rejections = rng.choices((REJECT_VILLAGE, REJECT_TOWNSHIP, REJECT_COUNTY), (3, 3, 4), k=3)
    order = sorted(chosen)
    month_of = {slot: (4 * block + n) % 12 for n, slot in enumerate(order)}
    # those not included in months apart from the other blocks' (block b: months b, b + 2, b +
    # 4, b + 7, b + 9), so that every month has about as many included
    fate_of = dict.fromkeys(order, INCLUDE)
    others = [NO_RISK, *rejections, NO_RISK]
    for k, fate in enumerate(others):
        month = (12 * k // len(others) + block) % 12
        fate_of[order[(month - 4 * block) % 12]] = fate
    included = [s for s in chosen if fate_of[s] == INCLUDE]
    green_slot = rng.choice([s for s in chosen if fate_of[s] != NO_RISK])
    eliminate_slot = rng.choice([s for s in included if s != green_slot] or included)
    correction_slot = rng.choice(slots)
    spread = [s for s in order if s != eliminate_slot or s == green_slot]
    pending_slot = min((s for s in spread if month_of[s] == 10 and s != green_slot), default=None)
    unsubsidised_slot = min((s for s in spread if fate_of[s] == INCLUDE and s != green_slot),
                            key=month_of.__getitem__, default=None)
    late_slot = max((s for s in spread if fate_of[s] == INCLUDE and s != green_slot
                     and month_of[s] <= 9 and block % 2 == 1), key=month_of.__getitem__, default=None)
    objection_slot = max((s for s in spread if fate_of[s] == INCLUDE and month_of[s] <= 9
                          and s not in (green_slot, late_slot)), key=month_of.__getitem__, default=None)
    appeal_slot = min((s for s in spread if fate_of[s] in (REJECT_VILLAGE, REJECT_TOWNSHIP,
                                                           REJECT_COUNTY) and month_of[s] <= 9
                       and s != green_slot), key=month_of.__getitem__, default=None)
    ordinary_risk = [s for s in spread if fate_of[s] == INCLUDE and s != green_slot]
    poor_slots = {min(group, key=month_of.__getitem__) for group in (
        [s for s in ordinary_risk if s in lifted], [s for s in ordinary_risk if s not in lifted])
        if group}
    # drawn apart, so that the deck above is what it was before households had a history
    stable, relapsing = Random(f"{seed}/block/{block}/history").sample(
        [s for s in slots if s not in fate_of and s != correction_slot], 2)
    plans = []
    for slot in slots:
        if slot in (stable, relapsing):
            plans.append(Plan(lifted_out=slot in lifted, fate=INCLUDE, eliminate=True,
                              reentry=slot == relapsing, history=True))
            continue
        green = slot == green_slot
        eliminate = slot == eliminate_slot and not green
        plans.append(Plan(
            lifted_out=slot in lifted,
            fate=fate_of.get(slot),
            green=green,
            green_owed=green and block % 3 == 2,
            eliminate=eliminate,
            reentry=eliminate and block % 8 == 1,
            correction=slot == correction_slot,
            month=month_of.get(slot, 0),  # of no use to the early case eliminated
            pending=slot == pending_slot and not eliminate,
            pushed=month_of.get(slot) in (10, 11),
            late=slot == late_slot,
            unsubsidised=slot == unsubsidised_slot,
            objection=slot == objection_slot,
            poor=slot in poor_slots,
            appealed_late=slot == appeal_slot,
        ))
    return plans



# ---------------------------------------------------------------------------------- risk tables

RISKS = (
    (RiskType.ILLNESS, 30), (RiskType.UNSTABLE_EMPLOYMENT, 18), (RiskType.NATURAL_DISASTER, 9),
    (RiskType.ACCIDENT, 8), (RiskType.DISABILITY, 8), (RiskType.SCHOOLING, 7),
    (RiskType.FAILED_INDUSTRY, 8), (RiskType.LACK_OF_LABOUR, 7), (RiskType.OTHER, 5),
)
SECOND_RISK = {
    RiskType.ILLNESS: RiskType.LACK_OF_LABOUR, RiskType.DISABILITY: RiskType.LACK_OF_LABOUR,
    RiskType.ACCIDENT: RiskType.ILLNESS, RiskType.NATURAL_DISASTER: RiskType.FAILED_INDUSTRY,
    RiskType.UNSTABLE_EMPLOYMENT: RiskType.SCHOOLING,
}
DEPARTMENTS_FOR = {
    RiskType.ILLNESS: (Department.MEDICAL_INSURANCE, Department.MEDICAL_INSURANCE, Department.HEALTH),
    RiskType.DISABILITY: (Department.DISABLED_FEDERATION,),
    RiskType.SCHOOLING: (Department.EDUCATION,),
    RiskType.NATURAL_DISASTER: (Department.EMERGENCY,),
    RiskType.ACCIDENT: (Department.PUBLIC_SECURITY, Department.EMERGENCY),
    RiskType.FAILED_INDUSTRY: (Department.AGRICULTURE,),
    RiskType.UNSTABLE_EMPLOYMENT: (Department.HUMAN_RESOURCES,),
    RiskType.LACK_OF_LABOUR: (Department.CIVIL_AFFAIRS,),
    RiskType.OTHER: (Department.CIVIL_AFFAIRS, Department.RURAL_REVITALISATION,
                     Department.CYBERSPACE, Department.HOUSING, Department.WATER),
}
NEEDS_FOR = {
    RiskType.ILLNESS: (MeasureType.HEALTH, MeasureType.SOCIAL_SECURITY),
    RiskType.DISABILITY: (MeasureType.SOCIAL_SECURITY, MeasureType.PUBLIC_WELFARE_POST),
    RiskType.SCHOOLING: (MeasureType.OTHER_EDUCATION,),
    RiskType.NATURAL_DISASTER: (MeasureType.HOUSING_SAFETY, MeasureType.LIVING_CONDITIONS,
                                MeasureType.SOCIAL_HELP),
    RiskType.ACCIDENT: (MeasureType.SOCIAL_SECURITY, MeasureType.HEALTH),
    RiskType.FAILED_INDUSTRY: (MeasureType.INDUSTRY, MeasureType.FINANCE),
    RiskType.UNSTABLE_EMPLOYMENT: (MeasureType.EMPLOYMENT, MeasureType.PUBLIC_WELFARE_POST),
    RiskType.LACK_OF_LABOUR: (MeasureType.SOCIAL_SECURITY, MeasureType.PUBLIC_WELFARE_POST),
    RiskType.OTHER: (MeasureType.SOCIAL_HELP,),
}
NEEDS_FOR_PROBLEM = {
    Problem.UNSAFE_HOUSING: MeasureType.HOUSING_SAFETY,
    Problem.UNSAFE_WATER: MeasureType.WATER_SAFETY,
    Problem.OUT_OF_SCHOOL: MeasureType.COMPULSORY_EDUCATION,
    Problem.UNINSURED_MEMBER: MeasureType.HEALTH,
}
DEVELOPMENT = frozenset({MeasureType.INDUSTRY, MeasureType.EMPLOYMENT, MeasureType.FINANCE,
                          MeasureType.PUBLIC_WELFARE_POST})
MEASURE_DEPARTMENT = {
    MeasureType.INDUSTRY: Department.AGRICULTURE,
    MeasureType.EMPLOYMENT: Department.HUMAN_RESOURCES,
    MeasureType.FINANCE: Department.RURAL_REVITALISATION,
    MeasureType.PUBLIC_WELFARE_POST: Department.HUMAN_RESOURCES,
    MeasureType.HEALTH: Department.HEALTH,
    MeasureType.COMPULSORY_EDUCATION: Department.EDUCATION,
    MeasureType.OTHER_EDUCATION: Department.EDUCATION,
    MeasureType.SOCIAL_SECURITY: Department.CIVIL_AFFAIRS,
    MeasureType.HOUSING_SAFETY: Department.HOUSING,
    MeasureType.WATER_SAFETY: Department.WATER,
    MeasureType.SOCIAL_HELP: Department.RURAL_REVITALISATION,
    MeasureType.RELOCATION: Department.HOUSING,
    MeasureType.LIVING_CONDITIONS: Department.AGRICULTURE,
    MeasureType.INFRASTRUCTURE: Department.RURAL_REVITALISATION,
}
MEASURE_AMOUNT: dict[MeasureType, tuple[int, int, int] | None] = {  # (low, high, unit) yuan
    MeasureType.INDUSTRY: (2, 6, 1000),  # 产业奖补
    MeasureType.EMPLOYMENT: (3, 10, 100),  # 外出务工交通补贴
    MeasureType.FINANCE: (3, 5, 10000),  # 小额信贷
    MeasureType.PUBLIC_WELFARE_POST: (6, 6, 1000),  # 公益岗位 500 元/月
    MeasureType.HEALTH: (10, 80, 100),  # 医疗救助
    MeasureType.COMPULSORY_EDUCATION: (1000, 1250, 1),  # 寄宿生生活补助
    MeasureType.OTHER_EDUCATION: (3, 5, 1000),  # 雨露计划、助学
    MeasureType.SOCIAL_SECURITY: (30, 60, 100),  # 低保、临时救助
    MeasureType.HOUSING_SAFETY: (15, 30, 1000),  # 危房改造
    MeasureType.WATER_SAFETY: None,
    MeasureType.SOCIAL_HELP: (5, 30, 100),  # 社会帮扶、消费帮扶
    MeasureType.RELOCATION: None,
    MeasureType.LIVING_CONDITIONS: None,
    MeasureType.INFRASTRUCTURE: None,
}
SUBSIDY = {  # 医保参保资助 per person, yuan (resident premium 400)
    Category.UNSTABLE_LIFTED_OUT: Decimal(280),
    Category.EDGE_OF_POVERTY: Decimal(200),
    Category.SUDDEN_SEVERE_HARDSHIP: Decimal(200),
}
DISEASES = ("脑梗死", "冠心病", "肺癌", "胃癌", "尿毒症", "乳腺癌", "股骨骨折", "白血病",
             "肝硬化", "慢性阻塞性肺疾病", "糖尿病并发症", "脑出血")
#: Objections to a village notice: what villagers said, why it was found upheld (成立), why not.
OBJECTIONS = (
    ("村民反映该户子女在城区务工，收入稳定", "经核实该户子女在城区稳定务工，月收入四千元以上",
     "经核实该户子女务工不稳定，年内两次失业，收入不足以支撑家庭"),
    ("村民反映该户有经营性货车", "经核实该户名下有经营性货车并在营运",
     "经核实该货车已于去年转让他人，车辆登记不在该户名下"),
    ("村民反映该户在县城购有住房", "经核实该户在县城有商品房一套",
     "经核实县城住房为其已分户子女所有，与该户无关"),
)
#: Appeals against a refusal, by the step that refused: what the household said, and why the
#: unit that refused (the village for its deliberation, the township for its review) kept it.
APPEALS = {
    "village_notice": (("评议时群众对本户情况不了解，家中收入主要靠打零工，请求重新评议",
                        "本户子女已成家另过，评议按原来人口算收入，请求复核"),
                       "经重新核实，评议结果反映该户实际情况，维持评议结论"),
    "township_review": (("家中商品房为子女所购且已分户，请求复核",
                         "财政供养人员已于去年退休并分户居住，请求复核"),
                        "经复核，不予认定的情形属实，维持审核意见"),
    "county_decision": (("家中车辆为借款购买的二手营运车，请求复核",
                         "存款为亲属代管的治病借款，请求复核"),
                        "复核比对结果无误，维持不予认定"),
    "home_visit": (("入户核查时家中主要劳动力外出未见面，请求重新核查",),
                   "经重新入户核查，家庭基本生活无困难，维持核查结论"),
}
FAILED_CHECK_WEIGHTS = (
    (Check.HOUSING_SAFETY, 40), (Check.WATER_SAFETY, 25), (Check.BASIC_MEDICAL, 20),
    (Check.FOOD, 5), (Check.CLOTHING, 5), (Check.COMPULSORY_EDUCATION, 5),
)
ORDERED_LABOUR = (LabourCapacity.SKILLED, LabourCapacity.ORDINARY, LabourCapacity.WEAK,
                   LabourCapacity.LOST, LabourCapacity.NONE)

# Same-day ordering of what people do.
P_MEMBERS, P_ALERT, P_STEP, P_HELP, P_VISIT, P_INCOME, P_ELIMINATE, P_LATE = range(8)


def weighted(rng: Random, table: tuple[tuple[Any, int], ...]) -> Any:
    total = sum(w for _, w in table)
    roll = rng.random() * total
    for value, weight in table:
        roll -= weight
        if roll < 0:
            return value
    return table[-1][0]


def money(amount: float) -> Decimal:
    return Decimal(round(amount))



@dataclass
class Script:
    """How one case's procedure will go (decided when its first alert opens it)."""

    fate: str
    green: bool = False
    green_owed: bool = False
    eliminate: bool = False
    reentry: bool = False
    late: bool = False
    pending: bool = False  # not verified at home by the demo's last day
    pushed: bool = False  # found through a department's push
    objection: bool = False  # the village notice draws an objection
    person: str = ""
    eliminate_attempts: int = 0
    hold: str | None = None  # caught on the last day before this step (`Stage.hold`)
    appeal_on: date | None = None  # refused: the household appeals on this day (`Stage.appeal`)
    appeal_late: bool = False  # refused: the household appeals, answered past the deadline

    def holds(self, step: str) -> bool:
        """Whether the case has not taken ``step`` by the last day (it is held at it or before)."""
        if self.hold == HELPER:
            return False
        return self.hold is not None and STEPS.index(step) >= STEPS.index(self.hold)
