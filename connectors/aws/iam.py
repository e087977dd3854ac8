"""IAM of one account: users, groups, roles and the managed policies they use.

`GetAccountAuthorizationDetails` is read to the end by following `Marker` ourselves: IAM returns short pages
with `IsTruncated` set, and botocore's paginator stops quietly on a truncated page that lacks a marker,
which would be a partial read. Access keys and password use are not in that answer and cost a call or two
per user.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from connectors.aws.accounts import AwsAccount
from connectors.aws.documents import decode, tag_pairs, utc
from connectors.aws.errors import AwsApiError, aws_call, malformed, parsing
from connectors.aws.inventory import AccessKey, IamGroup, IamRole, IamUser, InlinePolicy, ManagedPolicy

logger = logging.getLogger(__name__)

DETAILS = "iam:GetAccountAuthorizationDetails"
_LISTS = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")
PERMISSIONS = (
    DETAILS,
    "iam:GetUser",
    "iam:ListAccessKeys",
    "iam:GetAccessKeyLastUsed",
    "iam:GetPolicy",
    "iam:GetPolicyVersion",
)


@dataclass(frozen=True, slots=True)
class IamRead:
    users: tuple[IamUser, ...]
    groups: tuple[IamGroup, ...]
    roles: tuple[IamRole, ...]
    policies: tuple[ManagedPolicy, ...]
    notes: tuple[str, ...]


def read_iam(account: AwsAccount, wanted_policies: Iterable[str] = ()) -> IamRead:
    """`wanted_policies`: further managed policy ARNs the caller needs (Identity Center's, resolved in this
    account); one that does not exist here is left out with a note, since nothing can use it."""
    client = account.client("iam")
    me = account.account_id
    details = _authorization_details(client, me)
    with parsing(me, DETAILS):
        groups = tuple(_group(item) for item in details["GroupDetailList"])
        roles = tuple(_role(item) for item in details["RoleDetailList"])
    users = tuple(_user(client, me, item) for item in details["UserDetailList"])
    holders: tuple[IamUser | IamGroup | IamRole, ...] = (*users, *groups, *roles)
    referenced = {arn for holder in holders for arn in holder.attached}
    bounded: tuple[IamUser | IamRole, ...] = (*users, *roles)
    referenced |= {who.boundary for who in bounded if who.boundary}
    wanted = referenced | set(wanted_policies)
    with parsing(me, DETAILS):
        # Customer managed policies are all kept; AWS managed ones only when used (moto lists them all).
        policies = {
            item["Arn"]: _policy(item)
            for item in details["Policies"]
            if not _aws_managed(item["Arn"]) or item["Arn"] in wanted
        }
    notes = []
    for arn in sorted(wanted - policies.keys()):
        try:
            policies[arn] = _get_policy(client, me, arn)
        except AwsApiError as exc:
            if exc.code != "NoSuchEntity" or arn in referenced:
                raise
            notes.append(f"account {me}: {arn} does not exist; no one can hold it here")
    return IamRead(users, groups, roles, tuple(sorted(policies.values(), key=lambda p: p.arn)), tuple(notes))


def _authorization_details(client: Any, account_id: str) -> dict[str, list[dict[str, Any]]]:
    collected: dict[str, dict[str, dict[str, Any]]] = {key: {} for key in _LISTS}
    markers: set[str] = set()
    marker: str | None = None
    while True:
        with aws_call(account_id, DETAILS):
            page = client.get_account_authorization_details(**({"Marker": marker} if marker else {}))
        with parsing(account_id, DETAILS):
            for key in _LISTS:
                for item in page.get(key, ()):  # a short page may carry only some of the lists
                    _collect(collected[key], item, account_id)
            truncated = page["IsTruncated"]
        if not truncated:
            break
        marker = page.get("Marker")
        if not marker:
            raise malformed(account_id, DETAILS, "a page says IsTruncated but gives no Marker")
        if marker in markers:
            raise malformed(account_id, DETAILS, "the same Marker came back twice")
        markers.add(marker)
    return {
        key: sorted(items.values(), key=lambda item: str(item["Arn"])) for key, items in collected.items()
    }


def _collect(into: dict[str, dict[str, Any]], item: dict[str, Any], account_id: str) -> None:
    """A repeated page is harmless; the same ARN with different content means pages from two states."""
    arn = item["Arn"]
    if arn in into and into[arn] != item:
        raise malformed(account_id, DETAILS, f"{arn} came back twice with different content")
    into[arn] = item


def _inline(items: list[dict[str, Any]] | None) -> tuple[InlinePolicy, ...]:
    return tuple(
        InlinePolicy(item["PolicyName"], decode(item["PolicyDocument"], url_encoded=True))
        for item in items or ()
    )


def _attached(item: dict[str, Any]) -> tuple[str, ...]:
    return tuple(policy["PolicyArn"] for policy in item.get("AttachedManagedPolicies") or ())


def _boundary(item: dict[str, Any]) -> str | None:
    boundary = item.get("PermissionsBoundary") or {}
    return boundary.get("PermissionsBoundaryArn")


def _policy(item: dict[str, Any]) -> ManagedPolicy:
    default = [version for version in item["PolicyVersionList"] if version["IsDefaultVersion"]]
    if len(default) != 1:
        raise KeyError(f"the one default version of {item['Arn']}")
    return ManagedPolicy(
        arn=item["Arn"],
        name=item.get("PolicyName") or _name_from_arn(item["Arn"]),  # moto omits PolicyName here
        document=decode(default[0]["Document"], url_encoded=True),
        aws_managed=_aws_managed(item["Arn"]),
    )


def _group(item: dict[str, Any]) -> IamGroup:
    return IamGroup(
        arn=item["Arn"],
        name=item["GroupName"],
        attached=_attached(item),
        inline=_inline(item.get("GroupPolicyList")),
    )


def _role(item: dict[str, Any]) -> IamRole:
    last_used = item.get("RoleLastUsed") or {}
    return IamRole(
        arn=item["Arn"],
        name=item["RoleName"],
        created=utc(item.get("CreateDate")),
        trust=decode(item["AssumeRolePolicyDocument"], url_encoded=True),
        attached=_attached(item),
        inline=_inline(item.get("RolePolicyList")),
        boundary=_boundary(item),
        tags=tag_pairs(item.get("Tags")),
        last_used=utc(last_used.get("LastUsedDate")),
        last_used_region=last_used.get("Region"),
        role_id=item["RoleId"],
    )


def _user(client: Any, account_id: str, item: dict[str, Any]) -> IamUser:
    with parsing(account_id, DETAILS):
        name = item["UserName"]
    with aws_call(account_id, f"iam:GetUser {name}"), parsing(account_id, f"iam:GetUser {name}"):
        password_last_used = client.get_user(UserName=name)["User"].get("PasswordLastUsed")
    keys = _keys(client, account_id, name)
    with parsing(account_id, DETAILS):
        return IamUser(
            arn=item["Arn"],
            name=name,
            user_id=item["UserId"],
            created=utc(item.get("CreateDate")),
            groups=tuple(item.get("GroupList") or ()),
            attached=_attached(item),
            inline=_inline(item.get("UserPolicyList")),
            boundary=_boundary(item),
            tags=tag_pairs(item.get("Tags")),
            password_last_used=utc(password_last_used),
            access_keys=keys,
        )


def _keys(client: Any, account_id: str, user_name: str) -> tuple[AccessKey, ...]:
    operation = f"iam:ListAccessKeys {user_name}"
    with aws_call(account_id, operation), parsing(account_id, operation):
        pages = list(client.get_paginator("list_access_keys").paginate(UserName=user_name))
        metas = [meta for page in pages for meta in page["AccessKeyMetadata"]]
    keys = []
    for meta in metas:
        key_id = meta["AccessKeyId"]
        operation = f"iam:GetAccessKeyLastUsed for {user_name}"  # never the key id: it is half a secret
        with aws_call(account_id, operation), parsing(account_id, operation):
            used = client.get_access_key_last_used(AccessKeyId=key_id)["AccessKeyLastUsed"]
        service = used.get("ServiceName")
        keys.append(
            AccessKey(
                key_id=key_id,
                status=meta["Status"],
                created=utc(meta.get("CreateDate")),
                last_used=utc(used.get("LastUsedDate")),
                last_used_service=None if service in (None, "N/A") else service,  # "N/A": never used
            )
        )
    return tuple(keys)


def _get_policy(client: Any, account_id: str, arn: str) -> ManagedPolicy:
    """A policy used but not in the authorization details (an AWS managed boundary, a permission set's)."""
    operation = f"iam:GetPolicy {arn}"
    with aws_call(account_id, operation), parsing(account_id, operation):
        policy = client.get_policy(PolicyArn=arn)["Policy"]
        version = client.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"])
        document = decode(version["PolicyVersion"]["Document"], url_encoded=True)
        return ManagedPolicy(
            arn=arn, name=policy["PolicyName"], document=document, aws_managed=_aws_managed(arn)
        )


def _name_from_arn(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def _aws_managed(arn: str) -> bool:
    return arn.split(":")[4] == "aws"  # arn:aws:iam::aws:policy/… has "aws" where an account id would be
