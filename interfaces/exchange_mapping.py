"""The mapping of an exchange export (数据共享, domain.md §15): which of our fields go out under
which header, in which order, and with which of the other system's codes, read from a TOML
file so a county can match the provincial system's import template without code.

The fields a mapping may name are those of rows that already exist: the list exports' rows
(`interfaces.exports.EXPORTS`: the monitoring list, the household directory) and a case file's
members and measures as the API shows them (`interfaces.http.schemas.views`). A field holds a
code table when its type is one of ours (`domain.codes`), or, in the read models' rows (which
hold the terms as text), when `CODED` says so; a yes/no field's table is 是/否. A mapping is
checked whole when it is loaded, and the first fault is refused naming its key.
"""

from __future__ import annotations

import re
import tomllib
import types
import typing
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

import msgspec

from domain.codes import Category, HouseholdType, RiskType
from domain.errors import InvalidValue

#: The mapping shipped with the code (documented field by field in its comments).
DEFAULT_MAPPING = Path(__file__).with_name("exchange.toml")

#: Each kind of exchange export: its Chinese name, what one row is.
KINDS: dict[str, tuple[str, str]] = {
    "monitoring": ("监测对象", "一个监测对象一行"),
    "households": ("农户及家庭成员", "一个现有家庭成员一行，所在户的字段重复"),
    "measures": ("帮扶措施", "一项帮扶措施一行，所在户的字段重复"),
}
#: The read models' rows hold these code tables' terms as text (risk types 、-joined).
CODED: dict[str, type[StrEnum]] = {
    "category": Category, "household_type": HouseholdType, "risk_types": RiskType,
}
#: A yes/no field's terms, as the list exports write them (`interfaces.exports.text_value`).
YES_NO = ("是", "否")
#: Fields read from the case file besides a row's own.
HEAD_ID_NUMBER = "head_id_number"


@dataclass(frozen=True)
class Field:
    """A field a mapping may name: its description and its code table's terms (empty: none)."""

    name: str
    label: str
    terms: tuple[str, ...] = ()
    is_date: bool = False
    many: bool = False  # a list of terms (risk types)


def _struct_fields(struct: type[msgspec.Struct], prefix: str, labels: dict[str, str]
                   ) -> dict[str, Field]:
    found = {}
    for info in msgspec.structs.fields(struct):
        kind, many = _unwrap(info.type)
        terms: tuple[str, ...] = ()
        if kind is bool:
            terms = YES_NO
        elif isinstance(kind, type) and issubclass(kind, StrEnum):
            terms = tuple(term.value for term in kind)
        elif info.name in CODED:
            terms, many = tuple(t.value for t in CODED[info.name]), info.name == "risk_types"
        name = prefix + info.name
        found[name] = Field(name, labels.get(info.name, info.name), terms,
                            isinstance(kind, type) and issubclass(kind, date), many)
    return found


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """The type inside ``Annotated``/``| None``/``list[...]``, and whether it was a list."""
    many = False
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (types.UnionType, typing.Union):
            annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
        elif origin in (list, tuple):
            annotation, many = typing.get_args(annotation)[0], True
        else:
            return annotation, many


_MEMBER_LABELS = {
    "name": "姓名", "id_number": "身份证号码（按角色遮盖）", "relation": "与户主关系", "sex": "性别",
    "birth_date": "出生日期（身份证号码被遮盖的角色为空）", "birth_year": "出生年份", "health": "健康状况",
    "labour_capacity": "劳动技能", "in_school": "在校生", "insured": "参加基本医疗保险",
    "joined_on": "加入日期", "join_reason": "加入原因"}
_MEASURE_LABELS = {
    "measure_id": "措施编号", "case_number": "案件号", "measure_type": "帮扶措施类型",
    "department": "责任部门", "responsible_person": "责任人", "status": "状态", "amount": "金额（元）",
    "started_on": "安排日期", "in_place_on": "落实日期", "ended_on": "结束日期",
    "end_reason": "结束原因", "follow_up": "脱贫户持续跟踪帮扶（四个不摘）", "reason": "安排依据"}


#: Only a household's current members are exported: these say nothing then.
_PAST_MEMBERS = ("member.current", "member.left_on", "member.leave_reason")


@cache
def catalogue() -> dict[str, dict[str, Field]]:
    """Every kind's fields, by the name a mapping gives them (read from the row types when
    first asked: they live in the HTTP package, which imports this module)."""
    from interfaces.exports import EXPORTS
    from interfaces.http.schemas.queries import HouseholdRow, MonitoringRow
    from interfaces.http.schemas.views import MeasureOut, MemberOut

    monitoring = _struct_fields(MonitoringRow, "", dict(EXPORTS["monitoring"][1]))
    monitoring = {k: v for k, v in monitoring.items() if k in dict(EXPORTS["monitoring"][1])}
    monitoring[HEAD_ID_NUMBER] = Field(HEAD_ID_NUMBER, "户主身份证号码（按角色遮盖，读自档案）")
    household = _struct_fields(HouseholdRow, "", dict(EXPORTS["households"][1]))
    household = {k: v for k, v in household.items() if k in dict(EXPORTS["households"][1])}
    members = _struct_fields(MemberOut, "member.", _MEMBER_LABELS)
    return {
        "monitoring": monitoring,
        "households": {**household, **{k: v for k, v in members.items() if k not in _PAST_MEMBERS}},
        "measures": {**household, **_struct_fields(MeasureOut, "measure.", _MEASURE_LABELS)},
    }


@dataclass(frozen=True)
class Column:
    """One column of an exchange export: its header, and a field of ours or a fixed value."""

    header: str
    field: str | None = None
    value: str | None = None
    codes: dict[str, str] | None = None
    other: str | None = None  # for a term the code map does not name
    separator: str = "、"
    date_format: str | None = None
    many: bool = False  # the field holds a list of terms


@dataclass(frozen=True)
class Sheet:
    kind: str
    name: str
    columns: tuple[Column, ...]


@dataclass(frozen=True)
class Mapping:
    """A whole mapping file: the sheets it gives, by kind."""

    sheets: dict[str, Sheet]
    source: str

    def sheet(self, kind: str) -> Sheet:
        if kind not in self.sheets:
            raise InvalidValue("EXCHANGE_KIND_NOT_MAPPED",
                               f"映射文件 {self.source} 没有 [{kind}]（{KINDS[kind][0]}）的列", "kind")
        return self.sheets[kind]


class MappingError(InvalidValue):
    """A mapping file that cannot be used: the key at fault is the field."""

    def __init__(self, message: str, key: str) -> None:
        super().__init__("EXCHANGE_MAPPING_INVALID", f"导出映射有误（{key}）：{message}", key)


_NOT_IN_SHEET_NAME = re.compile(r"[\\/*?:\[\]]")
_DATE_FORMAT = re.compile(r"(?:%[Ymd]|[^%])+")
_COLUMN_KEYS = {"header", "field", "value", "codes", "other", "separator", "date_format"}


def load_mapping(path: Path | None = None) -> Mapping:
    """The mapping in ``path`` (default: the one shipped), checked whole."""
    path = path or DEFAULT_MAPPING
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise MappingError(f"无法读取 {path}：{error}", "mapping") from None
    return parse_mapping(text, str(path))


def parse_mapping(text: str, source: str = "映射") -> Mapping:
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise MappingError(f"不是有效的 TOML：{error}", "mapping") from None
    sheets = {}
    for kind, table in document.items():
        if kind not in KINDS:
            raise MappingError(f"未知的导出类别“{kind}”；可选：{'、'.join(KINDS)}", kind)
        sheets[kind] = _sheet(kind, table)
    if not sheets:
        raise MappingError(f"没有任何导出类别；可选：{'、'.join(KINDS)}", "mapping")
    return Mapping(sheets, source)


def _sheet(kind: str, table: Any) -> Sheet:
    if not isinstance(table, dict):
        raise MappingError("须是一个表（[类别] 之下写 sheet 和 [[类别.columns]]）", kind)
    unknown = set(table) - {"sheet", "columns"}
    if unknown:
        key = sorted(unknown)[0]
        raise MappingError(f"未知的键“{key}”；可用：sheet、columns", f"{kind}.{key}")
    name = table.get("sheet", KINDS[kind][0])
    if not isinstance(name, str) or not name.strip() or len(name) > 31 or _NOT_IN_SHEET_NAME.search(name):
        raise MappingError("工作表名须为 1 至 31 个字符，且不含 \\ / * ? : [ ]", f"{kind}.sheet")
    raw = table.get("columns")
    if not isinstance(raw, list) or not raw:
        raise MappingError("至少要有一列（[[类别.columns]]）", f"{kind}.columns")
    columns: list[Column] = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(raw, start=1):
        key = f"{kind}.columns[{index}]"
        column = _column(kind, entry, key)
        if column.header in seen:
            raise MappingError(f"列名“{column.header}”与第 {seen[column.header]} 列重复",
                               f"{key}.header")
        seen[column.header] = index
        columns.append(column)
    return Sheet(kind, name, tuple(columns))


def _column(kind: str, entry: Any, key: str) -> Column:
    if not isinstance(entry, dict):
        raise MappingError("每列须是一个表", key)
    unknown = set(entry) - _COLUMN_KEYS
    if unknown:
        name = sorted(unknown)[0]
        raise MappingError(f"未知的键“{name}”；可用：{'、'.join(sorted(_COLUMN_KEYS))}", f"{key}.{name}")
    for name in _COLUMN_KEYS - {"codes"}:
        if name in entry and not isinstance(entry[name], str):
            raise MappingError("须是文字（加引号）", f"{key}.{name}")
    header = entry.get("header", "").strip()
    if not header:
        raise MappingError("每列须有 header（导出的列名）", f"{key}.header")
    if header[0] in "=+-@":
        raise MappingError("列名不能以 = + - @ 开头（表格软件会当作公式）", f"{key}.header")
    if ("field" in entry) == ("value" in entry):
        raise MappingError("每列须有 field（我们的字段）或 value（固定值），二者只能有一个", f"{key}.field")
    if "value" in entry:
        if set(entry) - {"header", "value"}:
            raise MappingError("固定值的列只有 header 和 value", f"{key}.value")
        return Column(header=header, value=entry["value"])
    name = entry["field"]
    field = catalogue()[kind].get(name)
    if field is None:
        raise MappingError(f"未知字段“{name}”；{KINDS[kind][0]}可用：{'、'.join(catalogue()[kind])}",
                           f"{key}.field")
    codes = entry.get("codes")
    if codes is not None:
        codes = _codes(field, codes, entry.get("other"), f"{key}.codes")
    elif "other" in entry:
        raise MappingError("other 只用于有 codes 的列", f"{key}.other")
    if "separator" in entry and not field.many:
        raise MappingError(f"“{name}”不是多值字段，不用 separator", f"{key}.separator")
    date_format = entry.get("date_format")
    if date_format is not None:
        if not field.is_date:
            raise MappingError(f"“{name}”不是日期字段，不用 date_format", f"{key}.date_format")
        if not _DATE_FORMAT.fullmatch(date_format) or "%" not in date_format:
            raise MappingError(f"“{date_format}”不是日期格式：只用 %Y、%m、%d 与其他文字（如 %Y%m%d）",
                               f"{key}.date_format")
    return Column(header=header, field=name, codes=codes, other=entry.get("other"),
                  separator=entry.get("separator", "、"), date_format=date_format, many=field.many)


def _codes(field: Field, codes: Any, other: str | None, key: str) -> dict[str, str]:
    if not field.terms:
        raise MappingError(f"“{field.name}”（{field.label}）不是代码字段，不能映射代码", key)
    if not isinstance(codes, dict) or not codes:
        raise MappingError("须是 { 我们的词 = \"对方代码\" } 的表", key)
    for term, code in codes.items():
        if term not in field.terms:
            raise MappingError(f"“{term}”不在{field.label}的码表中；码表：{'、'.join(field.terms)}",
                               f"{key}.{term}")
        if not isinstance(code, str):
            raise MappingError("对方代码须是文字（加引号，如 \"2\"）", f"{key}.{term}")
    missing = [term for term in field.terms if term not in codes]
    if missing and other is None:
        raise MappingError(f"没有映射：{'、'.join(missing)}（补上，或用 other 给出其余的代码）", key)
    return dict(codes)


def cell_value(column: Column, row: dict[str, Any]) -> Any:
    """What ``row`` puts in ``column``: a fixed value, a term by its code, a list joined, a date
    as the column formats it; nothing is empty."""
    if column.value is not None:
        return column.value
    assert column.field is not None
    value = row.get(column.field)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        value = YES_NO[0] if value else YES_NO[1]
    if column.many:  # a list, or the read models' 、-joined text
        terms = value.split("、") if isinstance(value, str) else [str(v) for v in value]
        return column.separator.join(_code(column, term) for term in terms if term)
    if isinstance(value, StrEnum):
        value = value.value
    if isinstance(value, str):
        return _code(column, value)
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date) and column.date_format:
        return value.strftime(column.date_format)
    return value


def _code(column: Column, term: str) -> str:
    if column.codes is None:
        return term
    return column.codes.get(term, column.other if column.other is not None else term)
