"""Run the benchmarks, print their table and write it to docs/.

    python -m bench                  # (make bench) the size table: every measure at 10,000 and 50,000
                                     # households, both back ends -> docs/performance.md
    python -m bench --large          # … and at 250,000 households
    python -m bench --all            # the per-topic benchmarks too -> docs/performance-county.md
    python -m bench --quick --all    # fewer repeats
    python -m bench --only mapper    # or --only case_file, --only rebuild, --only http, --only indicators,
                                     # --only imports, --only audit, --only scale, --only province
    python -m bench --only province --counties 10 --households 20000
                                     # a province on one PostgreSQL cluster -> docs/performance-province.md

The rebuild benchmark loads a demo county of ``FANGPIN_BENCH_HOUSEHOLDS`` households (default
175,000, about a million events) on each back end: it takes several minutes. The HTTP benchmark
drives a `fangpin serve` process on a copy of a demo county of the same size that it builds once
and keeps (``var/bench/`` and a PostgreSQL database; ``--quick``: 5,000 households). The
indicators benchmark computes the county's indicators, current and as of a past moment, on a
copy of the same county. The imports benchmark imports a 200,000-row alert workbook about that
county's people (``--quick``: 10,000 rows) on a copy of it, in a child process whose peak memory
it reports. The audit benchmark verifies, exports and imports the whole log of that county
beside a raw read of its rows. The province benchmark (`bench.province`) builds and keeps a
province of ``--counties`` demo counties of ``--households`` households each (default 10 ×
20,000; ``--quick``: 3 × 2,000), one PostgreSQL schema per county, and measures the provincial
read models' catch-up and indicators, commands in many counties at once, and (given
``FANGPIN_BENCH_STANDBY_URL``) a hot standby's lag.

Repeats per measure come from ``FANGPIN_BENCH_REPEATS`` (default 5); PostgreSQL from
``FANGPIN_BENCH_POSTGRES_URL``.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "docs" / "performance.md"
COUNTY_OUTPUT = ROOT / "docs" / "performance-county.md"
PROVINCE_OUTPUT = ROOT / "docs" / "performance-province.md"
QUICK_REPEATS = 3
HEADER = ("| measure | back end | ours | raw baseline | ratio | target |\n"
          "|---|---|--:|--:|--:|---|")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"{QUICK_REPEATS} repeats per measure instead of FANGPIN_BENCH_REPEATS (5), "
                             "and a small county for the HTTP benchmark")
    parser.add_argument("--only", choices=("scale", "mapper", "case_file", "rebuild", "http", "indicators",
                                 "imports", "audit", "province"),
                        help="run one benchmark only")
    parser.add_argument("--output", type=Path, help="where to write the report (default: "
                        "docs/performance.md for the size table, docs/performance-county.md for --all)")
    parser.add_argument("--sizes", help="county sizes in households for the size table, e.g. "
                        "10000,50000 (the default)")
    parser.add_argument("--large", action="store_true",
                        help=f"add the {250_000:,}-household county to the size table (about an hour)")
    parser.add_argument("--all", action="store_true",
                        help="the per-topic benchmarks at FANGPIN_BENCH_HOUSEHOLDS too (mapper, case "
                             "file, rebuild, HTTP, indicators, imports, audit; an hour or more) "
                             "and the province (docs/performance-province.md)")
    parser.add_argument("--counties", type=int, help="the province benchmark's counties (default 10; "
                        "--quick: 3)")
    parser.add_argument("--households", type=int, help="the province benchmark's households per "
                        "county (default 20,000; --quick: 2,000)")
    args = parser.parse_args(argv)
    if args.only == "scale" or (args.only is None and not args.all):
        return _scale_main(args)
    if args.only == "province":
        return _province_main(args)
    args.output = args.output or COUNTY_OUTPUT
    if args.quick:
        # Before bench.common is imported: its REPEATS is the default of `paired`.
        os.environ["FANGPIN_BENCH_REPEATS"] = str(QUICK_REPEATS)

    import bench.common as common
    from bench import audit, case_file, http, imports, indicators, mapper, rebuild

    if args.quick:
        common.REPEATS = QUICK_REPEATS
    repeats = common.REPEATS
    started = time.perf_counter()
    rows: list[str] = []
    problems: list[str] = []
    notes: list[str] = []

    def section(label: str, run: Callable[[], list[Any]]) -> None:
        _progress(f"{label} …")
        start = time.perf_counter()
        try:
            results = run()
        except Exception as error:
            traceback.print_exc()
            problems.append(f"{label} failed: {type(error).__name__}: {error}")
            return
        for result in results:
            rows.append(result.row())
            _progress(f"  {result.row()}")
        _progress(f"  ({time.perf_counter() - start:.0f} s)")

    postgres = common.postgres_available()
    if args.only in (None, "mapper"):
        section("mapper (in memory)", lambda: mapper.run(repeats))
        notes.extend(mapper.NOTES)
    if args.only in (None, "case_file"):
        section("case file on SQLite", lambda: case_file.run("sqlite"))
        if postgres:
            section("case file on PostgreSQL", lambda: case_file.run("postgres"))
        else:
            problems.append(f"PostgreSQL did not answer at {_safe_url(common.POSTGRES_URL)}: "
                            "its rows are missing.")
    if args.only in (None, "rebuild"):
        section(f"read-model rebuild at {rebuild.HOUSEHOLDS:,} households on SQLite",
                lambda: rebuild.run("sqlite"))
        if postgres:
            section(f"read-model rebuild at {rebuild.HOUSEHOLDS:,} households on PostgreSQL",
                    lambda: rebuild.run("postgres"))
        notes.extend(rebuild.NOTES)
    if args.only in (None, "http"):
        size = http.size(args.quick, repeats)
        section(f"HTTP API at {size.households:,} households on SQLite",
                lambda: http.run("sqlite", quick=args.quick, repeats=repeats))
        if postgres:
            section(f"HTTP API at {size.households:,} households on PostgreSQL",
                    lambda: http.run("postgres", quick=args.quick, repeats=repeats))
        elif args.only == "http":
            problems.append(f"PostgreSQL did not answer at {_safe_url(common.POSTGRES_URL)}: "
                            "its rows are missing.")
        notes.extend(http.NOTES)
    if args.only in (None, "indicators"):
        county = http.size(args.quick, repeats).households
        section(f"indicators at {county:,} households on SQLite",
                lambda: indicators.run("sqlite", quick=args.quick, repeats=repeats))
        if postgres:
            section(f"indicators at {county:,} households on PostgreSQL",
                    lambda: indicators.run("postgres", quick=args.quick, repeats=repeats))
        elif args.only == "indicators":
            problems.append(f"PostgreSQL did not answer at {_safe_url(common.POSTGRES_URL)}: "
                            "its rows are missing.")
        notes.extend(indicators.NOTES)
        problems.extend(indicators.PROBLEMS)
    if args.only in (None, "imports"):
        work = imports.size(args.quick)
        section(f"reading a {work.rows:,}-row alert workbook (no database)",
                lambda: imports.run_reading(quick=args.quick))
        section(f"importing {work.rows:,} alert rows at {work.households:,} households on SQLite",
                lambda: imports.run("sqlite", quick=args.quick))
        if postgres:
            section(f"importing {work.rows:,} alert rows at {work.households:,} households on PostgreSQL",
                    lambda: imports.run("postgres", quick=args.quick))
        elif args.only == "imports":
            problems.append(f"PostgreSQL did not answer at {_safe_url(common.POSTGRES_URL)}: "
                            "its rows are missing.")
        notes.extend(imports.NOTES)
        problems.extend(imports.PROBLEMS)
    if args.only in (None, "audit"):
        county = http.size(args.quick, repeats).households
        section(f"log verify/export/import at {county:,} households on SQLite",
                lambda: audit.run("sqlite", quick=args.quick, repeats=repeats))
        if postgres:
            section(f"log verify/export/import at {county:,} households on PostgreSQL",
                    lambda: audit.run("postgres", quick=args.quick, repeats=repeats))
        notes.extend(audit.NOTES)
        problems.extend(audit.PROBLEMS)
    elapsed = time.perf_counter() - started
    if args.only is None:  # --all: the province too, in its own file
        province = _province_main(argparse.Namespace(**{**vars(args), "output": None}))
        if province:
            problems.append("the province benchmark failed (see docs/performance-province.md)")

    table = "\n".join([HEADER, *rows])
    print(table)
    for line in notes + problems:
        print(f"- {line}")
    report = _report(table, notes, problems, repeats, elapsed, postgres, common.POSTGRES_URL,
                     case_file, mapper)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(report, encoding="utf-8")
    _progress(f"wrote {args.output} ({elapsed:.0f} s in all)")
    return 1 if any("failed" in p for p in problems) else 0


def _machine(postgres_url: str | None) -> list[str]:
    """The report's machine section (its heading and one line per fact)."""
    return [
        "## Machine",
        "",
        f"- platform: {platform.platform()}, {os.cpu_count()} CPUs",
        f"- Python {platform.python_version()} ({platform.python_implementation()})",
        f"- eventsourcing {_version('eventsourcing')}, msgspec {_version('msgspec')}, "
        f"psycopg {_version('psycopg')}",
        f"- SQLite {_sqlite_version()}",
        f"- PostgreSQL: {_postgres_version(postgres_url) if postgres_url else 'not available'}",
    ]


def _scale_main(args: argparse.Namespace) -> int:
    """The size table: every measure at each county size, beside its raw baseline."""
    import bench.common as common
    from bench import scale

    sizes = tuple(int(s) for s in args.sizes.split(",")) if args.sizes else scale.SIZES
    if args.large:
        sizes = (*sizes, scale.LARGE)
    backends = ["sqlite"] + (["postgres"] if common.postgres_available() else [])
    started = time.perf_counter()
    table, verdicts, runs = scale.run(sizes, backends)
    elapsed = time.perf_counter() - started
    print(table)
    for line in verdicts:
        print(f"- {line}")
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    events = ", ".join(f"{r.households:,} households = {r.events:,} events"
                       for r in runs if r.backend == "sqlite")
    doc = (scale.__doc__ or "").split("\n\n", 1)[1]
    report = "\n".join([
        "# Performance: how each cost grows with the county",
        "",
        f"Measured {now} with `make bench` (`python -m bench`, {elapsed:.0f} s; sizes "
        f"{', '.join(f'{s:,}' for s in sizes)}). Regenerate with the same command; `--large` adds the "
        f"{scale.LARGE:,}-household county. This file is overwritten.",
        "",
        *_machine(common.POSTGRES_URL if "postgres" in backends else None),
        f"- counties: {events}",
        "",
        "## Results",
        "",
        "Each cell: ours (raw baseline, ratio). The ratio is ours ÷ raw for rates and raw ÷ ours for",
        "times, so 100% is as fast as plain SQL and lower is slower.",
        "",
        table,
        "",
        "## Verdicts",
        "",
        *(f"- {v}" for v in verdicts or ["every measured cost grows at most linearly, and peak memory "
                                          "of the demo load and of the rebuild is flat"]),
        "",
        "## What is measured",
        "",
        doc.strip(),
        "",
        "The per-topic benchmarks (mapper, case file, HTTP API, imports, audit) at a single county",
        "size are in `docs/performance-county.md` and its siblings (`python -m bench --all`).",
        "",
    ])
    output = args.output or OUTPUT
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(report, encoding="utf-8")
    _progress(f"wrote {output} ({elapsed:.0f} s in all)")
    return 1 if verdicts else 0


def _province_main(args: argparse.Namespace) -> int:
    """The province benchmark: its table and notes in docs/performance-province.md."""
    if args.quick:
        os.environ["FANGPIN_BENCH_REPEATS"] = str(QUICK_REPEATS)
    import bench.common as common
    from bench import province

    counties = args.counties or (province.QUICK_COUNTIES if args.quick else province.COUNTIES)
    households = args.households or (province.QUICK_HOUSEHOLDS if args.quick else province.HOUSEHOLDS)
    repeats = 2 if args.quick else 3
    output = args.output or PROVINCE_OUTPUT
    if not common.postgres_available():
        _progress(f"PostgreSQL did not answer at {_safe_url(common.POSTGRES_URL)}: no province.")
        return 1
    started = time.perf_counter()
    rows: list[str] = []
    problems = province.PROBLEMS
    _progress(f"province of {counties} × {households:,} households on PostgreSQL …")
    try:
        for result in province.run(counties, households, quick=args.quick, repeats=repeats):
            rows.append(result.row())
            _progress(f"  {result.row()}")
    except Exception as error:
        traceback.print_exc()
        problems.append(f"the province benchmark failed: {type(error).__name__}: {error}")
    elapsed = time.perf_counter() - started
    table = "\n".join([HEADER, *rows])
    print(table)
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    standby = _safe_url(province.STANDBY_URL) if province.STANDBY_URL else "none given"
    doc = (province.__doc__ or "").split("\n\n", 1)[1]
    command = (f"python -m bench --only province{' --quick' if args.quick else ''} --counties "
               f"{counties} --households {households}"
               f"{f' --output {args.output}' if args.output else ''}")
    if province.STANDBY_URL:
        command = (f"FANGPIN_BENCH_POSTGRES_URL={_safe_url(common.POSTGRES_URL)} "
                   f"FANGPIN_BENCH_STANDBY_URL={standby} {command}")
    lines = [
        "# Performance: a province on one PostgreSQL cluster",
        "",
        f"Measured {now} with `{command}` ({elapsed:.0f} s). Regenerate with the same command; this "
        "file is overwritten.",
        "",
        *_machine(common.POSTGRES_URL),
        f"- hot standby: {standby}",
        f"- repeats per measure: {repeats} (commands: {repeats} rounds of every phase, "
        f"{4 if args.quick else 10} s each)",
        "",
        "## Results",
        "",
        table,
        "",
        "Ours and raw as in `docs/performance-county.md`: rates are medians (ratio ours ÷ raw, below",
        "100% slower), times are medians (ratio ours ÷ raw, above 100% slower). Command rows are",
        "the sum of the workers' rates over one timed phase of each.",
        "",
        "## What is measured",
        "",
        doc.strip(),
        "",
    ]
    if province.NOTES:
        lines += ["## What the benchmark found", "", *(f"- {n}" for n in province.NOTES), ""]
    if problems:
        lines += ["## Problems in this run", "", *(f"- {p}" for p in problems), ""]
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text("\n".join(lines).rstrip("\n") + "\n", encoding="utf-8")
    _progress(f"wrote {output} ({elapsed:.0f} s in all)")
    return 1 if problems else 0


def _report(table: str, notes: list[str], problems: list[str], repeats: int, elapsed: float,
            postgres: bool, postgres_url: str, case_file: Any, mapper: Any) -> str:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    commands = getattr(case_file, "COMMANDS", "several hundred")
    loads = getattr(case_file, "LOADS", "several hundred")
    from application.settings import Settings

    interval = Settings().snapshot_interval
    lines = [
        "# Performance",
        "",
        f"Measured {now} with `python -m bench` ({elapsed:.0f} s). Regenerate with the same command;",
        "this file is overwritten.",
        "",
        *_machine(postgres_url if postgres else None),
        f"- repeats per measure: {repeats} (`FANGPIN_BENCH_REPEATS`, default 5; `--quick` uses "
        f"{QUICK_REPEATS})",
        "",
        "## Results",
        "",
        table,
        "",
        "Ours and baseline are medians of the rates of the repeated runs; the two run alternately, so",
        "both see the same machine noise, and the ratio is the median of the per-run ratios",
        "ours/baseline. The target is the ratio the measure should reach. In rows measured in ms or",
        "s, ours and baseline are latencies or durations (lower is better; the ratio is then the",
        "median of the per-run ratios of times, above 100% when ours is slower) and the target,",
        "where there is one, is a limit on ours.",
        "",
        "## How the baselines are measured",
        "",
        "- **Mapper** (no database): every pending event of the first 300 households of the demo",
        "  county (seed 2025), mapped to stored events (encode), back (decode), and both; a run",
        f"  maps the whole batch {getattr(mapper, 'BATCHES', 10)} times. The",
        "  baseline is the library's default `Mapper` with a `JSONTranscoder` carrying `UUIDAsHex`,",
        "  `DecimalAsStr`, `DatetimeAsISO` and the transcodings our events need besides (`date` as",
        "  ISO text, `Actor` and `MemberDetails` as dicts; see `bench/mapper.py`). Here the ratio is",
        "  ours/library, so above 100% means our `MsgspecMapper` is faster (target: at least as",
        "  fast). Ours must and does give back events equal to the originals with exact types; the",
        "  library's does not (below).",
        f"- **One-event command**: {commands} commands per run, each recording one monthly visit on",
        "  a different 50-event household through the application (load from the warmed in-memory",
        "  live-aggregate cache, check the rules, save one event), against a raw insert of one ~270-byte row",
        "  per transaction into a table of the event store's shape, with plain `sqlite3` (WAL,",
        "  `synchronous=FULL` as the library's SQLite store) or `psycopg` (autocommit, a",
        "  `bigserial` notification id).",
        f"- **Load a household of 50–59 events**: {loads} loads per run, cycling through ten",
        "  households of 50 to 59 events, with the in-memory cache off so every load reads storage:",
        f"  with the default snapshot every {interval} events (taken where commands would have taken",
        "  them, so a load reads the last snapshot and replays what follows it) and with no",
        "  snapshots (replay of every event), against a raw `SELECT` of one originator's 50 rows",
        "  ordered by version, fetched but not decoded.",
        "- **Read-model rebuild**: every read model dropped and rebuilt from the demo county's log",
        "  (`Projections.rebuild`: decode, apply to the households, write their rows and the",
        "  tracking position per batch of 1,000 notifications), against plain SQL reading the same",
        "  rows in batches of 1,000 and upserting, per household touched, one row into each of six",
        "  tables as wide as the read models' tables, one transaction per batch. The monitoring",
        "  list is timed on pages of 50 rows filtered by a township and a category, with the total.",
        "- **HTTP API**: `fangpin serve` (uvicorn, one process; on PostgreSQL with its separate",
        "  read-model worker process) on a fresh copy of the demo county, driven over loopback by a",
        "  plain asyncio HTTP/1.1 client, one keep-alive connection per client, running in the",
        f"  bench process on the same {os.cpu_count()}-CPU machine as the server and the database",
        "  (its CPU per request is in the notes, beside httpx's). Commands: `POST",
        "  /api/households/{code}/visits` with all six checks passing, each on a different",
        "  household, against `CaseFiles.record_visit` called by as many threads in the bench",
        "  process on the same store, in alternating runs; the server is paused (SIGSTOP) during",
        "  in-process runs and its read models caught up between runs, so neither side pays for",
        "  the other. Queries: `GET /api/monitoring?limit=50` (with its total) from 50 clients in a",
        "  closed loop, each waiting for its answer and then thinking a random 0–2 s or 0–0.5 s",
        "  (or not at all: saturation), latency as the client sees it, against",
        "  `ReadModels.monitoring_list` called by 50 threads with the same pacing. The latency rows",
        "  give the achieved request rate in their name; their target is p99 < 30 ms.",
        "- **Indicators** (a copy of the same kept county): current figures, every indicator of",
        "  2025 from the `indicator_facts` read model (caught up first), against plain",
        "  `sqlite3`/`psycopg` reading `SELECT facts FROM rm_indicator_facts ORDER BY household_id`",
        "  in full (a server-side cursor on PostgreSQL) and `json.loads` of each row (target: under",
        "  5 s); as-of figures recomputed from the log as of 2026-01-01 (every household's events up",
        "  to the position, 500 households at a time, replayed), against plain SQL reading every row",
        "  of the events table in (originator_id, originator_version) order and `json.loads` of each",
        "  state (target: under 60 s). Peak memory: the peak of Python allocations traced by",
        "  `tracemalloc` during one untimed as-of run. The current result recomputed from the log",
        "  as of its own time and position must give the same digest (else a problem is listed).",
        "- **Alert import** (a copy of the same kept county): `import_alerts` over a workbook of",
        "  200,000 rows (`--quick`: 10,000) naming the county's people at random, about 3% of them",
        "  with a mistake that rejects them, as `fangpin import alerts` runs it (医保局, county",
        "  screening, 2025-03上旬), once, in a child process whose `VmHWM` is the peak memory",
        "  (beside a 20,000-row import: flat means the same; target under 300 MB). Against plain",
        "  `sqlite3`/`psycopg` inserting the same rows (the workbook's columns and a JSON state",
        "  serialised per row) into a scratch table, one row per transaction (the importer runs one",
        "  command per row) and in transactions of 1,000. Reading and checking alone",
        "  (`open_sheet` + `check_row`, nothing recorded) against openpyxl's read-only `iter_rows`,",
        "  alternately in child processes (no database; the back-end column says `file`).",
        "",
    ]
    if notes:
        lines += ["## What the benchmarks found", "", *(f"- {n}" for n in notes), ""]
    if problems:
        lines += ["## Problems in this run", "", *(f"- {p}" for p in problems), ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def _sqlite_version() -> str:
    import sqlite3

    return sqlite3.sqlite_version


def _postgres_version(url: str) -> str:
    try:
        import psycopg

        with psycopg.connect(url, connect_timeout=3) as conn:
            row = conn.execute("SHOW server_version").fetchone()
        return str(row[0]) if row else "unknown"
    except Exception as error:
        return f"unknown ({type(error).__name__})"


def _safe_url(url: str) -> str:
    """The URL without a password, for the report."""
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        credentials, _, host = rest.rpartition("@")
        rest = f"{credentials.split(':', 1)[0]}@{host}"
    return f"{scheme}{sep}{rest}"


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
