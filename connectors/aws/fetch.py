"""All boto3 reading for AWS ("get" in get → transform → load): an `AwsInventory`, complete or an exception.

Per account: IAM (iam.py), personal-data stores with their S3 controls (stores/), the account's S3 Block
Public Access and canonical id (s3_exposure.py), and the SCPs and RCPs above it (scp.py). Across accounts:
the access points of the stores' buckets (s3_exposure.py, an access point may belong to another account)
and the KMS keys that encrypt the stores (kms.py). Once: the organization (organization.py) and Identity
Center (identity_center.py). Service-last-accessed is separate (last_accessed.py): it costs an asynchronous
IAM job per principal, so the connector asks only for the principals that hold grants.
"""

from __future__ import annotations

import logging
from datetime import datetime

from connectors.aws.accounts import AwsAccount, AwsSessions
from connectors.aws.iam import read_iam
from connectors.aws.identity_center import read_identity_center, wanted_policies
from connectors.aws.inventory import AccountInventory, AwsInventory, IdentityCenter
from connectors.aws.kms import attach_kms_keys
from connectors.aws.last_accessed import LastAccessedRead, fetch_last_accessed
from connectors.aws.organization import read_organization
from connectors.aws.s3_exposure import account_public_access_block, attach_access_points, canonical_id
from connectors.aws.scp import OrganizationPolicies
from connectors.aws.settings import AwsSettings
from connectors.aws.stores.discovery import discover_stores

logger = logging.getLogger(__name__)

__all__ = ["LastAccessedRead", "fetch_inventory", "fetch_last_accessed"]


def fetch_inventory(settings: AwsSettings, sessions: AwsSessions, *, now: datetime) -> AwsInventory:
    """Everything the evaluator needs, for every account in `sessions` (see accounts.open_sessions)."""
    notes: list[str] = []
    center: IdentityCenter | None = None
    if settings.identity_center:
        region = settings.identity_center_region or settings.regions[0]
        account_ids = [account.account_id for account in sessions.accounts]
        center, note = read_identity_center(sessions.caller, region, account_ids)
        notes.extend([note] if note else [])
    organization, note = read_organization(sessions.caller)
    notes.extend([note] if note else [])
    policies = OrganizationPolicies(sessions.caller)
    accounts = []
    for account in sessions.accounts:
        inventory, account_notes = _read_account(account, settings, policies, center)
        accounts.append(inventory)
        notes.extend(account_notes)
    with_points = attach_access_points(sessions.accounts, accounts, settings.regions)
    return AwsInventory(
        taken_at=now,
        accounts=attach_kms_keys(sessions.accounts, with_points),
        identity_center=center,
        notes=tuple(notes),
        organization=organization,
    )


def _read_account(
    account: AwsAccount, settings: AwsSettings, policies: OrganizationPolicies, center: IdentityCenter | None
) -> tuple[AccountInventory, list[str]]:
    wanted = wanted_policies(center, account.account_id, account.partition) if center else set()
    iam = read_iam(account, wanted)
    stores, stores_note = discover_stores(account, settings)
    above = policies.levels(account.account_id)
    logger.info(
        "AWS account %s: %d users, %d roles, %d policies, %d stores, %d SCP and %d RCP levels",
        account.account_id,
        len(iam.users),
        len(iam.roles),
        len(iam.policies),
        len(stores),
        len(above.scp_levels),
        len(above.rcp_levels),
    )
    inventory = AccountInventory(
        account_id=account.account_id,
        users=iam.users,
        groups=iam.groups,
        roles=iam.roles,
        policies=iam.policies,
        stores=stores,
        scp_levels=above.scp_levels,
        rcp_levels=above.rcp_levels,
        public_access_block=account_public_access_block(account),
        canonical_id=canonical_id(account),
    )
    return inventory, [*iam.notes, stores_note, *above.notes]
