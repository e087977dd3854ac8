"""RDS (and Aurora) instances and clusters. They have no resource policy; IAM database authentication
reaches the data through `rds-db:connect` on `arn:aws:rds-db:{region}:{account}:dbuser:{resource id}/*`,
so those ARNs are the store's data ARNs. Cluster members tagged on their own are stores of their own."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from connectors.aws.accounts import AwsAccount
from connectors.aws.documents import tag_pairs
from connectors.aws.errors import aws_call, parsing
from connectors.aws.inventory import StoreResource
from connectors.aws.stores.base import StoreSpec, Tagged
from reviews.entitlements import StoreKind

logger = logging.getLogger(__name__)

# (describe operation, list key, ARN field, name field, resource-id field)
_SHAPES = (
    ("describe_db_instances", "DBInstances", "DBInstanceArn", "DBInstanceIdentifier", "DbiResourceId"),
    ("describe_db_clusters", "DBClusters", "DBClusterArn", "DBClusterIdentifier", "DbClusterResourceId"),
)


def _describe(account: AwsAccount, region: str) -> dict[str, tuple[str, str, tuple[tuple[str, str], ...]]]:
    """Every instance and cluster in the region: ARN → (name, resource id, tags)."""
    client: Any = account.client("rds", region)
    described = {}
    for operation, key, arn_field, name_field, id_field in _SHAPES:
        where = f"rds:{operation} in {region}"
        with aws_call(account.account_id, where):
            pages = list(client.get_paginator(operation).paginate())
        with parsing(account.account_id, where):
            for page in pages:
                for item in page[key]:
                    described[item[arn_field]] = (
                        item[name_field],
                        item[id_field],
                        tag_pairs(item.get("TagList")),
                    )
    return described


def list_tagged(account: AwsAccount, region: str) -> list[Tagged]:
    return [Tagged(arn, tags) for arn, (_, _, tags) in _describe(account, region).items()]


def read(account: AwsAccount, region: str, found: Sequence[Tagged]) -> list[StoreResource]:
    described = _describe(account, region)
    stores = []
    for item in found:
        if item.arn not in described:
            logger.info("database %s was deleted while it was being read", item.arn)
            continue
        name, resource_id, _ = described[item.arn]
        partition = item.arn.split(":")[1]
        data_arn = f"arn:{partition}:rds-db:{region}:{account.account_id}:dbuser:{resource_id}/*"
        stores.append(
            StoreResource(
                arn=item.arn,
                kind=StoreKind.RDS_DB.value,
                name=name,
                account_id=account.account_id,
                region=region,
                tags=item.tags,
                resource_policy=None,
                data_arns=(data_arn,),
            )
        )
    return stores


SPEC = StoreSpec(
    kind=StoreKind.RDS_DB,
    resource_types=("rds:db", "rds:cluster"),
    list_tagged=list_tagged,
    read=read,
    permissions=("rds:DescribeDBInstances", "rds:DescribeDBClusters"),
)
