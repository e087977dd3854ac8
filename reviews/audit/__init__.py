"""The tamper-evident history: an append-only, SHA-256 hash chain of events.

Each event's hash covers a canonical encoding of its sequence number, time, actor, kind, subject, payload
and the previous event's hash, so changing, deleting, reordering or inserting any row breaks the chain at a
sequence number `verify` can name. Truncating the end is caught by the head row (unless it was rewritten
too), by the checkpoints (reviews.audit.checkpoints: heads recorded hourly, also in a write-once store when
one is configured) and by comparing with a head saved earlier (`--expect-head`).

Old events leave only through an audited purge (reviews.audit.retention), which records where the remaining
chain starts in the `audit_base` row and appends an `audit.purged` event naming that base. `verify` walks from
the base (its first event must link to the base hash) and requires the last `audit.purged` event to name
exactly that base, so deleting the start of the chain outside a purge is detected too.

Appends are serialized by locking the single `audit_head` row first: a row lock on PostgreSQL, the write
lock on SQLite. Two processes appending at once therefore wait for each other instead of forking the chain.

A row changed into something `append` never writes (a payload that is not a JSON object, a time that is not
one, a null…) is named by its seq and the malformed field (reviews.audit.rows), as any other break is.

Chain version 2 (from the seq recorded in `audit_head.digests_from` on): an event's hash covers its seq, the
previous hash and a digest of its body (time, actor, kind, subject, payload) instead of the body itself, so
an attestation (reviews.attestation) can prove that some events are in the chain up to a checkpoint by
giving only the digests of the others, never their content. Events before that seq keep the version 1 hash
for ever (their checkpoints, also the write-once ones, still verify); editing the threshold changes which
construction applies to the events between the old and new values, so they no longer match their hashes.

The package: `chain.py` (append, hashes, head and base), `walk.py` (the checks both walks share),
`verify.py` (`verify`, `verify_segment`), `parallel.py` (worker processes for long chains).

`verify` streams the events in one ordered query; from `PARALLEL_FROM` events on, worker processes walk
contiguous ranges of seq at once, all reading the chain as it was at one moment, and the ranges are linked in
order so that every break is named exactly as one walk names it (the comment above `split_ranges`).
"""

from reviews.audit.chain import (
    BASE,
    EVENTS,
    GENESIS_HASH,
    HEAD,
    PURGED,
    ChainHead,
    NewEvent,
    append,
    append_many,
    base,
    body_digest,
    chain_hash,
    digests_from,
    event_hash,
    event_hash_v1,
    head,
    iso_time,
    link_hash,
    lock_chain,
    normalize_payload,
)
from reviews.audit.parallel import (
    MAX_WORKERS,
    PARALLEL_FROM,
    RANGES_PER_WORKER,
    default_workers,
    split_ranges,
)
from reviews.audit.verify import verify, verify_segment

__all__ = [
    "BASE",
    "EVENTS",
    "GENESIS_HASH",
    "HEAD",
    "MAX_WORKERS",
    "PARALLEL_FROM",
    "PURGED",
    "RANGES_PER_WORKER",
    "ChainHead",
    "NewEvent",
    "append",
    "append_many",
    "base",
    "body_digest",
    "chain_hash",
    "default_workers",
    "digests_from",
    "event_hash",
    "event_hash_v1",
    "head",
    "iso_time",
    "link_hash",
    "lock_chain",
    "normalize_payload",
    "split_ranges",
    "verify",
    "verify_segment",
]
