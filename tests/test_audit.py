"""The audit chain detects every kind of tampering and names the first bad sequence number."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, insert, select, text
from sqlmodel import Session

from reviews import audit
from reviews.clock import FrozenClock
from reviews.errors import AuditChainBroken, InvalidArgument, InvalidAuditPayload
from tests.helpers import T0, run_cli

Tamper = Callable[[Session], None]


def _fill(session: Session, count: int = 10) -> audit.ChainHead:
    clock = FrozenClock(T0)
    head = audit.ChainHead(0, audit.GENESIS_HASH)
    for i in range(1, count + 1):
        head = audit.append(
            session,
            audit.NewEvent(
                "person:ana@dept.example.gov",
                "decision.recorded",
                f"item:{i}",
                {"outcome": "keep", "n": i, "note": "zoë + 100% ✓", "score": 0.25},
            ),
            clock=clock,
        )
    session.commit()
    return head


def _sql(statement: str) -> Tamper:
    def tamper(session: Session) -> None:
        session.execute(text(statement))
        session.commit()

    return tamper


def _flip_one_payload_byte(session: Session) -> None:
    payload = session.execute(text("SELECT payload FROM audit_event WHERE seq = 4")).scalar_one()
    payload = json.loads(payload) if isinstance(payload, str) else payload
    payload["outcome"] = "kiep"  # one byte different
    session.execute(text("UPDATE audit_event SET payload = :p WHERE seq = 4"), {"p": json.dumps(payload)})
    session.commit()


def _swap_events_6_and_7(session: Session) -> None:
    session.execute(text("UPDATE audit_event SET seq = -6 WHERE seq = 6"))
    session.execute(text("UPDATE audit_event SET seq = 6 WHERE seq = 7"))
    session.execute(text("UPDATE audit_event SET seq = 7 WHERE seq = -6"))
    session.commit()


def _insert_forged_event_at_5(session: Session) -> None:
    """Shift 5..10 up by one and slip a well-formed but unchained event in at 5."""
    for seq in range(10, 4, -1):
        session.execute(text("UPDATE audit_event SET seq = :n WHERE seq = :o"), {"n": seq + 1, "o": seq})
    prev = session.execute(text("SELECT hash FROM audit_event WHERE seq = 4")).scalar_one()
    forged = audit.event_hash(5, T0, "cli:mallory", "decision.recorded", "item:99", {}, prev)
    session.execute(
        text(
            "INSERT INTO audit_event (seq, occurred_at, actor, kind, subject, payload, prev_hash, hash) "
            "VALUES (5, :t, 'cli:mallory', 'decision.recorded', 'item:99', :p, :prev, :h)"
        ),
        {
            "t": T0.replace(tzinfo=None) if session.bind.dialect.name == "sqlite" else T0,  # type: ignore[union-attr]
            "p": "{}",
            "prev": prev,
            "h": forged,
        },
    )
    session.execute(text("UPDATE audit_head SET seq = 11"))
    session.commit()


@pytest.mark.parametrize(
    ("tamper", "first_bad", "reason"),
    [
        (_flip_one_payload_byte, 4, "content does not match its hash"),
        (_sql("UPDATE audit_event SET actor = 'cli:mallory' WHERE seq = 2"), 2, "content does not match"),
        (_sql("DELETE FROM audit_event WHERE seq = 3"), 3, "event missing"),
        (_swap_events_6_and_7, 6, "does not link to the event before it"),
        (_insert_forged_event_at_5, 6, "does not link to the event before it"),
        (_sql("DELETE FROM audit_event WHERE seq >= 9"), 9, "missing (truncated)"),
    ],
    ids=["byte-flip", "changed-actor", "deleted-row", "reordered-rows", "inserted-row", "truncated-end"],
)
def test_verify_names_the_first_bad_sequence_number(
    session: Session, tamper: Tamper, first_bad: int, reason: str
) -> None:
    _fill(session)
    assert audit.verify(session).seq == 10
    tamper(session)
    with pytest.raises(AuditChainBroken, match=re.escape(reason)) as caught:
        audit.verify(session)
    assert caught.value.seq == first_bad


def test_truncation_with_a_rewritten_head_is_caught_by_the_saved_head(session: Session) -> None:
    saved = _fill(session)
    session.execute(text("DELETE FROM audit_event WHERE seq >= 8"))
    seven = session.execute(text("SELECT hash FROM audit_event WHERE seq = 7")).scalar_one()
    session.execute(text("UPDATE audit_head SET seq = 7, hash = :h"), {"h": seven})  # a careful attacker
    session.commit()
    assert audit.verify(session).seq == 7  # the chain alone looks fine…
    with pytest.raises(AuditChainBroken, match="not in the chain") as caught:
        audit.verify(session, expect_head=str(saved))  # …but the head saved earlier is gone
    assert caught.value.seq == 10


def test_a_saved_head_still_verifies_after_later_appends(session: Session) -> None:
    saved = _fill(session, 5)
    audit.append(session, audit.NewEvent("system:sync", "sync.applied", "system:aws"), clock=FrozenClock(T0))
    session.commit()
    assert audit.verify(session, expect_head=str(saved)).seq == 6
    assert audit.verify(session, expect_head=saved.hash).seq == 6  # the hash alone is enough


def test_a_saved_head_at_the_wrong_position_is_refused(session: Session) -> None:
    saved = _fill(session, 5)
    with pytest.raises(AuditChainBroken, match="sits at 5, not at 4"):
        audit.verify(session, expect_head=f"4:{saved.hash}")


@pytest.mark.parametrize("bad", ["abc", "x:" + "a" * 64, "a" * 63, "١:" + "a" * 64])
def test_a_malformed_expected_head_is_an_argument_error(session: Session, bad: str) -> None:
    with pytest.raises(InvalidArgument):
        audit.verify(session, expect_head=bad)


def test_events_appended_in_one_transaction_chain_in_order(session: Session) -> None:
    events = [audit.NewEvent("system:sync", "grant.opened", f"store:{i}", {"i": i}) for i in range(500)]
    head = audit.append_many(session, events, clock=FrozenClock(T0))
    session.commit()
    assert head.seq == 500
    assert audit.verify(session) == head


def test_a_rolled_back_transaction_leaves_no_trace(session: Session) -> None:
    _fill(session, 3)
    audit.append(session, audit.NewEvent("cli:x", "k", "s"), clock=FrozenClock(T0))
    session.rollback()
    assert audit.verify(session).seq == 3


@pytest.mark.parametrize(
    "payload",
    [{"x": float("nan")}, {"x": b"bytes"}, {1: "int key"}, {"when": datetime(2026, 1, 1)}, {"o": object()}],  # noqa: DTZ001
    ids=["nan", "bytes", "int-key", "naive-datetime", "object"],
)
def test_payloads_without_a_canonical_form_are_refused(session: Session, payload: dict) -> None:
    with pytest.raises(InvalidAuditPayload):
        audit.append(session, audit.NewEvent("cli:x", "k", "s", payload), clock=FrozenClock(T0))


def test_aware_datetimes_in_payloads_are_recorded_as_utc_text(session: Session) -> None:
    when = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    audit.append(session, audit.NewEvent("cli:x", "k", "s", {"when": when}), clock=FrozenClock(T0))
    session.commit()
    stored = session.execute(text("SELECT payload FROM audit_event")).scalar_one()
    stored = json.loads(stored) if isinstance(stored, str) else stored
    assert stored == {"when": "2026-01-01T12:00:00.000000+00:00"}
    assert audit.verify(session).seq == 1


def test_audit_verify_command_reports_intact_and_broken_chains(
    engine: Engine, database_url: str, capsys, monkeypatch
) -> None:
    with Session(engine) as session:
        head = _fill(session, 4)
    env = {"RECERTIFY_DATABASE_URL": database_url}
    ok = run_cli(capsys, monkeypatch, "audit", "verify", "--expect-head", str(head), env=env)
    assert ok.code == 0, ok.stderr
    assert f"audit chain intact: 4 events; head {head}" in ok.stdout
    with Session(engine) as session:
        _sql("UPDATE audit_event SET subject = 'item:404' WHERE seq = 3")(session)
    broken = run_cli(capsys, monkeypatch, "audit", "verify", env=env)
    assert broken.code == 1
    assert "audit chain broken at sequence 3: content does not match its hash" in broken.stderr


def _purge_through(session: Session, seq: int) -> None:
    """What an audited purge leaves (reviews.audit.retention): the prefix gone, the base moved, the event that
    records it appended."""
    base = session.execute(text("SELECT hash FROM audit_event WHERE seq = :s"), {"s": seq}).scalar_one()
    session.execute(text("DELETE FROM audit_event WHERE seq <= :s"), {"s": seq})
    session.execute(text("UPDATE audit_base SET seq = :s, hash = :h"), {"s": seq, "h": base})
    payload = {"through_seq": seq, "base_hash": base}
    audit.append(
        session, audit.NewEvent("cli:root", audit.PURGED, "audit:chain", payload), clock=FrozenClock(T0)
    )
    session.commit()


def test_the_chain_verifies_from_its_base_after_a_purge(session: Session) -> None:
    saved = _fill(session, 6)
    _purge_through(session, 4)
    assert audit.base(session).seq == 4
    assert audit.verify(session).seq == 7
    assert audit.verify(session, expect_head=str(saved)).seq == 7
    with pytest.raises(InvalidArgument, match="was purged: the chain now starts after event 4"):
        audit.verify(session, expect_head=f"2:{'a' * 64}")


def test_an_event_put_back_below_the_base_is_detected(session: Session) -> None:
    _fill(session, 6)
    row = session.execute(select(audit.EVENTS).where(audit.EVENTS.c.seq == 2)).mappings().one()
    _purge_through(session, 4)
    session.execute(insert(audit.EVENTS), [dict(row)])  # restored from a backup, say
    session.commit()
    with pytest.raises(AuditChainBroken, match="present although the chain was purged through 4") as caught:
        audit.verify(session)
    assert caught.value.seq == 2
