"""Evidence at scale: what an auditor asks of two years of history.

    .venv/bin/python -m bench.evidence            # PostgreSQL: a new database on 127.0.0.1:5432 (dropped after)
    .venv/bin/python -m bench.evidence --sqlite   # the same on SQLite in a temporary directory
    .venv/bin/python -m bench.evidence --grants 200000 --events 100000 --items 10000   # a smaller run
    .venv/bin/python -m bench.evidence --only verify [--sqlite] [--workers N]   # the audit chain alone

Targets, with 2,000,000 grant-history rows and 1,000,000 audit events:

- `access --at DATE --store S` (`effective_access` over a past UTC day) for one store under 200 ms (p95 of
  20 warm runs, each on another store, a new session each);
- the history of one person (`history(... HistoryFilter(person=EMAIL))`) under 200 ms (p95, 20 people);
- `audit verify` (`reviews.audit.verify`) over the million events under 60 s; the database checkpoints
  (`reviews.audit.checkpoints.verify_checkpoints`, when present; no write-once store) are timed too. `--workers N`
  sets its worker processes (default: the product's, one per CPU), with the load average printed, since a
  busy machine slows it; `--only verify` seeds nothing but the chain and its checkpoints, and times verify
  both in one process (`--workers 1`) and with the workers;
- the export of a 100,000-item campaign (`export_campaign`, CSV + JSON + HTML + manifest: read, render,
  write) under 60 s, in a fresh process like the CLI's, with that process's peak RSS. The manifest must
  count the whole population.

The data (not measured, seeding times printed): stores = grants / 1,000, principals = grants / 100 (four in
five a person's IAM user, the rest those people's Identity Center users: a person has one or two), people
linked to them; each (store, principal, level) has 1 to 7 validity intervals over two years (revoked and
re-granted: ~4 on average, so a store has ~1,000 rows and a principal ~100) and `--items` of them end in an
open interval. Rows go in with PostgreSQL COPY (Core bulk inserts on SQLite). The audit chain is a valid
hash chain built with `reviews.audit.event_hash` (grant.opened/closed, sync.applied, decision.recorded,
revocation.*, …), the head row updated, with hourly checkpoints when the table exists. The campaign is
started with the real `start_campaign` over the open grants; decisions (Slack, bulk, delegates, superseded
clicks, the no-response policy), digests, reminders and revocations are then bulk-inserted and the campaign
closed. PostgreSQL gets `VACUUM ANALYZE` before the campaign starts and after it is seeded (what autovacuum
does to tables that big); SQLite gets nothing (the product never runs ANALYZE).

The targets are for PostgreSQL; `--sqlite` checks the same ones, for comparison. Exit status 1 when a target
is missed.
"""

from __future__ import annotations

import argparse
import importlib
import itertools
import json
import math
import multiprocessing
import os
import random
import resource
import statistics
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from inspect import signature as inspect_signature
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import JSON, Engine, and_, case, exists, func, insert, inspect, select, update
from sqlmodel import Session, SQLModel

from reviews import audit
from reviews.actors import cli_operator
from reviews.campaigns.start import start_campaign
from reviews.clock import FrozenClock, SystemClock
from reviews.cycles.definition import CycleDefinition
from reviews.evidence.collect import read_evidence
from reviews.evidence.export import RENDERERS, ExportFormat, export_campaign
from reviews.evidence.quality import reviewer_quality
from reviews.protection import Protection
from reviews.queries.access import access_window, effective_access
from reviews.queries.history import HistoryFilter, history
from reviews.storage.db import create_db_engine, upgrade
from reviews.storage.models import Campaign, Decision, ReviewCycle, ReviewItem

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # "now" in the data: the last sync
DAYS = 730
HISTORY_START = T0 - timedelta(days=DAYS)
SPAN_SECONDS = DAYS * 86_400
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
DOMAIN = "dept.example.gov"
ACCOUNT = "111122223333"
LEVELS = ("read", "read", "write", "read", "write", "admin", "read")
CYCLE = "personal-data-quarterly"
FALLBACK = f"security@{DOMAIN}"
RUNS, WARMUP = 20, 3
QUERY_TARGET_MS = 200.0
VERIFY_TARGET_S = 60.0
EXPORT_TARGET_S = 60.0
CHUNK = 20_000  # rows per Core insert on SQLite


@dataclass(frozen=True, slots=True)
class Shape:
    grants: int
    events: int
    items: int

    @property
    def stores(self) -> int:
        return max(self.grants // 1_000, 1)

    @property
    def principals(self) -> int:
        return max(self.grants // 100, 10)

    @property
    def people(self) -> int:
        return self.principals * 4 // 5

    @property
    def pairs(self) -> int:  # (store, principal, level) keys, ~4 intervals each
        return self.grants // 4

    @property
    def stride(self) -> int:  # spreads a store's pairs over principals, each principal once per store
        stride = 7919
        while math.gcd(stride, self.principals) != 1:
            stride += 2
        return stride


def store_name(i: int) -> str:
    return f"dynamodb-cases-{i:04d}" if i % 4 == 3 else f"personal-data-{i:04d}"


def store_arn(i: int) -> str:
    if i % 4 == 3:
        return f"arn:aws:dynamodb:eu-west-2:{ACCOUNT}:table/{store_name(i)}"
    return f"arn:aws:s3:::{store_name(i)}"


def email(person: int) -> str:  # 0-based person index
    return f"user{person}@{DOMAIN}"


def principal_of(shape: Shape, i: int) -> tuple[str, str, str, int]:
    """(type, provider id, name, 0-based person) of principal i: an IAM user, or an Identity Center user of
    every fourth person while there are principals left."""
    if i < shape.people:
        return "iam_user", f"arn:aws:iam::{ACCOUNT}:user/user{i}", f"user{i}", i
    person = (i - shape.people) * 4
    return "sso_user", f"sso:d-9067642ac7:user/{uuid.UUID(int=i)}", f"user{person}@{DOMAIN}", person


# -- loading rows: COPY on PostgreSQL, Core bulk inserts on SQLite ------------------------------------------


class Loader:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.postgresql = engine.dialect.name == "postgresql"

    def load(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        meta = SQLModel.metadata.tables[table]
        as_json = [i for i, name in enumerate(columns) if isinstance(meta.c[name].type, JSON)]
        count = 0
        with self.engine.begin() as connection:
            if self.postgresql:
                raw = connection.connection.driver_connection
                assert raw is not None
                statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
                with raw.cursor() as cursor, cursor.copy(statement) as copy:
                    for row in rows:
                        if as_json:
                            row = list(row)
                            for i in as_json:
                                row[i] = None if row[i] is None else json.dumps(row[i])
                        copy.write_row(row)
                        count += 1
                if "id" in columns:  # COPY with explicit ids does not move the sequence
                    sequence = func.pg_get_serial_sequence(table, "id")
                    connection.execute(select(func.setval(sequence, func.max(meta.c.id))))
            else:
                iterator = iter(rows)
                while chunk := list(itertools.islice(iterator, CHUNK)):
                    connection.execute(insert(meta), [dict(zip(columns, row, strict=True)) for row in chunk])
                    count += len(chunk)
        return count


def next_id(engine: Engine, table: str) -> int:
    column = SQLModel.metadata.tables[table].c.id
    with engine.connect() as connection:
        return int(connection.execute(select(func.coalesce(func.max(column), 0) + 1)).scalar_one())


# -- the inventory: people, stores, principals, two years of syncs and grant intervals -----------------------


def seed_inventory(loader: Loader, shape: Shape, rng: random.Random) -> None:
    loader.load(
        "person",
        "id email display_name manager_email first_seen_at updated_at".split(),
        (
            (p + 1, email(p), f"User {p}", email(p // 50 * 50 + 1), HISTORY_START, T0)
            for p in range(shape.people)
        ),
    )
    owners = max(shape.stores // 5, 1)  # each owner holds five stores
    stores = []
    for s in range(shape.stores):
        owner = email(s % owners * 7 % shape.people)
        kind = "dynamodb_table" if s % 4 == 3 else "s3_bucket"
        level = "special-category" if s % 10 == 0 else "personal"
        tags = {"data-classification": level, "data-owner": owner}
        stores.append(
            (s + 1, "aws", kind, store_arn(s), store_name(s), [owner], level, tags, HISTORY_START, T0)
        )
    loader.load(
        "store",
        "id system kind provider_id name owners classification tags first_seen_at last_seen_at".split(),
        stores,
    )
    principals = []
    for i in range(shape.principals):
        kind, provider_id, name, person = principal_of(shape, i)
        principals.append(
            (i + 1, "aws", kind, provider_id, name, email(person), True, False, person + 1, HISTORY_START, T0)
        )
    loader.load(
        "principal",
        "id system type provider_id name email enabled guest person_id first_seen_at last_seen_at".split(),
        principals,
    )
    counts = {"stores": shape.stores, "principals": shape.principals}
    loader.load(  # one sync a day for two years, the last one at T0
        "sync_run",
        "id source started_at finished_at status counts".split(),
        (
            (
                d + 1,
                "aws",
                HISTORY_START + timedelta(days=d),
                HISTORY_START + timedelta(days=d, minutes=4),
                "succeeded",
                counts,
            )
            for d in range(DAYS + 1)
        ),
    )
    loader.load(
        "access_grant",
        "id store_id principal_id access path conditional needs_human_review last_used_at last_used_source "
        "valid_from valid_to opened_by_sync_id closed_by_sync_id".split(),
        grant_rows(shape, rng),
    )


def grant_rows(shape: Shape, rng: random.Random) -> Iterator[tuple[Any, ...]]:
    """Each (store, principal, level) key has k validity intervals (1 to 7, 4 on average, so a store has
    ~1,000 rows and a principal ~100); the last one is open for `items` keys chosen at random."""
    stores, principals, pairs, stride = shape.stores, shape.principals, shape.pairs, shape.stride
    assert pairs // stores < principals, "too few principals for this many grants per store"
    assert shape.items <= pairs, f"--items {shape.items:,} exceeds the {pairs:,} grant keys"
    opened = set(rng.sample(range(pairs), shape.items))
    paths = {(s, level): store_path(s, level) for s in range(stores) for level in set(LEVELS)}
    grant_id, r = 0, 0
    for p in range(pairs):
        if p % 2 == 0 and p + 1 < pairs:  # pairs of keys: 1 + r and 7 - r intervals
            r = rng.randrange(7)
            k = 1 + r
        else:
            k = 7 - r if p % 2 == 1 else 4
        if p == pairs - 1:
            k += shape.grants - 4 * pairs
        store, q = p % stores, p // stores
        principal = (q * stride + store * 31) % principals
        level = LEVELS[q % len(LEVELS)]
        is_open = p in opened
        times = sorted(int(rng.random() * SPAN_SECONDS) for _ in range(2 * k - (1 if is_open else 0)))
        for j in range(k):
            grant_id += 1
            start = times[2 * j]
            end = times[2 * j + 1] if 2 * j + 1 < len(times) else None
            if end is None:  # open: used lately, or (one in five) not for months
                ago = rng.uniform(120, 400) if rng.random() < 0.2 else rng.uniform(0, 30)
                used = max(start, SPAN_SECONDS - int(ago * 86_400))
            else:
                used = start + int((end - start) * rng.random())
            yield (
                grant_id,
                store + 1,
                principal + 1,
                level,
                paths[(store, level)],
                rng.random() < 0.01,
                False,
                HISTORY_START + timedelta(seconds=used),
                "iam:service-last-accessed",
                HISTORY_START + timedelta(seconds=start),
                None if end is None else HISTORY_START + timedelta(seconds=end),
                start // 86_400 + 2,  # the next day's sync saw it
                None if end is None else min(end // 86_400 + 2, DAYS + 1),
            )


def store_path(s: int, level: str) -> list[dict[str, str]]:
    return [
        {"kind": "group", "id": f"AGPA{s:06d}{level.upper()}", "name": f"{store_name(s)}-{level}ers"},
        {
            "kind": "policy",
            "id": f"arn:aws:iam::{ACCOUNT}:policy/{store_name(s)}-{level}",
            "name": f"{level}",
        },
    ]


# -- the audit chain: a valid hash chain of realistic events, hourly checkpoints ------------------------------

EVENT_KINDS = (  # relative frequencies, per thousand
    ["grant.opened"] * 300
    + ["grant.closed"] * 270
    + ["sync.applied"] * 5
    + ["decision.recorded"] * 250
    + ["item.escalated"] * 20
    + ["revocation.planned"] * 40
    + ["revocation.applied"] * 40
    + ["revocation.verified"] * 38
    + ["campaign.started"] * 2
    + ["delegation.created"] * 5
    + ["security.decision_refused"] * 30
)


def event_for(kind: str, shape: Shape, rng: random.Random) -> audit.NewEvent:
    """An event shaped like the one the product appends for `kind` (same actor, subject and payload keys)."""
    s, person = rng.randrange(shape.stores), rng.randrange(shape.people)
    item, campaign = rng.randrange(1, 2_000_000), rng.randrange(1, 60)
    slack_user = f"slack:U{person:08d}"
    payload: dict[str, Any]
    if kind in ("grant.opened", "grant.closed"):
        level = rng.choice(LEVELS)
        principal = principal_of(shape, rng.randrange(shape.principals))[1]
        payload = {
            "principal": principal,
            "access": level,
            "path": store_path(s, level),
            "conditional": False,
        }
        return audit.NewEvent("system:sync", kind, f"store:{store_arn(s)}", payload)
    if kind == "sync.applied":
        counts = {
            "stores": shape.stores,
            "grants_opened": rng.randrange(500),
            "grants_closed": rng.randrange(500),
        }
        return audit.NewEvent(
            "system:sync", kind, "system:aws", {"sync_run": rng.randrange(DAYS), "counts": counts}
        )
    if kind == "decision.recorded":
        revoke = rng.random() < 0.12
        payload = {
            "campaign": campaign,
            "outcome": "revoke" if revoke else "keep",
            "stage": 1,
            "via": "slack",
            "decision": item,
            "on_behalf_of": None,
            "justification": rng.choice(JUSTIFICATIONS) if revoke else None,
            "next_stage": None,
        }
        return audit.NewEvent(slack_user, kind, f"item:{item}", payload)
    if kind == "item.escalated":
        payload = {"campaign": campaign, "from": person + 1, "to": 1, "silent_days": 7}
        return audit.NewEvent("system:notifier", kind, f"item:{item}", payload)
    if kind.startswith("revocation."):
        # As reviews.enforcement.outbox.rows.event writes it: the change in words, every item it ends.
        action = f"remove user{person} from {store_name(s)}-readers"
        payload = {"item": item, "items": [item], "campaign": campaign, "action": action}
        return audit.NewEvent("system:executor", kind, f"revocation:{item // 10}", payload)
    if kind == "campaign.started":
        payload = {
            "cycle": CYCLE,
            "cycle_version": 1,
            "period": f"2025-Q{campaign % 4 + 1}",
            "population_count": rng.randrange(90_000, 110_000),
            "population_sha256": f"{item:064x}",
        }
        return audit.NewEvent("system:scheduler", kind, f"campaign:{campaign}", payload)
    if kind == "delegation.created":
        payload = {"delegate": email(rng.randrange(shape.people)), "days": 14}
        return audit.NewEvent(slack_user, kind, f"person:{email(person)}", payload)
    payload = {
        "reason": "nobody reviews their own access",
        "outcome": "keep",
        "via": "slack",
        "person": person,
    }
    return audit.NewEvent(slack_user, kind, f"item:{item}", payload)


def seed_chain(
    engine: Engine, loader: Loader, shape: Shape, rng: random.Random
) -> tuple[audit.ChainHead, int]:
    """Events 8 to a timestamp (appends come in batches), evenly over the two years, chained from the
    current head; a checkpoint of the head at every hour boundary, as the scheduler records them."""
    with Session(engine) as session:
        last = audit.head(session)
    checkpoints: list[tuple[int, str, datetime]] = []
    step_us = SPAN_SECONDS * 1_000_000 // max(shape.events // 8, 1)

    def rows() -> Iterator[tuple[Any, ...]]:
        nonlocal last
        seq, prev_hash, hour = last.seq, last.hash, -1
        for i in range(shape.events):
            occurred_at = HISTORY_START + timedelta(microseconds=(i // 8) * step_us + 123)
            this_hour = (occurred_at - HISTORY_START) // timedelta(hours=1)
            if this_hour != hour and seq > 0:
                checkpoints.append((seq, prev_hash, HISTORY_START + timedelta(hours=this_hour)))
            hour = this_hour
            event = event_for(EVENT_KINDS[rng.randrange(len(EVENT_KINDS))], shape, rng)
            seq += 1
            payload = audit.normalize_payload(event.payload)
            digest = audit.event_hash(
                seq, occurred_at, event.actor, event.kind, event.subject, payload, prev_hash
            )
            yield seq, occurred_at, event.actor, event.kind, event.subject, payload, prev_hash, digest
            prev_hash = digest
        last = audit.ChainHead(seq, prev_hash)

    loader.load("audit_event", "seq occurred_at actor kind subject payload prev_hash hash".split(), rows())
    with engine.begin() as connection:
        connection.execute(
            update(audit.HEAD).where(audit.HEAD.c.id == 1).values(seq=last.seq, hash=last.hash)
        )
    if "audit_checkpoint" not in SQLModel.metadata.tables or not inspect(engine).has_table(
        "audit_checkpoint"
    ):
        return last, 0
    return last, loader.load("audit_checkpoint", "seq hash recorded_at".split(), checkpoints)


# -- the campaign: the real start over the open grants, then what two weeks of reviewing leave behind ---------

JUSTIFICATIONS = (
    "moved to another team",
    "left the project",
    "no longer needs write access",
    "contract ended",
)


@dataclass(frozen=True, slots=True)
class SeededCampaign:
    id: int
    population: int
    start_seconds: float
    decisions: int
    notifications: int
    revocations: int


@dataclass(slots=True)
class Decided:
    outcome: str
    at: datetime
    by: int | None
    via: str
    context: dict[str, Any]
    key: str | None
    on_behalf: int | None = None
    justification: str | None = None


def start(engine: Engine) -> tuple[Campaign, float]:
    definition = CycleDefinition.model_validate(
        {
            "name": CYCLE,
            "reviewers": {"fallback": FALLBACK},
            "on_no_response": "revoke",
            "escalate_after_days": None,
        }
    )
    with Session(engine, expire_on_commit=False) as session:
        cycle = ReviewCycle(
            name=CYCLE,
            version=1,
            definition=definition.model_dump(mode="json"),
            definition_sha256="0" * 64,
            applied_at=HISTORY_START,
            applied_by="cli:admin",
        )
        session.add(cycle)
        session.commit()
        started = time.perf_counter()
        campaign = start_campaign(
            session,
            cycle,
            definition,
            actor=cli_operator(),
            clock=FrozenClock(T0 + timedelta(hours=1)),
            protection=Protection.of([], []),
        ).campaign
        session.commit()
        return campaign, time.perf_counter() - started


def decide(
    item: Any, begun: datetime, due: datetime, bulk_at: dict[int, datetime], rng: random.Random
) -> Decided:
    """One in twenty nobody answers (the policy revokes at the deadline); a tenth revoked by the reviewer
    with a justification; the rest kept, four in ten of those with "keep all"; one in fifty by a delegate."""
    reviewer = item.reviewer_person_id
    u = rng.random()
    if u < 0.05:
        context = {"actor": f"policy:{CYCLE}", "reason": "no response by the deadline"}
        return Decided("revoke", due, None, "policy", context, None)
    at = begun + timedelta(seconds=rng.uniform(300, 13 * 86_400))
    context = {"team": "T0BENCH", "channel": f"D{reviewer:08d}", "message_ts": f"{at.timestamp():.6f}"}
    decided = Decided(
        "keep", at, reviewer, "slack", context, f"slack:T0BENCH:{item.id}:{rng.getrandbits(32):08x}"
    )
    if u < 0.15:
        decided.outcome, decided.justification = "revoke", rng.choice(JUSTIFICATIONS)
    if rng.random() < 0.02:
        decided.by, decided.on_behalf = reviewer % 1_000 + 2, reviewer
        if decided.by == item.holder_person_id:
            decided.by += 1
    elif decided.outcome == "keep" and rng.random() < 0.4:
        decided.at = bulk_at.setdefault(reviewer, begun + timedelta(seconds=rng.uniform(600, 5 * 86_400)))
        decided.context = {"team": "T0BENCH", "bulk": "keep_all"}
        decided.key = f"slack:T0BENCH:bulk:{reviewer}:{item.id}"
    return decided


def seed_campaign(engine: Engine, loader: Loader, rng: random.Random) -> SeededCampaign:
    campaign, start_seconds = start(engine)
    assert campaign.id is not None
    begun, due, week = campaign.started_at, campaign.due_at, campaign.started_at + timedelta(days=7)
    table = SQLModel.metadata.tables[ReviewItem.__tablename__]
    columns = (table.c.id, table.c.reviewer_person_id, table.c.holder_person_id, table.c.grant_id)
    with engine.connect() as connection:
        items = connection.execute(
            select(*columns, table.c.store_id, table.c.principal_id)
            .where(table.c.campaign_id == campaign.id)
            .order_by(table.c.id)
        ).all()
    decision_id, revocation_id = next_id(engine, "decision"), next_id(engine, "revocation")
    decisions: list[tuple[Any, ...]] = []
    revocations: list[tuple[Any, ...]] = []
    given: dict[int, list[int]] = defaultdict(list)  # reviewer → items, for the digests
    late: dict[int, list[int]] = defaultdict(list)  # reviewer → items undecided after a week: reminders
    bulk_at: dict[int, datetime] = {}  # each reviewer's one "keep all" press
    for item in items:
        given[item.reviewer_person_id].append(item.id)
        d = decide(item, begun, due, bulk_at, rng)
        if d.at > week:
            late[item.reviewer_person_id].append(item.id)
        row = [decision_id, item.id, 1, d.by, d.on_behalf, d.outcome, d.at, d.via, d.justification, d.context]
        decisions.append((*row, d.key, False))
        decision_id += 1
        if d.via != "policy" and rng.random() < 0.01:  # the same press again later: recorded, not applied
            row[0], row[6] = decision_id, d.at + timedelta(seconds=40)
            decisions.append((*row, f"{d.key}:again", True))
            decision_id += 1
        if d.outcome == "revoke":
            revocations.append(revocation_row(revocation_id, campaign.id, item, rng))
            revocation_id += 1
    loader.load(
        "decision",
        "id review_item_id stage decided_by_person_id on_behalf_of_person_id outcome decided_at via "
        "justification context request_key superseded".split(),
        decisions,
    )
    loader.load(
        "revocation",
        "id review_item_id campaign_id grant_id store_id principal_id system action inverse state hold_reason "
        "approved_by approved_at dry_run dry_run_result attempts last_error planned_at applied_at verified_at "
        "undone_at".split(),
        revocations,
    )
    notifications: list[tuple[Any, ...]] = []
    for kind, at, lists in (("digest", begun + timedelta(minutes=2), given), ("reminder", week, late)):
        for reviewer, ids in sorted(lists.items()):
            for first in range(0, len(ids), 50):  # a digest lists at most 50 items
                ts = f"{at.timestamp() + len(notifications) / 1000:.6f}"
                chunk = ids[first : first + 50]
                notifications.append((campaign.id, reviewer, kind, chunk, at, True, f"D{reviewer:08d}", ts))
    loader.load(
        "notification",
        "campaign_id person_id kind item_ids sent_at delivered channel message_ts".split(),
        notifications,
    )
    close(engine, campaign.id, begun, due)
    counts = (len(decisions), len(notifications), len(revocations))
    return SeededCampaign(campaign.id, campaign.population_count, start_seconds, *counts)


def revocation_row(row_id: int, campaign_id: int, item: Any, rng: random.Random) -> tuple[Any, ...]:
    """Planned after the close; mostly applied and verified, some failed, held, already gone or undone."""
    params = [["group", f"AGPA{item.store_id:06d}"], ["principal", str(item.principal_id)]]
    what = f"principal {item.principal_id} from the group of store {item.store_id}"
    action = {"system": "aws", "kind": "remove_member", "params": params, "description": f"remove {what}"}
    inverse = {"system": "aws", "kind": "add_member", "params": params, "description": f"add {what}"}
    planned = T0 + timedelta(days=14, hours=2)
    applied: datetime | None = planned + timedelta(minutes=5)
    verified: datetime | None = planned + timedelta(minutes=20)
    state, hold, approved_by, approved_at, undone, error = "verified", None, None, None, None, None
    u = rng.random()
    if u < 0.05:
        state, applied, verified, error = (
            "failed_permanent",
            None,
            None,
            "AccessDenied: iam:RemoveUserFromGroup",
        )
    elif u < 0.08:
        state, verified = "already_absent", None
    elif u < 0.10:
        approved_by, approved_at = "cli:admin", planned + timedelta(hours=3)
    elif u < 0.11:
        state, undone = "undone", planned + timedelta(days=1)
    elif u < 0.13:
        state, hold, applied, verified = "held", "blast radius: 120 revocations on one store", None, None
    attempts = 0 if state == "held" else 1
    return (
        row_id,
        item.id,
        campaign_id,
        item.grant_id,
        item.store_id,
        item.principal_id,
        "aws",
        action,
        inverse,
        state,
        hold,
        approved_by,
        approved_at,
        False,
        "would_remove",
        attempts,
        error,
        planned,
        applied,
        verified,
        undone,
    )


def close(engine: Engine, campaign_id: int, begun: datetime, due: datetime) -> None:
    """Each item takes its effective decision's outcome and time; the campaign is closed at its deadline."""
    items = SQLModel.metadata.tables[ReviewItem.__tablename__]
    decisions = SQLModel.metadata.tables[Decision.__tablename__]
    campaigns = SQLModel.metadata.tables[Campaign.__tablename__]

    def effective(column: Any) -> Any:
        return (
            select(column)
            .where(decisions.c.review_item_id == items.c.id, decisions.c.superseded.is_(False))
            .correlate(items)
            .scalar_subquery()
        )

    by_policy = exists().where(and_(decisions.c.review_item_id == items.c.id, decisions.c.via == "policy"))
    mine = items.c.campaign_id == campaign_id
    with engine.begin() as connection:
        connection.execute(
            update(items)
            .where(mine)
            .values(
                status=case((effective(decisions.c.outcome) == "keep", "kept"), else_="revoked"),
                decided_at=effective(decisions.c.decided_at),
                delivery_status="delivered",
                delivered_at=begun + timedelta(minutes=2),
            )
        )
        connection.execute(
            update(items)
            .where(mine, items.c.decided_at > begun + timedelta(days=7))
            .values(reminded_at=begun + timedelta(days=7), reminders_sent=1)
        )
        connection.execute(
            update(items).where(mine, by_policy).values(escalated_at=begun + timedelta(days=10))
        )
        connection.execute(
            update(campaigns)
            .where(campaigns.c.id == campaign_id)
            .values(status="closed", closed_at=due, closed_by="system:scheduler")
        )


# -- the measurements ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Runs:
    seconds: list[float]
    sizes: list[int]  # rows or entries each run returned

    @property
    def median_ms(self) -> float:
        return statistics.median(self.seconds) * 1000

    @property
    def p95_ms(self) -> float:
        ordered = sorted(self.seconds)
        return ordered[max(math.ceil(0.95 * len(ordered)) - 1, 0)] * 1000

    def describe(self, what: str, unit: str) -> str:
        sizes = f"{statistics.mean(self.sizes):,.0f} {unit} each, {min(self.sizes):,}-{max(self.sizes):,}"
        return f"median {self.median_ms:.0f} ms, p95 {self.p95_ms:.0f} ms over {RUNS} {what} ({sizes})"


def repeat(engine: Engine, run: Callable[[Session, int], int]) -> Runs:
    """WARMUP untimed runs, then RUNS timed ones, each in a new session (a new command) on its own subject."""
    seconds, sizes = [], []
    for i in range(WARMUP + RUNS):
        with Session(engine) as session:
            started = time.perf_counter()
            size = run(session, i)
            elapsed = time.perf_counter() - started
        if i >= WARMUP:
            seconds.append(elapsed)
            sizes.append(size)
    return Runs(seconds, sizes)


def verdict(ok: bool) -> str:
    return "[ok]" if ok else "[MISSED]"


def export_child(url: str, campaign_id: int, out_dir: str, results: Any) -> None:
    """The export in a process of its own, like `recertify audit export`: its peak RSS is the export's. Then
    the same steps once more, one at a time, to say where the time goes."""
    engine = create_db_engine(url)
    baseline = peak_rss_mb()
    started = time.perf_counter()
    result = export_campaign(
        engine,
        cli_operator(),
        campaign_id,
        formats=list(ExportFormat),
        out_dir=Path(out_dir),
        clock=SystemClock(),
    )
    seconds = time.perf_counter() - started
    peak = peak_rss_mb()
    manifest = json.loads(result.manifest.path.read_text(encoding="utf-8"))
    steps: dict[str, float] = {}
    started = time.perf_counter()
    evidence = read_evidence(engine, cli_operator(), campaign_id, clock=SystemClock())
    steps["read"] = time.perf_counter() - started
    started = time.perf_counter()
    rows = list(evidence.rows)
    quality = reviewer_quality(rows, campaign_started_at=evidence.campaign.started_at, keep_all_within=60)
    steps["quality"] = time.perf_counter() - started
    for fmt in ExportFormat:
        started = time.perf_counter()
        RENDERERS[fmt](evidence, quality)
        steps[f"render {fmt.value}"] = time.perf_counter() - started
    engine.dispose()
    results.put(
        {
            "seconds": seconds,
            "baseline_mb": baseline,
            "peak_mb": peak,
            "population": manifest["population_count"],
            "items": manifest["items"],
            "files": {f["format"]: f["bytes"] for f in manifest["files"]},
            "steps": steps,
        }
    )


def peak_rss_mb() -> float:
    """This process's peak RSS. Linux carries `ru_maxrss` across exec, so a spawned child would report its
    parent's peak at fork time: read the high-water mark of its own memory (VmHWM) instead."""
    try:
        status = Path("/proc/self/status").read_text(encoding="ascii")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    line = next(line for line in status.splitlines() if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


def export(url: str, campaign_id: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as out_dir:
        context = multiprocessing.get_context("spawn")
        results = context.Queue()
        child = context.Process(target=export_child, args=(url, campaign_id, out_dir, results))
        child.start()
        try:
            found: dict[str, Any] = results.get(timeout=1_800)
        finally:
            child.join()
    return found


def checkpoint_verifier() -> Callable[[Session, Any], Any] | None:
    """`reviews.audit.checkpoints.verify_checkpoints`, when this version of the product has it."""
    try:
        module = importlib.import_module("reviews.audit.checkpoints")
    except ImportError:
        return None
    found: Callable[[Session, Any], Any] | None = getattr(module, "verify_checkpoints", None)
    return found


def seed(engine: Engine, shape: Shape) -> int:
    """Everything the measurements read; returns the campaign's id."""
    name, loader, rng = engine.dialect.name, Loader(engine), random.Random(20261102)
    started = time.perf_counter()
    seed_inventory(loader, shape, rng)
    print(
        f"{name}: seeded {shape.grants:,} grant-history rows ({shape.items:,} open; {shape.stores:,} stores, "
        f"{shape.principals:,} principals, {shape.people:,} people, {DAYS + 1} syncs) in "
        f"{time.perf_counter() - started:.1f} s",
        flush=True,
    )
    started = time.perf_counter()
    chain_head, checkpoints = seed_chain(engine, loader, shape, rng)
    print(
        f"{name}: seeded {shape.events:,} audit events (a valid chain, head {chain_head.seq:,}; "
        f"{checkpoints:,} hourly checkpoints) in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    vacuum(engine)
    started = time.perf_counter()
    campaign = seed_campaign(engine, loader, rng)
    rest = time.perf_counter() - started - campaign.start_seconds
    print(
        f"{name}: campaign {campaign.id} started over {campaign.population:,} open grants (start_campaign "
        f"{campaign.start_seconds:.1f} s); {campaign.decisions:,} decisions, {campaign.notifications:,} "
        f"notifications, {campaign.revocations:,} revocations added, closed, in {rest:.1f} s",
        flush=True,
    )
    vacuum(engine)
    return campaign.id


def vacuum(engine: Engine) -> None:
    """On PostgreSQL, what autovacuum would have done to tables this big by the time anyone asks."""
    if engine.dialect.name != "postgresql":
        return
    started = time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE")
    print(f"postgresql: VACUUM ANALYZE in {time.perf_counter() - started:.1f} s", flush=True)


def verify_options(workers: int | None) -> dict[str, Any]:
    """`workers=` for `audit.verify` when given and this version of the product takes it."""
    if workers is None or "workers" not in inspect_signature(audit.verify).parameters:
        return {}
    return {"workers": workers}


def measure_verify(engine: Engine, workers: int | None) -> bool:
    name, options = engine.dialect.name, verify_options(workers)
    load = os.getloadavg()[0]
    with Session(engine) as session:
        started = time.perf_counter()
        verified = audit.verify(session, **options)
        seconds = time.perf_counter() - started
    used = options.get("workers") or getattr(audit, "default_workers", lambda: 1)()
    used = used if verified.seq >= getattr(audit, "PARALLEL_FROM", math.inf) else 1
    good = seconds < VERIFY_TARGET_S
    print(
        f"{name}: audit verify ({used} process{'es' if used > 1 else ''}): {verified.seq:,} events in "
        f"{seconds:.1f} s ({verified.seq / seconds:,.0f}/s; load average {load:.2f} before, "
        f"{os.getloadavg()[0]:.2f} after); target < {VERIFY_TARGET_S:.0f} s {verdict(good)}",
        flush=True,
    )
    verify_checkpoints = checkpoint_verifier()
    if verify_checkpoints is not None:
        with Session(engine) as session:
            started = time.perf_counter()
            report = verify_checkpoints(session, None)
            seconds = time.perf_counter() - started
        print(f"{name}: audit verify, checkpoints in the database: {report.in_database:,} in {seconds:.2f} s")
    return good


def measure_chain(url: str, shape: Shape, workers: int | None) -> bool:
    """`--only verify`: the audit chain and its checkpoints alone, verified in one process, then in parallel
    (when this version of the product can)."""
    engine = create_db_engine(url)
    upgrade(engine)
    started = time.perf_counter()
    chain_head, checkpoints = seed_chain(engine, Loader(engine), shape, random.Random(20261102))
    print(
        f"{engine.dialect.name}: seeded {shape.events:,} audit events (a valid chain, head {chain_head.seq:,}; "
        f"{checkpoints:,} hourly checkpoints) in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    vacuum(engine)
    ok = True
    if verify_options(1):
        ok &= measure_verify(engine, 1)
    ok &= measure_verify(engine, workers)
    engine.dispose()
    return ok


def measure(url: str, shape: Shape, workers: int | None) -> bool:
    engine = create_db_engine(url)
    name = engine.dialect.name
    upgrade(engine)
    campaign_id = seed(engine, shape)
    ok = True

    day = (T0 - timedelta(days=365)).date().isoformat()
    start, end = access_window(day, now=T0)
    stores = [i * shape.stores // (WARMUP + RUNS) for i in range(WARMUP + RUNS)]
    runs = repeat(
        engine,
        lambda session, i: len(
            effective_access(session=session, start=start, end=end, store=store_name(stores[i]))
        ),
    )
    good = runs.p95_ms < QUERY_TARGET_MS
    ok &= good
    print(
        f"{name}: access --at {day} --store S: {runs.describe('stores', 'rows')}; "
        f"target < {QUERY_TARGET_MS:.0f} ms {verdict(good)}",
        flush=True,
    )

    people, operator = [i * shape.people // (WARMUP + RUNS) for i in range(WARMUP + RUNS)], cli_operator()
    runs = repeat(
        engine, lambda session, i: len(history(session, operator, HistoryFilter(person=email(people[i]))))
    )
    good = runs.p95_ms < QUERY_TARGET_MS
    ok &= good
    print(
        f"{name}: audit history --person EMAIL: {runs.describe('people', 'entries')}; "
        f"target < {QUERY_TARGET_MS:.0f} ms {verdict(good)}",
        flush=True,
    )

    ok &= measure_verify(engine, workers)

    result = export(url, campaign_id)
    good = result["seconds"] < EXPORT_TARGET_S and result["population"] == shape.items == result["items"]
    ok &= good
    print(
        f"{name}: audit export {campaign_id} --format all: {result['items']:,} items in {result['seconds']:.1f} s, "
        f"peak RSS {result['peak_mb']:,.0f} MB ({result['baseline_mb']:,.0f} MB before), manifest population "
        f"{result['population']:,}; target < {EXPORT_TARGET_S:.0f} s {verdict(good)}",
        flush=True,
    )
    steps = ", ".join(f"{step} {seconds:.1f} s" for step, seconds in result["steps"].items())
    files = ", ".join(f"{fmt} {size / 1e6:,.1f} MB" for fmt, size in result["files"].items())
    print(f"{name}: export steps, timed apart: {steps}; files: {files}", flush=True)
    engine.dispose()
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sqlite", action="store_true", help="SQLite in a temporary directory instead")
    parser.add_argument("--grants", type=int, default=2_000_000, help="grant-history rows")
    parser.add_argument("--events", type=int, default=1_000_000, help="audit events")
    parser.add_argument("--items", type=int, default=100_000, help="open grants: the campaign's items")
    parser.add_argument(
        "--only", choices=["verify"], help="verify: seed only the audit chain and time `audit verify`"
    )
    parser.add_argument(
        "--workers", type=int, help="worker processes for `audit verify` (default: the product's)"
    )
    args = parser.parse_args()
    shape = Shape(args.grants, args.events, args.items)

    def run(url: str) -> bool:
        if args.only == "verify":
            return measure_chain(url, shape, args.workers)
        return measure(url, shape, args.workers)

    if args.sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            ok = run(f"sqlite:///{Path(tmp) / 'bench.db'}")
    else:
        name = f"bench_evidence_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        try:
            ok = run(f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}")
        finally:
            with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
