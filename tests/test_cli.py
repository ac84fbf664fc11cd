"""The `fangpin` command line as a new user runs it, on both back ends."""

from __future__ import annotations

import pytest

from interfaces.cli import main


@pytest.fixture
def cli_env(settings, monkeypatch) -> None:
    """Point the CLI (which reads FANGPIN_* variables) at the test's back end."""
    if settings.backend == "sqlite":
        monkeypatch.setenv("FANGPIN_SQLITE_PATH", str(settings.sqlite_file))
        monkeypatch.delenv("FANGPIN_DATABASE_URL", raising=False)
    else:
        monkeypatch.setenv("FANGPIN_DATABASE_URL", settings.database_url)
        monkeypatch.setenv("FANGPIN_POSTGRES_SCHEMA", settings.postgres_schema)


def test_demo_loads_a_county_and_summarises_it_and_loading_again_adds_nothing(cli_env, capsys):
    assert main(["demo", "--households", "120"]) == 0
    first = capsys.readouterr().out
    assert "农户：120 户" in first and "监测对象：" in first and "脱贫不稳定户" in first
    events = first.split("条事件")[0].rsplit("（", 1)[1]

    assert main(["demo", "--households", "120"]) == 0
    again = capsys.readouterr().out
    assert f"（{events}条事件）" in again


def test_a_household_file_its_history_and_its_past(cli_env, capsys):
    main(["demo", "--households", "30"])
    capsys.readouterr()
    from application.demo import generate_county

    code = next(generate_county(1)).code
    assert main(["household", "show", code]) == 0
    shown = capsys.readouterr().out
    assert f"户编号 {code}" in shown and "**********" in shown  # ID numbers masked

    assert main(["household", "history", code]) == 0
    history = capsys.readouterr().out.splitlines()
    assert history[0].split()[0] == "1" and "Registered" in history[0]

    assert main(["household", "show", code, "--version", "1"]) == 0
    assert "版本 1" in capsys.readouterr().out


def test_an_unknown_household_is_a_clear_error(cli_env, capsys):
    assert main(["household", "show", "000"]) == 1
    assert "HOUSEHOLD_NOT_FOUND" in capsys.readouterr().err


def test_the_income_line_is_set_and_read_back(cli_env, capsys):
    assert main(["income-line", "set", "2025", "8300", "--effective-from", "2025-01-01"]) == 0
    capsys.readouterr()
    assert main(["income-line", "show", "--on", "2025-07-01"]) == 0
    assert "8300" in capsys.readouterr().out
    assert main(["income-line", "show", "--on", "2024-07-01"]) == 1
