"""Editing one statement of a resource policy, pure: which principal entries name a grant's principal, the
statement without them, and the document with that statement replaced, removed or put back.

A principal entry is one value under one key of a statement's `Principal`: ("AWS", "arn:…:root"),
("Service", "cloudtrail.amazonaws.com"), ("AWS", "*"), or ("*", "*") for `"Principal": "*"`, which can only
go with its whole statement. Statements are compared as policies, not as text: a one-element list equals
its element and lists of strings are sets (IAM reads `["a"]` and `"a"` alike, and order never matters).
"""

from __future__ import annotations

import json
import re
from typing import Any

from reviews.errors import RevocationRefused

Statement = dict[str, Any]
Document = dict[str, Any]
Entry = tuple[str, str]  # (principal key, value)

WILDCARD = "*"
_BARE: Entry = (WILDCARD, WILDCARD)
_ROOT = re.compile(r"arn:[\w-]+:iam::(\d{12}):root")


def parse_document(text: str | Document, where: str) -> Document:
    """A policy as AWS returns it (JSON text) → its document; anything else is refused, never guessed at."""
    document: object = text
    if isinstance(text, str):
        try:
            document = json.loads(text)
        except ValueError:
            raise RevocationRefused(f"{where}: the policy is not JSON: a person must edit it") from None
    if not isinstance(document, dict) or not isinstance(document.get("Statement"), dict | list):
        raise RevocationRefused(f"{where}: the policy has no Statement: a person must edit it")
    return document


def statements_of(document: Document | None) -> list[Statement]:
    if document is None:
        return []
    found = document["Statement"]
    return [found] if isinstance(found, dict) else list(found)


def same(a: object, b: object) -> bool:
    return _canonical(a) == _canonical(b)


def positions(document: Document | None, statement: Statement) -> list[int]:
    """Where `statement` is in the document (0-based), compared as a policy."""
    wanted = _canonical(statement)
    return [i for i, found in enumerate(statements_of(document)) if _canonical(found) == wanted]


def entries(statement: Statement) -> list[Entry]:
    principal = statement.get("Principal")
    if principal == WILDCARD:
        return [_BARE]
    if not isinstance(principal, dict):
        return []
    return [(key, value) for key, values in principal.items() for value in _strings(values)]


def naming(statement: Statement, principal_id: str) -> list[Entry]:
    """The entries that name `principal_id` itself: "*" for the public; the account id or root ARN for an
    account (AWS treats the two alike); the exact ARN or service name for anything else."""
    found = entries(statement)
    if principal_id == WILDCARD:
        return [e for e in found if e == _BARE or e == ("AWS", WILDCARD)]
    if not principal_id.startswith("arn:"):
        return [e for e in found if e == ("Service", principal_id)]
    root = _ROOT.fullmatch(principal_id)
    wanted = {principal_id, root.group(1)} if root else {principal_id}
    return [e for e in found if e[0] == "AWS" and e[1] in wanted]


def reached_through(statement: Statement, principal_id: str) -> str | None:
    """How a statement that does not name `principal_id` still reaches it: everyone, its account, or (for a
    role) one of its sessions."""
    found = entries(statement)
    if _BARE in found or ("AWS", WILDCARD) in found:
        return "everyone ('*')"
    parts = principal_id.split(":", 5)
    if len(parts) < 6 or parts[2] != "iam" or not parts[4]:
        return None
    account = parts[4]
    if ("AWS", account) in found or any(e[0] == "AWS" and _is_root_of(e[1], account) for e in found):
        return f"its account {account}"
    if parts[5].startswith("role/"):
        sessions = f"arn:{parts[1]}:sts::{account}:assumed-role/{parts[5].rsplit('/', 1)[-1]}/"
        named = [value for key, value in found if key == "AWS" and value.startswith(sessions)]
        if named:
            return f"a session of it ({', '.join(named)})"
    return None


def without(statement: Statement, removed: list[Entry]) -> Statement | None:
    """The statement minus `removed`; None when no principal would remain (then the statement goes)."""
    principal = statement.get("Principal")
    if _BARE in removed or not isinstance(principal, dict):
        return None
    kept: dict[str, Any] = {}
    for key, values in principal.items():
        remaining = [v for v in _strings(values) if (key, v) not in removed]
        if remaining:
            kept[key] = remaining if isinstance(values, list) else remaining[0]
    return {**statement, "Principal": kept} if kept else None


def replaced(document: Document, position: int, statement: Statement | None) -> Document | None:
    """The document with the statement at `position` replaced (or removed, when `statement` is None); None
    when no statement would remain: then the policy itself is deleted."""
    found = statements_of(document)
    edited = [*found[:position], *([statement] if statement is not None else []), *found[position + 1 :]]
    return _with_statements(document, edited) if edited else None


def inserted(document: Document, position: int, statement: Statement) -> Document:
    found = statements_of(document)
    position = min(position, len(found))
    return _with_statements(document, [*found[:position], statement, *found[position:]])


def to_text(document: Document) -> str:
    return json.dumps(document)


def _with_statements(document: Document, found: list[Statement]) -> Document:
    """Keeps Version, Id and the rest, and a single statement's object form if the policy had it."""
    single = isinstance(document["Statement"], dict) and len(found) == 1
    return {**document, "Statement": found[0] if single else found}


def _is_root_of(value: str, account: str) -> bool:
    root = _ROOT.fullmatch(value)
    return root is not None and root.group(1) == account


def _strings(values: object) -> list[str]:
    if isinstance(values, str):
        return [values]
    if isinstance(values, list):
        return [v for v in values if isinstance(v, str)]
    return []


def _canonical(value: object) -> str:
    return json.dumps(_normal(value), sort_keys=True, separators=(",", ":"))


def _normal(value: object) -> object:
    if isinstance(value, dict):
        return {key: _normal(item) for key, item in value.items()}
    if isinstance(value, list):
        items = [_normal(item) for item in value]
        if len(items) == 1:
            return items[0]
        if all(isinstance(item, str) for item in items):
            return sorted({str(item) for item in items})
        return items
    return value
