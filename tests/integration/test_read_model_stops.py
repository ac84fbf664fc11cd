"""A read model that cannot build a household's rows stops at that event and says so, on both
back ends: its rows and position stay as they were, the others go on, every process sees the
stop, and once the builder is fixed the next catch-up applies the batch and the stop goes."""

from __future__ import annotations

import ast
import time
from datetime import date
from pathlib import Path

import pytest

from application.commands import RaiseAlert, VerifyAtHome
from domain.codes import Channel, Finding, Relation, RiskType
from domain.household import Household, household_id
from domain.values import MemberDetails
from projections.rows import ROW_BUILDERS
from projections.runner import Projections
from projections.source import LogSource
from tests.builders import COUNTY, HEAD_ID, VILLAGE, id_number, registering
from tests.integration.test_read_models import dump

BROKEN, OTHER = "130630101001", "130630101002"
BROKEN_ID = household_id(BROKEN)
MODEL = "cases"


OTHER_HEAD = id_number(date(1980, 1, 1), 11)


def registered(app, code: str):
    members = [MemberDetails("赵大山", OTHER_HEAD, Relation.HEAD)] if code == OTHER else None
    return app.register_household(registering(code, members=members), by=COUNTY)


def alert(app, code: str, alert_id: str, day: date = date(2025, 3, 1)):
    return app.execute(code, RaiseAlert(
        alert_id=alert_id, channel=Channel.SELF_DECLARATION,
        person_id_number=HEAD_ID if code == BROKEN else OTHER_HEAD,
        risk_types=[RiskType.ILLNESS], occurred_on=day), by=VILLAGE)


def verified(app, code: str):
    return app.execute(code, VerifyAtHome(case_number=1, finding=Finding.RISK_CONFIRMED, risk_clear=True,
                                          occurred_on=date(2025, 3, 2)), by=VILLAGE)


@pytest.fixture
def app(make_app, clock):
    clock.now = clock.now.replace(year=2026)  # every 2025 date below is in the past
    return make_app()


@pytest.fixture
def broken_builder(monkeypatch):
    """The `cases` builder raises for BROKEN once its case is verified at home (``calls``: the
    households it was asked for); ``fix()`` restores it."""
    original = ROW_BUILDERS[MODEL]
    calls: list = []

    def failing(household: Household):
        calls.append(household.code)
        if household.id == BROKEN_ID and any(c.identification.home_visit for c in household.cases):
            raise ValueError(f"cannot build the case row of {HEAD_ID}")
        return original(household)

    monkeypatch.setitem(ROW_BUILDERS, MODEL, failing)

    class Builder:
        @staticmethod
        def called() -> list[str]:
            called, calls[:] = list(calls), []
            return called

        @staticmethod
        def fix() -> None:
            monkeypatch.setitem(ROW_BUILDERS, MODEL, original)

    return Builder


def first_event_of(app, household, after: int):
    """The first notification of ``household`` after position ``after``."""
    return next(n for n in app.recorder.select_notifications(after + 1, 1000)
                if n.originator_id == household)


def case_rows(projections: Projections) -> list[tuple]:
    return dump(projections)["rm_case_queue"]


class TestAFailingBuilderInACatchUp:
    def test_the_read_model_stops_at_the_event_and_moves_on_once_fixed(
            self, app, make_app, clock, broken_builder):
        # Given two households with an open case each, their read models current
        projections = Projections(app)
        registered(app, BROKEN)
        registered(app, OTHER)
        alert(app, OTHER, "A0")
        alert(app, BROKEN, "B1")
        projections.catch_up()
        before, rows_before = projections.positions()[MODEL], case_rows(projections)
        assert sorted(row[2] for row in rows_before) == [BROKEN, OTHER]
        directory_before = dump(projections)["rm_households"]

        # When the broken household's rows fail after its home visit, in a batch with another
        verified(app, BROKEN)
        alert(app, OTHER, "A2", date(2025, 4, 1))
        end = app.max_position()
        projections.catch_up()

        # Then the cases read model has written nothing of that batch: the household's rows
        # and the position are as they were; the other read models went on
        assert projections.positions()[MODEL] == before
        assert case_rows(projections) == rows_before
        assert all(p == end for model, p in projections.positions().items() if model != MODEL)
        assert dump(projections)["rm_households"] != directory_before
        # …and says where it stopped: the event, the household and the error
        event = first_event_of(app, BROKEN_ID, before)
        status = projections.status()
        assert [m for m, s in status.items() if s.stopped] == [MODEL]
        stop = status[MODEL].stop
        assert (stop.model, stop.position, stop.topic) == (MODEL, event.id, event.topic)
        assert (stop.household_id, stop.household_code) == (BROKEN_ID, BROKEN)
        assert (stop.error_type, stop.error) == ("ValueError", f"cannot build the case row of {HEAD_ID}")
        assert stop.stopped_at == clock.now and status[MODEL].position == before
        # …which another process sees too
        with Projections(make_app()) as elsewhere:
            assert elsewhere.status()[MODEL].stop == stop

        # When it tries again later, it fails the same way (and keeps when it first stopped),
        # checking the one household again rather than replaying the whole batch
        first_stopped = clock.now
        clock.advance(minutes=5)
        broken_builder.called()
        projections.catch_up()
        assert broken_builder.called() == [BROKEN]
        assert projections.positions()[MODEL] == before
        assert projections.status()[MODEL].stop.stopped_at == first_stopped
        started = time.monotonic()
        assert not projections.wait_for(end, timeout=5), "a stopped read model never gets there"
        assert time.monotonic() - started < 2, "and waiting for it does not last the timeout"

        # When the builder is fixed, the next catch-up applies the batch and the stop goes
        broken_builder.fix()
        projections.catch_up()
        assert projections.positions()[MODEL] == end
        assert projections.stops() == {}
        assert {s.stop for s in projections.status().values()} == {None}
        caught_up = dump(projections)
        assert caught_up["rm_case_queue"] != rows_before
        projections.rebuild()
        assert dump(projections) == caught_up
        projections.close()

    def test_a_follower_keeps_the_stop_visible_and_retries_at_its_cadence(
            self, app, broken_builder):
        # Given a follower thread polling every 50 ms
        projections = Projections(app)
        registered(app, BROKEN)
        alert(app, BROKEN, "B1")
        verified(app, BROKEN)
        projections.follow(interval=0.05, settle=0)
        try:
            # When it meets the household it cannot build and goes on polling for a while
            deadline = time.monotonic() + 5
            while not projections.stops() and time.monotonic() < deadline:
                time.sleep(0.01)
            broken_builder.called()
            time.sleep(0.5)
            # Then the stop stays visible, and each poll checked the household once at most
            assert projections.stops()[MODEL].household_code == BROKEN
            assert 1 <= len(broken_builder.called()) <= 20
            # …until the builder is fixed: the next poll applies the batch
            broken_builder.fix()
            deadline = time.monotonic() + 5
            while projections.stops() and time.monotonic() < deadline:
                time.sleep(0.01)
            assert projections.stops() == {} and projections.position() == app.max_position()
        finally:
            projections.close()

    def test_a_stop_at_a_later_event_is_kept_until_the_model_reaches_it(
            self, app, broken_builder):
        # Given a read model stopped at an event, with small batches
        projections = Projections(app, batch_size=1)
        registered(app, OTHER)
        registered(app, BROKEN)
        alert(app, BROKEN, "B1")
        verified(app, BROKEN)
        projections.catch_up()
        stop = projections.stops()[MODEL]
        assert projections.positions()[MODEL] == stop.position - 1, "the batches before applied"
        # When a rebuild of another read model runs, the stop stays where it is
        projections.rebuild(["directory"])
        assert projections.stops() == {MODEL: stop}


class TestAFailingBuilderInARebuild:
    def test_a_rebuild_stops_with_the_same_report_and_fills_the_rest(
            self, app, broken_builder):
        # Given a log where the broken household's home visit comes between others
        registered(app, BROKEN)
        registered(app, OTHER)
        alert(app, OTHER, "A0")
        alert(app, BROKEN, "B1")
        before = app.max_position()
        verified(app, BROKEN)
        alert(app, OTHER, "A2", date(2025, 4, 1))
        end = app.max_position()
        event = first_event_of(app, BROKEN_ID, before)
        projections = Projections(app, batch_size=1)

        # When the read models are rebuilt
        projections.rebuild()

        # Then the cases read model holds the log up to that event and says it stopped there
        status = projections.status()
        stop = status[MODEL].stop
        assert stop is not None
        assert (stop.position, stop.topic, stop.household_code, stop.error_type) == (
            event.id, event.topic, BROKEN, "ValueError")
        assert status[MODEL].position == event.id - 1
        rows = case_rows(projections)
        assert sorted(row[2] for row in rows) == [BROKEN, OTHER], "the cases up to that event"
        assert all(s.position == end and not s.stopped
                   for model, s in status.items() if model != MODEL), "the others are complete"
        assert status[MODEL].rebuilding_for is None, "no lease left behind"

        # When the builder is fixed, a catch-up completes it as a rebuild would
        broken_builder.fix()
        projections.catch_up()
        assert projections.stops() == {} and projections.position() == end
        caught_up = dump(projections)
        projections.rebuild()
        assert dump(projections) == caught_up
        projections.close()


class TestAnEventNoReadModelCanApply:
    """An event that cannot be decoded or applied to its household (say, written by a newer
    version, or corrupted) stops every read model just before it, in a catch-up and in a
    rebuild alike; none moves past it, and once it can be applied they all go on."""

    @pytest.fixture
    def unreadable(self, monkeypatch):
        original = Household.AlertRaised.apply_to

        def failing(event, household):
            if event.alert_id == "BAD":
                raise ValueError("cannot apply alert BAD")
            original(event, household)

        class Patch:
            @staticmethod
            def on() -> None:
                monkeypatch.setattr(Household.AlertRaised, "apply_to", failing)

            @staticmethod
            def off() -> None:
                monkeypatch.setattr(Household.AlertRaised, "apply_to", original)

        return Patch

    def record_around_a_bad_event(self, app) -> tuple[int, int]:
        """OTHER's alert A1, BROKEN's alert BAD, OTHER's alert A2: the positions of A1 and BAD."""
        before_bad = alert(app, OTHER, "A1").position
        bad = alert(app, BROKEN, "BAD").position
        alert(app, OTHER, "A2", date(2025, 4, 1))
        return before_bad, bad

    def assert_stopped_at(self, projections: Projections, position: int, bad: int) -> None:
        status = projections.status()
        assert {model: s.position for model, s in status.items()} == dict.fromkeys(status, position)
        for s in status.values():
            assert (s.stop.position, s.stop.topic) == (bad, Household.AlertRaised.TOPIC)
            assert (s.stop.household_id, s.stop.error) == (BROKEN_ID, "cannot apply alert BAD")

    def test_a_catch_up_stops_every_read_model_just_before_it(self, app, unreadable):
        # Given two households followed by the read models
        projections = Projections(app)
        registered(app, BROKEN)
        registered(app, OTHER)
        projections.catch_up()
        # When a batch holds an event that cannot be applied, between two that can
        before_bad, bad = self.record_around_a_bad_event(app)
        unreadable.on()
        projections.catch_up()
        projections.catch_up()  # and again, at the next wake-up
        # Then every read model applied what came before it, and stopped there, naming it
        self.assert_stopped_at(projections, before_bad, bad)
        assert [row[1] for row in dump(projections)["rm_alerts"]] == ["A1"]
        # When the event can be applied again, they all go on to the end, the stops gone
        unreadable.off()
        projections.catch_up()
        status = projections.status()
        assert {s.position for s in status.values()} == {app.max_position()}
        assert not any(s.stopped for s in status.values())
        assert sorted(row[1] for row in dump(projections)["rm_alerts"]) == ["A1", "A2", "BAD"]

    def test_a_rebuild_stops_every_read_model_and_says_where(self, app, unreadable):
        projections = Projections(app)
        registered(app, BROKEN)
        registered(app, OTHER)
        _, bad = self.record_around_a_bad_event(app)
        unreadable.on()
        projections.rebuild()
        status = projections.status()
        assert all(s.stop is not None and s.stop.position == bad for s in status.values())
        assert all(s.position < bad for s in status.values())
        unreadable.off()
        projections.catch_up()
        assert {s.position for s in projections.status().values()} == {app.max_position()}
        assert not any(s.stopped for s in projections.status().values())


def test_the_projections_read_the_log_through_their_own_protocol(app):
    # The application's case files are a `LogSource`; the projections import no application.
    assert isinstance(app, LogSource)
    for module in (Path(__file__).resolve().parents[2] / "projections").glob("*.py"):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        imported = [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
        imported += [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                     for alias in node.names]
        assert not [name for name in imported if name.split(".")[0] in ("application", "interfaces")], \
            module.name


def test_the_command_line_names_where_a_read_model_stopped(app, cli_env, capsys, broken_builder):
    from interfaces.cli import main

    # Given the cases read model stopped at the broken household's home visit
    with Projections(app) as projections:
        registered(app, BROKEN)
        alert(app, BROKEN, "B1")
        verified(app, BROKEN)
        projections.catch_up()
        stop = projections.status()[MODEL].stop
    capsys.readouterr()

    # When the county centre asks for the read models' status
    code = main(["projections", "status"])

    # Then it fails, and the stopped model's line names the event, the household and the error
    out = capsys.readouterr().out
    assert code == 1
    line = next(line for line in out.splitlines() if line.startswith(f"{MODEL}:"))
    assert f"已停止：事件 {stop.position} {stop.topic}，农户 {BROKEN}" in line
    assert f"ValueError: cannot build the case row of {HEAD_ID}" in line
    assert sum("已停止" in line for line in out.splitlines()) == 1
