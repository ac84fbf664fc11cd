"""The demo county: its townships and villages, its people's names, its workers, the resident ID
numbers it hands out, its income line and its 防贫保 payout bands.

The layout is fixed (it does not depend on the seed). Households are spread over the villages in
proportion to their weights, and ID numbers are unique in the county, with memory bounded by the
calendar, not by the households.
"""

from __future__ import annotations

import heapq
from array import array
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from random import Random

from domain.codes import Department, RiskType, Role, Sex
from domain.identity import check_digit
from domain.relief import ReliefBand, ReliefBands
from domain.values import Actor

COUNTY_AREA_CODE = "130630"
COUNTY_NAME = "涞源县"

#: The county's income monitoring line (yuan per capita per year), effective 1 January.
INCOME_LINES: dict[int, Decimal] = {2024: Decimal(8000), 2025: Decimal(8300)}


def income_line(year: int) -> Decimal:
    """The demo's line for ``year``: the known values, else 300 yuan a year from 2025's."""
    return INCOME_LINES.get(year, INCOME_LINES[2025] + 300 * (year - 2025))


#: The county's poverty line (扶贫标准, below the monitoring line; judges 返贫致贫人数).
POVERTY_LINES: dict[int, Decimal] = {2024: Decimal(4600), 2025: Decimal(4800)}


def poverty_line(year: int) -> Decimal:
    """The demo's poverty line for ``year``: the known values, else 200 yuan a year from 2025's."""
    return POVERTY_LINES.get(year, POVERTY_LINES[2025] + 200 * (year - 2025))


def income_line_on(day: date) -> Decimal:
    """The line in force on ``day`` (each year's line takes effect on 1 January)."""
    return income_line(day.year)


def _bands(cause: RiskType, *steps: tuple[int, int | None, str]) -> tuple[ReliefBand, ...]:
    return tuple(ReliefBand(cause, Decimal(low), None if high is None else Decimal(high), Decimal(rate))
                 for low, high, rate in steps)


#: The county's 防贫保 payout bands (赔付标准), in force from 1 January 2024: the share of the
#: out-of-pocket cost (自付费用或损失) paid in each band, capped per household per year.
RELIEF_BANDS = ReliefBands(
    effective_from=date(2024, 1, 1),
    bands=(
        *_bands(RiskType.ILLNESS, (5000, 20000, "0.5"), (20000, 50000, "0.6"), (50000, None, "0.7")),
        *_bands(RiskType.NATURAL_DISASTER, (3000, 10000, "0.4"), (10000, None, "0.6")),
        *_bands(RiskType.ACCIDENT, (5000, 20000, "0.5"), (20000, None, "0.6")),
    ),
    yearly_cap=Decimal(60000),
    reason="县防贫保赔付标准",
)


#: The insurers (经办机构) that run the county's 防贫保.
RELIEF_INSURERS = ("中国人民财产保险股份有限公司涞源支公司", "中国太平洋财产保险股份有限公司保定中心支公司")


def relief_bands_on(day: date) -> ReliefBands | None:
    """The payout bands in force on ``day``."""
    return RELIEF_BANDS if day >= RELIEF_BANDS.effective_from else None


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
SURNAME_POOL = tuple(name for name, weight in _SURNAMES for _ in range(weight))

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

DEPARTMENT_USERS = {
    Department.EMERGENCY: "yjj", Department.HEALTH: "wjj", Department.EDUCATION: "jyj",
    Department.MEDICAL_INSURANCE: "ybj", Department.HOUSING: "zjj", Department.WATER: "slj",
    Department.HUMAN_RESOURCES: "rsj", Department.CIVIL_AFFAIRS: "mzj",
    Department.DISABLED_FEDERATION: "cl", Department.AGRICULTURE: "nyj",
    Department.PUBLIC_SECURITY: "gaj", Department.CYBERSPACE: "wxb",
    Department.RURAL_REVITALISATION: "zxj",
}
DEPARTMENT_ACTORS = {
    department: Actor(f"dept-{slug}", Role.DEPARTMENT)
    for department, slug in DEPARTMENT_USERS.items()
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


def mobile(rng: Random) -> str:
    """A plausible 11-digit mobile number (the demo's people; never a real subscriber's list)."""
    return f"1{rng.choice('3578')}{rng.randint(0, 999_999_999):09d}"


@cache
def liaison_phone(village: Village) -> str:
    """The phone of a village's liaison, who is also the 网格员 of its households: fixed, like
    the layout (it does not depend on the seed)."""
    return mobile(Random(f"涞源县/网格员电话/{village.prefix}"))


#: Where the 帮扶责任人 of a household work: the township's own cadres, or the county's units
#: and their 驻村工作队 ({township}: the household's township).
HELPER_UNITS = ("{township}人民政府", "{township}人民政府", "县农业农村局", "县人力资源和社会保障局",
                "县乡村振兴局驻村工作队", "县教育和体育局", "县卫生健康局", "县民政局", "县自然资源和规划局")


def full_name(rng: Random, sex: Sex, born: int, surname: str | None = None) -> str:
    era = "old" if born < 1965 else "mid" if born < 1990 else "young"
    return (surname or rng.choice(SURNAME_POOL)) + rng.choice(_GIVEN_POOLS[era, sex])


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
                liaison_name=full_name(rng, Sex.MALE if rng.random() < 0.7 else Sex.FEMALE, 1975),
                township_actor=township_actor,
                weight=(2.0 if v == 1 else 1.0) * rng.uniform(0.6, 1.4),
            ))
    return tuple(villages)


class VillageAssigner:
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


class IdNumbers:
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
