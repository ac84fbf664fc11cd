"""A household's history said in sentences a county official reads (“2025-03-19 网格员王立新入户
走访：六项核实全部通过，收入增加119元”): one sentence function per household event, here and
nowhere else. The API's history (`sentence` of each entry) and the workbench's timeline both say
them; the raw fields stay beside each sentence for auditors.

A sentence is said from the entry's details *after* masking, so an ID number shows as the
reader's role may see it; people are named by the name their household recorded for them
(registration, a member joining), which is why a history is read in order (`Timeline`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

import msgspec

from application.app import HistoryEntry
from domain.codes import Role
from domain.household import STEP_NAMES
from domain.income import IncomeAssessment
from domain.rules import local_date
from interfaces.field_names import label

#: What a correction's subject (`domain.household.corrections.subject_record`) is, in words.
SUBJECTS = {"household": "农户登记信息", "member": "成员", "alert": "预警", "measure": "帮扶措施",
            "payout": "防贫保赔付", "visit": "走访", "assessment": "收入核算", "case": "案件",
            "appeal": "申诉"}

#: Who recorded a fact, as the sentence names them (by role: the user id means nothing to a
#: reader; the 走访人 of a visit is named by the visit itself).
ACTORS = {Role.COUNTY_CENTRE: "县防贫中心", Role.TOWNSHIP_WORKSTATION: "乡镇工作站",
          Role.VILLAGE_LIAISON: "村联络站", Role.DEPARTMENT: "行业部门专班", Role.AUDITOR: "审计",
          Role.ASSESSMENT_TEAM: "考核组", Role.SYSTEM: "系统"}
#: A visitor's title by the role that recorded the visit.
VISITOR_TITLES = {Role.VILLAGE_LIAISON: "网格员", Role.TOWNSHIP_WORKSTATION: "乡镇干部",
                  Role.COUNTY_CENTRE: "县防贫中心干部"}


class Mask(Protocol):
    """What masks ID numbers for the reader (`interfaces.http.views.Masker`)."""

    def details(self, value: Any) -> Any: ...


class Said:
    """One entry as its sentence function reads it: the masked details ``d``, who recorded
    it and the people and measures the history named before it."""

    def __init__(self, entry: HistoryEntry, details: dict[str, Any], raw: dict[str, Any],
                 timeline: Timeline) -> None:
        self.entry, self.d, self.raw, self._timeline = entry, details, raw, timeline
        role = entry.recorded_by.role if entry.recorded_by else Role.SYSTEM
        self.role = role if isinstance(role, Role) else Role.SYSTEM
        self.who = ACTORS.get(self.role, str(role))

    def person(self, field: str) -> str:
        """The person a field's ID number names: their recorded name, or the number as the
        reader may see it."""
        return self.person_named(self.raw.get(field), self.d.get(field))

    def person_named(self, raw: Any, shown: Any) -> str:
        return self._timeline.names.get(raw) or str(shown or "（未载明）")

    def measure(self) -> str:
        measure_id = self.d.get("measure_id", "")
        kind = self._timeline.measures.get(measure_id)
        return f"{kind}（{measure_id}）" if kind else str(measure_id)

    def case(self) -> str:
        number = self.d.get("case_number")
        return f"案件{number}" if number is not None else "四个不摘跟踪帮扶"


def _yuan(value: Any) -> str:
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return f"{value}元"
    return f"{amount.normalize():f}元" if amount == amount.to_integral() else f"{amount:f}元"


def _list(values: Iterable[Any] | None) -> str:
    return "、".join(str(v) for v in values or ()) or "无"


def _then(text: Any, before: str = "，") -> str:
    """A clause if there is something to say, else nothing."""
    return f"{before}{text}" if text not in (None, "", [], (), {}) else ""


def _changes(changes: dict[str, Any] | None) -> str:
    said = []
    for key, value in (changes or {}).items():
        if isinstance(value, bool):
            value = "是" if value else "否"
        elif isinstance(value, list | tuple):
            value = _list(value)
        said.append(f"{_field_name(key)}改为“{value}”")
    return "，".join(said) or "无改动"


def _field_name(key: str) -> str:
    return label(key)


def _subject(s: Said, field: str = "corrects_subject") -> str:
    """The record a key names (what a correction corrects, what evidence is of): 成员张二妞,
    预警A1, 案件1的村级评议公示…"""
    kind, _, key = str(s.d.get(field, "")).partition(":")
    if kind == "member":
        return "成员" + s.person_named(str(s.raw.get(field, "")).partition(":")[2], key)
    if kind == "step":
        number, _procedure_name, step = key.split(":")
        return f"案件{number}的{STEP_NAMES.get(step, step)}"
    return SUBJECTS.get(kind, kind) + key


def _procedure(s: Said) -> str:
    return "认定" if s.d.get("procedure") == "identification" else "风险消除"


# ---------------------------------------------------------------- one function per event


def _registered(s: Said) -> str:
    d = s.d
    members = d.get("members") or []
    head = next((m for m in members if m.get("relation") == "本人"), None)
    lifted = f"（{d['lifted_out_year']}年脱贫）" if d.get("lifted_out_year") else ""
    return (f"{s.who}登记农户：{d.get('township', '')}{d.get('village', '')}，{d.get('household_type')}"
            f"{lifted}，{len(members)}口人" + _then(head and f"户主{head.get('name')}"))


def _member_joined(s: Said) -> str:
    member = s.d.get("member") or {}
    return (f"{s.who}登记家庭成员增加：{member.get('name')}（{member.get('relation')}），"
            f"原因：{s.d.get('reason')}")


def _member_left(s: Said) -> str:
    new_head = s.d.get("new_head_id_number")
    return (f"{s.who}登记家庭成员减少：{s.person('id_number')}，原因：{s.d.get('reason')}"
            + _then(new_head and f"{s.person('new_head_id_number')}为新户主"))


def _member_updated(s: Said) -> str:
    return f"{s.who}登记{s.person('id_number')}情况变更：{_changes(s.d.get('changes'))}"


def _alert_raised(s: Said) -> str:
    d = s.d
    if d.get("department"):
        tier = {"province": "省级推送", "county": "县级筛查"}.get(d.get("tier") or "", d.get("tier") or "")
        source = f"{d['department']}{tier}推送预警"
    else:
        source = f"{s.who}登记预警（{d.get('channel')}）"
    if d.get("duplicate_of"):
        result = f"与预警{d['duplicate_of']}重复，不另立案"
    elif d.get("opens_case"):
        result = "新立案"
    else:
        result = "并入在办案件"
    return (f"{source}：{s.person('person_id_number')}，{_list(d.get('risk_types'))}"
            + _then(d.get("sudden_hardship") and f"（{d['sudden_hardship']}）", "")
            + _then(d.get("description"), "：") + _then(_list(d.get("problems")) if d.get("problems") else "")
            + _then(d.get("target_group") and f"对象类别{d['target_group']}")
            + _then(d.get("amount") and f"金额{_yuan(d['amount'])}") + f"；{result}")


def _household_verified(s: Said) -> str:
    d = s.d
    return (f"{s.who}入户核查核实（{s.case()}）：{d.get('finding')}"
            + ("，风险清楚" if d.get("risk_clear") else "") + _then(d.get("notes")))


def _village_notice(s: Said) -> str:
    d = s.d
    objections = d.get("objections") or []
    said = "；".join(f"{o.get('content')}（{o.get('outcome') or '未载明处理结果'}"
                     f"{_then(o.get('reason'), '：')}）" for o in objections)
    return (f"{s.who}村级评议公示（{_procedure(s)}，{s.case()}）：公示{d.get('notice_from')}至"
            f"{d.get('notice_to')}，{d.get('decision')}"
            + (f"；异议{len(objections)}条：{said}" if objections else "，无异议")
            + _then(d.get("reason"), "；"))


def _township_review(s: Said) -> str:
    d = s.d
    return (f"{s.who}乡镇核查初审（{_procedure(s)}，{s.case()}）：{d.get('decision')}"
            + ("，发现不得纳入情形" if d.get("disqualifying_found") else "") + _then(d.get("reason"), "；"))


def _included(s: Said) -> str:
    d = s.d
    how = ("简化审定" if d.get("simplified")
           else f"比对结果：{d.get('asset_comparison') or '未载明'}")
    return (f"{s.who}审定：纳入监测，{d.get('category')}（{how}），"
            f"风险：{_list(d.get('risk_types'))}（{s.case()}）")


def _identification_rejected(s: Said) -> str:
    return f"{s.who}审定：不予认定（{s.case()}），理由：{s.d.get('reason')}"


def _green_channel(s: Said) -> str:
    d = s.d
    return (f"{s.who}开通绿色通道（{s.case()}）：{d.get('hardship')}，村两委{d.get('studied_on')}研究，"
            f"县乡{d.get('approved_on')}审批，先行帮扶，认定程序随后补办")


def _risk_analysed(s: Said) -> str:
    d = s.d
    return (f"{s.who}风险研判（{s.case()}）：风险原因：{_list(d.get('causes'))}；劳动能力："
            f"{d.get('labour_capacity')}；帮扶需求：{_list(d.get('needs'))}" + _then(d.get("notes"), "；")
            + _then(d.get("reason") and f"需求变化的理由：{d['reason']}", "；"))


def _measure_assigned(s: Said) -> str:
    d = s.d
    return (f"{s.who}安排帮扶措施（{s.case()}）：{d.get('measure_type')}，由{d.get('department')}"
            f"{d.get('responsible_person') or ''}负责" + _then(d.get("amount") and _yuan(d["amount"]))
            + _then(d.get("reason"), "；") + f"（编号{d.get('measure_id')}）")


def _measure_in_place(s: Said) -> str:
    return f"{s.who}登记帮扶措施落实：{s.measure()}"


def _measure_ended(s: Said) -> str:
    return f"{s.who}登记帮扶措施结束：{s.measure()}" + _then(s.d.get("reason"), "，")


def _subsidised(s: Said) -> str:
    d = s.d
    return (f"{s.who}资助{s.person('id_number')}参加{d.get('year')}年城乡居民基本医疗保险，"
            f"资助{_yuan(d.get('amount'))}")


def _relief_paid(s: Said) -> str:
    d = s.d
    finding = "经核实基本生活存在困难" if d.get("basic_living_in_difficulty") else "未载明基本生活是否困难"
    insurer = d.get("insurer") or "经办机构未载明"
    return (f"{s.who}登记防贫保赔付（{s.case()}）：{d.get('cause')}，{s.person('beneficiary_id_number')}"
            f"获赔{_yuan(d.get('amount'))}（自付费用或损失{_yuan(d.get('out_of_pocket'))}，{finding}，"
            f"{insurer}）")


def _visit(s: Said) -> str:
    d = s.d
    visitor = str(d.get("visitor") or "")
    title = VISITOR_TITLES.get(s.role, "")
    if title and not visitor.startswith(title):
        visitor = title + visitor
    failed = [check for check, passed in (d.get("checks") or {}).items() if not passed]
    said = [f"{_list(failed)}未通过" if failed else "六项核实全部通过"]
    for field, rise, fall in (("income_change", "收入增加", "收入减少"),
                              ("spending_change", "支出增加", "支出减少")):
        change = Decimal(str(d.get(field) or 0))
        if change:
            said.append(f"{rise if change > 0 else fall}{_yuan(abs(change))}")
    if d.get("per_capita_income") is not None:
        line = d.get("line_in_force")
        said.append(f"家庭人均纯收入{_yuan(d['per_capita_income'])}" + (f"（当日收入监测标准{_yuan(line)}）"
                                                                  if line is not None else ""))
    return f"{visitor}入户走访：" + "，".join(said) + _then(d.get("notes"), "；")


def _income_assessed(s: Said) -> str:
    d = s.d
    money = {name: Decimal(str(d.get(name) or 0)) for name in
             ("wages", "business", "property", "transfers", "production_costs", "line_in_force")}
    assessed = IncomeAssessment(str(d.get("assessment_id")), date.min, int(d.get("year") or 0),
                                money["wages"], money["business"], money["property"], money["transfers"],
                                money["production_costs"], int(d.get("household_size") or 1),
                                money["line_in_force"])
    return (f"{s.who}核算{d.get('year')}年收入：家庭人均纯收入{_yuan(assessed.per_capita)}"
            f"（{d.get('household_size')}人），{'低于' if assessed.below_line else '不低于'}"
            f"收入监测标准{_yuan(assessed.line_in_force)}")


def _elimination_verified(s: Said) -> str:
    return (f"{s.who}风险消除入户核实（{s.case()}）：拟{s.d.get('mode')}" + _then(s.d.get("notes")))


def _eliminated(s: Said) -> str:
    line = s.d.get("line_in_force")
    return (f"{s.who}审定：风险消除，{s.d.get('mode')}（{s.case()}）"
            + _then(line is not None and f"当日收入监测标准{_yuan(line)}"))


def _elimination_rejected(s: Said) -> str:
    return f"{s.who}审定：风险消除不通过（{s.case()}），理由：{s.d.get('reason')}"


def _corrected(s: Said) -> str:
    d = s.d
    return (f"{s.who}更正第{d.get('corrects_version')}项记录（{_subject(s)}）："
            f"{_changes(d.get('changes'))}；理由：{d.get('reason')}")


def _appeal_lodged(s: Said) -> str:
    d = s.d
    how = "农户本人提出" if d.get("by_household") else "干部代为提出"
    return (f"{s.who}登记{d.get('appellant')}的申诉（{s.case()}，{how}）：对{d.get('against')}不服，"
            f"{d.get('content')}；由{d.get('deciding_role')}答复（编号{d.get('appeal_id')}）")


def _appeal_answered(s: Said) -> str:
    d = s.d
    return (f"{s.who}答复申诉{d.get('appeal_id')}（{s.case()}）：{d.get('outcome')}"
            + _then(d.get("new_category") and f"类别调整为{d['new_category']}")
            + _then(d.get("reason"), "，理由："))


def _grid_worker(verb: str) -> Callable[[Said], str]:
    def say(s: Said) -> str:
        d = s.d
        return (f"{s.who}{verb}网格员{d.get('name')}（{d.get('phone')}）"
                + _then(d.get("reason"), "，理由："))
    return say


def _helper(verb: str) -> Callable[[Said], str]:
    def say(s: Said) -> str:
        d = s.d
        return (f"{s.who}{verb}帮扶责任人{d.get('name')}（{d.get('unit')}，{d.get('phone')}）"
                + _then(d.get("reason"), "，理由："))
    return say


def _helper_confirmed(s: Said) -> str:
    return f"{s.who}确认帮扶责任人{s.d.get('name')}继续负责第{s.d.get('case_number')}号案件"


def _staff_ended(title: str) -> Callable[[Said], str]:
    def say(s: Said) -> str:
        return f"{s.who}结束{title}负责" + _then(s.d.get("reason"), "，理由：")
    return say


def _notice_published(s: Said) -> str:
    d = s.d
    what = "风险消除公示" if d.get("procedure") == "elimination" else "村级评议公示"
    return (f"{s.who}发布{what}（{s.case()}）：{d.get('notice_from')}至{d.get('notice_to')}，"
            f"张贴内容摘要 {str(d.get('digest', ''))[:16]}…")


def _evidence_attached(s: Said) -> str:
    files = s.d.get("attachments") or ()
    return (f"{s.who}为{_subject(s, 'fact')}附上证据 {len(files)} 个文件"
            + _then(s.d.get("note"), "：") + "（SHA-256 "
            + "、".join(f"{str(digest)[:12]}…" for digest in files) + "）")


def _created(s: Said) -> str:
    return f"{s.who}建立农户档案"


#: The sentence of each household event, by its class name: a new event needs one here
#: (tests/test_timeline.py fails otherwise).
SENTENCES: dict[str, Callable[[Said], str]] = {
    "Registered": _registered, "MemberJoined": _member_joined, "MemberLeft": _member_left,
    "MemberDetailsUpdated": _member_updated, "AlertRaised": _alert_raised,
    "HouseholdVerified": _household_verified, "VillageDeliberationConcluded": _village_notice,
    "TownshipReviewCompleted": _township_review, "MonitoringObjectIncluded": _included,
    "IdentificationRejected": _identification_rejected, "GreenChannelOpened": _green_channel,
    "RiskAnalysed": _risk_analysed, "MeasureAssigned": _measure_assigned,
    "MeasurePutInPlace": _measure_in_place, "MeasureEnded": _measure_ended,
    "MedicalInsuranceSubsidised": _subsidised, "ReliefInsurancePaid": _relief_paid,
    "VisitRecorded": _visit, "IncomeAssessed": _income_assessed,
    "EliminationVerified": _elimination_verified, "RiskEliminated": _eliminated,
    "EliminationRejected": _elimination_rejected, "FactCorrected": _corrected,
    "AppealLodged": _appeal_lodged, "AppealAnswered": _appeal_answered, "Created": _created,
    "GridWorkerAssigned": _grid_worker("指定"), "GridWorkerChanged": _grid_worker("更换为"),
    "GridWorkerEnded": _staff_ended("网格员"), "HelperAssigned": _helper("指定"),
    "HelperChanged": _helper("更换为"), "HelperEnded": _staff_ended("帮扶责任人"),
    "HelperConfirmed": _helper_confirmed,
    "NoticePublished": _notice_published, "EvidenceAttached": _evidence_attached,
}


class Timeline:
    """Says the entries of one household's history, in order, for one reader."""

    def __init__(self, mask: Mask) -> None:
        self.mask = mask
        self.names: dict[str, str] = {}  # ID number → the name recorded with it
        self.measures: dict[str, str] = {}  # measure id → its type

    def knowing(self, members: Iterable[tuple[str, str]], measures: Iterable[tuple[str, str]],
                ) -> Timeline:
        """This timeline, told the names (ID number, name) and measure types (id, type) a
        household holds, for saying entries read out of their history's order (a feed page)."""
        self.names.update(members)
        self.measures.update(measures)
        return self

    def sentence(self, entry: HistoryEntry, masked: dict[str, Any] | None = None) -> str:
        """The entry as a sentence: its day, who, and what was recorded (ID numbers as the
        reader's role sees them). ``masked``: its details already masked by the caller."""
        raw = msgspec.to_builtins(entry.details)
        self._learn(entry.event, raw)
        details = masked if masked is not None else self.mask.details(raw)
        say = SENTENCES.get(entry.event)
        day = entry.occurred_on or local_date(entry.recorded_at)
        text = say(Said(entry, details, raw, self)) if say else f"记录{entry.event}"
        return f"{day} {text}"

    def _learn(self, event: str, raw: dict[str, Any]) -> None:
        if event == "Registered":
            self.names.update((m["id_number"], m["name"]) for m in raw.get("members") or ())
        elif event == "MemberJoined" and raw.get("member"):
            self.names[raw["member"]["id_number"]] = raw["member"]["name"]
        elif event == "MeasureAssigned":
            self.measures[raw.get("measure_id", "")] = raw.get("measure_type", "")
        elif event == "FactCorrected" and "name" in (raw.get("changes") or {}):
            subject = str(raw.get("corrects_subject", ""))
            if subject.startswith("member:"):
                self.names[subject.split(":", 1)[1]] = raw["changes"]["name"]


def sentences(entries: Iterable[HistoryEntry], mask: Mask) -> list[str]:
    """Every entry of a history as its sentence, in order."""
    timeline = Timeline(mask)
    return [timeline.sentence(entry) for entry in entries]
