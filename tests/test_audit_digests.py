"""Audit chain version 2 (per-event body digests, reviews.audit): a chain with events from before migration
0009 keeps their version 1 hashes for ever (and its checkpoints verify unchanged), continues in version 2,
and an edited threshold (`audit_head.digests_from`) is named. Attesting over version 1 events includes them
in full, and says so."""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, insert, text
from sqlmodel import Session

import recertify_verify
from connectors.signing.key_file import KeyFileSigner, generate
from reviews import audit
from reviews.attestation.answer import Answer, Cite
from reviews.attestation.bundle import make_bundle
from reviews.attestation.canonical import canonical
from reviews.audit import checkpoints
from reviews.clock import FrozenClock
from reviews.errors import AuditChainBroken
from reviews.storage.db import create_db_engine, session_scope, upgrade
from tests.helpers import T0

OLD = 5  # events written before 0009


@pytest.fixture
def migrated_chain(empty_database_url: str) -> Any:
    """A database at 0008 with OLD version 1 events and a checkpoint, then upgraded to the head."""
    engine = create_db_engine(empty_database_url)
    upgrade(engine, "0008")
    prev, rows = audit.GENESIS_HASH, []
    for seq in range(1, OLD + 1):
        at = T0 + timedelta(minutes=seq)
        subject = "store:s1" if seq % 2 else "store:s2"
        digest = audit.event_hash_v1(seq, at, "system:sync", "grant.opened", subject, {"n": seq}, prev)
        rows.append(
            {
                "seq": seq,
                "occurred_at": at,
                "actor": "system:sync",
                "kind": "grant.opened",
                "subject": subject,
                "payload": {"n": seq},
                "prev_hash": prev,
                "hash": digest,
            }
        )
        prev = digest
    with engine.begin() as connection:
        connection.execute(insert(audit.EVENTS), rows)
        connection.execute(text("UPDATE audit_head SET seq = :s, hash = :h"), {"s": OLD, "h": prev})
        connection.execute(
            text("INSERT INTO audit_checkpoint (seq, hash, recorded_at) VALUES (:s, :h, :t)"),
            {"s": OLD, "h": prev, "t": T0},
        )
    upgrade(engine)
    yield engine
    engine.dispose()


def _append(engine: Engine, count: int) -> None:
    clock = FrozenClock(T0 + timedelta(hours=1))
    with session_scope(engine) as session:
        for n in range(count):
            subject = "store:s1" if n % 2 else "store:s2"
            audit.append(
                session, audit.NewEvent("system:sync", "grant.opened", subject, {"m": n}), clock=clock
            )


def test_an_existing_chain_keeps_version_1_and_continues_in_version_2(migrated_chain: Engine) -> None:
    with Session(migrated_chain) as session:
        assert audit.digests_from(session) == OLD + 1
        assert audit.verify(session).seq == OLD  # nothing changed for the old events
        checkpoints.verify_checkpoints(session, None)
    _append(migrated_chain, 4)
    with Session(migrated_chain) as session:
        assert audit.verify(session).seq == OLD + 4
        assert audit.verify(session, workers=2, parallel_from=0).seq == OLD + 4
        row = session.execute(audit.EVENTS.select().where(audit.EVENTS.c.seq == OLD + 1)).one()
        body = audit.body_digest(row.occurred_at, row.actor, row.kind, row.subject, row.payload)
        assert row.hash == audit.link_hash(OLD + 1, row.prev_hash, body)


def test_a_new_database_hashes_every_event_in_version_2(session: Session) -> None:
    assert audit.digests_from(session) == 1


@pytest.mark.parametrize(("threshold", "seq"), [(3, 3), (OLD + 3, OLD + 1)])
def test_an_edited_threshold_is_named(migrated_chain: Engine, threshold: int, seq: int) -> None:
    """Moved down, version 1 events are read as version 2; moved up, version 2 events as version 1: either
    way they no longer match their hashes, and the reason names the threshold."""
    _append(migrated_chain, 4)
    with session_scope(migrated_chain) as session:
        session.execute(text("UPDATE audit_head SET digests_from = :t"), {"t": threshold})
    for workers in (1, 2):
        with Session(migrated_chain) as session, pytest.raises(AuditChainBroken) as broken:
            audit.verify(session, workers=workers, parallel_from=0)
        assert broken.value.seq == seq and "digests_from was edited" in str(broken.value)


def test_a_malformed_threshold_is_named(migrated_chain: Engine) -> None:
    with session_scope(migrated_chain) as session:
        session.execute(text("UPDATE audit_head SET digests_from = 0"))
    with Session(migrated_chain) as session, pytest.raises(AuditChainBroken) as broken:
        audit.verify(session)
    assert "the audit_head row" in str(broken.value) and "digests_from" in str(broken.value)


def test_a_version_2_event_altered_is_detected(migrated_chain: Engine) -> None:
    _append(migrated_chain, 3)
    with session_scope(migrated_chain) as session:
        session.execute(text("UPDATE audit_event SET actor = 'cli:mallory' WHERE seq = :s"), {"s": OLD + 2})
    with Session(migrated_chain) as session, pytest.raises(AuditChainBroken) as broken:
        audit.verify(session)
    assert broken.value.seq == OLD + 2 and "content does not match its hash" in str(broken.value)


def test_attesting_over_version_1_events_includes_them_in_full(
    migrated_chain: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _append(migrated_chain, 4)
    key, pub = generate(tmp_path / "k.pem")
    answer = Answer(
        {"store": "s1", "at": "2026-03-01"},
        [({"x": 1}, Cite(frozenset({"store:s1"})))],
        frozenset({"store:s1"}),
    )
    bundle = make_bundle(
        partial(session_scope, migrated_chain),
        answer,
        signer=KeyFileSigner(key),
        sink=None,
        clock=FrozenClock(T0 + timedelta(days=1)),
        made_by="cli:test",
        may_checkpoint=True,
    )
    # s1's events: 1, 3, 5 (version 1) and 7, 9 (version 2); 2 and 4 are version 1 too: in full.
    assert [e["seq"] for e in bundle["events"]] == [1, 3, 5, OLD + 2, OLD + 4]
    assert [e["seq"] for e in bundle["proof"]["full"]] == [2, 4]
    assert [seq for seq, _ in bundle["proof"]["digests"]] == [OLD + 1, OLD + 3]
    assert "hashed as chain version 1" in bundle["proof"]["note"]
    path = tmp_path / "b.json"
    path.write_bytes(canonical(bundle))
    assert recertify_verify.main([str(path), "--key", str(pub)]) == 0
    out = capsys.readouterr().out
    assert "2 hashed as chain version 1 and included in full" in out
    assert "proven: the segment starts at event 1" in out
