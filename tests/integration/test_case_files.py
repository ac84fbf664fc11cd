"""The case-file application on both back ends: save and load, as-of reads, repeats, conflicts."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest

from application.commands import (
    AnalyseRisk,
    AssessIncome,
    AssignMeasure,
    Correct,
    CountyDecision,
    EliminationCountyDecision,
    EliminationNotice,
    EliminationTownshipReview,
    PutMeasureInPlace,
    RaiseAlert,
    RecordVisit,
    TownshipReview,
    VerifyAtHome,
    VerifyElimination,
    VillageDeliberation,
)
from application.errors import ConcurrentChange, HouseholdAlreadyRegistered, HouseholdNotFound
from domain.codes import (
    Category,
    Channel,
    Check,
    Decision,
    Department,
    EliminationMode,
    Finding,
    LabourCapacity,
    MeasureType,
    RiskType,
    Tier,
)
from domain.errors import NotFound
from tests.builders import CHILD_ID, COUNTY, HEAD_ID, TOWNSHIP, VILLAGE, registering

CODE = "130630101001"
ALL_PASSED = dict.fromkeys(Check, True)


def include(app, clock, code: str = CODE, discovered: date = date(2025, 2, 3)) -> None:
    """Walk a new illness alert through the four identification steps."""
    app.execute(code, RaiseAlert(alert_id="A1", channel=Channel.SELF_DECLARATION, person_id_number=HEAD_ID,
                                 risk_types=[RiskType.ILLNESS], occurred_on=discovered), by=VILLAGE)
    app.execute(code, VerifyAtHome(case_number=1, finding=Finding.RISK_CONFIRMED, risk_clear=True,
                                   occurred_on=date(2025, 2, 4)), by=VILLAGE)
    app.execute(code, VillageDeliberation(case_number=1, decision=Decision.PASSED,
                                          notice_from=date(2025, 2, 5), notice_to=date(2025, 2, 9),
                                          occurred_on=date(2025, 2, 10)), by=VILLAGE)
    app.execute(code, TownshipReview(case_number=1, decision=Decision.PASSED,
                                     occurred_on=date(2025, 2, 6)), by=TOWNSHIP)
    app.execute(code, CountyDecision(case_number=1, decision=Decision.PASSED,
                                     category=Category.EDGE_OF_POVERTY, simplified=True,
                                     occurred_on=date(2025, 2, 12)), by=COUNTY)


class TestSaveAndLoad:
    def test_a_registered_household_reads_back_with_typed_values(self, make_app):
        app = make_app()
        result = app.register_household(registering(), by=COUNTY, command_id="reg-1")

        fresh = make_app(aggregate_cache_mb=0)
        household = fresh.household(CODE)
        assert household.id == result.aggregate_id
        assert household.township == "银坊镇"
        assert household.members[HEAD_ID].birth_date == date(1970, 5, 4)
        assert household.members[CHILD_ID].in_school is True
        assert result.position == fresh.max_position()

    def test_a_whole_case_survives_storage_and_snapshots(self, make_app, clock):
        """Given a case through inclusion, help, visits, income and elimination (over the
        snapshot interval), a fresh application rebuilds exactly the same case file."""
        app = make_app()
        clock.now = clock.now.replace(year=2026)
        app.set_income_line(year=2025, yuan_per_capita=Decimal(8300), occurred_on=date(2025, 1, 1),
                            by=COUNTY)
        app.register_household(registering(), by=COUNTY)
        include(app, clock)
        app.execute(CODE, AnalyseRisk(causes=[RiskType.ILLNESS], labour_capacity=LabourCapacity.ORDINARY,
                                        needs=[MeasureType.HEALTH, MeasureType.EMPLOYMENT],
                                        occurred_on=date(2025, 2, 19)), by=TOWNSHIP)
        app.execute(CODE, AssignMeasure(measure_id="M1", measure_type=MeasureType.HEALTH,
                                        department=Department.HEALTH, responsible_person="赵医生",
                                        amount=Decimal("1200.50"),
                                        occurred_on=date(2025, 2, 20)), by=TOWNSHIP)
        app.execute(CODE, PutMeasureInPlace(measure_id="M1", occurred_on=date(2025, 3, 1)), by=TOWNSHIP)
        for month in range(3, 10):
            app.execute(CODE, RecordVisit(visit_id=f"V{month}", visitor="网格员张", checks=ALL_PASSED,
                                          per_capita_income=Decimal(11000),
                                          occurred_on=date(2025, month, 15)), by=VILLAGE)
        assessment = app.execute(CODE, AssessIncome(assessment_id="I1", year=2025, wages=Decimal(30000),
                                                    business=Decimal(5000), property=Decimal(0),
                                                    transfers=Decimal(2000), production_costs=Decimal(3000),
                                                    occurred_on=date(2025, 8, 20)), by=TOWNSHIP).outcome
        assert assessment.per_capita == Decimal("11333.33")
        app.execute(CODE, VerifyElimination(mode=EliminationMode.BY_HELP,
                                            occurred_on=date(2025, 9, 1)), by=VILLAGE)
        app.execute(CODE, EliminationNotice(decision=Decision.PASSED, notice_from=date(2025, 9, 2),
                                            notice_to=date(2025, 9, 8),
                                            occurred_on=date(2025, 9, 9)), by=VILLAGE)
        app.execute(CODE, EliminationTownshipReview(decision=Decision.PASSED,
                                                    occurred_on=date(2025, 9, 10)), by=TOWNSHIP)
        app.execute(CODE, EliminationCountyDecision(decision=Decision.PASSED,
                                                    occurred_on=date(2025, 9, 12)), by=COUNTY)
        live = app.household(CODE)
        assert live.version == 21 and not live.is_monitoring_object
        app.flush_snapshots()  # snapshots are written in batches
        assert list(app.snapshots.get(live.id)), "a snapshot was taken"

        rebuilt = make_app(aggregate_cache_mb=0).household(CODE)
        assert rebuilt == live
        assert rebuilt.measures["M1"].amount == Decimal("1200.50")
        assert rebuilt.cases[0].eliminated_on == date(2025, 9, 12)
        assert rebuilt.cases[0].days_to_inclusion == 9

    def test_unknown_household_is_not_found(self, make_app):
        with pytest.raises(HouseholdNotFound) as error:
            make_app().household("nope")
        assert error.value.code == "HOUSEHOLD_NOT_FOUND"

    def test_registering_a_code_twice_is_refused(self, make_app):
        app = make_app()
        app.register_household(registering(), by=COUNTY, command_id="first")
        with pytest.raises(HouseholdAlreadyRegistered):
            app.register_household(registering(), by=COUNTY, command_id="second")


class TestAsOf:
    def test_state_as_of_a_recorded_time_and_as_of_a_version(self, make_app, clock):
        app = make_app()
        app.register_household(registering(), by=COUNTY)
        clock.advance(days=45)
        include(app, clock)
        included_at = clock.now
        clock.advance(days=1)
        app.execute(CODE, Correct(corrects_version=2, changes={"discovered_on": "2025-02-01"},
                                  reason="发现日期录入错误", occurred_on=date(2025, 2, 13)), by=COUNTY)

        before = app.household_as_of(CODE, included_at)
        assert before.cases[0].opened_on == date(2025, 2, 3)
        assert app.household(CODE).cases[0].opened_on == date(2025, 2, 1)

        registered_only = app.household_as_of(CODE, included_at.replace(month=1, day=5))
        assert registered_only.version == 1 and registered_only.cases == []

        at_two = app.household_at_version(CODE, 2)
        assert at_two.version == 2 and len(at_two.cases) == 1 and not at_two.cases[0].included

    def test_history_lists_every_fact_with_when_and_by_whom(self, make_app, clock):
        app = make_app()
        app.register_household(registering(), by=COUNTY)
        clock.advance(days=45)
        include(app, clock)
        history = app.history(CODE)
        assert [e.event for e in history] == [
            "Registered", "AlertRaised", "HouseholdVerified", "VillageDeliberationConcluded",
            "TownshipReviewCompleted", "MonitoringObjectIncluded",
        ]
        assert history[1].occurred_on == date(2025, 2, 3)
        assert history[1].recorded_by == VILLAGE
        assert history[5].recorded_at == clock.now
        assert history[5].details["category"] is Category.EDGE_OF_POVERTY

    def test_income_line_as_known_at_a_past_time(self, make_app, clock):
        app = make_app()
        app.set_income_line(year=2025, yuan_per_capita=Decimal(8300), occurred_on=date(2025, 1, 1),
                            by=COUNTY)
        first_known = clock.now
        clock.advance(days=3)
        app.set_income_line(year=2025, yuan_per_capita=Decimal(8400), reason="省里调整",
                            occurred_on=date(2025, 1, 4), by=COUNTY)
        assert app.income_line_on(date(2025, 6, 1)) == Decimal(8400)
        assert app.income_line_on(date(2025, 6, 1), as_of=first_known) == Decimal(8300)
        assert app.income_line_on(date(2024, 6, 1)) is None


class TestRepeatedCommands:
    def test_a_repeated_command_records_nothing_and_answers_as_the_first_time(self, make_app):
        app = make_app()
        first_reg = app.register_household(registering(), by=COUNTY, command_id="reg")
        alert = RaiseAlert(alert_id="A1", channel=Channel.DEPARTMENT_ALERT, person_id_number=HEAD_ID,
                           risk_types=[RiskType.ILLNESS], department=Department.MEDICAL_INSURANCE,
                           tier=Tier.PROVINCIAL, period="2025-02", occurred_on=date(2025, 1, 1))
        first = app.execute(CODE, alert, by=VILLAGE, command_id="push-1")
        position = app.max_position()

        again_reg = app.register_household(registering(), by=COUNTY, command_id="reg")
        again = app.execute(CODE, alert, by=VILLAGE, command_id="push-1")

        assert app.max_position() == position
        assert again_reg.repeated and again_reg.position == first_reg.position
        assert again.repeated and again.position == first.position
        assert again.outcome == first.outcome and first.outcome.new_case

    def test_a_repeated_visit_that_raised_an_alert_answers_with_that_alert(self, make_app):
        app = make_app()
        app.register_household(registering(), by=COUNTY)
        checks = {**ALL_PASSED, Check.WATER_SAFETY: False}
        first = app.execute(CODE, RecordVisit(visit_id="V1", visitor="网格员", checks=checks,
                                              occurred_on=date(2025, 1, 1)), by=VILLAGE, command_id="visit-1")
        again = app.execute(CODE, RecordVisit(visit_id="V1", visitor="网格员", checks=checks,
                                              occurred_on=date(2025, 1, 1)), by=VILLAGE, command_id="visit-1")
        assert first.outcome.new_case and again.outcome == first.outcome
        assert again.position == first.position and len(app.history(CODE)) == 3

    def test_an_income_assessment_answers_with_a_copy_and_again_when_repeated(self, make_app):
        app = make_app()
        app.set_income_line(year=2025, yuan_per_capita=Decimal(8300), occurred_on=date(2025, 1, 1),
                            by=COUNTY)
        app.register_household(registering(), by=COUNTY)
        command = AssessIncome(assessment_id="I1", year=2025, wages=Decimal(30000), business=Decimal(0),
                               property=Decimal(0), transfers=Decimal(0), production_costs=Decimal(0),
                               occurred_on=date(2025, 1, 1))
        first = app.execute(CODE, command, by=TOWNSHIP, command_id="assess-1")
        first.outcome.wages = Decimal(1)  # the caller's copy: the case file is not touched
        assert app.household(CODE).assessments[0].wages == Decimal(30000)

        again = app.execute(CODE, command, by=TOWNSHIP, command_id="assess-1")
        assert again.repeated and again.outcome.per_capita == Decimal("10000.00")

    def test_a_refused_command_records_nothing(self, make_app):
        app = make_app()
        app.register_household(registering(), by=COUNTY)
        position = app.max_position()
        with pytest.raises(NotFound) as error:
            app.execute(CODE, CountyDecision(case_number=1, decision=Decision.PASSED,
                                             occurred_on=date(2025, 1, 1)), by=COUNTY)
        assert (error.value.code, error.value.field) == ("CASE_NOT_FOUND", "case_number")
        assert app.max_position() == position and app.household(CODE).version == 1


class TestConcurrentWriters:
    def test_the_second_writer_gets_a_conflict_and_a_retry_succeeds(self, make_app, clock):
        first = make_app()
        first.register_household(registering(), by=COUNTY)
        raced = []

        def racing_clock():
            # Runs after the second writer has read the household and before it saves.
            if not raced:
                raced.append(first.execute(CODE, RaiseAlert(alert_id="A-first",
                                                            channel=Channel.SELF_DECLARATION,
                                                            person_id_number=HEAD_ID,
                                                            risk_types=[RiskType.ILLNESS],
                                                            occurred_on=date(2025, 1, 1)), by=VILLAGE))
            return clock()

        from dataclasses import replace

        from application.app import CaseFiles

        # No cache: the second writer reads the log just before the race (a cached, stale
        # household is retried on the log's state instead: see the next test).
        second = CaseFiles(replace(first.settings, aggregate_cache_mb=0), clock=racing_clock)
        try:
            command = RaiseAlert(alert_id="A-second", channel=Channel.CADRE_SCREENING,
                                 person_id_number=HEAD_ID, risk_types=[RiskType.DISABILITY],
                                 occurred_on=date(2025, 1, 1))
            with pytest.raises(ConcurrentChange) as error:
                second.execute(CODE, command, by=VILLAGE, command_id="c-2")
            assert error.value.code == "CONCURRENT_CHANGE"
            assert set(first.household(CODE).alerts) == {"A-first"}

            retried = second.execute(CODE, command, by=VILLAGE, command_id="c-2")
            assert not retried.repeated
            assert set(first.household(CODE).alerts) == {"A-first", "A-second"}
        finally:
            second.close()

    def test_a_stale_cache_in_another_process_is_never_the_reason_for_an_answer(self, make_app):
        """Two workers on one log: what one records, the other's cached copy does not know."""
        first, second = make_app(), make_app()
        first.register_household(registering(), by=COUNTY)
        second.household(CODE)  # cached at version 1
        alert = dict(channel=Channel.SELF_DECLARATION, person_id_number=HEAD_ID,
                     risk_types=[RiskType.ILLNESS], occurred_on=date(2025, 1, 1))
        recorded = first.execute(CODE, RaiseAlert(alert_id="A1", period="p1", **alert), by=VILLAGE,
                                 command_id="c1")

        repeated = second.execute(CODE, RaiseAlert(alert_id="A1", period="p1", **alert), by=VILLAGE,
                                  command_id="c1")
        assert repeated.repeated and repeated.position == recorded.position

        first.household(CODE)
        second.execute(CODE, RaiseAlert(alert_id="A2", period="p2", **alert), by=VILLAGE, command_id="c2")
        joined = first.execute(CODE, RaiseAlert(alert_id="A3", period="p3", **alert), by=VILLAGE,
                               command_id="c3")
        assert joined.version == 4 and not joined.outcome.new_case

    def test_threads_writing_one_household_lose_nothing(self, make_app):
        app = make_app()
        app.register_household(registering(), by=COUNTY)
        writers, conflicts = 6, []

        def write(n: int) -> None:
            for _ in range(50):
                try:
                    app.execute(CODE, RaiseAlert(alert_id=f"A{n}", channel=Channel.SELF_DECLARATION,
                                                 person_id_number=HEAD_ID, risk_types=[RiskType.ILLNESS],
                                                 period=f"p{n}", occurred_on=date(2025, 1, 1)),
                                by=VILLAGE, command_id=f"c{n}")
                    return
                except ConcurrentChange:
                    conflicts.append(n)

        threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        household = make_app(aggregate_cache_mb=0).household(CODE)
        assert set(household.alerts) == {f"A{n}" for n in range(writers)}
        assert household.version == 1 + writers


class TestSnapshots:
    def test_a_snapshot_holds_the_state_of_its_version_even_if_written_later(self, make_app):
        """Snapshots are written in batches after the household has moved on: each must still
        be the state at its own version, or a load from it would apply events twice."""
        app = make_app()
        app.register_household(registering(), by=COUNTY)
        for n in range(12):  # crosses the interval (5) twice, then goes on changing
            app.execute(CODE, RaiseAlert(alert_id=f"A{n}", channel=Channel.SELF_DECLARATION,
                                         person_id_number=HEAD_ID, risk_types=[RiskType.ILLNESS],
                                         period=f"p{n}", occurred_on=date(2025, 1, 1)), by=VILLAGE)
        live = app.household(CODE)
        app.close()  # writes the pending snapshots

        fresh = make_app(aggregate_cache_mb=0)
        snapshots = list(fresh.snapshots.get(live.id))
        assert [s.originator_version for s in snapshots] == [5, 10]
        assert [len(s.state["alerts"]) for s in snapshots] == [4, 9]
        assert fresh.household(CODE) == live
