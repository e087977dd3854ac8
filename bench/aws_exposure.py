"""The exposure part of the AWS benchmark's account: 20 % of the stores (60 of the 200 buckets) carry a bucket
policy of the kind issue 14 is about, and access points with their own policies.

Each such bucket policy keeps the department's usual statements (deny insecure transport, one role reads)
and adds, drawn at random: prefix grants and denies (`reports/*`, `private/*`, `incoming/*`), a grant to a
role session, grants to accounts Recertify does not read and to a partner's role, public reads (`"*"`), some
narrowed to the organisation (`aws:PrincipalOrgID`), a NotPrincipal deny, and the statement that delegates
access control to the bucket's access points. Each such bucket has one or two access points (Internet or
VPC origin) whose policies grant to a role of the account and to an outside account.
"""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Any

from connectors.aws.inventory import AccessPoint, PublicAccessBlock, StoreResource

ORG_ID = "o-benchdept01"
EXTERNAL_ACCOUNTS = ("999988887777", "210987654321", "777766665555", "303030303030")
REGION = "eu-west-2"
SHARE = 0.2  # of all stores
ALL_BLOCKED = PublicAccessBlock(True, True, True, True)


def enrich(rng: random.Random, stores: list[StoreResource], account: str) -> list[StoreResource]:
    """The same stores, 20 % of them (buckets) with the exposure policies and access points."""
    buckets = [i for i, s in enumerate(stores) if s.kind == "s3_bucket"]
    chosen = set(rng.sample(buckets, round(SHARE * len(stores))))
    return [_exposed(rng, store, account) if i in chosen else store for i, store in enumerate(stores)]


def _exposed(rng: random.Random, store: StoreResource, account: str) -> StoreResource:
    bucket = store.arn
    points = tuple(_access_point(rng, store.name, account, j) for j in range(rng.randint(1, 2)))
    statements = list(_usual(rng, bucket, account))
    optional = [
        _allow({"AWS": _role(rng, account)}, ["s3:GetObject", "s3:ListBucket"], f"{bucket}/reports/*"),
        _deny("*", "s3:GetObject", f"{bucket}/private/*"),
        _allow({"AWS": _role(rng, account)}, "s3:PutObject", f"{bucket}/incoming/*"),
        _allow(
            {"AWS": f"arn:aws:sts::{account}:assumed-role/r{rng.randint(0, 999)}/alice"},
            "s3:*",
            f"{bucket}/*",
        ),
        _allow(
            {"AWS": f"arn:aws:iam::{rng.choice(EXTERNAL_ACCOUNTS)}:root"},
            "s3:GetObject",
            f"{bucket}/shared/*",
        ),
        _allow(
            {"AWS": f"arn:aws:iam::{rng.choice(EXTERNAL_ACCOUNTS)}:role/partner-{rng.randint(1, 9)}"},
            ["s3:PutObject", "s3:GetObject"],
            f"{bucket}/incoming/*",
        ),
        _allow("*", "s3:GetObject", f"{bucket}/public/*"),
        _allow(
            "*", "s3:GetObject", f"{bucket}/*", Condition={"StringEquals": {"aws:PrincipalOrgID": ORG_ID}}
        ),
        {
            "Effect": "Deny",
            "NotPrincipal": {"AWS": [f"arn:aws:iam::{account}:root", _role(rng, account)]},
            "Action": "s3:DeleteObject",
            "Resource": f"{bucket}/*",
        },
        _allow(
            {"AWS": "*"},
            "*",
            [bucket, f"{bucket}/*"],
            Condition={"StringEquals": {"s3:DataAccessPointAccount": account}},
        ),
    ]
    statements += rng.sample(optional, rng.randint(3, len(optional)))
    return replace(
        store, resource_policy={"Version": "2012-10-17", "Statement": statements}, access_points=points
    )


def _usual(rng: random.Random, bucket: str, account: str) -> list[dict[str, Any]]:
    return [
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [bucket, f"{bucket}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
        _allow({"AWS": _role(rng, account)}, "s3:GetObject", f"{bucket}/*"),
    ]


def _access_point(rng: random.Random, bucket: str, account: str, j: int) -> AccessPoint:
    name = f"{bucket}-ap{j}"
    arn = f"arn:aws:s3:{REGION}:{account}:accesspoint/{name}"
    vpc = rng.random() < 0.5
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            _allow({"AWS": _role(rng, account)}, ["s3:GetObject", "s3:PutObject"], f"{arn}/object/*"),
            _allow(
                {"AWS": f"arn:aws:iam::{rng.choice(EXTERNAL_ACCOUNTS)}:root"},
                "s3:GetObject",
                f"{arn}/object/shared/*",
            ),
        ],
    }
    return AccessPoint(
        arn,
        name,
        account,
        REGION,
        "VPC" if vpc else "Internet",
        f"vpc-{rng.randint(10_000, 99_999)}" if vpc else None,
        policy,
        ALL_BLOCKED if vpc or rng.random() < 0.5 else None,
    )


def _role(rng: random.Random, account: str) -> str:
    return f"arn:aws:iam::{account}:role/r{rng.randint(0, 999)}"


def _allow(principal: Any, action: Any, resource: Any, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": principal, "Action": action, "Resource": resource, **extra}


def _deny(principal: Any, action: Any, resource: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Principal": principal, "Action": action, "Resource": resource}
