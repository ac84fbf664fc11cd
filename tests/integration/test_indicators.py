"""Indicators as recorded, on both back ends: current figures from the read models equal the
log's as of the same position; figures as of a past time never change after corrections and
late records; `verify` finds a result the log no longer supports."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import UUID

import pytest

from application.commands import (
    Correct,
    CountyDecision,
    RaiseAlert,
    RecordVisit,
    TownshipReview,
    VerifyAtHome,
    VillageDeliberation,
)
from application.indicators import Cadences, Indicators, Scope, end_of_day
from application.results import result_json
from application.store.encryption import new_key
from domain.codes import (
    Category,
    Channel,
    Check,
    Decision,
    Department,
    Finding,
    HouseholdType,
    Relation,
    RiskType,
    Tier,
)
from domain.errors import DomainError
from domain.indicators import Area
from domain.values import MemberDetails
from projections.runner import Projections
from tests.builders import COUNTY, TOWNSHIP, VILLAGE, id_number, registering

ON_TIME, LATE, POOR = "130630101001", "130630101002", "130630101003"
YEAR_END = end_of_day(date(2025, 12, 31))
ALL_PASSED = dict.fromkeys(Check, True)


def moment(day: date, hour: int = 2) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def identified(app, clock, code: str, discovered: date, county_on: date, department=None) -> None:
    """A case walked through the four steps, each recorded on the day it happened."""
    clock.now = moment(discovered)
    extra = {"department": department, "tier": Tier.COUNTY, "batch_id": "B-1"} if department else {}
    channel = Channel.DEPARTMENT_ALERT if department else Channel.SELF_DECLARATION
    head = app.household(code).head.id_number
    app.execute(code, RaiseAlert(alert_id=f"{code}-A", channel=channel, person_id_number=head,
                                 risk_types=[RiskType.ILLNESS], occurred_on=discovered, **extra), by=VILLAGE)
    clock.now = moment(county_on)
    app.execute(code, VerifyAtHome(case_number=1, finding=Finding.RISK_CONFIRMED, risk_clear=True,
                                   occurred_on=discovered.replace(day=discovered.day + 1)), by=VILLAGE)
    app.execute(code, VillageDeliberation(case_number=1, decision=Decision.PASSED,
                                          notice_from=discovered.replace(day=discovered.day + 2),
                                          notice_to=discovered.replace(day=discovered.day + 7),
                                          occurred_on=discovered.replace(day=discovered.day + 8)), by=VILLAGE)
    app.execute(code, TownshipReview(case_number=1, decision=Decision.PASSED,
                                     occurred_on=discovered.replace(day=discovered.day + 9)), by=TOWNSHIP)
    app.execute(code, CountyDecision(case_number=1, decision=Decision.PASSED,
                                     category=Category.EDGE_OF_POVERTY, simplified=True,
                                     occurred_on=county_on), by=COUNTY)


@pytest.fixture
def county(make_app, clock):
    """Two cases included in March 2025 (15 and 16 days), a 脱贫户 visited in two months, a
    consultation and two department pushes; the clock then stands in January 2026."""
    app = make_app()
    clock.now = moment(date(2025, 1, 1))
    assert Indicators(app).adopt_cadences()  # as the server does when it starts
    app.register_household(registering(ON_TIME), by=COUNTY, command_id="r1")
    app.register_household(registering(LATE, members=_family("2")), by=COUNTY, command_id="r2")
    app.register_household(registering(POOR, HouseholdType.LIFTED_OUT, members=_family("3")), by=COUNTY,
                           command_id="r3")
    identified(app, clock, ON_TIME, date(2025, 3, 1), date(2025, 3, 16),
               department=Department.MEDICAL_INSURANCE)
    identified(app, clock, LATE, date(2025, 3, 1), date(2025, 3, 17))
    for month in (1, 2):
        clock.now = moment(date(2025, month, 20))
        app.execute(POOR, RecordVisit(visit_id=f"V{month}", visitor="网格员", checks=ALL_PASSED,
                                      occurred_on=date(2025, month, 20)), by=VILLAGE)
    clock.now = moment(date(2025, 4, 5))
    app.receive_push(Department.PUBLIC_SECURITY, batch_id="GA-2025-03", tier=Tier.COUNTY,
                     period="2025-03", rows=0, by=COUNTY)
    clock.now = moment(date(2025, 4, 6))
    app.receive_push(Department.CYBERSPACE, batch_id="WX-2025-03", tier=Tier.COUNTY,
                     period="2025-03", rows=2, by=COUNTY)
    clock.now = moment(date(2025, 3, 28))
    app.hold_consultation(meeting_id="HS-2025-03", departments_present=[Department.RURAL_REVITALISATION],
                          topics=["三月研判"], decisions=["纳入两户"], households_discussed=[ON_TIME, LATE],
                          occurred_on=date(2025, 3, 28), by=COUNTY)
    clock.now = moment(date(2026, 1, 10))
    return app


def _family(serial: str) -> list[MemberDetails]:
    n = int(serial) * 10
    return [MemberDetails(f"户主{serial}", id_number(date(1966, 1, 1), n + 1), Relation.HEAD),
            MemberDetails(f"配偶{serial}", id_number(date(1968, 1, 1), n + 2), Relation.SPOUSE)]


def figures(result) -> dict[tuple[str, str, str], tuple[int, int]]:
    return {(f.indicator.code, f.area.level, f.area.name): (f.numerator, f.denominator)
            for f in result.figures}


def test_current_figures_equal_the_log_as_of_the_read_models_position(county):
    with Projections(county) as projections:
        projections.catch_up()
        caught_up = county.max_position()
        indicators = Indicators(county, projections.store)
        current = indicators.compute("2025")
        assert current.source == "read_models" and current.position == caught_up
        assert county.max_position() == caught_up, "computing figures records nothing"
        again = indicators.compute("2025", as_of=current.as_of, position=current.position)
        assert again.source == "log"
        assert again.digest == current.digest
        assert figures(again) == figures(current)

    got = figures(current)
    assert got[("timely_identification", "county", "全县")] == (1, 2)
    assert got[("timely_identification", "department", "医保局")] == (1, 1)
    # 公安局 and 网信办 owe twelve monthly pushes due in 2025 (by the 5th of each month); only
    # March's came: 公安局's on the 5th of April (on time), 网信办's on the 6th (one day late)
    assert got[("push_timeliness", "department", "公安局")] == (1, 12)
    assert got[("push_timeliness", "department", "网信办")] == (0, 12)
    assert got[("consultations", "county", "全县")] == (1, 12)
    # visits due: the 脱贫户 every month of 2025 (registered on 1 January), the two monitoring
    # objects from April (monitored at the start of the month): 12 + 9 + 9; two were made
    assert got[("visit_coverage", "township", "银坊镇")] == (2, 30)


def test_as_of_figures_do_not_move_after_corrections_and_late_records(county, clock):
    indicators = Indicators(county)
    published = indicators.compute("2025", as_of=YEAR_END)
    assert figures(published)[("timely_identification", "county", "全县")] == (1, 2)

    # After the year closed: the late case's discovery date was wrong (15 days after all),
    # and a December visit is recorded late.
    clock.now = moment(date(2026, 2, 10))
    county.execute(LATE, Correct(corrects_version=2, changes={"discovered_on": "2025-03-02"},
                                 reason="发现日期录入错误", occurred_on=date(2026, 2, 10)), by=COUNTY)
    county.execute(POOR, RecordVisit(visit_id="V12", visitor="网格员", checks=ALL_PASSED,
                                     occurred_on=date(2025, 12, 10)), by=VILLAGE)

    now = figures(indicators.compute("2025", from_log=True))
    assert now[("timely_identification", "county", "全县")] == (2, 2)
    assert now[("visit_coverage", "county", "全县")] == (3, 30)

    again = indicators.compute("2025", as_of=YEAR_END, position=published.position)
    assert again.digest == published.digest
    assert figures(again) == figures(published)
    # as of the same time, whatever the log has reached since: pinned to the last event
    # recorded by then, so the same position and the same digest
    later = indicators.compute("2025", as_of=YEAR_END)
    assert county.max_position() > published.position
    assert (later.position, later.digest) == (published.position, published.digest)
    assert figures(later) == figures(published)

    check = indicators.verify(result_json(published))
    assert check.matches, check.differences


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
def test_as_of_pins_the_last_event_recorded_by_then_even_out_of_log_order(make_app, clock,
                                                                         encrypted):
    """A loaded history (the demo, a restored log) records times out of log order: the last
    event recorded by a time is found all the same, and never moves as the log grows."""
    app = make_app(**({"cipher_key": new_key()} if encrypted else {}))
    recorded = {}

    def register(serial: int) -> None:
        head = MemberDetails(f"户主{serial}", id_number(date(1960, 1, 1) + timedelta(serial), 1),
                             Relation.HEAD)
        app.register_household(registering(f"130630101{serial:03d}", members=[head]), by=COUNTY)

    for serial, month in ((1, 1), (2, 3), (3, 2)):
        clock.now = moment(date(2025, month, 1))
        register(serial)
        recorded[month] = app.max_position()
    assert app.position_at(moment(date(2024, 12, 31))) == 0
    assert app.position_at(moment(date(2025, 1, 15))) == recorded[1]
    assert app.position_at(moment(date(2025, 2, 15))) == recorded[2]  # the last, though earlier
    assert app.position_at(moment(date(2025, 3, 1))) == recorded[2]
    assert app.position_at(moment(date(2025, 2, 15)), up_to=recorded[3] - 1) == recorded[1]
    clock.now = moment(date(2025, 4, 1))
    for serial in range(4, 80):  # more than a page of later events to read back over
        register(serial)
    assert app.position_at(moment(date(2025, 2, 15))) == recorded[2]
    result = Indicators(app).compute("2025", as_of=moment(date(2025, 2, 15)))
    assert result.position == recorded[2]


def test_verify_finds_a_result_the_log_no_longer_supports(county, settings):
    indicators = Indicators(county)
    published = result_json(indicators.compute("2025", as_of=YEAR_END))
    assert indicators.verify(published).matches

    # A published figure edited by hand
    edited = {**published, "figures": [dict(f) for f in published["figures"]]}
    edited["figures"][0]["numerator"] += 1
    check = indicators.verify(edited)
    assert not check.matches
    assert any("分子" in d for d in check.differences)

    # The log altered behind the application's back: the late case's county decision deleted
    late = county.household(LATE)
    position = county.position_of(late.id, late.version)
    _delete_event(county, settings, position)
    check = indicators.verify(published)
    assert not check.matches
    assert any("输入摘要不符" in d for d in check.differences)
    assert any("识别认定时限达标率" in d for d in check.differences)


def _delete_event(app, settings, position: int) -> None:
    recorder = app.recorder
    with recorder.datastore.transaction(commit=True) as cursor:
        if settings.backend == "sqlite":
            cursor.execute(f"DELETE FROM {recorder.events_table_name} WHERE rowid = ?", (position,))
        else:
            cursor.execute(
                f'DELETE FROM "{recorder.datastore.schema}".{recorder.events_table_name} '
                "WHERE notification_id = %s", (position,))


def test_scopes_and_drill_down(county):
    indicators = Indicators(county)
    township = indicators.compute("2025-03", scope=Scope("township", "银坊镇"), as_of=YEAR_END)
    assert {f.area.level for f in township.figures} == {"township"}
    department = indicators.compute("2025-04", scope=Scope("department", "网信办"), as_of=YEAR_END)
    assert {(f.indicator.code, f.numerator, f.denominator) for f in department.figures} == {
        ("push_timeliness", 0, 1)}
    assert [p.status for p in department.pushes] == ["迟报1天"]

    drill = indicators.compute("2025", as_of=YEAR_END,
                               detail=("识别认定时限达标率", Area("county", "全县")))
    assert sorted((i.key, i.numerator) for i in drill.items) == [(f"{ON_TIME}#1", 1), (f"{LATE}#1", 0)]


def test_a_changed_cadence_table_judges_from_its_adoption_and_old_results_still_verify(county, clock,
                                                                                      tmp_path):
    first = Indicators(county)
    published = result_json(first.compute("2025-04", as_of=YEAR_END))
    # 公安局 owes its March push by 5 April; a new table gives it until the 10th
    block = 'departments = ["公安局"]\nwhat = "上月新发交通事故伤亡、重大财产损失"\nrule = "monthly_by_day"\n'
    assert block + "days = 5" in first.cadences.text
    text = first.cadences.text.replace(block + "days = 5", block + "days = 10", 1)
    path = tmp_path / "cadences.toml"
    path.write_text(text, encoding="utf-8")
    changed = Indicators(county, cadences=Cadences.load(path))
    assert changed.cadences.digest != first.cadences.digest
    clock.now = moment(date(2026, 2, 1))
    assert changed.adopt_cadences() and not changed.adopt_cadences()
    now = changed.compute("2025-04")
    police = {p.period: p.status for p in now.pushes if p.duty.department is Department.PUBLIC_SECURITY}
    assert police == {"2025-03": "按时"}, "judged by the table in force now"
    before = changed.compute("2025-04", as_of=YEAR_END, position=published["position"])
    assert before.cadences_digest == first.cadences.digest, "as of 2025: the table then"
    assert changed.verify(published).matches
    # going back to the first table is a change too, recorded as such
    clock.now = moment(date(2026, 3, 1))
    assert first.adopt_cadences() and not first.adopt_cadences()
    assert county.governance().cadence_table().digest == first.cadences.digest
    assert first.compute("2025-04").cadences_digest == first.cadences.digest
    # a layout-only edit is the same table
    assert Cadences.from_text("# 注释\n" + first.cadences.text, "x").digest == first.cadences.digest


def test_governance_commands_refuse_bad_input_and_repeat_idempotently(county):
    with pytest.raises(DomainError) as error:
        county.receive_push(Department.CYBERSPACE, batch_id="X", period="2025-3", rows=1, tier=None,
                            by=COUNTY)
    assert error.value.code == "PUSH_PERIOD_INVALID"
    first = county.receive_push(Department.CYBERSPACE, batch_id="WX-2025-04", period="2025-04", rows=1,
                                tier=None, by=COUNTY, command_id="push-1")
    again = county.receive_push(Department.CYBERSPACE, batch_id="WX-2025-04", period="2025-04", rows=1,
                                tier=None, by=COUNTY, command_id="push-1")
    assert again.repeated and again.version == first.version
    with pytest.raises(DomainError) as error:
        county.hold_consultation(meeting_id="HS-2025-03", departments_present=[Department.HEALTH],
                                 topics=["x"], decisions=[], occurred_on=date(2025, 4, 1), by=COUNTY)
    assert error.value.code == "MEETING_ID_TAKEN"
    assert isinstance(county.governance().id, UUID)


def test_figures_are_computed_one_at_a_time_in_a_process(county):
    """Four requests for figures at once (a verification from the log, current figures) run
    one after the other, each whole: their readers never interleave, and each result is what
    it is alone."""
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    with Projections(county) as projections:
        projections.catch_up()
        indicators = Indicators(county, projections.store)
        alone = figures(indicators.compute("2025"))
        running, most, guard = [0], [0], threading.Lock()

        def slow_reader(household) -> None:  # a reader of each household's facts, as reports add
            with guard:
                running[0] += 1
                most[0] = max(most[0], running[0])
            time.sleep(0.02)  # long enough for another thread to start reading, were it let in
            with guard:
                running[0] -= 1

        def compute(n: int):
            if n % 2:
                return indicators.compute("2025", from_log=True, also=[slow_reader])
            return indicators.compute("2025", also=[slow_reader])

        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(compute, range(4)))
    assert most[0] == 1
    assert [figures(r) for r in results] == [alone] * 4


def test_past_the_queue_a_computation_is_refused_as_busy_and_the_queued_ones_answer(county):
    """While one computation runs and `WAITING_AT_MOST` wait their turn, one more is refused at
    once as busy (nothing computed, the request holds no thread), and a computation that asks
    for another within its turn is not; once the running one ends, every queued one answers
    with the figures it gives alone."""
    import time
    from concurrent.futures import ThreadPoolExecutor

    from application.computing import FIGURES, WAITING_AT_MOST
    from application.errors import Busy

    with Projections(county) as projections:
        projections.catch_up()
        indicators = Indicators(county, projections.store)
        alone = figures(indicators.compute("2025"))
        with ThreadPoolExecutor(WAITING_AT_MOST + 1) as pool:
            with FIGURES:  # a computation running (this thread's turn)
                assert figures(indicators.compute("2025")) == alone  # re-entrant: not refused
                queued = [pool.submit(indicators.compute, "2025") for _ in range(WAITING_AT_MOST)]
                deadline = time.monotonic() + 30
                while FIGURES.waiting < WAITING_AT_MOST and time.monotonic() < deadline:
                    time.sleep(0.01)
                assert FIGURES.waiting == WAITING_AT_MOST
                with pytest.raises(Busy) as refused:
                    pool.submit(indicators.compute, "2025").result(timeout=30)
                assert refused.value.code == "FIGURES_BUSY"
                assert not any(f.done() for f in queued)
            assert [figures(f.result(timeout=60)) for f in queued] == [alone] * WAITING_AT_MOST
    assert FIGURES.waiting == 0
