"""A department's desk: its roster, its measures and its push calendar
(`interfaces.http.departments`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from msgspec import UNSET, Meta, Struct, UnsetType

from domain.codes import Department
from interfaces.http.schemas.indicators import BatchOut, ExpectedPushOut
from projections.tables import MeasureRow


class RosterField(Struct):
    key: str
    label: str


class RosterPerson(Struct, kw_only=True):
    """A person on a department's roster: only the fields its duty needs (`fields` of the
    page, in this order); a field the duty does not need is absent, not empty."""

    household_code: str
    township: str | UnsetType = UNSET
    village: str | UnsetType = UNSET
    household_type: str | UnsetType = UNSET
    category: str | UnsetType | None = UNSET
    name: str
    id_number: Annotated[str | UnsetType, Meta(
        description="完整号码仅当名册表规定本部门职责需要（full_id_number），否则遮蔽")] = UNSET
    relation: str | UnsetType = UNSET
    sex: str | UnsetType = UNSET
    age: int | UnsetType = UNSET
    health: str | UnsetType = UNSET
    labour_capacity: str | UnsetType = UNSET
    in_school: bool | UnsetType = UNSET
    insured: bool | UnsetType = UNSET


class RosterPage(Struct):
    department: Department
    duty: str
    reading: str
    full_id_number: bool
    fields: list[RosterField]
    rows: list[RosterPerson]
    total: int
    next_cursor: str | None
    position: int


class AssignedMeasure(MeasureRow):
    """A measure assigned to the department, and whether a planned one is past its day."""

    overdue: bool


class MeasurePage(Struct):
    rows: list[AssignedMeasure]
    total: int
    next_cursor: str | None
    position: int


class DutyOut(Struct):
    """One duty of the push cadence table for this department."""

    number: Annotated[str, Meta(description="推送频次表的序号 ①…⑨")]
    what: str
    rule: str
    reading: str
    next_period: Annotated[str | None, Meta(description="下一期次（定期推送；事件类为 null）")]
    next_due_on: date | None
    next_received_on: Annotated[date | None, Meta(description="下一期次已提前报送的日期")]
    on_time: Annotated[int, Meta(description="本年至今按时")]
    late: Annotated[int, Meta(description="本年至今迟报")]
    missing: Annotated[int, Meta(description="本年至今漏报")]
    pushes: list[ExpectedPushOut]


class CalendarOut(Struct):
    department: Department
    year: int
    today: date
    as_of: datetime
    position: int
    digest: Annotated[str, Meta(description=(
        "输入摘要；只有定期推送的部门仅按推送台账判定，不读农户，摘要为空"))]
    duties: list[DutyOut]
    batches: Annotated[list[BatchOut], Meta(description="本年收到的本部门全部批次")]
