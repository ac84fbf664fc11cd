"""Queries over the read models: filters, a sort, keyset pages with totals, and the caller's area.

Every query takes the caller's `Area` and adds it to the WHERE clause itself, so no filter a
caller passes can reach a row outside it. Pages are keyset pages: ``after`` is the opaque cursor
of the previous page's last row, so a page costs the same however deep it is. "Today" (for days
in monitoring, deadlines, this month's visits) is the county's date on the caller's clock.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from domain.codes import Department, MeasureStatus, Relation
from domain.deadlines import MEASURE_WITHIN_DAYS, days_left, days_overdue
from domain.errors import InvalidValue
from domain.household import DUPLICATE, JOINED_CASE, NEW_CASE
from domain.rosters import LIFTED_OUT, MONITORED, RosterDuty
from domain.rules import local_date
from projections.cursors import decode_cursor, encode_cursor
from projections.filters import LIKE_ESCAPE, SORT_KEYS, NameMatch, escaped
from projections.store import ReadModelStore
from projections.tables import join_texts

MAX_PAGE = 500
HEAD = Relation.HEAD.value  # a roster of heads only
APPEAL_STATUSES = ("open", "all")  # which appeals a list holds: not yet answered, or every one


@dataclass(frozen=True)
class Area:
    """What a caller may see: the county, a township, a village, or a department's pushes."""

    level: str = "county"  # county | township | village | department
    township: str | None = None
    village: str | None = None
    department: Department | None = None

    def __post_init__(self) -> None:
        needs = {"county": (), "township": ("township",), "village": ("township", "village"),
                 "department": ("department",)}
        if self.level not in needs:
            raise InvalidValue("AREA_LEVEL", f"未知的范围层级：{self.level}", "area")
        for name in needs[self.level]:
            if not getattr(self, name):
                raise InvalidValue("AREA_INCOMPLETE", f"{self.level} 范围须指定 {name}", "area")

    def covers(self, row: dict[str, Any]) -> bool:
        """Whether a read-model row lies in this area (for checks; queries use SQL)."""
        if self.level == "township":
            return row.get("township") == self.township
        if self.level == "village":
            return (row.get("township"), row.get("village")) == (self.township, self.village)
        return True


COUNTY = Area()

#: The columns a typed name may filter (`ReadModels.name_match`), per table whose names count.
_NAMED = {"rm_households": ("township", "village", "head_name"), "rm_members": ("name",)}
#: The columns offered as pick-lists (`ReadModels.choices`).
_CHOICES = ("township", "village", "grid_worker", "helper")


#: What `ReadModels.counts` may group by (and filter on by date).
_COUNTABLE = {
    "rm_households": ("township",),
    "rm_monitoring": ("category", "township", "included_on"),
    "rm_alerts": ("channel", "department", "township", "discovered_on"),
    "rm_case_queue": ("stage", "township", "deadline_on"),
}


@dataclass(frozen=True)
class Page:
    """One page of a query, the total over all pages, and the cursor of the next page."""

    rows: list[dict[str, Any]]
    total: int
    after: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class _Where:
    def __init__(self, placeholder: str) -> None:
        self.placeholder = placeholder
        self.clauses: list[str] = []
        self.params: list[Any] = []

    def add(self, clause: str, *params: Any) -> None:
        self.clauses.append(clause.replace("?", self.placeholder))
        self.params.extend(params)

    def sql(self) -> str:
        return " WHERE " + " AND ".join(self.clauses) if self.clauses else ""


class ReadModels:
    """The read models as frontends, departments and auditors query them.

    ``clock``: the application's clock (`CaseFiles.clock`); a query not given ``today`` counts
    from the county's date on it."""

    def __init__(self, store: ReadModelStore, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.clock = clock

    def today(self) -> date:
        """The county's date on the clock."""
        return local_date(self.clock())

    # ------------------------------------------------------------------ monitoring

    def monitoring_list(
        self, area: Area = COUNTY, *, township: str | None = None, village: str | None = None,
        category: str | None = None, risk_type: str | None = None, eliminating: bool | None = None,
        grid_worker: str | None = None, helper: str | None = None, head_name: str | None = None,
        as_of: date | None = None, today: date | None = None,
        sort: str = "code", after: str | None = None, limit: int = 50,
    ) -> Page:
        """Current monitoring objects, or those monitored on ``as_of`` (from the periods);
        ``grid_worker`` / ``helper`` keep those a person answers for now (on a past day's list
        too: the households of that day that are theirs now). Place and head's name match by
        part of the name (`name_match`)."""
        today = today or self.today()
        table = "rm_monitoring_periods" if as_of else "rm_monitoring"
        where = self._where(area, household_table=True)
        if as_of:
            where.add("from_on <= ? AND (to_on IS NULL OR to_on > ?)", as_of, as_of)
        self._names(where, area, township=township, village=village, head_name=head_name)
        self._filters(where, category=category)
        if risk_type:
            where.add("risk_types LIKE ?", f"%{risk_type}%")
        if eliminating is not None and not as_of:
            where.add("eliminating = ?", eliminating)
        self._staff_filters(where, grid_worker, helper,
                            via=self.store.qualified("rm_households") if as_of else None)
        key = ("household_id", "case_number") if as_of else ("household_id",)
        sortable = SORT_KEYS["monitoring_as_of" if as_of else "monitoring"]
        page = self._page(table, where, sort, sortable, key, after, limit)
        first_of_month = today.replace(day=1)
        for row in page.rows:
            if as_of:  # a past day's list: counted on that day
                row["days_in_monitoring"] = (as_of - row["from_on"]).days
                continue
            row["days_in_monitoring"] = (today - row["included_on"]).days
            last = row.get("last_visit_on")
            row["visited_this_month"] = bool(last and last >= first_of_month)
        return page

    def measures_missing(
        self, area: Area = COUNTY, *, township: str | None = None, village: str | None = None,
        today: date | None = None, after: str | None = None, limit: int = 50,
    ) -> Page:
        """Monitoring objects whose analysed needs did not all have a measure in place 30 days
        after identification (缺什么补什么: the rule of 帮扶措施落实率)."""
        today = today or self.today()
        where = self._where(area, household_table=True)
        self._names(where, area, township=township, village=village)
        # past its measure deadline (deadlines.measure_deadline: included_on + MEASURE_WITHIN_DAYS)
        where.add("included_on < ?", today - timedelta(days=MEASURE_WITHIN_DAYS))
        where.add("(needs_met_days IS NULL OR needs_met_days > ?)", MEASURE_WITHIN_DAYS)
        return self._page("rm_monitoring", where, "included_on", ("included_on",),
                          ("household_id",), after, limit)

    def helpers_to_confirm(self, area: Area = COUNTY, *, after: str | None = None, limit: int = 50) -> Page:
        """Monitoring objects whose 帮扶责任人, named before inclusion, is to confirm (§七)."""
        where = self._where(area, household_table=True)
        where.add("helper_to_confirm = ?", True)
        return self._page("rm_monitoring", where, "included_on", ("included_on",),
                          ("household_id",), after, limit)

    # ------------------------------------------------------------------ cases

    def case_queue(
        self, area: Area = COUNTY, *, stage: str | None = None, township: str | None = None,
        village: str | None = None, head_name: str | None = None, overdue: bool = False,
        green_channel_owed: bool = False, today: date | None = None, sort: str = "deadline_on",
        after: str | None = None, limit: int = 50,
    ) -> Page:
        """Open cases with their stage and 15-day deadline; ``overdue`` keeps those past it,
        ``green_channel_owed`` the green-channel cases still owing steps 2–4."""
        today = today or self.today()
        where = self._where(area, household_table=True)
        self._names(where, area, township=township, village=village, head_name=head_name)
        if stage:
            where.add("stage = ?", stage)
        if overdue:
            where.add("deadline_on < ?", today)
        if green_channel_owed:  # an empty list is stored as empty text
            where.add("green_channel = ? AND owed_steps <> ?", True, join_texts(()))
        page = self._page("rm_case_queue", where, sort, SORT_KEYS["cases"],
                          ("household_id", "case_number"), after, limit)
        for row in page.rows:
            row["days_left"] = days_left(row["deadline_on"], today)
            row["days_overdue"] = days_overdue(row["deadline_on"], today)
        return page

    def appeals(
        self, area: Area = COUNTY, *, status: str = "open", deciding_role: str | None = None,
        township: str | None = None, village: str | None = None, overdue: bool = False,
        today: date | None = None, sort: str = "deadline_on", after: str | None = None, limit: int = 50,
    ) -> Page:
        """The area's appeals (异议、申诉), ``status`` "open" or "all", by the day due;
        ``deciding_role``: those that unit answers. Rows say ``overdue`` (open, past the
        deadline) and, once answered, ``on_time`` (申诉按期办结)."""
        if status not in APPEAL_STATUSES:
            raise InvalidValue("CODE_UNKNOWN", f"申诉状态须为 {'、'.join(APPEAL_STATUSES)}", "status")
        today = today or self.today()
        where = self._where(area, household_table=True)
        self._names(where, area, township=township, village=village)
        if status == "open" or overdue:
            where.add("answered_on IS NULL" + (" AND deadline_on < ?" if overdue else ""),
                      *([today] if overdue else []))
        self._filters(where, deciding_role=deciding_role)
        page = self._page("rm_appeals", where, sort, SORT_KEYS["appeals"],
                          ("household_id", "appeal_id"), after, limit)
        for row in page.rows:
            answered, due = row["answered_on"], row["deadline_on"]
            row.update(overdue=answered is None and due < today, on_time=None if answered is None
                       else answered <= due, days_overdue=0 if answered else days_overdue(due, today))
        return page

    # ------------------------------------------------------------------ households

    def visits_due(
        self, area: Area = COUNTY, *, month: date | None = None, grid_worker: str | None = None,
        helper: str | None = None, township: str | None = None, village: str | None = None,
        head_name: str | None = None, sort: str = "code", after: str | None = None,
        limit: int = 50,
    ) -> Page:
        """Households visited every month — monitoring objects, 脱贫户, and those whose risk
        was eliminated — not yet visited in ``month`` (default: this month).

        Read from each household's latest visit, so it answers for the current month (and
        later ones); month-by-month coverage of the past is an indicator (走访覆盖率)."""
        first = (month or self.today()).replace(day=1)
        where = self._where(area, household_table=True)
        where.add("visit_due = ?", True)
        where.add("(last_visit_on IS NULL OR last_visit_on < ?)", first)
        self._staff_filters(where, grid_worker, helper)
        self._names(where, area, township=township, village=village, head_name=head_name)
        return self._page("rm_households", where, sort, SORT_KEYS["visits_due"], ("household_id",),
                          after, limit)

    def directory(
        self, area: Area = COUNTY, *, code: str | None = None, head_name: str | None = None,
        id_number: str | None = None, member_name: str | None = None, township: str | None = None,
        village: str | None = None, grid_worker: str | None = None, helper: str | None = None,
        sort: str = "code", after: str | None = None, limit: int = 50,
    ) -> Page:
        """Households by code (prefix), head's name, a member's full ID number or name (present
        or past member), place, or the 网格员 / 帮扶责任人 answering for them now; names and
        places match by part of the name (`name_match`)."""
        where = self._where(area, household_table=True)
        self._names(where, area, township=township, village=village, head_name=head_name)
        self._staff_filters(where, grid_worker, helper)
        if code:
            where.add(f"code LIKE ? ESCAPE '{LIKE_ESCAPE}'", f"{escaped(code)}%")
        if id_number:
            members = self.store.qualified("rm_members")
            where.add(f"household_id IN (SELECT household_id FROM {members} WHERE id_number = ?)",
                      id_number.strip().upper())
        member = self.name_match(area, "name", member_name, table="rm_members")
        if member:
            clause, param = member.sql()
            members = self.store.qualified("rm_members")
            where.add(f"household_id IN (SELECT household_id FROM {members} WHERE {clause})", param)
        return self._page("rm_households", where, sort, SORT_KEYS["directory"], ("household_id",),
                          after, limit)

    # ------------------------------------------------------------------ department desks

    def roster(
        self, duty: RosterDuty, *, township: str | None = None, village: str | None = None,
        today: date | None = None, after: str | None = None, limit: int = 50,
    ) -> Page:
        """The current members a department's roster is about (domain.rosters): of 脱贫户
        and/or monitoring objects, within its ages, health and labour capacities, by household
        code. Rows are the read model's; `RosterDuty.row` keeps only the duty's fields."""
        today = today or self.today()
        where = _Where(self.store.placeholder)
        where.add("current = ?", True)
        whose, params = [], []
        if LIFTED_OUT in duty.households:
            whose.append("household_type = ?")
            params.append(LIFTED_OUT)
        if MONITORED in duty.households:
            whose.append("monitored = ?")
            params.append(True)
        where.add(f"({' OR '.join(whose)})", *params)
        born = duty.born_between(today)
        if born is not None:
            where.add("birth_date >= ? AND birth_date <= ?", *born)
        if duty.heads_only:  # a duty on the household: one row each, its head
            where.add("relation = ?", HEAD)
        for column, values in (("health", duty.health), ("labour_capacity", duty.labour_capacity)):
            if values:
                where.add(f"{column} IN ({', '.join('?' for _ in values)})", *map(str, values))
        self._filters(where, township=township, village=village)
        return self._page("rm_members", where, "code", ("code",), ("household_id", "id_number"),
                          after, limit)

    def measures(
        self, area: Area = COUNTY, *, status: str | None = None, township: str | None = None,
        village: str | None = None, today: date | None = None, sort: str = "code",
        after: str | None = None, limit: int = 50,
    ) -> Page:
        """Help measures in the area — for a department, those it is responsible for — with
        whether a planned one is past the day it should be in place by."""
        today = today or self.today()
        where = self._where(area, household_table=False)
        self._filters(where, status=status, township=township, village=village)
        page = self._page("rm_measures", where, sort, ("code", "started_on"),
                          ("household_id", "measure_id"), after, limit)
        for row in page.rows:
            deadline = row["deadline_on"]
            row["overdue"] = bool(deadline and row["status"] == MeasureStatus.PLANNED.value
                                  and deadline < today)
        return page

    # ------------------------------------------------------------------ department pushes

    def push_ledger(
        self, area: Area = COUNTY, *, department: str | None = None, batch_id: str | None = None,
    ) -> list[dict[str, Any]]:
        """Per department and batch: alerts received, new cases, joined cases, duplicates."""
        where = self._where(area, household_table=False)
        where.add("department IS NOT NULL")
        if department:
            where.add("department = ?", department)
        if batch_id:
            where.add("batch_id = ?", batch_id)
        p = self.store.placeholder
        statement = (
            "SELECT department, batch_id, COUNT(*) AS received, "
            f"SUM(CASE WHEN outcome = {p} THEN 1 ELSE 0 END) AS new_cases, "
            f"SUM(CASE WHEN outcome = {p} THEN 1 ELSE 0 END) AS joined_cases, "
            f"SUM(CASE WHEN outcome = {p} THEN 1 ELSE 0 END) AS duplicates, "
            "MIN(recorded_at) AS first_received, MAX(recorded_at) AS last_received "
            f"FROM {self.store.qualified('rm_alerts')}{where.sql()} "
            "GROUP BY department, batch_id ORDER BY department, batch_id"
        )
        rows = self.store.fetch(statement, [NEW_CASE, JOINED_CASE, DUPLICATE, *where.params])
        for row in rows:
            for name in ("received", "new_cases", "joined_cases", "duplicates"):
                row[name] = int(row[name] or 0)
        return rows

    def alerts(
        self, area: Area = COUNTY, *, department: str | None = None, batch_id: str | None = None,
        outcome: str | None = None, sort: str = "code", after: str | None = None, limit: int = 50,
    ) -> Page:
        """Each alert with what became of it (new case, joined, duplicate of which; stage)."""
        where = self._where(area, household_table=False)
        if department:
            where.add("department = ?", department)
        if batch_id:
            where.add("batch_id = ?", batch_id)
        if outcome:
            where.add("outcome = ?", outcome)
        return self._page("rm_alerts", where, sort, SORT_KEYS["alerts"],
                          ("household_id", "alert_id"), after, limit)

    def alert_households(self, alert_ids: Collection[str]) -> dict[str, str]:
        """The code of the household each alert (by its id) is about; an id on none is left
        out."""
        found: dict[str, str] = {}
        ids = sorted(set(alert_ids))
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            marks = ", ".join([self.store.placeholder] * len(chunk))
            for row in self.store.fetch(f"SELECT alert_id, code FROM {self.store.qualified('rm_alerts')} "
                                        f"WHERE alert_id IN ({marks})", chunk):
                found[row["alert_id"]] = row["code"]
        return found

    def counts(
        self, table: str, column: str, area: Area = COUNTY, *, since: tuple[str, date] | None = None,
    ) -> dict[str, int]:
        """Rows of ``table`` in the area, counted by ``column`` (``since``: only rows whose date
        column is on or after a day), for dashboards."""
        if table not in _COUNTABLE or column not in _COUNTABLE[table] or (
                since and since[0] not in _COUNTABLE[table]):
            raise InvalidValue("COUNT_UNKNOWN", f"不能按 {table}.{column} 计数", "column")
        where = self._where(area, household_table=table != "rm_alerts")
        if since:
            where.add(f"{since[0]} >= ?", since[1])
        rows = self.store.fetch(
            f"SELECT {column} AS k, COUNT(*) AS n FROM {self.store.qualified(table)}{where.sql()} "
            f"GROUP BY {column} ORDER BY {column}", where.params)
        return {str(row["k"]) if row["k"] is not None else "": row["n"] for row in rows}

    # ------------------------------------------------------------------ filters

    def name_match(self, area: Area, column: str, text: str | None, *,
                   table: str = "rm_households") -> NameMatch | None:
        """How ``text`` filters ``column`` (None: blank, no filter): a full name of the area's
        ``table`` picks exactly that name; part of a name, every name containing it."""
        if column not in _NAMED.get(table, ()):
            raise InvalidValue("FILTER_UNKNOWN", f"不能按 {column} 查找", column)
        text = (text or "").strip()
        if not text:
            return None
        where = self._where(area, household_table=True)
        where.add(f"{column} = ?", text)
        whole = bool(self.store.fetch(
            f"SELECT 1 AS found FROM {self.store.qualified(table)}{where.sql()} LIMIT 1",
            where.params))
        return NameMatch(column, text, whole)

    def choices(self, area: Area, column: str, *, township: str | None = None) -> list[str]:
        """The names ``column`` takes in the area's households (a pick-list): its townships,
        villages (of ``township`` when given), 网格员 or 帮扶责任人."""
        if column not in _CHOICES:
            raise InvalidValue("FILTER_UNKNOWN", f"不能按 {column} 列出", column)
        where = self._where(area, household_table=True)
        where.add(f"{column} IS NOT NULL")
        if township:
            where.add("township = ?", township)
        rows = self.store.fetch(f"SELECT DISTINCT {column} AS name FROM "
                                f"{self.store.qualified('rm_households')}{where.sql()} "
                                f"ORDER BY {column}", where.params)
        return [row["name"] for row in rows]

    def _names(self, where: _Where, area: Area, **texts: str | None) -> None:
        for column, text in texts.items():
            match = self.name_match(area, column, text)
            if match:
                where.add(*match.sql())

    # ------------------------------------------------------------------ helpers

    def _where(self, area: Area, *, household_table: bool) -> _Where:
        where = _Where(self.store.placeholder)
        if area.level == "township":
            where.add("township = ?", area.township)
        elif area.level == "village":
            where.add("township = ? AND village = ?", area.township, area.village)
        elif area.level == "department":
            if household_table:
                alerts = self.store.qualified("rm_alerts")
                where.add(f"household_id IN (SELECT household_id FROM {alerts} WHERE department = ?)",
                          str(area.department))
            else:
                where.add("department = ?", str(area.department))
        return where

    @staticmethod
    def _staff_filters(where: _Where, grid_worker: str | None, helper: str | None,
                       via: str | None = None) -> None:
        """"My households": those whose 网格员 (or 帮扶责任人) now is the person of this name
        (read ``via`` the directory's table for a table that does not name them)."""
        for column, name in (("grid_worker", grid_worker), ("helper", helper)):
            if name and name.strip():
                if via is None:
                    where.add(f"{column} = ?", name.strip())
                else:
                    where.add(f"household_id IN (SELECT household_id FROM {via} WHERE {column} = ?)",
                              name.strip())

    @staticmethod
    def _filters(where: _Where, **filters: Any) -> None:
        for column, value in filters.items():
            if value is not None and value != "":
                where.add(f"{column} = ?", value)

    def _page(
        self, table: str, where: _Where, sort: str, sortable: tuple[str, ...],
        key: tuple[str, ...], after: str | None, limit: int,
    ) -> Page:
        descending = sort.startswith("-")
        column = sort.lstrip("-")
        if column not in sortable:
            raise InvalidValue("SORT_UNKNOWN", f"不能按“{column}”排序；可选：{'、'.join(sortable)}", "sort")
        if not 1 <= limit <= MAX_PAGE:
            raise InvalidValue("LIMIT_RANGE", f"每页条数须在 1 至 {MAX_PAGE} 之间", "limit")
        order = (column, *key)
        qualified = self.store.qualified(table)
        total = self.store.fetch(f"SELECT COUNT(*) AS n FROM {qualified}{where.sql()}",
                                 where.params)[0]["n"]
        page_where = _Where(where.placeholder)
        page_where.clauses, page_where.params = list(where.clauses), list(where.params)
        if after:
            values = decode_cursor(after, order)
            marks = ", ".join(["?"] * len(order))
            page_where.add(f"({', '.join(order)}) {'<' if descending else '>'} ({marks})", *values)
        direction = " DESC" if descending else ""
        statement = (
            f"SELECT * FROM {qualified}{page_where.sql()} "
            f"ORDER BY {', '.join(c + direction for c in order)} LIMIT {int(limit) + 1}"
        )
        rows = self.store.fetch(statement, page_where.params)
        more = len(rows) > limit
        rows = rows[:limit]
        cursor = encode_cursor([rows[-1][c] for c in order]) if more and rows else None
        return Page(rows=rows, total=int(total), after=cursor)
