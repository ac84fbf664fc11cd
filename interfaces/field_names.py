"""The one table of field names in Chinese: a form's label (with its hint in full-width
brackets), a refusal's and a timeline sentence's short name (the label without its hint). The
workbench's forms, the case-file timeline (web and CLI) and the refusals all read it, so a field
is called the same everywhere; the identifiers never reach a reader."""

from __future__ import annotations

import re

#: Field identifier → its label; the short name is the part before "（".
LABELS: dict[str, str] = {
    "alert_id": "预警编号（可空，自动生成）", "channel": "监测方式", "person_id_number": "当事人身份证号",
    "risk_types": "风险类型", "description": "情况说明", "period": "所属期", "department": "部门",
    "tier": "推送层级", "batch_id": "批次号", "disaster_kind": "灾害类型", "problems": "问题",
    "occurred_on": "发生日期", "case_number": "案件编号", "finding": "核实结论",
    "risk_clear": "风险清楚", "notes": "备注", "decision": "结论", "notice_from": "公示开始",
    "notice_to": "公示结束", "objections": "公示期间的异议（各写明处理结果和理由）", "reason": "理由",
    "content": "异议内容", "outcome": "处理结果",
    "disqualifying_found": "发现不得纳入情形", "category": "监测对象类别",
    "causes": "致贫返贫风险原因", "labour_capacity": "劳动能力", "needs": "帮扶需求",
    "measure_id": "措施编号", "measure_type": "措施类型", "responsible_person": "责任人",
    "amount": "金额（元）", "id_number": "身份证号", "year": "年度", "visit_id": "走访编号（可空）",
    "visitor": "走访人", "checks": "六项核实", "income_change": "收入变化（元）",
    "spending_change": "支出变化（元）", "assessment_id": "核算编号（可空）", "wages": "工资性收入",
    "business": "经营净收入", "property": "财产净收入", "transfers": "转移净收入",
    "production_costs": "生产经营性支出", "corrects_version": "被更正的记录",
    "changes": "新值（只填要改的项，其余不变）", "member_id_number": "成员身份证号（更正成员时）",
    "sudden_cause": "突发原因", "steps_owed": "待补办的步骤", "plan": "帮扶计划",
    "stable": "收入稳定", "payout": "赔付金额", "insurer": "经办机构",
    "out_of_pocket": "自付费用或损失（元）", "basic_living_in_difficulty": "核实：基本生活存在困难",
    "fee": "手续费（不得收取）", "beneficiary_id_number": "受益人身份证号（可空）",
    "per_capita_income": "核实的家庭人均纯收入（元/人·年，可空）",
    "code": "户编号", "township": "乡镇", "village": "村", "address": "住址",
    "household_type": "户类型", "members": "成员", "member": "成员", "lifted_out_year": "脱贫年度",
    "opens_case": "立案", "duplicate_of": "重复于", "failed_checks": "未通过的核实项",
    "included_on": "纳入日", "approved_on": "县乡审批日期", "studied_on": "村两委研究日期",
    "hardship": "突发困难类型", "asset_comparison": "存款、房产、车辆比对结果",
    "simplified": "简易审定（不比对存款、房产、车辆）", "cause": "赔付原因", "payout_id": "赔付编号（可空）",
    "mode": "消除方式", "new_head_id_number": "新户主身份证号（户主离开时）",
    "target_group": "对象类别（部门推送按频次表要求时）",
    "sudden_hardship": "突发困难类型（因灾因疫等突发风险时）",
    "against": "申诉事项", "appellant": "申诉人", "by_household": "农户本人提出（否则为干部代为提出）",
    "new_category": "调整后的监测对象类别（对类别的申诉成立时）", "appeal_id": "申诉编号（可空）",
    "worker_name": "网格员姓名", "helper_name": "帮扶责任人姓名", "phone": "联系电话",
    "unit": "工作单位", "name": "姓名", "relation": "与户主关系", "health": "健康状况",
    "in_school": "在校生", "insured": "参加城乡居民基本医疗保险", "discovered_on": "发现日期",
    "started_on": "开始日期", "in_place_on": "落实日期",
    "fact": "所属记录（visit:走访编号、alert:预警编号、measure:措施编号…）",
    "attachments": "附件（照片、扫描件或 PDF，可多选）", "note": "附件说明", "household_size": "家庭人口",
}


def label(name: str) -> str:
    """A field's short label, as a refusal names it (姓名, not id_number or its hint)."""
    return LABELS.get(name, name).split("（")[0]


def where(path: str | None) -> str:
    """The input a refusal names, in words (``members[1].id_number``: 成员第 2 行的身份证号);
    "" when no part of it has a label."""
    words: list[str] = []
    for name, row in re.findall(r"([A-Za-z_]+)|\[(\d+)\]", path or ""):
        if name in LABELS:
            words.append(label(name))
        elif row and words:
            words[-1] += f"第 {int(row) + 1} 行"
    return "的".join(words)


def in_words(message: str, path: str | None = None) -> str:
    """A refusal as a county worker reads it: the field it names (``path``), and any field it
    quotes (“changes.amount”), said by their labels — never an identifier. The workbench's
    forms and the API's problem details both say it so."""
    message = _QUOTED.sub(lambda m: f"“{label(m.group(1))}”" if m.group(1) in LABELS else m.group(0),
                          message)
    name = re.split(r"[.\[\]]", path or "")
    last = next((part for part in reversed(name) if part and not part.isdigit()), "")
    if last in LABELS:
        message = re.sub(rf"(?<![A-Za-z_.]){re.escape(last)}(?![A-Za-z_])", label(last), message)
    return message


#: A field quoted in a refusal, possibly inside its record (“changes.amount”).
_QUOTED = re.compile(r"“(?:[A-Za-z_]+\.)*([A-Za-z_]+)”")
