"""What the Azure evaluator reads: role definitions, role and deny assignments, the stores with the facts that
decide what keys and access policies give, and the Entra directory it expands groups with. Pure data.

Identifiers are kept as Azure returns them; the evaluator compares scopes, actions and object ids
case-insensitively where Azure does (scopes and operation strings are case-insensitive in ARM).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from reviews.entitlements import StoreKind as Kind

EVERYONE = "00000000-0000-0000-0000-000000000000"  # deny assignments' "All Principals" (type SystemDefined)


class PrincipalType(StrEnum):
    """`principalType` of a role assignment (ARM's spelling)."""

    USER = "User"
    GROUP = "Group"
    SERVICE_PRINCIPAL = "ServicePrincipal"
    FOREIGN_GROUP = "ForeignGroup"
    DEVICE = "Device"


class StoreKind(StrEnum):
    """The Azure store kinds, spelled as the domain spells them (reviews.entitlements.StoreKind is the one
    source of the names; the evaluator's short member names are its own)."""

    STORAGE_ACCOUNT = Kind.AZURE_STORAGE_ACCOUNT.value
    SQL_SERVER = Kind.AZURE_SQL_SERVER.value
    SQL_DATABASE = Kind.AZURE_SQL_DATABASE.value
    COSMOSDB_ACCOUNT = Kind.AZURE_COSMOSDB_ACCOUNT.value
    KEY_VAULT = Kind.AZURE_KEY_VAULT.value

    @property
    def domain(self) -> Kind:
        return Kind(self.value)


@dataclass(frozen=True, slots=True)
class Permission:
    """One permission block of a role definition or deny assignment: allowed (or denied) operations minus
    the excluded ones, control plane and data plane kept apart."""

    actions: tuple[str, ...] = ()
    not_actions: tuple[str, ...] = ()
    data_actions: tuple[str, ...] = ()
    not_data_actions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RoleDefinition:
    id: str  # full ARM id or bare GUID; matched by its last segment
    name: str
    permissions: tuple[Permission, ...]


@dataclass(frozen=True, slots=True)
class RoleAssignment:
    id: str
    scope: str
    role_definition_id: str
    principal_id: str
    principal_type: PrincipalType
    condition: str | None = None  # ABAC condition: the grant holds only when it is met
    condition_version: str | None = None
    eligible: bool = False  # a PIM eligibility: the principal may activate the role at will


@dataclass(frozen=True, slots=True)
class DenyAssignment:
    id: str
    scope: str
    permissions: tuple[Permission, ...]
    principals: tuple[str, ...]  # object ids; EVERYONE stands for all principals
    exclude_principals: tuple[str, ...] = ()
    does_not_apply_to_child_scopes: bool = False
    name: str = ""
    condition: str | None = None  # a conditional deny may or may not block: the grant becomes conditional


@dataclass(frozen=True, slots=True)
class StorageFacts:
    allow_shared_key_access: bool | None  # None: never set, which Azure treats as allowed


@dataclass(frozen=True, slots=True)
class CosmosRoleDefinition:
    """A Cosmos DB data-plane role definition (`sqlRoleDefinitions`): distinct from Azure RBAC roles."""

    id: str
    name: str
    permissions: tuple[Permission, ...]  # data_actions / not_data_actions only


@dataclass(frozen=True, slots=True)
class CosmosRoleAssignment:
    id: str
    scope: str  # the account id, or below it: .../dbs/<db>, .../dbs/<db>/colls/<container>
    role_definition_id: str
    principal_id: str


@dataclass(frozen=True, slots=True)
class CosmosFacts:
    disable_local_auth: bool
    role_definitions: tuple[CosmosRoleDefinition, ...] = ()
    role_assignments: tuple[CosmosRoleAssignment, ...] = ()


@dataclass(frozen=True, slots=True)
class AccessPolicy:
    """One Key Vault access policy entry: the object (user, group, service principal), its permissions."""

    object_id: str
    keys: tuple[str, ...] = ()
    secrets: tuple[str, ...] = ()
    certificates: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class KeyVaultFacts:
    enable_rbac_authorization: bool
    access_policies: tuple[AccessPolicy, ...] = ()


@dataclass(frozen=True, slots=True)
class SqlEntraAdmin:
    object_id: str
    login: str
    # User, Group or ServicePrincipal (ARM says "Application"); None when the answer names no type (the
    # `administrators` child does not): the directory then says what the object is.
    principal_type: PrincipalType | None = None


@dataclass(frozen=True, slots=True)
class SqlFacts:
    """For a server, its Entra admin; for a database, its server's (the server's admin reaches it)."""

    entra_admin: SqlEntraAdmin | None


StoreFacts = StorageFacts | CosmosFacts | KeyVaultFacts | SqlFacts

_FACTS_BY_KIND: dict[StoreKind, type] = {
    StoreKind.STORAGE_ACCOUNT: StorageFacts,
    StoreKind.COSMOSDB_ACCOUNT: CosmosFacts,
    StoreKind.KEY_VAULT: KeyVaultFacts,
    StoreKind.SQL_SERVER: SqlFacts,
    StoreKind.SQL_DATABASE: SqlFacts,
}


@dataclass(frozen=True, slots=True)
class AzureStore:
    resource_id: str
    kind: StoreKind
    name: str
    subscription: str
    resource_group: str
    facts: StoreFacts

    def __post_init__(self) -> None:
        expected = _FACTS_BY_KIND[self.kind]
        if not isinstance(self.facts, expected):
            raise TypeError(f"{self.kind} {self.resource_id} needs {expected.__name__}, got {self.facts!r}")


@dataclass(frozen=True, slots=True)
class EntraGroup:
    id: str
    name: str
    member_ids: tuple[str, ...]  # direct members: users, service principals, devices, groups


@dataclass(frozen=True, slots=True)
class Directory:
    """The Entra mirror as far as the evaluator needs it: groups with their direct members, and the type of
    every other object that appears as a member or as the subject of a grant."""

    groups: dict[str, EntraGroup] = field(default_factory=dict)
    principal_types: dict[str, PrincipalType] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AzureInventory:
    stores: tuple[AzureStore, ...]
    role_definitions: tuple[RoleDefinition, ...]
    role_assignments: tuple[RoleAssignment, ...]
    deny_assignments: tuple[DenyAssignment, ...] = ()
    # subscription id -> its management groups, root first (the tenant root group included)
    management_groups: dict[str, tuple[str, ...]] = field(default_factory=dict)
    directory: Directory = field(default_factory=Directory)
    # PIM-eligible assignments (each with eligible=True): access too, as the holder can activate them
    eligible_assignments: tuple[RoleAssignment, ...] = ()
