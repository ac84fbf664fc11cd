"""Each read-model table is its row's Struct: the store creates a column per field, typed after
the field's annotation, and gives back the very rows the builders made — on both back ends."""

from __future__ import annotations

import types
from datetime import date, datetime
from typing import Any, Union, get_args, get_origin
from uuid import UUID

import msgspec
import pytest

from application.commands import LodgeAppeal, OpenGreenChannel, RaiseAlert, VerifyAtHome
from application.demo import load_demo
from domain.codes import AppealSubject, Channel, DisasterKind, Finding, RiskType, SuddenHardship
from projections.rows import ROW_BUILDERS
from projections.runner import Projections
from projections.source import KnownPovertyLines
from projections.tables import READ_MODELS, TABLE, MonitoredRow, MonitoringListRow, MonitoringPeriodRow
from tests.builders import COUNTY, HEAD_ID, VILLAGE, registering

CODE = "130699999001"  # a code the demo county does not use

#: The SQL type each annotation is stored as (what the catalog reports).
SQL_TYPES: dict[str, dict[Any, str]] = {
    "sqlite": {UUID: "TEXT", str: "TEXT", int: "INTEGER", bool: "INTEGER", date: "TEXT",
               datetime: "TEXT", tuple[str, ...]: "TEXT"},
    "postgres": {UUID: "uuid", str: "text", int: "integer", bool: "boolean", date: "date",
                 datetime: "timestamp with time zone", tuple[str, ...]: "text"},
}


def without_none(annotation: Any) -> Any:
    if get_origin(annotation) in (Union, types.UnionType):
        (inner,) = [a for a in get_args(annotation) if a is not type(None)]
        return inner
    return annotation


def created_columns(store: Any, table: str) -> list[tuple[str, str]]:
    """(name, type) of each column of ``table`` as the database created it, in order."""
    if store.backend == "sqlite":
        with store.transaction(commit=False) as cursor:
            cursor.execute(f"PRAGMA table_info({table})")
            return [(row["name"], row["type"]) for row in cursor.fetchall()]
    rows = store.fetch(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position",
        (store.datastore.schema, table))
    return [(row["column_name"], row["data_type"]) for row in rows]


@pytest.fixture
def projections(make_app, clock):
    clock.now = clock.now.replace(year=2026)
    app = make_app()
    with Projections(app) as projections:
        yield app, projections


def test_every_field_of_a_row_is_a_column_of_its_table_typed_after_its_annotation(projections):
    _, followed = projections
    store = followed.store
    for name, table in TABLE.items():
        expected = [(field.name, SQL_TYPES[store.backend][without_none(field.type)])
                    for field in msgspec.structs.fields(table.row)]
        assert created_columns(store, name) == expected, name


def test_the_store_gives_back_the_rows_the_builders_made(projections):
    # Given a county with cases at every stage (green channel, eliminated, duplicates…)
    app, followed = projections
    load_demo(app, households=40)
    open_green_channel_case(app)
    appeal_a_category(app)
    followed.catch_up()
    households = [app.household(household_id) for household_id in app.iter_households()]

    for model, tables in READ_MODELS.items():
        built: dict[str, list[Any]] = {t.name: [] for t in tables}
        with KnownPovertyLines(app).in_use():  # as the runner builds them (settled counts)
            for household in households:
                for name, rows in ROW_BUILDERS[model](household).items():
                    built[name].extend(rows)
        for table in tables:
            # When its rows are read back from the store
            stored = followed.store.fetch(f"SELECT * FROM {followed.store.qualified(table.name)}")
            read = msgspec.convert(stored, list[table.row])  # type: ignore[valid-type]

            # Then they are the rows that were built, of the table's own Struct
            def key(row: Any, table: Any = table) -> tuple[str, ...]:
                return tuple(str(getattr(row, column)) for column in table.key)

            assert built[table.name], f"the demo county fills {table.name}"
            assert all(type(row) is table.row for row in built[table.name])
            assert sorted(read, key=key) == sorted(built[table.name], key=key), table.name


def open_green_channel_case(app: Any) -> None:
    """A case still being identified, helped through the green channel (steps owed)."""
    app.register_household(registering(CODE), by=COUNTY)
    app.execute(CODE, RaiseAlert(
        alert_id="F1", channel=Channel.CADRE_SCREENING, person_id_number=HEAD_ID,
        risk_types=[RiskType.NATURAL_DISASTER], disaster_kind=DisasterKind("洪涝"),
        occurred_on=date(2025, 7, 30)), by=VILLAGE)
    app.execute(CODE, VerifyAtHome(case_number=1, finding=Finding.RISK_CONFIRMED, risk_clear=True,
                                   occurred_on=date(2025, 7, 31)), by=VILLAGE)
    app.execute(CODE, OpenGreenChannel(
        case_number=1, hardship=SuddenHardship.NATURAL_DISASTER, studied_on=date(2025, 7, 31),
        approved_on=date(2025, 8, 1), occurred_on=date(2025, 8, 1)), by=COUNTY)


def appeal_a_category(app: Any) -> None:
    """A monitoring object appeals against its category (an appeal open on rm_appeals)."""
    for household_id in app.iter_households():
        household = app.household(household_id)
        case = household.monitored_case
        if case is not None and case is household.cases[-1] and case.open_appeal is None:
            app.execute(household.code, LodgeAppeal(
                case_number=case.number, appeal_id="SS-T1", against=AppealSubject.CATEGORY,
                appellant=household.head.name, by_household=True, content="类别认定有误",
                occurred_on=case.included_on), by=COUNTY)
            return
    raise AssertionError("the demo county has no monitoring object")


def test_the_monitoring_list_row_has_every_field_of_both_of_its_tables():
    fields = MonitoringListRow.__struct_fields__
    assert fields[:len(MonitoredRow.__struct_fields__)] == MonitoredRow.__struct_fields__
    assert set(fields) == set(MonitoredRow.__struct_fields__) | set(
        MonitoringPeriodRow.__struct_fields__)
