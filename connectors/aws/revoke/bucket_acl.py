"""Removing a grantee's grants from a bucket ACL, and adding them back.

PutBucketAcl replaces the whole ACL, so the write sends the ACL as read just before, with its owner, minus
(or plus) the planned grants: every other grant stays as it is. The path step names the grantee, not the
permission, so the grants removed are all of that grantee's as read when planned (READ, WRITE, …); the undo
adds back exactly those. A bucket whose ACLs are disabled (Object Ownership BucketOwnerEnforced) holds no
such grant: reading it shows the revocation done.
"""

from __future__ import annotations

import json
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
    answers,
    aws_action,
    call,
    json_param,
    param,
    planned,
)
from connectors.aws.revoke.policy_stores import bucket_owner
from reviews.entitlements import RevocationAction
from reviews.errors import NotFound

GrantKey = tuple[str, str, str]  # (grantee type, grantee, permission)


def _key(grant: dict[str, Any]) -> GrantKey:
    grantee = grant["Grantee"]
    who = grantee.get("URI") or grantee.get("ID") or grantee.get("EmailAddress") or ""
    return (str(grantee["Type"]), str(who), str(grant["Permission"]))


def _s3(clients: AwsClients, action: RevocationAction) -> Any:
    return clients.client(param(action, "account_id"), "s3")


def _acl(clients: AwsClients, action: RevocationAction) -> dict[str, Any] | None:
    """The bucket's ACL (Owner, Grants); None when the bucket no longer exists."""
    try:
        return call(_s3(clients, action), action, "get_bucket_acl", Bucket=param(action, "bucket"))
    except Absent:
        return None


def _planned(action: RevocationAction) -> list[dict[str, Any]]:
    grants: list[dict[str, Any]] = json_param(action, "grants")
    return grants


def _present(acl: dict[str, Any], action: RevocationAction) -> list[bool]:
    held = {_key(grant) for grant in acl["Grants"]}
    return [_key(grant) in held for grant in _planned(action)]


def _observe_removed(clients: AwsClients, action: RevocationAction) -> Observed:
    acl = _acl(clients, action)
    return PENDING if acl is not None and any(_present(acl, action)) else DONE


def _observe_added(clients: AwsClients, action: RevocationAction) -> Observed:
    acl = _acl(clients, action)
    if acl is None:
        return Observed(done=False, conflict="the bucket no longer exists, so there is nothing to restore")
    return DONE if all(_present(acl, action)) else PENDING


def _put(clients: AwsClients, action: RevocationAction, acl: dict[str, Any], grants: list[Any]) -> None:
    policy = {"Owner": acl["Owner"], "Grants": grants}
    call(
        _s3(clients, action),
        action,
        "put_bucket_acl",
        Bucket=param(action, "bucket"),
        AccessControlPolicy=policy,
    )


def _write_removed(clients: AwsClients, action: RevocationAction, polling: Polling) -> None:
    acl = _read_for_write(clients, action)
    removed = {_key(grant) for grant in _planned(action)}
    _put(clients, action, acl, [grant for grant in acl["Grants"] if _key(grant) not in removed])


def _write_added(clients: AwsClients, action: RevocationAction, polling: Polling) -> None:
    acl = _read_for_write(clients, action)
    held = {_key(grant) for grant in acl["Grants"]}
    _put(clients, action, acl, [*acl["Grants"], *(g for g in _planned(action) if _key(g) not in held)])


def _read_for_write(clients: AwsClients, action: RevocationAction) -> dict[str, Any]:
    acl = _acl(clients, action)
    if acl is None:
        raise Absent(f"{action.description}: the bucket no longer exists", code="NoSuchBucket")
    return acl


def plan_remove_acl_grant(
    clients: AwsClients, *, bucket_arn: str, grantee: str, approval: str
) -> PlannedRevocation:
    """End what the bucket ACL grants `grantee` (a group URI such as …/global/AllUsers, or a canonical user
    id). NotFound when the ACL grants it nothing any more."""
    bucket = bucket_arn.rsplit(":", 1)[-1]
    subject = f"the ACL of bucket {bucket}"
    probe = aws_action(AwsKind.REMOVE_BUCKET_ACL_GRANT, f"plan removing {grantee} from {subject}")
    with answers(probe):
        account_id = bucket_owner(clients, probe, bucket)
        probe = aws_action(
            AwsKind.REMOVE_BUCKET_ACL_GRANT, probe.description, account_id=account_id, bucket=bucket
        )
        acl = _acl(clients, probe)
        mine = [_bare(grant) for grant in (acl or {"Grants": []})["Grants"] if _key(grant)[1] == grantee]
    if not mine:
        raise NotFound(f"remove {grantee} from {subject}: a read shows it grants {grantee} nothing")
    permissions = ", ".join(str(grant["Permission"]) for grant in mine)
    params = {"account_id": account_id, "bucket": bucket, "grantee": grantee, "grants": json.dumps(mine)}
    action = aws_action(
        AwsKind.REMOVE_BUCKET_ACL_GRANT, f"remove {grantee} ({permissions}) from {subject}", **params
    )
    inverse = aws_action(
        AwsKind.ADD_BUCKET_ACL_GRANT, f"grant {grantee} {permissions} again in {subject}", **params
    )
    return planned(clients, PRIMITIVES[AwsKind.REMOVE_BUCKET_ACL_GRANT], action, inverse, approval)


def _bare(grant: dict[str, Any]) -> dict[str, Any]:
    """A grant as PutBucketAcl takes it back: DisplayName is "optional and ignored in the request"."""
    grantee = {k: v for k, v in grant["Grantee"].items() if k in ("Type", "URI", "ID", "EmailAddress")}
    return {"Grantee": grantee, "Permission": grant["Permission"]}


PRIMITIVES: dict[AwsKind, Primitive] = {
    AwsKind.REMOVE_BUCKET_ACL_GRANT: Primitive(_observe_removed, _write_removed),
    AwsKind.ADD_BUCKET_ACL_GRANT: Primitive(_observe_added, _write_added),
}
