"""A YAML cycle file as candidates: one cycle (a mapping), or several (a list, or `cycles: [...]`).

The document is composed into nodes first, so that every problem carries the line of the key or item it
concerns (anchors, aliases and `<<` merges included, yaml_lines.py), and keys that PyYAML would accept
silently (not text, or given twice) are refused before any value is constructed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import Node, SequenceNode

from reviews.cycles import yaml_lines
from reviews.cycles.candidate import EMPTY_FILE, Candidate, keys_beside_cycles, kind_of


def yaml_candidates(path: Path, text: str, problems: list[str]) -> list[Candidate]:
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            problems.append(f"{path}: {EMPTY_FILE}")
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


def _split_yaml(path: Path, root: Node, data: Any, problems: list[str]) -> list[Candidate]:
    def candidate(node: Node, value: Any) -> Candidate:
        return Candidate(
            value,
            path,
            "",
            lambda loc: yaml_lines.line_of(node, loc),
            lambda loc: yaml_lines.raw_of(node, loc),
        )

    nodes, items = [root], [data]
    if isinstance(data, dict) and "cycles" in data:
        if keys_beside_cycles(data):
            problems.append(
                f"{path}:{root.start_mark.line + 1}: a file with `cycles:` holds nothing else "
                f"(found {keys_beside_cycles(data)}: move them into a cycle)"
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
            f"found {kind_of(item)}"
        )
        return []
    return [candidate(node, item) for node, item in zip(nodes, items, strict=True)]
