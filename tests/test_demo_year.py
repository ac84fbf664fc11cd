"""The demo county lives through the twelve months up to its last day (today, or ``--until``):
the latest facts are of that week, every month has visits and alerts, and every indicator has
a gap to show — deterministically for a given (until, seed, households)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta

import pytest

from application.app import CaseFiles
from application.demo import DemoWindow, generate_county, load_demo
from application.indicators import Indicators
from application.settings import Settings
from domain.codes import Channel, Department
from domain.governance.rectification import RectificationStatus
from domain.household import Household
from domain.indicators.definitions import INDICATORS
from domain.rules import CHINA_TIME, add_months
from interfaces.cli import main
from projections.queries import ReadModels
from projections.runner import Projections
from tests.conftest import MAKE_RUN_DAY, TEST_CIPHER_KEY, FakeClock, copy_of_county

UNTIL = date(2026, 6, 30)
SEED = 7
#: The morning after the demo's last day, in the county.
NEXT_MORNING = datetime.combine(UNTIL + timedelta(days=1), time(9), tzinfo=CHINA_TIME)


def stream(households: list[Household]) -> list[tuple[str, dict[str, object]]]:
    return [(type(e).__name__, vars(e)) for h in households for e in h.pending_events]


@pytest.fixture(scope="module")
def year() -> list[Household]:
    return list(generate_county(300, seed=SEED, until=UNTIL))


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    """The 300-household demo as `fangpin demo --until 2026-06-30 --seed 7` loads it."""
    path = tmp_path_factory.mktemp("demo-year") / "demo.sqlite3"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("FANGPIN_SQLITE_PATH", str(path))
        env.delenv("FANGPIN_DATABASE_URL", raising=False)
        if TEST_CIPHER_KEY:
            env.setenv("FANGPIN_CIPHER_KEY", TEST_CIPHER_KEY)
        assert main(["demo", "--households", "300", "--until", str(UNTIL), "--seed", str(SEED)],
                    clock=FakeClock(NEXT_MORNING.astimezone(UTC))) == 0
    app = CaseFiles(Settings(sqlite_path=path, cipher_key=TEST_CIPHER_KEY),
                    clock=lambda: NEXT_MORNING.astimezone(UTC))
    yield app
    app.close()


def test_the_latest_facts_are_of_the_last_week_and_none_is_later(year) -> None:
    events = [e for h in year for e in h.pending_events]
    latest = max(e.occurred_on for e in events)
    assert UNTIL - timedelta(days=7) <= latest <= UNTIL
    end_of_day = datetime.combine(UNTIL, time(23, 59), tzinfo=CHINA_TIME)
    assert max(e.timestamp for e in events) <= end_of_day
    registrations = Counter(add_months(UNTIL, -13) <= h.pending_events[0].occurred_on
                            for h in year)
    # registered the month before the year, but for the few whose case was eliminated before it
    assert 0 < registrations[False] <= len(year) // 40
    eliminated_before = [c for h in year for c in h.cases
                         if c.eliminated_on and c.eliminated_on < add_months(UNTIL, -12)]
    assert len(eliminated_before) >= registrations[False] // 2


def test_nothing_in_the_loaded_log_is_dated_after_the_last_day_or_recorded_after_now(county):
    """Households, push receipts, meetings, rectification and policies alike."""
    notifications = county.recorder.select_notifications(1, 10**6)
    events = [county.mapper.to_domain_event(n) for n in notifications]
    assert len(events) == county.max_position()
    assert max(e.timestamp for e in events) <= NEXT_MORNING
    dated = [e.occurred_on for e in events if getattr(e, "occurred_on", None)]
    assert max(dated) <= UNTIL
    kinds = {n.topic.removeprefix("fangpin:").split(".")[0] for n in notifications}
    assert {"Household", "PushLedger", "Governance", "IncomeLinePolicy"} <= kinds


def test_each_of_the_twelve_months_has_visits_and_alerts(year) -> None:
    visits = Counter((v.occurred_on.year, v.occurred_on.month) for h in year for v in h.visits)
    alerts = Counter((a.discovered_on.year, a.discovered_on.month)
                     for h in year for a in h.alerts.values())
    for back in range(12):
        month = add_months(UNTIL, -back)
        assert visits[month.year, month.month] > 50, month
        assert alerts[month.year, month.month] > 0, month


def test_the_current_month_is_partly_done() -> None:
    """Mid-month, visits due later in the month are not recorded yet."""
    middle = date(2026, 6, 15)
    households = list(generate_county(300, seed=SEED, until=middle))
    visits = Counter((v.occurred_on.year, v.occurred_on.month)
                     for h in households for v in h.visits)
    assert 0 < visits[2026, 6] < 0.8 * visits[2026, 5]
    assert max(e.occurred_on for h in households for e in h.pending_events) <= middle


def test_the_same_seed_and_day_give_the_same_county_another_seed_another() -> None:
    one = list(generate_county(40, seed=SEED, until=UNTIL))
    assert stream(one) == stream(list(generate_county(40, seed=SEED, until=UNTIL)))
    assert stream(one) != stream(list(generate_county(40, seed=SEED + 1, until=UNTIL)))
    assert stream(one) != stream(list(generate_county(40, seed=SEED, until=date(2026, 5, 31))))


def test_loaded_twice_the_log_digests_alike_and_another_seed_differs(make_app, clock,
                                                                      tmp_path) -> None:
    """The same demo on this back end and on a SQLite file gives the same indicators' digest
    (the digest covers every household's facts); another seed, another digest."""
    now = clock.now = NEXT_MORNING.astimezone(UTC)
    digests = []
    for app, seed in ((make_app(), SEED), (make_app(sqlite_path=tmp_path / "b.sqlite3",
                                                   database_url=None), SEED),
                      (make_app(sqlite_path=tmp_path / "c.sqlite3", database_url=None), SEED + 1)):
        load_demo(app, 60, seed=seed, until=UNTIL, now=now)
        digests.append(Indicators(app).compute("2026", as_of=now).digest)
    assert digests[0] == digests[1] != digests[2]


TODAY = MAKE_RUN_DAY.astimezone(CHINA_TIME)


@pytest.fixture(scope="module")
def default_county(make_run_file, tmp_path_factory):
    """The county `make run` loads on TODAY: `fangpin demo --households 300`."""
    path = copy_of_county(make_run_file, tmp_path_factory.mktemp("demo-default"))
    now = TODAY.astimezone(UTC)
    app = CaseFiles(Settings(sqlite_path=path, cipher_key=TEST_CIPHER_KEY), clock=lambda: now)
    yield app
    app.close()


@pytest.fixture(scope="module")
def this_year(default_county):
    return Indicators(default_county).compute(str(TODAY.year))


@pytest.mark.parametrize("code", [i.code for i in INDICATORS if i.kind == "rate"])
def test_every_rate_has_a_gap_to_show(this_year, code) -> None:
    """Given the default demo on TODAY, every rate of the year is a real gap: some done, some
    not (a late case, a missed visit, an unsubsidised member, an unverified alert, an owed green
    channel, a relapse after elimination, a late appeal, a late push, a month without a
    consultation)."""
    figure = this_year.figure(code)
    assert figure is not None and 0 < figure.numerator < figure.denominator, code


@pytest.mark.parametrize("code", [i.code for i in INDICATORS if i.kind == "count"])
def test_every_count_has_something_to_count(this_year, code) -> None:
    """返贫 and 致贫 among them: a few households' income fell below the poverty line."""
    figure = this_year.figure(code)
    assert figure is not None and figure.numerator > 0, code


def test_the_default_demo_reads_plausibly(default_county) -> None:
    """An overdue rectification is days or weeks late, not most of a year; a monitoring object
    short of measures had none in place before it was included; some pushed rows were refused."""
    today = TODAY.date()
    items = default_county.governance().rectifications.values()
    overdue = [i for i in items if i.status_on(today) is RectificationStatus.OVERDUE]
    assert overdue and all(0 < i.days_overdue(today) <= 60 for i in overdue)
    assert all(i.days_overdue(today) <= 60 for i in items)
    with Projections(default_county) as projections:
        projections.catch_up()
        rows = ReadModels(projections.store, default_county.clock).measures_missing(today=today).rows
    assert rows and all(r["first_in_place_on"] is None or r["first_in_place_on"] >= r["included_on"]
                        for r in rows)
    refused = [r for department in Department for ledger in [default_county.push_ledger(department)]
               if ledger for r in ledger.receipts.values() if r.rejected]
    assert len(refused) >= 2
    assert_receipts_backed_by_rows(default_county)


def test_visits_were_missed_this_month_and_last(county) -> None:
    figure = Indicators(county).compute("2026-05").figure("visit_coverage")
    assert 0 < figure.numerator < figure.denominator
    households = [county.household(i) for i in county.iter_households()]
    lifted = [h for h in households if h.household_type.value == "脱贫户"]
    june = [h for h in lifted if any(v.occurred_on.month == 6 and v.occurred_on.year == 2026
                                     for v in h.visits)]
    assert 0 < len(june) < len(lifted)


def test_objections_rectifications_and_the_green_channel_have_something_true(county) -> None:
    households = [county.household(i) for i in county.iter_households()]
    cases = [c for h in households for c in h.cases]
    assert any(c.objections for c in cases)
    assert any(c.green_channel and c.identification.owed_steps and not c.closed for c in cases)
    department = [a for h in households for a in h.alerts.values()
                  if a.channel is Channel.DEPARTMENT_ALERT]
    assert department
    statuses = Counter(item.status_on(UNTIL)
                       for item in county.governance().rectifications.values())
    assert statuses[RectificationStatus.OVERDUE] >= 1
    assert statuses[RectificationStatus.DONE] >= 1


def batches_and_receipts(app: CaseFiles) -> tuple[dict[tuple[str, str], Counter[str]],
                                                  dict[tuple[str, str], Counter[str]]]:
    """What the alerts of each department batch became on the households, and what each
    batch's receipt on its department's push ledger says of the rows it took (those it refused,
    拒收, are recorded nowhere else), by (department, batch id)."""
    behind: dict[tuple[str, str], Counter[str]] = {}
    for household in app.iter_households():
        for entry in app.history(household):
            d = entry.details
            if entry.event != "AlertRaised" or not d.get("batch_id"):
                continue
            said = behind.setdefault((str(d["department"]), d["batch_id"]), Counter())
            said["rows"] += 1
            said["duplicates" if d["duplicate_of"] else "new_cases" if d["opens_case"]
                 else "joined"] += 1
    receipts = {  # the rows refused were recorded nowhere: the receipt alone counts them
        (str(department), r.batch_id): Counter(rows=r.rows - r.rejected, new_cases=r.new_cases,
                                               joined=r.joined, duplicates=r.duplicates)
        for department in Department for ledger in [app.push_ledger(department)] if ledger
        for r in ledger.receipts.values()}
    return behind, receipts


def assert_receipts_backed_by_rows(app: CaseFiles) -> dict[tuple[str, str], Counter[str]]:
    behind, receipts = batches_and_receipts(app)
    assert set(behind) <= set(receipts), "a batch with rows and no receipt reads as cut short"
    for batch, said in receipts.items():
        assert said == behind.get(batch, Counter()), batch  # zero reports: no rows, no alerts
    return behind


def test_every_demo_receipt_counts_the_alerts_recorded_from_its_batch(make_app, clock) -> None:
    # Given a small demo year loaded on this back end
    app = make_app()
    clock.now = NEXT_MORNING.astimezone(UTC)
    load_demo(app, 120, seed=SEED, until=UNTIL, now=clock.now)
    # Then each receipt on a push ledger counts exactly the alerts of its batch, by outcome
    behind = assert_receipts_backed_by_rows(app)
    tiers = {batch_id.split("-")[1] for _, batch_id in behind}
    assert tiers == {"C", "P"}  # county screening and the province's pushes both have rows
    # and sending the demo again finds every row and receipt: nothing recorded twice
    position = app.max_position()
    load_demo(app, 120, seed=SEED, until=UNTIL, now=clock.now)
    assert app.max_position() == position


def test_the_county_ledger_has_rows_of_every_outcome_behind_its_receipts(county) -> None:
    behind = assert_receipts_backed_by_rows(county)
    outcomes = sum(behind.values(), Counter())
    assert outcomes["new_cases"] and outcomes["joined"] and outcomes["duplicates"]


def test_a_day_after_today_is_refused_and_another_day_keeps_the_county(cli_env, make_app,
                                                                        capsys) -> None:
    clock = FakeClock(NEXT_MORNING.astimezone(UTC))
    assert main(["demo", "--households", "20", "--seed", str(SEED), "--until", "2026-07-02"],
                clock=clock) == 2
    assert "晚于今天" in capsys.readouterr().err
    assert main(["demo", "--households", "20", "--seed", str(SEED), "--until", str(UNTIL)],
                clock=clock) == 0
    assert "截至 2026-06-30 的十二个月" in capsys.readouterr().out
    position = make_app().max_position()
    assert main(["demo", "--households", "20", "--seed", str(SEED)], clock=clock) == 0
    assert f"已有截至 {UNTIL} 的演示县，保留不变" in capsys.readouterr().out
    assert make_app().max_position() == position


def test_a_window_is_the_twelve_months_that_end_on_its_day() -> None:
    window = DemoWindow.ending(date(2026, 12, 7))
    assert window.start == date(2025, 12, 8)
    assert [m.month for m in window.months()] == [12, *range(1, 13)]
    now = datetime(2026, 12, 7, 1, 30, tzinfo=UTC)  # 09:30 in the county
    assert DemoWindow.ending(date(2026, 12, 7), now).recorded_by == now
    with pytest.raises(ValueError):
        DemoWindow.ending(date(2026, 12, 8), now)
