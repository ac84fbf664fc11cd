"""A synthetic demo county (涞源县-like): households and a year of case-file events.

`generate_county` streams `Household` aggregates, one at a time, each carrying the pending (not
yet saved) events of its registration and of a year of the notice's processes: alerts from the
three channels (with provincial-then-county duplicate pushes), the four identification steps
(with rejections, late cases and the green channel), risk analysis, help measures, medical
insurance subsidies, 防贫保 payouts, monthly visits (a failed check raises a channel-2 alert),
income assessments, risk elimination in four steps, re-entries, corrections and members joining
and leaving. Every fact goes through the aggregate's public methods, so every rule of the domain
is respected; the generator asks the case file (and `domain.rules`) what is allowed before it acts,
as a careful county worker would. A `DomainError` raised here is a bug of the generator.

Everything is derived from ``random.Random`` instances seeded from the seed: no global random
state and no clock. Household ``i`` is the same whatever the number of households asked for, so a
bigger demo extends a smaller one. Rare processes are spread by a deck per block of 100
households (how many 脱贫户, how many risk episodes and how they end), so that even a small demo
shows every process at plausible rates.

`load_demo` sets the income lines and saves the households in batches, idempotently: households
already in the log (recognised by their registration command id) are skipped, so loading the same
demo again records nothing, and an interrupted load resumes.
"""

from __future__ import annotations

import heapq
from array import array
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cache
from random import Random
from typing import Any

from application.accounts.access import User
from application.accounts.users import UserExists, Users
from application.app import SYSTEM, CaseFiles
from application.indicators import Cadences
from domain.cadences import windows
from domain.codes import (
    NO_WORKING_CAPACITY,
    Category,
    Channel,
    Check,
    Decision,
    Department,
    DisasterKind,
    EliminationMode,
    Finding,
    Health,
    HouseholdType,
    JoinReason,
    LabourCapacity,
    LeaveReason,
    MeasureStatus,
    MeasureType,
    Problem,
    Relation,
    RiskType,
    Role,
    Sex,
    SuddenHardship,
    Tier,
)
from domain.governance import Governance, PushLedger
from domain.household import Household
from domain.identity import check_digit
from domain.periods import month_period
from domain.policy import IncomeLinePolicy
from domain.rules import (
    CHINA_TIME,
    GREEN_CHANNEL_RISKS,
    RELIEF_CAUSES,
    add_months,
    elimination_blockers,
    local_date,
    simplified_approval_blockers,
)
from domain.values import Actor, Case, Member, MemberDetails

COUNTY_AREA_CODE = "130630"
COUNTY_NAME = "涞源县"

#: The county's income monitoring line (yuan per capita per year), effective 1 January.
INCOME_LINES: dict[int, Decimal] = {2024: Decimal(8000), 2025: Decimal(8300)}

#: Households per block of the deck that spreads rare processes evenly.
BLOCK_SIZE = 100


def income_line(year: int) -> Decimal:
    """The demo's line for ``year``: the known values, else 300 yuan a year from 2025's."""
    return INCOME_LINES.get(year, INCOME_LINES[2025] + 300 * (year - 2025))


def income_line_on(day: date) -> Decimal:
    """The line in force on ``day`` (each year's line takes effect on 1 January)."""
    return income_line(day.year)


class DemoConflict(Exception):
    """The log already holds something the demo would contradict (another seed, another line)."""


# ---------------------------------------------------------------------------------- the county

TOWNSHIPS = (
    "银坊镇", "走马驿镇", "水堡镇", "王安镇", "杨家庄镇", "白石山镇", "南屯镇", "南马庄乡",
    "北石佛乡", "金家井乡", "留家庄乡", "上庄乡", "东团堡乡", "塔崖驿乡", "乌龙沟乡", "烟煤洞乡",
)

_VILLAGE_TEXT = (
    "东庄 西庄 南庄 北庄 前庄 后庄 上寨 下寨 东沟 西沟 南沟 北沟 石门 龙门 马坊 李家庄 王家庄 "
    "张家庄 刘家庄 赵家庄 孙家庄 高家庄 郭家庄 石窑 水泉 泉头 大河 小河 河口 峪口 岭底 沟门 堡子 "
    "岔口 黄土岭 红土岭 青石岭 平地 坡头 榆树 柳树 杨树 槐树 松树 桃园 杏园 梨园 枣园 核桃园 庙台 "
    "寺底 塔峪 龙泉 凤凰台 卧龙 白草 黑石 青山 碾子 磨盘 杨庄 宋庄 韩庄 董庄 曹庄 崔庄 霍庄 史庄 "
    "苏庄 谷庄 孟庄 魏庄 康庄 田庄 贾庄 齐庄 于庄 冯庄 甄庄 靳庄 耿庄 段庄 岭东 岭西 岭南 岭北 台上 "
    "台下 川里 川口 滩里 梁上 坡底 沟里 洼里 崖底 崖头 安子岭 插箭岭 大黄岩 小黄岩 南坡 北坡 东坡 "
    "西坡 上堡 下堡 中堡 前堡 后堡 三道河 二道河 头道河 五里铺 十里铺 八里庄 三里庄 六里庄 双井 石井 "
    "甜水井 大石 小石 独石 卧牛 牛角 羊圈 鸡冠 虎头 鹿角 凤山 龙山 狮子坪 旗山 水磨 油坊 铁炉 木场 "
    "煤窑 石灰窑 瓦窑 菜园 稻地 麦田 谷地 瓜地 麻地 苇地 石湖 清水 白水 黑水 冷泉 温泉 金泉 银泉 玉泉 "
    "宝泉 甘泉 东团 西团 南团 北团 大团 小团 东关 西关 南关 北关 新庄 新兴 新民 红旗 胜利 光明 幸福 "
    "和平 团结 东风 向阳 朝阳 太平 永安 长安 平安 福安 兴安 安乐 康乐 丰收 庆丰 丰乐 兴隆 兴旺 富民 "
    "裕民 三甲 四甲 五甲 槐树庄 柏树庄 杜家庄 霍家沟 贾家沟 史家沟 宋家沟 韩家沟 上石门 下石门 上河 "
    "下河 中庄 东岭 西岭 南岭 北岭 上台 下台 大坪 小坪 前坪 后坪 上坪 下坪 上关 下关 上营 下营 东营 "
    "西营 南营 北营 中营 石佛 石桥 木桥 土桥 板桥 双桥 龙湾 凤湾 马湾 沙湾 柳湾"
)
_VILLAGE_ROOTS = tuple(_VILLAGE_TEXT.split())

_SURNAMES = (
    ("王", 14), ("李", 12), ("张", 12), ("刘", 9), ("赵", 6), ("杨", 5), ("高", 4), ("郭", 3),
    ("马", 3), ("孙", 3), ("田", 2), ("贾", 2), ("韩", 2), ("霍", 2), ("史", 2), ("吴", 2),
    ("徐", 2), ("周", 2), ("陈", 2), ("许", 1), ("冯", 1), ("齐", 1), ("宋", 1), ("于", 1),
    ("白", 1), ("侯", 1), ("董", 1), ("曹", 1), ("崔", 1), ("梁", 1), ("谷", 1), ("魏", 1),
    ("康", 1), ("袁", 1), ("常", 1), ("薛", 1), ("孟", 1), ("郝", 1), ("付", 1), ("武", 1),
    ("段", 1), ("耿", 1), ("苏", 1), ("尹", 1), ("甄", 1), ("闫", 1), ("靳", 1), ("庞", 1),
)
_SURNAME_POOL = tuple(name for name, weight in _SURNAMES for _ in range(weight))

_GIVEN = {
    # born before 1965
    ("old", Sex.MALE): "建国 国庆 振华 德福 永贵 长顺 富贵 占山 玉山 春生 福田 保国 宝山 有才 金锁 "
                       "满仓 志刚 建军 铁柱 福林 长海 树林 庆丰 万有 广田 秀山 文明 殿臣 青山 存良",
    ("old", Sex.FEMALE): "桂兰 秀英 玉兰 淑珍 凤英 秀兰 桂芝 玉珍 凤兰 素珍 淑兰 秀珍 金凤 翠兰 玉梅 "
                         "桂英 兰芝 春花 秀芝 月英 淑芬 玉芬 凤芝 桂珍 荣 香 巧云",
    # born 1965–1989
    ("mid", Sex.MALE): "海军 建华 志强 立新 永强 卫东 红军 建伟 晓东 志勇 国强 立军 海涛 宏伟 春雷 "
                       "占军 东升 利民 文涛 振江 金龙 建涛 俊杰 新民 立国 永生 军 伟 勇 强 涛 磊 斌 刚",
    ("mid", Sex.FEMALE): "丽娜 红梅 秀芳 海燕 晓红 丽华 艳红 春燕 丽 敏 静 燕 娟 霞 红霞 建英 翠红 "
                         "淑霞 彩云 小红 美玲 晓燕 丽君 海霞",
    # born 1990 and later
    ("young", Sex.MALE): "浩然 子轩 宇航 俊豪 博文 梓豪 天佑 一鸣 明轩 佳豪 睿 浩 宇 鹏飞 家乐 子墨 "
                         "嘉诚 泽宇 晨阳 思远 志豪 皓轩 铭泽 奕辰",
    ("young", Sex.FEMALE): "梓涵 欣怡 子涵 雨欣 诗琪 佳怡 思雨 可馨 梦瑶 语桐 一诺 若曦 雨桐 佳琪 "
                           "紫萱 梓萱 欣悦 静怡 婉婷 晓雪 雅琪 心怡",
}
_GIVEN_POOLS = {key: tuple(value.split()) for key, value in _GIVEN.items()}

_DEPARTMENT_USERS = {
    Department.EMERGENCY: "yjj", Department.HEALTH: "wjj", Department.EDUCATION: "jyj",
    Department.MEDICAL_INSURANCE: "ybj", Department.HOUSING: "zjj", Department.WATER: "slj",
    Department.HUMAN_RESOURCES: "rsj", Department.CIVIL_AFFAIRS: "mzj",
    Department.DISABLED_FEDERATION: "cl", Department.AGRICULTURE: "nyj",
    Department.PUBLIC_SECURITY: "gaj", Department.CYBERSPACE: "wxb",
    Department.RURAL_REVITALISATION: "zxj",
}
DEPARTMENT_ACTORS = {
    department: Actor(f"dept-{slug}", Role.DEPARTMENT)
    for department, slug in _DEPARTMENT_USERS.items()
}
COUNTY_ACTORS = tuple(Actor(f"county-centre-{n:02d}", Role.COUNTY_CENTRE) for n in (1, 2, 3))


@dataclass(frozen=True)
class Village:
    """An administrative village (行政村) of a township, with its liaison (村联络站)."""

    township_no: int  # 1-based
    village_no: int  # 1-based within the township
    township: str
    name: str
    liaison: Actor
    liaison_name: str
    township_actor: Actor
    weight: float

    @property
    def prefix(self) -> str:
        """Household codes of the village start with this."""
        return f"{COUNTY_AREA_CODE}{self.township_no:02d}{self.village_no:03d}"


def _name(rng: Random, sex: Sex, born: int, surname: str | None = None) -> str:
    era = "old" if born < 1965 else "mid" if born < 1990 else "young"
    return (surname or rng.choice(_SURNAME_POOL)) + rng.choice(_GIVEN_POOLS[era, sex])


@cache
def county() -> tuple[Village, ...]:
    """The demo county's villages: a fixed layout (it does not depend on the seed)."""
    rng = Random("涞源县/行政区划")
    roots = list(_VILLAGE_ROOTS)
    rng.shuffle(roots)
    villages: list[Village] = []
    for t, township in enumerate(TOWNSHIPS, start=1):
        seat = township.removesuffix("镇").removesuffix("乡")
        names = [seat + "村"]
        count = rng.randint(10, 16)
        while len(names) < count:
            names.append(roots.pop() + "村")
        township_actor = Actor(f"township-{t:02d}", Role.TOWNSHIP_WORKSTATION)
        for v, name in enumerate(names, start=1):
            villages.append(Village(
                township_no=t, village_no=v, township=township, name=name,
                liaison=Actor(f"village-{t:02d}{v:03d}", Role.VILLAGE_LIAISON),
                liaison_name=_name(rng, Sex.MALE if rng.random() < 0.7 else Sex.FEMALE, 1975),
                township_actor=township_actor,
                weight=(2.0 if v == 1 else 1.0) * rng.uniform(0.6, 1.4),
            ))
    return tuple(villages)


class _VillageAssigner:
    """Spreads households over villages in proportion to their weights (stride scheduling).

    Household ``i`` always lands in the same village with the same serial number, whatever the
    number of households; the state is one entry per village.
    """

    def __init__(self) -> None:
        rng = Random("涞源县/户编号")
        self.villages = county()
        self.heap = [(rng.random() / v.weight, n) for n, v in enumerate(self.villages)]
        heapq.heapify(self.heap)
        self.serials = [0] * len(self.villages)

    def next(self) -> tuple[Village, int]:
        passed, n = heapq.heappop(self.heap)
        village = self.villages[n]
        heapq.heappush(self.heap, (passed + 1 / village.weight, n))
        self.serials[n] += 1
        return village, self.serials[n]


class _IdNumbers:
    """Allocates resident ID numbers unique in the county: area code 130630, birth date,
    a sequence code whose parity is the sex, and the GB 11643 check digit.

    One counter per (birth date, sex): memory is bounded by the calendar, not by the households.
    """

    EPOCH = date(1900, 1, 1)

    def __init__(self, last_day: date) -> None:
        days = (last_day - self.EPOCH).days + 1
        self.used = array("H", bytes(2 * 2 * days))
        self.order = list(range(500))
        Random("涞源县/顺序码").shuffle(self.order)

    def allocate(self, born: date, sex: Sex) -> str:
        while True:
            slot = (born - self.EPOCH).days * 2 + (sex is Sex.MALE)
            count = self.used[slot]
            if count < 500:
                self.used[slot] = count + 1
                sequence = 2 * self.order[count] + (sex is Sex.MALE)
                first_17 = f"{COUNTY_AREA_CODE}{born:%Y%m%d}{sequence:03d}"
                return first_17 + check_digit(first_17)
            born -= timedelta(days=1)


# ---------------------------------------------------------------------------------- the deck

NO_RISK = "no_risk"
REJECT_VILLAGE = "reject_village"
REJECT_TOWNSHIP = "reject_township"
REJECT_COUNTY = "reject_county"
INCLUDE = "include"


@dataclass(frozen=True)
class _Plan:
    """What the block deck decided for one household."""

    lifted_out: bool
    fate: str | None = None  # the planned risk episode and how its identification ends
    green: bool = False  # a sudden risk taken through the green channel
    green_owed: bool = False  # … whose steps 2–4 are still owed at the end of the year
    eliminate: bool = False  # an early case whose risk is eliminated
    reentry: bool = False  # … and that falls back into risk afterwards
    correction: bool = False


def _block_plans(seed: int, block: int) -> list[_Plan]:
    """The deck of one block of households: 22–28 脱贫户, 7–9 risk episodes (more among 脱贫户),
    of which one finds no risk, two are rejected at a step and the rest are included; one green
    channel case; one early case eliminated (every eighth block: it re-enters); one correction."""
    rng = Random(f"{seed}/block/{block}")
    slots = list(range(BLOCK_SIZE))
    lifted = set(rng.sample(slots, rng.randint(22, 28)))
    episodes = rng.choice((6, 7, 8, 9))
    from_lifted = round(episodes * 0.4)
    chosen = rng.sample(sorted(lifted), from_lifted) + rng.sample(
        [s for s in slots if s not in lifted], episodes - from_lifted
    )
    rejections = rng.choices((REJECT_VILLAGE, REJECT_TOWNSHIP, REJECT_COUNTY), (3, 3, 4), k=2)
    fates = [NO_RISK, *rejections] + [INCLUDE] * (episodes - 3)
    rng.shuffle(fates)
    fate_of = dict(zip(chosen, fates, strict=True))
    included = [s for s in chosen if fate_of[s] == INCLUDE]
    green_slot = rng.choice([s for s in chosen if fate_of[s] != NO_RISK])
    eliminate_slot = rng.choice([s for s in included if s != green_slot] or included)
    correction_slot = rng.choice(slots)
    plans = []
    for slot in slots:
        green = slot == green_slot
        eliminate = slot == eliminate_slot and not green
        plans.append(_Plan(
            lifted_out=slot in lifted,
            fate=fate_of.get(slot),
            green=green,
            green_owed=green and block % 3 == 2,
            eliminate=eliminate,
            reentry=eliminate and block % 8 == 1,
            correction=slot == correction_slot,
        ))
    return plans


# ---------------------------------------------------------------------------------- members

def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _birth_day(rng: Random, age: int, on: date) -> date:
    born = date(on.year - age, 1, 1) + timedelta(days=rng.randint(0, 364))
    if born > on:
        born = on - timedelta(days=rng.randint(1, 120))
    return born


def _child_relation(sex: Sex) -> Relation:
    return Relation.SON if sex is Sex.MALE else Relation.DAUGHTER


def _family(rng: Random, size: int) -> list[tuple[Relation, Sex, int]]:
    """Relations, sexes and ages of a household of ``size`` people, head first."""
    if size == 1:
        age = rng.randint(58, 88) if rng.random() < 0.8 else rng.randint(30, 57)
        return [(Relation.HEAD, Sex.MALE if rng.random() < 0.62 else Sex.FEMALE, age)]
    if size == 2:
        roll = rng.random()
        if roll < 0.65:
            head = rng.randint(55, 85)
            return [(Relation.HEAD, Sex.MALE, head),
                    (Relation.SPOUSE, Sex.FEMALE, max(20, head + rng.randint(-6, 2)))]
        if roll < 0.8:
            head = rng.randint(35, 60)
            parent = min(95, head + rng.randint(24, 34))
            return [(Relation.HEAD, Sex.MALE, head),
                    (Relation.PARENT, Sex.FEMALE if rng.random() < 0.6 else Sex.MALE, parent)]
        head_sex = Sex.MALE if rng.random() < 0.5 else Sex.FEMALE
        head = rng.randint(42, 72)
        child_sex = Sex.MALE if rng.random() < 0.52 else Sex.FEMALE
        return [(Relation.HEAD, head_sex, head),
                (_child_relation(child_sex), child_sex, head - rng.randint(22, 32))]
    head = rng.randint(27, 66)
    head_sex = Sex.MALE if rng.random() < 0.92 else Sex.FEMALE
    people = [(Relation.HEAD, head_sex, head)]
    if head_sex is Sex.MALE and rng.random() < 0.93:
        people.append((Relation.SPOUSE, Sex.FEMALE, max(20, head + rng.randint(-5, 2))))
    remaining = size - len(people)
    parents = 0
    if head <= 58 and remaining >= 2 and rng.random() < 0.45:
        parents = min(remaining - 1, rng.choice((1, 1, 2)))
    mother = min(96, head + rng.randint(22, 32))
    for n in range(parents):
        if n == 0:
            people.append((Relation.PARENT, Sex.FEMALE, mother))
        else:
            people.append((Relation.PARENT, Sex.MALE, min(97, mother + rng.randint(0, 4))))
    child_age = max(0, head - rng.randint(22, 30))
    first_child = child_age
    children = size - len(people)
    for n in range(children):
        sex = Sex.MALE if rng.random() < 0.52 else Sex.FEMALE
        if n == children - 1 and n >= 2 and first_child >= 24 and rng.random() < 0.5:
            people.append((Relation.GRANDCHILD, sex, max(0, first_child - rng.randint(22, 28))))
        elif child_age < 0:
            people.append((Relation.SIBLING, sex, max(18, head + rng.randint(-6, 6))))
        else:
            people.append((_child_relation(sex), sex, child_age))
        child_age -= rng.randint(1, 6)
    return people


_HEALTH_BY_AGE = (  # (min age, weights of 健康, 长期慢性病, 患有大病, 残疾)
    (75, (40, 45, 7, 8)),
    (60, (65, 25, 4, 6)),
    (23, (88, 7, 2, 3)),
    (0, (97, 1, 1, 1)),
)
_HEALTHS = (Health.HEALTHY, Health.CHRONIC_ILLNESS, Health.SERIOUS_ILLNESS, Health.DISABLED)


def _condition(rng: Random, age: int, lifted: bool) -> tuple[Health, LabourCapacity, bool]:
    """Health, labour capacity and in-school status plausible for the age."""
    weights = next(w for floor, w in _HEALTH_BY_AGE if age >= floor)
    if lifted:  # 脱贫户 carry more illness and disability
        weights = (weights[0], weights[1] * 1.6, weights[2] * 1.6, weights[3] * 1.6)
    health = rng.choices(_HEALTHS, weights)[0]
    in_school = (6 <= age <= 15 and rng.random() < 0.98) or (16 <= age <= 18 and rng.random() < 0.8) \
        or (19 <= age <= 22 and rng.random() < 0.35)
    if age < 16:
        labour = LabourCapacity.NONE
    elif health in (Health.SERIOUS_ILLNESS, Health.DISABLED):
        labour = LabourCapacity.LOST if rng.random() < 0.55 else LabourCapacity.WEAK
    elif age >= 75:
        labour = LabourCapacity.NONE
    elif age >= 60:
        labour = LabourCapacity.WEAK if rng.random() < 0.7 or health is Health.CHRONIC_ILLNESS \
            else LabourCapacity.ORDINARY
    elif health is Health.CHRONIC_ILLNESS:
        labour = LabourCapacity.WEAK if rng.random() < 0.5 else LabourCapacity.ORDINARY
    else:
        labour = LabourCapacity.SKILLED if rng.random() < 0.25 else LabourCapacity.ORDINARY
    return health, labour, in_school


# ---------------------------------------------------------------------------------- risk tables

_RISKS = (
    (RiskType.ILLNESS, 30), (RiskType.UNSTABLE_EMPLOYMENT, 18), (RiskType.NATURAL_DISASTER, 9),
    (RiskType.ACCIDENT, 8), (RiskType.DISABILITY, 8), (RiskType.SCHOOLING, 7),
    (RiskType.FAILED_INDUSTRY, 8), (RiskType.LACK_OF_LABOUR, 7), (RiskType.OTHER, 5),
)
_SECOND_RISK = {
    RiskType.ILLNESS: RiskType.LACK_OF_LABOUR, RiskType.DISABILITY: RiskType.LACK_OF_LABOUR,
    RiskType.ACCIDENT: RiskType.ILLNESS, RiskType.NATURAL_DISASTER: RiskType.FAILED_INDUSTRY,
    RiskType.UNSTABLE_EMPLOYMENT: RiskType.SCHOOLING,
}
_DEPARTMENTS_FOR = {
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
_NEEDS_FOR = {
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
_NEEDS_FOR_PROBLEM = {
    Problem.UNSAFE_HOUSING: MeasureType.HOUSING_SAFETY,
    Problem.UNSAFE_WATER: MeasureType.WATER_SAFETY,
    Problem.OUT_OF_SCHOOL: MeasureType.COMPULSORY_EDUCATION,
    Problem.UNINSURED_MEMBER: MeasureType.HEALTH,
}
_DEVELOPMENT = frozenset({MeasureType.INDUSTRY, MeasureType.EMPLOYMENT, MeasureType.FINANCE,
                          MeasureType.PUBLIC_WELFARE_POST})
_MEASURE_DEPARTMENT = {
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
_MEASURE_AMOUNT: dict[MeasureType, tuple[int, int, int] | None] = {  # (low, high, unit) yuan
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
_SUBSIDY = {  # 医保参保资助 per person, yuan (resident premium 400)
    Category.UNSTABLE_LIFTED_OUT: Decimal(280),
    Category.EDGE_OF_POVERTY: Decimal(200),
    Category.SUDDEN_SEVERE_HARDSHIP: Decimal(200),
}
_DISEASES = ("脑梗死", "冠心病", "肺癌", "胃癌", "尿毒症", "乳腺癌", "股骨骨折", "白血病",
             "肝硬化", "慢性阻塞性肺疾病", "糖尿病并发症", "脑出血")
_FAILED_CHECK_WEIGHTS = (
    (Check.HOUSING_SAFETY, 40), (Check.WATER_SAFETY, 25), (Check.BASIC_MEDICAL, 20),
    (Check.FOOD, 5), (Check.CLOTHING, 5), (Check.COMPULSORY_EDUCATION, 5),
)
_ORDERED_LABOUR = (LabourCapacity.SKILLED, LabourCapacity.ORDINARY, LabourCapacity.WEAK,
                   LabourCapacity.LOST, LabourCapacity.NONE)

# Same-day ordering of what people do.
_P_MEMBERS, _P_ALERT, _P_STEP, _P_HELP, _P_VISIT, _P_INCOME, _P_ELIMINATE, _P_LATE = range(8)


def _weighted(rng: Random, table: tuple[tuple[Any, int], ...]) -> Any:
    total = sum(w for _, w in table)
    roll = rng.random() * total
    for value, weight in table:
        roll -= weight
        if roll < 0:
            return value
    return table[-1][0]


def _money(amount: float) -> Decimal:
    return Decimal(round(amount))


# ---------------------------------------------------------------------------------- simulation

@dataclass
class _Script:
    """How one case's procedure will go (decided when its first alert opens it)."""

    fate: str
    green: bool = False
    green_owed: bool = False
    eliminate: bool = False
    reentry: bool = False
    late: bool = False
    person: str = ""
    eliminate_attempts: int = 0


class _Simulation:
    """One household's year, run as an agenda of dated actions in date order.

    Each action looks at the case file as it stands, decides what a worker would do, and calls
    one public method of the aggregate. Recording times follow the dates with a delay of 0–3
    days and never go backwards.
    """

    def __init__(self, *, rng: Random, seed: int, year: int, plan: _Plan, village: Village,
                 serial: int, ids: _IdNumbers) -> None:
        self.rng = rng
        self.seed = seed
        self.year = year
        self.plan = plan
        self.village = village
        self.ids = ids
        self.code = f"{village.prefix}{serial:04d}"
        self.end = date(year, 12, 31)
        self.agenda: list[tuple[int, int, int, Callable[..., None], tuple[Any, ...]]] = []
        self.sequence = 0
        self.commands = 0
        self.counters: Counter[str] = Counter()
        self.last_at: datetime | None = None
        self.scripts: dict[int, _Script] = {}
        self.visiting = False
        self.house_number = serial
        self.h: Household

    # ---------------------------------------------------------------- agenda and recording

    def schedule(self, day: date, priority: int, action: Callable[..., None], *args: Any) -> None:
        if day <= self.end:
            self.sequence += 1
            heapq.heappush(self.agenda, (day.toordinal(), priority, self.sequence, action, args))

    def run(self) -> Household:
        self.register()
        while self.agenda:
            ordinal, _, _, action, args = heapq.heappop(self.agenda)
            action(date.fromordinal(ordinal), *args)
        return self.h

    def at(self, day: date) -> datetime:
        """Recording time: the day (county calendar) plus a small delay, never going back."""
        roll = self.rng.random()
        delay = 0 if roll < 0.7 else 1 if roll < 0.88 else 2 if roll < 0.96 else 3
        minutes = self.rng.randint(8 * 60 + 30, 17 * 60 + 30)
        local = datetime(day.year, day.month, day.day, tzinfo=CHINA_TIME)
        moment = (local + timedelta(days=delay, minutes=minutes)).astimezone(UTC)
        if self.last_at is not None and moment <= self.last_at:
            moment = self.last_at + timedelta(minutes=self.rng.randint(1, 5))
        self.last_at = moment
        return moment

    def command_id(self) -> str:
        self.commands += 1
        return f"demo-{self.year}-{self.seed}-{self.code}-{self.commands:03d}"

    def next_id(self, kind: str) -> str:
        self.counters[kind] += 1
        return f"{self.code}-{kind}{self.counters[kind]:02d}"

    def do(self, method: str, day: date, by: Actor, **command: Any) -> Any:
        return getattr(self.h, method)(
            **command, occurred_on=day, by=by, at=self.at(day), command_id=self.command_id()
        )

    def county_actor(self) -> Actor:
        return self.rng.choice(COUNTY_ACTORS)

    def days(self, day: date, low: int, high: int) -> date:
        return day + timedelta(days=self.rng.randint(low, high))

    # ---------------------------------------------------------------- registration

    def register(self) -> None:
        rng, plan = self.rng, self.plan
        registered_on = date(self.year - 1, 12, 1) + timedelta(days=rng.randint(0, 19))
        weights = (18, 30, 18, 17, 11, 6) if plan.lifted_out else (10, 26, 22, 22, 13, 7)
        size = rng.choices((1, 2, 3, 4, 5, 6), weights)[0]
        people = _family(rng, size)
        _, head_sex, _ = people[0]
        surname = rng.choice(_SURNAME_POOL)
        spouse_surname = rng.choice(_SURNAME_POOL)
        father_surname = surname if head_sex is Sex.MALE else spouse_surname
        members = []
        for relation, sex, age in people:
            born = _birth_day(rng, age, registered_on)
            if relation in (Relation.HEAD, Relation.SIBLING) or (
                relation is Relation.PARENT and sex is Sex.MALE
            ):
                family_name = surname
            elif relation in (Relation.SON, Relation.DAUGHTER, Relation.GRANDCHILD):
                family_name = father_surname
            else:
                family_name = None
            health, labour, in_school = _condition(rng, age, plan.lifted_out)
            members.append(MemberDetails(
                name=_name(rng, sex, born.year, family_name),
                id_number=self.ids.allocate(born, sex),
                relation=relation, health=health, labour_capacity=labour, in_school=in_school,
                insured=rng.random() < (0.995 if plan.lifted_out else 0.98),
            ))
        lifted_year = None
        if plan.lifted_out:
            lifted_year = rng.choices(range(2014, 2021), (4, 8, 14, 20, 26, 20, 8))[0]
        village = self.village
        self.h = Household.register(
            code=self.code, township=village.township, village=village.name,
            address=f"{COUNTY_NAME}{village.township}{village.name}{self.house_number}号",
            household_type=HouseholdType.LIFTED_OUT if plan.lifted_out else HouseholdType.ORDINARY,
            members=members, lifted_out_year=lifted_year, occurred_on=registered_on,
            by=village.township_actor, at=self.at(registered_on), command_id=self.command_id(),
        )
        self.plan_year(registered_on)

    def plan_year(self, registered_on: date) -> None:
        rng, plan, year = self.rng, self.plan, self.year
        if plan.lifted_out:
            # The year-end income check of the year before, against that year's line.
            self.schedule(self.days(registered_on, 1, 10), _P_INCOME, self.assess,
                          year - 1, rng.uniform(1.25, 3.0))
            self.start_visits(self.days(registered_on, 1, 3))
        self.schedule(date(year, 11, 15) + timedelta(days=rng.randint(0, 30)), _P_INCOME,
                      self.year_end_assessment)
        if plan.fate is not None:
            self.plan_episode(plan)
        self.plan_member_changes()
        if plan.correction or (plan.fate is not None and rng.random() < 0.03):
            self.schedule(date(year, rng.randint(9, 12), rng.randint(1, 20)), _P_LATE, self.correct)

    def plan_episode(self, plan: _Plan) -> None:
        rng, year = self.rng, self.year
        risk: RiskType | None = None
        if plan.green:
            risk = RiskType.NATURAL_DISASTER if rng.random() < 0.6 else RiskType.ACCIDENT
        if plan.eliminate:
            day = date(year, 1, 5) + timedelta(days=rng.randint(0, 75))
            while risk in (None, RiskType.NATURAL_DISASTER):
                risk = _weighted(rng, _RISKS)
        else:
            day = date(year, 1, 3) + timedelta(days=rng.randint(0, 355))
        if risk is None:
            risk = _weighted(rng, _RISKS)
        if risk is RiskType.NATURAL_DISASTER and not plan.eliminate:
            day = date(year, 7, 10) + timedelta(days=rng.randint(0, 60))  # the summer floods
        sudden = risk in (RiskType.NATURAL_DISASTER, RiskType.ACCIDENT)
        script = _Script(
            fate=plan.fate or INCLUDE, green=plan.green or (sudden and rng.random() < 0.35),
            green_owed=plan.green_owed, eliminate=plan.eliminate, reentry=plan.reentry,
            late=rng.random() < 0.08,
        )
        self.schedule(day, _P_ALERT, self.episode, script, risk)

    def random_script(self) -> _Script:
        roll = self.rng.random()
        fate = (NO_RISK if roll < 0.12 else REJECT_VILLAGE if roll < 0.17
                else REJECT_TOWNSHIP if roll < 0.23 else REJECT_COUNTY if roll < 0.3 else INCLUDE)
        return _Script(fate=fate, late=self.rng.random() < 0.08)

    # ---------------------------------------------------------------- members

    def current(self, day: date) -> list[Member]:
        return self.h.members_on(day)

    def plan_member_changes(self) -> None:
        rng, start = self.rng, date(self.year, 1, 1)
        changes: list[tuple[date, Callable[..., None], tuple[Any, ...]]] = []

        def some_day() -> date:
            return start + timedelta(days=rng.randint(0, 360))

        members = list(self.h.members.values())
        couple = [m for m in members if m.relation in (Relation.HEAD, Relation.SPOUSE)]
        mother = next((m for m in couple if m.sex is Sex.FEMALE
                       and 22 <= _age(m.birth_date, start) <= 40), None)
        if (mother is not None and len(couple) == 2 and len(members) < 6
                and rng.random() < 0.06):
            changes.append((some_day(), self.birth, ()))
        for m in members:
            age = _age(m.birth_date, start)
            if m.relation is Relation.DAUGHTER and 20 <= age <= 32 and not m.in_school:
                if rng.random() < 0.06:
                    changes.append((some_day(), self.leave, (m.id_number, LeaveReason.MARRIAGE)))
            elif m.relation is Relation.SON and 24 <= age <= 34 and rng.random() < 0.05:
                changes.append((some_day(), self.marry_in, (m.id_number,)))
            if age >= 65 and rng.random() < (0.05 if age >= 75 else 0.02):
                changes.append((some_day(), self.leave, (m.id_number, LeaveReason.DEATH)))
            elif (m.relation in (Relation.SON, Relation.DAUGHTER) and 18 <= age <= 30
                  and not m.in_school and rng.random() < 0.02):
                changes.append((some_day(), self.leave, (m.id_number, LeaveReason.MOVED_OUT)))
        changes.sort(key=lambda c: c[0])
        for day, action, args in changes[:2]:
            self.schedule(day, _P_MEMBERS, action, *args)

    def birth(self, day: date) -> None:
        current = self.current(day)
        couple = [m for m in current if m.relation in (Relation.HEAD, Relation.SPOUSE)]
        if len(couple) != 2 or len(current) >= 6:
            return
        father = next((m for m in couple if m.sex is Sex.MALE), couple[0])
        sex = Sex.MALE if self.rng.random() < 0.52 else Sex.FEMALE
        details = MemberDetails(
            name=_name(self.rng, sex, day.year, father.name[0]),
            id_number=self.ids.allocate(day, sex), relation=_child_relation(sex),
            labour_capacity=LabourCapacity.NONE, insured=False,
        )
        self.do("join_member", day, self.village.liaison, details=details, reason=JoinReason.BIRTH)
        # Enrolled in resident medical insurance a few weeks later.
        self.schedule(self.days(day, 15, 50), _P_MEMBERS, self.enrol, details.id_number)

    def enrol(self, day: date, id_number: str) -> None:
        member = self.h.members.get(id_number)
        if member is None or member.left_on is not None or member.insured:
            return
        self.do("update_member", day, self.village.liaison, id_number=id_number,
                changes={"insured": True})
        case = self.h.monitored_case
        if case is not None and f"{id_number}:{day.year}" not in self.h.subsidies:
            self.do("subsidise_medical_insurance", day, DEPARTMENT_ACTORS[Department.MEDICAL_INSURANCE],
                    id_number=id_number, year=day.year, amount=_SUBSIDY[case.category])

    def marry_in(self, day: date, son_id: str) -> None:
        son = self.h.members.get(son_id)
        if son is None or son.left_on is not None or len(self.current(day)) >= 6:
            return
        born = _birth_day(self.rng, self.rng.randint(21, 30), day)
        details = MemberDetails(
            name=_name(self.rng, Sex.FEMALE, born.year), id_number=self.ids.allocate(born, Sex.FEMALE),
            relation=Relation.OTHER,  # 儿媳
            labour_capacity=LabourCapacity.ORDINARY,
        )
        self.do("join_member", day, self.village.liaison, details=details, reason=JoinReason.MARRIAGE)

    def leave(self, day: date, id_number: str, reason: LeaveReason) -> None:
        member = self.h.members.get(id_number)
        current = self.current(day)
        if member is None or member.left_on is not None or len(current) < 2:
            return
        new_head = None
        if member.relation is Relation.HEAD:
            others = [m for m in current if m.id_number != id_number]
            spouse = next((m for m in others if m.relation is Relation.SPOUSE), None)
            adults = sorted((m for m in others if _age(m.birth_date, day) >= 18),
                            key=lambda m: m.birth_date)
            new_head = (spouse or (adults[0] if adults else others[0])).id_number
        self.do("leave_member", day, self.village.liaison, id_number=id_number, reason=reason,
                new_head_id_number=new_head)

    # ---------------------------------------------------------------- alerts

    def person_for(self, risk: RiskType, day: date) -> Member:
        current = self.current(day)
        rng = self.rng
        if risk is RiskType.ILLNESS:
            sick = [m for m in current if m.health in (Health.CHRONIC_ILLNESS, Health.SERIOUS_ILLNESS)]
            return rng.choice(sick or current)
        if risk is RiskType.DISABILITY:
            disabled = [m for m in current if m.health is Health.DISABLED]
            return rng.choice(disabled or current)
        if risk is RiskType.SCHOOLING:
            return rng.choice([m for m in current if m.in_school])
        if risk in (RiskType.UNSTABLE_EMPLOYMENT, RiskType.ACCIDENT, RiskType.FAILED_INDUSTRY):
            workers = [m for m in current if m.labour_capacity not in NO_WORKING_CAPACITY]
            return rng.choice(workers or current)
        return self.h.head

    def describe(self, risk: RiskType, person: Member, day: date,
                 disaster: DisasterKind | None) -> str:
        rng = self.rng
        if risk is RiskType.ILLNESS:
            cost = rng.randint(20, 180) * 1000
            return f"{person.name}患{rng.choice(_DISEASES)}住院治疗，自付医疗费用约{cost}元"
        if risk is RiskType.DISABILITY:
            kind = rng.choice(("肢体", "视力", "精神", "智力"))
            return f"{person.name}新办理残疾证（{kind}残疾），家庭负担加重"
        if risk is RiskType.SCHOOLING:
            return f"{person.name}就读{rng.choice(('高中', '中职', '大学'))}，学杂费、生活费支出大"
        if risk is RiskType.NATURAL_DISASTER:
            what = {DisasterKind.FLOOD: "强降雨引发山洪，房屋受损、农作物绝收",
                    DisasterKind.GEOLOGICAL: "山体滑坡损毁房屋",
                    DisasterKind.METEOROLOGICAL: "冰雹灾害致玉米、谷子绝收",
                    DisasterKind.DROUGHT: "持续干旱致农作物减产"}.get(disaster, "自然灾害造成损失")
            return f"{day.month}月{day.day}日{what}"
        if risk is RiskType.ACCIDENT:
            return f"{person.name}{rng.choice(('发生交通事故受伤', '务工时坠落受伤', '家中失火'))}，损失较大"
        if risk is RiskType.FAILED_INDUSTRY:
            return rng.choice(("养殖的肉牛发生疫病死亡", "种植的柴胡、黄芩滞销",
                               "香菇大棚经营亏损")) + f"，损失约{rng.randint(8, 60) * 1000}元"
        if risk is RiskType.UNSTABLE_EMPLOYMENT:
            return f"{person.name}在外务工的工地停工，失业返乡"
        if risk is RiskType.LACK_OF_LABOUR:
            return "家中主要劳动力因病丧失劳动能力，无人务工"
        return rng.choice(("房屋出现裂缝存在安全隐患", "家庭突发困难申请救助", "网络反映家庭生活困难"))

    def episode(self, day: date, script: _Script, risk: RiskType) -> None:
        """A risk befalls the household and is found through one of the three channels."""
        rng = self.rng
        current = self.current(day)
        if risk is RiskType.SCHOOLING and not any(m.in_school for m in current):
            risk = RiskType.ILLNESS
        person = self.person_for(risk, day)
        risks = [risk]
        second = _SECOND_RISK.get(risk)
        if second is not None and rng.random() < 0.25 and (
            second is not RiskType.SCHOOLING or any(m.in_school for m in current)
        ):
            risks.append(second)
        disaster = None
        if RiskType.NATURAL_DISASTER in risks:
            disaster = rng.choices((DisasterKind.FLOOD, DisasterKind.GEOLOGICAL,
                                    DisasterKind.METEOROLOGICAL, DisasterKind.DROUGHT),
                                   (60, 15, 15, 10))[0]
        problems: list[Problem] = []
        if disaster in (DisasterKind.FLOOD, DisasterKind.GEOLOGICAL) and rng.random() < 0.6:
            problems.append(Problem.UNSAFE_HOUSING)
        if any(not m.insured for m in current) and rng.random() < 0.5:
            problems.append(Problem.UNINSURED_MEMBER)
        roll = rng.random()
        dept_share = 0.6 if risk in (RiskType.NATURAL_DISASTER, RiskType.ILLNESS) else 0.35
        if roll < dept_share:
            channel = Channel.DEPARTMENT_ALERT
        elif roll < dept_share + (1 - dept_share) * 0.45:
            channel = Channel.SELF_DECLARATION
        else:
            channel = Channel.CADRE_SCREENING
        script.person = person.id_number
        outcome = self.alert(day, channel, person, tuple(risks), disaster, problems)
        if outcome is None or not outcome.new_case:
            return
        self.scripts[outcome.case_number] = script
        self.schedule_identification(outcome.case_number, day, script)
        if rng.random() < 0.1:  # another source reports the same trouble a few days later
            self.schedule(self.days(day, 1, 6), _P_ALERT, self.joining_alert,
                          outcome.case_number, person.id_number, risks[0])

    def alert(self, day: date, channel: Channel, person: Member, risks: tuple[RiskType, ...],
              disaster: DisasterKind | None, problems: list[Problem]) -> Any:
        rng = self.rng
        description = self.describe(risks[0], person, day, disaster)
        if channel is Channel.DEPARTMENT_ALERT:
            department = rng.choice(_DEPARTMENTS_FOR[risks[0]])
            tier = Tier.PROVINCIAL if rng.random() < 0.6 else Tier.COUNTY
            outcome = self.department_alert(day, department, tier, person.id_number, risks,
                                            disaster, problems, description, None)
            if tier is Tier.PROVINCIAL and rng.random() < 0.2:
                # The county tier pushes the same (person, risk, department, period) again.
                self.schedule(self.days(day, 2, 8), _P_ALERT, self.county_repush, department,
                              person.id_number, risks, disaster, description,
                              day.strftime("%Y-%m"))
            return outcome
        by = self.village.liaison
        return self.do("raise_alert", day, by, alert_id=self.next_id("A"), channel=channel,
                       person_id_number=person.id_number, risk_types=risks,
                       description=description, disaster_kind=disaster, problems=problems)

    def department_alert(self, day: date, department: Department, tier: Tier, person_id: str,
                         risks: tuple[RiskType, ...], disaster: DisasterKind | None,
                         problems: list[Problem], description: str, period: str | None) -> Any:
        slug = _DEPARTMENT_USERS[department].upper()
        batch = f"{slug}-{'P' if tier is Tier.PROVINCIAL else 'C'}-{day:%Y%m}{'A' if day.day <= 15 else 'B'}"
        return self.do(
            "raise_alert", day, DEPARTMENT_ACTORS[department], alert_id=self.next_id("A"),
            channel=Channel.DEPARTMENT_ALERT, person_id_number=person_id, risk_types=risks,
            description=description, period=period, department=department, tier=tier,
            batch_id=batch, disaster_kind=disaster, problems=problems,
        )

    def county_repush(self, day: date, department: Department, person_id: str,
                      risks: tuple[RiskType, ...], disaster: DisasterKind | None,
                      description: str, period: str) -> None:
        """The county tier pushes what the province already pushed: recorded as a duplicate."""
        member = self.h.members.get(person_id)
        if member is None or not member.is_member_on(day):
            return
        self.department_alert(day, department, Tier.COUNTY, person_id, risks, disaster, [],
                              description, period)

    def joining_alert(self, day: date, case_number: int, person_id: str, risk: RiskType) -> None:
        case = self.h.active_case
        member = self.h.members.get(person_id)
        if case is None or case.number != case_number or member is None \
                or not member.is_member_on(day):
            return
        department = _DEPARTMENTS_FOR[risk][-1]
        disaster = None
        if risk is RiskType.NATURAL_DISASTER:
            disaster = self.h.alerts[case.alert_ids[0]].disaster_kind or DisasterKind.OTHER
        self.department_alert(day, department, Tier.COUNTY, person_id, (risk,), disaster, [],
                              f"{department}排查发现{member.name}存在返贫致贫风险", None)

    # ---------------------------------------------------------------- identification

    def schedule_identification(self, number: int, discovered: date, script: _Script) -> None:
        first = self.days(discovered, 1, 3)
        if script.late:
            first = self.days(first, 5, 11)
        self.schedule(first, _P_STEP, self.verify, number)

    def schedule_steps(self, number: int, after: date, script: _Script) -> None:
        notice_from = self.days(after, 1, 2)
        notice_to = self.days(notice_from, 4, 6)
        village_on = self.days(notice_to, 0, 1)
        township_on = self.days(after, 2, 7)
        if script.late:
            township_on = self.days(township_on, 6, 14)
        county_on = self.days(max(village_on, township_on), 1, 3)
        self.schedule(village_on, _P_STEP, self.village_step, number, notice_from, notice_to)
        self.schedule(township_on, _P_STEP, self.township_step, number)
        self.schedule(county_on, _P_STEP, self.county_step, number)

    def identifying(self, number: int) -> Case | None:
        case = self.h.cases[number - 1]
        return None if case.closed or case.included else case

    def verify(self, day: date, number: int) -> None:
        case = self.identifying(number)
        if case is None or case.identification.home_visit is not None:
            return
        script = self.scripts[number]
        liaison = self.village.liaison
        if script.fate == NO_RISK:
            self.do("verify_at_home", day, liaison, case_number=number, finding=Finding.NO_RISK,
                    notes=self.rng.choice(("经入户核实，医疗费用已由大病保险报销，家庭基本生活无困难",
                                           "经入户核实，家庭收入稳定，无返贫致贫风险",
                                           "经入户核实，损失已由商业保险理赔")))
            return
        person = self.h.members.get(script.person)
        if (RiskType.ILLNESS in case.risk_types and person is not None and person.left_on is None
                and person.health is Health.HEALTHY):
            self.do("update_member", day, liaison, id_number=person.id_number,
                    changes={"health": Health.SERIOUS_ILLNESS})
        self.do("verify_at_home", day, liaison, case_number=number,
                finding=Finding.RISK_CONFIRMED, risk_clear=self.rng.random() < 0.85,
                notes="入户核实风险属实")
        hardship = self.green_hardship(case)
        if script.green and hardship is not None:
            opened = self.days(day, 0, 1)
            self.schedule(opened, _P_STEP, self.open_green_channel, number, hardship, day)
            if not script.green_owed:
                self.schedule_steps(number, self.days(opened, 3, 10), script)
        else:
            self.schedule_steps(number, day, script)

    @staticmethod
    def green_hardship(case: Case) -> SuddenHardship | None:
        for hardship in (SuddenHardship.NATURAL_DISASTER, SuddenHardship.ACCIDENT):
            if set(case.risk_types) & GREEN_CHANNEL_RISKS[hardship]:
                return hardship
        return None

    def open_green_channel(self, day: date, number: int, hardship: SuddenHardship,
                           visited: date) -> None:
        case = self.identifying(number)
        if case is None or case.green_channel is not None:
            return
        self.do("open_green_channel", day, self.village.township_actor, case_number=number,
                hardship=hardship, studied_on=visited, approved_on=day)
        self.schedule(day, _P_HELP, self.analyse, number)

    def village_step(self, day: date, number: int, notice_from: date, notice_to: date) -> None:
        case = self.identifying(number)
        if case is None or case.identification.rejected or case.identification.home_visit is None:
            return
        rejected = self.scripts[number].fate == REJECT_VILLAGE
        objections: tuple[str, ...] = ()
        if rejected or self.rng.random() < 0.05:
            objections = (self.rng.choice(("村民反映该户子女在城区务工，收入稳定",
                                           "村民反映该户有经营性货车")),)
        self.do("conclude_village_deliberation", day, self.village.liaison, case_number=number,
                decision=Decision.REJECTED if rejected else Decision.PASSED,
                notice_from=notice_from, notice_to=notice_to, objections=objections,
                reason="群众评议认为该户家庭收入较高，不符合纳入条件" if rejected else "")
        if rejected:
            self.closed(day, number)

    def township_step(self, day: date, number: int) -> None:
        case = self.identifying(number)
        if case is None or case.identification.rejected or case.identification.home_visit is None:
            return
        rejected = self.scripts[number].fate == REJECT_TOWNSHIP
        reason = ""
        if rejected:
            reason = self.rng.choice(("核查发现家庭成员有财政供养人员", "核查发现家庭在城镇购有商品房",
                                      "核查发现家庭成员经营企业"))
        self.do("complete_township_review", day, self.village.township_actor, case_number=number,
                decision=Decision.REJECTED if rejected else Decision.PASSED,
                disqualifying_found=rejected, reason=reason)
        if rejected:
            self.closed(day, number)

    def county_step(self, day: date, number: int) -> None:
        case = self.identifying(number)
        procedure = case.identification if case else None
        if case is None or procedure is None or procedure.rejected \
                or procedure.village_notice is None or procedure.township_review is None:
            return
        script = self.scripts[number]
        by = self.county_actor()
        if script.fate == REJECT_COUNTY:
            self.do("decide_at_county", day, by, case_number=number, decision=Decision.REJECTED,
                    reason=self.rng.choice(("比对发现家庭名下登记有小轿车", "比对发现家庭存款超过认定标准",
                                            "比对发现家庭在县城有商品房")))
            self.closed(day, number)
            return
        simplified = not simplified_approval_blockers(case) and self.rng.random() < 0.6
        self.do(
            "decide_at_county", day, by, case_number=number, decision=Decision.PASSED,
            category=self.category_for(case), risk_types=case.risk_types[:5],
            simplified=simplified,
            asset_comparison="" if simplified else "已比对存款、房产、车辆，未发现不予认定情形",
        )
        self.included(day, number)

    def category_for(self, case: Case) -> Category:
        sudden = bool(set(case.risk_types) & {RiskType.NATURAL_DISASTER, RiskType.ACCIDENT})
        illness = RiskType.ILLNESS in case.risk_types
        roll = self.rng.random()
        if self.h.household_type is HouseholdType.LIFTED_OUT:
            if (sudden and roll < 0.3) or (illness and roll < 0.1):
                return Category.SUDDEN_SEVERE_HARDSHIP
            return Category.UNSTABLE_LIFTED_OUT
        if (sudden and roll < 0.6) or (illness and roll < 0.3):
            return Category.SUDDEN_SEVERE_HARDSHIP
        return Category.EDGE_OF_POVERTY

    def closed(self, day: date, number: int) -> None:
        """A case ended without inclusion: help started in the green channel stops."""
        for measure in self.h.measures.values():
            if measure.case_number == number and measure.status is not MeasureStatus.ENDED:
                self.schedule(self.days(day, 0, 3), _P_HELP, self.end_measure,
                              measure.measure_id, "认定未通过，帮扶措施终止")

    def included(self, day: date, number: int) -> None:
        rng = self.rng
        case = self.h.cases[number - 1]
        script = self.scripts.get(number) or _Script(INCLUDE)
        if not any(a.case_number == number for a in self.h.analyses):
            self.schedule(self.days(day, 0, 4), _P_HELP, self.analyse, number)
        self.schedule(self.days(day, 1, 20), _P_HELP, self.subsidise, number)
        causes = [r for r in case.risk_types if r in RELIEF_CAUSES]
        if causes and (script.green or rng.random() < 0.5):
            self.schedule(self.days(day, 5, 40), _P_HELP, self.relief, number, causes[0])
        self.start_visits(self.days(day, 1, 5))
        if script.eliminate:
            self.schedule(self.days(add_months(day, 6), 3, 20), _P_ELIMINATE, self.eliminate, number)
        elif rng.random() < 0.6:
            self.schedule(self.days(add_months(day, 6), 3, 40), _P_ELIMINATE, self.eliminate, number)

    # ---------------------------------------------------------------- help

    def under_help(self, number: int) -> Case | None:
        case = self.h.active_case
        return case if case is not None and case.number == number and case.helpable else None

    def analyse(self, day: date, number: int) -> None:
        case = self.under_help(number)
        if case is None or any(a.case_number == number for a in self.h.analyses):
            return
        rng = self.rng
        current = self.current(day)
        labour = min((m.labour_capacity for m in current), key=_ORDERED_LABOUR.index)
        can_work = labour not in NO_WORKING_CAPACITY
        needs: list[MeasureType] = []
        for risk in case.risk_types:
            needs.extend(_NEEDS_FOR[risk])
        for alert_id in case.alert_ids:
            needs.extend(_NEEDS_FOR_PROBLEM[p] for p in self.h.alerts[alert_id].problems)
        if any(m.in_school and 6 <= _age(m.birth_date, day) <= 15 for m in current) \
                and RiskType.SCHOOLING in case.risk_types:
            needs.append(MeasureType.COMPULSORY_EDUCATION)
        if can_work:  # 开发式帮扶 for those who can work
            if not _DEVELOPMENT & set(needs):
                needs.append(rng.choice((MeasureType.EMPLOYMENT, MeasureType.INDUSTRY)))
        else:  # 兜底保障 for those who cannot
            needs = [n for n in needs if n not in _DEVELOPMENT] + [MeasureType.SOCIAL_SECURITY]
        needs = list(dict.fromkeys(needs))
        self.do("analyse_risk", day, self.village.township_actor, causes=case.risk_types,
                labour_capacity=labour, needs=needs,
                notes="缺什么补什么，因户施策" if can_work else "整户无劳动能力，落实兜底保障")
        if case.included:
            self.assess(day, day.year, rng.uniform(0.65, 1.15))
        for n, need in enumerate(needs[: rng.randint(1, 3)]):
            self.schedule(self.days(day, 0, 2 + 2 * n), _P_HELP, self.assign, number, need)

    def assign(self, day: date, number: int, measure_type: MeasureType) -> None:
        if self.under_help(number) is None:
            return
        rng = self.rng
        department = _MEASURE_DEPARTMENT[measure_type]
        if measure_type is MeasureType.SOCIAL_SECURITY and any(
            m.health is Health.DISABLED for m in self.current(day)
        ):
            department = Department.DISABLED_FEDERATION  # 残疾人两项补贴
        bounds = _MEASURE_AMOUNT[measure_type]
        amount = Decimal(rng.randint(bounds[0], bounds[1]) * bounds[2]) if bounds else None
        measure_id = self.next_id("M")
        self.do("assign_measure", day, self.village.township_actor, measure_id=measure_id,
                measure_type=measure_type, department=department,
                responsible_person=_name(rng, Sex.MALE if rng.random() < 0.6 else Sex.FEMALE, 1980),
                amount=amount)
        script = self.scripts.get(number)
        roll = 0.0 if script is not None and script.eliminate else rng.random()
        if roll < 0.88:
            self.schedule(self.days(day, 2, 18), _P_HELP, self.in_place, measure_id)
        elif roll < 0.95:  # late: more than 30 days after identification
            self.schedule(self.days(day, 35, 75), _P_HELP, self.in_place, measure_id)

    def in_place(self, day: date, measure_id: str) -> None:
        measure = self.h.measures[measure_id]
        if measure.status is not MeasureStatus.PLANNED:
            return
        if not self.h.cases[measure.case_number - 1].active:
            self.end_measure(day, measure_id, "案件已结束，未落实的措施取消")
            return
        self.do("put_measure_in_place", day, DEPARTMENT_ACTORS[measure.department],
                measure_id=measure_id)
        protection = measure.measure_type is MeasureType.SOCIAL_SECURITY and \
            self.h.without_labour_on(day)  # 兜底保障 goes on while nobody can work
        if not protection and self.rng.random() < 0.25:
            self.schedule(self.days(day, 30, 150), _P_HELP, self.end_measure, measure_id,
                          self.rng.choice(("帮扶完成", "临时救助已发放完毕", "补助已足额发放")))

    def end_measure(self, day: date, measure_id: str, reason: str) -> None:
        measure = self.h.measures[measure_id]
        if measure.status is MeasureStatus.ENDED or day < (measure.in_place_on or measure.started_on):
            return
        self.do("end_measure", day, self.village.township_actor, measure_id=measure_id,
                reason=reason)

    def subsidise(self, day: date, number: int) -> None:
        case = self.h.monitored_case
        if case is None or case.number != number or case.category is None:
            return
        for member in self.current(day):
            if f"{member.id_number}:{day.year}" in self.h.subsidies or self.rng.random() < 0.03:
                continue
            self.do("subsidise_medical_insurance", day,
                    DEPARTMENT_ACTORS[Department.MEDICAL_INSURANCE], id_number=member.id_number,
                    year=day.year, amount=_SUBSIDY[case.category])

    def relief(self, day: date, number: int, cause: RiskType) -> None:
        case = self.h.monitored_case
        if case is None or case.number != number:
            return
        rng = self.rng
        low, high = {RiskType.ILLNESS: (20, 200), RiskType.NATURAL_DISASTER: (20, 100),
                     RiskType.ACCIDENT: (30, 150)}[cause]
        person = self.h.members.get(self.scripts.get(number, _Script(INCLUDE)).person)
        beneficiary = person.id_number if person is not None and person.left_on is None else None
        self.do("pay_relief_insurance", day, self.county_actor(), payout_id=self.next_id("P"),
                cause=cause, amount=Decimal(rng.randint(low, high) * 100),
                beneficiary_id_number=beneficiary)

    # ---------------------------------------------------------------- visits and income

    def start_visits(self, day: date) -> None:
        if not self.visiting:
            self.visiting = True
            self.schedule(day, _P_VISIT, self.month)

    def month(self, day: date) -> None:
        """The month's visit (most months; some are missed), then next month's."""
        if day.day <= 28 and self.rng.random() < 0.94:
            self.schedule(self.days(day, 0, 28 - day.day), _P_VISIT, self.visit)
        following = date(day.year + day.month // 12, day.month % 12 + 1, 1)
        self.schedule(following, _P_VISIT, self.month)

    def visit(self, day: date) -> None:
        rng = self.rng
        checks = dict.fromkeys(Check, True)
        steady = any(s.eliminate for s in self.scripts.values()) or self.plan.eliminate
        if not steady and rng.random() < 0.002:
            failed = _weighted(rng, _FAILED_CHECK_WEIGHTS)
            checks[failed] = False
        change = rng.random()
        income = _money(rng.uniform(-2000, 3000)) if change < 0.15 else Decimal(0)
        spending = _money(rng.uniform(0, 4000)) if change > 0.9 else Decimal(0)
        outcome = self.do(
            "record_visit", day, self.village.liaison, visit_id=self.next_id("V"),
            visitor=self.village.liaison_name, checks=checks, income_change=income,
            spending_change=spending,
            notes="" if all(checks.values()) else "走访发现问题，已按乡村干部排查渠道上报",
        )
        if outcome is not None and outcome.new_case:
            script = self.random_script()
            script.person = self.h.head.id_number
            self.scripts[outcome.case_number] = script
            self.schedule_identification(outcome.case_number, day, script)

    def assess(self, day: date, year: int, ratio: float) -> None:
        """Assess a year's per-capita net income at ``ratio`` times the line in force that day."""
        rng = self.rng
        line = income_line_on(day)
        members = self.current(day)
        size = self.h.household_size_on(day)
        # Who can work earns wages and farms; who cannot lives on transfers (pensions, 低保).
        work = sum(m.labour_capacity not in NO_WORKING_CAPACITY for m in members) / size
        weights = (
            work * rng.uniform(2.5, 4.0),  # 工资性
            work * rng.uniform(0.5, 1.5) + rng.uniform(0.0, 0.3),  # 生产经营性
            rng.uniform(0.0, 0.1),  # 财产性
            rng.uniform(0.5, 1.0) + (1 - work) * rng.uniform(1.5, 3.0),  # 转移性
        )
        shares = [w / sum(weights) for w in weights]
        cost_ratio = rng.uniform(0.2, 0.5)  # production costs as a share of business income
        gross = float(line) * ratio * size / (1 - cost_ratio * shares[1])
        parts = [_money(gross * share) for share in shares]
        parts.append(_money(gross * shares[1] * cost_ratio))
        self.do("assess_income", day, self.village.township_actor,
                assessment_id=self.next_id("I"), year=year, wages=parts[0], business=parts[1],
                property=parts[2], transfers=parts[3], production_costs=parts[4],
                line_in_force=line)

    def year_end_assessment(self, day: date) -> None:
        rng = self.rng
        cases = self.h.cases
        ever_included = any(c.included for c in cases)
        if self.h.household_type is not HouseholdType.LIFTED_OUT and not ever_included:
            return
        case = self.h.monitored_case
        if case is not None:
            script = self.scripts.get(case.number)
            steady = case.eliminating or (script is not None and script.eliminate)
            ratio = rng.uniform(1.15, 1.8) if steady else rng.uniform(0.75, 1.6)
        elif cases and cases[-1].eliminated:
            ratio = rng.uniform(1.2, 2.2)
        elif self.h.active_case is None and rng.random() < 0.02:
            ratio = rng.uniform(0.8, 0.97)  # fell below the line: a risk signal
            self.schedule(self.days(day, 1, 7), _P_ALERT, self.low_income_alert)
        else:
            ratio = rng.uniform(1.2, 3.0)
        self.assess(day, day.year, ratio)

    def low_income_alert(self, day: date) -> None:
        if self.h.active_case is not None:
            return
        head = self.h.head
        latest = self.h.assessments[-1]
        outcome = self.do(
            "raise_alert", day, self.village.liaison, alert_id=self.next_id("A"),
            channel=Channel.CADRE_SCREENING, person_id_number=head.id_number,
            risk_types=(RiskType.UNSTABLE_EMPLOYMENT,),
            description=f"年度收入核算人均纯收入{latest.per_capita}元，低于收入监测标准{latest.line_in_force}元",
        )
        if outcome.new_case:
            script = self.random_script()
            script.person = head.id_number
            self.scripts[outcome.case_number] = script
            self.schedule_identification(outcome.case_number, day, script)

    # ---------------------------------------------------------------- risk elimination

    def eliminate(self, day: date, number: int) -> None:
        """Propose eliminating the risk when the rules of §9 allow it (else try again later)."""
        case = self.h.monitored_case
        if case is None or case.number != number or case.eliminating:
            return
        script = self.scripts.setdefault(number, _Script(INCLUDE))
        script.eliminate_attempts += 1
        line = income_line_on(day)
        fixed = {"ELIMINATION_TOO_EARLY", "ELIMINATION_NO_MEASURE",
                 "ELIMINATION_PROTECTION_DEPENDENT"}
        if any(code in fixed for code, _ in elimination_blockers(self.h, case, day, line)):
            self.retry_elimination(day, number)
            return
        # Check the income and the guarantees on the day, as the procedure asks.
        if not any(a.occurred_on == day for a in self.h.assessments):
            self.assess(day, day.year, self.rng.uniform(1.15, 1.9))
        visit = self.h.latest_visit(day)
        if (visit is None or visit.failed_checks or visit.occurred_on < (case.included_on or day)) \
                and not any(v.occurred_on == day for v in self.h.visits):
            self.do("record_visit", day, self.village.liaison, visit_id=self.next_id("V"),
                    visitor=self.village.liaison_name, checks=dict.fromkeys(Check, True),
                    notes="风险消除前入户核实")
        if elimination_blockers(self.h, case, day, line):
            self.retry_elimination(day, number)
            return
        mode = EliminationMode.NATURAL if self.rng.random() < 0.15 else EliminationMode.BY_HELP
        self.do("verify_elimination_at_home", day, self.village.liaison, mode=mode,
                line_in_force=line, notes="收入持续稳定超过监测标准，“三保障”和饮水安全有保障")
        notice_from = self.days(day, 1, 3)
        notice_to = self.days(notice_from, 4, 6)
        self.schedule(self.days(notice_to, 0, 1), _P_ELIMINATE, self.elimination_notice,
                      number, notice_from, notice_to)
        self.schedule(self.days(day, 2, 8), _P_ELIMINATE, self.elimination_review, number)

    def retry_elimination(self, day: date, number: int) -> None:
        if self.scripts[number].eliminate_attempts < 3:
            self.schedule(self.days(day, 25, 40), _P_ELIMINATE, self.eliminate, number)

    def eliminating(self, number: int) -> Case | None:
        case = self.h.monitored_case
        if case is None or case.number != number or not case.eliminating:
            return None
        return case

    def elimination_notice(self, day: date, number: int, notice_from: date, notice_to: date) -> None:
        case = self.eliminating(number)
        if case is None or case.elimination is None or case.elimination.village_notice is not None:
            return
        rejected = not self.scripts[number].eliminate and self.rng.random() < 0.03
        self.do("conclude_elimination_notice", day, self.village.liaison,
                decision=Decision.REJECTED if rejected else Decision.PASSED,
                notice_from=notice_from, notice_to=notice_to,
                reason="群众评议认为该户收入尚不稳定" if rejected else "")
        if rejected:
            self.retry_elimination(day, number)
        else:
            self.after_elimination_step(day, number)

    def elimination_review(self, day: date, number: int) -> None:
        case = self.eliminating(number)
        if case is None or case.elimination is None or case.elimination.township_review is not None:
            return
        rejected = not self.scripts[number].eliminate and self.rng.random() < 0.03
        self.do("complete_elimination_review", day, self.village.township_actor,
                decision=Decision.REJECTED if rejected else Decision.PASSED,
                reason="核查发现帮扶措施效果尚不稳定" if rejected else "")
        if rejected:
            self.retry_elimination(day, number)
        else:
            self.after_elimination_step(day, number)

    def after_elimination_step(self, day: date, number: int) -> None:
        case = self.eliminating(number)
        procedure = case.elimination if case else None
        if procedure is not None and procedure.village_notice and procedure.township_review:
            self.schedule(self.days(day, 1, 5), _P_ELIMINATE, self.elimination_decision, number)

    def elimination_decision(self, day: date, number: int) -> None:
        case = self.eliminating(number)
        if case is None or case.elimination is None or case.elimination.county_decision is not None:
            return
        line = income_line_on(day)
        blockers = elimination_blockers(self.h, case, day, line)
        script = self.scripts[number]
        reason = "；".join(message for _, message in blockers)
        if not reason and not script.eliminate and self.rng.random() < 0.04:
            reason = "收入来源不稳定，继续帮扶观察"
        by = self.county_actor()
        if reason:
            self.do("decide_elimination_at_county", day, by, decision=Decision.REJECTED,
                    line_in_force=line, reason=reason)
            self.retry_elimination(day, number)
            return
        self.do("decide_elimination_at_county", day, by, decision=Decision.PASSED,
                line_in_force=line)
        for measure in list(self.h.measures.values()):
            if measure.case_number == number and measure.status is not MeasureStatus.ENDED \
                    and (measure.status is MeasureStatus.PLANNED or self.rng.random() < 0.5):
                self.schedule(self.days(day, 0, 10), _P_HELP, self.end_measure,
                              measure.measure_id, "风险已消除，措施到期结束")
        if script.reentry or self.rng.random() < 0.03:
            again = _Script(INCLUDE) if script.reentry else self.random_script()
            risk = self.rng.choice((RiskType.ILLNESS, RiskType.UNSTABLE_EMPLOYMENT,
                                    RiskType.ACCIDENT, RiskType.FAILED_INDUSTRY))
            self.schedule(self.days(day, 15, 45), _P_ALERT, self.episode, again, risk)

    # ---------------------------------------------------------------- corrections

    def correct(self, day: date) -> None:
        """Correct a recorded fact that was entered wrongly (the event stays as it was)."""
        rng = self.rng
        subjects = self.h.subjects
        kinds = ("visit", "measure", "alert", "household")
        candidates = {kind: [v for v, s in subjects.items() if s.split(":", 1)[0] == kind]
                      for kind in kinds}
        kind = next((k for k in kinds if candidates[k] and rng.random() < 0.7), "household")
        version = rng.choice(candidates[kind])
        subject = subjects[version]
        if kind == "visit":
            changes: dict[str, Any] = {"visitor": _name(rng, Sex.MALE, 1978)}
            reason = "走访人姓名录入错误"
        elif kind == "measure":
            changes = {"responsible_person": _name(rng, Sex.FEMALE, 1985)}
            reason = "帮扶责任人录入错误"
        elif kind == "alert":
            alert = self.h.subject_record(subject)
            changes = {"description": f"{alert.description}（经核实补充：已入户了解详细情况）"}
            reason = "预警描述不完整"
        else:
            self.house_number += rng.randint(1, 9)
            changes = {"address": f"{COUNTY_NAME}{self.village.township}{self.village.name}"
                                  f"{self.house_number}号"}
            reason = "门牌号录入错误"
        self.do("correct", day, self.village.township_actor, corrects_version=version,
                changes=changes, reason=reason)


# ---------------------------------------------------------------------------------- generation

def generate_county(households: int, seed: int = 2025, year: int = 2025) -> Iterator[Household]:
    """Stream ``households`` Household aggregates with their pending (unsaved) events.

    Deterministic in (seed, index): the same seed gives the same events, and household ``i`` does
    not depend on how many are asked for. Households are registered in December of the year before
    and live through ``year``. Memory stays flat: one household is built at a time, and the only
    state carried across households is per village and per birth date.
    """
    if households < 0:
        raise ValueError("households must not be negative")
    assigner = _VillageAssigner()
    ids = _IdNumbers(date(year + 1, 12, 31))
    plans: list[_Plan] = []
    for index in range(households):
        block, slot = divmod(index, BLOCK_SIZE)
        if slot == 0:
            plans = _block_plans(seed, block)
        village, serial = assigner.next()
        simulation = _Simulation(
            rng=Random(f"{seed}/household/{index}"), seed=seed, year=year, plan=plans[slot],
            village=village, serial=serial, ids=ids,
        )
        yield simulation.run()


# ---------------------------------------------------------------------------------- loading

@dataclass
class DemoSummary:
    """What the demo holds, counted from the generated households while streaming.

    ``monitoring_objects`` counts households that are monitoring objects at the end, by category;
    ``open_cases`` households whose active case is not (yet) included (being identified, or a
    green-channel case still owing steps); ``eliminated`` and ``re_entries`` count cases.
    ``saved_households``/``saved_events`` say what this load recorded (0 when already loaded).
    """

    households: int = 0
    events: int = 0
    monitoring_objects: dict[Category, int] = field(
        default_factory=lambda: dict.fromkeys(Category, 0)
    )
    open_cases: int = 0
    eliminated: int = 0
    re_entries: int = 0
    saved_households: int = 0
    saved_events: int = 0
    governance_events: int = 0  # push receipts and meetings recorded by this load
    events_by_type: dict[str, int] = field(default_factory=dict)

    def add(self, household: Household) -> None:
        self.households += 1
        self.events += len(household.pending_events)
        for event in household.pending_events:
            name = type(event).__name__
            self.events_by_type[name] = self.events_by_type.get(name, 0) + 1
        category = household.category
        if category is not None:
            self.monitoring_objects[category] += 1
        active = household.active_case
        if active is not None and not active.included:
            self.open_cases += 1
        self.eliminated += sum(1 for case in household.cases if case.eliminated)
        self.re_entries += sum(1 for case in household.cases if case.re_entry)


def registration_command_id(seed: int, code: str, year: int = 2025) -> str:
    """The command id of a demo household's registration (the first command of each)."""
    return f"demo-{year}-{seed}-{code}-001"


def load_demo(
    app: CaseFiles,
    households: int,
    seed: int = 2025,
    batch: int = 200,
    progress: Callable[[int, int], None] | None = None,
    *,
    year: int = 2025,
) -> DemoSummary:
    """Load the demo county into ``app``: the income lines, then the households in batches of
    ``batch`` aggregates per ``app.save`` (one transaction each), calling ``progress(done, total)``.

    Idempotent: households already registered by this demo (same seed) are skipped, so loading
    again records nothing and an interrupted load resumes. A household code registered otherwise
    raises `DemoConflict`.
    """
    if batch < 1:
        raise ValueError("batch must be at least 1")
    summary = DemoSummary()
    summary.saved_events += _ensure_income_lines(app, year)
    pending: list[Household] = []
    for household in generate_county(households, seed, year):
        summary.add(household)
        pending.append(household)
        if len(pending) == batch:
            _save_batch(app, pending, summary)
            pending = []
            if progress is not None:
                progress(summary.households, households)
    if pending:
        _save_batch(app, pending, summary)
        if progress is not None:
            progress(summary.households, households)
    summary.governance_events = _ensure_governance(app, year, seed)
    summary.saved_events += summary.governance_events
    return summary


def _ensure_governance(app: CaseFiles, year: int, seed: int) -> int:
    """The departments' push receipts and the county's meetings for the demo year, unless
    recorded already; returns the events recorded.

    Each scheduled push of the cadence table is received on time (most), late by one to six
    days (about one in ten) or not at all (about one in twenty); pushes due after the year are
    left out. A consultation is held every month but one, a dispatch meeting after each of the
    first three quarters. Recorded at the simulated receipt and meeting times.
    """

    rng = Random(f"{seed}-{year}-governance")
    last_day = date(year, 12, 31)
    saved: list[Any] = []
    receipts: dict[Department, list[tuple[datetime, str, Any]]] = {}
    for duty in Cadences.load().duties:
        if not duty.scheduled:
            continue
        # December's pushes due by the 5th of January belong to the year as well
        for month in [month_period(year - 1, 12), *(month_period(year, m) for m in range(1, 13))]:
            for push_period, due in windows(duty, month):
                if due.year != year:
                    continue
                roll = rng.random()
                if roll < 0.05:
                    continue  # 漏报
                received = (due + timedelta(days=rng.randint(1, 6)) if roll < 0.15
                            else due - timedelta(days=rng.randint(0, 2)))
                if received > last_day:
                    continue
                moment = datetime(received.year, received.month, received.day, 9, tzinfo=CHINA_TIME)
                moment = (moment + timedelta(minutes=rng.randint(0, 480))).astimezone(UTC)
                receipts.setdefault(duty.department, []).append(
                    (moment, push_period, rng.randint(0, 12)))
    for department, pushes in receipts.items():
        if app.push_ledger(department) is not None:
            continue  # loaded before
        pushes.sort()
        first_at = pushes[0][0]
        ledger = PushLedger.start(department, occurred_on=local_date(first_at), by=SYSTEM, at=first_at)
        slug = _DEPARTMENT_USERS[department].upper()
        for moment, push_period, rows in pushes:
            ledger.receive(batch_id=f"{slug}-C-{push_period}", tier=Tier.COUNTY, period=push_period,
                           rows=rows, by=DEPARTMENT_ACTORS[department], at=moment,
                           command_id=f"demo-{year}-{seed}-push-{slug}-{push_period}")
        saved.append(ledger)
    if app.governance() is None:
        governance = _demo_meetings(rng, year, seed)
        saved.append(governance)
    events = sum(len(aggregate.pending_events) for aggregate in saved)
    if saved:
        app.save(*saved)
    return events


def _demo_meetings(rng: Random, year: int, seed: int) -> Governance:
    skipped = rng.randint(2, 11)  # one month without a consultation
    start = datetime(year, 1, 2, 9, tzinfo=CHINA_TIME).astimezone(UTC)
    governance = Governance.start(occurred_on=date(year, 1, 2), by=SYSTEM, at=start)
    cadences = Cadences.load()  # in force from the start of the demo year
    governance.adopt_cadence_table(digest=cadences.digest, text=cadences.text, by=SYSTEM, at=start,
                                   command_id=f"cadences:{cadences.digest}")
    departments = [d for d in Department if d is not Department.RURAL_REVITALISATION]
    meetings: list[tuple[date, str | None]] = [
        (date(year, month, rng.randint(20, 28)), None) for month in range(1, 13) if month != skipped
    ]
    meetings += [(date(year, 3 * quarter + 1, rng.randint(8, 15)), f"{year}-Q{quarter}")
                 for quarter in (1, 2, 3)]
    for held_on, quarter in sorted(meetings):
        at = datetime(held_on.year, held_on.month, held_on.day, 16, tzinfo=CHINA_TIME).astimezone(UTC)
        present = [Department.RURAL_REVITALISATION, *rng.sample(departments, rng.randint(5, 9))]
        common = {"departments_present": present, "occurred_on": held_on, "by": COUNTY_ACTORS[0],
                  "at": at}
        if quarter is None:
            governance.hold_consultation(
                meeting_id=f"HS-{held_on:%Y-%m}", topics=["本月预警核实与识别认定进展", "帮扶措施落实研判"],
                decisions=["审定本月识别认定结果", "逾期案件督促办结"], **common,
                command_id=f"demo-{year}-{seed}-consultation-{held_on:%m}")
        else:
            governance.hold_dispatch_meeting(
                meeting_id=f"DD-{quarter}", quarter=quarter, topics=["季度工作调度", "问题整改"],
                decisions=["通报推送迟报漏报部门", "限期整改"], **common,
                command_id=f"demo-{year}-{seed}-dispatch-{quarter}")
    return governance


def _registered(app: CaseFiles, household: Household) -> bool:
    """Whether this demo household is in the log already (the same registration command)."""
    first = next(iter(app.events.get(household.id, lte=1)), None)
    if first is None:
        return False
    expected = household.pending_events[0].command_id  # type: ignore[attr-defined]
    if getattr(first, "command_id", None) != expected:
        raise DemoConflict(
            f"户编号 {household.code} 已登记，但不是这份演示数据（{expected}）登记的；"
            "请使用空的数据库，或使用原来的种子和年度"
        )
    return True


def _save_batch(app: CaseFiles, batch: list[Household], summary: DemoSummary) -> None:
    # Earlier loads saved a prefix of the same stream, each batch in one transaction.
    if _registered(app, batch[-1]):
        return
    new = batch
    if _registered(app, batch[0]):
        new = [h for h in batch if not _registered(app, h)]
    events = sum(len(h.pending_events) for h in new)
    if new:
        app.save(*new)
    summary.saved_households += len(new)
    summary.saved_events += events


def _ensure_income_lines(app: CaseFiles, year: int) -> int:
    """Set the lines of ``year - 1`` and ``year`` unless set already; returns events recorded.

    The lines are recorded as set by the county centre on 20 December of the year before they
    take effect, so the log shows them known before the demo's assessments use them.
    """
    policy = app.income_line_policy()
    changed = False
    for line_year in (year - 1, year):
        amount = income_line(line_year)
        command_id = f"demo-income-line-{line_year}"
        if policy is not None and command_id in policy.command_ids:
            continue
        if policy is not None and line_year in policy.lines:
            line = policy.lines[line_year]
            if line.yuan_per_capita == amount and line.effective_from == date(line_year, 1, 1):
                continue
            raise DemoConflict(
                f"{line_year} 年度收入监测标准已设为 {line.yuan_per_capita} 元，"
                f"与演示数据的 {amount} 元不同"
            )
        occurred_on = date(line_year - 1, 12, 20)
        at = datetime(line_year - 1, 12, 20, 10, 0, tzinfo=CHINA_TIME).astimezone(UTC)
        if policy is None:
            policy = IncomeLinePolicy.start(occurred_on=occurred_on, by=SYSTEM, at=at)
        else:
            at = max(at, policy.modified_on + timedelta(seconds=1))
        policy.set_line(
            year=line_year, yuan_per_capita=amount, effective_from=date(line_year, 1, 1),
            reason=f"{line_year}年度收入监测标准（年度调整）", occurred_on=occurred_on,
            by=COUNTY_ACTORS[0], at=at, command_id=command_id,
        )
        changed = True
    if not changed or policy is None:
        return 0
    recorded = len(policy.pending_events)
    app.save(policy)
    return recorded


__all__ = [
    "DemoConflict",
    "DemoSummary",
    "Village",
    "county",
    "generate_county",
    "income_line",
    "income_line_on",
    "load_demo",
    "registration_command_id",
]


# ---------------------------------------------------------------------------------- demo users

#: Fixed bearer tokens of the demo users, one per role (stored as hashes like any other token).
#: They exist only where `ensure_demo_users` ran: a demo county, never a real one.
DEMO_TOKENS = {
    Role.COUNTY_CENTRE: "demo-county",
    Role.TOWNSHIP_WORKSTATION: "demo-township",
    Role.VILLAGE_LIAISON: "demo-village",
    Role.DEPARTMENT: "demo-department",
    Role.AUDITOR: "demo-auditor",
    Role.ASSESSMENT_TEAM: "demo-assessment",
}


def demo_users() -> list[User]:
    """One user per role; the township and village users work in the demo's first village,
    the department user for 医保局. Their names are the demo log's own actors."""
    first = county()[0]
    return [
        User(COUNTY_ACTORS[0].user_id, Role.COUNTY_CENTRE, display_name="县防贫中心（演示）"),
        User(first.township_actor.user_id, Role.TOWNSHIP_WORKSTATION, township=first.township,
             display_name=f"{first.township}工作站（演示）"),
        User(first.liaison.user_id, Role.VILLAGE_LIAISON, township=first.township,
             village=first.name, display_name=f"{first.name}联络员 {first.liaison_name}"),
        User(DEPARTMENT_ACTORS[Department.MEDICAL_INSURANCE].user_id, Role.DEPARTMENT,
             department=Department.MEDICAL_INSURANCE, display_name="医保局专班（演示）"),
        User("auditor-01", Role.AUDITOR, display_name="审计（演示）"),
        User("assessment-01", Role.ASSESSMENT_TEAM, display_name="考核组（演示）"),
    ]


def ensure_demo_users(users: Users) -> list[tuple[User, str]]:
    """Add the demo users, or give them back their fixed tokens; returns each with its token.
    The token is also the user's workbench password (demo county only)."""
    from application.accounts.logins import Logins

    logins = Logins(users)
    issued = []
    for user in demo_users():
        token = DEMO_TOKENS[user.role]
        try:
            users.add(user, token)
        except UserExists:
            users.issue_token(user.name, token)
        logins.set_password(user.name, token)
        issued.append((user, token))
    return issued
