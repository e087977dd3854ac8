"""IAM primitives: group membership, managed policy attachments, access keys (inline policies: inline.py).

IAM's error for "not attached" or "not a member" is the same NoSuchEntity as for "no such user", so the
write's error is never taken as proof of absence: a list call decides, before and (on a race) after.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from connectors.aws.revoke.base import (
    DONE,
    PENDING,
    Absent,
    AwsClients,
    AwsKind,
    Observed,
    PlannedRevocation,
    Polling,
    Primitive,
    Write,
    aws_action,
    call,
    pages,
    param,
    planned,
)
from reviews.entitlements import RevocationAction


@dataclass(frozen=True, slots=True)
class Holder:
    """What differs between an IAM user and an IAM role in the calls below."""

    noun: str  # "user" or "role": in descriptions and in method names (detach_{noun}_policy…)
    name_param: str  # our action parameter: "user_name" or "role_name"
    api_name: str  # the API's argument: "UserName" or "RoleName"


USER = Holder("user", "user_name", "UserName")
ROLE = Holder("role", "role_name", "RoleName")


def iam_client(clients: AwsClients, action: RevocationAction) -> Any:
    return clients.iam(param(action, "account_id"))


# --- group membership -------------------------------------------------------------------------------------


def _member(clients: AwsClients, action: RevocationAction) -> bool | None:
    """Whether the user is in the group; None when the user itself no longer exists."""
    try:
        groups = pages(
            iam_client(clients, action),
            action,
            "list_groups_for_user",
            "Groups",
            UserName=param(action, "user_name"),
        )
    except Absent:
        return None
    return any(group["GroupName"] == param(action, "group_name") for group in groups)


def _observe_removed(clients: AwsClients, action: RevocationAction) -> Observed:
    return PENDING if _member(clients, action) else DONE  # a deleted user is in no group


def _observe_added(clients: AwsClients, action: RevocationAction) -> Observed:
    member = _member(clients, action)
    if member is None:
        return Observed(done=False, conflict="the user no longer exists, so there is nothing to restore")
    return DONE if member else PENDING


def _membership(method: str) -> Write:
    def write(clients: AwsClients, action: RevocationAction, polling: Polling) -> None:
        names = {"UserName": param(action, "user_name"), "GroupName": param(action, "group_name")}
        call(iam_client(clients, action), action, method, **names)

    return write


def plan_remove_user_from_group(
    clients: AwsClients, *, account_id: str, user_name: str, group_name: str
) -> PlannedRevocation:
    where = f"in account {account_id}"
    keys = {"account_id": account_id, "user_name": user_name, "group_name": group_name}
    action = aws_action(
        AwsKind.REMOVE_USER_FROM_GROUP, f"remove IAM user {user_name} from group {group_name} {where}", **keys
    )
    inverse = aws_action(
        AwsKind.ADD_USER_TO_GROUP, f"add IAM user {user_name} back to group {group_name} {where}", **keys
    )
    return planned(clients, PRIMITIVES[AwsKind.REMOVE_USER_FROM_GROUP], action, inverse)


# --- managed policy attachments ---------------------------------------------------------------------------


def _attached(holder: Holder, clients: AwsClients, action: RevocationAction) -> bool | None:
    """Whether the policy is attached; None when the user or role no longer exists."""
    try:
        policies = pages(
            iam_client(clients, action),
            action,
            f"list_attached_{holder.noun}_policies",
            "AttachedPolicies",
            **{holder.api_name: param(action, holder.name_param)},
        )
    except Absent:
        return None
    return any(policy["PolicyArn"] == param(action, "policy_arn") for policy in policies)


def _attachment(holder: Holder, *, attach: bool) -> Primitive:
    def observe(clients: AwsClients, action: RevocationAction) -> Observed:
        attached = _attached(holder, clients, action)
        if attach and attached is None:
            return Observed(done=False, conflict=f"the {holder.noun} no longer exists, so nothing to restore")
        return DONE if bool(attached) == attach else PENDING

    def write(clients: AwsClients, action: RevocationAction, polling: Polling) -> None:
        method = f"{'attach' if attach else 'detach'}_{holder.noun}_policy"
        names = {holder.api_name: param(action, holder.name_param), "PolicyArn": param(action, "policy_arn")}
        call(iam_client(clients, action), action, method, **names)

    return Primitive(observe=observe, write=write)


def _plan_detach(
    clients: AwsClients, holder: Holder, kinds: tuple[AwsKind, AwsKind], account_id: str, name: str, arn: str
) -> PlannedRevocation:
    keys = {"account_id": account_id, holder.name_param: name, "policy_arn": arn}
    subject = f"IAM {holder.noun} {name} in account {account_id}"
    action = aws_action(kinds[0], f"detach managed policy {arn} from {subject}", **keys)
    inverse = aws_action(kinds[1], f"re-attach managed policy {arn} to {subject}", **keys)
    return planned(clients, PRIMITIVES[kinds[0]], action, inverse)


def plan_detach_user_policy(
    clients: AwsClients, *, account_id: str, user_name: str, policy_arn: str
) -> PlannedRevocation:
    kinds = (AwsKind.DETACH_USER_POLICY, AwsKind.ATTACH_USER_POLICY)
    return _plan_detach(clients, USER, kinds, account_id, user_name, policy_arn)


def plan_detach_role_policy(
    clients: AwsClients, *, account_id: str, role_name: str, policy_arn: str
) -> PlannedRevocation:
    kinds = (AwsKind.DETACH_ROLE_POLICY, AwsKind.ATTACH_ROLE_POLICY)
    return _plan_detach(clients, ROLE, kinds, account_id, role_name, policy_arn)


# --- access keys: deactivated, never deleted (undo must be able to bring the same key back) ---------------


def _key_status(clients: AwsClients, action: RevocationAction) -> str | None:
    """Active, Inactive or Expired; None when the key (or its user) no longer exists."""
    try:
        keys = pages(
            iam_client(clients, action),
            action,
            "list_access_keys",
            "AccessKeyMetadata",
            UserName=param(action, "user_name"),
        )
    except Absent:
        return None
    wanted = param(action, "access_key_id")
    return next((str(key["Status"]) for key in keys if key["AccessKeyId"] == wanted), None)


def _key(*, activate: bool) -> Primitive:
    def observe(clients: AwsClients, action: RevocationAction) -> Observed:
        status = _key_status(clients, action)
        if activate and status is None:
            return Observed(done=False, conflict="the key no longer exists, so it cannot be reactivated")
        return DONE if (status == "Active") == activate else PENDING

    def write(clients: AwsClients, action: RevocationAction, polling: Polling) -> None:
        keys = {"UserName": param(action, "user_name"), "AccessKeyId": param(action, "access_key_id")}
        call(iam_client(clients, action), action, "update_access_key", **keys, Status=_status(activate))

    return Primitive(observe=observe, write=write)


def _status(activate: bool) -> str:
    return "Active" if activate else "Inactive"


def plan_deactivate_access_key(
    clients: AwsClients, *, account_id: str, user_name: str, access_key_id: str
) -> PlannedRevocation:
    keys = {"account_id": account_id, "user_name": user_name, "access_key_id": access_key_id}
    subject = f"access key {access_key_id} of IAM user {user_name} in account {account_id}"
    action = aws_action(AwsKind.DEACTIVATE_ACCESS_KEY, f"deactivate {subject} (kept, not deleted)", **keys)
    inverse = aws_action(AwsKind.ACTIVATE_ACCESS_KEY, f"reactivate {subject}", **keys)
    return planned(clients, PRIMITIVES[AwsKind.DEACTIVATE_ACCESS_KEY], action, inverse)


PRIMITIVES: dict[AwsKind, Primitive] = {
    AwsKind.REMOVE_USER_FROM_GROUP: Primitive(_observe_removed, _membership("remove_user_from_group")),
    AwsKind.ADD_USER_TO_GROUP: Primitive(_observe_added, _membership("add_user_to_group")),
    AwsKind.DETACH_USER_POLICY: _attachment(USER, attach=False),
    AwsKind.ATTACH_USER_POLICY: _attachment(USER, attach=True),
    AwsKind.DETACH_ROLE_POLICY: _attachment(ROLE, attach=False),
    AwsKind.ATTACH_ROLE_POLICY: _attachment(ROLE, attach=True),
    AwsKind.DEACTIVATE_ACCESS_KEY: _key(activate=False),
    AwsKind.ACTIVATE_ACCESS_KEY: _key(activate=True),
}
