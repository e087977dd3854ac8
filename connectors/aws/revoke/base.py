"""What every AWS revocation primitive shares: its kinds, the clients it runs on, and what AWS's error codes
mean to a write (botocore's errors become Recertify's in `connectors.aws.errors`, the one translator).

A primitive is a pair of functions. `observe` is the confirming read: has the action's end state already
been reached (access gone for a revocation, access back for an undo)? `write` is the one change that reaches
it. Keeping them apart makes `apply` idempotent and `dry_run` write-free by construction: it only observes.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from botocore.exceptions import ClientError, ParamValidationError

from connectors.aws.accounts import AwsAccount
from connectors.aws.errors import (
    ACCESS_DENIED,
    BAD_CREDENTIALS,
    SOURCE,
    THROTTLING,
    TRANSIENT,
    botocore_errors,
    error_parts,
)
from reviews.entitlements import RevocationAction, System
from reviews.errors import Misconfigured, NotFound, RecertifyError, RevocationRefused, SourceUnavailable

logger = logging.getLogger(__name__)

# Answers that mean "that thing does not exist": for a confirming read, that is the answer itself. (S3 and
# DynamoDB name a missing policy or setting apart from a missing bucket, table or access point.)
ABSENT_CODES = frozenset(
    {
        "NoSuchEntity",
        "ResourceNotFoundException",
        "NoSuchBucket",
        "NoSuchBucketPolicy",
        "NoSuchPublicAccessBlockConfiguration",
        "NoSuchAccessPoint",
        "NoSuchAccessPointPolicy",
        "PolicyNotFoundException",
    }
)
# Another write to the same entity has not settled yet; the same call later will succeed.
BUSY_CODES = frozenset({"ConflictException", "EntityTemporarilyUnmodifiable"})


class AwsKind(StrEnum):
    REMOVE_USER_FROM_GROUP = "remove_user_from_group"
    ADD_USER_TO_GROUP = "add_user_to_group"
    DETACH_USER_POLICY = "detach_user_policy"
    ATTACH_USER_POLICY = "attach_user_policy"
    DETACH_ROLE_POLICY = "detach_role_policy"
    ATTACH_ROLE_POLICY = "attach_role_policy"
    DELETE_USER_POLICY = "delete_user_policy"
    PUT_USER_POLICY = "put_user_policy"
    DELETE_ROLE_POLICY = "delete_role_policy"
    PUT_ROLE_POLICY = "put_role_policy"
    DEACTIVATE_ACCESS_KEY = "deactivate_access_key"
    ACTIVATE_ACCESS_KEY = "activate_access_key"
    DELETE_ACCOUNT_ASSIGNMENT = "delete_account_assignment"
    CREATE_ACCOUNT_ASSIGNMENT = "create_account_assignment"
    # Exposure (resource policies, ACLs, Block Public Access): always held for an admin's approval.
    REMOVE_FROM_BUCKET_POLICY = "remove_from_bucket_policy"
    RESTORE_TO_BUCKET_POLICY = "restore_to_bucket_policy"
    REMOVE_FROM_DYNAMODB_POLICY = "remove_from_dynamodb_policy"
    RESTORE_TO_DYNAMODB_POLICY = "restore_to_dynamodb_policy"
    REMOVE_FROM_ACCESS_POINT_POLICY = "remove_from_access_point_policy"
    RESTORE_TO_ACCESS_POINT_POLICY = "restore_to_access_point_policy"
    REMOVE_BUCKET_ACL_GRANT = "remove_bucket_acl_grant"
    ADD_BUCKET_ACL_GRANT = "add_bucket_acl_grant"
    ENABLE_BUCKET_PUBLIC_ACCESS_BLOCK = "enable_bucket_public_access_block"
    RESTORE_BUCKET_PUBLIC_ACCESS_BLOCK = "restore_bucket_public_access_block"


# Each revocation and the kind that undoes it. Every kind is one or the other.
UNDO: Mapping[AwsKind, AwsKind] = {
    AwsKind.REMOVE_USER_FROM_GROUP: AwsKind.ADD_USER_TO_GROUP,
    AwsKind.DETACH_USER_POLICY: AwsKind.ATTACH_USER_POLICY,
    AwsKind.DETACH_ROLE_POLICY: AwsKind.ATTACH_ROLE_POLICY,
    AwsKind.DELETE_USER_POLICY: AwsKind.PUT_USER_POLICY,
    AwsKind.DELETE_ROLE_POLICY: AwsKind.PUT_ROLE_POLICY,
    AwsKind.DEACTIVATE_ACCESS_KEY: AwsKind.ACTIVATE_ACCESS_KEY,
    AwsKind.DELETE_ACCOUNT_ASSIGNMENT: AwsKind.CREATE_ACCOUNT_ASSIGNMENT,
    AwsKind.REMOVE_FROM_BUCKET_POLICY: AwsKind.RESTORE_TO_BUCKET_POLICY,
    AwsKind.REMOVE_FROM_DYNAMODB_POLICY: AwsKind.RESTORE_TO_DYNAMODB_POLICY,
    AwsKind.REMOVE_FROM_ACCESS_POINT_POLICY: AwsKind.RESTORE_TO_ACCESS_POINT_POLICY,
    AwsKind.REMOVE_BUCKET_ACL_GRANT: AwsKind.ADD_BUCKET_ACL_GRANT,
    AwsKind.ENABLE_BUCKET_PUBLIC_ACCESS_BLOCK: AwsKind.RESTORE_BUCKET_PUBLIC_ACCESS_BLOCK,
}


class AwsClients(Protocol):
    """Where each action runs: IAM in the account named by the action, sso-admin where Identity Center is,
    any other service (S3, DynamoDB, S3 Control) in the account and region that own the resource."""

    def iam(self, account_id: str) -> Any: ...

    def sso_admin(self) -> Any: ...

    def client(self, account_id: str, service: str, region: str | None = None) -> Any: ...

    def account_ids(self) -> tuple[str, ...]: ...


@dataclass(frozen=True, slots=True)
class SessionClients:
    """AwsClients over open sessions: the read role's for planning and dry runs, the write role's (live mode
    only) for applying. A missing account is a configuration error, never a silent fallback to another one:
    IAM names are per account, so the wrong account's client would change the wrong user."""

    accounts: Mapping[str, AwsAccount]
    identity_center: AwsAccount | None = None
    identity_center_region: str | None = None

    def iam(self, account_id: str) -> Any:
        return self.client(account_id, "iam")

    def client(self, account_id: str, service: str, region: str | None = None) -> Any:
        if account_id not in self.accounts:
            raise Misconfigured(f"no AWS session for account {account_id}; add it to aws.accounts")
        return self.accounts[account_id].client(service, region)

    def account_ids(self) -> tuple[str, ...]:
        return tuple(self.accounts)

    def sso_admin(self) -> Any:
        if self.identity_center is None:
            raise Misconfigured("no AWS session for Identity Center; set aws.identity_center = true")
        return self.identity_center.client("sso-admin", self.identity_center_region)


@dataclass(frozen=True, slots=True)
class Polling:
    """How long to wait for Identity Center's asynchronous requests; time is injected so tests do not wait."""

    timeout: float = 180.0
    interval: float = 3.0
    sleep: Callable[[float], None] = time.sleep
    monotonic: Callable[[], float] = time.monotonic


DEFAULT_POLLING = Polling()


@dataclass(frozen=True, slots=True)
class PlannedRevocation:
    action: RevocationAction
    inverse: RevocationAction
    approval: str | None = None  # why an admin must approve it first (reviews.entitlements.PlannedChange)


@dataclass(frozen=True, slots=True)
class Observed:
    """What a confirming read saw: the end state reached, or not yet, or a reason not to write at all."""

    done: bool
    conflict: str | None = None


DONE = Observed(done=True)
PENDING = Observed(done=False)

Observe = Callable[[AwsClients, RevocationAction], Observed]
Write = Callable[[AwsClients, RevocationAction, Polling], None]


@dataclass(frozen=True, slots=True)
class Primitive:
    observe: Observe
    write: Write


class Absent(RevocationRefused):
    """AWS says the target does not exist. Reads treat it as their answer; a write that meets it re-reads."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


def aws_action(kind: AwsKind, description: str, **params: str) -> RevocationAction:
    return RevocationAction(
        system=System.AWS, kind=kind.value, params=tuple(params.items()), description=description
    )


def param(action: RevocationAction, name: str) -> str:
    """A stored action without a parameter it needs is refused, not guessed at."""
    try:
        return action.param(name)
    except KeyError:
        raise RevocationRefused(f"{action.description}: the stored action lacks {name!r}") from None


def json_param(action: RevocationAction, name: str) -> Any:
    """A parameter that carries JSON (a statement, a grant list); one that does not parse is refused."""
    try:
        return json.loads(param(action, name))
    except ValueError:
        raise RevocationRefused(f"{action.description}: the stored action's {name!r} is not JSON") from None


def planned(
    clients: AwsClients,
    primitive: Primitive,
    action: RevocationAction,
    inverse: RevocationAction,
    approval: str | None = None,
) -> PlannedRevocation:
    """The pair, once a read shows there is something to revoke (a plan for nothing would undo into access
    that never existed)."""
    with answers(action):
        seen = primitive.observe(clients, action)
    if seen.conflict:
        raise RevocationRefused(f"{action.description}: {seen.conflict}")
    if seen.done:
        raise NotFound(f"{action.description}: nothing to revoke, a read shows it is already absent")
    return PlannedRevocation(action=action, inverse=inverse, approval=approval)


# S3 API operations whose IAM action has another name (AWS's API reference names each one).
IAM_ACTION_OF_API = {
    "s3:GetPublicAccessBlock": "s3:GetBucketPublicAccessBlock",
    "s3:PutPublicAccessBlock": "s3:PutBucketPublicAccessBlock",
    "s3:DeletePublicAccessBlock": "s3:PutBucketPublicAccessBlock",
    "s3:ListBuckets": "s3:ListAllMyBuckets",
}


def iam_action(client: Any, method: str) -> str:
    """The IAM action a client method needs, e.g. "iam:RemoveUserFromGroup", "sso:DeleteAccountAssignment"."""
    api = f"{client.meta.service_model.signing_name}:{client.meta.method_to_api_mapping[method]}"
    return IAM_ACTION_OF_API.get(api, api)


def call(client: Any, action: RevocationAction, method: str, **kwargs: Any) -> dict[str, Any]:
    with translated(action, iam_action(client, method)):
        answer: dict[str, Any] = getattr(client, method)(**kwargs)
        return answer


def pages(client: Any, action: RevocationAction, method: str, key: str, **kwargs: Any) -> list[Any]:
    with translated(action, iam_action(client, method)):
        return [item for page in client.get_paginator(method).paginate(**kwargs) for item in page[key]]


@contextmanager
def answers(action: RevocationAction) -> Iterator[None]:
    """An AWS answer without a field AWS always sends is malformed: never read it as a default. (Parameters
    are read with `param`, which refuses instead of raising KeyError, so a KeyError here is AWS's.)"""
    try:
        yield
    except KeyError as exc:
        raise SourceUnavailable(
            SOURCE, f"{action.description}: AWS's answer lacks {exc}", retryable=True
        ) from exc


@contextmanager
def translated(action: RevocationAction, operation: str) -> Iterator[None]:
    """botocore's errors as ours, each naming the action and the IAM action that failed."""

    def client_error(exc: ClientError, where: str) -> RecertifyError:
        return _from_client_error(exc, where, operation)

    where = f"{action.description}: {operation}"
    with botocore_errors(where, client_error, invalid_parameters=_invalid_parameters):
        yield


def _invalid_parameters(exc: ParamValidationError, where: str) -> RecertifyError:
    # A stored action whose parameters AWS's model rejects will never succeed as it is.
    return RevocationRefused(f"{where}: invalid parameters ({exc})")


def _from_client_error(exc: ClientError, where: str, operation: str) -> RecertifyError:
    code, message, status = error_parts(exc)
    if code in ABSENT_CODES:
        return Absent(f"{where}: {code}: {message}", code=code)
    if code in ACCESS_DENIED:
        return RevocationRefused(
            f"{where}: AWS refused it ({code}); the credentials lack {operation} "
            f"(see connectors.aws.permissions): {message}"
        )
    if code in BAD_CREDENTIALS:
        return Misconfigured(f"{where}: AWS refused the credentials ({code}: {message})")
    if code in THROTTLING or code in TRANSIENT or code in BUSY_CODES or status >= 500:
        logger.warning("AWS busy or failing for %s: %s", where, code or status)
        return SourceUnavailable(SOURCE, f"{where}: {code or status}: {message}", retryable=True)
    return RevocationRefused(f"{where}: AWS refused it ({code}: {message})")
