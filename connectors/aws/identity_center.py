"""IAM Identity Center: its users and groups, the permission sets, and who is assigned what in our accounts.

Read with the caller's credentials (Identity Center lives in the management account or a delegated
administrator). `aws.identity_center = true` means "read it when the credentials can": no instance in the
region, or ListInstances denied, gives None and a note. Once an instance is found, everything else must
be read in full or the sync fails: a half-read Identity Center would silently drop assignments. Without it,
the AWSReservedSSO_* roles it provisions are still read as IAM roles; only who stands behind them is lost.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

from connectors.aws.accounts import AwsAccount
from connectors.aws.documents import decode
from connectors.aws.errors import AwsApiError, aws_call, is_access_denied, parsing
from connectors.aws.inventory import (
    AccountAssignment,
    IdentityCenter,
    IdentityStoreGroup,
    IdentityStoreUser,
    PermissionSet,
)

logger = logging.getLogger(__name__)

PERMISSIONS = (
    "sso:ListInstances",
    "sso:ListPermissionSets",
    "sso:DescribePermissionSet",
    "sso:ListManagedPoliciesInPermissionSet",
    "sso:ListCustomerManagedPolicyReferencesInPermissionSet",
    "sso:GetInlinePolicyForPermissionSet",
    "sso:GetPermissionsBoundaryForPermissionSet",
    "sso:ListAccountAssignments",
    "identitystore:ListUsers",
    "identitystore:ListGroups",
    "identitystore:ListGroupMemberships",
)


def read_identity_center(
    caller: AwsAccount, region: str, account_ids: Sequence[str]
) -> tuple[IdentityCenter | None, str | None]:
    """The instance's content for `account_ids`, or None and a note saying why there is none."""
    sso: Any = caller.client("sso-admin", region)
    me = caller.account_id
    try:
        instances = _pages(me, sso, "list_instances", "Instances")
    except AwsApiError as exc:
        if not is_access_denied(exc):
            raise
        return None, f"Identity Center not read: account {me} may not call sso:ListInstances ({exc.code})"
    if not instances:
        return None, (
            f"Identity Center not read: account {me} sees no instance in {region} "
            "(set aws.identity_center_region, or aws.identity_center = false)"
        )
    with parsing(me, "sso:ListInstances"):
        instance_arn, identity_store_id = instances[0]["InstanceArn"], instances[0]["IdentityStoreId"]
    note = f"Identity Center: {len(instances)} instances, read {instance_arn}" if len(instances) > 1 else None
    arns = _pages(me, sso, "list_permission_sets", "PermissionSets", InstanceArn=instance_arn)
    permission_sets = tuple(_permission_set(me, sso, instance_arn, arn) for arn in sorted(arns))
    assignments = [
        item
        for account_id in account_ids
        for arn in sorted(arns)
        for item in _pages(
            me,
            sso,
            "list_account_assignments",
            "AccountAssignments",
            InstanceArn=instance_arn,
            AccountId=account_id,
            PermissionSetArn=arn,
        )
    ]
    ids: Any = caller.client("identitystore", region)
    users = _pages(me, ids, "list_users", "Users", IdentityStoreId=identity_store_id)
    with parsing(me, "Identity Center"):
        center = IdentityCenter(
            instance_arn=instance_arn,
            identity_store_id=identity_store_id,
            users=tuple(sorted((_user(item) for item in users), key=lambda user: user.user_id)),
            groups=_groups(me, ids, identity_store_id),
            permission_sets=permission_sets,
            assignments=tuple(_assignment(item) for item in assignments),
        )
    return center, note


def wanted_policies(center: IdentityCenter, account_id: str, partition: str) -> set[str]:
    """The managed policies the permission sets assigned in this account use, as ARNs in this account."""
    assigned = {a.permission_set_arn for a in center.assignments if a.account_id == account_id}
    wanted: set[str] = set()
    for permission_set in center.permission_sets:
        if permission_set.arn in assigned:
            references: Iterable[str] = (*permission_set.customer_managed, permission_set.boundary or "")
            wanted.update(permission_set.managed)
            wanted.update(_in_account(ref, account_id, partition) for ref in references if ref)
    return wanted


def _in_account(reference: str, account_id: str, partition: str) -> str:
    """A customer managed reference ("/path/name") resolved in one account; an ARN is already resolved."""
    return (
        reference if reference.startswith("arn:") else f"arn:{partition}:iam::{account_id}:policy{reference}"
    )


def _pages(account_id: str, client: Any, operation: str, key: str, **kwargs: str) -> list[Any]:
    # Named as in IAM policies (sso:ListInstances), which is what an admin has to grant.
    api = client.meta.method_to_api_mapping[operation]
    where = f"{client.meta.service_model.signing_name}:{api} in {client.meta.region_name}"
    with aws_call(account_id, where), parsing(account_id, where):
        return [item for page in client.get_paginator(operation).paginate(**kwargs) for item in page[key]]


def _permission_set(account_id: str, sso: Any, instance_arn: str, arn: str) -> PermissionSet:
    keys = {"InstanceArn": instance_arn, "PermissionSetArn": arn}
    where = f"sso:DescribePermissionSet {arn} in {sso.meta.region_name}"
    with aws_call(account_id, where), parsing(account_id, where):
        name = sso.describe_permission_set(**keys)["PermissionSet"]["Name"]
        inline = sso.get_inline_policy_for_permission_set(**keys)["InlinePolicy"]
    managed = _pages(
        account_id, sso, "list_managed_policies_in_permission_set", "AttachedManagedPolicies", **keys
    )
    customer = _pages(
        account_id,
        sso,
        "list_customer_managed_policy_references_in_permission_set",
        "CustomerManagedPolicyReferences",
        **keys,
    )
    with parsing(account_id, where):
        return PermissionSet(
            arn=arn,
            name=name,
            managed=tuple(sorted(policy["Arn"] for policy in managed)),
            customer_managed=tuple(sorted(_reference(ref) for ref in customer)),
            inline=decode(inline) if inline else None,  # "" is how AWS says "no inline policy"
            boundary=_boundary(account_id, sso, keys),
        )


def _boundary(account_id: str, sso: Any, keys: dict[str, str]) -> str | None:
    """An AWS managed policy ARN, or a customer managed reference "/path/name"; None when there is none."""
    where = f"sso:GetPermissionsBoundaryForPermissionSet {keys['PermissionSetArn']} in {sso.meta.region_name}"
    try:
        with aws_call(account_id, where):
            boundary = sso.get_permissions_boundary_for_permission_set(**keys)["PermissionsBoundary"]
    except AwsApiError as exc:
        if exc.code == "ResourceNotFoundException":
            return None
        raise
    if "ManagedPolicyArn" in boundary:
        return str(boundary["ManagedPolicyArn"])
    return _reference(boundary["CustomerManagedPolicyReference"])


def _reference(reference: dict[str, str]) -> str:
    return f"{reference.get('Path') or '/'}{reference['Name']}"


def _assignment(item: dict[str, str]) -> AccountAssignment:
    return AccountAssignment(
        account_id=item["AccountId"],
        permission_set_arn=item["PermissionSetArn"],
        principal_type=item["PrincipalType"],
        principal_id=item["PrincipalId"],
    )


def _user(item: dict[str, Any]) -> IdentityStoreUser:
    emails = item.get("Emails") or []
    primary = [email["Value"] for email in emails if email.get("Primary")]
    # The primary address; a lone address is primary in all but name. Several and none primary: unknown.
    email = primary[0] if primary else (emails[0]["Value"] if len(emails) == 1 else None)
    return IdentityStoreUser(
        user_id=item["UserId"],
        user_name=item["UserName"],
        display_name=item.get("DisplayName") or "",
        email=email,
    )


def _groups(account_id: str, ids: Any, identity_store_id: str) -> tuple[IdentityStoreGroup, ...]:
    groups = []
    for item in _pages(account_id, ids, "list_groups", "Groups", IdentityStoreId=identity_store_id):
        members = _pages(
            account_id,
            ids,
            "list_group_memberships",
            "GroupMemberships",
            IdentityStoreId=identity_store_id,
            GroupId=item["GroupId"],
        )
        groups.append(
            IdentityStoreGroup(
                group_id=item["GroupId"],
                name=item.get("DisplayName") or "",
                member_user_ids=tuple(
                    sorted(m["MemberId"]["UserId"] for m in members if "UserId" in m["MemberId"])
                ),
            )
        )
    return tuple(sorted(groups, key=lambda group: group.group_id))
