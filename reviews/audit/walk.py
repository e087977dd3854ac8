"""The walk over events, shared by the single-process and the parallel verification: each event against
the one before it and its hash, the start against the base, the end against the head row."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from reviews.audit.chain import (
    _CANONICAL_JSON,
    EVENTS,
    PURGED,
    ChainHead,
    _sha256,
    chain_hash,
    event_hash_v1,
    link_hash,
)
from reviews.audit.rows import malformed
from reviews.errors import AuditChainBroken, InvalidArgument

# -- the walk, shared by both paths ------------------------------------------------------------------------

_UNLINKED = "does not link to the event before it (deleted, reordered or inserted)"
_ALTERED = "content does not match its hash (the event was altered)"


def _altered(row: Sequence[Any], v2_from: int) -> str:
    """Why an event does not match its hash: its content, or (when it matches the other version's hash) the
    recorded start of version 2, which only an edit of the audit_head row moves."""
    row_seq, occurred_at, actor, kind, subject, payload, row_prev, row_hash = row
    as_version = 1 if row_seq >= v2_from else 2  # the construction not applied
    if (
        chain_hash(row_seq, occurred_at, actor, kind, subject, payload, row_prev, row_seq + 2 - as_version)
        == row_hash
    ):
        return (
            f"hashed as chain version {as_version}, but the audit_head row says version 2 starts at "
            f"{v2_from} (digests_from was edited)"
        )
    return _ALTERED


def _missing(present: int) -> str:
    return f"event missing (next present is {present})"


@dataclass(frozen=True, slots=True)
class _Walked:
    """What walking a run of events found: picklable, as a worker process returns it.

    `first_seq`/`first_prev`: the first event's seq and the hash it claims to follow (None: no events). A walk
    given no start does not check those two; whoever knows the event before it does (`_link`), naming the
    first event by `first_malformed` (what is wrong with its fields, None: nothing) when it does not link.
    `broken`: the first problem (seq, reason), exactly as a walk of the whole chain would name it; nothing
    after it was checked. Otherwise `last_seq`/`last_hash` are the last event (None: there was none)."""

    first_seq: int | None = None
    first_prev: str | None = None
    first_malformed: str | None = None
    last_seq: int | None = None
    last_hash: str | None = None
    broken: tuple[int, str] | None = None
    seen_expected: bool = False
    last_purge: tuple[int, Any] | None = None  # seq and payload of the last audit.purged event

    def last(self, start: ChainHead) -> ChainHead:
        """The last event walked, or `start` when there was none."""
        if self.last_seq is None or self.last_hash is None:
            return start
        return ChainHead(self.last_seq, self.last_hash)


def _check_rows(
    rows: Iterable[Sequence[Any]],
    start: ChainHead | None,
    expected: tuple[int | None, str | None],
    v2_from: int,
) -> _Walked:
    """Check each event against the one before it and against its hash, stopping at the first that is
    missing, malformed, does not link, or does not match (or is the expected head at another seq). With no
    `start` (a worker's range) the first event's seq and link are left to `_link`; its hash is checked here.
    A malformed event (a field `append` never writes so: reviews.audit.rows.malformed) is named by that field
    whichever check it fails."""
    expected_seq, expected_hash = expected
    first: tuple[int, str, str | None] | None = None
    seq, prev_hash = (start.seq, start.hash) if start is not None else (0, "")
    seen, last_purge, broken = False, None, None
    for row in rows:
        row_seq, occurred_at, actor, kind, subject, payload, row_prev, row_hash = row
        if first is None:
            first = (row_seq, row_prev, malformed(row) if start is None else None)
            if start is None:
                seq, prev_hash = row_seq - 1, row_prev
        seq += 1
        if row_seq != seq:
            broken = (seq, _missing(row_seq))
            break
        # Exact types, cheaply, on every row: a wrong one may still hash (None as null) and must not pass.
        if (
            type(payload) is not dict
            or type(occurred_at) is not datetime
            or type(actor) is not str
            or type(kind) is not str
            or type(subject) is not str
        ):
            broken = (seq, malformed(row) or "malformed event")
            break
        if row_prev != prev_hash:
            broken = (seq, malformed(row) or _UNLINKED)
            break
        try:
            if row_seq < v2_from:
                digest = event_hash_v1(row_seq, occurred_at, actor, kind, subject, payload, row_prev)
            else:  # body_digest and link_hash, inlined: this is the hot loop of `audit verify`
                body = {
                    "occurred_at": occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
                    "actor": actor,
                    "kind": kind,
                    "subject": subject,
                    "payload": payload,
                }
                body_hash = _sha256(_CANONICAL_JSON(body).encode("utf-8")).hexdigest()
                if type(row_prev) is str and row_prev.isascii() and row_prev.isalnum():
                    link = f'{{"body":"{body_hash}","prev_hash":"{row_prev}","seq":{row_seq}}}'
                    digest = _sha256(link.encode("utf-8")).hexdigest()
                else:
                    digest = link_hash(row_seq, row_prev, body_hash)
        except (ValueError, TypeError) as exc:  # NaN in a payload SQLite read from its JSON text
            broken = (seq, malformed(row) or f"malformed event: payload has no canonical JSON form ({exc})")
            break
        if digest != row_hash:
            broken = (seq, malformed(row) or _altered(row, v2_from))
            break
        if expected_hash is not None and row_hash == expected_hash:
            if expected_seq is not None and expected_seq != row_seq:
                broken = (row_seq, f"the expected head sits at {row_seq}, not at {expected_seq}")
                break
            seen = True
        if kind == PURGED:
            last_purge = (row_seq, payload)
        prev_hash = row_hash
    if first is None:
        return _Walked()
    if broken is not None:
        return _Walked(*first, broken=broken)
    return _Walked(*first, last_seq=seq, last_hash=prev_hash, seen_expected=seen, last_purge=last_purge)


def _first_seq_through(session: Session, seq: int) -> int | None:
    return session.execute(
        select(EVENTS.c.seq).where(EVENTS.c.seq <= seq).order_by(EVENTS.c.seq).limit(1)
    ).scalar()


def _check_start(
    start: ChainHead, expect_head: str | None, expected: tuple[int | None, str | None], leftover: int | None
) -> None:
    """Before the walk: the expected head must not be purged, and no event may be left at or below the base
    (`leftover`: the first such seq)."""
    expected_seq = expected[0]
    if expected_seq is not None and expected_seq < start.seq:
        raise InvalidArgument(
            f"expected head {expect_head} was purged: the chain now starts after event {start.seq}"
        )
    if leftover is not None:
        raise AuditChainBroken(
            leftover, f"present although the chain was purged through {start.seq} (re-inserted?)"
        )


def _check_end(
    start: ChainHead,
    walked: _Walked,
    recorded: ChainHead,
    expect_head: str | None,
    expected: tuple[int | None, str | None],
) -> ChainHead:
    """After a walk that found every event sound: the head row, the base and the expected head."""
    if walked.broken is not None:
        raise AuditChainBroken(*walked.broken)
    expected_seq, expected_hash = expected
    last = walked.last(start)
    if recorded.seq > last.seq:
        raise AuditChainBroken(last.seq + 1, f"events {last.seq + 1}..{recorded.seq} are missing (truncated)")
    if recorded.seq < last.seq:
        raise AuditChainBroken(recorded.seq + 1, "events were added past the recorded head")
    if recorded.hash != last.hash:
        raise AuditChainBroken(last.seq, "the recorded head does not match the last event")
    _check_base(start, walked.last_purge)
    seen = walked.seen_expected or expect_head is None or (start.seq > 0 and expected_hash == start.hash)
    if not seen:
        where = expected_seq if expected_seq is not None else last.seq + 1
        raise AuditChainBroken(
            where, f"expected head {expect_head} is not in the chain (truncated or rewritten)"
        )
    return last


def _check_base(start: ChainHead, last_purge: tuple[int, Any] | None) -> None:
    """The base must be exactly what the last `audit.purged` event says a purge left: a start of the chain
    deleted (and the base row moved) outside `audit purge` has no such event."""
    if last_purge is None:
        if start.seq > 0:
            raise AuditChainBroken(
                start.seq + 1,
                f"the chain starts after {start} but no audit.purged event records that purge "
                "(events deleted outside `recertify audit purge`?)",
            )
        return
    purge_seq, purge_payload = last_purge
    payload = purge_payload if isinstance(purge_payload, Mapping) else {}
    through, base_hash = payload.get("through_seq"), payload.get("base_hash")
    if through != start.seq or base_hash != start.hash:
        raise AuditChainBroken(
            purge_seq,
            f"this audit.purged event records a purge through {through}:{base_hash}, "
            f"but the chain starts after {start}",
        )
