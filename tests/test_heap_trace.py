"""The server's heap tracing (``FANGPIN_HEAP_TRACE_DIR``): a snapshot and its figures written,
and the comparison that names what grew between two of them."""

from __future__ import annotations

import json
import tracemalloc

from bench.heap_trace import compare
from interfaces.heap_trace import heap_figures, write_heap_trace


def _grown_here() -> list[bytes]:
    return [bytes(1000) + bytes([n % 256]) for n in range(2000)]


def test_a_snapshot_and_its_figures_are_written_and_the_growth_between_two_is_named(tmp_path):
    tracemalloc.start(8)
    try:
        first = write_heap_trace(tmp_path, 1, 3.0)
        kept = _grown_here()
        last = write_heap_trace(tmp_path, 2, 9.0)
    finally:
        tracemalloc.stop()
    lines = [json.loads(row) for row in next(tmp_path.glob("*.jsonl")).read_text().splitlines()]
    assert [line["number"] for line in lines] == [1, 2]
    assert lines[1]["traced"] - lines[0]["traced"] >= 2000 * 1000
    assert lines[1]["rss"] > 0
    growth = compare(first, last, 3)
    assert "_grown_here" in growth.split("by traceback:")[1].split("\n\n")[0]
    assert len(kept) == 2000


def test_without_tracing_the_figures_leave_the_traced_total_out_and_say_python_s_arenas(tmp_path):
    figures = heap_figures()
    assert "traced" not in figures
    assert figures["python_blocks"] > 0
    assert figures["pymalloc_arenas"] > 0 and figures["pymalloc_in_use"] > 0
    assert write_heap_trace(tmp_path, 1, 1.0) is None  # the figures alone, no snapshot
    assert len(list(tmp_path.iterdir())) == 1
