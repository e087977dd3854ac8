"""Protected principals (DESIGN §3.2): never planned for revocation, and reported when in scope.

Protected are: the configured list (ARNs, object ids, emails), names matching the configured patterns
(break-glass accounts), and the bot's own identities (its AWS read and write roles, its Entra app).
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Protection:
    ids: frozenset[str]  # provider ids and emails, lower-cased
    name_patterns: tuple[str, ...]

    @classmethod
    def of(cls, protected: list[str], name_patterns: list[str], own: tuple[str, ...] = ()) -> Protection:
        ids = frozenset(value.lower() for value in [*protected, *own])
        return cls(ids, tuple(pattern.lower() for pattern in name_patterns))

    def reason(self, *, provider_id: str, name: str, email: str | None) -> str | None:
        """Why this principal is protected, or None."""
        for value in (provider_id, email):
            if value and value.lower() in self.ids:
                return f"{value} is on the protected list"
        for pattern in self.name_patterns:
            if fnmatch.fnmatchcase(name.lower(), pattern):
                return f"{name} matches the protected name pattern {pattern!r}"
        return None
