"""The seeded built-in role definitions (builtin_roles.json: see its `_source`)."""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from importlib import resources
from typing import Any


@lru_cache(maxsize=1)
def _load() -> tuple[dict[str, Any], ...]:
    text = resources.files("simulators.arm").joinpath("builtin_roles.json").read_text(encoding="utf-8")
    return tuple(json.loads(text)["roles"])


def builtin_roles() -> dict[str, dict[str, Any]]:
    """GUID → role definition in the built-in roles pages' JSON shape (a fresh copy each call)."""
    return {role["name"]: copy.deepcopy(role) for role in _load()}


def builtin_role_id(role_name: str) -> str:
    """The GUID of a seeded built-in role by its name (KeyError if not seeded)."""
    for role in _load():
        if role["roleName"] == role_name:
            return str(role["name"])
    raise KeyError(f"no seeded built-in role {role_name!r}")
