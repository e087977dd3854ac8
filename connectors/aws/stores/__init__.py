"""The registry of store kinds: a new kind is a module with a `SPEC`, added here."""

from __future__ import annotations

from connectors.aws.stores import dynamodb, rds, s3
from connectors.aws.stores.base import StoreSpec, Tagged, resource_type

SPECS: tuple[StoreSpec, ...] = (s3.SPEC, dynamodb.SPEC, rds.SPEC)

_BY_TYPE = {kind: spec for spec in SPECS for kind in spec.resource_types}


def spec_for(arn: str) -> StoreSpec | None:
    """The kind an ARN from the tagging API belongs to; None for a type we did not ask for."""
    return _BY_TYPE.get(resource_type(arn))


def resource_types() -> list[str]:
    return list(_BY_TYPE)


__all__ = ["SPECS", "StoreSpec", "Tagged", "resource_types", "spec_for"]
