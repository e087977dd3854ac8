"""Where a resource policy lives and the three calls that read, replace and delete it: a bucket policy (S3),
a table or stream policy (DynamoDB), an access point policy (S3 Control). Also which read account owns a
bucket, since a bucket's ARN names no account.

Only DynamoDB can make a write conditional: each write carries the revision id its read saw
(ExpectedRevisionId), so an edit made in between fails instead of being overwritten. S3 has no such
precondition for bucket or access point policies; the write re-reads just before it puts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from connectors.aws.errors import SOURCE
from connectors.aws.revoke.base import Absent, AwsClients, call, pages
from reviews.entitlements import RevocationAction
from reviews.errors import RevocationRefused, SourceUnavailable

NO_POLICY = "NO_POLICY"  # DynamoDB: "to conditionally attach a policy when no policy exists"


@dataclass(frozen=True, slots=True)
class Current:
    """A policy as read: its JSON text and (DynamoDB only) the revision id a conditional write names."""

    text: str
    revision: str | None = None


@dataclass(frozen=True, slots=True)
class PolicyHome:
    """One resource's policy: what to call it, and how to read, replace and delete it."""

    label: str  # "bucket policy", "table policy", "stream policy", "access point policy"
    resource_arn: str
    account_id: str
    read: Callable[[AwsClients, RevocationAction], Current | None]
    put: Callable[[AwsClients, RevocationAction, str, Current | None], None]
    delete: Callable[[AwsClients, RevocationAction, Current], None]

    @property
    def name(self) -> str:
        return f"the {self.label} of {self.resource_arn}"


def home_of(resource_arn: str, account_id: str) -> PolicyHome:
    """The policy a `resource_policy` path step names, by its resource's ARN (connectors/aws/steps.py)."""
    parts = resource_arn.split(":", 5)
    if len(parts) == 6 and parts[0] == "arn":
        service, region, resource = parts[2], parts[3], parts[5]
        if service == "s3" and not region and "/" not in resource and resource:
            return _bucket(resource_arn, account_id, resource)
        if service == "s3" and resource.startswith("accesspoint/") and parts[4]:
            return _access_point(resource_arn, parts[4], region, resource.removeprefix("accesspoint/"))
        if service == "dynamodb" and resource.startswith("table/") and parts[4]:
            label = "stream policy" if "/stream/" in resource else "table policy"
            return _dynamodb(resource_arn, parts[4], region, label)
    raise RevocationRefused(
        f"{resource_arn} is not a bucket, table, stream or access point whose policy "
        "Recertify can change: a person must edit it"
    )


def account_of(resource_arn: str) -> str | None:
    """The owning account an ARN names; None for a bucket (its ARN names none: see `bucket_owner`)."""
    parts = resource_arn.split(":", 5)
    return parts[4] or None if len(parts) == 6 else None


def bucket_owner(clients: AwsClients, probe: RevocationAction, bucket: str) -> str:
    """The read account whose ListBuckets lists the bucket ("Returns a list of all buckets owned by the
    authenticated sender of the request"). None of them: refused, never guessed."""
    for account_id in clients.account_ids():
        s3 = clients.client(account_id, "s3")
        found = pages(s3, probe, "list_buckets", "Buckets", Prefix=bucket)
        if any(item["Name"] == bucket for item in found):
            return account_id
    raise RevocationRefused(
        f"{probe.description}: no account Recertify reads owns bucket {bucket} (deleted, or its account is "
        "no longer configured): nothing was planned"
    )


# --- S3 bucket policy -------------------------------------------------------------------------------------


def _bucket(resource_arn: str, account_id: str, bucket: str) -> PolicyHome:
    def s3(clients: AwsClients) -> Any:
        return clients.client(account_id, "s3")

    def read(clients: AwsClients, action: RevocationAction) -> Current | None:
        try:
            answer = call(s3(clients), action, "get_bucket_policy", Bucket=bucket)
        except Absent:  # no policy, or no bucket: either way no statement grants anything
            return None
        return Current(answer["Policy"])

    def put(clients: AwsClients, action: RevocationAction, text: str, seen: Current | None) -> None:
        call(s3(clients), action, "put_bucket_policy", Bucket=bucket, Policy=text)

    def delete(clients: AwsClients, action: RevocationAction, seen: Current) -> None:
        call(s3(clients), action, "delete_bucket_policy", Bucket=bucket)

    return PolicyHome("bucket policy", resource_arn, account_id, read, put, delete)


# --- S3 access point policy (S3 Control, in the access point's account and region) ------------------------


def _access_point(resource_arn: str, account_id: str, region: str, name: str) -> PolicyHome:
    def control(clients: AwsClients) -> Any:
        return clients.client(account_id, "s3control", region or None)

    def read(clients: AwsClients, action: RevocationAction) -> Current | None:
        try:
            answer = call(
                control(clients), action, "get_access_point_policy", AccountId=account_id, Name=name
            )
        except Absent:
            return None
        return Current(answer["Policy"])

    def put(clients: AwsClients, action: RevocationAction, text: str, seen: Current | None) -> None:
        kwargs = {"AccountId": account_id, "Name": name, "Policy": text}
        call(control(clients), action, "put_access_point_policy", **kwargs)

    def delete(clients: AwsClients, action: RevocationAction, seen: Current) -> None:
        call(control(clients), action, "delete_access_point_policy", AccountId=account_id, Name=name)

    return PolicyHome("access point policy", resource_arn, account_id, read, put, delete)


# --- DynamoDB table or stream policy ----------------------------------------------------------------------


def _dynamodb(resource_arn: str, account_id: str, region: str, label: str) -> PolicyHome:
    def dynamodb(clients: AwsClients) -> Any:
        return clients.client(account_id, "dynamodb", region or None)

    def read(clients: AwsClients, action: RevocationAction) -> Current | None:
        try:
            answer = call(dynamodb(clients), action, "get_resource_policy", ResourceArn=resource_arn)
        except Absent:
            return None
        return Current(answer["Policy"], str(answer["RevisionId"]))

    def put(clients: AwsClients, action: RevocationAction, text: str, seen: Current | None) -> None:
        revision = seen.revision if seen is not None and seen.revision else NO_POLICY
        with _conditional(action, revision):
            call(
                dynamodb(clients),
                action,
                "put_resource_policy",
                ResourceArn=resource_arn,
                Policy=text,
                ExpectedRevisionId=revision,
            )

    def delete(clients: AwsClients, action: RevocationAction, seen: Current) -> None:
        with _conditional(action, seen.revision or ""):
            call(
                dynamodb(clients),
                action,
                "delete_resource_policy",
                ResourceArn=resource_arn,
                ExpectedRevisionId=seen.revision,
            )

    return PolicyHome(label, resource_arn, account_id, read, put, delete)


@contextmanager
def _conditional(action: RevocationAction, revision: str) -> Iterator[None]:
    """A conditional write refused with PolicyNotFoundException: the policy changed after our read (or is
    still settling: DynamoDB's reads are eventually consistent). Retry later; the next attempt reads again."""
    try:
        yield
    except Absent as exc:
        if exc.code != "PolicyNotFoundException":
            raise
        raise SourceUnavailable(
            SOURCE,
            f"{action.description}: the policy changed after it was read (expected revision {revision}); "
            "nothing was written, try again",
            retryable=True,
        ) from exc
