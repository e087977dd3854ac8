"""Reading one campaign's evidence: an auditor's read, that writes nothing and is consistent with the audit
chain head it names.

- **Who**: auditors, and admins (who read everything auditors read).
- **Read-only**: the transaction is read-only at the database (PostgreSQL `READ ONLY`, SQLite `query_only`)
  and is rolled back; the export appends no audit event either.
- **Consistent**: on PostgreSQL the whole read is one REPEATABLE READ snapshot. Every write to a campaign
  appends an audit event in its own transaction, so the chain head is read before and after the rows: if it
  moved (possible on SQLite, whose reads are not one snapshot), the read is repeated, and after a few tries
  the export fails rather than mixing two states.
- **Complete**: the item rows must be exactly the population the campaign froze, by count and by the
  SHA-256 recomputed from the frozen grants; anything else fails loudly and nothing is exported.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session

from reviews import audit
from reviews.actors import Actor, Role
from reviews.errors import RecertifyError
from reviews.evidence.model import CampaignFacts, EvidenceRow
from reviews.evidence.rows import read_campaign
from reviews.ports import Clock
from reviews.queries.chat_reads import require
from reviews.queries.history import HistoryEntry, HistoryFilter, history

READ_ATTEMPTS = 3


class EvidenceIncomplete(RecertifyError):
    """The rows do not add up to what the campaign froze, or the data kept changing while being read."""


@dataclass(frozen=True, slots=True)
class Evidence:
    campaign: CampaignFacts
    rows: tuple[EvidenceRow, ...]
    history: tuple[
        HistoryEntry, ...
    ]  # the campaign's audit events, told one by one (reviews.queries.history)
    audit_head: audit.ChainHead  # the chain as it stood when the rows were read
    exported_at: datetime
    exported_by: str


def read_evidence(engine: Engine, actor: Actor, campaign_id: int, *, clock: Clock) -> Evidence:
    if not actor.is_admin:
        require(actor, Role.AUDITOR, "export campaign evidence")
    for _attempt in range(READ_ATTEMPTS):
        with read_only_session(engine) as session:
            before = audit.head(session)
            campaign, rows = read_campaign(session, campaign_id)
            told = history(session, actor, HistoryFilter(campaign=campaign_id))
            after = audit.head(session)
        if before == after:
            check_population(campaign, rows)
            return Evidence(campaign, tuple(rows), tuple(told), after, clock.now(), actor.id)
    raise EvidenceIncomplete(
        f"campaign {campaign_id} kept changing while its evidence was read ({READ_ATTEMPTS} tries): "
        "export it again when the scheduler is idle"
    )


def check_population(campaign: CampaignFacts, rows: list[EvidenceRow]) -> None:
    """The export is the frozen population, all of it, or nothing."""
    if len(rows) != campaign.population_count:
        raise EvidenceIncomplete(
            f"campaign {campaign.id} froze {campaign.population_count} grants but has {len(rows)} review "
            "items: the record is inconsistent, nothing was exported"
        )
    digest = population_sha256(rows)
    if digest != campaign.population_sha256:
        raise EvidenceIncomplete(
            f"campaign {campaign.id}: the frozen grants of its items hash to {digest}, not to the recorded "
            f"population {campaign.population_sha256}: the record is inconsistent, nothing was exported"
        )


def population_sha256(rows: list[EvidenceRow]) -> str:
    """The campaign's fingerprint recomputed from the frozen grants: the same lines as
    `reviews.campaigns.population.population_sha256` (store id, principal id, access; sorted)."""
    keys = sorted(f"{row.store_provider_id}\t{row.principal_provider_id}\t{row.access}" for row in rows)
    return hashlib.sha256("\n".join(keys).encode("utf-8")).hexdigest()


@contextmanager
def read_only_session(engine: Engine) -> Iterator[Session]:
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        if sqlite:
            connection.exec_driver_sql("PRAGMA query_only = ON")
        else:
            connection = connection.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
        try:
            with Session(bind=connection) as session:
                yield session
                session.rollback()
        finally:
            connection.rollback()
            if sqlite:
                connection.exec_driver_sql("PRAGMA query_only = OFF")
