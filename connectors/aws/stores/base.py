"""What a store kind must tell the connector, so that a new kind is one module (cloud-custodian style)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from connectors.aws.accounts import AwsAccount
from connectors.aws.documents import decode
from connectors.aws.errors import AwsApiError, aws_call, parsing
from connectors.aws.inventory import PolicyDocument, StoreResource
from reviews.entitlements import StoreKind


@dataclass(frozen=True, slots=True)
class Tagged:
    """A resource as discovery sees it: its ARN and every tag on it (sorted by key)."""

    arn: str
    tags: tuple[tuple[str, str], ...]


# Every resource of the kind in one region, with its tags: the fallback when the tagging API is unavailable.
ListTagged = Callable[[AwsAccount, str], list[Tagged]]
# The personal-data resources found in one region, read in full (resource policy, data ARNs). A resource
# that vanished since discovery is left out: it no longer holds data.
ReadStores = Callable[[AwsAccount, str, Sequence[Tagged]], list[StoreResource]]


@dataclass(frozen=True, slots=True)
class StoreSpec:
    kind: StoreKind
    resource_types: tuple[str, ...]  # Resource Groups Tagging API types, e.g. "s3:bucket"
    list_tagged: ListTagged
    read: ReadStores
    permissions: tuple[str, ...]  # the IAM actions list_tagged and read need (for permissions.py)
    global_names: bool = False  # one namespace across regions (S3): read once, region "" in the inventory


def resource_type(arn: str) -> str:
    """The tagging API's type of an ARN: arn:aws:rds:r:a:db:x → "rds:db"; arn:aws:s3:::b → "s3:bucket"."""
    _, _, service, _, _, resource = arn.split(":", 5)
    for separator in ("/", ":"):
        if separator in resource:
            return f"{service}:{resource.split(separator, 1)[0]}"
    return f"{service}:bucket" if service == "s3" else f"{service}:{resource}"


def resource_name(arn: str) -> str:
    """The last part of an ARN's resource: the bucket, table, instance or cluster name."""
    resource = arn.split(":", 5)[5]
    for separator in ("/", ":"):
        if separator in resource:
            return resource.split(separator, 1)[1]
    return resource


def optional_answer(
    account: AwsAccount, operation: str, read: Callable[[], dict[str, Any]], absent_code: str
) -> dict[str, Any] | None:
    """AWS's answer, or None when the service answers that the thing is not there (`absent_code`, the error
    its API reference documents for "not configured"). Any other error is raised: "could not read it" must
    never look like "it has none"."""
    try:
        with aws_call(account.account_id, operation):
            return read()
    except AwsApiError as exc:
        if exc.code == absent_code:
            return None
        raise


def optional_policy(
    account: AwsAccount, operation: str, read: Callable[[], dict[str, Any]], absent_code: str
) -> PolicyDocument | None:
    """A resource policy, or None when the service answers that there is none (`absent_code`)."""
    answer = optional_answer(account, operation, read, absent_code)
    if answer is None:
        return None
    with parsing(account.account_id, operation):
        return decode(answer["Policy"])
