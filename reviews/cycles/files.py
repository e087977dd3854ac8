"""Reading review cycles from YAML and TOML files, with every problem named by file, line and key.

A file holds one cycle (a mapping), or several: a YAML list or `cycles: [...]`, TOML `[[cycles]]`. Here the
files are found and read as UTF-8 text; then each file becomes candidates, one per cycle (yaml_file.py,
toml_file.py), each candidate is validated strictly (validation.py: a value of the wrong type is reported
with a hint to quote it, never coerced) and, when the configuration is given, checked against what it
defines (references.py). Nothing is returned unless every file is valid.

YAML problems carry the line of the key or item they concern (from the composed node tree, anchors, aliases
and `<<` merges included); TOML problems carry the line for syntax errors and the dotted key otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from reviews.cycles.candidate import Candidate
from reviews.cycles.definition import CycleDefinition
from reviews.cycles.references import References
from reviews.cycles.toml_file import toml_candidates
from reviews.cycles.validation import validate_candidate
from reviews.cycles.yaml_file import yaml_candidates
from reviews.errors import ConfigurationError

SUFFIXES = (".yaml", ".yml", ".toml")
MAX_BYTES = 1_000_000


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
            definition = validate_candidate(candidate, problems, references)
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


def _candidates(path: Path, problems: list[str]) -> list[Candidate]:
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
    parse = toml_candidates if path.suffix.lower() == ".toml" else yaml_candidates
    try:
        return parse(path, text, problems)
    except RecursionError:  # both parsers recurse into nested lists and mappings
        problems.append(f"{path}: nested too deeply to be a cycle")
        return []
