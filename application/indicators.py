"""Indicators as recorded: computed from the log as it stood at a moment, digested, verifiable.

A result is always "the log as it stood at" a recorded time T, bounded by a log position P:
the events at positions up to P that were recorded at or before T. As of a past T, P is the
position of the last event recorded at or before T (`EventLog.position_at`). Later events —
corrections, late records of earlier happenings — have later positions and later recorded
times, so a result computed as of T gives the same numbers and the same digest forever
(`verify` checks it). Computing writes nothing: the cadence table is recorded when the server
starts or by ``fangpin cadences adopt`` (`Indicators.adopt_cadences`).

Two ways to the same answer:
- **current** figures read the households' indicator facts from the ``indicator_facts`` read
  model (kept by the projections, exactly once) at the position it has reached, with T = now
  (a year's figures count a household by its settled counts for the year where they serve:
  `application.indicator_reads`);
- **as of** a past T, the facts are recomputed from the log: households are read in id order,
  a chunk at a time, each replayed from its events up to P and T — the county is never held in
  memory at once.
Either way the facts are fed, in household-id order, to the digest and to the domain's `Tally`.
The digest covers the facts of every household, the push receipts, the meetings, the cadence
table, the period, T, P and the indicators' version: the inputs of the result.
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import groupby, takewhile
from pathlib import Path
from typing import Any
from uuid import UUID

import msgspec

from application.app import SYSTEM, CaseFiles
from application.computing import FIGURES
from application.errors import ConcurrentChange
from application.indicator_reads import Counting, HouseholdRead, read_model_households
from domain.cadences import Duty, ExpectedPush, parse_duties
from domain.codes import Department
from domain.errors import DomainError, InvalidValue
from domain.governance import (
    GOVERNANCE_ID,
    CadenceTable,
    Governance,
    Meeting,
    PushLedger,
    PushReceipt,
    push_ledger_id,
)
from domain.household import Household
from domain.indicators import (
    INDICATORS_VERSION,
    Area,
    Figure,
    HouseholdFacts,
    Item,
    Tally,
    household_facts,
    indicator_named,
)
from domain.periods import Period, parse_period
from domain.policy import INCOME_LINE_POLICY_ID, IncomeLinePolicy
from domain.replay import replay
from domain.rules import CHINA_TIME, local_date
from domain.unmatched import UNMATCHED_ID, UnmatchedAlerts
from domain.values import Actor

DEFAULT_CADENCES = Path(__file__).with_name("cadences.toml")
COUNTY = "全县"
_CHUNK = 500
_REGISTERED = Household.Registered.TOPIC

_FACTS_ENCODER = msgspec.json.Encoder()


@dataclass(frozen=True)
class Cadences:
    """A department push cadence table (``cadences.toml``): its duties, the digest of the
    duties as parsed (layout and comments do not change it) and the text as written."""

    duties: tuple[Duty, ...]
    digest: str
    source: str
    text: str = ""

    @classmethod
    def load(cls, path: Path | None = None) -> Cadences:
        path = path or DEFAULT_CADENCES
        try:
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError as error:
            raise InvalidValue("CADENCE_INVALID", f"推送频次表须为 UTF-8：{error}", "cadences") from None
        return cls.from_text(text, str(path))

    @classmethod
    def from_text(cls, text: str, source: str) -> Cadences:
        try:
            table = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise InvalidValue("CADENCE_INVALID", f"推送频次表无法读取：{error}", "cadences") from None
        duties = parse_duties(table)
        return cls(duties, hashlib.sha256(_FACTS_ENCODER.encode(duties)).hexdigest(), source, text)


@dataclass(frozen=True)
class Scope:
    """Whose figures a caller asks for: the county, one township or one department."""

    level: str = "county"
    name: str = COUNTY

    def shows(self, area: Area) -> bool:
        return self.level == "county" or (area.level == self.level and area.name == self.name)


@dataclass
class IndicatorResult:
    """Figures for a period as recorded at ``as_of`` (bounded by log ``position``)."""

    period: Period
    scope: Scope
    as_of: datetime
    position: int
    evaluated_on: date
    source: str  # "read_models" or "log"
    digest: str
    cadences_digest: str
    figures: list[Figure]
    detail: tuple[str, Area] | None = None
    items: list[Item] = field(default_factory=list)
    pushes: list[ExpectedPush] = field(default_factory=list)
    urgent: list[PushReceipt] = field(default_factory=list)
    batches: list[PushReceipt] = field(default_factory=list)  # every batch received in the period
    meetings: list[Meeting] = field(default_factory=list)  # held in the period
    #: Figures of other months (by label, e.g. 2025-03) tallied in the same pass: a trend.
    trend: dict[str, list[Figure]] = field(default_factory=dict)
    version: int = INDICATORS_VERSION
    #: The day the county began recording (its log's first event): nothing due before is owed.
    began_on: date | None = None

    def figure(self, code: str, level: str = "county", name: str = COUNTY) -> Figure | None:
        return next((f for f in self.figures if f.indicator.code == code
                     and f.area.level == level and f.area.name == name), None)


@dataclass(frozen=True)
class Verification:
    """Whether a published result still matches the log."""

    matches: bool
    digest: str
    recomputed_digest: str
    differences: list[str]
    #: The log position and the time the result was computed at, as published.
    position: int | None = None
    as_of: datetime | None = None


class Indicators:
    """Computes, and verifies, the assessment indicators of one county's log."""

    def __init__(self, app: CaseFiles, read_models: Any = None, cadences: Cadences | None = None,
                 *, county: str = COUNTY) -> None:
        self.app = app
        self.read_models = read_models
        self.cadences = cadences or Cadences.load()
        self.county = county
        self._tables: dict[str, Cadences] = {self.cadences.digest: self.cadences}
        #: Told how many households a recomputation from the log has read so far (a terminal's
        #: progress line); None: silent.
        self.progress: Callable[[int], None] | None = None

    def adopt_cadences(self, by: Actor = SYSTEM) -> bool:
        """Record the cadence table given to this service in the log, unless it is the one in
        force already: from its recording on, pushes are judged by it, and results as of
        earlier times keep the table they were computed with. True when recorded.

        Done when the server starts and by ``fangpin cadences adopt``, never by a computation:
        reading figures writes nothing."""
        governance = self.app.governance()
        in_force = governance.cadence_table() if governance else None
        if in_force is not None and in_force.digest == self.cadences.digest:
            return False
        # Named after the change (from the table in force), so that a county may go back to
        # an earlier table, and processes starting together record the change once.
        since = in_force.digest if in_force is not None else ""
        try:
            result = self.app.adopt_cadence_table(
                digest=self.cadences.digest, text=self.cadences.text, by=by,
                command_id=f"cadences:{since}:{self.cadences.digest}")
        except (DomainError, ConcurrentChange):  # another process adopted it first
            return False
        return not result.repeated

    # ------------------------------------------------------------------ computing

    def compute(
        self, period: Period | str, *, scope: Scope | None = None, as_of: datetime | None = None,
        position: int | None = None, detail: tuple[str, Area] | None = None,
        from_log: bool = False, also: Iterable[Callable[[HouseholdFacts], None]] = (),
        months: Iterable[Period] = (),
    ) -> IndicatorResult:
        """The figures for ``period``: current (``as_of`` None: the read models, as of now) or
        as the log stood at ``as_of`` (and ``position``, default the last event recorded at or
        before ``as_of``: the same result, digest included, however much is recorded later).
        ``detail``: (indicator, area) whose cases to list; ``also``: more readers of each
        household's facts (a report's lists), fed in the same pass; ``months``: months whose
        figures to tally in the same pass as well (`IndicatorResult.trend`)."""
        period = parse_period(period) if isinstance(period, str) else period
        scope = scope or Scope()
        if as_of is not None and not 1990 <= as_of.year <= 2100:
            raise InvalidValue("AS_OF_RANGE", "记录时点须在1990年至2100年之间", "as_of")
        if detail is not None:
            indicator = indicator_named(detail[0])
            if indicator is None:
                raise InvalidValue("INDICATOR_UNKNOWN", f"没有名为“{detail[0]}”的指标", "indicator")
            detail = (indicator.code, detail[1])
        also, months = list(also), list(months)
        with FIGURES:
            if as_of is None and position is None and not from_log and self.read_models is not None:
                # a year's settled counts serve a result that needs nobody's items or facts
                settled = period.kind == "year" and detail is None and not also and not months
                stream = read_model_households(self.read_models,
                                               year=period.start.year if settled else None)
                position = next(stream)
                # Now, read after the read model's snapshot: every event in it was recorded before.
                moment = self.app.clock()
                source = "read_models"
            else:
                # Later than now is now: what the log holds cannot be known ahead of its recording.
                now = self.app.clock()
                moment = min(_aware(as_of), now) if as_of is not None else now
                end = self.app.max_position()
                if position is None:
                    position = self.app.position_at(moment, end) if as_of is not None else end
                if not 0 <= position <= end:
                    raise InvalidValue("POSITION_UNKNOWN", f"日志位置 {position} 超出日志末尾 {end}",
                                       "position")
                stream = self._facts_from_log(position, moment)
                source = "log"
            try:
                return self._tally(period, scope, moment, position, source, stream, detail, also,
                                   months)
            finally:
                stream.close()  # ends the read model's snapshot transaction even if a reader failed

    def department_pushes(self, period: Period | str, department: Department) -> IndicatorResult:
        """A department's pushes due in ``period`` now (``pushes``, ``batches``), judged as
        `compute` judges them. A department whose every duty is scheduled is judged on the
        push ledgers alone, without reading the county's households (a desk reads this often):
        that result has no figures and no digest (``source`` "push_ledgers"); one with a duty
        due within days of each alert it pushes gets the whole computation."""
        period = parse_period(period) if isinstance(period, str) else period
        scope = Scope("department", department.value)
        if any(d.department is department and not d.scheduled for d in self.cadences.duties):
            return self.compute(period, scope=scope)
        result = self._tally(period, scope, self.app.clock(), self.app.max_position(),
                             "push_ledgers", iter(()), None, [], [])
        return replace(result, figures=[], digest="")

    def _tally(
        self, period: Period, scope: Scope, moment: datetime, position: int, source: str,
        stream: Iterator[Any], detail: tuple[str, Area] | None,
        also: list[Callable[[HouseholdFacts], None]], months: list[Period],
    ) -> IndicatorResult:
        today = local_date(moment)
        ended = today if end_of_day(today) <= moment else today - timedelta(days=1)
        receipts, meetings, table, poverty_lines = self._governance(position, moment)
        cadences = self._table(table)
        # the log's first event, unless the result reads the log up to none of it
        first = self.app.first_recorded_at() if position or source != "log" else None
        began = local_date(first) if first is not None else None
        tally = Tally(period, today, self.county, cadences.duties, detail, ended,
                      poverty_lines=poverty_lines, began=began)
        trend = {m.label: Tally(m, today, self.county, cadences.duties, None, ended,
                                poverty_lines=poverty_lines, began=began) for m in months}
        also = [*also, *(t.add_household for t in trend.values())]
        digest = hashlib.sha256()
        header = {"version": INDICATORS_VERSION, "period": period.label, "as_of": moment.isoformat(),
                  "position": position, "cadences": cadences.digest,
                  "poverty_lines": [[str(day), str(yuan)] for day, yuan in poverty_lines],
                  "began": str(began) if began else None}
        digest.update(_FACTS_ENCODER.encode(header) + b"\n")
        counting = Counting(tally, also)
        for household in stream:
            digest.update(household.encoded + b"\n")
            counting.count(household)
        digest.update(_FACTS_ENCODER.encode(sorted(receipts, key=_receipt_key)) + b"\n")
        digest.update(_FACTS_ENCODER.encode(sorted(meetings, key=lambda m: m.meeting_id)) + b"\n")
        pushes = tally.add_pushes(receipts)
        tally.add_meetings(meetings)
        for other in trend.values():
            other.add_pushes(receipts)
            other.add_meetings(meetings)
        figures = [f for f in tally.table() if scope.shows(f.area)]
        batches = [r for r in receipts if r.received_on in period and r.received_on <= today]
        if scope.level == "department":
            pushes = [p for p in pushes if p.duty.department.value == scope.name]
            batches = [r for r in batches if r.department.value == scope.name]
        elif scope.level == "township":
            pushes, batches = [], []
        batches.sort(key=lambda r: (r.received_at, r.department.value, r.batch_id))
        urgent = [r for r in batches if r.urgent]
        return IndicatorResult(
            period=period, scope=scope, as_of=moment, position=position, evaluated_on=today,
            source=source, digest=f"sha256:{digest.hexdigest()}",
            cadences_digest=cadences.digest, figures=figures, detail=detail,
            items=sorted(tally.items, key=lambda i: i.key), pushes=pushes,
            urgent=urgent, batches=batches,
            meetings=sorted((m for m in meetings if m.held_on in period and m.held_on <= today),
                            key=lambda m: m.held_on),
            trend={label: [f for f in t.table() if scope.shows(f.area)] for label, t in trend.items()},
            began_on=began,
        )

    # ------------------------------------------------------------------ verifying

    def verify(self, published: dict[str, Any]) -> Verification:
        """Recompute a published result (its JSON, as `result_json` wrote it) from the log, as
        of its time and position, and compare the digest, the evaluation day, every figure
        (numerator, denominator, rate) and the drill-down items if it has them."""
        if isinstance(published.get("result"), dict):  # a report carries its result
            published = published["result"]
        try:
            period = parse_period(str(published["period"]))
            as_of = datetime.fromisoformat(str(published["as_of"]))
            position = int(published["position"])
            scope = Scope(**published.get("scope", {}))
            digest = str(published["digest"])
            figures = list(published["figures"])
            detail_data = published.get("detail")
            detail = (str(detail_data["indicator"]),
                      Area(str(detail_data["level"]), str(detail_data["area"]))) if detail_data else None
        except (KeyError, TypeError, ValueError) as error:
            raise InvalidValue(
                "RESULT_INVALID", f"不是一份指标结果：缺少或无法读取 {error}", "result") from None
        if position > self.app.max_position():
            return Verification(False, digest, "", [f"日志位置 {position} 已不在日志中（日志被截短？）"],
                                position, as_of)
        again = self.compute(period, scope=scope, as_of=as_of, position=position, from_log=True,
                             detail=detail)
        differences = []
        if published.get("version", INDICATORS_VERSION) != INDICATORS_VERSION:
            differences.append(
                f"指标口径版本不同：发布时 {published.get('version')}，现为 {INDICATORS_VERSION}")
        if published.get("cadences_digest") not in (None, again.cadences_digest):
            differences.append("推送频次表与发布时所用的不同")
        if again.digest != digest:
            differences.append(f"输入摘要不符：发布 {digest}，重算 {again.digest}")
        if published.get("evaluated_on") not in (None, again.evaluated_on.isoformat()):
            differences.append(f"评价日不符：发布 {published.get('evaluated_on')}，重算 {again.evaluated_on}")
        if detail_data is not None:
            items = [msgspec.to_builtins(item) for item in again.items]
            if detail_data.get("items") != items:
                differences.append(f"{detail[1].name} {detail[0]} 的明细与重算不符")  # type: ignore[index]
        now = {(f["indicator"], f["level"], f["area"]): f for f in figure_rows(again.figures)}
        for figure in figures:
            key = (figure.get("indicator"), figure.get("level"), figure.get("area"))
            current = now.pop(key, None)
            if current is None:
                differences.append(f"{key[2]} {key[0]}：重算结果中没有该项")
                continue
            for name in ("numerator", "denominator", "rate"):
                if name == "rate" and "rate" not in figure:
                    continue
                if figure.get(name) != current[name]:
                    differences.append(
                        f"{key[2]} {key[0]} {_LABELS[name]}：发布 {figure.get(name)}，重算 {current[name]}")
        for key in now:
            differences.append(f"{key[2]} {key[0]}：发布结果中没有该项")
        return Verification(not differences, digest, again.digest, differences, position, as_of)

    # ------------------------------------------------------------------ reading facts

    def _facts_from_log(self, position: int, moment: datetime) -> Iterator[HouseholdRead]:
        for household in self.households_as_of(position, moment):
            facts = household_facts(household)
            yield HouseholdRead(_FACTS_ENCODER.encode(facts), facts, True)

    def households_as_of(self, position: int, moment: datetime) -> Iterator[Household]:
        """Every household as the log stood at ``position`` and recorded time ``moment``, in
        order of household id, read a chunk at a time (ids too: memory stays flat)."""
        after: UUID | None = None
        done = 0
        while True:
            ids = self.app.recorder.select_first_event_ids(_REGISTERED, after, position, _CHUNK)
            if not ids:
                return
            yield from self._aggregates_as_of(ids, position, moment)
            after = ids[-1]
            done += len(ids)
            if self.progress is not None:
                self.progress(done)

    def _aggregates_as_of(self, ids: list[UUID], position: int, moment: datetime) -> Iterator[Any]:
        to_event = self.app.mapper.to_domain_event
        stored = self.app.recorder.select_events_of(ids, position)
        for _id, group in groupby(stored, key=lambda e: e.originator_id):
            events = takewhile(lambda e: e.timestamp <= moment, map(to_event, group))
            aggregate = replay(None, events)
            if aggregate is not None:
                yield aggregate

    def unmatched_as_of(self, position: int, moment: datetime) -> UnmatchedAlerts | None:
        """The county's unmatched alerts as the log stood at ``position`` and ``moment`` (a
        result's), for the overdue list of a report computed then."""
        return next(self._aggregates_as_of([UNMATCHED_ID], position, moment), None)

    def governance_as_of(self, position: int, moment: datetime) -> Governance | None:
        """The county's meetings and rectification items as the log stood at ``position`` and
        ``moment`` (a result's), for the rectification lists of a report computed then."""
        return next(self._aggregates_as_of([GOVERNANCE_ID], position, moment), None)

    def _governance(
        self, position: int, moment: datetime
    ) -> tuple[list[PushReceipt], list[Meeting], CadenceTable | None, tuple[tuple[date, Decimal], ...]]:
        """Push receipts, meetings, the cadence table in force and the poverty lines, as of
        ``position`` and ``moment``."""
        ids = [GOVERNANCE_ID, INCOME_LINE_POLICY_ID, *(push_ledger_id(d) for d in Department)]
        receipts: list[PushReceipt] = []
        meetings: list[Meeting] = []
        table = None
        poverty_lines: tuple[tuple[date, Decimal], ...] = ()
        for aggregate in self._aggregates_as_of(ids, position, moment):
            if isinstance(aggregate, IncomeLinePolicy):
                poverty_lines = aggregate.poverty_lines_in_force()
            elif isinstance(aggregate, PushLedger):
                receipts.extend(aggregate.receipts.values())
            elif isinstance(aggregate, Governance):
                meetings.extend(aggregate.meetings.values())
                table = aggregate.cadence_table()
        if table is None:
            # Before the first table was recorded, the first one recorded applies (read from
            # the whole log: once recorded, the first table is the first forever).
            later = next(self._aggregates_as_of([GOVERNANCE_ID], self.app.max_position(),
                                                _END_OF_TIME), None)
            if later is not None and later.cadence_tables:
                table = later.cadence_tables[0]
        return receipts, meetings, table, poverty_lines

    def _table(self, table: CadenceTable | None) -> Cadences:
        """The cadences of a recorded table (the given one when none was recorded yet)."""
        if table is None:
            return self.cadences
        cadences = self._tables.get(table.digest)
        if cadences is None:
            cadences = self._tables[table.digest] = Cadences.from_text(table.text, "日志")
        return cadences


def _receipt_key(receipt: PushReceipt) -> tuple[str, str]:
    return (receipt.department.value, receipt.batch_id)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=CHINA_TIME)


def end_of_day(day: date) -> datetime:
    """The last moment of ``day`` in the county (an as-of date means all of that day)."""
    return datetime.combine(day + timedelta(days=1), datetime.min.time(), CHINA_TIME) - timedelta(
        microseconds=1)


_END_OF_TIME = datetime.max.replace(tzinfo=UTC)
_LABELS = {"numerator": "分子", "denominator": "分母", "rate": "比率"}


def figure_rows(figures: Iterable[Figure]) -> list[dict[str, Any]]:
    """Figures as plain rows (the published form)."""
    return [
        {
            "indicator": f.indicator.name, "code": f.indicator.code, "level": f.area.level,
            "area": f.area.name, "numerator": f.numerator,
            "denominator": f.denominator if f.indicator.kind == "rate" else None,
            "rate": f.rate, "kind": f.indicator.kind,
        }
        for f in figures
    ]
