"""Importing a department's alert workbook (issue 6): 200,000 rows, on both back ends.

- ours: `application.imports.import_alerts` over the whole workbook (read, check, find the
  household, one `raise_alert` command per row, the error workbook), as `fangpin import alerts`
  runs it (read models caught up first, ``find_household`` from `CaseFiles.household_code_on`,
  the shipped cadence table), in a child process of its own on a fresh working copy of the demo
  county, so its peak memory (``VmHWM``) is the import's and nothing else's. One run per back
  end (a run takes minutes): rows/s is the file's data rows over the seconds `import_alerts`
  took. The child also times its calls to ``find_household`` and to `CaseFiles.execute`
  (where the time goes) and samples its resident memory at every tenth of the file;
- peak memory: the same import of a 20,000-row workbook (``--quick``: 1,000) on another fresh
  copy, for comparison (flat: the same peak whatever the length; target: under 300 MB);
- raw baselines, in the bench process: plain sqlite3 (WAL, ``synchronous=FULL``, as the event
  store) / psycopg (autocommit) inserting the same rows, one row per alert with the workbook's
  columns and a JSON state (serialised per row), into a scratch table — one row per transaction
  (what the importer does: one command per row) and in transactions of 1,000 rows;
- read-only: reading and checking every row without recording anything (`intake.open_sheet` +
  `intake.check_row`), against openpyxl's read-only ``iter_rows(values_only=True)`` on the same
  file, each in a child process, alternately; no database (one row for both back ends). The same
  read of the same rows stored as Excel stores text (a shared-strings table, which openpyxl
  loads whole before the first row) gives its peak memory beside.

The workbook (``var/bench/alerts-<rows>-county-<households>-s2025-v<N>.xlsx``, built once and
kept, openpyxl write-only) names people of the kept demo county (`bench.http.working_county`:
``FANGPIN_BENCH_HOUSEHOLDS``, default 175,000 households; ``--quick``: 5,000), drawn at random
among its current members, so rows come in no particular order and some people come twice.
No two rows are identical (a settlement number in every 情况说明). Most rows are 因病, the rest
the other risk types (因自然灾害 with its 灾害类型); about 3% carry a mistake that rejects them: a
17-digit ID, an ID stored as a number, an unknown risk type, an impossible date, a person of
no household of the county, 因自然灾害 without 灾害类型. The push is 医保局's county screening for
``2025-03上旬`` (a period the cadence table allows), with 发现日期 from 2025-01-01 to 2025-03-10.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import resource
import sqlite3
import statistics
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from random import Random
from typing import Any

import psycopg

from bench import http
from bench.common import POSTGRES_URL, Result, backend_settings
from domain.codes import Department, Tier
from domain.identity import check_digit

ROWS = int(os.environ.get("FANGPIN_BENCH_IMPORT_ROWS", "200000"))
SMALL_ROWS = 20_000
QUICK_ROWS = 10_000
QUICK_SMALL_ROWS = 1_000
BATCH = 1_000
RSS_LIMIT_MB = 300.0
DEPARTMENT = Department.MEDICAL_INSURANCE
TIER = Tier.COUNTY
PERIOD = "2025-03上旬"
FIRST_DAY = date(2025, 1, 1)
LAST_DAY = date(2025, 3, 10)
#: Bump when the rows the generator writes change (a kept workbook of another version is rebuilt).
VERSION = 1
READ_REPEATS = 3
MB = 1_000_000
NOTES: list[str] = []
PROBLEMS: list[str] = []


@dataclass(frozen=True)
class Size:
    households: int
    rows: int
    small_rows: int


def size(quick: bool) -> Size:
    households = http.size(quick, 1).households
    if quick:
        return Size(households, QUICK_ROWS, QUICK_SMALL_ROWS)
    return Size(households, ROWS, min(SMALL_ROWS, ROWS))


# ---------------------------------------------------------------------------------- the workbook


HEADERS = ["身份证号码", "风险类型", "发现日期", "情况说明", "灾害类型", "问题标识", "所在乡镇", "所在行政村"]
#: (risk types cell, weight); 因自然灾害 rows get a 灾害类型.
RISKS = (("因病", 56), ("因残", 10), ("因病、因残", 8), ("因学", 5), ("因意外事故", 6), ("因务工就业不稳", 5),
         ("缺劳动力", 3), ("因自然灾害", 3), ("因产业项目失败", 2), ("因病、缺劳动力", 1), ("其他", 1))
ILLNESSES = ("慢性肾衰竭透析", "恶性肿瘤放化疗", "脑梗死住院", "重症肺炎住院", "冠心病支架手术",
             "糖尿病并发症", "骨折手术", "白血病化疗", "尿毒症", "精神分裂症住院")
DISASTERS = ("洪涝", "地质", "旱灾", "气象", "地震")
#: The rows that carry a mistake: (kind, share of rows).
MISTAKES = (("id_17_digits", 0.010), ("id_as_number", 0.002), ("unknown_risk", 0.005), ("bad_date", 0.003),
            ("unknown_person", 0.007), ("disaster_without_kind", 0.002))
UNKNOWN_RISKS = ("因病致贫", "因灾", "病", "因残疾", "大病")


def workbook_path(households: int, rows: int, shared: bool = False) -> Path:
    suffix = "-shared" if shared else ""
    return http.CACHE_DIR / f"alerts-{rows}-county-{households}-s{http.SEED}-v{VERSION}{suffix}.xlsx"


def workbook(households: int, rows: int) -> tuple[Path, str]:
    """The kept alert workbook of ``rows`` data rows about the county's people (built if missing)."""
    path = workbook_path(households, rows)
    if path.exists():
        return path, f"kept in {path}"
    began = time.perf_counter()
    people = _people(households)
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("预警信息")
    sheet.append(HEADERS)
    for cells in alert_rows(people, rows):
        sheet.append(cells)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    book.save(partial)
    partial.replace(path)
    return path, f"built in {time.perf_counter() - began:.0f} s and kept in {path}"


def _people(households: int) -> list[str]:
    """The ID numbers of the county's current members, in order (from the kept SQLite county's
    read models; the PostgreSQL county, loaded from the same seed, has the same people)."""
    log, _ = http._kept_sqlite_county(households)
    with contextlib.closing(sqlite3.connect(http._read_models_file(log))) as conn:
        return [r[0] for r in conn.execute(
            "SELECT id_number FROM rm_members WHERE current ORDER BY id_number")]


def alert_rows(people: list[str], count: int, seed: int = http.SEED) -> Iterator[list[Any]]:
    """The workbook's rows (cells as written), deterministic in (people, seed): row ``i`` does
    not depend on ``count``."""
    rng = Random(f"{seed}/alert-workbook/v{VERSION}")
    risks = [r for r, _ in RISKS]
    weights = [w for _, w in RISKS]
    span = (LAST_DAY - FIRST_DAY).days
    for index in range(count):
        person = rng.choice(people)
        risk = rng.choices(risks, weights)[0]
        day = FIRST_DAY + timedelta(days=rng.randint(0, span))
        number = f"JS{seed}{index + 1:08d}"
        disaster = rng.choice(DISASTERS) if risk == "因自然灾害" else None
        problems = None
        if "因病" in risk:
            paid = rng.randint(5_000, 120_000)
            description = (f"{rng.choice(ILLNESSES)}，年内个人自付医疗费用{paid:,}元，"
                           f"超过年度监测标准（结算单号 {number}）")
            if rng.random() < 0.05:
                problems = "家庭成员未参加基本医疗保险"
        elif disaster is not None:
            description = f"{day:%m月%d日}{disaster}灾害致房屋受损、庄稼减产（核灾编号 {number}）"
            if rng.random() < 0.3:
                problems = "住房安全问题"
        else:
            description = f"{risk}导致家庭收支骤变，需入户核实（筛查编号 {number}）"
        when: Any = day
        form = rng.random()
        if form < 0.1:
            when = f"{day.year}/{day.month}/{day.day}"
        elif form < 0.15:
            when = f"{day.year}年{day.month}月{day.day}日"
        township = village = None
        roll = rng.random()
        for kind, share in MISTAKES:
            if roll >= share:
                roll -= share
                continue
            if kind == "id_17_digits":
                person = person[:17]
            elif kind == "id_as_number":
                person = float(person[:17])  # type: ignore[assignment]
            elif kind == "unknown_risk":
                risk = rng.choice(UNKNOWN_RISKS)
            elif kind == "bad_date":
                when = rng.choice(("2025-02-30", "2025.03.05", "三月五日"))
            elif kind == "unknown_person":
                first = f"130631{1950 + rng.randint(0, 50)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}" \
                        f"{rng.randint(900, 999)}"
                person = first + check_digit(first)
                township, village = "南屯镇", "外县迁入"
            elif kind == "disaster_without_kind":
                risk, disaster = "因自然灾害", None
            break
        yield [person, risk, when, description, disaster, problems, township, village]


def shared_strings_copy(source: Path) -> Path:
    """The same workbook with its text in a shared-strings table, as Excel saves it (openpyxl
    writes inline strings); built once and kept beside it."""
    target = source.with_name(source.stem + "-shared.xlsx")
    if target.exists():
        return target
    strings: dict[str, int] = {}
    cell = re.compile(r'<c ([^>]*?)t="inlineStr"([^>]*)><is><t(?: xml:space="preserve")?>(.*?)</t></is></c>',
                      re.S)

    def shared(match: re.Match[str]) -> str:
        index = strings.setdefault(match[3], len(strings))
        return f'<c {match[1]}t="s"{match[2]}><v>{index}</v></c>'

    partial = target.with_suffix(".partial")
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = cell.sub(shared, data.decode("utf-8")).encode("utf-8")
            elif item.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType='
                                    b'"application/vnd.openxmlformats-officedocument.spreadsheetml.'
                                    b'sharedStrings+xml"/></Types>')
            elif item.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", b'<Relationship Id="rIdShared" Type="http://schemas.'
                                    b'openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
                                    b'Target="sharedStrings.xml"/></Relationships>')
            zout.writestr(item, data)
        # the strings are already XML-escaped as they stood in the sheet
        body = "".join(f"<si><t xml:space=\"preserve\">{s}</t></si>" for s in strings)
        zout.writestr("xl/sharedStrings.xml",
                      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                      '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                      f'count="{len(strings)}" uniqueCount="{len(strings)}">{body}</sst>')
    partial.replace(target)
    return target


# ---------------------------------------------------------------------------------- the child


def _child_command(mode: str, **spec: Any) -> dict[str, Any]:
    """Run ``python -m bench.imports <mode> <spec>`` and return what it printed (JSON)."""
    done = subprocess.run([sys.executable, "-m", "bench.imports", mode, json.dumps(spec)],
                          cwd=http.ROOT, stdout=subprocess.PIPE, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"the {mode} child process failed (exit {done.returncode})")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _max_rss() -> int:
    """The peak resident memory of this process (bytes): ``VmHWM``, the high-water mark of its
    own address space. Not ``ru_maxrss``: on Linux that keeps the high-water mark of the memory
    the process had before its ``exec`` — the bench process's, which `subprocess` forks (or
    vforks) — so a child's ``ru_maxrss`` is never below its parent's size at the spawn."""
    return _status("VmHWM:") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _rss_now() -> int:
    return _status("VmRSS:")


def _status(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field):
                return int(line.split()[1]) * 1024  # kB
    return 0


def _child_import(spec: dict[str, Any]) -> dict[str, Any]:
    from application.app import CaseFiles
    from application.imports import import_alerts
    from application.indicators import Cadences
    from application.settings import Settings
    from bench.common import BY
    from projections.runner import Projections

    started = _max_rss()
    settings = Settings(**{k: Path(v) if k == "sqlite_path" else v for k, v in spec["settings"].items()})
    path = Path(spec["path"])
    app = CaseFiles(settings)
    projections = Projections(app)
    began = time.perf_counter()
    projections.catch_up()
    first_catch_up = time.perf_counter() - began
    commands = [name for name in ("execute", "hold_unmatched_alert") if hasattr(app, name)]
    spent = dict.fromkeys(["find_household", *commands], 0.0)
    calls = dict.fromkeys(["find_household", *commands], 0)
    clock = time.perf_counter

    def find_household(id_number: str, day: Any) -> str | None:
        began = clock()
        found = app.household_code_on(id_number, day)
        spent["find_household"] += clock() - began
        calls["find_household"] += 1
        return found

    def timed(name: str) -> Callable[..., Any]:
        command = getattr(app, name)

        def run(*args: Any, **kwargs: Any) -> Any:
            began = clock()
            try:
                return command(*args, **kwargs)
            finally:
                spent[name] += clock() - began
                calls[name] += 1

        return run

    for name in commands:
        setattr(app, name, timed(name))
    samples: list[tuple[int, int]] = []
    last = [time.monotonic()]
    rows = spec["rows"]

    def progress(done: int, total: int | None) -> None:
        if done * 10 // rows > len(samples):
            samples.append((done, _rss_now()))
        if time.monotonic() - last[0] > 15:
            last[0] = time.monotonic()
            rate = done / (time.perf_counter() - began)
            print(f"    {spec['label']}: {done:,}/{rows:,} rows, {rate:,.0f} rows/s, "
                  f"RSS {_rss_now() / MB:.0f} MB", file=sys.stderr, flush=True)

    ready = _max_rss()
    ready_now = _rss_now()
    began = time.perf_counter()
    duties = Cadences.load(settings.cadences_path).duties
    summary = import_alerts(app, path, department=DEPARTMENT, tier=TIER, period=PERIOD, by=BY,
                            find_household=find_household, duties=duties, progress=progress)
    seconds = time.perf_counter() - began
    after_import = _max_rss()
    began = time.perf_counter()
    caught_up = projections.catch_up()
    catch_up = time.perf_counter() - began
    after_catch_up = _max_rss()
    projections.close()
    app.close()
    problems: dict[str, int] = {}
    for _number, reason in summary.problems:
        key = re.sub(r"[0-9X]{15,18}|第 \d+ 行|“[^”]*”|（[^）]*）", "…", reason)[:40]
        problems[key] = problems.get(key, 0) + 1
    return {
        "seconds": seconds, "rows_read": summary.rows_read, "recorded": summary.recorded,
        "rejected": summary.rejected, "new_cases": summary.new_cases, "joined": summary.joined,
        "duplicates": summary.duplicates, "unmatched": summary.unmatched, "repeated": summary.repeated,
        "errors_bytes": len(summary.errors or b""), "problems": problems,
        "rss_start": started, "rss_ready": ready, "rss_ready_now": ready_now, "rss_import": after_import,
        "rss_catch_up": after_catch_up, "samples": samples, "spent": spent, "calls": calls,
        "first_catch_up": first_catch_up, "catch_up_seconds": catch_up, "caught_up": caught_up,
    }


def _child_read(spec: dict[str, Any]) -> dict[str, Any]:
    """Read (and, for ``check``, check) every row of the workbook; nothing recorded."""
    path = Path(spec["path"])
    started = _max_rss()
    if spec["how"] == "check":
        from application.intake import ALERT_COLUMNS, check_row, open_sheet

        began = time.perf_counter()
        sheet = open_sheet(path, ALERT_COLUMNS)
        rows = ok = 0
        for rows, row in enumerate(sheet.rows, start=1):  # noqa: B007 — the count is kept
            ok += check_row(row, ALERT_COLUMNS).ok
    elif spec["how"] == "merged":
        from application.intake import _merged_rows

        began = time.perf_counter()
        rows = ok = len(_merged_rows(path))
    else:
        from openpyxl import load_workbook

        began = time.perf_counter()
        book = load_workbook(path, read_only=True, data_only=True)
        rows = ok = 0
        for _cells in book.worksheets[0].iter_rows(values_only=True):
            rows += 1
        rows -= 1  # the header
        book.close()
    return {"seconds": time.perf_counter() - began, "rows": rows, "ok": ok, "rss_start": started,
            "rss_peak": _max_rss()}


# ---------------------------------------------------------------------------------- the raw side


class _RawInserts:
    """The same rows inserted with plain sqlite3 / psycopg into a table of the workbook's columns
    plus a JSON state, on a scratch file or schema."""

    COLUMNS = ("row_number", "id_number", "risk_types", "occurred_on", "description", "disaster_kind",
               "problems", "township", "village", "state")

    def __init__(self, backend: str, directory: Path | None, schema: str | None) -> None:
        self.backend = backend
        if backend == "sqlite":
            assert directory is not None
            self.conn: Any = sqlite3.connect(directory / "raw-alerts.sqlite3", isolation_level=None)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=FULL")  # what the library's SQLite store uses
            self.conn.execute("CREATE TABLE raw_alerts (id INTEGER PRIMARY KEY, row_number INTEGER, "
                              "id_number TEXT, risk_types TEXT, occurred_on TEXT, description TEXT, "
                              "disaster_kind TEXT, problems TEXT, township TEXT, village TEXT, state TEXT)")
            mark = "?"
        else:
            self.conn = psycopg.connect(POSTGRES_URL, autocommit=True)
            self.conn.execute(f'SET search_path TO "{schema}"')
            self.conn.execute("CREATE TABLE raw_alerts (id bigserial PRIMARY KEY, row_number int, "
                              "id_number text, risk_types text, occurred_on text, description text, "
                              "disaster_kind text, problems text, township text, village text, state jsonb)")
            mark = "%s"
        self.sql = (f"INSERT INTO raw_alerts ({', '.join(self.COLUMNS)}) "
                    f"VALUES ({', '.join([mark] * len(self.COLUMNS))})")

    def reset(self) -> None:
        self.conn.execute("DELETE FROM raw_alerts")

    @staticmethod
    def _params(number: int, cells: list[Any], batch_id: str) -> tuple[Any, ...]:
        person, risk, when, description, disaster, problems, township, village = (
            None if c is None else str(c) for c in cells)
        state = json.dumps({
            "alert_id": f"{DEPARTMENT}:{batch_id}:{number}", "channel": "部门筛查预警",
            "person_id_number": person, "risk_types": (risk or "").split("、"), "description": description,
            "period": PERIOD[:7], "department": DEPARTMENT.value, "tier": TIER.value, "batch_id": batch_id,
            "disaster_kind": disaster, "problems": [problems] if problems else [], "occurred_on": when,
        }, ensure_ascii=False)
        return (number, person, risk, when, description, disaster, problems, township, village, state)

    def one_per_transaction(self, rows: list[list[Any]]) -> float:
        began = time.perf_counter()
        execute, params = self.conn.execute, self._params
        for number, cells in enumerate(rows, start=2):
            execute(self.sql, params(number, cells, "raw"))  # autocommit: one transaction each
        return time.perf_counter() - began

    def batches(self, rows: list[list[Any]], size: int = BATCH) -> float:
        began = time.perf_counter()
        params = self._params
        for start in range(0, len(rows), size):
            batch = [params(n, cells, "raw")
                     for n, cells in enumerate(rows[start:start + size], start=start + 2)]
            if self.backend == "sqlite":
                self.conn.execute("BEGIN")
                self.conn.executemany(self.sql, batch)
                self.conn.execute("COMMIT")
            else:
                with self.conn.transaction(), self.conn.cursor() as cursor:
                    cursor.executemany(self.sql, batch)
        return time.perf_counter() - began

    def close(self) -> None:
        self.conn.close()


def _raw(backend: str, rows: list[list[Any]]) -> tuple[float, float]:
    """Seconds to insert ``rows`` one per transaction, and in batches of `BATCH`."""
    with backend_settings(backend) as settings:
        directory = settings.sqlite_file.parent if backend == "sqlite" else None
        raw = _RawInserts(backend, directory, settings.postgres_schema)
        try:
            single = raw.one_per_transaction(rows)
            raw.reset()
            batched = raw.batches(rows)
        finally:
            raw.close()
    return single, batched


# ---------------------------------------------------------------------------------- the benchmark


def _settings_spec(settings: Any) -> dict[str, Any]:
    if settings.backend == "sqlite":
        return {"sqlite_path": str(settings.sqlite_file)}
    return {"database_url": settings.database_url, "postgres_schema": settings.postgres_schema}


def _import_once(backend: str, households: int, path: Path, rows: int) -> tuple[dict[str, Any], str, float]:
    began = time.perf_counter()
    with http.working_county(backend, households) as (settings, how):
        ready = time.perf_counter() - began
        _progress(f"  {backend}: importing {rows:,} rows (a working copy of the county, ready in "
                  f"{ready:.0f} s)")
        result = _child_command("import", settings=_settings_spec(settings), path=str(path), rows=rows,
                                label=f"{backend} {rows:,}")
    return result, how, ready


def run(backend: str, *, quick: bool = False) -> list[Result]:
    work = size(quick)
    big, big_how = workbook(work.households, work.rows)
    small, _ = workbook(work.households, work.small_rows)
    people = _people(work.households)
    rows = list(alert_rows(people, work.rows))
    del people

    ours, how, _ = _import_once(backend, work.households, big, work.rows)
    little, _, _ = _import_once(backend, work.households, small, work.small_rows)
    _progress(f"  {backend}: raw inserts of {work.rows:,} rows")
    single, batched = _raw(backend, rows)

    ours_rate = ours["rows_read"] / ours["seconds"]
    single_rate, batch_rate = len(rows) / single, len(rows) / batched
    peak, small_peak = ours["rss_import"] / MB, little["rss_import"] / MB
    if ours["rows_read"] != work.rows:
        PROBLEMS.append(f"{backend}: the import read {ours['rows_read']:,} rows of {work.rows:,}.")
    if peak >= RSS_LIMIT_MB:
        PROBLEMS.append(f"{backend}: the import's peak RSS was {peak:.0f} MB "
                        f"(target: under {RSS_LIMIT_MB:.0f}).")
    growth = (ours["rss_import"] - little["rss_import"]) / max(work.rows - work.small_rows, 1)
    if ours["rss_catch_up"] / MB >= RSS_LIMIT_MB:
        NOTES.append(f"{backend}: the read models' catch-up after the import, which `fangpin import alerts` "
                     f"runs in the same process, took that process to {ours['rss_catch_up'] / MB:.0f} MB "
                     f"(the import alone: {peak:.0f} MB).")
    spent, calls = ours["spent"], ours["calls"]
    rest = ours["seconds"] - sum(spent.values())
    where = ", ".join(f"`{name}` {spent[name]:.0f} s ({spent[name] / max(calls[name], 1) * 1e3:.2f} ms × "
                      f"{calls[name]:,})" for name in spent)
    samples = ", ".join(f"{done // 1000:,}k {rss / MB:.0f}" for done, rss in ours["samples"])
    top = "; ".join(f"{reason} ×{n}" for reason, n in
                    sorted(ours["problems"].items(), key=lambda kv: -kv[1])[:6])
    NOTES.append(
        f"{backend}: import of {work.rows:,} alert rows on {how} (workbook {big_how}): "
        f"{ours['seconds']:.0f} s, {ours_rate:,.0f} rows/s (one run); recorded {ours['recorded']:,} "
        f"(new cases {ours['new_cases']:,}, joined {ours['joined']:,}, duplicate pushes "
        f"{ours['duplicates']:,}), "
        f"rejected {ours['rejected']:,} (error workbook {ours['errors_bytes'] / 1024:,.0f} KiB); "
        f"unmatched {ours['unmatched']:,}. Time: {where}; reading, checking and the rest "
        f"{rest:.0f} s. Raw inserts: "
        f"{single_rate:,.0f} rows/s one per transaction, {batch_rate:,.0f} rows/s in transactions of "
        f"{BATCH:,} ({batch_rate / single_rate:.0f}× the former). Read models caught up after the "
        f"import ({ours['caught_up']:,} notifications) in {ours['catch_up_seconds']:.0f} s, as the CLI "
        f"does (not in the rate). First problems listed: {top or 'none'}.")
    NOTES.append(
        f"{backend}: peak RSS of the importing process (VmHWM): {peak:.0f} MB for {work.rows:,} rows, "
        f"{small_peak:.0f} MB for {work.small_rows:,} (so {growth:,.0f} B more a row); "
        f"{ours['rss_ready'] / MB:.0f} MB before the import "
        f"(interpreter, application, read models caught up), {ours['rss_start'] / MB:.0f} MB at start; "
        f"{ours['rss_catch_up'] / MB:.0f} MB after the catch-up that follows. RSS through the import "
        f"(rows: MB): {samples}.")
    return [
        Result(f"import a {work.rows:,}-row alert workbook (`import_alerts`: read, check, find the "
               f"household, one command per row; {ours['rejected']:,} rejected) vs raw insert, one row "
               "per transaction",
               backend, ours_rate, single_rate),
        Result(f"import a {work.rows:,}-row alert workbook vs raw insert in transactions of {BATCH:,} rows",
               backend, ours_rate, batch_rate),
        Result(f"peak RSS importing {work.rows:,} rows, in MB, vs importing {work.small_rows:,} rows "
               "(child process VmHWM; flat: 100%)",
               backend, peak, small_peak, unit=" MB", limit=RSS_LIMIT_MB),
    ]


def run_reading(*, quick: bool = False, repeats: int = READ_REPEATS) -> list[Result]:
    """Reading and checking the workbook without recording, vs openpyxl's own read; no database."""
    work = size(quick)
    path, how = workbook(work.households, work.rows)
    ours_times, raw_times, ratios, peaks, raw_peaks = [], [], [], [], []
    for index in range(repeats):
        ours = _child_command("read", path=str(path), how="check")
        raw = _child_command("read", path=str(path), how="openpyxl")
        ours_times.append(ours["seconds"])
        raw_times.append(raw["seconds"])
        ratios.append(raw["seconds"] / ours["seconds"])
        peaks.append(ours["rss_peak"])
        raw_peaks.append(raw["rss_peak"])
        _progress(f"  read {index + 1}/{repeats}: read + check {ours['seconds']:.1f} s, "
                  f"openpyxl alone {raw['seconds']:.1f} s")
    merged = _child_command("read", path=str(path), how="merged")
    shared = shared_strings_copy(path)
    shared_ours = _child_command("read", path=str(shared), how="check")
    small, _ = workbook(work.households, work.small_rows)
    shared_small = _child_command("read", path=str(shared_strings_copy(small)), how="check")
    inline_small = _child_command("read", path=str(small), how="check")
    rows = ours["rows"]
    NOTES.append(
        f"reading the {rows:,}-row workbook ({path.stat().st_size / MB:.1f} MB, {how}): read + check "
        f"{statistics.median(ours_times):.1f} s ({ours['ok']:,} rows pass the checks), openpyxl alone "
        f"{statistics.median(raw_times):.1f} s; of the former, the pass looking for merged cells "
        f"(`intake._merged_rows`, a second parse of the sheet's XML) {merged['seconds']:.1f} s. Peak RSS "
        f"of the reading process: {max(peaks) / MB:.0f} MB ({inline_small['rss_peak'] / MB:.0f} MB at "
        f"{work.small_rows:,} rows), openpyxl alone {max(raw_peaks) / MB:.0f} MB; the same rows saved "
        f"with a shared-strings table as Excel saves them ({shared.stat().st_size / MB:.1f} MB): "
        f"{shared_ours['rss_peak'] / MB:.0f} MB ({shared_small['rss_peak'] / MB:.0f} MB at "
        f"{work.small_rows:,} rows), read + check in {shared_ours['seconds']:.1f} s.")
    return [Result(f"read + check a {rows:,}-row alert workbook (`open_sheet` + `check_row`, nothing "
                   "recorded) vs openpyxl read-only `iter_rows` alone",
                   "file", rows / statistics.median(ours_times), rows / statistics.median(raw_times),
                   paired_ratio=statistics.median(ratios))]


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


CHILDREN: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "import": _child_import, "read": _child_read}


if __name__ == "__main__":
    mode, spec = sys.argv[1], json.loads(sys.argv[2])
    print(json.dumps(CHILDREN[mode](spec), default=str))
