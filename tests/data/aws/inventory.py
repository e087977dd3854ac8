"""Builders for small AWS inventories, as `fetch` would return them, for the pure evaluator's tests."""

from __future__ import annotations

from typing import Any

from connectors.aws.inventory import (
    AccessPoint,
    AccountInventory,
    AclGrant,
    AwsInventory,
    BucketAcl,
    IamGroup,
    IamRole,
    IamUser,
    InlinePolicy,
    KmsGrant,
    KmsKey,
    ManagedPolicy,
    Organization,
    PublicAccessBlock,
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


def role(
    name: str,
    trust: dict[str, Any] | str,
    *policies: ManagedPolicy,
    account: str = ACCOUNT,
    boundary: ManagedPolicy | None = None,
    path: str = "/",
) -> IamRole:
    return IamRole(
        arn=f"arn:aws:iam::{account}:role{path}{name}",
        name=name,
        created=T0,
        trust=trust,
        attached=tuple(p.arn for p in policies),
        inline=(),
        boundary=boundary.arn if boundary else None,
        tags=(),
        last_used=None,
        last_used_region=None,
        role_id=f"AROA{name.upper().replace('_', '')[:12]:0<12}",
    )


def trust(principal: dict[str, Any] | str, **extra: Any) -> dict[str, Any]:
    return doc({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole", **extra})


def bucket(
    name: str = "payroll",
    policy_doc: dict[str, Any] | str | None = None,
    account: str = ACCOUNT,
    *,
    acl: BucketAcl | None = None,
    object_ownership: str | None = None,
    public_access_block: PublicAccessBlock | None = None,
    access_points: tuple[AccessPoint, ...] = (),
    kms_key_arn: str | None = None,
) -> StoreResource:
    return StoreResource(
        f"arn:aws:s3:::{name}",
        "s3_bucket",
        name,
        account,
        "",
        (("data-classification", "personal"), ("data-owner", "olu@dept.example.gov")),
        policy_doc,
        acl=acl,
        object_ownership=object_ownership,
        public_access_block=public_access_block,
        access_points=access_points,
        kms_key_arn=kms_key_arn,
    )


def table(
    name: str = "cases",
    policy_doc: dict[str, Any] | str | None = None,
    *,
    account: str = ACCOUNT,
    kms_key_arn: str | None = None,
    stream_label: str | None = None,
    stream_policy: dict[str, Any] | str | None = None,
) -> StoreResource:
    arn = f"arn:aws:dynamodb:eu-west-2:{account}:table/{name}"
    return StoreResource(
        arn,
        "dynamodb_table",
        name,
        account,
        "eu-west-2",
        (("data-classification", "personal"),),
        policy_doc,
        kms_key_arn=kms_key_arn,
        stream_arn=f"{arn}/stream/{stream_label}" if stream_label else None,
        stream_policy=stream_policy,
    )


def database(
    name: str = "claims-db", *, account: str = ACCOUNT, kms_key_arn: str | None = None
) -> StoreResource:
    """An RDS instance (RDS has no resource policy; `kms_key_arn` as its storage encryption key)."""
    return StoreResource(
        f"arn:aws:rds:eu-west-2:{account}:db:{name}",
        "rds_db",
        name,
        account,
        "eu-west-2",
        (("data-classification", "personal"),),
        None,
        kms_key_arn=kms_key_arn,
    )


def statement(
    effect: str,
    principal: Any,
    action: str | list[str],
    resource: str | list[str],
    *,
    sid: str | None = None,
    condition: dict[str, Any] | None = None,
    not_principal: bool = False,
) -> dict[str, Any]:
    """One resource-policy statement (Principal, or NotPrincipal when `not_principal`)."""
    found: dict[str, Any] = {"Effect": effect, "NotPrincipal" if not_principal else "Principal": principal}
    found |= {"Action": action, "Resource": resource}
    if sid is not None:
        found["Sid"] = sid
    if condition is not None:
        found["Condition"] = condition
    return found


def session_arn(role_name: str, session: str, account: str = ACCOUNT) -> str:
    """An assumed-role session ARN: the role's path is never part of it."""
    return f"arn:aws:sts::{account}:assumed-role/{role_name}/{session}"


def root(account: str = ACCOUNT) -> str:
    return f"arn:aws:iam::{account}:root"


def block(
    *,
    block_public_acls: bool = False,
    ignore_public_acls: bool = False,
    block_public_policy: bool = False,
    restrict_public_buckets: bool = False,
) -> PublicAccessBlock:
    return PublicAccessBlock(
        block_public_acls, ignore_public_acls, block_public_policy, restrict_public_buckets
    )


def bucket_acl(owner: str, *grants: tuple[str, str, str]) -> BucketAcl:
    """`grants`: (grantee type, grantee, permission), as GetBucketAcl lists them."""
    return BucketAcl(
        owner, tuple(AclGrant(kind, grantee, permission) for kind, grantee, permission in grants)
    )


def access_point(
    name: str,
    policy_doc: dict[str, Any] | str | None = None,
    *,
    account: str = ACCOUNT,
    region: str = "eu-west-2",
    network_origin: str = "Internet",
    public_access_block: PublicAccessBlock | None = None,
) -> AccessPoint:
    return AccessPoint(
        f"arn:aws:s3:{region}:{account}:accesspoint/{name}",
        name,
        account,
        region,
        network_origin,
        "vpc-0a1b2c3d" if network_origin == "VPC" else None,
        policy_doc,
        public_access_block,
    )


def kms_key(
    key_id: str = "1234abcd-12ab-34cd-56ef-1234567890ab",
    policy_doc: dict[str, Any] | str | None = None,
    *grants: KmsGrant,
    account: str = ACCOUNT,
    region: str = "eu-west-2",
    unreadable: str | None = None,
) -> KmsKey:
    arn = f"arn:aws:kms:{region}:{account}:key/{key_id}"
    return KmsKey(arn, account, region, policy_doc, grants, (), unreadable)


def organization(management: str, *accounts: tuple[str, str], org_id: str = "o-a1b2c3d4e5") -> Organization:
    return Organization(org_id, management, accounts)


def account(
    *,
    users: tuple[IamUser, ...] = (),
    groups: tuple[IamGroup, ...] = (),
    roles: tuple[IamRole, ...] = (),
    policies: tuple[ManagedPolicy, ...] = (),
    stores: tuple[StoreResource, ...] = (),
    scp_levels: tuple[tuple[Any, ...], ...] = (),
    account_id: str = ACCOUNT,
    rcp_levels: tuple[tuple[Any, ...], ...] = (),
    public_access_block: PublicAccessBlock | None = None,
    kms_keys: tuple[KmsKey, ...] = (),
    canonical_id: str | None = None,
) -> AccountInventory:
    return AccountInventory(
        account_id,
        users,
        groups,
        roles,
        policies,
        stores,
        scp_levels,
        rcp_levels=rcp_levels,
        public_access_block=public_access_block,
        kms_keys=kms_keys,
        canonical_id=canonical_id,
    )


def inventory(
    *accounts: AccountInventory, identity_center: Any = None, organization: Organization | None = None
) -> AwsInventory:
    return AwsInventory(T0, accounts, identity_center, organization=organization)
