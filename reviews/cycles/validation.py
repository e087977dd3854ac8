"""A candidate's data checked against the cycle model, each problem named by file, line (or label) and key.

Validation is strict: YAML 1.1 reads `yes`, `on`, `no`, `0755` and `2026-01-05` as booleans, numbers and
dates, and a value of the wrong type is reported with a hint to quote it, never coerced (the Norway
problem: `store_names: [no]` must not become `[False]` or `["False"]`). The data is first made plain JSON
values (dates become problems), then validated by pydantic in strict JSON mode, and pydantic's errors are
told in the file's words: the key as written, a close match for an unknown key.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import re
from typing import Any, get_args

from pydantic import BaseModel, ValidationError

from reviews.cycles.candidate import Candidate, dotted, is_extension, kind_of
from reviews.cycles.definition import CycleDefinition
from reviews.cycles.references import References, cross_check
from reviews.cycles.yaml_lines import Loc

MAX_VALUES = 100_000  # after expanding aliases: a "billion laughs" file stops here
MAX_DEPTH = 20  # a cycle nests 4 deep; deeper is an alias that contains itself, or not a cycle


def validate_candidate(
    candidate: Candidate, problems: list[str], references: References | None = None
) -> CycleDefinition | None:
    """The cycle the candidate defines, or None with its problems added to `problems` in reading order."""
    own: list[str] = []
    data = {key: value for key, value in candidate.data.items() if not is_extension(key)}
    try:
        plain = _plain(candidate, data, (), own, [0])
    except _Unreadable as exc:
        problems.append(f"{candidate.where(())}{exc}")
        return None
    definition = None
    try:
        # JSON mode: strict types (no "yes" → True, no 1 → "1") while enum fields still take their values.
        definition = CycleDefinition.model_validate_json(json.dumps(plain), strict=True)
    except ValidationError as exc:
        own += [_problem(candidate, error) for error in exc.errors()]
    if definition is not None and references is not None:
        own += cross_check(candidate, definition, references)
    problems += sorted(own, key=_line_number)  # a file's problems in reading order
    return None if own else definition


def _line_number(problem: str) -> int:
    found = re.match(r"[^\n]*?:(\d+): ", problem)
    return int(found[1]) if found else 0


class _Unreadable(Exception):
    """Data too large or too deep to be a cycle (aliases can make a small file either)."""


def _plain(candidate: Candidate, value: Any, loc: Loc, problems: list[str], counter: list[int]) -> Any:
    """The data as plain JSON values; dates and other typed scalars become problems (and their text)."""
    counter[0] += 1
    if counter[0] > MAX_VALUES:
        raise _Unreadable(f"more than {MAX_VALUES} values once aliases are expanded: not a cycle")
    if len(loc) > MAX_DEPTH:
        raise _Unreadable(f"{dotted(loc[:3])}…: nested more than {MAX_DEPTH} deep (an alias inside itself?)")
    if isinstance(value, dict):
        return {key: _plain(candidate, item, (*loc, key), problems, counter) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(candidate, item, (*loc, i), problems, counter) for i, item in enumerate(value)]
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, dt.date | dt.time):
        text = candidate.raw_of(loc) or value.isoformat()
        problems.append(
            f"{candidate.where(loc)}{dotted(loc)}: {text} is read as a date or time: put it in quotes"
        )
        return text
    problems.append(f"{candidate.where(loc)}{dotted(loc)}: {type(value).__name__} values are not supported")
    return None


def _problem(candidate: Candidate, error: Any) -> str:
    loc: Loc = tuple(error["loc"])
    kind, message = error["type"], error["msg"].removeprefix("Value error, ")
    if kind == "extra_forbidden":
        message = "unknown key" + _suggestion(loc)
    elif kind == "missing":
        message = "required key is missing"
    elif kind != "value_error":
        raw = candidate.raw_of(loc)
        got = raw if raw is not None else _shown(error["input"])
        if raw is not None and kind == "string_type":
            message = f"expected text, but YAML reads {raw} as {kind_of(error['input'])}: put it in quotes"
        else:
            message += f" (got {got})"
    if not loc and candidate.line_of is not None:
        named = re.match(r"[a-z_]+(?:\.[a-z_]+)*", message)  # "reviewers.fallback … is required": its line
        loc = tuple(named[0].split(".")) if named and named[0].split(".")[0] in _fields(()) else ()
        return f"{candidate.where(loc)}{message}"
    label = dotted(loc)
    return f"{candidate.where(loc)}{label}: {message}" if label else f"{candidate.where(loc)}{message}"


def _suggestion(loc: Loc) -> str:
    key = str(loc[-1])
    close = difflib.get_close_matches(key, _fields(loc[:-1]), n=1)
    if close:
        return f"; did you mean {close[0]}?"
    elsewhere = [path for path in _all_paths(CycleDefinition, "") if path.rsplit(".", 1)[-1] == key]
    return f"; did you mean {elsewhere[0]}?" if elsewhere else ""


def _fields(loc: Loc) -> list[str]:
    model: type[BaseModel] | None = CycleDefinition
    for part in loc:
        if isinstance(part, str) and model is not None:
            field = model.model_fields.get(part)
            model = _model_in(field.annotation) if field else None
    return list(model.model_fields) if model else []


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return next((m for m in map(_model_in, get_args(annotation)) if m is not None), None)


def _all_paths(model: type[BaseModel], prefix: str) -> list[str]:
    paths = []
    for name, field in model.model_fields.items():
        paths.append(prefix + name)
        inner = _model_in(field.annotation)
        if inner is not None:
            paths += _all_paths(inner, f"{prefix}{name}.")
    return paths


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "…"
