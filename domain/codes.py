"""Code tables (码表) of domain.md, as enums whose values are the Chinese terms.

The values are what is stored and shown; the member names are their English glosses for code.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """Roles of domain.md §2."""

    COUNTY_CENTRE = "县防贫中心"
    TOWNSHIP_WORKSTATION = "乡镇工作站"
    VILLAGE_LIAISON = "村联络站"
    DEPARTMENT = "行业部门专班"
    AUDITOR = "审计"
    ASSESSMENT_TEAM = "考核组"
    SYSTEM = "系统"


class HouseholdType(StrEnum):
    """户类型: registered poverty-alleviated household, or ordinary rural household."""

    LIFTED_OUT = "脱贫户"
    ORDINARY = "一般农户"


class Category(StrEnum):
    """监测对象类别 — only while a household is monitored."""

    UNSTABLE_LIFTED_OUT = "脱贫不稳定户"
    EDGE_OF_POVERTY = "边缘易致贫户"
    SUDDEN_SEVERE_HARDSHIP = "突发严重困难户"


class RiskType(StrEnum):
    """返贫致贫风险类型 (national code table)."""

    ILLNESS = "因病"
    DISABILITY = "因残"
    SCHOOLING = "因学"
    NATURAL_DISASTER = "因自然灾害"
    ACCIDENT = "因意外事故"
    FAILED_INDUSTRY = "因产业项目失败"
    UNSTABLE_EMPLOYMENT = "因务工就业不稳"
    LACK_OF_LABOUR = "缺劳动力"
    OTHER = "其他"


class DisasterKind(StrEnum):
    """自然灾害 sub-type, given with 因自然灾害."""

    FLOOD = "洪涝"
    GEOLOGICAL = "地质"
    DROUGHT = "旱灾"
    BIOLOGICAL = "生物"
    METEOROLOGICAL = "气象"
    EARTHQUAKE = "地震"
    OTHER = "其他"


class Problem(StrEnum):
    """Yes/no problem flags recorded beside the risk types."""

    UNSAFE_HOUSING = "住房安全问题"
    UNSAFE_WATER = "饮水安全问题"
    OUT_OF_SCHOOL = "义务教育阶段失学辍学"
    UNINSURED_MEMBER = "家庭成员未参加基本医疗保险"


class TargetGroup(StrEnum):
    """Who a department's push row is about, where its cadence names a group (domain.md §5:
    ③ 低保/特困/临时救助/重度残疾/新发重病, ⑤ 大学新生, ⑥ 未参保)."""

    SUBSISTENCE = "低保"
    EXTREME_POVERTY = "特困"
    TEMPORARY_AID = "临时救助"
    SEVERE_DISABILITY = "重度残疾"
    NEW_SERIOUS_ILLNESS = "新发重病"
    UNIVERSITY_FRESHMAN = "大学新生"
    UNINSURED = "未参保"


class Relation(StrEnum):
    """与户主关系."""

    HEAD = "本人"
    SPOUSE = "配偶"
    SON = "子"
    DAUGHTER = "女"
    GRANDCHILD = "孙辈"
    PARENT = "父母"
    GRANDPARENT = "祖父母"
    SIBLING = "兄弟姐妹"
    OTHER = "其他"


class Health(StrEnum):
    """健康状况."""

    HEALTHY = "健康"
    CHRONIC_ILLNESS = "长期慢性病"
    SERIOUS_ILLNESS = "患有大病"
    DISABLED = "残疾"


class LabourCapacity(StrEnum):
    """劳动能力."""

    ORDINARY = "普通劳动力"
    SKILLED = "技能劳动力"
    WEAK = "弱劳动力或半劳动力"
    LOST = "丧失劳动力"
    NONE = "无劳动力"


#: Labour capacities of people who cannot work: they get protection (兜底保障), not development help.
NO_WORKING_CAPACITY = frozenset({LabourCapacity.LOST, LabourCapacity.NONE})


class Sex(StrEnum):
    MALE = "男"
    FEMALE = "女"


class JoinReason(StrEnum):
    """Why a member joins a household."""

    BIRTH = "出生"
    MARRIAGE = "婚入"
    MOVED_IN = "迁入"
    OTHER = "其他"


class LeaveReason(StrEnum):
    """Why a member leaves a household."""

    DEATH = "死亡"
    MARRIAGE = "婚出"
    MOVED_OUT = "迁出"
    OTHER = "其他"


class Channel(StrEnum):
    """三种监测方式 — how a risk was found."""

    SELF_DECLARATION = "农户自主申报"
    CADRE_SCREENING = "乡村干部排查"
    DEPARTMENT_ALERT = "部门筛查预警"


class Tier(StrEnum):
    """Who screened a department alert: the province or the county."""

    PROVINCIAL = "省级推送"
    COUNTY = "县级筛查"


class Department(StrEnum):
    """行业部门 that push alerts and carry out measures."""

    EMERGENCY = "应急管理局"
    HEALTH = "卫健局"
    EDUCATION = "教育局"
    MEDICAL_INSURANCE = "医保局"
    HOUSING = "住建局"
    WATER = "水利局"
    HUMAN_RESOURCES = "人社局"
    CIVIL_AFFAIRS = "民政局"
    DISABLED_FEDERATION = "残联"
    AGRICULTURE = "农业农村局"
    PUBLIC_SECURITY = "公安局"
    CYBERSPACE = "网信办"
    RURAL_REVITALISATION = "乡村振兴局"


class Finding(StrEnum):
    """What the household visit (入户核查核实) found."""

    RISK_CONFIRMED = "风险属实"
    NO_RISK = "无风险"


class Decision(StrEnum):
    """Outcome of a deliberation, review or decision step."""

    PASSED = "通过"
    REJECTED = "不通过"


class AppealSubject(StrEnum):
    """What a household appeals against (异议与申诉, domain.md §14)."""

    REFUSAL = "不予认定"
    CATEGORY = "监测对象类别"
    ELIMINATION = "风险消除"


class ObjectionOutcome(StrEnum):
    """How an objection to a village notice (村级评议公示) was resolved."""

    UPHELD = "成立"
    NOT_UPHELD = "不成立"


class SuddenHardship(StrEnum):
    """Sudden risks that open the green channel (因灾因疫等)."""

    NATURAL_DISASTER = "自然灾害"
    EPIDEMIC = "疫情"
    ACCIDENT = "意外事故"


class MeasureType(StrEnum):
    """帮扶措施类型 (national code table)."""

    INDUSTRY = "产业帮扶"
    EMPLOYMENT = "就业帮扶"
    FINANCE = "金融帮扶"
    PUBLIC_WELFARE_POST = "公益岗位帮扶"
    HEALTH = "健康帮扶"
    COMPULSORY_EDUCATION = "义务教育保障"
    OTHER_EDUCATION = "其他教育帮扶"
    SOCIAL_SECURITY = "综合保障"
    HOUSING_SAFETY = "住房安全保障"
    WATER_SAFETY = "饮水安全保障"
    SOCIAL_HELP = "社会帮扶"
    RELOCATION = "搬迁"
    LIVING_CONDITIONS = "生产生活条件改善"
    INFRASTRUCTURE = "基础设施建设"


class MeasureStatus(StrEnum):
    PLANNED = "计划"
    IN_PLACE = "已落实"
    ENDED = "已结束"


class Check(StrEnum):
    """The six checks of a monthly visit: 两不愁三保障 and drinking water."""

    FOOD = "不愁吃"
    CLOTHING = "不愁穿"
    COMPULSORY_EDUCATION = "义务教育"
    BASIC_MEDICAL = "基本医疗"
    HOUSING_SAFETY = "住房安全"
    WATER_SAFETY = "饮水安全"


class EliminationMode(StrEnum):
    """风险消除方式."""

    BY_HELP = "帮扶消除"
    NATURAL = "自然消除"


class CaseStage(StrEnum):
    """Where a case stands."""

    AWAITING_VISIT = "待入户核查"
    IDENTIFYING = "评议审核中"
    AWAITING_COUNTY = "待县级审定"
    MONITORED = "监测帮扶中"
    ELIMINATING = "风险消除程序中"
    ELIMINATED = "风险已消除"
    CLOSED = "已关闭"
