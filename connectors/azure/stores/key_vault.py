"""Key Vaults: the permission model and, for a vault not in RBAC mode, its access policies.

"Vaults - Get", enableRbacAuthorization: "Property that controls how data actions are authorized. When
true, the key vault will use Role Based Access Control (RBAC) for authorization of data actions, and the
access policies specified in vault properties will be ignored. When false, the key vault will use the access
policies specified in vault properties, and any policy stored on Azure Resource Manager will be ignored. If
null or not specified, the vault is created with the default value of false." accessPolicies: "An array of
0 to 1024 identities that have access to the key vault", each an objectId with permissions for keys,
secrets and certificates.
"""

from __future__ import annotations

from typing import Any

from connectors.azure.errors import malformed, parsing
from connectors.azure.model import AccessPolicy, KeyVaultFacts, StoreKind
from connectors.azure.stores.base import ArmReader, Resource, StoreSpec


def read_facts(reader: ArmReader, resource: Resource) -> KeyVaultFacts:
    properties = resource.properties
    rbac = properties.get("enableRbacAuthorization")
    if rbac is not None and not isinstance(rbac, bool):
        raise malformed(resource.subscription, resource.id, f"enableRbacAuthorization is {rbac!r}")
    with parsing(f"subscription {resource.subscription}", f"access policies of {resource.id}"):
        policies = tuple(_policy(entry) for entry in properties.get("accessPolicies") or ())
    return KeyVaultFacts(enable_rbac_authorization=bool(rbac), access_policies=policies)


def _policy(entry: dict[str, Any]) -> AccessPolicy:
    permissions = entry["permissions"]
    return AccessPolicy(
        object_id=str(entry["objectId"]),
        keys=tuple(permissions.get("keys") or ()),
        secrets=tuple(permissions.get("secrets") or ()),
        certificates=tuple(permissions.get("certificates") or ()),
    )


SPEC = StoreSpec(
    kind=StoreKind.KEY_VAULT,
    resource_type="Microsoft.KeyVault/vaults",
    api_version="2023-07-01",
    read_facts=read_facts,
    permissions=("Microsoft.KeyVault/vaults/read",),
)
