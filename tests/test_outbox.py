"""The revocation outbox after planning: approve, execute (live and dry run), retry, dead letter, undo, and
two workers sharing a batch. Real database (both backends), a fake provider behind the Connector port."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from reviews import audit
from reviews.actors import Actor, Role
from reviews.clock import FrozenClock
from reviews.enforcement.outbox import VERIFY_FAILED, approve, execute, retry_dead, undo
from reviews.enforcement.settings import EnforcementSettings
from reviews.entitlements import (
    AccessLevel,
    Grant,
    PathStep,
    RevocationAction,
    RevocationResult,
    System,
    action_to_json,
)
from reviews.errors import InvalidArgument, NotAuthorized, NotFound, RevocationRefused
from reviews.ports import Clock, Connector
from reviews.storage.db import session_scope
from reviews.storage.models import (
    AccessGrant,
    AuditEvent,
    Campaign,
    Principal,
    ReviewCycle,
    Revocation,
    RevocationState,
    Store,
    SyncRun,
    SyncStatus,
)
from tests.fakes.provider import ADD_MEMBER, REMOVE_MEMBER, FakeConnector, FakeProvider

S = RevocationState
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
STORE = "arn:aws:s3:::payroll"
GROUP = "g-payroll-readers"
ADMIN = Actor("cli:admin", roles=frozenset({Role.ADMIN}))
AUDITOR = Actor("slack:UAUDITOR", roles=frozenset({Role.AUDITOR}))


def arn(name: str) -> str:
    return f"arn:aws:iam::111122223333:user/{name}"


def live(**overrides: Any) -> EnforcementSettings:
    return EnforcementSettings(mode="live", **overrides)


DRY_RUN = EnforcementSettings(mode="dry-run")


class Outbox:
    """One personal-data store reached through one group, in the provider and in the database (with a
    healthy sync). `revocations(names)` makes each name a member and gives it a planned outbox row."""

    def __init__(
        self, engine: Engine, clock: Clock, *, provider_path: str | Path = ":memory:", delay: float = 0.0
    ) -> None:
        self.engine, self.clock = engine, clock
        self._cycles = 0
        self.provider = FakeProvider(provider_path, delay=delay)
        self.connector = FakeConnector(self.provider, system=System.AWS, clock=clock)
        self.connectors: dict[str, Connector] = {System.AWS: self.connector}
        self.provider.add_store(STORE, name="payroll")
        self.provider.add_group(GROUP, store_provider_id=STORE, name="payroll-readers")
        now = clock.now()
        with session_scope(engine) as session:
            store = Store(
                system="aws", kind="s3_bucket", provider_id=STORE, name="payroll",
                first_seen_at=now, last_seen_at=now,
            )  # fmt: skip
            session.add(store)
            session.flush()
            assert store.id is not None
            self.store_id = store.id
        self.sync()

    def sync(self, status: SyncStatus = SyncStatus.SUCCEEDED, error: str | None = None) -> None:
        now = self.clock.now()
        with session_scope(self.engine) as session:
            session.add(SyncRun(source="aws", started_at=now, finished_at=now, status=status, error=error))

    def campaign(self) -> int:
        now = self.clock.now()
        with session_scope(self.engine) as session:
            self._cycles += 1
            cycle = ReviewCycle(
                name="quarterly",
                version=self._cycles,
                definition_sha256="0" * 64,
                applied_at=now,
                applied_by="test",
            )
            session.add(cycle)
            session.flush()
            assert cycle.id is not None
            campaign = Campaign(
                cycle_id=cycle.id, cycle_version=cycle.version, period_key="2026-Q1", started_at=now,
                due_at=now, population_count=0, population_sha256="0" * 64,
            )  # fmt: skip
            session.add(campaign)
            session.flush()
            assert campaign.id is not None
            return campaign.id

    def revocations(
        self, names: list[str], *, state: S = S.APPROVED, campaign_id: int | None = None
    ) -> list[int]:
        now = self.clock.now()
        ids = []
        with session_scope(self.engine) as session:
            for name in names:
                self.provider.add_principal(arn(name), email=f"{name}@dept.example.gov")
                self.provider.add_member(GROUP, arn(name))
                principal = Principal(
                    system="aws", type="iam_user", provider_id=arn(name), name=name,
                    first_seen_at=now, last_seen_at=now,
                )  # fmt: skip
                session.add(principal)
                session.flush()
                assert principal.id is not None
                path = (PathStep("group", GROUP, "payroll-readers"),)
                grant = AccessGrant(
                    store_id=self.store_id, principal_id=principal.id, access="read",
                    path=[{"kind": s.kind, "id": s.id, "name": s.name} for s in path], valid_from=now,
                )  # fmt: skip
                session.add(grant)
                session.flush()
                assert grant.id is not None
                change = self.connector.plan_revocation(Grant(STORE, arn(name), AccessLevel.READ, path))
                assert change.inverse is not None
                row = Revocation(
                    campaign_id=campaign_id, grant_id=grant.id, store_id=self.store_id,
                    principal_id=principal.id, system="aws", action=action_to_json(change.action),
                    inverse=action_to_json(change.inverse), state=state, planned_at=now,
                    hold_reason="over the blast radius" if state == S.HELD else None,
                    approved_by="cli:admin" if state == S.APPROVED else None,  # (past the limits)
                )  # fmt: skip
                session.add(row)
                session.flush()
                assert row.id is not None
                ids.append(row.id)
        return ids

    def row(self, revocation_id: int) -> Revocation:
        with Session(self.engine) as session:
            row = session.get(Revocation, revocation_id)
            assert row is not None
            return row

    def set(self, revocation_id: int, **values: Any) -> None:
        with session_scope(self.engine) as session:
            session.execute(update(Revocation).where(col(Revocation.id) == revocation_id).values(**values))

    def kinds(self, revocation_id: int) -> list[str]:
        with Session(self.engine) as session:
            return list(
                session.exec(
                    select(AuditEvent.kind)
                    .where(AuditEvent.subject == f"revocation:{revocation_id}")
                    .order_by(col(AuditEvent.seq))
                ).all()
            )

    def chain_intact(self) -> None:
        with Session(self.engine) as session:
            audit.verify(session)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(T0)


@pytest.fixture
def outbox(engine: Engine, clock: FrozenClock) -> Outbox:
    return Outbox(engine, clock)


def run(outbox: Outbox, settings: EnforcementSettings, worker: str = "w1", **kwargs: Any) -> Any:
    return execute(
        outbox.engine, outbox.connectors, settings=settings, clock=outbox.clock, worker=worker, **kwargs
    )


# ── live execution ──


def test_live_execution_removes_access_verifies_and_audits_in_order(outbox: Outbox) -> None:
    ids = outbox.revocations(["ann", "bob"])

    summary = run(outbox, live())

    assert summary.outcomes == Counter({"applied": 2})
    assert outbox.provider.members(GROUP) == set()
    assert [(w.kind, w.principal) for w in outbox.provider.writes()] == [
        (REMOVE_MEMBER, arn("ann")),
        (REMOVE_MEMBER, arn("bob")),
    ]
    for revocation_id in ids:
        row = outbox.row(revocation_id)
        assert (row.state, row.attempts, row.dry_run, row.last_error) == (S.APPLIED, 1, False, None)
        assert row.applied_at == row.read_back_at == T0 and row.verified_at is None  # a sync verifies
        assert row.claimed_by == "w1"
        assert outbox.kinds(revocation_id) == [
            "revocation.claimed",
            "revocation.applied",
            "revocation.read_back",
        ]
    assert run(outbox, live()).processed == 0  # nothing left: a re-run is safe and does nothing
    assert len(outbox.provider.writes()) == 2
    outbox.chain_intact()


def test_target_already_gone_is_recorded_already_absent_after_a_confirming_read(outbox: Outbox) -> None:
    [revocation_id] = outbox.revocations(["ann"])
    outbox.provider.remove_member(GROUP, arn("ann"))  # someone removed it by hand meanwhile

    summary = run(outbox, live())

    assert summary.outcomes == Counter({"already_absent": 1})
    row = outbox.row(revocation_id)
    assert (row.state, row.read_back_at, row.applied_at, row.verified_at) == (
        S.ALREADY_ABSENT,
        T0,
        None,
        None,
    )
    assert outbox.provider.writes() == []
    assert [(c.method, c.outcome) for c in outbox.provider.calls()] == [
        ("revoke", "already_absent"),
        ("verify", "holds"),
    ]
    assert outbox.kinds(revocation_id) == [
        "revocation.claimed",
        "revocation.already_absent",
        "revocation.read_back",
    ]


def test_retryable_failure_backs_off_and_succeeds_when_its_time_comes(
    outbox: Outbox, clock: FrozenClock
) -> None:
    [revocation_id] = outbox.revocations(["ann"])
    outbox.provider.fail_next_revokes(2)
    settings = live(retry_base_seconds=30, retry_max_seconds=45)

    assert run(outbox, settings).outcomes == Counter({"failed_retryable": 1})
    row = outbox.row(revocation_id)
    assert (row.state, row.attempts, row.next_attempt_at) == (
        S.FAILED_RETRYABLE,
        1,
        T0 + timedelta(seconds=30),
    )
    assert row.last_error is not None and "unreachable" in row.last_error

    clock.advance(timedelta(seconds=29))
    assert run(outbox, settings).processed == 0  # not due yet: no provider call
    assert len(outbox.provider.calls()) == 1

    clock.advance(timedelta(seconds=1))
    assert run(outbox, settings).outcomes == Counter({"failed_retryable": 1})
    row = outbox.row(revocation_id)  # 30 * 2 = 60, capped at 45
    assert (row.attempts, row.next_attempt_at) == (2, clock.now() + timedelta(seconds=45))

    clock.advance(timedelta(seconds=45))
    assert run(outbox, settings).outcomes == Counter({"applied": 1})
    row = outbox.row(revocation_id)
    assert (row.state, row.attempts, row.last_error) == (S.APPLIED, 3, None)
    assert not outbox.provider.is_member(GROUP, arn("ann"))
    assert len(outbox.provider.writes()) == 1
    assert outbox.kinds(revocation_id).count("revocation.retry_scheduled") == 2


def test_dead_letter_after_max_attempts_then_an_admin_retries(outbox: Outbox, clock: FrozenClock) -> None:
    [revocation_id] = outbox.revocations(["ann"])
    outbox.provider.fail_next_revokes(3)
    settings = live(max_attempts=3, retry_base_seconds=10)
    for _ in range(3):
        run(outbox, settings)
        clock.advance(timedelta(hours=1))

    row = outbox.row(revocation_id)
    assert (row.state, row.attempts, row.next_attempt_at) == (S.FAILED_PERMANENT, 3, None)
    assert "revocation.dead_lettered" in outbox.kinds(revocation_id)
    assert run(outbox, settings).processed == 0  # a dead letter is never picked up again on its own
    assert outbox.provider.is_member(GROUP, arn("ann"))

    with Session(outbox.engine) as session, pytest.raises(NotAuthorized):
        retry_dead(session, [revocation_id], AUDITOR, clock)
    with session_scope(outbox.engine) as session:
        assert retry_dead(session, [revocation_id], ADMIN, clock) == [revocation_id]
    row = outbox.row(revocation_id)
    assert (row.state, row.attempts, row.last_error) == (S.APPROVED, 0, None)

    assert run(outbox, settings).outcomes == Counter({"applied": 1})
    assert not outbox.provider.is_member(GROUP, arn("ann"))
    with (
        Session(outbox.engine) as session,
        pytest.raises(InvalidArgument, match=f"{revocation_id} is applied"),
    ):
        retry_dead(session, [revocation_id], ADMIN, clock)


def test_refused_by_the_provider_is_permanent_at_once(outbox: Outbox, clock: FrozenClock) -> None:
    [revocation_id] = outbox.revocations(["ann"])
    outbox.provider.fail_next_revokes(1, "refused")

    assert run(outbox, live()).outcomes == Counter({"failed_permanent": 1})
    row = outbox.row(revocation_id)
    assert (row.state, row.attempts) == (S.FAILED_PERMANENT, 1)
    assert row.last_error is not None and "refused" in row.last_error
    assert outbox.kinds(revocation_id)[-1] == "revocation.failed"
    clock.advance(timedelta(days=1))
    outbox.sync()
    assert run(outbox, live()).processed == 0
    assert outbox.provider.is_member(GROUP, arn("ann"))


def test_a_damaged_action_fails_permanently_without_a_provider_call(outbox: Outbox) -> None:
    [revocation_id] = outbox.revocations(["ann"])
    outbox.set(revocation_id, action={"system": "aws", "kind": REMOVE_MEMBER})  # params lost

    assert run(outbox, live()).outcomes == Counter({"failed_permanent": 1})
    row = outbox.row(revocation_id)
    assert row.state == S.FAILED_PERMANENT and row.last_error is not None and "damaged" in row.last_error
    assert outbox.provider.calls() == []


def test_a_verify_read_still_showing_access_is_retried(outbox: Outbox, clock: FrozenClock) -> None:
    [revocation_id] = outbox.revocations(["ann"])
    outbox.provider.stale_next_verifies(1)  # eventual consistency at the provider

    assert run(outbox, live(retry_base_seconds=5)).outcomes == Counter({"failed_retryable": 1})
    row = outbox.row(revocation_id)
    assert (row.state, row.last_error, row.applied_at) == (S.FAILED_RETRYABLE, VERIFY_FAILED, T0)

    clock.advance(timedelta(seconds=5))
    assert run(outbox, live(retry_base_seconds=5)).outcomes == Counter({"already_absent": 1})
    assert outbox.row(revocation_id).state == S.ALREADY_ABSENT
    assert len(outbox.provider.writes()) == 1


def test_a_failed_latest_sync_blocks_execution(outbox: Outbox, clock: FrozenClock) -> None:
    [revocation_id] = outbox.revocations(["ann"])
    clock.advance(timedelta(minutes=5))
    outbox.sync(SyncStatus.FAILED, error="graph returned a truncated page")

    for settings in (live(), DRY_RUN):
        summary = run(outbox, settings)
        assert summary.processed == 0
        [(reason, count)] = summary.blocked.items()
        assert count == 1 and "did not complete" in reason and "truncated page" in reason
    assert outbox.row(revocation_id).state == S.APPROVED
    assert outbox.provider.calls() == [] and outbox.provider.writes() == []
    assert outbox.kinds(revocation_id) == []

    clock.advance(timedelta(minutes=5))
    outbox.sync()  # an admin looked; a good sync again
    assert run(outbox, live()).outcomes == Counter({"applied": 1})


def test_a_system_without_a_connector_waits_with_a_reason(outbox: Outbox) -> None:
    [revocation_id] = outbox.revocations(["ann"])

    summary = execute(outbox.engine, {}, settings=live(), clock=outbox.clock, worker="w1")

    assert summary.blocked == Counter({"aws: no connector configured": 1})
    assert outbox.row(revocation_id).state == S.APPROVED


def test_an_expired_claim_is_taken_over_and_an_unverified_apply_is_only_verified(
    outbox: Outbox, clock: FrozenClock
) -> None:
    claimed, applied, live_claim = outbox.revocations(["ann", "bob", "cid"])
    later = T0 + timedelta(seconds=600)
    # A worker died after claiming ann (before any call), and after applying bob (before verifying)…
    outbox.set(claimed, state=S.CLAIMED, claimed_by="dead", attempts=1, next_attempt_at=later)
    outbox.provider.remove_member(GROUP, arn("bob"))
    outbox.set(applied, state=S.APPLIED, claimed_by="dead", attempts=1, next_attempt_at=later, applied_at=T0)
    # … and another worker is busy with cid right now.
    outbox.set(
        live_claim, state=S.CLAIMED, claimed_by="busy", attempts=1, next_attempt_at=later + timedelta(1)
    )

    assert run(outbox, live()).processed == 0  # claims not expired yet: nobody else touches them
    clock.advance(timedelta(seconds=600))
    outbox.sync()
    assert run(outbox, live()).outcomes == Counter({"applied": 2})

    assert (outbox.row(claimed).state, outbox.row(claimed).attempts) == (S.APPLIED, 2)
    assert (outbox.row(applied).state, outbox.row(applied).attempts) == (S.APPLIED, 2)
    assert outbox.row(live_claim).state == S.CLAIMED
    assert [w.principal for w in outbox.provider.writes()] == [arn("ann")]  # bob: verified, not re-written
    assert outbox.kinds(applied) == ["revocation.claimed", "revocation.read_back"]


def test_a_claim_abandoned_max_attempts_times_is_dead_lettered(outbox: Outbox, clock: FrozenClock) -> None:
    [revocation_id] = outbox.revocations(["ann"])
    outbox.set(revocation_id, state=S.CLAIMED, claimed_by="dead", attempts=3, next_attempt_at=T0)

    assert run(outbox, live(max_attempts=3)).outcomes == Counter({"failed_permanent": 1})
    row = outbox.row(revocation_id)
    assert row.state == S.FAILED_PERMANENT and row.last_error is not None and "gave up" in row.last_error
    assert outbox.provider.calls() == []


class _SlowWorker:
    """A connector whose revoke runs while the worker's claim is taken over (it expired meanwhile)."""

    system = System.AWS

    def __init__(self, outbox: Outbox, revocation_id: int) -> None:
        self.outbox, self.revocation_id = outbox, revocation_id

    def __getattr__(self, name: str) -> Any:
        return getattr(self.outbox.connector, name)

    def revoke(self, action: RevocationAction, *, dry_run: bool) -> RevocationResult:
        self.outbox.set(self.revocation_id, claimed_by="other", attempts=2)
        return self.outbox.connector.revoke(action, dry_run=dry_run)


def test_a_worker_whose_claim_was_taken_over_records_nothing(outbox: Outbox) -> None:
    [revocation_id] = outbox.revocations(["ann"])
    connectors: dict[str, Any] = {System.AWS: _SlowWorker(outbox, revocation_id)}

    summary = execute(outbox.engine, connectors, settings=live(), clock=outbox.clock, worker="slow")

    assert summary.outcomes == Counter({"lost_claim": 1})
    row = outbox.row(revocation_id)
    assert (row.state, row.claimed_by, row.applied_at) == (S.CLAIMED, "other", None)
    assert outbox.kinds(revocation_id) == ["revocation.claimed"]


# ── dry run ──


def test_dry_run_writes_nothing_and_live_then_executes_exactly_that_plan(outbox: Outbox) -> None:
    ids = outbox.revocations(["ann", "bob", "cid", "dee", "eve"])
    for gone in ("bob", "eve"):
        outbox.provider.remove_member(GROUP, arn(gone))

    summary = run(outbox, DRY_RUN)

    assert summary.outcomes == Counter({"would_apply": 3, "already_absent": 2})
    assert outbox.provider.writes() == []
    assert all(call.dry_run for call in outbox.provider.calls())
    rows = {i: outbox.row(i) for i in ids}
    assert all(r.state == S.APPROVED and r.dry_run and r.attempts == 0 for r in rows.values())
    would_apply = {i for i, r in rows.items() if r.dry_run_result == "would_apply"}
    assert {i for i, r in rows.items() if r.dry_run_result == "already_absent"} == {ids[1], ids[4]}
    assert all(outbox.kinds(i) == ["revocation.dry_run"] for i in ids)
    assert run(outbox, DRY_RUN).outcomes == summary.outcomes  # repeatable, still no write
    assert outbox.provider.writes() == []

    run(outbox, live())

    by_principal = {arn(n): i for n, i in zip(["ann", "bob", "cid", "dee", "eve"], ids, strict=True)}
    written = {by_principal[w.principal] for w in outbox.provider.writes()}
    assert written == would_apply
    assert len(outbox.provider.writes()) == len(would_apply)
    assert {i for i in ids if outbox.row(i).state == S.APPLIED} == would_apply
    assert outbox.provider.members(GROUP) == set()


# ── undo ──


def test_undo_restores_access_and_marks_undone(outbox: Outbox, clock: FrozenClock) -> None:
    [revocation_id] = outbox.revocations(["ann"])
    run(outbox, live())
    clock.advance(timedelta(hours=1))

    with pytest.raises(NotAuthorized):
        undo(outbox.engine, revocation_id, outbox.connectors, actor=AUDITOR, clock=clock, settings=live())
    dry = undo(outbox.engine, revocation_id, outbox.connectors, actor=ADMIN, clock=clock, settings=DRY_RUN)
    assert (dry.dry_run, dry.result) == (True, RevocationResult.DRY_RUN)
    assert not outbox.provider.is_member(GROUP, arn("ann")) and outbox.row(revocation_id).state == S.APPLIED

    done = undo(outbox.engine, revocation_id, outbox.connectors, actor=ADMIN, clock=clock, settings=live())

    assert (done.dry_run, done.result) == (False, RevocationResult.APPLIED)
    assert outbox.provider.is_member(GROUP, arn("ann"))
    assert [w.kind for w in outbox.provider.writes()] == [REMOVE_MEMBER, ADD_MEMBER]
    row = outbox.row(revocation_id)
    assert (row.state, row.undone_at) == (S.UNDONE, T0 + timedelta(hours=1))
    assert outbox.kinds(revocation_id)[-3:] == [
        "revocation.undo_dry_run",
        "revocation.undo_started",
        "revocation.undone",
    ]
    with pytest.raises(InvalidArgument, match="is undone"):
        undo(outbox.engine, revocation_id, outbox.connectors, actor=ADMIN, clock=clock, settings=live())
    assert run(outbox, live()).processed == 0  # an undone revocation is never executed again
    outbox.chain_intact()


def test_undo_refuses_what_was_not_applied(outbox: Outbox, clock: FrozenClock) -> None:
    [pending] = outbox.revocations(["ann"])
    with pytest.raises(InvalidArgument, match=f"revocation {pending} is approved"):
        undo(outbox.engine, pending, outbox.connectors, actor=ADMIN, clock=clock, settings=live())
    with pytest.raises(NotFound):
        undo(outbox.engine, 999_999, outbox.connectors, actor=ADMIN, clock=clock, settings=live())
    run(outbox, live())
    outbox.set(pending, inverse=None)
    with pytest.raises(InvalidArgument, match="no inverse"):
        undo(outbox.engine, pending, outbox.connectors, actor=ADMIN, clock=clock, settings=live())
    assert not outbox.provider.is_member(GROUP, arn("ann"))


# ── approve ──


def test_approve_is_for_admins_and_moves_held_and_planned_to_approved(
    outbox: Outbox, clock: FrozenClock
) -> None:
    held = outbox.revocations(["ann", "bob"], state=S.HELD)
    [planned] = outbox.revocations(["cid"], state=S.PLANNED)
    assert run(outbox, live()).processed == 0  # held and planned rows are never executed

    with Session(outbox.engine) as session, pytest.raises(NotAuthorized):
        approve(session, held, campaign_id=None, actor=AUDITOR, clock=clock)
    assert outbox.row(held[0]).state == S.HELD

    with session_scope(outbox.engine) as session:
        assert approve(session, [*held, planned], campaign_id=None, actor=ADMIN, clock=clock) == [
            *held,
            planned,
        ]
    for revocation_id in (*held, planned):
        row = outbox.row(revocation_id)
        assert (row.state, row.approved_by, row.approved_at) == (S.APPROVED, ADMIN.id, T0)
        assert outbox.kinds(revocation_id) == ["revocation.approved"]
    with session_scope(outbox.engine) as session:  # again: a no-op
        assert approve(session, held, campaign_id=None, actor=ADMIN, clock=clock) == []
    assert outbox.kinds(held[0]) == ["revocation.approved"]

    assert run(outbox, live()).outcomes == Counter({"applied": 3})
    with Session(outbox.engine) as session, pytest.raises(InvalidArgument, match=f"{held[0]} is applied"):
        approve(session, [held[0]], campaign_id=None, actor=ADMIN, clock=clock)
    with Session(outbox.engine) as session, pytest.raises(NotFound, match="999999"):
        approve(session, [999_999], campaign_id=None, actor=ADMIN, clock=clock)
    with Session(outbox.engine) as session, pytest.raises(InvalidArgument):
        approve(session, None, campaign_id=None, actor=ADMIN, clock=clock)


def test_approve_a_campaign_approves_its_held_rows_only(outbox: Outbox, clock: FrozenClock) -> None:
    campaign, other = outbox.campaign(), outbox.campaign()
    mine = outbox.revocations(["ann", "bob"], state=S.HELD, campaign_id=campaign)
    [theirs] = outbox.revocations(["cid"], state=S.HELD, campaign_id=other)

    with session_scope(outbox.engine) as session:
        assert approve(session, None, campaign_id=campaign, actor=ADMIN, clock=clock) == mine
    assert outbox.row(theirs).state == S.HELD
    with Session(outbox.engine) as session, pytest.raises(NotFound, match=f"in campaign {campaign}"):
        approve(session, [theirs], campaign_id=campaign, actor=ADMIN, clock=clock)


# ── concurrency ──


def test_two_workers_sharing_a_batch_write_each_change_exactly_once(
    engine: Engine, clock: FrozenClock
) -> None:
    outbox = Outbox(engine, clock, delay=0.002)
    names = [f"user{i:02d}" for i in range(50)]
    ids = outbox.revocations(names)
    start = threading.Barrier(2)
    summaries: dict[str, Any] = {}
    errors: list[BaseException] = []

    def work(worker: str) -> None:
        try:
            start.wait()
            summaries[worker] = run(outbox, live(), worker=worker)
        except BaseException as exc:  # surfaced below: a thread's failure must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in ("alpha", "beta")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors

    writes = Counter((w.kind, w.principal) for w in outbox.provider.writes())
    assert writes == Counter({(REMOVE_MEMBER, arn(n)): 1 for n in names})
    assert sum(s.outcomes["applied"] for s in summaries.values()) == 50
    rows = [outbox.row(i) for i in ids]
    assert all(r.state == S.APPLIED and r.attempts == 1 for r in rows)
    assert all(outbox.kinds(i).count("revocation.claimed") == 1 for i in ids)
    if engine.dialect.name == "postgresql":  # really shared (SQLite serializes, which may starve one)
        assert {r.claimed_by for r in rows} == {"alpha", "beta"}
    outbox.chain_intact()


# ── the fake itself (the lead's planner tests rely on it too) ──


def test_fake_connector_reads_a_whole_snapshot_and_plans_only_direct_memberships(clock: FrozenClock) -> None:
    provider = FakeProvider()
    provider.add_store(STORE, name="payroll", owners=("owner@dept.example.gov",))
    provider.add_group(GROUP, store_provider_id=STORE, name="payroll-readers")
    provider.add_group("g-admins", store_provider_id=STORE, access=AccessLevel.ADMIN)
    provider.add_principal(arn("ann"), email="Ann@dept.example.gov", last_used=T0 - timedelta(days=3))
    provider.add_principal(arn("bob"), enabled=None)
    for group in (GROUP, "g-admins"):
        provider.add_member(group, arn("ann"))
    connector = FakeConnector(provider, clock=clock)

    snapshot = connector.snapshot()

    assert snapshot.taken_at == T0 and [s.owners for s in snapshot.stores] == [("owner@dept.example.gov",)]
    assert {(g.principal_provider_id, g.access, g.path[0].id) for g in snapshot.grants} == {
        (arn("ann"), AccessLevel.READ, GROUP),
        (arn("ann"), AccessLevel.ADMIN, "g-admins"),
    }
    ann = next(p for p in snapshot.principals if p.provider_id == arn("ann"))
    assert ann.person_email == "ann@dept.example.gov" and ann.last_sign_in is not None
    [grant] = [g for g in snapshot.grants if g.access == AccessLevel.READ]
    change = connector.plan_revocation(grant)
    assert (change.action.kind, change.inverse and change.inverse.kind) == (REMOVE_MEMBER, ADD_MEMBER)
    with pytest.raises(RevocationRefused, match="only a direct group membership"):
        connector.plan_revocation(Grant(STORE, arn("ann"), AccessLevel.READ, (PathStep("role", "r", "r"),)))
    provider.remove_member(GROUP, arn("ann"))
    with pytest.raises(NotFound):
        connector.plan_revocation(grant)
    assert provider.writes() == [] and provider.calls() == []
