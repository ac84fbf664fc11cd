"""Forms for the case-file commands, made from the commands' own bodies (`application.commands`).

Every command on a household becomes a form: its fields, their Chinese labels, the right input
for their type (a date picker, a drop-down of the code table, a tick box per risk type,
pass/fail for each of the six visit checks…). What the browser sends back is turned into the
same command and run as the API runs it (`interfaces.http.household_commands`), so the web and
the API hold one set of rules; a refusal comes back as (field, Chinese message) to show beside
the field.
"""

from __future__ import annotations

import enum
import json
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import msgspec
from msgspec import inspect as mi

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
    "production_costs": "生产经营性支出", "corrects_version": "被更正事件的版本号",
    "changes": "新值（JSON：字段名 → 值）", "member_id_number": "成员身份证号（更正成员时）",
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
    "unit": "工作单位", "name": "姓名",
    "fact": "所属记录（visit:走访编号、alert:预警编号、measure:措施编号…）",
    "attachments": "附件的 SHA-256（先上传，每行一个）", "note": "附件说明",
}


@dataclass
class Field:
    """One input of a form, ready for the template."""

    name: str
    label: str
    kind: str  # text | textarea | number | date | checkbox | select | choices | checks | json | rows
    required: bool
    options: list[str] = field(default_factory=list)
    value: Any = None
    error: str = ""
    hint: str = ""
    #: A list of texts, typed one per line.
    many: bool = False
    #: A list of records (kind ``rows``): the inputs of each row, typed in a table.
    columns: list[Field] = field(default_factory=list)
    #: The field a refusal named inside a list of records (``objections[0].outcome``).
    error_at: str = ""

    @property
    def shown_rows(self) -> int:
        """Rows shown for a list of records: those typed and a blank one, at least `ROWS`."""
        return max(ROWS, len(self.value or ()) + 1)

    @property
    def error_in_row(self) -> bool:
        """Whether the refusal names one input of a row (marked alone, not the whole table)."""
        return self.error_at.startswith(f"{self.name}[")


#: Rows a form offers for a list of records at first (more follow once they are filled).
ROWS = 3
#: The most rows a list of records is read from.
MAX_ROWS = 100


def _bare(t: mi.Type) -> mi.Type:
    """The type under its constraints (``Annotated[date, Meta(...)]`` is a date)."""
    while isinstance(t, mi.Metadata):
        t = t.type
    return t


def _strip_optional(t: mi.Type) -> tuple[mi.Type, bool]:
    t = _bare(t)
    if isinstance(t, mi.UnionType):
        others = [x for x in t.types if not isinstance(x, mi.NoneType)]
        if len(others) == 1:
            return _bare(others[0]), True
    return t, False


def _enum_values(t: mi.Type) -> list[str] | None:
    t = _bare(t)
    if isinstance(t, mi.EnumType):
        return [str(member.value) for member in t.cls]
    return None


def _record(t: mi.Type) -> mi.StructType | None:
    """The record a list holds (a bare text beside it, the older form of an item, aside)."""
    t = _bare(t)
    if isinstance(t, mi.UnionType):
        records = [x for x in map(_bare, t.types) if isinstance(x, mi.StructType)]
        return records[0] if len(records) == 1 else None
    return t if isinstance(t, mi.StructType) else None


def form_fields(body: type[msgspec.Struct], extra: tuple[str, ...] = ()) -> list[Field]:
    """The inputs of a body's form (``extra``: path parameters asked as text first)."""
    info = mi.type_info(body)
    assert isinstance(info, mi.StructType)
    fields = [Field(name, LABELS.get(name, name), "text", True) for name in extra]
    for f in info.fields:
        t, optional = _strip_optional(f.type)
        required = f.required and not optional
        kind, options, many, columns = "text", [], False, []
        if isinstance(t, mi.DateType):
            kind = "date"
        elif isinstance(t, mi.BoolType):
            kind = "checkbox"
        elif (values := _enum_values(t)) is not None:
            kind, options = "select", values
        elif isinstance(t, mi.ListType) and (values := _enum_values(t.item_type)) is not None:
            kind, options = "choices", values
        elif isinstance(t, mi.ListType) and (record := _record(t.item_type)) is not None:
            kind, columns = "rows", form_fields(record.cls)
        elif isinstance(t, mi.ListType):
            kind, many = "textarea", True
        elif isinstance(t, mi.DictType) and (values := _enum_values(t.key_type)) is not None:
            kind, options = "checks", values
        elif isinstance(t, mi.DictType | mi.StructType):  # free-form, or a nested body: as JSON
            kind = "json"
        elif isinstance(t, mi.IntType | mi.FloatType | mi.DecimalType):
            kind = "number"
        elif isinstance(t, mi.StrType) and (_max_length(f.type) or 0) > 200:
            kind = "textarea"
        value = None if f.default is msgspec.NODEFAULT else f.default
        hint = _json_hint(t) if kind == "json" else ""
        fields.append(Field(f.name, LABELS.get(f.name, f.name), kind, required, options,
                            value=value if value not in ((), []) else None, hint=hint, many=many,
                            columns=columns))
    return fields


def _json_hint(t: mi.Type) -> str:
    """What a JSON box expects: the nested body's fields, required ones first."""
    if not isinstance(t, mi.StructType):
        return "如 {\"address\": \"东村十二号\"}"
    names = [f.name + ("" if f.required else "?") for f in t.fields]
    return "JSON 对象，字段：" + "、".join(names)


def _max_length(t: mi.Type) -> int | None:
    while isinstance(t, mi.Metadata | mi.UnionType):
        if isinstance(t, mi.UnionType):
            t = next(x for x in t.types if not isinstance(x, mi.NoneType))
        else:
            t = t.type
    return getattr(t, "max_length", None)


def read_form(fields: list[Field], form: Any) -> dict[str, Any]:
    """The body the form stands for: empty optional inputs left out, values typed by kind."""
    values: dict[str, Any] = {}
    refused: FormError | None = None
    for f in fields:
        if f.kind == "checkbox":
            values[f.name] = form.get(f.name) == "true"
        elif f.kind == "choices":
            values[f.name] = list(form.getall(f.name, []))
        elif f.kind == "checks":  # each one found, never passed by default
            chosen = {option: form.get(f"{f.name}.{option}") == "pass" for option in f.options
                      if form.get(f"{f.name}.{option}") in ("pass", "fail")}
            values[f.name] = chosen
            unchosen = [option for option in f.options if option not in chosen]
            if unchosen and refused is None:  # said once every field has kept what was typed
                refused = FormError(f.name, f"请为“{'、'.join(unchosen)}”选择通过或未通过")
        elif f.kind == "rows":
            values[f.name] = _read_rows(f, form)
        elif f.many:
            values[f.name] = [line.strip() for line in str(form.get(f.name, "")).splitlines()
                              if line.strip()]
        else:
            text = str(form.get(f.name, "")).strip()
            if text == "":
                continue
            if f.kind == "json":
                try:
                    values[f.name] = json.loads(text)
                except ValueError:
                    raise FormError(f.name, "应为 JSON，如 {\"address\": \"东村十二号\"}") from None
            elif f.kind == "number":  # as people write amounts: ¥20,000 / 20，000元
                values[f.name] = _MONEY_MARKS.sub("", text)
            elif f.name == "period" and (month := _CHINESE_MONTH.fullmatch(text)):
                values[f.name] = f"{month.group(1)}-{int(month.group(2)):02d}"  # 2026年12月
            else:
                values[f.name] = text
        f.value = values.get(f.name)
    if refused is not None:
        raise refused
    return values


def _read_rows(f: Field, form: Any) -> list[dict[str, str]]:
    """The records typed in the rows of ``f`` (inputs named ``objections-0-content``…), rows
    left blank left out. A text goes as typed, even empty (the rule that wants it says so);
    an empty choice is left out."""
    rows = []
    for n in range(MAX_ROWS):
        names = {c.name: f"{f.name}-{n}-{c.name}" for c in f.columns}
        if all(form.get(name) is None for name in names.values()):
            break
        typed = {column: str(form.get(name, "")).strip() for column, name in names.items()}
        if any(typed.values()):
            rows.append({c.name: typed[c.name] for c in f.columns
                         if typed[c.name] or c.kind in ("text", "textarea")})
    return rows


#: What an amount may carry that is not its number; a month as written in Chinese.
_MONEY_MARKS = re.compile(r"[¥￥,，\s]|元$")
_CHINESE_MONTH = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月")


class FormError(Exception):
    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


_PATH = re.compile(r" - at `\$\.?([^`.\[]*)[^`]*`")


def to_body(body: type[msgspec.Struct], values: dict[str, Any]) -> Any:
    """Convert form values into the API body, or raise `FormError` naming the field."""
    from interfaces.http.problems import in_chinese

    try:
        return msgspec.convert(values, body, strict=False,
                               dec_hook=lambda t, v: _decode(t, v))
    except msgspec.ValidationError as error:
        message = str(error)
        found = _PATH.search(message)
        name = found.group(1) if found else None
        missing = re.search(r"missing required field `([^`]+)`", message)
        if missing:
            name = missing.group(1)
        text = in_chinese(_PATH.sub("", message))
        if name in LABELS:  # the field by its label, never its identifier
            text = re.sub(rf"(?<![A-Za-z_]){re.escape(name)}(?![A-Za-z_])", LABELS[name].split("（")[0], text)
        return _raise(name, text)


def _raise(name: str | None, message: str) -> Any:
    raise FormError(name, message)


def _decode(t: type, value: Any) -> Any:
    if t is Decimal:
        return Decimal(str(value))
    if t is date:
        return date.fromisoformat(str(value))
    if isinstance(t, type) and issubclass(t, enum.Enum):
        return t(value)
    raise NotImplementedError
