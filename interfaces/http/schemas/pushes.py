"""A department push and its answer, row by row (`interfaces.http.pushes`)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from msgspec import Meta, Struct

from domain.codes import Department, Tier
from interfaces.http.schemas.common import MAX_LIST, Body, Text


class PushRow(Body, kw_only=True):
    """One alert of a push, as the department sent it. Values are checked row by row, so one bad
    value is answered on its own row and never blocks the others; a row of the wrong shape (an
    unknown or misspelt field) is a fault of the sending system and refuses the whole batch."""

    person_id_number: Annotated[str, Meta(max_length=32)]
    risk_types: Annotated[list[Annotated[str, Meta(max_length=40)]], Meta(max_length=MAX_LIST)]
    occurred_on: Annotated[str, Meta(max_length=40, description="发现之日 YYYY-MM-DD")]
    description: Text = ""
    disaster_kind: Annotated[str, Meta(max_length=40)] | None = None
    sudden_hardship: Annotated[str, Meta(
        max_length=40, description="突发困难类型（自然灾害、疫情、意外事故）：因灾因疫等突发风险时填写"
    )] | None = None
    problems: Annotated[list[Annotated[str, Meta(max_length=40)]], Meta(max_length=MAX_LIST)] = []  # noqa: RUF012
    target_group: Annotated[str, Meta(
        max_length=40, description="对象类别（码表“对象类别”）：推送频次表对本期次要求时必填")] | None = None
    amount: Annotated[str, Meta(
        max_length=40, description="金额（元，十进制数字文本）：推送频次表要求时必填，如 ⑥ 本年累计医疗支出"
    )] | None = None
    township: Annotated[str, Meta(max_length=100, description="所在乡镇：未匹配时转该乡镇认领")] | None = None
    village: Annotated[str, Meta(max_length=100)] | None = None


class DepartmentPush(Body, kw_only=True):
    batch_id: Annotated[str, Meta(min_length=1, max_length=100, description="批次号（部门内唯一）")]
    department: Annotated[
        Department | None, Meta(description="推送部门；部门用户可省略（即本部门）")
    ] = None
    tier: Tier
    period: Annotated[str, Meta(
        pattern=r"^\d{4}-(0[1-9]|1[0-2])(上旬|中旬|下旬|上半月|下半月)?$",
        description="推送期次：月份 2025-03，或旬、半月 2025-03上旬 / 2025-03下半月（按推送频次表）")]
    urgent: Annotated[bool, Meta(description="紧急推送（频次表之外，另行统计）")] = False
    rows: Annotated[list[PushRow], Meta(
        max_length=5000, description="预警明细；本期无预警时为空（零报告），仍计为按期推送")]


class PushRowAnswer(Struct):
    row: int
    result: Annotated[str, Meta(description="新案件 / 并入案件 / 重复 / 未匹配 / 拒收")]
    household_code: str | None = None
    alert_id: str | None = None
    case_number: int | None = None
    duplicate_of: str | None = None
    position: int | None = None
    repeated: bool = False
    code: str | None = None
    message: str | None = None
    field: str | None = None


class PushAnswer(Struct):
    batch_id: str
    department: Department
    tier: Tier
    period: str
    received: int
    recorded: int
    new_cases: int
    joined_cases: int
    duplicates: int
    rejected: int
    repeated: int
    position: int
    rows: list[PushRowAnswer]
    unmatched: Annotated[int, Meta(description="身份证号码不在已登记农户中、列入未匹配名单的条数")] = 0
    urgent: bool = False
    received_on: Annotated[date | None, Meta(description="本批次的接收日期（首次推送之日）")] = None
