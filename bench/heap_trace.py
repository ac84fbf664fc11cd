"""``python -m bench.heap_trace DIR [WARM_MINUTES] [TOP]``: what a server process traced with
``FANGPIN_HEAP_TRACE_DIR=DIR`` (`interfaces.heap_trace`) grew by after its warm-up.

For each process: its figures over time (resident, traced by Python, glibc's heap), then its
first snapshot from ``WARM_MINUTES`` on (default 3) against its last, the ``TOP`` (default 12)
differences by line and by whole traceback.
"""

from __future__ import annotations

import json
import sys
import tracemalloc
from pathlib import Path

MB = 1024 * 1024
_FIGURES = ("rss", "traced", "tracing_overhead", "pymalloc_in_use", "pymalloc_free",
            "pymalloc_arenas", "malloc_in_use", "malloc_free", "malloc_arena", "malloc_mapped")
_LEFT_OUT = (tracemalloc.Filter(False, tracemalloc.__file__),
             tracemalloc.Filter(False, "<frozen importlib._bootstrap*>"))


def figures_table(lines: list[dict[str, object]]) -> str:
    """A process's figures, one row a snapshot, MB (Python's arenas: how many, of 1 MiB)."""
    rows = ["minute " + " ".join(f"{name.replace('malloc_', 'm_'):>10}" for name in _FIGURES)]
    for line in lines:
        cells = [f"{'':>10}" if not isinstance(v := line.get(name), int) else f"{v:10d}"
                 if name == "pymalloc_arenas" else f"{v / MB:10.1f}" for name in _FIGURES]
        rows.append(f"{line['minute']:6.1f} " + " ".join(cells))
    return "\n".join(rows)


def compare(early: Path, late: Path, top: int) -> str:
    """The largest growths from ``early`` to ``late``, by line and by traceback."""
    first = tracemalloc.Snapshot.load(str(early)).filter_traces(_LEFT_OUT)
    last = tracemalloc.Snapshot.load(str(late)).filter_traces(_LEFT_OUT)
    total = sum(s.size for s in last.statistics("filename")) - sum(
        s.size for s in first.statistics("filename"))
    out = [f"{early.name} -> {late.name}: traced {total / MB:+.2f} MB", "", "by line:"]
    for stat in last.compare_to(first, "lineno")[:top]:
        out.append(f"  {stat.size_diff / 1024:+9.1f} kB {stat.count_diff:+7d} blocks  "
                   f"{stat.traceback[0]}")
    out.append("by traceback:")
    for stat in last.compare_to(first, "traceback")[:top]:
        out.append(f"  {stat.size_diff / 1024:+9.1f} kB {stat.count_diff:+7d} blocks "
                   f"(now {stat.size / 1024:.1f} kB)")
        out.extend(f"    {row}" for row in stat.traceback.format(limit=12, most_recent_first=True))
    return "\n".join(out)


def main(argv: list[str]) -> int:
    directory = Path(argv[0])
    warm = float(argv[1]) if len(argv) > 1 else 3.0
    top = int(argv[2]) if len(argv) > 2 else 12
    for figures in sorted(directory.glob("*.jsonl")):
        pid = figures.stem
        lines = [json.loads(row) for row in figures.read_text().splitlines() if row]
        print(f"== process {pid}\n{figures_table(lines)}\n")
        after = [line for line in lines if float(line["minute"]) >= warm]  # type: ignore[arg-type]
        if len(after) < 2:
            continue
        early, late = (directory / f"{pid}-{line['number']:02d}.tracemalloc"
                       for line in (after[0], after[-1]))
        if early.exists() and late.exists():  # not with FANGPIN_HEAP_TRACE_FRAMES=0
            print(compare(early, late, top), "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
