"""A deployment of many counties: which counties it serves, each in a store of its own.

A deployment's root settings name its root store (the one-county store every single-county URL
serves, as before). `fangpin county add 130630 涞源县` gives a county a store of its own —
a PostgreSQL schema in the same database, or a SQLite file beside the root file
(`Settings.county_store`) — with its own log, hash chain, read models, users and signing key.
The list of counties is kept in the province's store (`Settings.province_store`), which also
holds the provincial users and read models. Nothing joins across county stores: a county's
figures reach the province only through the province's read models, which follow each county's
log (`application.province.follower`).
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg import errors as pg_errors

from application.app import CaseFiles
from application.settings import COUNTY_CODE, Settings
from application.store.beside import beside_log, placeholder
from application.store.chain import values
from application.store.ddl import schema_lock
from domain.errors import DomainError, InvalidValue, NotFound
from domain.text import check_text

#: A county's name as the deployment lists it (e.g. 涞源县): at most this many characters.
COUNTY_NAME_LENGTH = 30


@dataclass(frozen=True)
class County:
    """One county of the deployment: its 行政区划代码, its name, when it was added."""

    code: str
    name: str
    added_at: datetime


class CountyNotFound(NotFound):
    def __init__(self, code: str) -> None:
        super().__init__("COUNTY_NOT_FOUND", f"本系统没有县代码为 {code} 的县", "county")


class CountyExists(DomainError):
    def __init__(self, county: County) -> None:
        super().__init__("COUNTY_EXISTS",
                         f"县代码 {county.code} 已登记为 {county.name}", "code")


def county_code(code: str) -> str:
    """``code`` if it is a 6-digit 行政区划代码, else a refusal naming the field."""
    if not isinstance(code, str) or not COUNTY_CODE.fullmatch(code):
        raise InvalidValue("INVALID_COUNTY_CODE", f"县代码应为6位行政区划代码（如 130630），不是 {code!r}",
                           "county")
    return code


def ensure_schema(settings: Settings) -> None:
    """Create the PostgreSQL schema of ``settings`` if it is not there (nothing on SQLite)."""
    if settings.backend != "postgres" or not settings.postgres_schema:
        return
    # another process may make it at the same moment
    with psycopg.connect(settings.database_url or "", autocommit=True) as connection, \
            contextlib.suppress(pg_errors.UniqueViolation, pg_errors.DuplicateSchema):
        connection.execute(f'CREATE SCHEMA IF NOT EXISTS "{settings.postgres_schema}"')


class Deployment:
    """The counties of a deployment, kept in the province's store (``fangpin_counties``)."""

    def __init__(self, settings: Settings, *, clock: Callable[[], datetime] | None = None) -> None:
        self.settings = settings
        self.clock = clock or (lambda: datetime.now(UTC))
        self._province: CaseFiles | None = None

    def province(self) -> CaseFiles:
        """The province's store (opened, with its tables, on first use)."""
        if self._province is None:
            province = self.settings.province_store()
            ensure_schema(province)
            self._province = CaseFiles(province, clock=self.clock)
            self._create_table()
        return self._province

    def close(self) -> None:
        if self._province is not None:
            self._province.close()
            self._province = None

    def __enter__(self) -> Deployment:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def county_settings(self, code: str) -> Settings:
        """The store of a county the deployment has (`CountyNotFound` otherwise)."""
        return self.settings.county_store(self.county(code).code)

    def counties(self) -> tuple[County, ...]:
        """Every county of the deployment, by code (none before the first is added)."""
        if not self._has_province():
            return ()
        with self._datastore().transaction(commit=False) as cursor:
            cursor.execute(f"SELECT code, name, added_at FROM {self._table} ORDER BY code")
            rows = [values(row) for row in cursor.fetchall()]
        return tuple(County(code, name, _moment(added_at)) for code, name, added_at in rows)

    def county(self, code: str) -> County:
        county_code(code)
        for county in self.counties():
            if county.code == code:
                return county
        raise CountyNotFound(code)

    def add(self, code: str, name: str) -> County:
        """Register a county and create its store (its log's, read models' and users' tables)."""
        county = County(county_code(code), _county_name(name), self.clock())
        for known in self.counties():
            if known.code == county.code:
                raise CountyExists(known)
        store = self.settings.county_store(county.code)
        ensure_schema(store)
        with CaseFiles(store, clock=self.clock) as opened:  # its log's tables, made now
            opened.log_tables()
        self._insert(county)
        return county

    # ------------------------------------------------------------------ the table

    def _has_province(self) -> bool:
        if self._province is not None:
            return True
        province = self.settings.province_store()
        if province.backend == "sqlite":
            if not province.sqlite_file.exists():
                return False
        else:
            with psycopg.connect(province.database_url or "", autocommit=True) as connection:
                found = connection.execute(
                    "SELECT 1 FROM information_schema.tables WHERE table_schema = %s "
                    "AND table_name = 'fangpin_counties'", (province.postgres_schema,)).fetchone()
            if found is None:
                return False
        self.province()
        return True

    def _datastore(self) -> Any:
        return self.province().factory.datastore  # type: ignore[attr-defined]

    @property
    def _table(self) -> str:
        return beside_log(self._datastore(), self.settings.backend, "fangpin_counties")

    def _create_table(self) -> None:
        datastore, backend = self._datastore(), self.settings.backend
        with schema_lock(datastore, backend), datastore.transaction(commit=True) as cursor:
            cursor.execute(f"CREATE TABLE IF NOT EXISTS {self._table} ("
                           "code TEXT PRIMARY KEY, name TEXT NOT NULL, added_at TEXT NOT NULL)")

    def _insert(self, county: County) -> None:
        p = placeholder(self.settings.backend)
        try:
            with self._datastore().transaction(commit=True) as cursor:
                cursor.execute(f"INSERT INTO {self._table} (code, name, added_at) "
                               f"VALUES ({p}, {p}, {p})",
                               (county.code, county.name, county.added_at.isoformat()))
        except (sqlite3.IntegrityError, psycopg.errors.UniqueViolation):
            raise CountyExists(self.county(county.code)) from None


def _county_name(name: str) -> str:
    name = check_text(name.strip(), "name") if isinstance(name, str) else ""
    if not name or len(name) > COUNTY_NAME_LENGTH:
        raise InvalidValue("INVALID_COUNTY_NAME",
                           f"县名应为1至{COUNTY_NAME_LENGTH}个字符，如 涞源县", "name")
    return name


def _moment(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)
