"""Progress bars for the long commands (demo, import, projections rebuild, audit verify and
checkpoint, export, log export and import): drawn by ``rich`` on standard error, and only when
standard error is a terminal and ``--quiet`` was not given — so a script, a pipe or a test reads
exactly the output it read before, with no bar in it.

The work itself reports how far it is through a callback ``tick(done, total)`` that the
application and projection layers already take (``progress=``); nothing below the command
line knows how it is drawn. ``total`` may be None where the end is not known (rows of a file
still being read)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

#: How far a piece of work is: ``tick(done, total)``.
Tick = Callable[[int, "int | None"], None]
T = TypeVar("T")


def add_quiet(parser: argparse.ArgumentParser) -> None:
    """The ``--quiet`` option of a long command: no progress bar even on a terminal."""
    parser.add_argument("--quiet", "-q", action="store_true",
                        help="不显示进度条（输出到终端以外时本来就不显示）")


def shows_progress(args: argparse.Namespace | None) -> bool:
    """Whether a bar is drawn: standard error is a terminal and ``--quiet`` was not given."""
    return not getattr(args, "quiet", False) and sys.stderr.isatty()


def _silent(done: int, total: int | None = None) -> None:
    """No bar: a script's output stays as it was."""


@contextmanager
def progress_bar(args: argparse.Namespace | None, what: str) -> Iterator[Tick]:
    """A bar named ``what`` for the length of the ``with`` block, yielding its ``tick``; a
    no-op ``tick`` when `shows_progress` says no. The bar is cleared when the block ends, so
    what the command prints afterwards reads as it would without it."""
    if not shows_progress(args):
        yield _silent
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn(), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bars:
        task = bars.add_task(what, total=None)

        def tick(done: int, total: int | None = None) -> None:
            bars.update(task, completed=done, total=total if total else None)

        yield tick


def counted(items: Iterable[T], tick: Tick, every: int = 200) -> Iterator[T]:
    """``items`` passed through, telling ``tick`` how many have gone by (total unknown)."""
    done = 0
    for item in items:
        yield item
        done += 1
        if done % every == 0:
            tick(done, None)
    tick(done, done)

