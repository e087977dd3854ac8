"""Reading review cycles from YAML and TOML files, with every problem named by file, line and key.

A file holds one cycle (a mapping), or several: a YAML list or `cycles: [...]`, TOML `[[cycles]]`.
Validation is strict: YAML 1.1 reads `yes`, `on`, `no`, `0755` and `2026-01-05` as booleans, numbers and
dates, and a value of the wrong type is reported with a hint to quote it, never coerced (the Norway
problem: `store_names: [no]` must not become `[False]` or `["False"]`). Duplicate YAML keys, which PyYAML
would silently resolve to the last one, are an error too.

YAML problems carry the line of the key or item they concern (from the composed node tree, anchors, aliases
and `<<` merges included); TOML problems carry the line for syntax errors and the dotted key otherwise.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import re
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

import yaml
from pydantic import BaseModel, ValidationError
from yaml.nodes import Node, SequenceNode

from reviews.cycles import yaml_lines
from reviews.cycles.definition import CycleDefinition
from reviews.cycles.yaml_lines import Loc
from reviews.errors import ConfigurationError

SUFFIXES = (".yaml", ".yml", ".toml")
MAX_BYTES = 1_000_000
MAX_VALUES = 100_000  # after expanding aliases: a "billion laughs" file stops here
MAX_DEPTH = 20  # a cycle nests 4 deep; deeper is an alias that contains itself, or not a cycle
_EMPTY = "the file is empty: expected a cycle (a mapping with name, schedule, …) or a list of cycles"


@dataclass(frozen=True, slots=True)
class References:
    """What a cycle names that the configuration defines (config.py), to check a cycle against it."""

    classifications: tuple[str, ...]  # every classification a store can have
    classification_tag: str  # the AWS tag that carries it ([aws] personal_data_tag)
    systems: tuple[str, ...]  # the enabled sources


@dataclass(frozen=True, slots=True)
class _Candidate:
    """What a file says for one cycle, and how to name a place in it."""

    data: Any
    path: Path
    label: str  # "" or "cycle 2: " (TOML files with several cycles, which have no line numbers)
    line_of: Callable[[Loc], int] | None = None  # YAML only
    raw_of: Callable[[Loc], str | None] = lambda _loc: None  # a YAML scalar as written

    def where(self, loc: Loc) -> str:
        return f"{self.path}:{self.line_of(loc)}: " if self.line_of else f"{self.path}: {self.label}"


def load_cycle_file(path: Path | str) -> CycleDefinition:
    """The one cycle a file defines; ConfigurationError names each problem (several cycles is one)."""
    definitions = load_cycle_files([path])
    if len(definitions) != 1:
        raise ConfigurationError([f"{path}: holds {len(definitions)} cycles where one was expected"])
    return definitions[0]


def load_cycle_files(
    paths: Iterable[Path | str], references: References | None = None
) -> list[CycleDefinition]:
    """Every cycle the files (or the .yaml/.yml/.toml files directly in a directory) define, in order.
    Nothing is returned unless everything is valid; the error lists every problem of every file. With
    `references`, what a cycle names from the configuration is checked against it too."""
    problems: list[str] = []
    found: list[tuple[CycleDefinition, str]] = []
    for path in _expand([Path(p) for p in paths], problems):
        for candidate in _candidates(path, problems):
            definition = _validate(candidate, problems, references)
            if definition is not None:
                found.append((definition, candidate.where(("name",)).rstrip(": ")))
    first: dict[str, str] = {}
    for definition, where in found:
        if definition.name in first:
            problems.append(
                f"{where}: cycle name {definition.name!r} is already defined at {first[definition.name]}"
            )
        first.setdefault(definition.name, where)
    if problems:
        raise ConfigurationError(problems)
    return [definition for definition, _ in found]


def _expand(paths: list[Path], problems: list[str]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            inside = sorted(p for p in path.iterdir() if p.suffix.lower() in SUFFIXES and p.is_file())
            if not inside:
                problems.append(f"{path}: a directory with no {', '.join(SUFFIXES)} file")
            files += inside
        elif path.suffix.lower() not in SUFFIXES:
            problems.append(f"{path}: expected a {', '.join(SUFFIXES)} file")
        else:
            files.append(path)
    return files


def _candidates(path: Path, problems: list[str]) -> list[_Candidate]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        problems.append(f"{path}: cannot be read ({exc.strerror or exc})")
        return []
    if len(raw) > MAX_BYTES:
        problems.append(f"{path}: {len(raw)} bytes is too large for a cycle file (at most {MAX_BYTES})")
        return []
    try:
        text = raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        problems.append(f"{path}:{line}: not UTF-8 text (byte {raw[exc.start]:#04x}); save the file as UTF-8")
        return []
    parse = _toml_candidates if path.suffix.lower() == ".toml" else _yaml_candidates
    try:
        return parse(path, text, problems)
    except RecursionError:  # both parsers recurse into nested lists and mappings
        problems.append(f"{path}: nested too deeply to be a cycle")
        return []


# --- TOML ---------------------------------------------------------------------------------------------------

_TOML_WHERE = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")


def _toml_candidates(path: Path, text: str, problems: list[str]) -> list[_Candidate]:
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
        problems.append(f"{path}: {_EMPTY}")
        return []
    if "cycles" not in data:
        return [_Candidate(data, path, "")]
    items = data["cycles"]
    if _others(data):
        problems.append(f"{path}: a file with [[cycles]] holds nothing else (found {_others(data)})")
    elif not isinstance(items, list) or not all(isinstance(item, dict) for item in items) or not items:
        problems.append(f"{path}: cycles: expected one or more [[cycles]] tables")
    else:
        many = len(items) > 1
        return [_Candidate(item, path, _label(i, item) if many else "") for i, item in enumerate(items, 1)]
    return []


def _label(number: int, item: dict[str, Any]) -> str:
    name = item.get("name")
    return f"cycle {number} ({name!r}): " if isinstance(name, str) else f"cycle {number}: "


# --- YAML ---------------------------------------------------------------------------------------------------


def _yaml_candidates(path: Path, text: str, problems: list[str]) -> list[_Candidate]:
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            problems.append(f"{path}: {_EMPTY}")
            return []
        shape = yaml_lines.key_problems(root, set())
        if shape:
            problems += [f"{path}:{line}: {message}" for line, message in shape]
            return []
        data = loader.construct_document(root)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        context = (
            f" ({exc.context}, line {exc.context_mark.line + 1})" if exc.context and exc.context_mark else ""
        )
        problems.append(f"{path}:{mark.line + 1 if mark else '?'}: invalid YAML: {exc.problem}{context}")
        return []
    except yaml.YAMLError as exc:
        problems.append(f"{path}: invalid YAML: {exc}")
        return []
    finally:
        loader.dispose()
    return _split_yaml(path, root, data, problems)


def _split_yaml(path: Path, root: Node, data: Any, problems: list[str]) -> list[_Candidate]:
    def candidate(node: Node, value: Any) -> _Candidate:
        return _Candidate(
            value,
            path,
            "",
            lambda loc: yaml_lines.line_of(node, loc),
            lambda loc: yaml_lines.raw_of(node, loc),
        )

    nodes, items = [root], [data]
    if isinstance(data, dict) and "cycles" in data:
        if _others(data):
            problems.append(
                f"{path}:{root.start_mark.line + 1}: a file with `cycles:` holds nothing else "
                f"(found {_others(data)}: move them into a cycle)"
            )
            return []
        found = yaml_lines.child(root, "cycles")
        assert found is not None  # noqa: S101  (the key is in the data, so in the nodes)
        root, data = found[1], data["cycles"]
        if not isinstance(data, list):
            problems.append(f"{path}:{root.start_mark.line + 1}: cycles: expected a list of cycles")
            return []
    if isinstance(data, list) and isinstance(root, SequenceNode):
        nodes, items = root.value, data
        if not items:
            problems.append(f"{path}:{root.start_mark.line + 1}: the list of cycles is empty")
    for node, item in zip(nodes, items, strict=True):
        if isinstance(item, dict):
            continue
        problems.append(
            f"{path}:{node.start_mark.line + 1}: expected a cycle (a mapping with name, schedule, …), "
            f"found {_kind(item)}"
        )
        return []
    return [candidate(node, item) for node, item in zip(nodes, items, strict=True)]


# --- validation ---------------------------------------------------------------------------------------------


def _validate(
    candidate: _Candidate, problems: list[str], references: References | None = None
) -> CycleDefinition | None:
    own: list[str] = []
    data = {key: value for key, value in candidate.data.items() if not _extension(key)}
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
        own += _cross_check(candidate, definition, references)
    problems += sorted(own, key=_line_number)  # a file's problems in reading order
    return None if own else definition


def _cross_check(candidate: _Candidate, definition: CycleDefinition, references: References) -> list[str]:
    """What the cycle names that the configuration must define: classifications (a misspelt one would switch
    its rule off silently: no store ever has it) and the systems in scope (a disabled one never syncs, so a
    campaign could never start)."""
    problems = []
    known = ", ".join(references.classifications)

    def unknown(loc: Loc, value: str) -> None:
        close = difflib.get_close_matches(value, references.classifications, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]}? " if close else ""
        problems.append(
            f"{candidate.where(loc)}{_dotted(loc)}: unknown classification {value!r}: {hint}"
            f"(the configuration's classifications: {known})"
        )

    for i, value in enumerate(definition.justification_required_for):
        if value not in references.classifications:
            unknown(("justification_required_for", i), value)
    tag = definition.scope.store_tags.get(references.classification_tag)
    if tag is not None and tag not in references.classifications:
        unknown(("scope", "store_tags", references.classification_tag), tag)
    in_scope = [system.value for system in definition.scope.systems] or list(references.systems)
    for field, values in (
        ("store_kinds", definition.scope.store_kinds),
        ("principal_types", definition.scope.principal_types),
    ):
        for i, value in enumerate(values):
            systems = _systems_of(value.value)
            if systems and not set(systems) & set(in_scope):
                where = candidate.where(("scope", field, i))
                why = (
                    f"scope.systems lists only {', '.join(in_scope)}"
                    if definition.scope.systems
                    else f"{' or '.join(systems)} is not enabled in the configuration"
                )
                problems.append(
                    f"{where}scope.{field}[{i}]: {value.value} belongs to {' or '.join(systems)}, but {why}: "
                    "it would match nothing"
                )
    for i, system in enumerate(definition.scope.systems):
        if system.value not in references.systems:
            where = candidate.where(("scope", "systems", i))
            problems.append(
                f"{where}scope.systems[{i}]: {system.value} is not enabled "
                f"in the configuration ([{system.value}] enabled = false): it never syncs, so a campaign of "
                "this cycle could never start"
            )
    return problems


def _systems_of(kind: str) -> tuple[str, ...]:
    """The systems a store kind or principal type comes from (none named: any, as `public`). Entra users and
    service principals also hold Azure access (Azure names its principals by their Entra object id)."""
    if kind in ("entra_user", "entra_service_principal", "entra_tenant"):
        return ("entra", "azure")
    if kind.startswith("entra_"):
        return ("entra",)
    if kind.startswith("azure_"):
        return ("azure",)
    return () if kind == "public" else ("aws",)


def _line_number(problem: str) -> int:
    found = re.match(r"[^\n]*?:(\d+): ", problem)
    return int(found[1]) if found else 0


def _extension(key: object) -> bool:
    """Top-level keys starting with x- are ignored: a place for YAML anchors shared by several cycles."""
    return isinstance(key, str) and key.startswith("x-")


class _Unreadable(Exception):
    """Data too large or too deep to be a cycle (aliases can make a small file either)."""


def _plain(candidate: _Candidate, value: Any, loc: Loc, problems: list[str], counter: list[int]) -> Any:
    """The data as plain JSON values; dates and other typed scalars become problems (and their text)."""
    counter[0] += 1
    if counter[0] > MAX_VALUES:
        raise _Unreadable(f"more than {MAX_VALUES} values once aliases are expanded: not a cycle")
    if len(loc) > MAX_DEPTH:
        raise _Unreadable(f"{_dotted(loc[:3])}…: nested more than {MAX_DEPTH} deep (an alias inside itself?)")
    if isinstance(value, dict):
        return {key: _plain(candidate, item, (*loc, key), problems, counter) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(candidate, item, (*loc, i), problems, counter) for i, item in enumerate(value)]
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, dt.date | dt.time):
        text = candidate.raw_of(loc) or value.isoformat()
        problems.append(
            f"{candidate.where(loc)}{_dotted(loc)}: {text} is read as a date or time: put it in quotes"
        )
        return text
    problems.append(f"{candidate.where(loc)}{_dotted(loc)}: {type(value).__name__} values are not supported")
    return None


def _problem(candidate: _Candidate, error: Any) -> str:
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
            message = f"expected text, but YAML reads {raw} as {_kind(error['input'])}: put it in quotes"
        else:
            message += f" (got {got})"
    if not loc and candidate.line_of is not None:
        named = re.match(r"[a-z_]+(?:\.[a-z_]+)*", message)  # "reviewers.fallback … is required": its line
        loc = tuple(named[0].split(".")) if named and named[0].split(".")[0] in _fields(()) else ()
        return f"{candidate.where(loc)}{message}"
    label = _dotted(loc)
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


def _dotted(loc: Loc) -> str:
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc).lstrip(".")


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "…"


def _kind(value: Any) -> str:
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


def _others(wrapper: dict[str, Any]) -> str:
    """The keys beside `cycles` in a file of several cycles ("" when there are none)."""
    return ", ".join(sorted(str(key) for key in wrapper if key != "cycles" and not _extension(key)))
