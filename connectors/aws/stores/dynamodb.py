"""DynamoDB tables, with their resource-based policy (a table may have none)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import partial
from typing import Any

from connectors.aws.accounts import AwsAccount
from connectors.aws.documents import tag_pairs
from connectors.aws.errors import AwsApiError, aws_call, parsing
from connectors.aws.inventory import StoreResource
from connectors.aws.stores.base import StoreSpec, Tagged, optional_policy, resource_name
from reviews.entitlements import StoreKind

logger = logging.getLogger(__name__)

_VANISHED = "ResourceNotFoundException"


def list_tagged(account: AwsAccount, region: str) -> list[Tagged]:
    client = account.client("dynamodb", region)
    operation = f"dynamodb:ListTables in {region}"
    with aws_call(account.account_id, operation):
        pages = list(client.get_paginator("list_tables").paginate())
    with parsing(account.account_id, operation):
        names = [name for page in pages for name in page["TableNames"]]
    found = []
    for name in names:
        arn = f"arn:{account.partition}:dynamodb:{region}:{account.account_id}:table/{name}"
        tags = _tags(account, client, arn)
        if tags is not None:
            found.append(Tagged(arn, tags))
    return found


def _tags(account: AwsAccount, client: Any, arn: str) -> tuple[tuple[str, str], ...] | None:
    operation = f"dynamodb:ListTagsOfResource on {arn}"
    try:
        with aws_call(account.account_id, operation):
            pages = list(client.get_paginator("list_tags_of_resource").paginate(ResourceArn=arn))
    except AwsApiError as exc:
        if exc.code == _VANISHED:
            return None
        raise
    return tag_pairs([tag for page in pages for tag in page.get("Tags", ())])


def read(account: AwsAccount, region: str, found: Sequence[Tagged]) -> list[StoreResource]:
    client = account.client("dynamodb", region)
    stores = []
    for item in found:
        try:
            policy = optional_policy(
                account,
                f"dynamodb:GetResourcePolicy on {item.arn}",
                partial(client.get_resource_policy, ResourceArn=item.arn),
                "PolicyNotFoundException",
            )
        except AwsApiError as exc:
            if exc.code != _VANISHED:
                raise
            logger.info("table %s was deleted while it was being read", item.arn)
            continue
        stores.append(
            StoreResource(
                arn=item.arn,
                kind=StoreKind.DYNAMODB_TABLE.value,
                name=resource_name(item.arn),
                account_id=account.account_id,
                region=region,
                tags=item.tags,
                resource_policy=policy,
            )
        )
    return stores


SPEC = StoreSpec(
    kind=StoreKind.DYNAMODB_TABLE,
    resource_types=("dynamodb:table",),
    list_tagged=list_tagged,
    read=read,
    permissions=("dynamodb:ListTables", "dynamodb:ListTagsOfResource", "dynamodb:GetResourcePolicy"),
)
