"""Encryption at rest: with a key set, the stored event state (and snapshots) hold no name or ID
number in plaintext; a wrong or missing key is refused before anything is read or written; the
chain still verifies without the key. On SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import replace

import psycopg
import pytest

from application.app import CaseFiles
from application.audit import verify
from application.settings import Settings
from application.store.encryption import CipherKeyProblem, new_key
from tests.builders import COUNTY, HEAD_ID, family, registering

CODE = "130630101001"


def _raw_states(settings: Settings) -> list[bytes]:
    """Every stored state of events, snapshots and current states, read with plain SQL."""
    if settings.backend == "sqlite":
        with closing(sqlite3.connect(settings.sqlite_file)) as conn:
            return [bytes(row[0]) for table in ("stored_events", "stored_snapshots", "fangpin_states")
                    for row in conn.execute(f"SELECT state FROM {table}")]
    with psycopg.connect(settings.database_url) as conn:
        schema = settings.postgres_schema
        return [bytes(row[0]) for table in ("fangpin_events", "fangpin_snapshots", "fangpin_states")
                for row in conn.execute(f'SELECT state FROM "{schema}".{table}')]


@pytest.fixture
def encrypted(settings: Settings) -> Settings:
    return replace(settings, cipher_key=new_key(), snapshot_interval=1)


def test_stored_state_holds_no_plaintext_name_or_id_number(encrypted: Settings) -> None:
    with CaseFiles(encrypted) as app:
        app.register_household(registering(CODE), by=COUNTY)
        app.flush_snapshots()
        states = _raw_states(encrypted)
        household = app.household(CODE)
    assert household.members[HEAD_ID].name == "王建国"
    assert len(states) >= 3  # the event, its snapshot and the current state
    for state in states:
        for plain in (HEAD_ID, "王建国", "银坊镇", CODE):
            assert plain.encode() not in state
        assert b"occurred_on" not in state


def test_without_the_key_or_with_another_the_store_refuses_to_open(encrypted: Settings) -> None:
    with CaseFiles(encrypted) as app:
        app.register_household(registering(CODE), by=COUNTY)
        position = app.max_position()
    with pytest.raises(CipherKeyProblem) as missing:
        CaseFiles(replace(encrypted, cipher_key=None))
    assert missing.value.code == "CIPHER_KEY_MISSING"
    assert "FANGPIN_CIPHER_KEY" in missing.value.message
    with pytest.raises(CipherKeyProblem) as wrong:
        CaseFiles(replace(encrypted, cipher_key=new_key()))
    assert wrong.value.code == "CIPHER_KEY_WRONG"
    with CaseFiles(encrypted) as app:  # the right key still opens it, nothing was written
        assert app.max_position() == position
        assert app.household(CODE).code == CODE


def test_a_key_given_for_a_store_that_is_not_encrypted_is_refused(settings: Settings) -> None:
    plain = replace(settings, cipher_key=None)
    with CaseFiles(plain) as app:
        app.register_household(registering(CODE), by=COUNTY)
    with pytest.raises(CipherKeyProblem) as refused:
        CaseFiles(replace(plain, cipher_key=new_key()))
    assert refused.value.code == "LOG_NOT_ENCRYPTED"


def test_the_chain_of_an_encrypted_log_verifies(encrypted: Settings) -> None:
    with CaseFiles(encrypted) as app:
        app.register_household(registering(CODE), by=COUNTY)
        app.register_household(registering("130630101002", members=family(1)), by=COUNTY)
        report = verify(app.log_tables())
    assert report.clean and report.events == 2


def test_a_malformed_key_is_a_settings_error() -> None:
    with pytest.raises(ValueError, match="16、24 或 32 字节"):
        Settings(cipher_key="c2hvcnQ=")
    with pytest.raises(ValueError, match="base64"):
        Settings(cipher_key="not base64!")


def test_a_store_still_empty_takes_the_key_of_its_first_writer(settings: Settings) -> None:
    key = new_key()
    with CaseFiles(replace(settings, cipher_key=None)) as app:  # opened without a key, empty
        assert app.max_position() == 0
    with CaseFiles(replace(settings, cipher_key=key)) as app:
        app.register_household(registering(CODE), by=COUNTY)
    with pytest.raises(CipherKeyProblem):
        CaseFiles(replace(settings, cipher_key=None))
