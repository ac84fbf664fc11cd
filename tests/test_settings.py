"""Settings are read once from the environment and refuse what they cannot use."""

from __future__ import annotations

from pathlib import Path

import pytest

from application.settings import Settings
from interfaces.cli import main


def test_the_default_is_the_embedded_sqlite_file():
    settings = Settings.from_environ({})
    assert settings.backend == "sqlite" and settings.sqlite_file == Path("var/fangpin.sqlite3")


def test_a_postgresql_url_selects_postgresql_with_its_schema():
    settings = Settings.from_environ({
        "FANGPIN_DATABASE_URL": "postgresql://fp:secret@db.example:6543/county",
        "FANGPIN_POSTGRES_SCHEMA": "laiyuan",
    })
    env = settings.eventsourcing_env()
    assert settings.backend == "postgres"
    assert (env["POSTGRES_HOST"], env["POSTGRES_PORT"], env["POSTGRES_DBNAME"]) == (
        "db.example", "6543", "county")
    assert env["POSTGRES_SCHEMA"] == "laiyuan" and env["POSTGRES_PASSWORD"] == "secret"
    assert "secret" not in settings.describe()


@pytest.mark.parametrize("url", ["mysql://root@localhost/db", "pg://x/y", "sqlite:/tmp/a.db"])
def test_an_unknown_database_url_is_refused_not_ignored(url, monkeypatch, capsys):
    with pytest.raises(ValueError):
        Settings(database_url=url)
    monkeypatch.setenv("FANGPIN_DATABASE_URL", url)
    assert main(["summary"]) == 2
    assert "FANGPIN_DATABASE_URL" in capsys.readouterr().err


def test_a_read_database_url_names_the_hot_standby_reads_go_to():
    settings = Settings.from_environ({
        "FANGPIN_DATABASE_URL": "postgresql://postgres@127.0.0.1:5440/fangpin",
        "FANGPIN_READ_DATABASE_URL": "postgresql://postgres@127.0.0.1:5441/fangpin",
        "FANGPIN_POSTGRES_SCHEMA": "laiyuan", "FANGPIN_POSTGRES_CONNECT_TIMEOUT": "3",
    })
    standby = settings.standby()
    env = standby.eventsourcing_env()
    assert (env["POSTGRES_PORT"], env["POSTGRES_SCHEMA"], env["POSTGRES_CONNECT_TIMEOUT"]) == (
        "5441", "laiyuan", "3")
    assert env["CREATE_TABLE"] == "n"  # a standby refuses DDL
    assert "CREATE_TABLE" not in settings.eventsourcing_env()


@pytest.mark.parametrize("primary, standby", [
    (None, "postgresql://postgres@127.0.0.1:5441/fangpin"),  # the SQLite file has no standby
    ("sqlite:///var/a.sqlite3", "postgresql://postgres@127.0.0.1:5441/fangpin"),
    ("postgresql://postgres@127.0.0.1:5440/fangpin", "sqlite:///var/copy.sqlite3"),
])
def test_a_read_database_url_is_refused_unless_both_are_postgresql(primary, standby, monkeypatch,
                                                                     capsys):
    with pytest.raises(ValueError):
        Settings(database_url=primary, read_database_url=standby)
    if primary:
        monkeypatch.setenv("FANGPIN_DATABASE_URL", primary)
    monkeypatch.setenv("FANGPIN_READ_DATABASE_URL", standby)
    assert main(["summary"]) == 2
    assert "FANGPIN_READ_DATABASE_URL" in capsys.readouterr().err
