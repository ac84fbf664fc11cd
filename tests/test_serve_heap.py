"""A server process's memory maintenance: what a full collection round frees (the soak found
workbooks, webs of cycles, piling up between CPython's rare full collections)."""

from __future__ import annotations

import gc
import weakref

from openpyxl import Workbook

from interfaces.serve import collect_and_trim_once


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
