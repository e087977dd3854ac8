"""All boto3 reading for AWS ("get" in get → transform → load): an `AwsInventory`, complete or an exception.

Per account: IAM (iam.py), personal-data stores (stores/), and the SCPs above it (scp.py); once: Identity
Center (identity_center.py). Service-last-accessed is separate (`fetch_last_accessed`): it costs an
asynchronous IAM job per principal, so the connector asks only for the principals that hold grants.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from connectors.aws.accounts import AwsAccount, AwsSessions
from connectors.aws.documents import utc
from connectors.aws.errors import SOURCE, aws_call, malformed, parsing
from connectors.aws.iam import PERMISSIONS as IAM_PERMISSIONS
from connectors.aws.iam import read_iam
from connectors.aws.identity_center import PERMISSIONS as IDENTITY_CENTER_PERMISSIONS
from connectors.aws.identity_center import read_identity_center, wanted_policies
from connectors.aws.inventory import AccountInventory, AwsInventory, IdentityCenter, ServiceLastAccessed
from connectors.aws.scp import PERMISSIONS as SCP_PERMISSIONS
from connectors.aws.scp import ScpReader
from connectors.aws.stores import SPECS
from connectors.aws.stores.discovery import TAGGING_PERMISSIONS, discover_stores
from reviews.errors import SourceUnavailable
from reviews.settings import AwsSettings

logger = logging.getLogger(__name__)

LAST_ACCESSED_PERMISSIONS = ("iam:GenerateServiceLastAccessedDetails", "iam:GetServiceLastAccessedDetails")
# What the read role needs in every account, and what the caller's own credentials need on top.
ACCOUNT_PERMISSIONS = tuple(
    sorted(
        {
            *IAM_PERMISSIONS,
            *LAST_ACCESSED_PERMISSIONS,
            *TAGGING_PERMISSIONS,
            *(permission for spec in SPECS for permission in spec.permissions),
        }
    )
)
CALLER_PERMISSIONS = tuple(
    sorted({"sts:AssumeRole", "organizations:ListAccounts", *SCP_PERMISSIONS, *IDENTITY_CENTER_PERMISSIONS})
)


def fetch_inventory(settings: AwsSettings, sessions: AwsSessions, *, now: datetime) -> AwsInventory:
    """Everything the evaluator needs, for every account in `sessions` (see accounts.open_sessions)."""
    notes: list[str] = []
    center: IdentityCenter | None = None
    if settings.identity_center:
        region = settings.identity_center_region or settings.regions[0]
        account_ids = [account.account_id for account in sessions.accounts]
        center, note = read_identity_center(sessions.caller, region, account_ids)
        notes.extend([note] if note else [])
    scps = ScpReader(sessions.caller)
    accounts = []
    for account in sessions.accounts:
        inventory, account_notes = _read_account(account, settings, scps, center)
        accounts.append(inventory)
        notes.extend(account_notes)
    return AwsInventory(taken_at=now, accounts=tuple(accounts), identity_center=center, notes=tuple(notes))


def _read_account(
    account: AwsAccount, settings: AwsSettings, scps: ScpReader, center: IdentityCenter | None
) -> tuple[AccountInventory, list[str]]:
    wanted = wanted_policies(center, account.account_id, account.partition) if center else set()
    iam = read_iam(account, wanted)
    stores, stores_note = discover_stores(account, settings)
    levels, scp_note = scps.levels(account.account_id)
    logger.info(
        "AWS account %s: %d users, %d roles, %d policies, %d stores, %d SCP levels",
        account.account_id,
        len(iam.users),
        len(iam.roles),
        len(iam.policies),
        len(stores),
        len(levels),
    )
    inventory = AccountInventory(
        account_id=account.account_id,
        users=iam.users,
        groups=iam.groups,
        roles=iam.roles,
        policies=iam.policies,
        stores=stores,
        scp_levels=levels,
    )
    return inventory, [*iam.notes, stores_note, *([scp_note] if scp_note else [])]


def fetch_last_accessed(
    account: AwsAccount,
    principal_arns: Sequence[str],
    services: Collection[str],
    *,
    poll_interval: float = 2.0,
    timeout: float = 300.0,
) -> tuple[ServiceLastAccessed, ...]:
    """When each principal last used each service namespace in `services` (s3, dynamodb, rds, …).

    One IAM job per principal; all are started, then polled together until done. A failed job or a
    timeout raises (retryable): last use is evidence, and guessing it could make access look unused.
    """
    iam: Any = account.client("iam")
    jobs: dict[str, str] = {}
    for arn in dict.fromkeys(principal_arns):
        operation = f"iam:GenerateServiceLastAccessedDetails {arn}"
        with aws_call(account.account_id, operation), parsing(account.account_id, operation):
            job = iam.generate_service_last_accessed_details(Arn=arn, Granularity="SERVICE_LEVEL")
            jobs[arn] = job["JobId"]
    deadline = time.monotonic() + timeout
    results: list[ServiceLastAccessed] = []
    while jobs:
        for arn, job_id in list(jobs.items()):
            entries = _job_result(iam, account.account_id, arn, job_id)
            if entries is not None:
                results.extend(entry for entry in entries if entry.service in services)
                del jobs[arn]
        if jobs:
            if time.monotonic() >= deadline:
                reason = f"account {account.account_id}: {len(jobs)} service-last-accessed jobs unfinished"
                raise SourceUnavailable(SOURCE, f"{reason} after {timeout:g} s", retryable=True)
            time.sleep(poll_interval)
    return tuple(results)


def _job_result(iam: Any, account_id: str, arn: str, job_id: str) -> list[ServiceLastAccessed] | None:
    """The job's entries, every page of them; None while it is still running."""
    operation = f"iam:GetServiceLastAccessedDetails {arn}"
    entries: list[ServiceLastAccessed] = []
    marker: str | None = None
    while True:
        with aws_call(account_id, operation), parsing(account_id, operation):
            more = {"Marker": marker} if marker else {}
            page = iam.get_service_last_accessed_details(JobId=job_id, **more)
            status = page["JobStatus"]
            if status == "IN_PROGRESS":
                return None
            if status == "FAILED":
                why = (page.get("Error") or {}).get("Message", "no reason given")
                reason = f"account {account_id}: {operation}: the job failed: {why}"
                raise SourceUnavailable(SOURCE, reason, retryable=True)
            if status != "COMPLETED":
                raise malformed(account_id, operation, f"unknown JobStatus {status!r}")
            entries.extend(_entry(arn, item) for item in page["ServicesLastAccessed"])
        if not page.get("IsTruncated"):
            return entries
        marker = page.get("Marker")
        if not marker:
            raise malformed(account_id, operation, "a page says IsTruncated but gives no Marker")


def _entry(arn: str, item: dict[str, Any]) -> ServiceLastAccessed:
    return ServiceLastAccessed(
        principal_arn=arn,
        service=item["ServiceNamespace"],
        last_authenticated=utc(item.get("LastAuthenticated")),
        # The answer states no tracking window (AWS documents a rolling 400 days): unknown, not guessed.
        tracking_start=None,
    )
