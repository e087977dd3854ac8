"""Placeholder until the full S3 definition of a public policy lands (see the conditions work)."""

from __future__ import annotations

from typing import Any


def is_public(document: Any) -> bool:
    if not isinstance(document, dict):
        return False
    statements = document.get("Statement", [])
    statements = statements if isinstance(statements, list) else [statements]
    for statement in statements:
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        principal = statement.get("Principal")
        wildcard = principal == "*" or (isinstance(principal, dict) and "*" in _strings(principal.get("AWS")))
        if ("NotPrincipal" in statement or wildcard) and not statement.get("Condition"):
            return True
    return False


def _strings(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else [v for v in value or [] if isinstance(v, str)]
