"""The read models' tables: each table's row is one typed Struct, declared here once.

The store derives a table's columns (in field order) and their SQL types from its row's
annotations (`column_kind`); the row builders (`projections.rows`) return instances; the HTTP
schemas show them as they are, plus what a query computes from "today" (days left, days in
monitoring…). A sequence of step names is stored as comma-separated text and read back as a
list (the store does both).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

import msgspec
from msgspec import Struct
from msgspec import inspect as mi

from domain.indicators import INDICATORS_VERSION

# ---------------------------------------------------------------------- rows, a Struct per table


class HouseholdRow(Struct, gc=False):
    """rm_households: the directory of households."""

    household_id: UUID
    code: str
    township: str
    village: str
    address: str
    household_type: str
    head_name: str
    head_id_masked: str
    members: int
    monitored: bool
    category: str | None
    visit_due: bool  # visited every month (domain.md §8–9)
    last_visit_on: date | None
    version: int
    #: Who answers for the household now (§七; None: nobody): its 网格员 and 帮扶责任人.
    grid_worker: str | None
    grid_worker_phone: str | None
    helper: str | None
    helper_unit: str | None
    helper_phone: str | None


class MemberRow(Struct, gc=False):
    """rm_members: every person of every household, current or former, with what a
    department's roster may show of them (domain.rosters) and where their household is."""

    household_id: UUID
    id_number: str
    name: str
    relation: str
    current: bool
    code: str
    township: str
    village: str
    household_type: str
    monitored: bool  # the household is a monitoring object now
    category: str | None  # its monitoring category while monitored
    sex: str
    birth_date: date
    health: str
    labour_capacity: str
    in_school: bool
    insured: bool


class MonitoredRow(Struct, gc=False):
    """rm_monitoring: a current monitoring object and its case."""

    household_id: UUID
    code: str
    township: str
    village: str
    head_name: str
    head_id_masked: str
    household_type: str
    category: str | None
    risk_types: str  # 、-joined
    case_number: int
    included_on: date
    measures_in_place: int
    measures_planned: int
    first_in_place_on: date | None
    first_in_place_days: int | None
    #: 缺什么补什么: the day every analysed need had a measure in place, and its days since
    #: inclusion (None: not yet; `Household.needs_met`)
    needs_met_on: date | None
    needs_met_days: int | None
    last_visit_on: date | None
    eliminating: bool
    #: Who answers for the household now (§七; None: nobody): its 网格员 and 帮扶责任人.
    grid_worker: str | None
    grid_worker_phone: str | None
    helper: str | None
    helper_unit: str | None
    helper_phone: str | None
    #: Its 帮扶责任人 was named before the case was included: to confirm or change (§七).
    helper_to_confirm: bool


class MonitoringPeriodRow(Struct, gc=False):
    """rm_monitoring_periods: each time a household was a monitoring object, from inclusion to
    elimination (open while it still is)."""

    household_id: UUID
    case_number: int
    code: str
    township: str
    village: str
    head_name: str
    category: str | None
    risk_types: str  # 、-joined
    from_on: date
    to_on: date | None
    ended_how: str | None


class CaseQueueRow(Struct, gc=False):
    """rm_case_queue: a case being identified, with its 15-day deadline."""

    household_id: UUID
    case_number: int
    code: str
    township: str
    village: str
    head_name: str
    stage: str
    discovered_on: date
    deadline_on: date
    green_channel: bool
    owed_steps: tuple[str, ...]  # Case.steps_owed_after_green_channel
    pending_steps: tuple[str, ...]  # Case.pending_steps
    re_entry: bool


class AppealRow(Struct, gc=False):
    """rm_appeals: every appeal (异议、申诉) on a case, with the unit that answers it and the day
    it is due (`deadlines.appeal_deadline`); ``answered_on`` once answered."""

    household_id: UUID
    appeal_id: str
    case_number: int
    code: str
    township: str
    village: str
    head_name: str
    against: str
    lodged_on: date
    deadline_on: date
    deciding_role: str
    answered_on: date | None
    outcome: str | None  # 成立 / 不成立 once answered


class AlertRow(Struct, gc=False):
    """rm_alerts: every alert and what became of it (new case, joined, duplicate)."""

    household_id: UUID
    alert_id: str
    code: str
    township: str
    village: str
    channel: str
    department: str | None
    tier: str | None
    batch_id: str | None
    period: str | None
    discovered_on: date
    recorded_at: datetime | None
    outcome: str
    duplicate_of: str | None
    case_number: int | None
    case_stage: str | None


class MeasureRow(Struct, gc=False):
    """rm_measures: every help measure (帮扶措施) with its household and responsible department."""

    household_id: UUID
    measure_id: str
    code: str
    township: str
    village: str
    head_name: str
    case_number: int | None  # None: a 脱贫户's follow-up measure (四个不摘)
    measure_type: str
    department: str
    responsible_person: str
    started_on: date
    status: str
    amount: str | None  # yuan, as recorded
    in_place_on: date | None
    ended_on: date | None
    #: The day it should be in place by (`deadlines.measure_deadline` of its case's inclusion;
    #: None for a follow-up measure or a case not yet included).
    deadline_on: date | None


class IndicatorFactsRow(Struct, gc=False):
    """rm_indicator_facts: a household's indicator facts as JSON text (domain.indicators)."""

    household_id: UUID
    township: str
    facts: str
    #: Whether any indicator may count the household (`domain.indicators.may_count`): of the
    #: others, a computation reads only the facts' text, into its digest.
    counted: bool


class IndicatorTallyRow(Struct, gc=False):
    """rm_indicator_tallies: a household's settled counts for a year, found with the poverty
    lines ``lines`` (domain.indicators.settled): a current result for the year counts the
    household by them from ``settled_on`` on, and by its facts before."""

    household_id: UUID
    year: int
    settled_on: date
    lines: str
    #: Whether the household has alerts (a result reads them from its facts, for the pushes).
    alerts: bool
    counts: str  # JSON: [[indicator, township, department, numerator, denominator], …]


class LedgerRow(Struct, gc=False):
    """A line of the push ledger: one department's batch, summed from rm_alerts (a query's
    row, not a table's), and its state on the department's push ledger."""

    department: str
    batch_id: str | None
    received: int
    new_cases: int
    joined_cases: int
    duplicates: int
    first_received: datetime | None
    last_received: datetime | None
    #: The batch on its department's push ledger (`application.pushes.with_receipts`): 已接收
    #: once received whole, 接收未完成 while cut short; None for alerts of no batch.
    state: str | None = None
    #: When the batch was received: the time it first arrived.
    received_at: datetime | None = None
    #: As its receipt (or, cut short, its arrival) says: 县级筛查 / 省级推送, the push period, and
    #: the rows the push path refused (拒收: recorded on no household, so only the receipt has them).
    tier: str | None = None
    period: str | None = None
    rejected: int | None = None


def either(name: str, *row_types: type[Struct]) -> type[Struct]:
    """The row of a list that answers from any of ``row_types``' tables: the first one's fields,
    then the others' own. The fields every table has, up to the first one some table lacks, are
    required; from there on, a field the row's table lacks is empty text if it is text, else
    None."""
    tables = [{f.name: f.type for f in msgspec.structs.fields(t)} for t in row_types]
    fields: list[tuple[Any, ...]] = []
    required = True
    for field in dict.fromkeys(n for table in tables for n in table):
        annotations = {table[field] for table in tables if field in table}
        if len(annotations) > 1:
            raise TypeError(f"{field} has the types {annotations} in {row_types}")
        annotation = annotations.pop()
        required = required and all(field in table for table in tables)
        if required:
            fields.append((field, annotation))
        elif annotation is str:
            fields.append((field, str, ""))
        else:
            fields.append((field, annotation | None, None))
    return msgspec.defstruct(name, fields, module=__name__, gc=False)


#: A row of the monitoring list: a current monitoring object, or one monitored on a past day.
MonitoringListRow = either("MonitoringListRow", MonitoredRow, MonitoringPeriodRow)


# ---------------------------------------------------------------------- tables and read models


@dataclass(frozen=True)
class Table:
    """A read-model table: its row, primary key and secondary indexes (the lists' filters and
    sort orders). Every table is keyed by household id first."""

    name: str
    row: type[Struct]
    key: tuple[str, ...]
    indexes: tuple[tuple[str, ...], ...] = ()
    #: Rows kept in key order (SQLite: a WITHOUT ROWID table), for a table read whole in that
    #: order: the indicators read every household's facts in id order.
    clustered: bool = False

    @property
    def columns(self) -> tuple[str, ...]:
        return self.row.__struct_fields__


#: The read models, each a set of tables keyed by household id.
READ_MODELS: dict[str, tuple[Table, ...]] = {
    "directory": (
        Table("rm_households", HouseholdRow, ("household_id",), (
            ("code",), ("township", "village", "code"), ("head_name",),
            ("visit_due", "last_visit_on"), ("grid_worker",), ("helper",))),
        Table("rm_members", MemberRow, ("household_id", "id_number"), (
            ("id_number",), ("name",), ("township", "village", "code"), ("code",))),
    ),
    "monitoring": (
        Table("rm_monitoring", MonitoredRow, ("household_id",), (
            ("township", "category", "code"), ("township", "village", "code"),
            ("category", "code"), ("code",), ("included_on",), ("grid_worker",), ("helper",))),
        Table("rm_monitoring_periods", MonitoringPeriodRow, ("household_id", "case_number"), (
            ("from_on", "to_on"), ("township", "from_on"), ("code",))),
    ),
    "cases": (
        Table("rm_case_queue", CaseQueueRow, ("household_id", "case_number"), (
            ("deadline_on",), ("township", "deadline_on"), ("code",))),
        Table("rm_appeals", AppealRow, ("household_id", "appeal_id"), (
            ("deciding_role", "answered_on", "deadline_on"), ("township", "deadline_on"),
            ("answered_on", "deadline_on"))),
    ),
    "push_ledger": (
        Table("rm_alerts", AlertRow, ("household_id", "alert_id"), (
            ("department", "batch_id"), ("township", "department"), ("code",))),
    ),
    "measures": (
        Table("rm_measures", MeasureRow, ("household_id", "measure_id"), (
            ("department", "code"), ("department", "started_on"), ("township", "code"),
            ("code",))),
    ),
    "indicator_facts": (
        Table("rm_indicator_facts", IndicatorFactsRow, ("household_id",), (("township",),),
              clustered=True),
        Table("rm_indicator_tallies", IndicatorTallyRow, ("household_id", "year"), clustered=True),
    ),
}

#: Bump a read model's version when its tables change: stores holding an older version drop
#: and rebuild it from the log when opened. 3: directory and monitoring name each household's
#: 网格员 and 帮扶责任人; cases 3: the appeals of each case (rm_appeals); cases 4: an appeal's outcome;
#: monitoring 4: whether its 帮扶责任人 is to be confirmed. indicator_facts: the facts' version (the
#: indicators', `INDICATORS_VERSION`) × 100 plus the tables' own: 1, whether a household counts,
#: rows in household order, each year's settled counts (rm_indicator_tallies).
SCHEMA_VERSIONS: dict[str, int] = {
    "directory": 4, "monitoring": 4, "cases": 4, "push_ledger": 1, "measures": 1,
    "indicator_facts": INDICATORS_VERSION * 100 + 1,
}

#: Each table by name.
TABLE: dict[str, Table] = {t.name: t for tables in READ_MODELS.values() for t in tables}
#: The names of each read model's tables.
TABLES: dict[str, tuple[str, ...]] = {
    model: tuple(t.name for t in tables) for model, tables in READ_MODELS.items()
}
def index_name(table: str, index: Sequence[str]) -> str:
    """The name of a secondary index of ``table`` on the columns ``index``."""
    return f"{table}_{'_'.join(index)}_idx"


#: Column names of each table, in insertion order (the first is always household_id).
COLUMNS: dict[str, tuple[str, ...]] = {name: t.columns for name, t in TABLE.items()}


# ---------------------------------------------------------------------- column kinds


_KINDS: dict[type, str] = {
    mi.UUIDType: "id", mi.IntType: "int",
    mi.BoolType: "bool", mi.DateType: "date",
    mi.DateTimeType: "ts", mi.StrType: "text",
}


def column_kind(annotation: mi.Type) -> str:
    """The kind of column a field's type is stored in: id, int, bool, date, ts, text, or list
    (a sequence of texts, stored comma-separated). None is NULL in any of them."""
    if isinstance(annotation, mi.UnionType):
        kinds = {column_kind(t) for t in annotation.types
                 if not isinstance(t, mi.NoneType)}
        if len(kinds) == 1:
            return kinds.pop()
    elif isinstance(annotation, mi.VarTupleType | mi.ListType):
        if isinstance(annotation.item_type, mi.StrType):
            return "list"
    elif type(annotation) in _KINDS:
        return _KINDS[type(annotation)]
    raise TypeError(f"no column kind for {annotation}")


def column_kinds(*row_types: Any) -> dict[str, str]:
    """The kind of every field of ``row_types`` (Structs or dataclasses) by name; a name must
    have one kind wherever it appears."""
    kinds: dict[str, str] = {}
    for row_type in row_types:
        for field in mi.type_info(row_type).fields:  # type: ignore[attr-defined]
            kind = column_kind(field.type)
            if kinds.setdefault(field.name, kind) != kind:
                raise TypeError(f"column {field.name} is {kinds[field.name]} in one row and "
                                f"{kind} in {row_type.__name__}")
    return kinds


#: The separator of a list column's texts (step names never contain it).
LIST_SEPARATOR = ","


def join_texts(values: Sequence[str]) -> str:
    """A list column's value as stored."""
    return LIST_SEPARATOR.join(values)


def split_texts(value: str) -> list[str]:
    """A list column's value as read."""
    return [text for text in value.split(LIST_SEPARATOR) if text]
