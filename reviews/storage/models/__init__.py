"""The database tables (DESIGN §2). SQLModel is used for rows only; values crossing package lines are the
frozen dataclasses of `reviews.entitlements`.

States and kinds are stored as short strings (the StrEnums beside their tables name them) rather than
database enums, so adding a state is a code change, not a type migration on PostgreSQL.

The tables live in modules by what they record (inventory, campaigns, revocations, audit, runtime); every
name is re-exported here, and importing this package registers every table on `SQLModel.metadata`, which
the migrations and their tests compare against.
"""

from reviews.storage.models.audit import AuditBase, AuditCheckpoint, AuditEvent, AuditHead
from reviews.storage.models.campaigns import (
    Campaign,
    CampaignKind,
    CampaignStatus,
    DecidedVia,
    Decision,
    DecisionOutcome,
    Delegation,
    ItemStatus,
    Notification,
    ReviewCycle,
    ReviewItem,
)
from reviews.storage.models.inventory import AccessGrant, Person, Principal, Store, SyncRun, SyncStatus
from reviews.storage.models.revocations import Revocation, RevocationItem, RevocationState
from reviews.storage.models.runtime import ChatEvent, ConnectorState, SchedulerLease

__all__ = [
    "AccessGrant",
    "AuditBase",
    "AuditCheckpoint",
    "AuditEvent",
    "AuditHead",
    "Campaign",
    "CampaignKind",
    "CampaignStatus",
    "ChatEvent",
    "ConnectorState",
    "DecidedVia",
    "Decision",
    "DecisionOutcome",
    "Delegation",
    "ItemStatus",
    "Notification",
    "Person",
    "Principal",
    "ReviewCycle",
    "ReviewItem",
    "Revocation",
    "RevocationItem",
    "RevocationState",
    "SchedulerLease",
    "Store",
    "SyncRun",
    "SyncStatus",
]
