"""A server process's memory maintenance: what a full collection round frees (the soak found
workbooks, webs of cycles, piling up between CPython's rare full collections)."""

from __future__ import annotations

import gc
import weakref

from openpyxl import Workbook

from interfaces.serve import COLLECT_EVERY_TRIMS, TRIM_SECONDS, collect_and_trim_once, maintain_heap


def test_a_dropped_workbook_is_freed_by_the_next_round_and_not_before() -> None:
    trimmed: list[bool] = []
    was_enabled = gc.isenabled()
    gc.disable()  # no automatic collection may run between the two looks
    try:
        book = Workbook()
        book.active.append(["户编号", "户主"])
        book.active["A2"] = "130630010010001"
        dropped = weakref.ref(book)
        del book
        assert dropped() is not None, "a workbook is kept by its own cycles until a collection"
        assert collect_and_trim_once(lambda: trimmed.append(True)) > 0
        assert dropped() is None
        assert trimmed == [True], "the heap is handed back after the collection"
    finally:
        if was_enabled:
            gc.enable()


def test_the_heap_is_handed_back_every_round_and_collected_every_few() -> None:
    calls: list[str] = []
    slept: list[float] = []
    rounds = 2 * COLLECT_EVERY_TRIMS
    real_collect = gc.collect
    gc.collect = lambda *a: calls.append("collect") or 0  # type: ignore[assignment]
    try:
        maintain_heap(lambda: calls.append("trim"), slept.append, rounds=rounds)
    finally:
        gc.collect = real_collect  # type: ignore[assignment]
    assert slept == [TRIM_SECONDS] * rounds
    assert calls.count("trim") == rounds, "every round hands the freed heap back"
    assert calls.count("collect") == 2, "a full collection only every few rounds"
    assert calls[COLLECT_EVERY_TRIMS - 1:COLLECT_EVERY_TRIMS + 1] == ["collect", "trim"]
    assert TRIM_SECONDS <= 10, "freed pages are taken again within seconds: handed back often"
