"""What the Azure evaluator returns: one record per (store, principal, level), by its best path. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from connectors.azure.directory import Holder
from connectors.azure.model import PrincipalType
from connectors.azure.scopes import Relation
from reviews.entitlements import AccessLevel, PathStep


class GrantorKind(StrEnum):
    ROLE_ASSIGNMENT = "role_assignment"  # Azure RBAC
    ELIGIBLE_ASSIGNMENT = "eligible_assignment"  # a PIM eligibility to an Azure RBAC role
    COSMOS_ROLE_ASSIGNMENT = "cosmos_role_assignment"  # Cosmos DB's own data-plane RBAC
    ACCESS_POLICY = "access_policy"  # a Key Vault access policy
    SQL_ENTRA_ADMIN = "sql_entra_admin"  # a SQL server's Microsoft Entra admin


@dataclass(frozen=True, slots=True)
class Grantor:
    """What grants the access, as revocation needs it: the assignment (or policy, or admin setting), where it
    sits relative to the store, and the groups it reaches the principal through (innermost first; none:
    granted to the principal itself)."""

    kind: GrantorKind
    id: str
    scope: str
    relation: Relation
    groups: tuple[str, ...] = ()

    @property
    def direct(self) -> bool:
        return not self.groups


@dataclass(frozen=True, slots=True)
class AzureGrant:
    store_id: str
    principal_id: str
    principal_type: PrincipalType
    level: AccessLevel
    path: tuple[PathStep, ...]
    conditional: bool  # an ABAC condition on the assignment (or a conditional deny) decides it
    grantor: Grantor


class Candidate(NamedTuple):
    """One way a holder gets some levels on a store."""

    holder: Holder
    levels: tuple[AccessLevel, ...]
    path: tuple[PathStep, ...]
    conditional: bool
    grantor: Grantor


class Best:
    """The best way each (principal, level) is held on one store: active before PIM-eligible (a grant held
    both ways is reported by its active path), then unconditional, then the shortest path, then the first
    found (the inputs' order, which the evaluator keeps stable)."""

    def __init__(self, store_id: str) -> None:
        self._store_id = store_id
        self._held: dict[tuple[str, AccessLevel], Candidate] = {}

    def offer(self, candidate: Candidate) -> None:
        rank = _rank(candidate)
        for level in candidate.levels:
            key = (candidate.holder.principal_id.lower(), level)
            current = self._held.get(key)
            if current is None or rank < _rank(current):
                self._held[key] = candidate

    def grants(self) -> list[AzureGrant]:
        return [
            AzureGrant(
                store_id=self._store_id,
                principal_id=way.holder.principal_id,
                principal_type=way.holder.principal_type,
                level=level,
                path=way.path,
                conditional=way.conditional,
                grantor=way.grantor,
            )
            for (_, level), way in sorted(self._held.items())
        ]


def _rank(way: Candidate) -> tuple[bool, bool, int]:
    return (way.grantor.kind is GrantorKind.ELIGIBLE_ASSIGNMENT, way.conditional, len(way.path))
