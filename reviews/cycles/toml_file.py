"""A TOML cycle file as candidates: one cycle (a table), or several (`[[cycles]]`).

tomllib keeps no positions once a file is parsed, so only a syntax error has a line; any other problem
names the dotted key, with a cycle label when the file holds several.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from reviews.cycles.candidate import EMPTY_FILE, Candidate, keys_beside_cycles

_TOML_WHERE = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")


def toml_candidates(path: Path, text: str, problems: list[str]) -> list[Candidate]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        at = _TOML_WHERE.search(message)
        where = f"{path}:{at[1]}" if at else str(path)
        detail = _TOML_WHERE.sub(f" (column {at[2]})" if at else "", message)
        problems.append(f"{where}: invalid TOML: {detail}")
        return []
    if not data:
        problems.append(f"{path}: {EMPTY_FILE}")
        return []
    if "cycles" not in data:
        return [Candidate(data, path, "")]
    items = data["cycles"]
    if keys_beside_cycles(data):
        problems.append(
            f"{path}: a file with [[cycles]] holds nothing else (found {keys_beside_cycles(data)})"
        )
    elif not isinstance(items, list) or not all(isinstance(item, dict) for item in items) or not items:
        problems.append(f"{path}: cycles: expected one or more [[cycles]] tables")
    else:
        many = len(items) > 1
        return [Candidate(item, path, _label(i, item) if many else "") for i, item in enumerate(items, 1)]
    return []


def _label(number: int, item: dict[str, Any]) -> str:
    name = item.get("name")
    return f"cycle {number} ({name!r}): " if isinstance(name, str) else f"cycle {number}: "
