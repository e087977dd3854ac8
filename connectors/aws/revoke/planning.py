"""From a grant to the one AWS change that ends it for its principal alone, or a refusal that tells a person
what to change instead. The first hop of the grant's path (from the principal) decides:

| principal              | path starts with                  | change                                        |
|------------------------|-----------------------------------|-----------------------------------------------|
| IAM user               | group                             | remove the user from that group               |
| IAM user or role       | a managed policy attached to it   | detach it from the user / role                |
| IAM user or role       | its own inline policy             | delete it (the undo carries the document)     |
| Identity Center user   | permission set, assigned directly | delete that user's account assignment         |
| Identity Center user   | Identity Center group             | refused: the group's membership must change   |
| any                    | a role it assumes                 | refused: the role serves everyone who uses it |
| service-linked/IC role | anything                          | refused: AWS or Identity Center owns it       |

Grants a resource policy or an ACL makes are decided by the path's last step, the one that grants
(connectors/aws/steps.py), and always held for an admin's approval (PlannedChange.approval):

| principal               | path ends with                    | change (an admin approves)                 |
|-------------------------|-----------------------------------|--------------------------------------------|
| public ("*")            | a policy statement                | remove the statement's "*" (usually, it)   |
| public, outside account | a bucket ACL grant                | remove that grantee's grants from the ACL  |
| public                  | object ACLs                       | turn on IgnorePublicAcls and               |
|                         |                                   | RestrictPublicBuckets on the bucket        |
| outside account/service | a policy statement                | remove that principal from the statement   |
| IAM user or role        | a statement naming its own ARN    | remove it from the statement               |
| IAM user or role        | a statement with "*" or its       | refused: act on the exposure, or on its    |
|                         | account (not its ARN)             | own policies                               |
| IAM user or role        | a bucket ACL grant                | refused: the ACL names its account         |

A statement whose last principal is removed goes; a policy whose last statement goes is deleted. A bucket,
table, stream or access point policy alike (resource_policies.py); planning reads it, NotFound when no
statement names the principal any more.

A role's path may begin with who may assume it (service, federated): context, not a hop, so it is skipped.

A policy attached to a group is never detached (that would cut every member): the user leaves the group.
Anything else is refused: a refusal becomes "needs human review", never a guess. The choice is pure; the plan
it returns runs the primitive's confirming read (NotFound when the access is already gone); for Identity
Center, also sso:ListInstances, to find the instance that holds the permission set.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from connectors.aws.revoke import exposure
from connectors.aws.revoke.base import AwsClients, AwsKind, PlannedRevocation, answers, aws_action, pages
from connectors.aws.revoke.iam import (
    plan_detach_role_policy,
    plan_detach_user_policy,
    plan_remove_user_from_group,
)
from connectors.aws.revoke.identity_center import plan_delete_account_assignment
from connectors.aws.revoke.inline import plan_delete_role_policy, plan_delete_user_policy
from connectors.aws.steps import BUCKET_ACL, RESOURCE_POLICY
from reviews.entitlements import Grant, PathStep
from reviews.errors import RevocationRefused

Plan = Callable[[AwsClients], PlannedRevocation]

# Steps transform.py puts before a role's own path: who may assume the role, not a hop from it.
TRUST_KINDS = frozenset({"service", "federated"})
INLINE_SEPARATOR = "#inline:"  # evaluate.py: an inline policy's step id is "{owner ARN}#inline:{name}"
# Roles whose policies belong to AWS or to Identity Center: IAM refuses the change, or it is undone.
_OWNED_ROLE_PATHS = {
    "/aws-service-role/": "it is a service-linked role, whose permissions AWS manages",
    "/aws-reserved/sso.amazonaws.com/": (
        "Identity Center provisions it from a permission set: change the permission set or its assignments"
    ),
}


@dataclass(frozen=True, slots=True)
class IamArn:
    """arn:{partition}:iam::{account}:{type}/{path…}/{name}."""

    account_id: str  # "aws" for AWS managed policies
    type: str  # user | role | group | policy
    path: str  # "/" or "/a/b/"
    name: str


def iam_arn(arn: str) -> IamArn | None:
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "iam" or not parts[4]:
        return None
    kind, _, rest = parts[5].partition("/")
    *folders, name = rest.split("/")
    if not kind or not name:
        return None
    return IamArn(parts[4], kind, "/" + "".join(f"{folder}/" for folder in folders), name)


def plan_for_grant(grant: Grant) -> Plan:
    """The plan that ends `grant` for its principal (call it with the read clients), or RevocationRefused."""
    if grant.needs_human_review:
        raise RevocationRefused(
            f"{grant.principal_provider_id}'s access to {grant.store_provider_id} comes from a policy "
            f"Recertify could not fully read ({_path(grant.path)}): a person must decide what to change"
        )
    if exposure.is_outside(grant.principal_provider_id):
        return exposure.plan_exposure(grant)
    principal = iam_arn(grant.principal_provider_id)
    if principal is None:
        if grant.principal_provider_id.startswith("arn:"):
            raise RevocationRefused(
                f"{grant.principal_provider_id} is not an IAM user or role this version can change"
            )
        return _identity_center_user(grant)
    if principal.type == "user":
        return _iam_user(grant, principal)
    if principal.type == "role":
        return _iam_role(grant, principal)
    raise RevocationRefused(
        f"{grant.principal_provider_id} is not an IAM user or role this version can change"
    )


def _iam_user(grant: Grant, user: IamArn) -> Plan:
    first = grant.path[0]
    if first.kind != "group" and (named := _granting_step(grant, grant.path)) is not None:
        return named
    if first.kind != "group":
        return _own_policy(grant, user, grant.path, "user")
    group = iam_arn(first.id)
    if group is None or group.type != "group" or group.account_id != user.account_id:
        raise RevocationRefused(
            f"{grant.principal_provider_id} reaches {grant.store_provider_id} through group {first.name}, "
            f"whose id {first.id} is not an IAM group of account {user.account_id}: a person must check it"
        )
    # Never the group's policy: detaching it would cut every member, not this user.
    return partial(
        plan_remove_user_from_group, account_id=user.account_id, user_name=user.name, group_name=group.name
    )


def _iam_role(grant: Grant, role: IamArn) -> Plan:
    for folder, why in _OWNED_ROLE_PATHS.items():
        if role.path.startswith(folder):
            raise RevocationRefused(f"role {role.name} cannot be changed by Recertify: {why}")
    path = grant.path
    while path and path[0].kind in TRUST_KINDS:
        path = path[1:]
    if not path:
        raise RevocationRefused(f"{grant.principal_provider_id}: the path names no policy to change")
    return _granting_step(grant, path) or _own_policy(grant, role, path, "role")


def _granting_step(grant: Grant, path: tuple[PathStep, ...]) -> Plan | None:
    """A path that ends in a resource-policy statement or ACL grant, reached with the principal's own
    policies at most (no group, no role between): that statement grants it, so it changes there, with an
    admin's approval, if it names the principal by its own ARN (the plan's read decides)."""
    last = path[-1]
    if last.kind not in (RESOURCE_POLICY, BUCKET_ACL):
        return None
    if any(step.kind not in ("policy", "inline_policy") for step in path[:-1]):
        return None
    if last.kind == BUCKET_ACL:
        raise exposure.acl_refusal(grant, last)
    return exposure.plan_statement(grant, last)


def _own_policy(grant: Grant, holder: IamArn, path: tuple[PathStep, ...], noun: str) -> Plan:
    """A managed or inline policy of the principal itself; every other first hop is refused."""
    first = path[0]
    if first.kind == "policy" and len(path) == 1:
        policy = iam_arn(first.id)
        if policy is None or policy.type != "policy":
            raise RevocationRefused(f"{grant.principal_provider_id}: {first.id} is not a managed policy ARN")
        if noun == "user":
            return partial(
                plan_detach_user_policy,
                account_id=holder.account_id,
                user_name=holder.name,
                policy_arn=first.id,
            )
        return partial(
            plan_detach_role_policy, account_id=holder.account_id, role_name=holder.name, policy_arn=first.id
        )
    if first.kind == "inline_policy" and len(path) == 1:
        owner, separator, name = first.id.partition(INLINE_SEPARATOR)
        if not separator or owner != grant.principal_provider_id or not name:
            raise RevocationRefused(
                f"{grant.principal_provider_id}: inline policy {first.name} ({first.id}) is not its own: a "
                "person must check where it is"
            )
        if noun == "user":
            return partial(
                plan_delete_user_policy, account_id=holder.account_id, user_name=holder.name, policy_name=name
            )
        return partial(
            plan_delete_role_policy, account_id=holder.account_id, role_name=holder.name, policy_name=name
        )
    raise _refusal(grant, first)


def _identity_center_user(grant: Grant) -> Plan:
    first = grant.path[0]
    if first.kind == "group":
        raise RevocationRefused(
            f"Identity Center user {grant.principal_provider_id} has this access as a member of group "
            f"{first.name}: remove them from {first.name} in the identity source (changing the group's "
            "assignment would cut every member)"
        )
    if first.kind != "permission_set":
        raise _refusal(grant, first)
    role = iam_arn(grant.path[1].id) if len(grant.path) > 1 and grant.path[1].kind == "role" else None
    if role is None or role.type != "role":
        raise RevocationRefused(
            f"Identity Center user {grant.principal_provider_id}: permission set {first.name} is not "
            "followed by the role it provisions: a person must check the assignment"
        )
    return partial(
        _delete_assignment,
        account_id=role.account_id,
        permission_set_arn=first.id,
        principal_id=grant.principal_provider_id,
    )


def _delete_assignment(
    clients: AwsClients, *, account_id: str, permission_set_arn: str, principal_id: str
) -> PlannedRevocation:
    return plan_delete_account_assignment(
        clients,
        instance_arn=_instance_of(clients, permission_set_arn),
        account_id=account_id,
        permission_set_arn=permission_set_arn,
        principal_type="USER",
        principal_id=principal_id,
    )


def _instance_of(clients: AwsClients, permission_set_arn: str) -> str:
    """The Identity Center instance that holds the permission set: the one whose id its ARN names
    (`…:permissionSet/{instance id}/{permission set id}`), read with sso:ListInstances, never assumed."""
    probe = aws_action(
        AwsKind.DELETE_ACCOUNT_ASSIGNMENT, f"find the Identity Center instance of {permission_set_arn}"
    )
    named = set(permission_set_arn.split(":", 5)[-1].split("/"))
    with answers(probe):
        instances = [
            item["InstanceArn"] for item in pages(clients.sso_admin(), probe, "list_instances", "Instances")
        ]
    found = [arn for arn in instances if arn.rsplit("/", 1)[-1] in named]
    if len(found) != 1:
        raise RevocationRefused(
            f"permission set {permission_set_arn} belongs to no Identity Center instance these credentials "
            "see: a person must remove the assignment"
        )
    return str(found[0])


def _refusal(grant: Grant, first: PathStep) -> RevocationRefused:
    who, where = grant.principal_provider_id, grant.store_provider_id
    if first.kind == "role":
        return RevocationRefused(
            f"{who} reaches {where} by assuming role {first.name}: changing the role would change it for "
            f"everyone who uses it; change who may assume it instead (the role's trust policy, or "
            f"sts:AssumeRole in {who}'s own policies)"
        )
    if first.kind == "resource_policy":
        return RevocationRefused(
            f"the {first.name} of {where} names {who} directly: remove {who} from that policy's statements "
            "(a shared resource policy is edited by a person, never automatically)"
        )
    return RevocationRefused(
        f"{who}'s access to {where} ({_path(grant.path)}) is not one Recertify can end for this principal "
        "alone: a person must decide what to change"
    )


def _path(path: tuple[PathStep, ...]) -> str:
    return " → ".join(map(str, path))
