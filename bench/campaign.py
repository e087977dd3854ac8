"""Campaign speed: start a campaign over 100,000 grants, then close it and plan 20,000 revocations.

    .venv/bin/python -m bench.campaign                    # SQLite in a temporary directory
    .venv/bin/python -m bench.campaign --postgresql       # a new PostgreSQL database on 127.0.0.1 (dropped after)

Targets (issue 5): the start takes at most 20 s and under 1 GB; closing and planning 20,000 revocations at
most 10 s. The inventory is written with bulk inserts (what a sync would have left; not measured); the
connector is an in-process one whose `plan_revocation` names a group removal without I/O, so the figure is
the engine's own cost (real connectors add their confirming reads).
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import insert, select, update
from sqlmodel import Session, SQLModel

from reviews.actors import cli_operator
from reviews.campaigns.close import close_campaign
from reviews.campaigns.start import start_campaign
from reviews.clock import FrozenClock
from reviews.cycles.definition import CycleDefinition
from reviews.enforcement.plan import plan_revocations
from reviews.enforcement.settings import EnforcementSettings
from reviews.entitlements import Grant, PlannedChange, RevocationAction, RevocationResult, Snapshot, System
from reviews.protection import Protection
from reviews.storage.db import create_db_engine, upgrade
from reviews.storage.models import (
    AccessGrant,
    ItemStatus,
    Person,
    Principal,
    ReviewCycle,
    ReviewItem,
    Store,
    SyncRun,
    SyncStatus,
)

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


class PlanningOnlyConnector:
    """Names the change from the path, like the real connectors, without reading a provider."""

    system = System.AWS

    def check(self) -> None:
        pass

    def snapshot(self) -> Snapshot:
        raise NotImplementedError("the benchmark seeds the database directly")

    def plan_revocation(self, grant: Grant) -> PlannedChange:
        step = grant.path[0]
        params = (("group", step.id), ("principal", grant.principal_provider_id))
        return PlannedChange(
            RevocationAction(
                System.AWS, "remove_member", params, f"remove {grant.principal_provider_id} from {step.name}"
            ),
            RevocationAction(
                System.AWS, "add_member", params, f"add {grant.principal_provider_id} to {step.name}"
            ),
        )

    def revoke(self, action: RevocationAction, *, dry_run: bool) -> RevocationResult:
        raise NotImplementedError

    def verify(self, action: RevocationAction) -> bool:
        raise NotImplementedError


def seed(engine: Any, grants: int, stores: int) -> None:
    tables = SQLModel.metadata.tables
    people = grants // 20
    with Session(engine) as session:
        session.execute(
            insert(tables[Person.__tablename__]),
            [
                {
                    "email": f"user{i}@dept.example.gov",
                    "display_name": f"User {i}",
                    "first_seen_at": T0,
                    "updated_at": T0,
                    "manager_email": "boss@dept.example.gov",
                }
                for i in range(people)
            ],
        )
        session.execute(
            insert(tables[Store.__tablename__]),
            [
                {
                    "system": "aws",
                    "kind": "s3_bucket",
                    "provider_id": f"arn:aws:s3:::bucket-{i}",
                    "name": f"bucket-{i}",
                    "owners": [f"owner{i % 40}@dept.example.gov"],
                    "classification": "personal",
                    "tags": {},
                    "first_seen_at": T0,
                    "last_seen_at": T0,
                }
                for i in range(stores)
            ],
        )
        session.execute(
            insert(tables[Principal.__tablename__]),
            [
                {
                    "system": "aws",
                    "type": "iam_user",
                    "provider_id": f"arn:aws:iam::111122223333:user/user{i}",
                    "name": f"user{i}",
                    "email": f"user{i}@dept.example.gov",
                    "enabled": True,
                    "guest": False,
                    "person_id": i + 1,
                    "first_seen_at": T0,
                    "last_seen_at": T0,
                }
                for i in range(people)
            ],
        )
        run = SyncRun(source="aws", started_at=T0, finished_at=T0, status=SyncStatus.SUCCEEDED)
        session.add(run)
        session.flush()
        rows = []
        for i in range(grants):
            store, principal = i % stores, i // stores % people
            used = T0 - timedelta(days=200 if i % 5 == 0 else 3)  # one in five inactive
            rows.append(
                {
                    "store_id": store + 1,
                    "principal_id": principal + 1,
                    "access": ("read", "write", "admin")[i // (stores * people) % 3],
                    "path": [{"kind": "group", "id": f"g-{store}", "name": f"bucket-{store}-readers"}],
                    "conditional": False,
                    "needs_human_review": False,
                    "last_used_at": used,
                    "last_used_source": "iam:service-last-accessed",
                    "valid_from": T0,
                    "opened_by_sync_id": run.id,
                }
            )
        session.execute(insert(tables[AccessGrant.__tablename__]), rows)
        session.commit()


def measure(url: str, grants: int, stores: int, revocations: int) -> None:
    engine = create_db_engine(url)
    upgrade(engine)
    seed(engine, grants, stores)
    clock = FrozenClock(T0 + timedelta(hours=1))
    definition = CycleDefinition.model_validate(
        {
            "name": "bench",
            "reviewers": {"fallback": "security@dept.example.gov"},
            "on_no_response": "revoke",
            "escalate_after_days": None,
        }
    )
    with Session(engine, expire_on_commit=False) as session:
        cycle = ReviewCycle(
            name="bench",
            version=1,
            definition=definition.model_dump(mode="json"),
            definition_sha256="0" * 64,
            applied_at=T0,
            applied_by="bench",
        )
        session.add(cycle)
        session.commit()
        started = time.perf_counter()
        campaign = start_campaign(
            session, cycle, definition, actor=cli_operator(), clock=clock, protection=Protection.of([], [])
        ).campaign
        session.commit()
        start_seconds = time.perf_counter() - started
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        # Reviewers answered everything but `revocations` items, which were delivered and reminded after an
        # escalation: silence revokes exactly those (DESIGN §3.7).
        items = SQLModel.metadata.tables[ReviewItem.__tablename__]
        ids = list(
            session.scalars(select(items.c.id).where(items.c.campaign_id == campaign.id).order_by(items.c.id))
        )
        last_silent = ids[revocations - 1]
        session.execute(update(items).where(items.c.id > last_silent).values(status=ItemStatus.KEPT))
        session.execute(
            update(items)
            .where(items.c.campaign_id == campaign.id, items.c.id <= last_silent)
            .values(delivered_at=clock.now(), reminded_at=clock.now(), escalated_at=clock.now())
        )
        session.commit()
        clock.advance(timedelta(days=15))
        session.add(
            SyncRun(
                source="aws", started_at=clock.now(), finished_at=clock.now(), status=SyncStatus.SUCCEEDED
            )
        )
        session.commit()
        session.refresh(campaign)
        started = time.perf_counter()
        closed = close_campaign(session, campaign, actor=cli_operator(), clock=clock)
        planned = plan_revocations(
            session,
            campaign,
            {"aws": PlanningOnlyConnector()},
            settings=EnforcementSettings(blast_radius_count=1_000_000, blast_radius_share=1.0),
            protection=Protection.of([], []),
            auto_apply=False,
            cycle_name="bench",
            clock=clock,
        )
        session.commit()
        close_seconds = time.perf_counter() - started
    engine.dispose()
    print(
        f"{engine.dialect.name}: start over {campaign.population_count:,} grants {start_seconds:.1f} s "
        f"(peak RSS {peak_mb:,.0f} MB); close + plan {planned.planned:,} revocations "
        f"({closed.revoked:,} revoked by policy) {close_seconds:.1f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--postgresql", action="store_true", help="use a new database on 127.0.0.1:5432")
    parser.add_argument("--grants", type=int, default=100_000)
    parser.add_argument("--stores", type=int, default=300)
    parser.add_argument("--revocations", type=int, default=20_000)
    args = parser.parse_args()
    if not args.postgresql:
        with tempfile.TemporaryDirectory() as tmp:
            measure(f"sqlite:///{Path(tmp) / 'bench.db'}", args.grants, args.stores, args.revocations)
        return
    name = f"bench_campaign_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        measure(
            f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}", args.grants, args.stores, args.revocations
        )
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
