"""One cycle as a file states it, and the words every problem uses to name a key or a value.

The TOML and YAML readers (toml_file.py, yaml_file.py) each turn a file into candidates; validation.py and
references.py check them. A candidate knows how to say where a key is: `file:line: ` for YAML (from the
composed node tree), `file: ` plus a cycle label for TOML, which has no line numbers once parsed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reviews.cycles.yaml_lines import Loc

EMPTY_FILE = "the file is empty: expected a cycle (a mapping with name, schedule, …) or a list of cycles"


@dataclass(frozen=True, slots=True)
class Candidate:
    """What a file says for one cycle, and how to name a place in it."""

    data: Any
    path: Path
    label: str  # "" or "cycle 2: " (TOML files with several cycles, which have no line numbers)
    line_of: Callable[[Loc], int] | None = None  # YAML only
    raw_of: Callable[[Loc], str | None] = lambda _loc: None  # a YAML scalar as written

    def where(self, loc: Loc) -> str:
        return f"{self.path}:{self.line_of(loc)}: " if self.line_of else f"{self.path}: {self.label}"


def is_extension(key: object) -> bool:
    """Top-level keys starting with x- are ignored: a place for YAML anchors shared by several cycles."""
    return isinstance(key, str) and key.startswith("x-")


def keys_beside_cycles(wrapper: dict[str, Any]) -> str:
    """The keys beside `cycles` in a file of several cycles ("" when there are none)."""
    return ", ".join(sorted(str(key) for key in wrapper if key != "cycles" and not is_extension(key)))


def dotted(loc: Loc) -> str:
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc).lstrip(".")


def kind_of(value: Any) -> str:
    kinds = {
        str: "text",
        list: "a list",
        bool: "a boolean",
        int: "a number",
        float: "a number",
        dict: "a mapping",
    }
    kinds[type(None)] = "null (nothing)"
    return kinds.get(type(value), "a date" if isinstance(value, dt.date) else type(value).__name__)
