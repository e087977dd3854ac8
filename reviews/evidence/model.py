"""What a campaign's evidence is made of: the campaign as it was frozen, one row per review item, every
decision recorded on it. Plain frozen values, read once from the database (`collect`) and rendered by the
CSV, JSON and HTML writers without another query."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from reviews.outcomes import Classified, RevocationFacts, classify

FORMAT_VERSION = "recertify.evidence/1"


@dataclass(frozen=True, slots=True)
class CampaignFacts:
    id: int
    cycle: str
    cycle_version: int
    period: str
    kind: str
    status: str
    started_at: datetime
    started_by: str
    due_at: datetime
    closed_at: datetime | None
    closed_by: str | None
    population_count: int
    population_sha256: str
    sync_run_ids: tuple[int, ...]

    def as_json(self) -> dict[str, Any]:
        return {f.name: jsonable(getattr(self, f.name)) for f in fields(self)}


@dataclass(frozen=True, slots=True)
class DecisionFact:
    """One decision row, superseded ones included (a late or losing click is evidence too)."""

    decision_id: int
    item_id: int
    stage: int
    outcome: str
    via: str  # slack | cli | policy
    decided_at: datetime
    decided_by: str  # the person's email, or the policy's actor ("policy:<cycle>")
    decided_by_person_id: int | None
    on_behalf_of: str | None  # the reviewer a delegate decided for
    justification: str | None
    superseded: bool
    request_key: str | None
    bulk: str | None  # the bulk action that recorded it ("keep_all", "accept_recommendations")
    reason: str | None  # the policy's reason, for decisions the cycle's policy made
    # When the item reached the decider: the first delivered message listing it, to them or to the reviewer
    # they decided for, sent before the decision (else the item's recorded delivery, if earlier). None: the
    # item never reached them (reviewer quality then counts from the campaign's start).
    delivered_at: datetime | None

    @property
    def by_reviewer(self) -> bool:
        return self.via != "policy" and not self.superseded

    def as_json(self) -> dict[str, Any]:
        return {f.name: jsonable(getattr(self, f.name)) for f in fields(self)}

    def as_text(self) -> str:
        text = (
            f"stage {self.stage} {self.outcome} by {self.decided_by} via {self.via} at {iso(self.decided_at)}"
        )
        if self.on_behalf_of:
            text += f" for {self.on_behalf_of}"
        return text + (" (superseded)" if self.superseded else "")


@dataclass(frozen=True, slots=True)
class EvidenceRow:
    """One review item with everything an auditor asks about it. The field order is the CSV's columns."""

    campaign_id: int
    cycle: str
    cycle_version: int
    population_count: int
    population_sha256: str
    item_id: int
    store_provider_id: str  # ARN or Entra object id, as frozen; exported as "store_id"
    store_name: str
    store_system: str
    store_kind: str
    store_classification: str
    principal_provider_id: str  # exported as "principal_id"
    principal_name: str
    principal_type: str
    person: str | None  # whose access it is (the holder's email), when known
    access: str
    path: tuple[str, ...]  # "kind:name" steps, as frozen
    conditional: bool
    exposure: (
        str | None
    )  # public | external | tenant | other-account (reviews.exposure); None: not an exposure
    exposure_sentence: str | None  # "anyone on the internet can read benefit-claims"
    recommendation: str | None  # keep | revoke | None (no opinion)
    recommendation_reason: str
    evidence_source: str | None  # who measured the last use (or the last sign-in, when that bounded it)
    evidence_last_used_at: str | None
    evidence_window_start: str | None
    evidence_window_end: str | None
    evidence_bound: str | None  # "last_sign_in": use unmeasured, bounded by the holder's last sign-in
    evidence_last_sign_in_at: str | None  # that sign-in (empty with the bound: never signed in)
    evidence_observed_until: str | None  # when sign-ins were read: the bound holds up to here only
    first_reviewer: str | None  # who was asked when the campaign started, as `item.opened` recorded it
    reviewer: str | None  # the item's reviewer (the last one, after escalation or stages)
    reviewer_source: str | None  # owner, manager, fallback, escalation, stage …
    escalated_at: (
        datetime | None
    )  # handed to the fallback reviewer (silence, an unreachable reviewer, the deadline)
    escalated_from: str | None  # the reviewer before it, as the audit event recorded it (None: not recorded)
    escalation_sent_at: datetime | None  # the first delivered escalation message listing the item
    escalation_reason: str | None  # why, as the audit event recorded it
    stage: int
    status: str  # pending, kept, revoked, expired, needs_human_review
    decision: str | None  # the latest decision that was not superseded
    decision_stage: int | None
    justification: str | None
    decided_at: datetime | None
    decided_via: str | None  # slack | cli | policy
    decided_by: str | None
    on_behalf_of: str | None
    decision_history: tuple[DecisionFact, ...]
    delivery_status: str | None  # delivered, failed, unreachable (of the current stage's reviewer)
    delivered_at: datetime | None
    revocation_state: str | None  # the outbox state, when a revocation was planned
    revocation_dry_run: bool | None
    revocation_dry_run_result: str | None
    revocation_hold_reason: str | None
    revocation_error: str | None
    applied_at: datetime | None  # Recertify's change was made (none: there was nothing to remove)
    read_back_at: datetime | None  # the change, or the target's absence, read back from the provider
    verified_at: datetime | None  # a later sync found the access gone at the source
    survived_at: datetime | None  # a later sync still found the access …
    surviving_path: str | None  # … through this path
    undone_at: datetime | None
    human_review_reason: str | None
    revocation_id: int | None = None
    # Every item the revocation's one change ends (read and write from one membership): the same change.
    revocation_items: tuple[int, ...] = ()

    @property
    def classified(self) -> Classified:
        """The item's one outcome (reviews.outcomes), from its status and its revocation as recorded here."""
        facts = None
        if self.revocation_state is not None:
            facts = RevocationFacts(
                self.revocation_state,
                self.verified_at is not None,
                self.revocation_hold_reason,
                self.revocation_error,
            )
        return classify(self.status, facts, self.human_review_reason)

    @property
    def outcome(self) -> str:
        return str(self.classified.outcome)

    @property
    def outcome_why(self) -> str | None:
        return self.classified.why

    def exported(self) -> dict[str, Any]:
        """Each column's value under the column's name: the one place a field's name becomes an export's."""
        return {name: getattr(self, _FIELD_OF_COLUMN.get(name, name)) for name in columns()}

    def as_json(self) -> dict[str, Any]:
        data = {name: jsonable(value) for name, value in self.exported().items()}
        data["path"] = list(self.path)
        data["decision_history"] = [d.as_json() for d in self.decision_history]
        return data


# The CSV and JSON keep the column names they were published with (auditors' tools read them).
_COLUMN_OF_FIELD = {"store_provider_id": "store_id", "principal_provider_id": "principal_id"}
_FIELD_OF_COLUMN = {column: name for name, column in _COLUMN_OF_FIELD.items()}


def columns() -> list[str]:
    """The CSV's columns: the fields in order, the outcome (derived) right after the status."""
    names = [_COLUMN_OF_FIELD.get(f.name, f.name) for f in fields(EvidenceRow)]
    at = names.index("status") + 1
    return [*names[:at], "outcome", "outcome_why", *names[at:]]


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        return [jsonable(v) for v in value]
    return value
