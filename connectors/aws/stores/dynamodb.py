"""DynamoDB tables: the resource-based policy (a table may have none), the customer managed KMS key that
encrypts the table, and its stream, whose records are the table's data and which has a policy of its own."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import partial
from typing import Any

from connectors.aws.accounts import AwsAccount
from connectors.aws.documents import tag_pairs
from connectors.aws.errors import AwsApiError, aws_call, parsing
from connectors.aws.inventory import PolicyDocument, StoreResource
from connectors.aws.kms import customer_managed_key
from connectors.aws.stores.base import StoreSpec, Tagged, optional_policy, resource_name
from reviews.entitlements import StoreKind

logger = logging.getLogger(__name__)

_VANISHED = "ResourceNotFoundException"
_NO_POLICY = "PolicyNotFoundException"


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
    operation = f"dynamodb:ListTagsOfResource on {arn} in {client.meta.region_name}"
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
        name = resource_name(item.arn)
        try:
            policy = optional_policy(
                account,
                f"dynamodb:GetResourcePolicy on {item.arn} in {region}",
                partial(client.get_resource_policy, ResourceArn=item.arn),
                _NO_POLICY,
            )
            key_id, stream_arn = _describe(account, region, client, name)
        except AwsApiError as exc:
            if exc.code != _VANISHED:
                raise
            logger.info("table %s was deleted while it was being read", item.arn)
            continue
        stores.append(
            StoreResource(
                arn=item.arn,
                kind=StoreKind.DYNAMODB_TABLE.value,
                name=name,
                account_id=account.account_id,
                region=region,
                tags=item.tags,
                resource_policy=policy,
                kms_key_arn=customer_managed_key(account, region, key_id, f"table {name}")
                if key_id
                else None,
                stream_arn=stream_arn,
                stream_policy=_stream_policy(account, region, client, stream_arn) if stream_arn else None,
            )
        )
    return stores


def _describe(account: AwsAccount, region: str, client: Any, name: str) -> tuple[str | None, str | None]:
    """The table's KMS key as DescribeTable names it (None: an AWS owned key), and its stream when enabled."""
    operation = f"dynamodb:DescribeTable {name} in {region}"
    with aws_call(account.account_id, operation):
        answer = client.describe_table(TableName=name)
    with parsing(account.account_id, operation):
        table = answer["Table"]
        # No SSEDescription: the AWS owned key. SSEType KMS: the AWS managed key or a customer managed one,
        # named by KMSMasterKeyArn; Status is ENABLED, or UPDATING while the key changes.
        sse = table.get("SSEDescription") or {}
        key_id = sse["KMSMasterKeyArn"] if sse.get("SSEType") == "KMS" else None
        stream = table.get("StreamSpecification") or {}
        stream_arn = table["LatestStreamArn"] if stream.get("StreamEnabled") is True else None
    return key_id, stream_arn


def _stream_policy(account: AwsAccount, region: str, client: Any, stream_arn: str) -> PolicyDocument | None:
    """The stream's own resource policy: a table's policy does not cover its stream. ResourceNotFound here
    is not taken for a vanished table: it raises, so that a store is never dropped on a guess."""
    return optional_policy(
        account,
        f"dynamodb:GetResourcePolicy on {stream_arn} in {region}",
        partial(client.get_resource_policy, ResourceArn=stream_arn),
        _NO_POLICY,
    )


SPEC = StoreSpec(
    kind=StoreKind.DYNAMODB_TABLE,
    resource_types=("dynamodb:table",),
    list_tagged=list_tagged,
    read=read,
    permissions=(
        "dynamodb:ListTables",
        "dynamodb:ListTagsOfResource",
        "dynamodb:GetResourcePolicy",
        "dynamodb:DescribeTable",
    ),
)
