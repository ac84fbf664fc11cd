"""The soak's report (``docs/soak.md``): what was asked, what the server answered, how its memory
went, whether the read models and the log agree, and the audit at the end."""

from __future__ import annotations

import json
import os
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bench.soak import Plan, Run

#: A process's memory is flat when, after its warm-up, it grew by no more than this (MB) or
#: this share of what it held when warm, whichever is more.
FLAT_GROWTH_MB = 20.0
FLAT_GROWTH_SHARE = 0.10
#: A process warms up for this much of its life, at most `WARM_UP_MINUTES`.
WARM_UP_SHARE, WARM_UP_MINUTES = 1 / 3, 5.0
#: Memory that is not the server's: shown, never judged.
NOT_JUDGED = {"soak clients"}
COLUMNS = ("serve (parent)", "worker 1", "worker 2", "worker 3", "worker 4", "projections",
           "resource tracker", "soak clients")


@dataclass
class Sample:
    """At ``elapsed`` seconds: resident MB of each (process, pid), requests and failures so far."""

    elapsed: float
    memory: dict[tuple[str, int], float]
    requests: int
    failures: int
    lag: int  # events in the log that the slowest read model has not applied yet
    #: pid -> (entries, bytes, bound) of that server process's aggregate cache (``/health``)
    cache: dict[int, tuple[int, int, int]] = field(default_factory=dict)


@dataclass
class Facts:
    """What the end of the run found."""

    events_before: int = 0
    events_after: int = 0
    caught_up: float | None = None
    projection_status: str = ""
    equalities: list[tuple[str, int, int]] = field(default_factory=list)
    audit: str = ""
    audit_clean: bool = False
    tracebacks: list[str] = field(default_factory=list)
    traceback_count: int = 0
    machine: str = ""
    database: str = ""
    postgres: str = ""
    households: int = 0
    users: list[Any] = field(default_factory=list)


@dataclass
class Verdict:
    process: str
    pid: int
    minutes: tuple[float, float]
    warm_mb: float | None
    end_mb: float | None
    slope: float | None  # MB per minute after warm-up
    flat: bool | None  # None: too short a life to judge
    #: MB the process's aggregate cache grew by over the same samples (None: it did not say)
    cache_growth: float | None = None

    @property
    def growth(self) -> float | None:
        return None if self.warm_mb is None or self.end_mb is None else self.end_mb - self.warm_mb

    @property
    def growth_beyond_cache(self) -> float | None:
        """Growth not explained by the bounded aggregate cache filling up (what a leak would be)."""
        growth = self.growth
        return growth if growth is None or self.cache_growth is None else growth - self.cache_growth


def flat_verdicts(samples: list[Sample], minutes: float) -> list[Verdict]:
    """For each process's life (one pid): its memory after warm-up, first three samples against
    the last three, and the least-squares slope."""
    lives: dict[tuple[str, int], list[tuple[float, float]]] = {}
    cached: dict[int, list[tuple[float, float]]] = {}
    for sample in samples:
        for key, rss in sample.memory.items():
            lives.setdefault(key, []).append((sample.elapsed / 60, rss))
        for pid, (_, held, _) in sample.cache.items():
            cached.setdefault(pid, []).append((sample.elapsed / 60, held / 2**20))
    verdicts = []
    for (process, pid), points in lives.items():
        start, end = points[0][0], points[-1][0]
        warm = start + min(WARM_UP_MINUTES, (end - start) * WARM_UP_SHARE)
        after = [p for p in points if p[0] >= warm]
        if len(after) < 4:
            verdicts.append(Verdict(process, pid, (start, end), None, None, None, None))
            continue
        warm_mb = statistics.median(rss for _, rss in after[:3])
        end_mb = statistics.median(rss for _, rss in after[-3:])
        xs, ys = [x for x, _ in after], [y for _, y in after]
        mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
        spread = sum((x - mean_x) ** 2 for x in xs)
        slope = sum((x - mean_x) * (y - mean_y) for x, y in after) / spread if spread else 0.0
        cache_growth = _cache_growth(cached.get(pid, []), after)
        beyond = end_mb - warm_mb - (cache_growth or 0.0)
        flat = beyond <= max(FLAT_GROWTH_MB, FLAT_GROWTH_SHARE * warm_mb)
        verdicts.append(Verdict(process, pid, (start, end), warm_mb, end_mb, slope,
                                None if process in NOT_JUDGED else flat, cache_growth))
    return sorted(verdicts, key=lambda v: (v.minutes[0], _column(v.process)))


def _cache_growth(held: list[tuple[float, float]], after: list[tuple[float, float]],
                  ) -> float | None:
    """MB the cache grew by between the first three and the last three samples of ``after``
    (medians, as for the memory), or None when the worker never said."""
    if not held:
        return None
    first, last = {x for x, _ in after[:3]}, {x for x, _ in after[-3:]}
    start = [mb for x, mb in held if x in first] or [held[0][1]]
    end = [mb for x, mb in held if x in last] or [held[-1][1]]
    return statistics.median(end) - statistics.median(start)


def _column(process: str) -> int:
    return COLUMNS.index(process) if process in COLUMNS else len(COLUMNS)


def _ms(values: list[float], fraction: float) -> str:
    if not values:
        return ""
    ordered = sorted(values)
    return f"{ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))] * 1000:,.0f}"


def write_report(path: Path, plan: Plan, run: Run, facts: Facts, verdicts: list[Verdict]) -> bool:
    """Write the report; True when every target was met."""
    tally = run.tally
    server_errors, connection = tally.total("server_errors"), tally.total("connection")
    unequal = [e for e in facts.equalities if e[1] != e[2]]
    not_flat = [v for v in verdicts if v.flat is False]
    checks = [
        (server_errors == 0 and connection == 0,
         f"no 5xx and no connection failure outside the restart window ({server_errors} 5xx, {connection} "
         f"connection failures; {tally.total('restart')} failed during the server restart)"),
        (not not_flat, "memory flat after warm-up in every server process"
         + (f" (not: {', '.join(f'{v.process} {v.pid}' for v in not_flat)})" if not_flat else "")),
        (facts.caught_up is not None and not unequal, "events written equal read-model rows"
         + (f" (not: {'; '.join(e[0] for e in unequal)})" if unequal else "")),
        (facts.audit_clean, "`fangpin audit verify` clean"),
    ]
    ok = all(passed for passed, _ in checks)
    total = tally.total("requests")
    elapsed = run.samples[-1].elapsed if run.samples else plan.minutes * 60
    server_env = os.environ.get("SOAK_SERVER_ENV", "").strip()
    lines = [
        "# Soak test", "",
        "`make soak` (`python -m bench.soak`, not run in CI): the served API on PostgreSQL for a set time, "
        "with simulated county staff of every role at work, a projection-process restart and a server "
        "restart part-way. Written by the run itself; see `bench/soak.py` for how.", "",
        f"**{'All targets met' if ok else 'TARGETS MISSED'}.**", "",
        *(f"- {'✅' if passed else '❌'} {text}" for passed, text in checks), "",
        "## Settings", "",
        f"- Duration: {plan.minutes:g} minutes (`SOAK_MINUTES`); {len(facts.users)} simulated users "
        f"(`SOAK_USERS`), think time {plan.think[0]:g}–{plan.think[1]:g} s (`SOAK_THINK`)",
        f"- Users by role: {_roles(facts.users)}",
        f"- County: demo county of {facts.households:,} households (`SOAK_HOUSEHOLDS`), "
        f"{facts.events_before:,} events at the start, {facts.events_after:,} at the end "
        f"(+{facts.events_after - facts.events_before:,})",
        f"- Back end: PostgreSQL {facts.postgres} (database `{facts.database}`), `fangpin serve --workers "
        f"{plan.workers}` (uvicorn workers and one projection process)"
        + (f"; server environment `{server_env}` (`SOAK_SERVER_ENV`)" if server_env else ""),
        f"- Machine: {facts.machine}; the simulated users, the server and PostgreSQL share it",
        f"- Requests: {total:,} in {elapsed / 60:.1f} min ({total / max(elapsed, 1):.1f}/s)", "",
        "## Restarts and other events", "",
        "| at (min) | what |", "|---:|---|",
        *(f"| {at / 60:.1f} | {text} |" for at, text in run.timeline), "",
        "## Requests by route", "",
        "Latency as the client saw it (ms). *4xx expected*: requests invalid on purpose; *4xx unexpected*: "
        "valid requests refused (a lost race, a step the case no longer needed); *busy*: 503 FIGURES_BUSY, "
        "sent again after its Retry-After (the retry counted as a request of its own); *restart*: failed "
        "while the server restarted.", "",
        "| route | requests | 2xx/3xx | 4xx expected | 4xx unexpected | 5xx | busy | connection | restart "
        "| p50 | p95 | p99 | max |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, route in sorted(tally.routes.items(), key=lambda item: -item[1].requests):
        counts = (route.requests, route.ok, route.expected_4xx, route.unexpected_4xx, route.server_errors,
                  route.busy, route.connection, route.restart)
        lines.append(f"| `{name}` | " + " | ".join(f"{n:,}" for n in counts) + " | "
                     + " | ".join(_ms(route.latencies, f) for f in (0.5, 0.95, 0.99, 1.0)) + " |")
    every = [x for route in tally.routes.values() for x in route.latencies]
    counts = tuple(tally.total(what) for what in ("ok", "expected_4xx", "unexpected_4xx", "server_errors",
                                                   "busy", "connection", "restart"))
    lines.append(f"| **all** | **{total:,}** | " + " | ".join(f"{n:,}" for n in counts) + " | "
                 + " | ".join(_ms(every, f) for f in (0.5, 0.95, 0.99, 1.0)) + " |")
    lines += ["", "## Failures (first few of each kind)", ""]
    if not tally.samples:
        lines.append("None.")
    for kind, texts in sorted(tally.samples.items()):
        lines += [f"**{kind}**", "", "```", *(t.replace("```", "'''") for t in texts), "```", ""]
    lines += ["", "## Memory of each process (VmRSS, MB)", "",
              f"Sampled every {plan.sample_seconds:g} s, with the requests and failures (5xx and connection "
              "failures outside the restart) since the sample before, and how far the slowest read model was "
              "behind the log. A new pid after a restart is marked with its pid. "
              f"A process is flat when, after its warm-up (a third of its life, at most {WARM_UP_MINUTES:g} "
              f"minutes), it grew by at most {FLAT_GROWTH_MB:g} MB or {FLAT_GROWTH_SHARE:.0%}, whichever "
              "is more (median of its first three samples after warm-up against its last three), not "
              "counting what its aggregate cache grew by meanwhile: the cache is bounded "
              "(`FANGPIN_CACHE_MB`) and says what it holds, so growth beyond it is what would be a leak.",
              "",
              "| process | pid | life (min) | after warm-up (MB) | at the end (MB) | growth (MB) "
              "| of which cache (MB) | growth beyond the cache (MB) | slope (MB/min) | flat |",
              "|---|---:|---|---:|---:|---:|---:|---:|---:|---|"]
    for v in verdicts:
        unjudged = "not judged" if v.process in NOT_JUDGED else "too short"
        judged = {True: "yes", False: "**NO**", None: unjudged}
        lines.append(f"| {v.process} | {v.pid} | {v.minutes[0]:.1f}–{v.minutes[1]:.1f} | {_mb(v.warm_mb)} | "
                     f"{_mb(v.end_mb)} | {_mb(v.growth)} | {_mb(v.cache_growth)} | "
                     f"{_mb(v.growth_beyond_cache)} | "
                     f"{'' if v.slope is None else f'{v.slope:+.2f}'} | "
                     f"{judged[v.flat]} |")
    lines += ["", *_memory_table(run.samples), ""]
    lines += _cache_table(run.samples)
    lines += ["## Events written vs read-model rows", "",
              "After the last request the read models were "
              + ("NOT caught up (in 300 s)." if facts.caught_up is None
                 else f"caught up in {facts.caught_up:.1f} s."), "",
              "| what | log | read model | equal |", "|---|---:|---:|---|"]
    lines += [f"| {label} | {log:,} | {rows:,} | {'yes' if log == rows else '**NO**'} |"
              for label, log, rows in facts.equalities]
    lines += ["", "`fangpin projections status`:", "", "```", facts.projection_status, "```", "",
              "## `fangpin audit verify`", "", "```", _audit(facts.audit), "```", "",
              "## Server log", "",
              f"{facts.traceback_count} traceback(s) in the server's log"
              + (", the first:" if facts.tracebacks else "."), ""]
    for block in facts.tracebacks:
        lines += ["```", "Traceback (most recent call last):" + block.strip()[-3000:], "```", ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines).rstrip() + "\n", encoding="utf-8")
    return ok


def _mb(value: float | None) -> str:
    return "" if value is None else f"{value:,.0f}"


def _roles(users: list[Any]) -> str:
    counts: dict[str, int] = {}
    for who in users:
        counts[str(who.role)] = counts.get(str(who.role), 0) + 1
    return ", ".join(f"{role} {count}" for role, count in counts.items())


def _audit(text: str) -> str:
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return text
    findings = data.get("findings") or []
    shown = {k: v for k, v in data.items() if k != "findings"}
    return json.dumps({**shown, "findings": findings[:20]}, ensure_ascii=False, indent=2)


def _memory_table(samples: list[Sample]) -> list[str]:
    present = [c for c in COLUMNS if any(key[0] == c for s in samples for key in s.memory)]
    lines = ["| minute | requests | failures | read models behind (events) | " + " | ".join(present) + " |",
             "|---:|---:|---:|---:|" + "---:|" * len(present)]
    last_pid: dict[str, int] = {}
    previous = (0, 0)
    for sample in samples:
        cells = []
        for column in present:
            found = [(pid, rss) for (what, pid), rss in sample.memory.items() if what == column]
            if not found:
                cells.append("")
                continue
            pid, rss = found[0]
            mark = f" (pid {pid})" if column in last_pid and last_pid[column] != pid else ""
            last_pid[column] = pid
            cells.append(f"{rss:,.0f}{mark}")
        lines.append(f"| {sample.elapsed / 60:.1f} | {sample.requests - previous[0]:,} | "
                     f"{sample.failures - previous[1]:,} | {sample.lag:,} | " + " | ".join(cells) + " |")
        previous = (sample.requests, sample.failures)
    return lines


def _cache_table(samples: list[Sample]) -> list[str]:
    """Each worker's aggregate cache every sample, as ``GET /health`` told it (none: the server
    did not say)."""
    if not any(sample.cache for sample in samples):
        return []
    names = {pid: what for sample in samples for (what, pid) in sample.memory}
    present = [c for c in COLUMNS if any(names.get(pid) == c for s in samples for pid in s.cache)]
    bound = max(fill[2] for sample in samples for fill in sample.cache.values())
    lines = ["## Aggregate cache of each worker", "",
             "Case files each worker keeps in memory, encoded (`application.store.cache`): entries and "
             f"MB held, from `GET /health` asked until each worker answered; bound {bound / 2**20:g} MB "
             "(`FANGPIN_CACHE_MB`). A sample without a worker's figure: it did not answer in time.", "",
             "| minute | " + " | ".join(present) + " |", "|---:|" + "---:|" * len(present)]
    for sample in samples:
        cells = []
        for column in present:
            fill = next((f for pid, f in sample.cache.items() if names.get(pid) == column), None)
            cells.append("" if fill is None else f"{fill[0]:,} / {fill[1] / 2**20:.1f}")
        lines.append(f"| {sample.elapsed / 60:.1f} | " + " | ".join(cells) + " |")
    return [*lines, ""]
