"""What every command group shares: the two consoles, the progress spinner, list formats, a worker name."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum

from rich.console import Console, ConsoleDimensions

from reviews.evidence.render_csv import neutralise

PIPED_WIDTH = 1_000_000  # "unbounded": a table piped to grep or a file keeps every cell whole


class _Stdout(Console):
    """Standard output: as wide as the terminal on a terminal; piped or redirected, as wide as each table's
    cells (whatever COLUMNS or the terminal on stdin says), so no row is cut or wrapped for a program to
    miss. Tables are drawn at their content's width, never padded to the console's."""

    @property
    def size(self) -> ConsoleDimensions:
        size = super().size
        return size if self.is_terminal else ConsoleDimensions(PIPED_WIDTH, size.height)

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        self._width, self._height = new_size


out = _Stdout(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class ListFormat(StrEnum):
    table = "table"
    json = "json"


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


def csv_cell(value: object) -> str:
    """A CSV cell a spreadsheet cannot read as a formula (the evidence export's rule)."""
    return neutralise("" if value is None else str(value))


@contextmanager
def progress(title: str) -> Iterator[Callable[[str], None]]:
    """A spinner with the current step on a terminal; silent when piped (the counts still print)."""
    if not err.is_terminal:
        yield lambda _message: None
        return
    with err.status(title) as status:
        yield lambda message: status.update(f"{title}: {message}")


def worker_name() -> str:
    """Who claims outbox rows and holds the scheduler's lease: host and process."""
    return f"{socket.gethostname()}:{os.getpid()}"
