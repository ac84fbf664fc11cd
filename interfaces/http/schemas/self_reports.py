"""Self-reports (农户自主申报): what the public page takes and what the township reads and answers
(`interfaces.http.self_reports`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from msgspec import Meta, Struct

from domain.codes import DisasterKind, RiskType, SuddenHardship
from domain.self_reports import MAX_NAME, MAX_PLACE, MAX_STORY, Answer
from interfaces.http.schemas.common import MAX_LIST, Body, IdNumber


class SelfReportIn(Body, kw_only=True):
    """What a person states on the public page (no sign-in)."""

    name: Annotated[str, Meta(min_length=1, max_length=MAX_NAME, description="申报人姓名")]
    person_id_number: IdNumber
    phone: Annotated[str, Meta(min_length=1, max_length=20, description="联系电话（手机或带区号的固话）")]
    township: Annotated[str, Meta(min_length=1, max_length=MAX_PLACE, description="所在乡镇")]
    village: Annotated[str, Meta(min_length=1, max_length=MAX_PLACE, description="所在村")]
    story: Annotated[str, Meta(min_length=1, max_length=MAX_STORY, description="遇到了什么困难")]


class SelfReportReceipt(Struct):
    """The same answer whoever reports: it never says whether the ID number is registered."""

    report_id: Annotated[str, Meta(description="回执编号")]
    message: str


class SelfReportOut(Struct):
    report_id: str
    name: str
    person_id_number: str
    phone: str
    township: str
    village: str
    story: str
    reported_on: Annotated[date, Meta(description="申报之日：属实时即预警的发现之日，15日时限自此起算")]
    reported_at: datetime
    answer: Answer | None
    answered_on: date | None
    household_code: str | None
    reason: str


class SelfReportAnswerIn(Body, kw_only=True):
    answer: Annotated[Answer, Meta(description="核实结论")]
    household_code: Annotated[
        str, Meta(max_length=100, description="属实时：申报人所在农户的户编号")] | None = None
    risk_types: Annotated[
        list[RiskType], Meta(max_length=MAX_LIST, description="属实时：核实的风险类型")] = []  # noqa: RUF012
    disaster_kind: DisasterKind | None = None
    sudden_hardship: SuddenHardship | None = None
    reason: Annotated[
        str, Meta(max_length=MAX_STORY, description="不属实、重复申报或非本乡镇人员时：理由")] = ""


class SelfReportAnswered(Struct):
    report_id: str
    answer: Answer
    position: int
    household_code: str | None = None
    case_number: int | None = None
    outcome: str | None = None
    repeated: bool = False
