"""AWS's live checks for `recertify doctor` and `serve`'s start: the credentials (sts:GetCallerIdentity),
the accounts to read (and the organization when `use_organizations` lists them), the read role assumed in
each other account, and a dry probe of every read action the bot needs (probes.py), in each configured
region for the regional ones. Read-only, like the sync itself.

An action refused with AccessDenied fails its line, naming the action and the identity that needs it; an
action that AWS answered with anything else (NoSuchEntity on the probe's made-up name, an empty list) is
allowed. A probe that needs a resource the account does not have (a bucket, a KMS key, an Identity Center
instance) says so and passes: nothing of that kind is there to read yet.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from typing import Any

import boto3

from connectors.aws.accounts import AwsAccount, account_ids, assume_role, connect
from connectors.aws.errors import AwsApiError, aws_call, is_access_denied
from connectors.aws.probes import PROBES, Probe, Scope, Target
from connectors.aws.settings import AwsSettings
from reviews.errors import RecertifyError
from reviews.health import CheckResult

SOURCE = "aws"
_RESOURCE_NAMES = {
    "bucket": "bucket",
    "access_key": "IAM user with an access key",
    "key_id": "KMS key in this region",
    "instance_arn": "Identity Center instance",
    "identity_store": "Identity Center instance",
}
_CREDENTIALS_FIX = (
    "give the bot AWS credentials the standard way (AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, "
    "or the instance's or task's role) and check the clock; then run `recertify doctor` again"
)


def aws_checks(settings: AwsSettings, session: boto3.Session | None = None) -> list[CheckResult]:
    try:
        caller = connect(settings.regions[0], session)
    except RecertifyError as exc:
        return [CheckResult(SOURCE, "sts:GetCallerIdentity", False, str(exc), _CREDENTIALS_FIX)]
    results = [CheckResult(SOURCE, "sts:GetCallerIdentity", True, f"account {caller.account_id}")]
    try:
        ids = account_ids(settings, caller)
    except RecertifyError as exc:  # use_organizations and ListAccounts refused, or no account listed
        fix = (
            "allow organizations:ListAccounts (run from the management account or a delegated administrator)"
        )
        return [
            *results,
            CheckResult(SOURCE, "the accounts to read", False, str(exc), f"{fix}, or list aws.accounts"),
        ]
    results.append(CheckResult(SOURCE, "the accounts to read", True, ", ".join(ids)))
    accounts: list[AwsAccount] = []
    for account_id in ids:
        if account_id == caller.account_id:
            accounts.append(caller)
            continue
        role = f"arn:{caller.partition}:iam::{account_id}:role/{settings.read_role}"
        try:
            accounts.append(assume_role(caller, account_id, settings.read_role))
        except RecertifyError as exc:
            fix = (
                f"create {role} with the read policy (`recertify permissions aws read`) and a trust policy "
                f"letting account {caller.account_id} assume it, allow sts:AssumeRole on it to the bot's "
                "identity, or remove the account from aws.accounts"
            )
            results.append(CheckResult(SOURCE, f"assume {role}", False, str(exc), fix))
            continue
        results.append(CheckResult(SOURCE, f"assume {role}", True, "assumed"))
    for account in accounts:
        identity = "the bot's own identity" if account is caller else f"role {settings.read_role}"
        results += _probe_account(account, settings, identity)
    results += _probe_caller(caller, settings)
    return results


def _probe_account(account: AwsAccount, settings: AwsSettings, identity: str) -> list[CheckResult]:
    outcomes: dict[str, list[Outcome]] = defaultdict(list)
    base = Target(account.account_id, account.partition, account.region)
    for probe in _of(Scope.GLOBAL):
        outcomes[probe.action].append(_run(account, probe, base))
    bucket = _first_bucket(outcomes["s3:ListAllMyBuckets"][0])
    for probe in _of(Scope.BUCKET):
        outcomes[probe.action].append(_run(account, probe, replace(base, bucket=bucket)))
    for probe in _of(Scope.ACCESS_KEY):
        outcomes[probe.action].append(_run(account, probe, replace(base, access_key=_first_key_id(account))))
    for region in settings.regions:
        here = replace(base, region=region)
        for probe in _of(Scope.REGIONAL):
            if probe.needs is None:
                outcomes[probe.action].append(_run(account, probe, here))
        key = _first_kms_key(outcomes["kms:ListAliases"][-1])
        for probe in _of(Scope.REGIONAL):
            if probe.needs is not None:
                outcomes[probe.action].append(_run(account, probe, replace(here, key_id=key)))
    regional = {probe.action for probe in _of(Scope.REGIONAL)}
    return [
        _line(account.account_id, action, found, identity, regional=action in regional)
        for action, found in outcomes.items()
    ]


def _probe_caller(caller: AwsAccount, settings: AwsSettings) -> list[CheckResult]:
    """The organization (always read, from the caller's account) and Identity Center (when enabled)."""
    results = []
    base = Target(caller.account_id, caller.partition, caller.region)
    for probe in _of(Scope.ORGANIZATION):
        outcome = _run(caller, probe, base)
        # Without use_organizations, an unreadable organization only makes other accounts external.
        optional = not settings.use_organizations
        identity = "the bot's own identity"
        results.append(_line(caller.account_id, probe.action, [outcome], identity, optional=optional))
    if not settings.identity_center:
        return results
    region = settings.identity_center_region or settings.regions[0]
    here = replace(base, region=region)
    listed = _run(caller, _of(Scope.IDENTITY_CENTER)[0], here)
    if listed.answer is not None and listed.answer.get("Instances"):
        instance = listed.answer["Instances"][0]
        here = replace(here, instance_arn=instance["InstanceArn"], identity_store=instance["IdentityStoreId"])
    identity = "the bot's own identity (or set aws.identity_center = false)"
    for probe in _of(Scope.IDENTITY_CENTER):
        outcome = listed if probe.action == "sso:ListInstances" else _run(caller, probe, here)
        results.append(_line(caller.account_id, probe.action, [outcome], identity))
    return results


@dataclass(frozen=True, slots=True)
class Outcome:
    """One probe's answer: allowed (with what AWS said), denied, skipped for want of a resource, or failed."""

    region: str
    allowed: bool
    detail: str
    denied: bool = False
    answer: dict[str, Any] | None = None


def _run(account: AwsAccount, probe: Probe, target: Target) -> Outcome:
    if probe.needs is not None and getattr(target, probe.needs) is None:
        what = _RESOURCE_NAMES[probe.needs]
        return Outcome(target.region, allowed=True, detail=f"not probed: the account has no {what}")
    client = account.client(probe.service, target.region)
    try:
        with aws_call(account.account_id, probe.action):
            answer = probe.call(client, target)
    except AwsApiError as exc:
        if is_access_denied(exc):
            return Outcome(target.region, allowed=False, denied=True, detail=f"{exc.code}")
        if exc.retryable or not exc.code or exc.code.isdigit():  # no AWS error code: not an answer
            return Outcome(target.region, allowed=False, detail=str(exc))
        return Outcome(target.region, allowed=True, detail=f"allowed (AWS answered {exc.code})")
    except RecertifyError as exc:  # refused credentials, unreachable endpoint
        return Outcome(target.region, allowed=False, detail=str(exc))
    return Outcome(
        target.region, allowed=True, detail="allowed", answer=answer if isinstance(answer, dict) else None
    )


def _line(
    account_id: str,
    action: str,
    outcomes: list[Outcome],
    identity: str,
    *,
    optional: bool = False,
    regional: bool = False,
) -> CheckResult:
    """One line per action and account; a regional action's line names the regions probed."""
    name = f"{action} in {account_id}"
    where = f" ({', '.join(sorted({o.region for o in outcomes}))})" if regional else ""
    bad = [o for o in outcomes if not o.allowed]
    if not bad:
        skipped = next((o.detail for o in outcomes if o.detail.startswith("not probed")), None)
        return CheckResult(SOURCE, name, True, (skipped or "allowed") + where)
    detail = "; ".join(f"{o.region}: {o.detail}" for o in bad)
    if all(o.denied for o in bad):
        fix = f"allow {action} to {identity} (the read policy: `recertify permissions aws read`)"
        if optional:
            return CheckResult(
                SOURCE, name, True, f"denied ({detail}); {fix} to read the organization", warning=True
            )
        return CheckResult(SOURCE, name, False, f"denied: {detail}", fix)
    return CheckResult(
        SOURCE, name, False, detail, "check the credentials and that AWS is reachable, then run again"
    )


def _first_bucket(listed: Outcome) -> str | None:
    buckets = listed.answer.get("Buckets", []) if listed.answer else []
    return str(buckets[0]["Name"]) if buckets else None


def _first_key_id(account: AwsAccount) -> str | None:
    """An access key of the account's first IAM user, if any. Reads the probes of
    iam:GetAccountAuthorizationDetails and iam:ListAccessKeys report on their own lines: here a refusal
    only means there is no key to probe with."""
    iam = account.client("iam")
    try:
        with aws_call(account.account_id, "iam:GetAccountAuthorizationDetails"):
            users = iam.get_account_authorization_details(Filter=["User"], MaxItems=1)["UserDetailList"]
            if not users:
                return None
            keys = iam.list_access_keys(UserName=users[0]["UserName"], MaxItems=1)["AccessKeyMetadata"]
    except RecertifyError:
        return None
    return str(keys[0]["AccessKeyId"]) if keys else None


def _first_kms_key(listed: Outcome) -> str | None:
    """A key the account's aliases name, a customer managed one first (the keys stores are encrypted with
    and whose policies Recertify reads)."""
    aliases = [a for a in (listed.answer.get("Aliases", []) if listed.answer else []) if a.get("TargetKeyId")]
    aliases.sort(key=lambda alias: str(alias["AliasName"]).startswith("alias/aws/"))
    return str(aliases[0]["TargetKeyId"]) if aliases else None


def _of(scope: Scope) -> list[Probe]:
    return [probe for probe in PROBES if probe.scope is scope]
