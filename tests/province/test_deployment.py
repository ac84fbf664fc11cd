"""Counties as stores of one deployment: added once, each with its own log and users, refused
with the field named when the code or name is wrong."""

from __future__ import annotations

import pytest

from application.accounts.access import User
from application.accounts.users import Users
from application.app import CaseFiles
from application.province import CountyExists, CountyNotFound, Deployment
from application.settings import Settings
from domain.codes import Role
from domain.errors import InvalidValue
from interfaces.cli import main


def test_a_county_added_gets_a_store_of_its_own(settings: Settings) -> None:
    with Deployment(settings) as deployment:
        assert deployment.counties() == ()
        laiyuan = deployment.add("130630", " 涞源县 ")
        deployment.add("130633", "易县")
        assert [(c.code, c.name) for c in deployment.counties()] == [
            ("130630", "涞源县"), ("130633", "易县")]
        stores = [deployment.county_settings(code) for code in ("130630", "130633")]
    assert laiyuan.name == "涞源县"
    assert len({s.describe() for s in [settings, *stores]}) == 3
    # a user of one county is no user of the other, nor of the root store
    with CaseFiles(stores[0]) as first:
        datastore = first.factory.datastore  # type: ignore[attr-defined]
        token = Users(datastore, backend=settings.backend).add(User("zhang", Role.COUNTY_CENTRE))
    for other in (stores[1], settings):
        with CaseFiles(other) as app:
            users = Users(app.factory.datastore, backend=settings.backend)  # type: ignore[attr-defined]
            assert users.authenticate(token) is None


def test_a_county_is_added_once_and_wrong_codes_and_names_are_refused(settings: Settings) -> None:
    with Deployment(settings) as deployment:
        deployment.add("130630", "涞源县")
        with pytest.raises(CountyExists) as twice:
            deployment.add("130630", "另一个县")
        assert twice.value.field == "code" and "涞源县" in twice.value.message
        for code, name, field in [("13063", "x县", "county"), ("13063a", "x县", "county"),
                                  ("１３０６３０", "涞源县", "county"),  # full-width: another store
                                  ("130631", "", "name"), ("130631", "县\x00", "name"),
                                  ("130631", "县" * 31, "name")]:
            with pytest.raises(InvalidValue) as refused:
                deployment.add(code, name)
            assert refused.value.field == field
        with pytest.raises(CountyNotFound) as unknown:
            deployment.county_settings("999999")
        assert unknown.value.code == "COUNTY_NOT_FOUND"
        assert [c.code for c in deployment.counties()] == ["130630"]


def test_the_command_line_acts_on_the_county_it_is_given(
        cli_env: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["county", "add", "130630", "涞源县"]) == 0
    assert main(["--county", "130630", "users", "add", "zhang", "--role", "county"]) == 0
    capsys.readouterr()
    assert main(["--county", "130630", "users", "list"]) == 0
    assert "zhang" in capsys.readouterr().out
    assert main(["users", "list"]) == 0
    assert "zhang" not in capsys.readouterr().out
    assert main(["--county", "130631", "users", "list"]) == 1
    assert "COUNTY_NOT_FOUND" in capsys.readouterr().err
    assert main(["county", "list"]) == 0
    assert "130630\t涞源县" in capsys.readouterr().out
