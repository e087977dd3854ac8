"""S3 buckets. Bucket names are global: the ARN has no region, the inventory records region "", and a bucket
is read once however many regions are configured. A bucket belongs to the configured region it lives in, and
is read there: its policy, and its ownership, ACL, Block Public Access and default key (s3_controls.py).
Access points, which may belong to other accounts, are read afterwards for every account (s3_exposure.py)."""

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
from connectors.aws.stores.s3_controls import PERMISSIONS as CONTROL_PERMISSIONS
from connectors.aws.stores.s3_controls import read_controls
from reviews.entitlements import StoreKind

logger = logging.getLogger(__name__)

_VANISHED = "NoSuchBucket"


def list_tagged(account: AwsAccount, region: str) -> list[Tagged]:
    client = account.client("s3", region)
    operation = f"s3:ListBuckets in {region}"
    with aws_call(account.account_id, operation):
        pages = list(client.get_paginator("list_buckets").paginate(BucketRegion=region))
    with parsing(account.account_id, operation):
        names = [bucket["Name"] for page in pages for bucket in page.get("Buckets", ())]
    found = []
    for name in names:
        tags = _tags(account, client, name)
        if tags is not None:
            found.append(Tagged(f"arn:{account.partition}:s3:::{name}", tags))
    return found


def _tags(account: AwsAccount, client: Any, name: str) -> tuple[tuple[str, str], ...] | None:
    """The bucket's tags; () when it has none; None when it was deleted since it was listed."""
    operation = f"s3:GetBucketTagging on {name} in {client.meta.region_name}"
    try:
        with aws_call(account.account_id, operation):
            answer = client.get_bucket_tagging(Bucket=name)
    except AwsApiError as exc:
        if exc.code == "NoSuchTagSet":
            return ()
        if exc.code == _VANISHED:
            return None
        raise
    with parsing(account.account_id, operation):
        return tag_pairs(answer["TagSet"])


def read(account: AwsAccount, region: str, found: Sequence[Tagged]) -> list[StoreResource]:
    client = account.client("s3", region)
    stores = []
    for item in found:
        name = resource_name(item.arn)
        try:
            policy = optional_policy(
                account,
                f"s3:GetBucketPolicy on {name} in {region}",
                partial(client.get_bucket_policy, Bucket=name),
                "NoSuchBucketPolicy",
            )
            controls = read_controls(account, region, client, name)
        except AwsApiError as exc:
            if exc.code != _VANISHED:
                raise
            logger.info("bucket %s was deleted while it was being read", name)
            continue
        stores.append(
            StoreResource(
                arn=item.arn,
                kind=StoreKind.S3_BUCKET.value,
                name=name,
                account_id=account.account_id,
                region="",
                tags=item.tags,
                resource_policy=policy,
                acl=controls.acl,
                object_ownership=controls.object_ownership,
                public_access_block=controls.public_access_block,
                kms_key_arn=controls.kms_key_arn,
            )
        )
    return stores


SPEC = StoreSpec(
    kind=StoreKind.S3_BUCKET,
    resource_types=("s3:bucket",),
    list_tagged=list_tagged,
    read=read,
    permissions=(
        "s3:ListAllMyBuckets",
        "s3:GetBucketTagging",
        "s3:GetBucketPolicy",
        *CONTROL_PERMISSIONS,
    ),
    global_names=True,
)
