"""S3 settings that reach beyond one bucket: the account's Block Public Access, the account's canonical user
id (ACL grants name accounts by it), and the access points attached to the stores' buckets.

An access point may belong to another account than its bucket, so every read account is asked, in every
configured region (an access point lives in its bucket's region). ListAccessPoints without a bucket filter
returns all of an account's access points in a region in one paginated call; those of the stores' buckets
are kept, which costs accounts × regions calls instead of accounts × buckets.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from functools import partial
from typing import Any

from connectors.aws.accounts import AwsAccount
from connectors.aws.errors import aws_call, malformed, parsing
from connectors.aws.inventory import AccessPoint, AccountInventory, PublicAccessBlock, StoreResource
from connectors.aws.stores.base import optional_answer, optional_policy, resource_name
from connectors.aws.stores.s3_controls import NO_PUBLIC_ACCESS_BLOCK, public_access_block
from reviews.entitlements import StoreKind

logger = logging.getLogger(__name__)

PERMISSIONS = (
    "s3:GetAccountPublicAccessBlock",
    "s3:ListAllMyBuckets",
    "s3:ListAccessPoints",
    "s3:GetAccessPoint",
    "s3:GetAccessPointPolicy",
)
_NO_ACCESS_POINT_POLICY = "NoSuchAccessPointPolicy"


def account_public_access_block(account: AwsAccount) -> PublicAccessBlock | None:
    """The account's Block Public Access (S3 Control GetPublicAccessBlock); None when none is configured."""
    operation = f"s3:GetAccountPublicAccessBlock in {account.region}"
    read = partial(account.client("s3control").get_public_access_block, AccountId=account.account_id)
    answer = optional_answer(account, operation, read, NO_PUBLIC_ACCESS_BLOCK)
    return None if answer is None else public_access_block(account.account_id, operation, answer)


def canonical_id(account: AwsAccount) -> str:
    """The account's S3 canonical user id: ListBuckets names the owner of the buckets listed, the caller's
    account, even when it has none."""
    operation = f"s3:ListBuckets (owner) in {account.region}"
    with aws_call(account.account_id, operation):
        answer = account.client("s3").list_buckets(MaxBuckets=1)
    with parsing(account.account_id, operation):
        return str(answer["Owner"]["ID"])


def attach_access_points(
    accounts: Sequence[AwsAccount], inventories: Sequence[AccountInventory], regions: Sequence[str]
) -> tuple[AccountInventory, ...]:
    """The inventories with each S3 store's access points, read from every account in every region."""
    buckets = {
        resource_name(store.arn): store
        for inventory in inventories
        for store in inventory.stores
        if store.kind == StoreKind.S3_BUCKET.value
    }
    found: dict[str, dict[str, AccessPoint]] = defaultdict(dict)  # bucket ARN → access point ARN → it
    if buckets:
        for account in accounts:
            for region in regions:
                for point, bucket in _access_points(account, region, buckets):
                    found[bucket.arn].setdefault(point.arn, point)
    return tuple(
        replace(inventory, stores=tuple(_with_points(store, found) for store in inventory.stores))
        for inventory in inventories
    )


def _with_points(store: StoreResource, found: dict[str, dict[str, AccessPoint]]) -> StoreResource:
    points = found.get(store.arn)
    if not points:
        return store
    return replace(store, access_points=tuple(points[arn] for arn in sorted(points)))


def _access_points(
    account: AwsAccount, region: str, buckets: dict[str, StoreResource]
) -> list[tuple[AccessPoint, StoreResource]]:
    """The account's access points in `region` that are attached to one of `buckets` (by name)."""
    client: Any = account.client("s3control", region)
    me = account.account_id
    operation = f"s3:ListAccessPoints in {region}"
    kept = []
    with parsing(me, operation):
        for item in _listed(client, me, operation):
            bucket = buckets.get(item["Bucket"])
            # A bucket name is unique in its partition; the account check guards a name that was deleted and
            # created again elsewhere (BucketAccountId is given for access points of S3 buckets).
            if bucket is None or item.get("BucketAccountId", bucket.account_id) != bucket.account_id:
                continue
            kept.append((item["Name"], item["AccessPointArn"], bucket))
    return [(_access_point(account, region, name, arn), bucket) for name, arn, bucket in kept]


def _listed(client: Any, account_id: str, operation: str) -> list[dict[str, Any]]:
    """Every page of ListAccessPoints (botocore has no paginator for it): NextToken until there is none; a
    token seen before is a broken answer, not a reason to loop forever."""
    items: list[dict[str, Any]] = []
    seen: set[str] = set()
    token: str | None = None
    while True:
        with aws_call(account_id, operation):
            page = client.list_access_points(AccountId=account_id, **({"NextToken": token} if token else {}))
        with parsing(account_id, operation):
            items.extend(page.get("AccessPointList") or ())  # left out when the account has none
        token = page.get("NextToken")
        if not token:
            return items
        if token in seen:
            raise malformed(account_id, operation, "the same NextToken came back twice")
        seen.add(token)


def _access_point(account: AwsAccount, region: str, name: str, arn: str) -> AccessPoint:
    client: Any = account.client("s3control", region)
    me = account.account_id
    operation = f"s3:GetAccessPoint {name} in {region}"
    with aws_call(me, operation):
        answer = client.get_access_point(AccountId=me, Name=name)
    policy = optional_policy(
        account,
        f"s3:GetAccessPointPolicy {name} in {region}",
        partial(client.get_access_point_policy, AccountId=me, Name=name),
        _NO_ACCESS_POINT_POLICY,
    )
    with parsing(me, operation):
        origin = answer["NetworkOrigin"]
        vpc = (answer.get("VpcConfiguration") or {}).get("VpcId")
        if origin == "VPC" and not vpc:
            raise malformed(me, operation, "a VPC access point without a VPC id")
        block = answer.get("PublicAccessBlockConfiguration")
        return AccessPoint(
            arn=arn,
            name=name,
            account_id=me,
            region=arn.split(":")[3],
            network_origin=origin,
            vpc_id=vpc,
            policy=policy,
            public_access_block=None if block is None else public_access_block(me, operation, answer),
        )
