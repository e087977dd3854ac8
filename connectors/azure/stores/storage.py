"""Storage accounts: whether the account keys still open the data.

"Storage Accounts - Get Properties", allowSharedKeyAccess: "Indicates whether the storage account permits
requests to be authorized with the account access key via Shared Key. If false, then all requests,
including shared access signatures, must be authorized with Azure Active Directory (Azure AD). The default
value is null, which is equivalent to true." Absent stays None (levels.py reads None as allowed).
"""

from __future__ import annotations

from connectors.azure.errors import malformed
from connectors.azure.model import StorageFacts, StoreKind
from connectors.azure.stores.base import ArmReader, Resource, StoreSpec


def read_facts(reader: ArmReader, resource: Resource) -> StorageFacts:
    allowed = resource.properties.get("allowSharedKeyAccess")
    if allowed is not None and not isinstance(allowed, bool):
        raise malformed(resource.subscription, resource.id, f"allowSharedKeyAccess is {allowed!r}")
    return StorageFacts(allow_shared_key_access=allowed)


SPEC = StoreSpec(
    kind=StoreKind.STORAGE_ACCOUNT,
    resource_type="Microsoft.Storage/storageAccounts",
    api_version="2023-05-01",
    read_facts=read_facts,
    permissions=("Microsoft.Storage/storageAccounts/read",),
)
