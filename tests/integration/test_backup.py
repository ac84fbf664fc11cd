"""Backup, restore and moving a county: export → import into a fresh SQLite file and a fresh
PostgreSQL schema gives the same events at the same positions, the same read models (every row),
the same indicators and the same checkpoints; a damaged or doctored file leaves the store empty."""

from __future__ import annotations

import gzip
import hashlib
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import msgspec
import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from application.accounts.access import User
from application.accounts.access_log import AccessLog
from application.accounts.desk_marks import DeskMarks
from application.accounts.users import Users
from application.app import CaseFiles
from application.audit import sign_checkpoint
from application.backup import BackupError, export_log, import_log
from application.demo import load_demo
from application.indicators import Cadences, Indicators
from application.settings import Settings
from application.store.encryption import fingerprint, new_key
from domain.codes import Department, Role
from projections.runner import Projections
from projections.tables import TABLES
from tests.builders import COUNTY
from tests.conftest import POSTGRES_URL, postgres_problem

NOW = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)
AS_OF = datetime(2026, 1, 1, 0, 0, tzinfo=UTC)
KEY = Ed25519PrivateKey.generate()


@contextmanager
def fresh_store(backend: str, tmp_path: Path, cipher_key: str | None) -> Iterator[Settings]:
    """An empty store of one back end, removed afterwards."""
    if backend == "sqlite":
        yield Settings(sqlite_path=tmp_path / f"{uuid.uuid4().hex[:8]}.sqlite3", cipher_key=cipher_key)
        return
    if postgres_problem():
        pytest.skip(f"PostgreSQL not available: {postgres_problem()}")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield Settings(database_url=POSTGRES_URL, postgres_schema=schema, cipher_key=cipher_key)
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def _read_models(app: CaseFiles) -> dict[str, list[dict]]:
    with Projections(app) as projections:
        projections.catch_up()
        store = projections.store
        return {table: sorted((_plain(row) for row in store.fetch(
            f"SELECT * FROM {store.qualified(table)}")), key=repr)
            for tables in TABLES.values() for table in tables}


def _plain(row: dict) -> dict:
    """A row with values compared by what they mean, not by the back end's types."""
    return {k: (int(v) if isinstance(v, bool) else str(v) if v is not None else None)
            for k, v in row.items()}


def _events(app: CaseFiles) -> list[tuple]:
    return [(p, h, v, t, s) for p, h, v, t, s in app.log_tables().events_between(1, 10**9)]


def _figures(result) -> list[tuple]:
    return [(f.indicator.name, f.area.name, f.numerator, f.denominator) for f in result.figures]


@pytest.fixture
def source(make_app) -> CaseFiles:
    app: CaseFiles = make_app()
    load_demo(app, 40)
    datastore = app.factory.datastore  # type: ignore[attr-defined]
    Users(datastore, backend=app.settings.backend).add(User("county-01", Role.COUNTY_CENTRE))
    AccessLog(datastore, backend=app.settings.backend).record(
        User("auditor-01", Role.AUDITOR), "130630010010001", "test")
    sign_checkpoint(app.log_tables(), KEY, now=NOW)
    return app


@pytest.mark.parametrize("target", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_export_then_import_gives_an_identical_county(source: CaseFiles, target: str,
                                                       tmp_path: Path) -> None:
    users = Users(source.factory.datastore, backend=source.settings.backend)  # type: ignore[attr-defined]
    users.add(User("grid-01", Role.VILLAGE_LIAISON, township="银坊镇", village="银坊村"))
    DeskMarks(users).link_grid_worker("grid-01", "李网格")  # the 网格员 this user is moves too
    exported = tmp_path / "county.log.gz"
    summary = export_log(source.log_tables(), exported,
                         encryption=fingerprint(source.settings.cipher_key),
                         source=source.settings.describe(), now=NOW)
    assert summary.events == source.max_position() and summary.checkpoints == 1
    assert (summary.users, summary.access_records) == (2, 1)
    cadences = Cadences.load(None)
    with fresh_store(target, tmp_path, source.settings.cipher_key) as settings, \
            CaseFiles(settings, clock=source.clock) as copy:
        loaded = import_log(copy.log_tables(), exported,
                            encryption=fingerprint(settings.cipher_key))
        assert loaded == summary
        assert _events(copy) == _events(source)
        assert _read_models(copy) == _read_models(source)
        end = source.max_position()
        before = Indicators(source, None, cadences).compute("2025", as_of=AS_OF, position=end)
        after = Indicators(copy, None, cadences).compute("2025", as_of=AS_OF, position=end)
        assert (after.digest, after.position, _figures(after)) == (
            before.digest, before.position, _figures(before))
        assert copy.log_tables().stored_checkpoints() == source.log_tables().stored_checkpoints()
        again_there = sign_checkpoint(copy.log_tables(), KEY, now=NOW)
        again_here = sign_checkpoint(source.log_tables(), KEY, now=NOW)
        assert again_there == again_here  # the same log: the same segments, hash and signature
        copy_users = Users(copy.factory.datastore, backend=settings.backend)  # type: ignore[attr-defined]
        assert [u.name for u, _ in copy_users.all()] == ["county-01", "grid-01"]
        assert DeskMarks(copy_users).grid_worker_of("grid-01") == "李网格"
        household = source.household(next(iter(source.iter_households())))
        assert copy.household(household.code) == household
        # the imported log goes on: the next event takes the next position on either back end
        copy.hold_consultation(meeting_id="HS-2026-02",
                               departments_present=[Department.MEDICAL_INSURANCE],
                               topics=["月度会商"], decisions=["无"], occurred_on=date(2025, 1, 1),
                               by=COUNTY)
        assert copy.max_position() == end + 1


def _rewrite(path: Path, out: Path, change) -> None:
    """Re-encode an export, changing its frames, with a correct trailer (a careful forger)."""
    decoder, encoder = msgspec.msgpack.Decoder(), msgspec.msgpack.Encoder()
    digest = hashlib.sha256()
    with gzip.open(path, "rb") as source, gzip.open(out, "wb") as target:
        while header := source.read(4):
            frame = decoder.decode(source.read(int.from_bytes(header, "big")))
            last = isinstance(frame, list) and frame[0] == "end"
            if last:
                frame = ["end", frame[1], digest.hexdigest(), *frame[3:]]
            elif isinstance(frame, list):
                frame = change(frame)
            data = encoder.encode(frame)
            length = len(data).to_bytes(4, "big")
            if not last:
                digest.update(length + data)
            target.write(length + data)


def test_a_doctored_export_is_refused_and_leaves_the_store_empty(source: CaseFiles,
                                                                  tmp_path: Path) -> None:
    exported, doctored = tmp_path / "county.log.gz", tmp_path / "doctored.log.gz"
    encryption = fingerprint(source.settings.cipher_key)
    export_log(source.log_tables(), exported, encryption=encryption, source="", now=NOW)

    def alter(frame):
        if frame[0] == "e" and frame[1] == 10:
            frame = [*frame[:5], frame[5] + b" ", *frame[6:]]
        return frame

    _rewrite(exported, doctored, alter)
    with fresh_store(source.settings.backend, tmp_path, source.settings.cipher_key) as settings, \
            CaseFiles(settings) as copy:
        with pytest.raises(BackupError) as refused:
            import_log(copy.log_tables(), doctored, encryption=encryption)
        assert refused.value.code == "BACKUP_NOT_VERIFIED" and "位置 10" in refused.value.message
        assert copy.max_position() == 0 and copy.log_tables().stored_checkpoints() == []
        truncated = tmp_path / "truncated.log.gz"
        truncated.write_bytes(gzip.compress(gzip.decompress(exported.read_bytes())[:-40]))
        with pytest.raises(BackupError) as cut:
            import_log(copy.log_tables(), truncated, encryption=encryption)
        assert cut.value.code in ("BACKUP_TRUNCATED", "BACKUP_DAMAGED")
        assert copy.max_position() == 0
        # the untouched file still imports into the store the refusals left empty
        import_log(copy.log_tables(), exported, encryption=encryption)
        assert copy.max_position() == source.max_position()
        with pytest.raises(BackupError) as full:
            import_log(copy.log_tables(), exported, encryption=encryption)
        assert full.value.code == "TARGET_NOT_EMPTY"


def test_an_encrypted_export_needs_the_same_key_to_import(settings: Settings, tmp_path: Path) -> None:
    key = new_key()
    with CaseFiles(replace(settings, cipher_key=key)) as app:
        load_demo(app, 5)
        exported = tmp_path / "county.log.gz"
        export_log(app.log_tables(), exported, encryption=fingerprint(key), source="", now=NOW)
    other = new_key()
    with fresh_store(settings.backend, tmp_path, other) as target, CaseFiles(target) as copy:
        with pytest.raises(BackupError) as refused:
            import_log(copy.log_tables(), exported, encryption=fingerprint(other))
        assert refused.value.code == "BACKUP_KEY_MISMATCH"
        assert copy.max_position() == 0
    with fresh_store(settings.backend, tmp_path, key) as target, CaseFiles(target) as copy:
        import_log(copy.log_tables(), exported, encryption=fingerprint(key))
        assert copy.household(next(iter(copy.iter_households()))).members


def test_import_refuses_a_store_with_users_and_leaves_them_alone(source: CaseFiles,
                                                                 tmp_path: Path) -> None:
    exported = tmp_path / "county.log.gz"
    encryption = fingerprint(source.settings.cipher_key)
    export_log(source.log_tables(), exported, encryption=encryption, source="", now=NOW)
    with fresh_store(source.settings.backend, tmp_path, source.settings.cipher_key) as settings, \
            CaseFiles(settings) as copy:
        users = Users(copy.factory.datastore, backend=settings.backend)  # type: ignore[attr-defined]
        users.add(User("admin", Role.COUNTY_CENTRE))
        with pytest.raises(BackupError) as refused:
            import_log(copy.log_tables(), exported, encryption=encryption)
        assert refused.value.code == "TARGET_NOT_EMPTY" and "用户" in refused.value.message
        assert [u.name for u, _ in users.all()] == ["admin"] and copy.max_position() == 0


def test_with_a_trusted_key_only_an_export_signed_by_it_imports(source: CaseFiles,
                                                                tmp_path: Path) -> None:
    signed, unsigned, doctored = (tmp_path / f"{n}.log.gz" for n in ("signed", "unsigned", "doc"))
    encryption = fingerprint(source.settings.cipher_key)
    export_log(source.log_tables(), signed, encryption=encryption, source="", now=NOW,
               signing_key=KEY)
    export_log(source.log_tables(), unsigned, encryption=encryption, source="", now=NOW)

    def add_user(frame):  # a login slipped into the users, the trailer hash recomputed
        if frame[0] == "r" and frame[1] == "fangpin_users":
            frame = ["r", "fangpin_users", [("zz" if i == 0 else v) for i, v in enumerate(frame[2])]]
        return frame

    _rewrite(signed, doctored, add_user)
    trusted = KEY.public_key()
    with fresh_store(source.settings.backend, tmp_path, source.settings.cipher_key) as settings, \
            CaseFiles(settings) as copy:
        for path, code in ((unsigned, "BACKUP_UNSIGNED"), (doctored, "BACKUP_UNSIGNED")):
            with pytest.raises(BackupError) as refused:
                import_log(copy.log_tables(), path, encryption=encryption, trusted_key=trusted)
            assert refused.value.code == code
            assert copy.max_position() == 0
        import_log(copy.log_tables(), signed, encryption=encryption, trusted_key=trusted)
        assert copy.max_position() == source.max_position()
