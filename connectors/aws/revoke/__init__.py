"""AWS revocation primitives: typed actions with their inverses, applied idempotently and read back.

    planned = plan_remove_user_from_group(clients, account_id=..., user_name=..., group_name=...)
    apply(clients, planned.action, dry_run=False)   # APPLIED, ALREADY_ABSENT or DRY_RUN
    verify(clients, planned.action)                 # True once the access is really gone
    apply(clients, planned.inverse, dry_run=False)  # undo
    plan_for_grant(grant)(clients)                  # the change that ends a grant, chosen from its path
    planned.approval                                # set: an admin must approve it first (shared policies)

The IAM permissions each kind needs are declared in connectors.aws.permissions.
"""

from connectors.aws.revoke.base import (
    UNDO,
    AwsClients,
    AwsKind,
    PlannedRevocation,
    Polling,
    SessionClients,
)
from connectors.aws.revoke.bucket_acl import plan_remove_acl_grant
from connectors.aws.revoke.engine import PRIMITIVES, apply, verify
from connectors.aws.revoke.iam import (
    plan_deactivate_access_key,
    plan_detach_role_policy,
    plan_detach_user_policy,
    plan_remove_user_from_group,
)
from connectors.aws.revoke.identity_center import plan_delete_account_assignment
from connectors.aws.revoke.inline import plan_delete_role_policy, plan_delete_user_policy
from connectors.aws.revoke.planning import Plan, plan_for_grant
from connectors.aws.revoke.public_access_block import plan_ignore_public_acls
from connectors.aws.revoke.resource_policies import plan_remove_from_statement

__all__ = [
    "PRIMITIVES",
    "UNDO",
    "AwsClients",
    "AwsKind",
    "Plan",
    "PlannedRevocation",
    "Polling",
    "SessionClients",
    "apply",
    "plan_deactivate_access_key",
    "plan_delete_account_assignment",
    "plan_delete_role_policy",
    "plan_delete_user_policy",
    "plan_detach_role_policy",
    "plan_detach_user_policy",
    "plan_for_grant",
    "plan_ignore_public_acls",
    "plan_remove_acl_grant",
    "plan_remove_from_statement",
    "plan_remove_user_from_group",
    "verify",
]
