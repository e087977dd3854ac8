"""Building an attestation bundle (`recertify.attestation/1`): the answer, the audit events it rests on, a
proof that they are in the chain up to a checkpoint, and a signature over all of it.

The proof relies on chain version 2 (reviews.audit): from the first included event's predecessor to the
checkpoint, every event the answer does not rest on is given only as (seq, body digest), so the verifier
recomputes each hash, in order, and must arrive exactly at the checkpoint's hash. Events hashed as version
1 (before `digests_from`, on chains older than version 2) have no body digest: inside the segment they are
included in full (`proof.full`), and the bundle says how many.

The chain is checked while it is read: a bundle is never made over a chain that does not check out.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from reviews import audit
from reviews.attestation.answer import Answer
from reviews.attestation.canonical import FORMAT, region_digests, statement
from reviews.audit import checkpoints
from reviews.audit.rows import events_in_order
from reviews.errors import AuditChainBroken, NotAuthorized
from reviews.ports import AttestationSigner, CheckpointSink, Clock

EVENTS = audit.EVENTS


def make_bundle(
    unit_of_work: Callable[[], AbstractContextManager[Session]],
    answer: Answer,
    *,
    signer: AttestationSigner,
    sink: CheckpointSink | None,
    clock: Clock,
    made_by: str,
    may_checkpoint: bool,
) -> dict[str, Any]:
    """The signed bundle for `answer`. Records a checkpoint first (with the write-once copy when a store
    is configured) when the newest one is older than the events needed; `may_checkpoint` False (an
    auditor's read-only connection) refuses instead."""
    with unit_of_work() as session:
        wanted = _event_seqs(session, answer.subjects)
        last = checkpoints.latest(session)
        needed = max(wanted, default=audit.head(session).seq)
        if last is None or last.seq < needed or (sink is not None and last.written_to is None):
            if not may_checkpoint:
                raise NotAuthorized(
                    "the newest audit checkpoint is older than the events this attestation needs: an admin "
                    "must record one (`recertify audit checkpoint`) or run `recertify attest`"
                )
            checkpoints.record_checkpoint(session, sink, clock=clock)
    with unit_of_work() as session:
        checkpoint = checkpoints.latest(session)
        if checkpoint is None:
            raise AuditChainBroken(0, "the chain has no events: there is nothing to attest")
        start = audit.base(session)
        v2_from = audit.digests_from(session)
        included = {seq for seq in _event_seqs(session, answer.subjects) if seq <= checkpoint.seq}
        segment_after = (min(included) - 1) if included else checkpoint.seq
        events, full, digests, start_hash = _segment(
            session, segment_after, checkpoint.head, included, v2_from
        )
        chain_id = _chain_id(session, start)
    rows = []
    for row, cite in answer.rows:
        cited = [e["seq"] for e in events if cite.covers(e["subject"], e["payload"])]
        rows.append({**row, "events": cited})
    bundle: dict[str, Any] = {
        "format": FORMAT,
        "subject": answer.subject,
        "answer": {
            "rows": rows,
            "notes": answer.notes,
            "made_at": clock.now().isoformat(),
            "made_by": made_by,
        },
        "events": events,
        "proof": {
            "start": {"seq": segment_after, "hash": start_hash},
            "digests": digests,
            "full": full,
            "note": (
                f"{len(full)} event(s) of the segment are hashed as chain version 1 (before {v2_from}) and "
                "are included in full"
                if full
                else "every event outside the answer is given by its body digest only"
            ),
        },
        "checkpoint": {
            "seq": checkpoint.seq,
            "hash": checkpoint.hash,
            "recorded_at": checkpoint.recorded_at.isoformat(),
            "written_to": checkpoint.written_to,
        },
        "chain": {**chain_id, "digests_from": v2_from},
    }
    return sign(bundle, signer)


def sign(bundle: dict[str, Any], signer: AttestationSigner) -> dict[str, Any]:
    """The bundle with its `signature`: over the statement of each region's digest (canonical.statement)."""
    unsigned = {key: value for key, value in bundle.items() if key != "signature"}
    digests = region_digests(unsigned)
    who = {
        "algorithm": signer.algorithm,
        "public_key": signer.public_key_pem,
        "fingerprint": fingerprint(signer.public_key_pem),
        "key_id": signer.key_id,
    }
    value = signer.sign(statement(digests, who))
    return {
        **unsigned,
        "signature": {**who, "signed": digests, "value": base64.b64encode(value).decode("ascii")},
    }


def fingerprint(public_key_pem: str) -> str:
    """SHA-256 of the key's DER SubjectPublicKeyInfo (what `openssl pkey -pubin -outform der | sha256sum`
    prints), so an operator can compare it without our tools."""
    body = "".join(line for line in public_key_pem.strip().splitlines() if not line.startswith("-----"))
    return "sha256:" + hashlib.sha256(base64.b64decode(body)).hexdigest()


def _event_seqs(session: Session, subjects: frozenset[str]) -> list[int]:
    start = audit.base(session)
    found: list[int] = []
    ordered = sorted(subjects)
    for i in range(0, len(ordered), 500):
        query = select(EVENTS.c.seq).where(
            EVENTS.c.subject.in_(ordered[i : i + 500]), EVENTS.c.seq > start.seq
        )
        found.extend(session.execute(query).scalars())
    return sorted(found)


def _segment(
    session: Session, after: int, end: audit.ChainHead, included: set[int], v2_from: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[list[Any]], str]:
    """Walk (after, end]: included events and version 1 events in full, the others as [seq, digest]; each
    checked against the one before and its hash, and the last must be `end`."""
    events: list[dict[str, Any]] = []
    full: list[dict[str, Any]] = []
    digests: list[list[Any]] = []
    start_hash: str | None = None
    if after >= end.seq:
        return events, full, digests, end.hash
    seq, prev = after, None
    for row in events_in_order(session, after=after, through=end.seq):
        row_seq, occurred_at, actor, kind, subject, payload, row_prev, row_hash = row
        seq += 1
        if row_seq != seq or (prev is not None and row_prev != prev):
            raise AuditChainBroken(seq, "the chain does not check out here: no attestation made over it")
        if start_hash is None:
            start_hash = row_prev
        digest = audit.body_digest(occurred_at, actor, kind, subject, payload)
        computed = audit.event_hash_v1(row_seq, occurred_at, actor, kind, subject, payload, row_prev)
        if row_seq >= v2_from:
            computed = audit.link_hash(row_seq, row_prev, digest)
        if computed != row_hash:
            raise AuditChainBroken(
                row_seq, "altered: no attestation made over it (run `recertify audit verify`)"
            )
        if row_seq in included or row_seq < v2_from:
            event = {
                "seq": row_seq,
                "occurred_at": audit.iso_time(occurred_at),
                "actor": actor,
                "kind": kind,
                "subject": subject,
                "payload": payload,
                "prev_hash": row_prev,
                "hash": row_hash,
            }
            (events if row_seq in included else full).append(event)
        else:
            digests.append([row_seq, digest])
        prev = row_hash
    if seq != end.seq or prev != end.hash or start_hash is None:
        raise AuditChainBroken(seq + 1, f"the chain does not reach checkpoint {end}: no attestation made")
    return events, full, digests, start_hash


def _chain_id(session: Session, start: audit.ChainHead) -> dict[str, Any]:
    """What tells this chain from another: the hash of its event 1, or, once purged, of its base."""
    if start.seq > 0:
        return {"id": start.hash, "from": f"the base after a purge through event {start.seq}"}
    first = session.execute(select(EVENTS.c.hash).where(EVENTS.c.seq == 1)).scalar()
    return {"id": first, "from": "event 1"}
