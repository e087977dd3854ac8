"""Where things are in a composed YAML document: the line of a pydantic `loc`, the scalar as written, and
the keys PyYAML would otherwise accept silently (not text, or given twice). Anchors, aliases and `<<`
merges are followed; no Python object is ever constructed here.
"""

from __future__ import annotations

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

STR_TAG, MERGE_TAG = "tag:yaml.org,2002:str", "tag:yaml.org,2002:merge"
_KINDS = {"bool": "a boolean", "int": "a number", "float": "a number", "null": "null (nothing)"}

Loc = tuple[str | int, ...]


def key_problems(node: Node, seen: set[int]) -> list[tuple[int, str]]:
    """Keys that are not text, and keys given twice (PyYAML would keep the last one silently)."""
    if id(node) in seen:
        return []
    seen.add(id(node))
    problems: list[tuple[int, str]] = []
    if isinstance(node, MappingNode):
        first: dict[str, int] = {}
        for key, value in node.value:
            line = key.start_mark.line + 1
            if key.tag == MERGE_TAG:
                pass
            elif not isinstance(key, ScalarNode):
                problems.append((line, "a key must be text, not a list or a mapping"))
            elif key.tag != STR_TAG:
                kind = _KINDS.get(key.tag.rsplit(":", 1)[-1], "something other than text")
                problems.append((line, f"key {key.value!r} is read as {kind}: put it in quotes"))
            elif key.value in first:
                problems.append(
                    (line, f"key {key.value!r} is given twice (first on line {first[key.value]})")
                )
            else:
                first[key.value] = line
            problems += key_problems(value, seen)
    elif isinstance(node, SequenceNode):
        for item in node.value:
            problems += key_problems(item, seen)
    return problems


def child(node: Node, part: str | int) -> tuple[Node | None, Node] | None:
    """(key node, value node) of one step of a pydantic `loc`, following `<<` merges."""
    if isinstance(node, SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
        return None, node.value[part]
    if not isinstance(node, MappingNode) or not isinstance(part, str):
        return None
    merged: list[Node] = []
    for key, value in node.value:
        if key.tag == MERGE_TAG:
            merged += value.value if isinstance(value, SequenceNode) else [value]
        elif isinstance(key, ScalarNode) and key.value == part:
            return key, value
    for source in merged:
        found = child(source, part)
        if found is not None:
            return found
    return None


def _walk(node: Node, loc: Loc) -> tuple[int, Node | None]:
    """The line of the deepest key or item of `loc` present in the file (1-based), and the node at `loc`."""
    line = node.start_mark.line
    current: Node | None = node
    for part in loc:
        found = child(current, part) if current is not None else None
        if found is None:
            return line + 1, None
        key, current = found
        line = (key or current).start_mark.line
    return line + 1, current


def line_of(node: Node, loc: Loc) -> int:
    return _walk(node, loc)[0]


def raw_of(node: Node, loc: Loc) -> str | None:
    target = _walk(node, loc)[1]
    return target.value if isinstance(target, ScalarNode) and target.tag != STR_TAG else None
