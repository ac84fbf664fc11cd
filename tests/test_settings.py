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


def test_the_aggregate_cache_is_bounded_in_mb():
    assert Settings.from_environ({}).aggregate_cache_mb == 32
    assert Settings.from_environ({"FANGPIN_CACHE_MB": "8.5"}).aggregate_cache_mb == 8.5
    assert Settings.from_environ({"FANGPIN_CACHE_MB": "0"}).aggregate_cache_mb == 0  # off


def test_heap_tracing_is_off_unless_a_directory_is_named(tmp_path):
    assert Settings.from_environ({}).heap_trace_dir is None
    traced = Settings.from_environ({"FANGPIN_HEAP_TRACE_DIR": str(tmp_path),
                                    "FANGPIN_HEAP_TRACE_MINUTES": "0.5",
                                    "FANGPIN_HEAP_TRACE_FRAMES": "0"})
    assert (traced.heap_trace_dir, traced.heap_trace_minutes, traced.heap_trace_frames) == (
        tmp_path, 0.5, 0)


@pytest.mark.parametrize("environ, named", [
    ({"FANGPIN_CACHE_SIZE": "5000"}, "FANGPIN_CACHE_MB"),  # retired: says what replaces it
    ({"FANGPIN_CACHE_SIZE": "0"}, "FANGPIN_CACHE_MB"),
    ({"FANGPIN_CACHE_MB": "-1"}, "FANGPIN_CACHE_MB"),
    ({"FANGPIN_CACHE_MB": "lots"}, "FANGPIN_CACHE_MB"),
    ({"FANGPIN_CACHE_MB": "nan"}, "FANGPIN_CACHE_MB"),
])
def test_a_cache_setting_that_cannot_work_stops_the_start_naming_it(environ, named, monkeypatch,
                                                                      capsys):
    with pytest.raises(ValueError, match=named):
        Settings.from_environ(environ)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    assert main(["summary"]) == 2
    assert named in capsys.readouterr().err


@pytest.mark.parametrize("name, value", [
    ("FANGPIN_SNAPSHOT_INTERVAL", "abc"), ("FANGPIN_SNAPSHOT_INTERVAL", "2.5"),
    ("FANGPIN_POSTGRES_CONNECT_TIMEOUT", "ten"), ("FANGPIN_HEAP_TRACE_MINUTES", "soon"),
    ("FANGPIN_HEAP_TRACE_FRAMES", "all"),
])
def test_a_number_setting_that_is_no_number_stops_the_start_naming_it(name, value, monkeypatch,
                                                                       capsys):
    """Where it said only "invalid literal for int() with base 10: 'abc'"."""
    monkeypatch.setenv(name, value)
    assert main(["summary"]) == 2
    what = "数" if name == "FANGPIN_HEAP_TRACE_MINUTES" else "整数"
    assert capsys.readouterr().err.strip() == f"设置错误：{name} 须为{what}，而不是 {value!r}"
