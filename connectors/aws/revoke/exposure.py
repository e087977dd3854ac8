"""The choice of change for a grant that a resource policy statement or an ACL makes: public access, an
account Recertify does not read, a service, or a principal a statement names by its own ARN. Pure: the
plan it returns reads the policy, ACL or setting when called.

The grant's path ends with the step that grants it (connectors/aws/steps.py). Every change chosen here
edits something shared (a policy, an ACL, a bucket's public-access setting), so each plan carries the reason
an admin must approve it first; none ever runs automatically.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from connectors.aws.revoke.base import AwsClients, PlannedRevocation
from connectors.aws.revoke.bucket_acl import plan_remove_acl_grant
from connectors.aws.revoke.policy_stores import home_of
from connectors.aws.revoke.public_access_block import plan_ignore_public_acls
from connectors.aws.revoke.resource_policies import plan_remove_from_statement
from connectors.aws.steps import (
    BUCKET_ACL,
    OBJECT_ACL,
    RESOURCE_POLICY,
    parse_acl_step,
    parse_object_acls_step,
    parse_statement_step,
)
from reviews.entitlements import PUBLIC_PRINCIPAL_ID, Grant, PathStep
from reviews.errors import RevocationRefused

Plan = Callable[[AwsClients], PlannedRevocation]

ACL_APPROVAL = "a bucket ACL is changed only with an admin's approval"
BLOCK_APPROVAL = "Block Public Access changes what a whole bucket serves: only with an admin's approval"
GRANTING_KINDS = frozenset({RESOURCE_POLICY, BUCKET_ACL, OBJECT_ACL})


def is_outside(principal_id: str) -> bool:
    """Anyone ("*"), an account's root, or a service principal (a dotted name such as
    cloudtrail.amazonaws.com; Identity Center user ids have no dots)."""
    if principal_id == PUBLIC_PRINCIPAL_ID:
        return True
    if principal_id.startswith("arn:"):
        return principal_id.endswith(":root")
    return "." in principal_id


def plan_exposure(grant: Grant) -> Plan:
    """Public, an outside account or a service: the path's last step names what to change."""
    last = grant.path[-1]
    if last.kind == RESOURCE_POLICY:
        return plan_statement(grant, last)
    acl = parse_acl_step(last)
    if acl is not None:
        return partial(plan_remove_acl_grant, bucket_arn=acl[0], grantee=acl[1], approval=ACL_APPROVAL)
    bucket = parse_object_acls_step(last)
    if bucket is not None and grant.principal_provider_id == PUBLIC_PRINCIPAL_ID:
        return partial(plan_ignore_public_acls, bucket_arn=bucket, approval=BLOCK_APPROVAL)
    raise RevocationRefused(
        f"{grant.principal_provider_id}'s access to {grant.store_provider_id} comes from {last.name} "
        f"({last.kind}), which is not a statement, an ACL grant or public object ACLs: a person must decide "
        "what to change"
    )


def plan_statement(grant: Grant, step: PathStep) -> Plan:
    """Remove the grant's principal from the statement the step names (the public: the statement's "*")."""
    ref = parse_statement_step(step)
    if ref is None:
        raise RevocationRefused(
            f"{grant.principal_provider_id}'s access to {grant.store_provider_id} comes from {step.name}, "
            f"whose id {step.id} names no statement: a person must edit the policy"
        )
    label = home_of(ref.resource_arn, "").label
    return partial(
        plan_remove_from_statement,
        resource_arn=ref.resource_arn,
        index=ref.index,
        sid=ref.sid,
        principal_id=grant.principal_provider_id,
        approval=f"a shared {label} is changed only with an admin's approval",
    )


def acl_refusal(grant: Grant, step: PathStep) -> RevocationRefused:
    """An IAM user or role reached through a bucket ACL: the ACL names its account, not the principal."""
    return RevocationRefused(
        f"{step.name} of {grant.store_provider_id} grants {grant.principal_provider_id}'s account, not "
        f"{grant.principal_provider_id}: change {grant.principal_provider_id}'s own policies instead"
    )
