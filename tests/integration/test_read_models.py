"""The read models on both back ends: what they hold after a scripted case history, exactly-once
batches, rebuilds equal to incremental updates, area scoping, and keeping current."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from datetime import date
from decimal import Decimal

import pytest
from eventsourcing.persistence import IntegrityError
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from application.commands import (
    AnalyseRisk,
    AssessIncome,
    AssignMeasure,
    CountyDecision,
    EliminationCountyDecision,
    EliminationNotice,
    EliminationTownshipReview,
    OpenGreenChannel,
    PutMeasureInPlace,
    RaiseAlert,
    RecordVisit,
    TownshipReview,
    VerifyAtHome,
    VerifyElimination,
    VillageDeliberation,
)
from application.demo import generate_county, load_demo
from domain.codes import (
    Category,
    Channel,
    Check,
    Decision,
    Department,
    EliminationMode,
    Finding,
    HouseholdType,
    LabourCapacity,
    MeasureType,
    Relation,
    RiskType,
    SuddenHardship,
    Tier,
)
from domain.errors import DomainError
from domain.values import MemberDetails
from projections.queries import Area, ReadModels
from projections.runner import Projections
from projections.tables import COLUMNS, TABLES
from tests.builders import COUNTY, HEAD_ID, TOWNSHIP, VILLAGE, family, id_number, registering

CODE, POOR = "130630101001", "130630101002"
ALL_PASSED = dict.fromkeys(Check, True)
TODAY = date(2025, 12, 31)


def dump(projections: Projections) -> dict[str, list[tuple]]:
    """Every row of every read-model table, in a stable order."""
    store = projections.store
    tables: dict[str, list[tuple]] = {}
    for model in TABLES.values():
        for table in model:
            rows = store.fetch(f"SELECT * FROM {store.qualified(table)}")
            tables[table] = sorted(tuple(str(row[c]) for c in COLUMNS[table]) for row in rows)
    return tables


@pytest.fixture
def views(make_app, clock):
    clock.now = clock.now.replace(year=2026)
    app = make_app()
    projections = Projections(app)
    yield app, projections, ReadModels(projections.store, app.clock)
    projections.close()


def monitored_household(app) -> None:
    app.register_household(registering(CODE), by=COUNTY)
    app.execute(CODE, RaiseAlert(alert_id="A1", channel=Channel.DEPARTMENT_ALERT, person_id_number=HEAD_ID,
                                 risk_types=[RiskType.ILLNESS], department=Department.MEDICAL_INSURANCE,
                                 tier=Tier.PROVINCIAL, period="2025-02", batch_id="YB-P-1",
                                 occurred_on=date(2025, 2, 3)), by=VILLAGE)


class TestAScriptedCaseHistory:
    def test_an_alert_opens_a_case_in_the_queue_with_its_15_day_deadline(self, views):
        app, projections, read = views
        monitored_household(app)
        dup = app.execute(CODE, RaiseAlert(alert_id="A1-county", channel=Channel.DEPARTMENT_ALERT,
                                           person_id_number=HEAD_ID, risk_types=[RiskType.ILLNESS],
                                           department=Department.MEDICAL_INSURANCE, tier=Tier.COUNTY,
                                           period="2025-02", batch_id="YB-C-1",
                                           occurred_on=date(2025, 2, 4)), by=VILLAGE)
        assert projections.wait_for(dup.position)

        queue = read.case_queue(today=date(2025, 2, 10))
        assert queue.total == 1
        row = queue.rows[0]
        assert (row["code"], row["stage"], row["discovered_on"], row["deadline_on"]) == (
            CODE, "待入户核查", date(2025, 2, 3), date(2025, 2, 18))
        assert (row["days_left"], row["days_overdue"]) == (8, 0)
        assert read.case_queue(today=date(2025, 2, 20), overdue=True).rows[0]["days_overdue"] == 2

        ledger = {(r["batch_id"]): r for r in read.push_ledger()}
        assert (ledger["YB-P-1"]["received"], ledger["YB-P-1"]["new_cases"]) == (1, 1)
        assert (ledger["YB-C-1"]["received"], ledger["YB-C-1"]["duplicates"]) == (1, 1)
        duplicate = read.alerts(batch_id="YB-C-1").rows[0]
        assert (duplicate["outcome"], duplicate["duplicate_of"]) == ("重复", "A1")

    def test_inclusion_moves_the_case_to_the_monitoring_list_and_elimination_ends_its_period(
        self, views
    ):
        app, projections, read = views
        app.set_income_line(year=2025, yuan_per_capita=Decimal(8300), occurred_on=date(2025, 1, 1),
                            by=COUNTY)
        monitored_household(app)
        app.execute(CODE, VerifyAtHome(case_number=1, finding=Finding.RISK_CONFIRMED, risk_clear=True,
                                       occurred_on=date(2025, 2, 4)), by=VILLAGE)
        app.execute(CODE, TownshipReview(case_number=1, decision=Decision.PASSED,
                                         occurred_on=date(2025, 2, 5)), by=TOWNSHIP)
        result = app.execute(CODE, VillageDeliberation(case_number=1, decision=Decision.PASSED,
                                                       notice_from=date(2025, 2, 5),
                                                       notice_to=date(2025, 2, 9),
                                                       occurred_on=date(2025, 2, 10)), by=VILLAGE)
        projections.wait_for(result.position)
        assert read.case_queue().rows[0]["stage"] == "待县级审定"

        app.execute(CODE, CountyDecision(case_number=1, decision=Decision.PASSED,
                                         category=Category.EDGE_OF_POVERTY, simplified=True,
                                         occurred_on=date(2025, 2, 12)), by=COUNTY)
        app.execute(CODE, AnalyseRisk(causes=[RiskType.ILLNESS], labour_capacity=LabourCapacity.ORDINARY,
                                        needs=[MeasureType.HEALTH, MeasureType.EMPLOYMENT],
                                        occurred_on=date(2025, 2, 13)), by=TOWNSHIP)
        app.execute(CODE, AssignMeasure(measure_id="M1", measure_type=MeasureType.HEALTH,
                                        department=Department.HEALTH, responsible_person="赵医生",
                                        occurred_on=date(2025, 2, 14)), by=TOWNSHIP)
        result = app.execute(CODE, AssignMeasure(measure_id="M2", measure_type=MeasureType.EMPLOYMENT,
                                                 department=Department.HUMAN_RESOURCES,
                                                 responsible_person="钱",
                                                 occurred_on=date(2025, 2, 14)), by=TOWNSHIP)
        projections.wait_for(result.position)
        assert read.case_queue().total == 0
        row = read.monitoring_list(today=date(2025, 3, 20)).rows[0]
        assert (row["category"], row["included_on"], row["days_in_monitoring"]) == (
            "边缘易致贫户", date(2025, 2, 12), 36)
        assert (row["measures_in_place"], row["measures_planned"]) == (0, 2)
        assert read.measures_missing(today=date(2025, 3, 20)).total == 1

        app.execute(CODE, PutMeasureInPlace(measure_id="M1", occurred_on=date(2025, 3, 1)), by=TOWNSHIP)
        result = app.execute(CODE, RecordVisit(visit_id="V2", visitor="网格员", checks=ALL_PASSED,
                                               occurred_on=date(2025, 3, 2)), by=VILLAGE)
        projections.wait_for(result.position)
        # 缺什么补什么: the employment need has no measure in place yet, so it is still missing
        assert read.measures_missing(today=date(2025, 3, 20)).total == 1
        app.execute(CODE, PutMeasureInPlace(measure_id="M2", occurred_on=date(2025, 3, 5)), by=TOWNSHIP)
        for month in range(3, 10):
            app.execute(CODE, RecordVisit(visit_id=f"V{month}", visitor="网格员", checks=ALL_PASSED,
                                          per_capita_income=Decimal(13000),
                                          occurred_on=date(2025, month, 15)), by=VILLAGE)
        app.execute(CODE, AssessIncome(assessment_id="I1", year=2025, wages=Decimal(40000),
                                       business=Decimal(0), property=Decimal(0), transfers=Decimal(0),
                                       production_costs=Decimal(0),
                                       occurred_on=date(2025, 8, 20)), by=TOWNSHIP)
        result = app.execute(CODE, VerifyElimination(mode=EliminationMode.BY_HELP,
                                                     occurred_on=date(2025, 9, 1)), by=VILLAGE)
        projections.wait_for(result.position)
        row = read.monitoring_list(today=date(2025, 9, 20)).rows[0]
        assert (row["measures_in_place"], row["measures_planned"], row["eliminating"]) == (2, 0, True)
        assert (row["needs_met_on"], row["needs_met_days"]) == (date(2025, 3, 5), 21)
        assert row["visited_this_month"] and row["last_visit_on"] == date(2025, 9, 15)
        assert read.measures_missing(today=date(2025, 9, 20)).total == 0

        app.execute(CODE, EliminationNotice(decision=Decision.PASSED, notice_from=date(2025, 9, 2),
                                            notice_to=date(2025, 9, 8),
                                            occurred_on=date(2025, 9, 9)), by=VILLAGE)
        app.execute(CODE, EliminationTownshipReview(decision=Decision.PASSED,
                                                    occurred_on=date(2025, 9, 10)), by=TOWNSHIP)
        result = app.execute(CODE, EliminationCountyDecision(decision=Decision.PASSED,
                                                             occurred_on=date(2025, 9, 12)), by=COUNTY)
        projections.wait_for(result.position)
        assert read.monitoring_list().total == 0
        on_day = read.monitoring_list(as_of=date(2025, 6, 30))
        assert [(r["code"], r["from_on"], r["to_on"], r["ended_how"]) for r in on_day.rows] == [
            (CODE, date(2025, 2, 12), date(2025, 9, 12), "风险消除")]
        assert read.monitoring_list(as_of=date(2025, 2, 11)).total == 0
        assert read.monitoring_list(as_of=date(2025, 9, 12)).total == 0
        # still visited every month after elimination (domain.md §9)
        assert [r["code"] for r in read.visits_due(month=date(2025, 10, 1)).rows] == [CODE]

    def test_green_channel_steps_owed_and_visits_due(self, views):
        app, projections, read = views
        app.register_household(registering(CODE), by=COUNTY)
        app.register_household(registering(POOR, HouseholdType.LIFTED_OUT, family(1)), by=COUNTY)
        app.execute(CODE, RaiseAlert(alert_id="F1", channel=Channel.CADRE_SCREENING, person_id_number=HEAD_ID,
                                     risk_types=[RiskType.NATURAL_DISASTER], disaster_kind="洪涝",
                                     occurred_on=date(2025, 7, 30)), by=VILLAGE)
        app.execute(CODE, VerifyAtHome(case_number=1, finding=Finding.RISK_CONFIRMED, risk_clear=True,
                                       occurred_on=date(2025, 7, 31)), by=VILLAGE)
        app.execute(CODE, OpenGreenChannel(case_number=1, hardship=SuddenHardship.NATURAL_DISASTER,
                                           studied_on=date(2025, 7, 31), approved_on=date(2025, 8, 1),
                                           occurred_on=date(2025, 8, 1)), by=COUNTY)
        result = app.execute(POOR, RecordVisit(visit_id="PV1", visitor="网格员", checks=ALL_PASSED,
                                               occurred_on=date(2025, 8, 3)), by=VILLAGE)
        projections.wait_for(result.position)

        owed = read.case_queue(green_channel_owed=True)
        assert [r["owed_steps"] for r in owed.rows] == [
            ["village_notice", "township_review", "county_decision"]]
        assert owed.rows[0]["pending_steps"] == owed.rows[0]["owed_steps"]
        assert [r["code"] for r in read.visits_due(month=date(2025, 8, 1)).rows] == []
        assert [r["code"] for r in read.visits_due(month=date(2025, 9, 1)).rows] == [POOR]

    def test_the_directory_finds_a_household_by_a_members_id_number(self, views):
        app, projections, read = views
        result = app.register_household(registering(CODE), by=COUNTY)
        projections.wait_for(result.position)
        assert [r["code"] for r in read.directory(id_number=HEAD_ID.lower()).rows] == [CODE]
        assert read.directory(head_name="王建国").total == 1
        assert read.directory(code="1306301").total == 1


class TestExactlyOnce:
    def test_redelivering_a_batch_already_applied_changes_nothing(self, views):
        app, projections, _ = views
        load_demo(app, households=120)
        projections.catch_up()
        before = dump(projections)
        notifications = app.recorder.select_notifications(1, 500)

        with Projections(app, projections.store) as again:
            with pytest.raises(IntegrityError):
                again._apply(notifications, dict.fromkeys(TABLES, 0))
            assert again.catch_up() == 0
        assert dump(projections) == before

    def test_a_rebuild_gives_exactly_the_rows_of_incremental_updates(self, views):
        app, projections, _ = views
        county = generate_county(400, seed=7)
        batch: list = []
        for household in county:  # recorded in chunks, the read models following each chunk
            batch.append(household)
            if len(batch) == 37:
                app.save(*batch)
                batch = []
                projections.catch_up()
        app.save(*batch)
        projections.catch_up()
        incremental = dump(projections)
        assert sum(len(rows) for rows in incremental.values()) > 1000

        projections.rebuild()
        assert dump(projections) == incremental


class TestRebuild:
    """A rebuild reads the log household by household up to where it stood when the rebuild
    began, then follows the rest in log order; it must end exactly where following the log
    from the start ends."""

    @staticmethod
    def interleaved_county(app, projections, read) -> list[str]:
        """A demo county, then a year of visits (some failing a check, so alerts and cases
        follow) in shuffled order: each household's events are spread over the log."""
        load_demo(app, households=120)
        projections.catch_up()
        codes = [row["code"] for row in read.directory(limit=500).rows]
        rng = random.Random(3)
        for month in (10, 11, 12):
            for code in rng.sample(codes, 40):
                checks = {**ALL_PASSED, Check.HOUSING_SAFETY: rng.random() > 0.3}
                app.execute(code, RecordVisit(visit_id=f"R{month}", visitor="网格员", checks=checks,
                                              occurred_on=date(2025, month, 2)), by=COUNTY)
        return codes

    @staticmethod
    def followed_from_the_start(projections) -> dict[str, list[tuple]]:
        for model in projections.models:
            projections.store.drop(model)
        projections.catch_up()
        return dump(projections)

    def test_a_rebuild_of_an_interleaved_log_equals_following_it(self, views):
        app, projections, read = views
        self.interleaved_county(app, projections, read)
        projections.catch_up()
        followed = dump(projections)
        assert sum(row[1].startswith("R1") for row in followed["rm_alerts"]) > 20  # visit alerts

        read_events = projections.rebuild()
        assert dump(projections) == followed
        assert projections.position() == app.max_position()
        household_events = [n for n in app.recorder.select_notifications(1, 10**6)
                            if n.topic.startswith("fangpin:Household.")]
        assert read_events == len(household_events)  # each read once

    def test_commands_recorded_during_a_rebuild_are_in_its_result(self, views):
        app, _, read = views
        projections = Projections(app, batch_size=15)  # several chunks of households
        codes = self.interleaved_county(app, projections, read)
        late = [codes[0], codes[-1], codes[60]]  # households filled before and after the command
        chunks = []

        def record_visits(done: int, total: int) -> None:
            chunks.append(done)
            if len(chunks) == 2:
                for code in late:
                    app.execute(code, RecordVisit(visit_id="LATE", visitor="网格员",
                                                  checks={**ALL_PASSED, Check.HOUSING_SAFETY: False},
                                                  occurred_on=date(2025, 12, 31)), by=COUNTY)

        projections.rebuild(progress=record_visits)
        assert len(chunks) > 3
        rebuilt = dump(projections)
        assert projections.position() == app.max_position()
        assert {r["code"] for r in read.directory(limit=500).rows
                if r["last_visit_on"] == date(2025, 12, 31)} == set(late)
        assert rebuilt == self.followed_from_the_start(projections)
        projections.close()

    def test_lists_stay_whole_and_current_while_a_rebuild_fills_its_tables_elsewhere(
        self, views, caplog
    ):
        app, projections, read = views
        codes = self.interleaved_county(app, projections, read)
        projections.catch_up()
        rebuilding = Projections(app, batch_size=15)
        follower = Projections(app, batch_size=200)  # a worker process, following the log
        reports: list[tuple[int, int]] = []

        def a_county_at_work(done: int, total: int) -> None:
            reports.append((done, total))
            code = codes[len(reports) % 4]
            if len(reports) <= 4:  # a visit recorded while the rebuild fills its tables
                app.execute(code, RecordVisit(visit_id=f"D{len(reports)}", visitor="网格员",
                                              checks=ALL_PASSED, occurred_on=TODAY), by=COUNTY)
            follower.catch_up()
            # The previous read model answers, whole, with the position it has reached
            assert read.directory(limit=500).total == 120
            assert follower.position() == app.max_position()
            assert read.directory(limit=500, code=code).rows[0]["last_visit_on"] == TODAY

        rebuilding.rebuild(progress=a_county_at_work)
        end = app.max_position()
        assert len(reports) > 5 and "lease" not in caplog.text
        assert reports[-1] == (end, end) and [d for d, _ in reports] == sorted(d for d, _ in reports)
        assert rebuilding.position() == end
        assert rebuilding.status()["directory"].rebuilding_for is None
        assert dump(rebuilding) == self.followed_from_the_start(projections)
        follower.close()
        rebuilding.close()

    def test_a_rebuild_that_loses_its_tables_to_another_leaves_the_live_ones_alone(
            self, views, caplog):
        app, projections, read = views
        self.interleaved_county(app, projections, read)
        projections.catch_up()
        followed = dump(projections)
        rebuilding = Projections(app, batch_size=15)
        other = Projections(app)
        calls = []

        def second_rebuild_starts_and_dies(done: int, total: int) -> None:
            calls.append(done)
            if len(calls) == 2:
                other.store.begin_rebuild(other.models)  # then Ctrl-C

        rebuilding.rebuild(progress=second_rebuild_starts_and_dies)
        assert "lease lost" in caplog.text
        assert rebuilding.position() == app.max_position()
        assert dump(rebuilding) == followed
        other.close()
        rebuilding.close()

    def test_a_killed_rebuild_leaves_the_lists_whole_and_its_tables_go_once_its_lease_is_old(
        self, views, caplog, monkeypatch
    ):
        app, projections, read = views
        codes = self.interleaved_county(app, projections, read)
        projections.catch_up()
        crashed = Projections(app, batch_size=15)
        crashed.store.begin_rebuild(["directory"])  # and the process was killed
        app.execute(codes[0], RecordVisit(visit_id="K1", visitor="网格员", checks=ALL_PASSED,
                                          occurred_on=TODAY), by=COUNTY)
        projections.catch_up()
        assert read.directory(limit=500).total == 120
        assert read.directory(limit=500, code=codes[0]).rows[0]["last_visit_on"] == TODAY
        assert projections.status()["directory"].rebuilding_for is not None
        followed = dump(projections)

        monkeypatch.setattr("projections.runner.REBUILD_LEASE_SECONDS", 0.0)
        projections.catch_up()
        assert "its rebuild stopped" in caplog.text
        assert projections.status()["directory"].rebuilding_for is None
        assert dump(projections) == followed
        crashed.close()


class TestSchemaVersions:
    def test_a_read_model_stored_with_other_tables_is_rebuilt_from_the_log(self, views):
        app, projections, _ = views
        load_demo(app, households=60)
        projections.catch_up()
        before = dump(projections)
        store = projections.store
        old_columns = [c for c in COLUMNS["rm_households"] if c != "visit_due"]
        with store.transaction() as cursor:  # as directory version 1 left it: no visit_due
            cursor.execute(f"DROP TABLE {store.qualified('rm_households')}")
            cursor.execute(f"CREATE TABLE {store.qualified('rm_households')} "
                           f"({', '.join(c + ' TEXT' for c in old_columns)})")
            cursor.execute(f"DELETE FROM {store.tracking_table} WHERE application_name = "
                           f"{store.placeholder}", ("schema:directory",))

        with Projections(app) as reopened:
            assert reopened.positions()["directory"] == 0
            assert reopened.positions()["cases"] == app.max_position()
            reopened.catch_up()
            assert dump(reopened) == before


class TestAreas:
    def test_no_query_returns_a_row_outside_the_callers_area(self, views):
        app, projections, read = views
        load_demo(app, households=300)
        projections.catch_up()
        places = sorted({(r["township"], r["village"]) for r in read.directory(limit=500).rows})
        departments = sorted({r["department"] for r in read.push_ledger()})
        pushed_by = {d: {r["household_id"] for r in read.alerts(department=d, limit=500).rows}
                     for d in departments}
        areas = st.one_of(
            st.just(Area()),
            st.sampled_from(places).map(lambda p: Area("township", township=p[0])),
            st.sampled_from(places).map(lambda p: Area("village", township=p[0], village=p[1])),
            st.sampled_from(departments).map(lambda d: Area("department", department=d)),
        )
        queries = st.sampled_from([
            lambda area, **page: read.monitoring_list(area, today=TODAY, **page),
            lambda area, **page: read.monitoring_list(area, as_of=date(2025, 6, 30), **page),
            lambda area, **page: read.case_queue(area, today=TODAY, **page),
            lambda area, **page: read.visits_due(area, month=TODAY, **page),
            lambda area, **page: read.directory(area, **page),
            lambda area, **page: read.alerts(area, **page),
            lambda area, **page: read.measures_missing(area, today=TODAY, **page),
        ])

        @hypothesis_settings(max_examples=60, deadline=None, database=None,
                             suppress_health_check=[HealthCheck.function_scoped_fixture])
        @given(area=areas, query=queries, limit=st.integers(1, 40))
        def check(area, query, limit):
            rows, after = [], None
            while True:
                page = query(area, limit=limit, after=after)
                rows.extend(page.rows)
                after = page.after
                if after is None:
                    break
            assert len(rows) == page.total
            def inside(row: dict) -> bool:
                if not area.covers(row):
                    return False
                if area.level != "department":
                    return True
                if "alert_id" in row:  # the push ledger: the department's own alerts
                    return row["department"] == area.department
                return row["household_id"] in pushed_by[area.department]

            expected = [r for r in query(Area(), limit=500).rows if inside(r)]
            assert sorted(map(_key, rows)) == sorted(map(_key, expected))

        check()


def _head(n: int) -> MemberDetails:
    """The head of a one-person household, a person of their own."""
    return MemberDetails("张三", id_number(date(1960, 1, 1), n), Relation.HEAD)


def _key(row: dict) -> tuple:
    return (str(row["household_id"]), str(row.get("case_number")), str(row.get("alert_id")))


class TestKeepingCurrent:
    def test_a_follower_thread_keeps_the_read_models_current_after_commands(self, views):
        app, projections, read = views
        projections.follow(interval=0.05)
        result = app.register_household(registering(CODE), by=COUNTY)
        deadline = time.monotonic() + 5
        while projections.position() < result.position and time.monotonic() < deadline:
            time.sleep(0.02)
        assert read.directory(code=CODE).total == 1

    @pytest.mark.postgres
    def test_a_worker_killed_mid_batch_resumes_and_ends_equal_to_a_rebuild(self, views, settings):
        if settings.backend != "postgres":
            pytest.skip("the separate worker follows PostgreSQL")
        app, projections, _ = views
        load_demo(app, households=2500)
        end = app.max_position()
        env = {**os.environ, "FANGPIN_DATABASE_URL": settings.database_url,
               "FANGPIN_POSTGRES_SCHEMA": settings.postgres_schema,
               **({"FANGPIN_CIPHER_KEY": settings.cipher_key} if settings.cipher_key else {})}
        worker = subprocess.Popen(
            [sys.executable, "-m", "interfaces.cli", "projections", "run", "--batch", "40",
             "--poll", "0.2"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 60
            while projections.position() < end // 3 and time.monotonic() < deadline:
                time.sleep(0.01)
            os.kill(worker.pid, signal.SIGKILL)  # somewhere in the middle of a batch
        finally:
            worker.wait(timeout=10)
        stopped_at = projections.position()
        assert 0 < stopped_at < end, "the worker was killed while catching up"

        projections.catch_up()  # resume
        resumed = dump(projections)
        projections.rebuild()
        assert dump(projections) == resumed
        assert projections.position() == end


    @pytest.mark.postgres
    def test_the_worker_is_woken_by_every_notify_not_only_the_first(self, views, settings):
        # The poll is longer than the test: only NOTIFY can wake the worker in time
        if settings.backend != "postgres":
            pytest.skip("the separate worker listens for PostgreSQL's NOTIFY")
        app, projections, read = views
        worker = Projections(app)
        stop = threading.Event()
        thread = threading.Thread(target=worker.run_worker, kwargs={"poll": 60, "stop": stop})
        thread.start()
        try:
            time.sleep(0.5)  # listening
            for n in range(3):
                code = f"1306301010{n + 10}"
                result = app.register_household(registering(code, members=[_head(n)]), by=COUNTY)
                deadline = time.monotonic() + 10
                while projections.position() < result.position and time.monotonic() < deadline:
                    time.sleep(0.02)
                assert read.directory(code=code).total == 1, f"command {n + 1} not followed"
        finally:
            stop.set()
            app.register_household(registering("130630101099", members=[_head(99)]),
                                   by=COUNTY)  # wakes it to see the stop
            thread.join(timeout=10)
            worker.close()
        assert not thread.is_alive()


    @pytest.mark.postgres
    def test_a_reader_slow_between_pages_is_not_cut_off(self, views, settings):
        # An indicator replays each page's households before it reads the next: on a busy
        # machine that outlasted PostgreSQL's idle-in-transaction timeout (found by the soak)
        if settings.backend != "postgres":
            pytest.skip("PostgreSQL ends a transaction idle for too long")
        app, projections, _ = views
        for n in range(3):
            app.register_household(registering(f"1306301010{n + 10}", members=[_head(n)]),
                                   by=COUNTY)
        projections.catch_up()
        idle = app.factory.datastore.idle_in_transaction_session_timeout
        assert 0 < idle < 10, "the pool ends transactions idle for a few seconds"
        store = projections.store
        pages = store.stream_with_position(
            "directory", f"SELECT code FROM {store.qualified('rm_households')} ORDER BY code",
            size=1)
        codes, positions = [], set()
        for position, page in pages:
            positions.add(position)
            codes.extend(code for code, in page)
            if len(codes) == 1:
                time.sleep(idle + 1)
        assert codes == [f"1306301010{n + 10}" for n in range(3)]
        assert positions == {app.max_position()}


class TestReviewFindings:
    def test_a_batch_read_before_a_rebuild_dropped_the_model_is_refused(self, views):
        app, projections, read = views
        load_demo(app, households=80)
        positions = projections.positions()
        projections._apply(app.recorder.select_notifications(1, 100), positions)
        stale = dict(positions)  # read before the drop …
        projections.store.drop("directory")  # … that a rebuild starts with
        with pytest.raises(IntegrityError):
            projections._apply(app.recorder.select_notifications(101, 100), stale)
        projections.catch_up()
        assert read.directory(limit=500).total == 80

    def test_bad_sorts_cursors_and_wildcards_are_clear_errors_or_literal(self, views):
        app, projections, read = views
        load_demo(app, households=30)
        projections.catch_up()
        assert read.monitoring_list(as_of=date(2025, 6, 30), sort="from_on").total >= 0
        for bad in (dict(as_of=date(2025, 6, 30), sort="included_on"), dict(sort="from_on")):
            with pytest.raises(DomainError) as error:
                read.monitoring_list(**bad)
            assert error.value.code == "SORT_UNKNOWN"
        import base64
        import json
        for cursor in ("not-a-cursor", base64.urlsafe_b64encode(json.dumps(["1306", 5]).encode()),
                       base64.urlsafe_b64encode(json.dumps(["1306", "x" * 3]).encode())):
            with pytest.raises(DomainError) as error:
                read.directory(after=cursor if isinstance(cursor, str) else cursor.decode())
            assert error.value.code == "CURSOR_INVALID"
        assert read.directory(code="%").total == 0
        assert read.directory(code="_").total == 0
