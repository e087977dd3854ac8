"""Turning on a bucket's Block Public Access IgnorePublicAcls and RestrictPublicBuckets, and putting back the
configuration that was there before.

Objects can carry public ACLs of their own that Recertify does not read; IgnorePublicAcls makes S3 ignore
every public ACL on the bucket and its objects, without changing any ACL, and RestrictPublicBuckets cuts
public and cross-account access through a public bucket policy. The other two settings (BlockPublicAcls,
BlockPublicPolicy) only refuse future writes: they are kept as they are. The undo restores the configuration
read when planned, exactly, or deletes it if the bucket had none; it never overwrites a configuration
someone changed since.
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

Configuration = dict[str, bool]
SETTINGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
TURNED_ON = ("IgnorePublicAcls", "RestrictPublicBuckets")


def _s3(clients: AwsClients, action: RevocationAction) -> Any:
    return clients.client(param(action, "account_id"), "s3")


class _Gone:
    """The bucket itself no longer exists: nothing is served, and there is nothing to restore."""


GONE = _Gone()


def _read(clients: AwsClients, action: RevocationAction) -> Configuration | None | _Gone:
    """The bucket's own configuration; None when it has none."""
    try:
        answer = call(_s3(clients, action), action, "get_public_access_block", Bucket=param(action, "bucket"))
    except Absent as exc:
        return GONE if exc.code == "NoSuchBucket" else None
    found = answer["PublicAccessBlockConfiguration"]
    return {
        name: bool(found.get(name, False)) for name in SETTINGS
    }  # an unset setting is off (AWS's default)


def _present(clients: AwsClients, action: RevocationAction) -> Configuration | None:
    current = _read(clients, action)
    if isinstance(current, _Gone):
        raise Absent(f"{action.description}: the bucket no longer exists", code="NoSuchBucket")
    return current


def _on(configuration: Configuration | None) -> Configuration:
    return {**(configuration or dict.fromkeys(SETTINGS, False)), **dict.fromkeys(TURNED_ON, True)}


def _previous(action: RevocationAction) -> Configuration | None:
    previous: Configuration | None = json_param(action, "previous")
    return previous


def _observe_enabled(clients: AwsClients, action: RevocationAction) -> Observed:
    current = _read(clients, action)
    if isinstance(current, _Gone):
        return DONE
    return DONE if current is not None and all(current[name] for name in TURNED_ON) else PENDING


def _write_enabled(clients: AwsClients, action: RevocationAction, polling: Polling) -> None:
    configuration = _on(_present(clients, action))  # the other two settings as they are now
    call(
        _s3(clients, action),
        action,
        "put_public_access_block",
        Bucket=param(action, "bucket"),
        PublicAccessBlockConfiguration=configuration,
    )


def _observe_restored(clients: AwsClients, action: RevocationAction) -> Observed:
    current, previous = _read(clients, action), _previous(action)
    if isinstance(current, _Gone):
        return Observed(done=False, conflict="the bucket no longer exists, so there is nothing to restore")
    if current == previous:
        return DONE
    if current == _on(previous):
        return PENDING
    return Observed(
        done=False,
        conflict=f"Block Public Access changed after the revocation ({current}): not overwritten; "
        f"the configuration before it was {previous}",
    )


def _write_restored(clients: AwsClients, action: RevocationAction, polling: Polling) -> None:
    previous, bucket = _previous(action), param(action, "bucket")
    if previous is None:
        call(_s3(clients, action), action, "delete_public_access_block", Bucket=bucket)
    else:
        kwargs = {"Bucket": bucket, "PublicAccessBlockConfiguration": previous}
        call(_s3(clients, action), action, "put_public_access_block", **kwargs)


def plan_ignore_public_acls(clients: AwsClients, *, bucket_arn: str, approval: str) -> PlannedRevocation:
    """NotFound when the bucket already ignores public ACLs and restricts public policies."""
    bucket = bucket_arn.rsplit(":", 1)[-1]
    subject = f"Block Public Access IgnorePublicAcls and RestrictPublicBuckets on bucket {bucket}"
    probe = aws_action(AwsKind.ENABLE_BUCKET_PUBLIC_ACCESS_BLOCK, f"plan turning on {subject}")
    with answers(probe):
        account_id = bucket_owner(clients, probe, bucket)
        located = aws_action(
            AwsKind.ENABLE_BUCKET_PUBLIC_ACCESS_BLOCK, probe.description, account_id=account_id, bucket=bucket
        )
        previous = _present(clients, located)
    if previous is not None and all(previous[name] for name in TURNED_ON):
        raise NotFound(f"turn on {subject}: a read shows they are already on")
    params = {"account_id": account_id, "bucket": bucket, "previous": json.dumps(previous)}
    action = aws_action(AwsKind.ENABLE_BUCKET_PUBLIC_ACCESS_BLOCK, f"turn on {subject}", **params)
    before = "no configuration" if previous is None else json.dumps(previous)
    inverse = aws_action(
        AwsKind.RESTORE_BUCKET_PUBLIC_ACCESS_BLOCK,
        f"restore Block Public Access on bucket {bucket} as it was ({before})",
        **params,
    )
    return planned(clients, PRIMITIVES[AwsKind.ENABLE_BUCKET_PUBLIC_ACCESS_BLOCK], action, inverse, approval)


PRIMITIVES: dict[AwsKind, Primitive] = {
    AwsKind.ENABLE_BUCKET_PUBLIC_ACCESS_BLOCK: Primitive(_observe_enabled, _write_enabled),
    AwsKind.RESTORE_BUCKET_PUBLIC_ACCESS_BLOCK: Primitive(_observe_restored, _write_restored),
}
