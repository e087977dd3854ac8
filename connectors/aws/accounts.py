"""Which AWS accounts to read, and a boto3 session for each.

`[aws] accounts` lists them; otherwise `use_organizations` reads the organization's ACTIVE accounts; otherwise
only the credentials' own account is read. Every account other than the caller's own is read through
`arn:aws:iam::{id}:role/{read_role}`, assumed from the caller's credentials. Every role is assumed once up
front: an account that cannot be assumed fails the whole sync, naming it, before anything is read (a partial
inventory would look like revoked access). Assumed credentials refresh themselves, so a long read across
many accounts does not die when the first hour's credentials expire.
"""

from __future__ import annotations

import ipaddress
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import boto3
import botocore.session
from botocore.config import Config
from botocore.credentials import CredentialProvider, RefreshableCredentials

from connectors.aws.errors import AwsApiError, aws_call, is_access_denied, parsing
from connectors.aws.settings import AwsSettings
from reviews.errors import Misconfigured

logger = logging.getLogger(__name__)

# Retries live on the client, once: standard mode retries throttling, 5xx and connection errors with
# exponential backoff and jitter. Nothing else in the connector retries. An operator's AWS_MAX_ATTEMPTS (the
# SDK's own variable) wins over our 8: an explicit max_attempts in Config would otherwise silence it.
RETRY_CONFIG = Config(retries={"mode": "standard", "max_attempts": 8})
_RETRY_FROM_ENVIRONMENT = Config(retries={"mode": "standard"})
SESSION_NAME = "recertify"


@dataclass(slots=True, eq=False)  # identity: two sessions for one account are still two sessions
class AwsAccount:
    """One account's credentials. Clients are built once per (service, region) and reused."""

    account_id: str
    session: boto3.Session
    region: str  # where global services (IAM, STS, Organizations) are called: the first configured region
    partition: str = "aws"
    _clients: dict[tuple[str, str], Any] = field(default_factory=dict, repr=False)

    def client(self, service: str, region: str | None = None) -> Any:
        key = (service, region or self.region)
        if key not in self._clients:
            config = _RETRY_FROM_ENVIRONMENT if os.environ.get("AWS_MAX_ATTEMPTS") else RETRY_CONFIG
            client = self.session.client(service, region_name=key[1], config=config)
            if service == "s3control":
                keep_ip_endpoint(client)
            self._clients[key] = client
        return self._clients[key]


def keep_ip_endpoint(client: Any) -> None:
    """S3 Control's endpoint rules put the account id in front of the host ({account}.s3-control.{region}…),
    a custom endpoint included; the account also travels in the x-amz-account-id header. An IP address (a
    local simulator, AWS_ENDPOINT_URL=http://127.0.0.1:…) cannot take such a label, and a label on localhost
    reaches the same loopback server when it resolves at all, so for those the request goes to the host as
    configured. Rewritten before signing, so the signature covers the real host."""
    configured = urlsplit(client.meta.endpoint_url).hostname or ""
    if not (_is_ip(configured) or configured == "localhost"):
        return

    def drop_account_label(request: Any, **_: Any) -> None:
        parts = urlsplit(request.url)
        label, _, rest = parts.netloc.partition(".")
        if label.isdigit() and urlsplit(f"//{rest}").hostname == configured:
            request.url = urlunsplit(parts._replace(netloc=rest))

    client.meta.events.register("before-sign.s3-control", drop_account_label)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


@dataclass(frozen=True, slots=True)
class AwsSessions:
    """What `fetch_inventory` reads with: the accounts, and the caller's own account, where Organizations
    (SCPs) and Identity Center are read (the management account or a delegated administrator)."""

    caller: AwsAccount
    accounts: tuple[AwsAccount, ...]


def connect(region: str, session: boto3.Session | None = None) -> AwsAccount:
    """The credentials' own account (standard boto3 configuration: AWS_PROFILE, AWS_* variables, …)."""
    session = session if session is not None else boto3.Session()
    probe = AwsAccount("", session, region)
    with aws_call("", "sts:GetCallerIdentity"):
        identity = probe.client("sts").get_caller_identity()
    with parsing("", "sts:GetCallerIdentity"):
        probe.account_id = identity["Account"]
        probe.partition = identity["Arn"].split(":")[1]
    logger.info("AWS credentials belong to account %s", probe.account_id)
    return probe


def open_sessions(
    settings: AwsSettings, session: boto3.Session | None = None, *, role: str | None = None
) -> AwsSessions:
    """`role`: the role to assume in the other accounts; the read role unless a live revocation asks for
    the write role."""
    return open_accounts(settings, connect(settings.regions[0], session), role=role)


def open_accounts(settings: AwsSettings, caller: AwsAccount, *, role: str | None = None) -> AwsSessions:
    """Sessions for the configured accounts, `caller` being the credentials' own account (see `connect`)."""
    accounts = tuple(
        caller
        if account_id == caller.account_id
        else assume_role(caller, account_id, role or settings.read_role)
        for account_id in account_ids(settings, caller)
    )
    return AwsSessions(caller=caller, accounts=accounts)


def account_ids(settings: AwsSettings, caller: AwsAccount) -> list[str]:
    if settings.accounts:  # an explicit list wins over use_organizations
        return list(dict.fromkeys(settings.accounts))
    if settings.use_organizations:
        return _organization_accounts(caller)
    return [caller.account_id]


def _organization_accounts(caller: AwsAccount) -> list[str]:
    operation = "organizations:ListAccounts (aws.use_organizations = true)"
    ids: list[str] = []
    try:
        with aws_call(caller.account_id, operation):
            pages = list(caller.client("organizations").get_paginator("list_accounts").paginate())
    except AwsApiError as exc:
        if is_access_denied(exc) or exc.code == "AWSOrganizationsNotInUseException":
            raise Misconfigured(
                f"aws.use_organizations is true, but account {caller.account_id} cannot list the "
                f"organization's accounts ({exc.code}); run from the management account or a delegated "
                "administrator, or list the accounts in aws.accounts"
            ) from exc
        raise
    with parsing(caller.account_id, operation):
        for page in pages:
            for account in page["Accounts"]:
                # `State` replaces the deprecated `Status`; either says whether the account is ACTIVE.
                if account.get("State", account.get("Status")) == "ACTIVE":
                    ids.append(account["Id"])
    if not ids:  # an organization has at least its management account: empty is a wrong answer
        raise Misconfigured(
            f"aws.use_organizations is true, but account {caller.account_id} sees no active account in its "
            "organization; run from the management account or a delegated administrator"
        )
    return ids


def assume_role(caller: AwsAccount, account_id: str, role: str) -> AwsAccount:
    role_arn = f"arn:{caller.partition}:iam::{account_id}:role/{role}"
    sts = caller.client("sts")

    def fetch() -> dict[str, str]:
        with aws_call(account_id, f"sts:AssumeRole {role_arn}"):
            answer = sts.assume_role(RoleArn=role_arn, RoleSessionName=SESSION_NAME)
        with parsing(account_id, "sts:AssumeRole"):
            creds = answer["Credentials"]
            return {
                "access_key": creds["AccessKeyId"],
                "secret_key": creds["SecretAccessKey"],
                "token": creds["SessionToken"],
                "expiry_time": creds["Expiration"].isoformat(),
            }

    try:
        first = fetch()
    except AwsApiError as exc:
        if not is_access_denied(exc):
            raise
        raise Misconfigured(
            f"account {account_id}: cannot assume {role_arn} ({exc.code}); create the role with a trust "
            f"policy that lets account {caller.account_id} assume it (aws.read_role), or remove the "
            "account from aws.accounts"
        ) from exc
    core = botocore.session.Session()
    core.get_component("credential_provider").insert_before("env", _AssumedRole(first, fetch))
    logger.info("assumed %s for account %s", role_arn, account_id)
    return AwsAccount(account_id, boto3.Session(botocore_session=core), caller.region, caller.partition)


class _AssumedRole(CredentialProvider):
    """Hands botocore credentials that re-assume the role shortly before they expire."""

    METHOD = "recertify-assume-role"
    CANONICAL_NAME = "custom-recertify-assume-role"

    def __init__(self, first: dict[str, str], refresh: Callable[[], dict[str, str]]) -> None:
        super().__init__()
        self._first = first
        self._refresh = refresh

    def load(self) -> RefreshableCredentials:
        return RefreshableCredentials.create_from_metadata(self._first, self._refresh, self.METHOD)
