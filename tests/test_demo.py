"""The synthetic demo county: deterministic, valid, realistic, and loaded idempotently."""

from __future__ import annotations

import inspect
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import islice

import pytest

from application.app import CaseFiles
from application.demo import (
    DemoConflict,
    county,
    generate_county,
    load_demo,
    registration_command_id,
)
from application.settings import Settings
from domain.codes import (
    Category,
    Channel,
    Decision,
    Department,
    HouseholdType,
    LabourCapacity,
    Relation,
    Sex,
)
from domain.household import Household
from domain.identity import birth_date_of, sex_of, validate_id_number
from domain.policy import Line
from domain.rules import local_date
from tests.conftest import TEST_CIPHER_KEY

#: Every process of the notice, by event class (elimination steps 2 and 3 are the village and
#: township events of the "elimination" procedure).
PROCESSES = {
    "AlertRaised", "HouseholdVerified", "VillageDeliberationConcluded",
    "TownshipReviewCompleted", "MonitoringObjectIncluded", "IdentificationRejected",
    "GreenChannelOpened", "RiskAnalysed", "MeasureAssigned", "MeasurePutInPlace", "MeasureEnded",
    "MedicalInsuranceSubsidised", "ReliefInsurancePaid", "VisitRecorded", "IncomeAssessed",
    "EliminationVerified", "VillageDeliberationConcluded:elimination",
    "TownshipReviewCompleted:elimination", "RiskEliminated", "FactCorrected", "MemberJoined",
    "MemberLeft",
}


def stream(households: list[Household]) -> list[tuple[str, dict[str, object]]]:
    return [(type(e).__name__, vars(e)) for h in households for e in h.pending_events]


def process_names(households: list[Household]) -> set[str]:
    names = set()
    for h in households:
        for event in h.pending_events:
            name = type(event).__name__
            names.add(name)
            procedure = getattr(event, "procedure", None)
            if procedure:
                names.add(f"{name}:{procedure}")
    return names


@pytest.fixture(scope="module")
def demo() -> list[Household]:
    """2,000 generated (not saved) households of the default seed."""
    return list(generate_county(2000))


@pytest.fixture
def app(tmp_path):
    app = CaseFiles(
        Settings(sqlite_path=tmp_path / "demo.sqlite3", cipher_key=TEST_CIPHER_KEY),
        clock=lambda: datetime(2026, 1, 5, 8, 0, tzinfo=UTC),
    )
    yield app
    app.close()


# ---------------------------------------------------------------------------- determinism

def test_same_seed_gives_identical_event_streams() -> None:
    first = list(generate_county(40, seed=11))
    second = list(generate_county(40, seed=11))
    assert stream(first) == stream(second)
    assert len(stream(first)) > 40


def test_household_i_does_not_depend_on_how_many_are_generated() -> None:
    small = list(generate_county(30, seed=11))
    bigger = list(islice(generate_county(120, seed=11), 30))
    assert stream(small) == stream(bigger)


def test_other_seed_gives_other_households() -> None:
    one = list(generate_county(40, seed=11))
    other = list(generate_county(40, seed=12))
    assert [h.code for h in one] == [h.code for h in other]  # the county's layout is fixed
    assert stream(one) != stream(other)
    assert [m.name for h in one for m in h.members.values()] != [
        m.name for h in other for m in h.members.values()
    ]


def test_generation_streams() -> None:
    households = generate_county(250_000)
    assert inspect.isgenerator(households)
    started = time.perf_counter()
    first = next(households)
    assert time.perf_counter() - started < 2
    assert first.pending_events
    households.close()


# ---------------------------------------------------------------------------- realism and validity

def test_every_process_appears_in_300_households(demo) -> None:
    missing = PROCESSES - process_names(demo[:300])
    assert not missing


def test_duplicates_and_re_entries_appear_in_2000_households(demo) -> None:
    duplicates = [
        e for h in demo for e in h.pending_events
        if isinstance(e, Household.AlertRaised) and e.duplicate_of is not None
    ]
    assert duplicates
    assert any(e.channel is Channel.DEPARTMENT_ALERT for e in duplicates)
    assert any(case.re_entry for h in demo for case in h.cases)


def test_county_layout_and_household_codes(demo) -> None:
    townships = {v.township for v in county()}
    assert len(townships) == 16 and {"银坊镇", "走马驿镇", "烟煤洞乡"} <= townships
    assert len({(v.township, v.name) for v in county()}) == len(county())
    codes = [h.code for h in demo]
    assert len(set(codes)) == len(codes)
    for h in demo:
        assert len(h.code) == 15 and h.code.startswith("130630") and h.code.isdigit()
        assert h.address.startswith(f"涞源县{h.township}{h.village}")
    assert len({h.township for h in demo}) == 16
    assert all(
        h.pending_events[0].command_id == registration_command_id(2025, h.code) for h in demo
    )


def test_members_are_plausible_people(demo) -> None:
    seen: set[str] = set()
    for h in demo:
        registered = h.pending_events[0]
        assert isinstance(registered, Household.Registered)
        people = registered.members
        assert 1 <= len(people) <= 6
        assert [p.relation for p in people].count(Relation.HEAD) == 1
        head = people[0]
        assert head.relation is Relation.HEAD
        for person in people:
            number = person.id_number
            assert validate_id_number(number) == number and number.startswith("130630")
            assert number not in seen
            seen.add(number)
            born = birth_date_of(number)
            assert born <= registered.occurred_on
            age = registered.occurred_on.year - born.year
            if age < 16:
                assert person.labour_capacity is LabourCapacity.NONE
            if person.relation in (Relation.SON, Relation.DAUGHTER, Relation.GRANDCHILD):
                assert born > birth_date_of(head.id_number)
            if person.relation is Relation.SON:
                assert sex_of(number) is Sex.MALE
            if person.relation is Relation.DAUGHTER:
                assert sex_of(number) is Sex.FEMALE
            if person.relation is Relation.PARENT:
                assert born < birth_date_of(head.id_number)
            if person.relation is Relation.SPOUSE:
                assert sex_of(number) is not sex_of(head.id_number)
        assert all(m.name and 2 <= len(m.name) <= 3 for m in people)


def test_recording_times_follow_the_facts(demo) -> None:
    for h in demo[:500]:
        last = None
        for event in h.pending_events:
            assert event.timestamp.tzinfo is not None
            lag = (local_date(event.timestamp) - event.occurred_on).days
            assert 0 <= lag <= 3
            assert last is None or event.timestamp >= last
            last = event.timestamp


def test_income_lines_used_are_the_lines_in_force(demo) -> None:
    lines = {
        e.line_in_force for h in demo for e in h.pending_events
        if isinstance(e, Household.IncomeAssessed | Household.RiskEliminated)
        and e.occurred_on.year == 2025
    }
    assert lines == {Decimal(8300)}
    earlier = {
        e.line_in_force for h in demo for e in h.pending_events
        if isinstance(e, Household.IncomeAssessed) and e.occurred_on.year == 2024
    }
    assert earlier == {Decimal(8000)}


def test_rates_are_plausible(demo) -> None:
    n = len(demo)
    lifted = sum(h.household_type is HouseholdType.LIFTED_OUT for h in demo)
    assert 0.2 < lifted / n < 0.3
    for h in demo:
        if h.household_type is HouseholdType.LIFTED_OUT:
            assert 2014 <= h.lifted_out_year <= 2020
    # About one household in five is alerted in a year: enough that a county of 300 decides a
    # few cases a month (a monthly rate of one case swings from 0 to 100%); issue 20.
    with_alerts = sum(bool(h.alerts) for h in demo)
    assert 0.15 < with_alerts / n < 0.24
    cases = [c for h in demo for c in h.cases]
    confirmed = [c for c in cases if c.identification.home_visit
                 and c.identification.home_visit.decision is Decision.PASSED]
    included = [c for c in cases if c.included]
    assert 0.75 < len(confirmed) / len(cases) < 0.98
    assert 0.55 < len(included) / len(confirmed) < 0.85
    late = [c for c in included if c.days_to_inclusion > 15]
    assert 0 < len(late) < 0.3 * len(included)
    kinds = Counter(
        c.category for h in demo for c in h.cases if c.included
    )
    assert all(kinds[category] for category in Category)
    for h in demo:
        for case in h.cases:
            if case.category is Category.UNSTABLE_LIFTED_OUT:
                assert h.household_type is HouseholdType.LIFTED_OUT
            if case.category is Category.EDGE_OF_POVERTY:
                assert h.household_type is HouseholdType.ORDINARY
    green = [c for c in cases if c.green_channel]
    assert any(c.identification.owed_steps and not c.closed for c in green)
    assert any(not c.identification.owed_steps for c in green)
    measures = [m for h in demo for m in h.measures.values()]
    in_place = [m for m in measures if m.in_place_on is not None]
    assert 0.8 < len(in_place) / len(measures) < 0.99
    eliminated = [c for c in cases if c.eliminated]
    for case in eliminated:
        assert case.eliminated_on - case.included_on >= timedelta(days=180)


def test_relief_payouts_follow_the_county_bands(demo) -> None:
    """Every 防贫保 payout names its insurer, states the finding, is within what the bands in
    force give for its cost and the year's cap; some are paid while the green channel is under
    way."""
    from application.demo.county import relief_bands_on

    payouts = [(h, p) for h in demo for p in h.payouts.values()]
    assert len(payouts) > 20
    for h, payout in payouts:
        bands = relief_bands_on(payout.occurred_on)
        assert payout.insurer and payout.basic_living_in_difficulty is True
        assert payout.cause in h.cases[payout.case_number - 1].risk_types
        assert payout.amount <= bands.ceiling(payout.cause, payout.out_of_pocket) == payout.ceiling
        year = [p.amount for p in h.payouts.values() if p.occurred_on.year == payout.occurred_on.year]
        assert sum(year) <= bands.yearly_cap
    under_way = [p for h, p in payouts
                 if h.cases[p.case_number - 1].included_on is None
                 or h.cases[p.case_number - 1].included_on > p.occurred_on]
    assert under_way


def test_monthly_visits_cover_most_months_of_lifted_out_households(demo) -> None:
    lifted = [h for h in demo if h.household_type is HouseholdType.LIFTED_OUT]
    months = [len({(v.occurred_on.year, v.occurred_on.month) for v in h.visits
                   if v.occurred_on.year == 2025}) for h in lifted]
    assert 0.85 < sum(months) / (12 * len(lifted)) < 0.99
    failed = [v for h in demo for v in h.visits if v.failed_checks]
    assert failed
    for h in demo:
        for visit in h.visits:
            if visit.failed_checks:
                alert = h.alerts[f"{visit.visit_id}-预警"]
                assert alert.channel is Channel.CADRE_SCREENING


# ---------------------------------------------------------------------------- loading

def read_back(app: CaseFiles) -> dict[str, object]:
    households = [app.household(aggregate_id) for aggregate_id in app.iter_households()]
    return {
        "households": len(households),
        "events": sum(h.version for h in households),
        "monitoring_objects": Counter(h.category for h in households if h.category),
        "open_cases": sum(
            1 for h in households if h.active_case and not h.active_case.included
        ),
        "eliminated": sum(c.eliminated for h in households for c in h.cases),
        "re_entries": sum(c.re_entry for h in households for c in h.cases),
    }


def test_loading_300_households_matches_what_the_app_reads_back(app) -> None:
    calls: list[tuple[int, int]] = []
    started = time.perf_counter()
    summary = load_demo(app, 300, progress=lambda done, total: calls.append((done, total)))
    assert time.perf_counter() - started < 60
    assert calls == [(200, 300), (300, 300)]
    assert summary.households == summary.saved_households == 300
    back = read_back(app)
    assert back["households"] == summary.households
    assert back["events"] == summary.events
    assert back["monitoring_objects"] == {k: v for k, v in summary.monitoring_objects.items() if v}
    assert sum(summary.monitoring_objects.values()) > 0
    assert back["open_cases"] == summary.open_cases
    assert back["eliminated"] == summary.eliminated > 0
    assert back["re_entries"] == summary.re_entries
    assert sum(summary.events_by_type.values()) == summary.events
    # The income lines: recorded before the demo's facts, in force on their days.
    assert app.income_line_on(date(2024, 6, 1)) == Decimal(8000)
    assert app.income_line_on(date(2025, 6, 1)) == Decimal(8300)
    assert app.income_line_on(date(2025, 6, 1), line=Line.POVERTY) == Decimal(4800)
    # policy started + three monitoring and three poverty lines (from two years before the
    # demo's, for the households with a history), the 防贫保 bands (started + set), then the
    # ledgers and meetings
    assert app.max_position() == summary.events + 7 + 2 + summary.governance_events
    bands = app.relief_bands_on(date(2025, 6, 1))
    assert bands is not None and bands.effective_from == date(2024, 1, 1)
    assert app.income_line_on(date(2025, 1, 1), as_of=datetime(2025, 1, 1, tzinfo=UTC)) == 8300


def test_loading_again_records_nothing(app) -> None:
    load_demo(app, 300, batch=64)
    position = app.max_position()
    again = load_demo(app, 300, batch=64)
    assert app.max_position() == position
    assert again.saved_events == again.saved_households == 0
    assert again.households == 300


class Interrupted(Exception):
    pass


def test_an_interrupted_load_resumes(app, tmp_path) -> None:
    def stop_after_two_batches(done: int, total: int) -> None:
        if done >= 100:
            raise Interrupted  # as a crash or Ctrl-C would, between two batches

    with pytest.raises(Interrupted):
        load_demo(app, 300, batch=50, progress=stop_after_two_batches)
    assert app.push_ledger(Department.HEALTH) is None  # pushes are sent once all households are in
    more = load_demo(app, 300, batch=200)
    assert more.saved_households == 200
    whole = CaseFiles(Settings(sqlite_path=tmp_path / "whole.sqlite3", cipher_key=TEST_CIPHER_KEY))
    try:
        load_demo(whole, 300)
        assert read_back(app) == read_back(whole)
        assert app.max_position() == whole.max_position()
    finally:
        whole.close()


def test_a_smaller_demo_loaded_whole_is_not_extended(app) -> None:
    """Its pushes were received with its own rows: more households would add rows no receipt
    counts."""
    load_demo(app, 20)
    position = app.max_position()
    with pytest.raises(DemoConflict, match="户数较少"):
        load_demo(app, 60)
    assert app.max_position() == position
    assert load_demo(app, 20).saved_events == 0


def test_a_demo_loads_where_the_server_adopted_the_cadence_table_first(app) -> None:
    """`fangpin serve` (and the workbench's tests) record the cadence table before any demo:
    that is not a demo loaded whole, and the demo's pushes are still sent."""
    from application.indicators import Indicators

    assert Indicators(app).adopt_cadences()
    load_demo(app, 20)
    ledger = app.push_ledger(Department.MEDICAL_INSURANCE)
    assert ledger is not None and ledger.receipts


def test_loading_another_seed_over_a_demo_is_refused(app) -> None:
    load_demo(app, 20, seed=1)
    with pytest.raises(DemoConflict):
        load_demo(app, 20, seed=2)


def test_the_demo_county_has_push_receipts_and_meetings_to_judge(app) -> None:
    """Every scheduled push of the year is on time, late or missing somewhere in the demo, and
    one month went without a consultation."""
    from application.indicators import Indicators

    load_demo(app, 20)
    result = Indicators(app).compute("2025", as_of=datetime(2026, 1, 1, tzinfo=UTC))
    statuses = {push.status[:2] for push in result.pushes}
    assert statuses == {"按时", "迟报", "漏报"}
    consultations = result.figure("consultations")
    assert (consultations.numerator, consultations.denominator) == (11, 12)
    governance = app.governance()
    assert sum(m.kind == "dispatch" for m in governance.meetings.values()) == 3
