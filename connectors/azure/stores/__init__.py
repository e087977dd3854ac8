"""The registry of Azure store kinds: a new kind is a module with a `SPEC`, added here."""

from __future__ import annotations

from connectors.azure.stores import cosmos, key_vault, sql, storage
from connectors.azure.stores.base import ArmReader, Resource, StoreSpec

SPECS: tuple[StoreSpec, ...] = (
    storage.SPEC,
    sql.SERVER_SPEC,
    sql.DATABASE_SPEC,
    cosmos.SPEC,
    key_vault.SPEC,
)

_BY_TYPE = {spec.resource_type.lower(): spec for spec in SPECS}


def spec_for(resource_type: str) -> StoreSpec | None:
    """The kind of an ARM resource type (compared without case); None for a type that is no store."""
    return _BY_TYPE.get(resource_type.lower())


__all__ = ["SPECS", "ArmReader", "Resource", "StoreSpec", "spec_for"]
