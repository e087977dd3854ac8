"""`verify` (the whole chain, from its base) and `verify_segment` (from a checkpoint to the head)."""

from __future__ import annotations

from sqlmodel import Session

from reviews.audit import parallel
from reviews.audit.chain import ChainHead, base, digests_from, head
from reviews.audit.parallel import PARALLEL_FROM, _shareable, default_workers
from reviews.audit.rows import events_in_order
from reviews.audit.walk import _check_end, _check_rows, _check_start, _first_seq_through
from reviews.errors import AuditChainBroken, InvalidArgument


def verify(
    session: Session,
    *,
    expect_head: str | None = None,
    workers: int | None = None,
    parallel_from: int = PARALLEL_FROM,
) -> ChainHead:
    """Walk the whole chain from its base; return its head, or raise naming the first bad sequence number.

    `expect_head` is a head saved earlier, as `SEQ:HASH` or just `HASH`: the chain must still contain it,
    which detects truncation even by someone who also rewrote the head row. A head older than the base
    (purged since) cannot be checked and is an argument error; the base itself still counts as present.

    A chain of `parallel_from` events or more is checked by `workers` processes (default: `default_workers`),
    each walking contiguous ranges of seq with its own connection (`_verify_in_parallel`); the result and
    every error are the same as a walk in this process, which shorter chains (and `workers=1`) get.
    """
    if workers is not None and workers < 1:
        raise InvalidArgument(f"workers must be at least 1, not {workers}")
    expected = _parse_expected_head(expect_head)
    workers = default_workers() if workers is None else workers
    engine = _shareable(session)
    if workers > 1 and engine is not None and head(session).seq - base(session).seq >= parallel_from:
        return parallel._verify_in_parallel(engine, expect_head, expected, workers)
    start = base(session)
    v2_from = digests_from(session)
    _check_start(start, expect_head, expected, _first_seq_through(session, start.seq))
    walked = _check_rows(events_in_order(session, after=start.seq), start, expected, v2_from)
    return _check_end(start, walked, head(session), expect_head, expected)


def verify_segment(session: Session, start: ChainHead, end: ChainHead) -> None:
    """Check the events after `start` up to `end` (a checkpoint to the current head): each links to the one
    before and matches its hash, and the last of them is `end`. Cheap enough to run before every checkpoint,
    so a checkpoint never vouches for a chain that was cut or rewritten since the previous one."""
    if end.seq < start.seq:
        raise AuditChainBroken(end.seq + 1, f"the chain ends at {end.seq}, before {start} (truncated)")
    rows = events_in_order(session, after=start.seq, through=end.seq)
    walked = _check_rows(rows, start, (None, None), digests_from(session))
    if walked.broken is not None:
        raise AuditChainBroken(*walked.broken)
    last = walked.last(start)
    if last.seq < end.seq:
        raise AuditChainBroken(last.seq + 1, f"events {last.seq + 1}..{end.seq} are missing (truncated)")
    if last.hash != end.hash:
        raise AuditChainBroken(end.seq, "the recorded head does not match the event at its position")


def _parse_expected_head(expect_head: str | None) -> tuple[int | None, str | None]:
    if expect_head is None:
        return None, None
    seq_text, _, hash_text = expect_head.strip().rpartition(":")
    if len(hash_text) != 64 or any(c not in "0123456789abcdef" for c in hash_text):
        raise InvalidArgument(f"expected head {expect_head!r} is not SEQ:HASH or a 64-hex-digit SHA-256")
    if not seq_text:
        return None, hash_text
    if not (seq_text.isascii() and seq_text.isdigit()):
        raise InvalidArgument(f"expected head {expect_head!r}: the sequence part must be a number")
    return int(seq_text), hash_text
