"""A fake provider (groups granting access to stores) and a `FakeConnector` speaking Recertify's Connector
Protocol to it, for the engine's tests: planning, the outbox, undo, crash recovery.

Provider state lives in a stdlib sqlite3 database, ":memory:" or a file: a file survives `kill -9` of a
worker process (every write is committed at once), so a test can read what really happened afterwards.

    provider = FakeProvider(":memory:", delay=0.0)     # or a path; delay: seconds slept in every call
    provider.add_store("arn:aws:s3:::payroll", name="payroll", owners=("owner@x.gov",))
    provider.add_group("g-payroll", store_provider_id="arn:aws:s3:::payroll", access=AccessLevel.READ)
    provider.add_principal("arn:aws:iam::1:user/ann", email="ann@x.gov", last_used=None)
    provider.add_member("g-payroll", "arn:aws:iam::1:user/ann")
    provider.add_statement("s-public", store_provider_id=…, name="bucket policy statement PublicRead",
                           approval="…an admin must approve")  # a resource-policy statement: its grants'
                                        # path step is "resource_policy"; its changes need an admin
    provider.add_principal("*", name="anyone on the internet", type=PrincipalType.PUBLIC)
    provider.add_member("s-public", "*")
    provider.remove_member(...)         # an out-of-band change (someone else removed it): not a write
    provider.is_member(group, principal) / provider.members(group)
    provider.writes()                   # [Write(seq, kind, group, principal)]: every write call made
    provider.calls()                    # [Call(seq, method, kind, group, principal, dry_run, outcome)]
    provider.fail_next_revokes(n, "unavailable")   # the next n revokes raise SourceUnavailable(retryable)
    provider.fail_next_revokes(n, "refused")       # … or RevocationRefused
    provider.stale_next_verifies(n)     # the next n verify reads still show the access

    connector = FakeConnector(provider, system=System.AWS, clock=FrozenClock(...))
    connector.snapshot()                # a real Snapshot: one grant per membership, path (group,)
    connector.plan_revocation(grant)    # remove_member + inverse add_member; RevocationRefused unless the
                                        # path is one group or statement; NotFound when the membership is
                                        # already gone; a statement's change carries its `approval`
    connector.revoke(action, dry_run=…) # observes first: ALREADY_ABSENT | DRY_RUN (no write) | APPLIED
    connector.verify(action)            # reads back: True when the action's effect holds

Actions: kind "remove_member" / "add_member", params (("group", id), ("principal", id)). A write is
logged whether or not it changed anything, as a real provider would have received it: two workers that both
observed "present" would both show up in `writes()`, which is what the exactly-once tests count.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from reviews.clock import SystemClock
from reviews.entitlements import (
    AccessLevel,
    Grant,
    LastUse,
    PathStep,
    Person,
    PlannedChange,
    Principal,
    PrincipalType,
    RevocationAction,
    RevocationResult,
    Snapshot,
    Store,
    StoreKind,
    System,
)
from reviews.errors import NotFound, RevocationRefused, SourceUnavailable
from reviews.ports import Clock

REMOVE_MEMBER = "remove_member"
ADD_MEMBER = "add_member"
SOURCE = "fake-provider"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS stores (
    store_provider_id TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT, owners TEXT NOT NULL,
    tags TEXT NOT NULL DEFAULT '{}');
CREATE TABLE IF NOT EXISTS groups (
    group_id TEXT PRIMARY KEY, name TEXT NOT NULL, store_provider_id TEXT NOT NULL REFERENCES stores,
    access TEXT NOT NULL, step_kind TEXT NOT NULL DEFAULT 'group', conditional INTEGER NOT NULL DEFAULT 0,
    approval TEXT);
CREATE TABLE IF NOT EXISTS principals (
    principal_provider_id TEXT PRIMARY KEY, type TEXT, name TEXT NOT NULL, email TEXT, enabled INTEGER,
    guest INTEGER NOT NULL, last_used TEXT);
CREATE TABLE IF NOT EXISTS memberships (
    principal_provider_id TEXT NOT NULL REFERENCES principals, group_id TEXT NOT NULL REFERENCES groups,
    PRIMARY KEY (principal_provider_id, group_id));
CREATE TABLE IF NOT EXISTS writes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, group_id TEXT NOT NULL,
    principal_provider_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS calls (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, method TEXT NOT NULL, kind TEXT NOT NULL, group_id TEXT NOT NULL,
    principal_provider_id TEXT NOT NULL, dry_run INTEGER NOT NULL, outcome TEXT NOT NULL);
"""
_DEFAULT_TYPE = {System.AWS: PrincipalType.IAM_USER, System.ENTRA: PrincipalType.ENTRA_USER}
_DEFAULT_KIND = {System.AWS: StoreKind.S3_BUCKET, System.ENTRA: StoreKind.ENTRA_GROUP}


@dataclass(frozen=True, slots=True)
class Write:
    seq: int
    kind: str
    group: str
    principal: str


@dataclass(frozen=True, slots=True)
class Call:
    seq: int
    method: str  # revoke | verify
    kind: str
    group: str
    principal: str
    dry_run: bool
    outcome: (
        str  # revoke: applied | already_absent | dry_run | unavailable | refused; verify: holds | not_yet
    )


class FakeProvider:
    def __init__(self, path: str | Path = ":memory:", *, delay: float = 0.0) -> None:
        self.delay = delay
        self._lock = threading.RLock()
        # Autocommit: every statement, or every `with self._tx()` block, is committed when it ends.
        self._db = sqlite3.connect(str(path), timeout=30, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA foreign_keys=ON")
        with self._lock:
            self._db.executescript(_SCHEMA)  # idempotent: a file already seeded keeps its state
        self._revoke_faults: list[str] = []
        self._stale_verifies = 0

    def close(self) -> None:
        self._db.close()

    # ── seeding and out-of-band changes (not logged as writes) ──

    def add_store(
        self,
        store_provider_id: str,
        *,
        name: str | None = None,
        kind: StoreKind | None = None,
        owners: tuple[str, ...] = (),
        tags: dict[str, str] | None = None,
    ) -> None:
        self._execute(
            "INSERT INTO stores (store_provider_id, name, kind, owners, tags) VALUES (?, ?, ?, ?, ?)",
            (
                store_provider_id,
                name or store_provider_id,
                kind,
                json.dumps(list(owners)),
                json.dumps(tags or {}),
            ),
        )

    def add_group(
        self,
        group_id: str,
        *,
        store_provider_id: str,
        name: str | None = None,
        access: AccessLevel | tuple[AccessLevel, ...] = AccessLevel.READ,
    ) -> None:
        """`access`: one level, or several (read and write from one membership: one grant per level)."""
        levels = access if isinstance(access, tuple) else (access,)
        self._execute(
            "INSERT INTO groups (group_id, name, store_provider_id, access) VALUES (?, ?, ?, ?)",
            (group_id, name or group_id, store_provider_id, ",".join(levels)),
        )

    def add_statement(
        self,
        statement_id: str,
        *,
        store_provider_id: str,
        name: str,
        access: AccessLevel = AccessLevel.READ,
        conditional: bool = False,
        approval: str | None = None,
    ) -> None:
        """A statement of the store's resource policy naming principals (its "members"), as a provider
        shares it: removing one principal from it is a change an admin approves (`approval`)."""
        self._execute(
            "INSERT INTO groups (group_id, name, store_provider_id, access, step_kind, conditional, "
            "approval) VALUES (?, ?, ?, ?, 'resource_policy', ?, ?)",
            (statement_id, name, store_provider_id, access, conditional, approval),
        )

    def add_principal(
        self,
        principal_provider_id: str,
        *,
        name: str | None = None,
        email: str | None = None,
        type: PrincipalType | None = None,  # None: the connector's system default
        enabled: bool | None = True,
        guest: bool = False,
        last_used: datetime | None = None,
    ) -> None:
        self._execute(
            "INSERT INTO principals VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                principal_provider_id,
                type,
                name or principal_provider_id.rsplit("/", 1)[-1],
                email,
                enabled,
                guest,
                last_used.isoformat() if last_used else None,
            ),
        )

    def add_member(self, group_id: str, principal_provider_id: str) -> None:
        self._execute("INSERT OR IGNORE INTO memberships VALUES (?, ?)", (principal_provider_id, group_id))

    def remove_member(self, group_id: str, principal_provider_id: str) -> None:
        self._execute(
            "DELETE FROM memberships WHERE principal_provider_id = ? AND group_id = ?",
            (principal_provider_id, group_id),
        )

    # ── reading ──

    def is_member(self, group_id: str, principal_provider_id: str) -> bool:
        return bool(
            self._query(
                "SELECT 1 FROM memberships WHERE principal_provider_id = ? AND group_id = ?",
                (principal_provider_id, group_id),
            )
        )

    def members(self, group_id: str) -> set[str]:
        rows = self._query("SELECT principal_provider_id FROM memberships WHERE group_id = ?", (group_id,))
        return {row[0] for row in rows}

    def writes(self) -> list[Write]:
        return [Write(*row) for row in self._query("SELECT * FROM writes ORDER BY seq", ())]

    def calls(self) -> list[Call]:
        rows = self._query("SELECT * FROM calls ORDER BY seq", ())
        return [
            Call(seq, method, kind, g, p, bool(dry), outcome)
            for seq, method, kind, g, p, dry, outcome in rows
        ]

    # ── faults ──

    def fail_next_revokes(self, count: int, error: Literal["unavailable", "refused"] = "unavailable") -> None:
        with self._lock:
            self._revoke_faults.extend([error] * count)

    def stale_next_verifies(self, count: int) -> None:
        with self._lock:
            self._stale_verifies += count

    # ── what FakeConnector uses ──

    def _pause(self) -> None:
        if self.delay:
            time.sleep(self.delay)

    def _next_revoke_fault(self) -> str | None:
        with self._lock:
            return self._revoke_faults.pop(0) if self._revoke_faults else None

    def _next_verify_stale(self) -> bool:
        with self._lock:
            if self._stale_verifies:
                self._stale_verifies -= 1
                return True
            return False

    def _write(self, kind: str, group_id: str, principal_provider_id: str) -> None:
        with self._tx():
            if kind == REMOVE_MEMBER:
                self._db.execute(
                    "DELETE FROM memberships WHERE principal_provider_id = ? AND group_id = ?",
                    (principal_provider_id, group_id),
                )
            else:
                self._db.execute(
                    "INSERT OR IGNORE INTO memberships VALUES (?, ?)", (principal_provider_id, group_id)
                )
            self._db.execute(
                "INSERT INTO writes (kind, group_id, principal_provider_id) VALUES (?, ?, ?)",
                (kind, group_id, principal_provider_id),
            )

    def _log(
        self, method: str, kind: str, group_id: str, principal_provider_id: str, dry_run: bool, outcome: str
    ) -> None:
        self._execute(
            "INSERT INTO calls (method, kind, group_id, principal_provider_id, dry_run, outcome) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (method, kind, group_id, principal_provider_id, dry_run, outcome),
        )

    def _table(self, sql: str) -> list[tuple[Any, ...]]:
        return self._query(sql, ())

    @contextmanager
    def _tx(self) -> Iterator[None]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _execute(self, sql: str, params: tuple[object, ...]) -> None:
        with self._lock:
            self._db.execute(sql, params)

    def _query(self, sql: str, params: tuple[object, ...]) -> list[tuple[Any, ...]]:
        with self._lock:
            return list(self._db.execute(sql, params).fetchall())


class FakeConnector:
    """Implements reviews.ports.Connector against a FakeProvider."""

    def __init__(
        self, provider: FakeProvider, *, system: System = System.AWS, clock: Clock | None = None
    ) -> None:
        self.system = system
        self.provider = provider
        self._clock = clock or SystemClock()

    def check(self) -> None:
        self.provider._query("SELECT 1", ())

    def snapshot(self) -> Snapshot:
        provider = self.provider
        stores = tuple(
            Store(
                self.system,
                StoreKind(kind) if kind else _DEFAULT_KIND[self.system],
                str(sid),
                str(name),
                tuple(json.loads(str(owners))),
                tags=tuple(sorted(json.loads(str(tags)).items())),
            )
            for sid, name, kind, owners, tags in provider._table(
                "SELECT store_provider_id, name, kind, owners, tags FROM stores ORDER BY store_provider_id"
            )
        )
        principals, people, last_used = [], {}, {}
        for pid, ptype, name, email, enabled, guest, used in provider._table(
            "SELECT * FROM principals ORDER BY principal_provider_id"
        ):
            person = str(email).lower() if email else None
            if person:
                people[person] = Person(person, display_name=str(name))
            use = LastUse(datetime.fromisoformat(str(used)), SOURCE) if used else None
            last_used[pid] = use
            principals.append(
                Principal(
                    self.system,
                    PrincipalType(ptype) if ptype else _DEFAULT_TYPE[self.system],
                    str(pid),
                    str(name),
                    email=str(email) if email else None,
                    enabled=None if enabled is None else bool(enabled),
                    guest=bool(guest),
                    last_sign_in=use,
                    person_email=person,
                )
            )
        grants: dict[tuple[str, str, AccessLevel], Grant] = {}
        for pid, gid, gname, sid, access, step_kind, conditional in provider._table(
            "SELECT m.principal_provider_id, g.group_id, g.name, g.store_provider_id, g.access, g.step_kind, "
            "g.conditional FROM memberships m JOIN groups g USING (group_id) ORDER BY "
            "m.principal_provider_id, g.group_id"
        ):
            for level in str(access).split(","):
                grant = Grant(
                    str(sid),
                    str(pid),
                    AccessLevel(level),
                    (PathStep(str(step_kind), str(gid), str(gname)),),
                    conditional=bool(conditional),
                    last_used=last_used[pid],
                )
                grants.setdefault(grant.key, grant)  # one grant per key: the first group reaching it
        return Snapshot(
            self.system,
            self._clock.now(),
            stores,
            tuple(principals),
            tuple(grants.values()),
            tuple(people.values()),
        )

    def plan_revocation(self, grant: Grant) -> PlannedChange:
        step = grant.path[0] if grant.path else None
        if step is None or step.kind not in ("group", "resource_policy") or len(grant.path) != 1:
            raise RevocationRefused(
                f"{grant.principal_provider_id} reaches {grant.store_provider_id} through "
                f"{' > '.join(map(str, grant.path))}: only a direct group membership or policy statement can "
                "be changed; a person must change it"
            )
        if not self.provider.is_member(step.id, grant.principal_provider_id):
            raise NotFound(
                f"{grant.principal_provider_id} is no longer a member of {step.name}: nothing to revoke"
            )
        (approval,) = self.provider._query("SELECT approval FROM groups WHERE group_id = ?", (step.id,))[0]
        return PlannedChange(
            action=self._action(
                REMOVE_MEMBER,
                step.id,
                grant.principal_provider_id,
                f"remove {grant.principal_provider_id} from {step.name}",
            ),
            inverse=self._action(
                ADD_MEMBER,
                step.id,
                grant.principal_provider_id,
                f"add {grant.principal_provider_id} to {step.name}",
            ),
            approval=approval,
        )

    def revoke(self, action: RevocationAction, *, dry_run: bool) -> RevocationResult:
        group, principal = self._target(action)
        provider = self.provider
        provider._pause()
        fault = provider._next_revoke_fault()
        if fault is not None:
            provider._log("revoke", action.kind, group, principal, dry_run, fault)
            if fault == "refused":
                raise RevocationRefused(f"{action.description}: refused by the provider (injected)")
            raise SourceUnavailable(
                SOURCE, f"{action.description}: provider unreachable (injected)", retryable=True
            )
        done = provider.is_member(group, principal) == (action.kind == ADD_MEMBER)
        if done:
            result = RevocationResult.ALREADY_ABSENT
        elif dry_run:
            result = RevocationResult.DRY_RUN
        else:
            provider._pause()  # between the observing read and the write: where a race would show
            provider._write(action.kind, group, principal)
            result = RevocationResult.APPLIED
        provider._log("revoke", action.kind, group, principal, dry_run, result.value)
        return result

    def verify(self, action: RevocationAction) -> bool:
        group, principal = self._target(action)
        self.provider._pause()
        member = self.provider.is_member(group, principal)
        if action.kind == REMOVE_MEMBER and self.provider._next_verify_stale():
            member = True
        holds = member == (action.kind == ADD_MEMBER)
        self.provider._log("verify", action.kind, group, principal, False, "holds" if holds else "not_yet")
        return holds

    def _action(self, kind: str, group: str, principal: str, description: str) -> RevocationAction:
        return RevocationAction(self.system, kind, (("group", group), ("principal", principal)), description)

    def _target(self, action: RevocationAction) -> tuple[str, str]:
        if action.kind not in (REMOVE_MEMBER, ADD_MEMBER):
            raise RevocationRefused(
                f"{action.description}: the fake provider has no operation {action.kind!r}"
            )
        try:
            return action.param("group"), action.param("principal")
        except KeyError as exc:
            raise RevocationRefused(f"{action.description}: the stored action lacks {exc}") from None
