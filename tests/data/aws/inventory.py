"""Builders for small AWS inventories, as `fetch` would return them, for the pure evaluator's tests."""

from __future__ import annotations

from typing import Any

from connectors.aws.inventory import (
    AccountInventory,
    AwsInventory,
    IamGroup,
    IamRole,
    IamUser,
    InlinePolicy,
    ManagedPolicy,
    StoreResource,
)
from tests.helpers import T0

ACCOUNT = "111122223333"
OTHER = "444455556666"
PAYROLL = "arn:aws:s3:::payroll"
ANA_ARN = f"arn:aws:iam::{ACCOUNT}:user/ana"
CASES = f"arn:aws:dynamodb:eu-west-2:{ACCOUNT}:table/cases"


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: str | list[str], resource: str | list[str] = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: str | list[str], resource: str | list[str] = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def policy(name: str, *statements: dict[str, Any], account: str = ACCOUNT) -> ManagedPolicy:
    return ManagedPolicy(f"arn:aws:iam::{account}:policy/{name}", name, doc(*statements), aws_managed=False)


def user(
    name: str,
    *,
    policies: tuple[ManagedPolicy, ...] = (),
    groups: tuple[str, ...] = (),
    inline: tuple[InlinePolicy, ...] = (),
    boundary: ManagedPolicy | None = None,
    account: str = ACCOUNT,
) -> IamUser:
    return IamUser(
        arn=f"arn:aws:iam::{account}:user/{name}",
        name=name,
        user_id=f"AID{name.upper()}",
        created=T0,
        groups=groups,
        attached=tuple(p.arn for p in policies),
        inline=inline,
        boundary=boundary.arn if boundary else None,
        tags=(("email", f"{name}@dept.example.gov"),),
        password_last_used=None,
        access_keys=(),
    )


def group(name: str, *policies: ManagedPolicy, account: str = ACCOUNT) -> IamGroup:
    return IamGroup(f"arn:aws:iam::{account}:group/{name}", name, tuple(p.arn for p in policies), ())


def role(name: str, trust: dict[str, Any] | str, *policies: ManagedPolicy, account: str = ACCOUNT) -> IamRole:
    return IamRole(
        arn=f"arn:aws:iam::{account}:role/{name}",
        name=name,
        created=T0,
        trust=trust,
        attached=tuple(p.arn for p in policies),
        inline=(),
        boundary=None,
        tags=(),
        last_used=None,
        last_used_region=None,
    )


def trust(principal: dict[str, Any] | str, **extra: Any) -> dict[str, Any]:
    return doc({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole", **extra})


def bucket(
    name: str = "payroll", policy_doc: dict[str, Any] | str | None = None, account: str = ACCOUNT
) -> StoreResource:
    return StoreResource(
        f"arn:aws:s3:::{name}",
        "s3_bucket",
        name,
        account,
        "",
        (("data-classification", "personal"), ("data-owner", "olu@dept.example.gov")),
        policy_doc,
    )


def table(name: str = "cases") -> StoreResource:
    arn = f"arn:aws:dynamodb:eu-west-2:{ACCOUNT}:table/{name}"
    return StoreResource(
        arn, "dynamodb_table", name, ACCOUNT, "eu-west-2", (("data-classification", "personal"),), None
    )


def account(
    *,
    users: tuple[IamUser, ...] = (),
    groups: tuple[IamGroup, ...] = (),
    roles: tuple[IamRole, ...] = (),
    policies: tuple[ManagedPolicy, ...] = (),
    stores: tuple[StoreResource, ...] = (),
    scp_levels: tuple[tuple[Any, ...], ...] = (),
    account_id: str = ACCOUNT,
) -> AccountInventory:
    return AccountInventory(account_id, users, groups, roles, policies, stores, scp_levels)


def inventory(*accounts: AccountInventory, identity_center: Any = None) -> AwsInventory:
    return AwsInventory(T0, accounts, identity_center)
