"""Attestation size and speed: a chain of N events, 1% of them about one store from event 1 on, attested
(the checkpoint recorded first, the segment walked and checked, signed) and verified by recertify_verify.

    .venv/bin/python -m bench.attest                   # 100,000 events, SQLite in a temporary directory
    .venv/bin/python -m bench.attest --events 20000 --url postgresql+psycopg://postgres@127.0.0.1:5432/bench_attest

The worst case for the proof's size: the store's first event is the chain's first, so every later event of
the chain is in the proof (as a 64-hex-digit digest) or in the bundle.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from functools import partial
from pathlib import Path

import recertify_verify
from connectors.signing.key_file import KeyFileSigner, generate
from reviews import audit
from reviews.attestation.answer import Answer, Cite
from reviews.attestation.bundle import make_bundle
from reviews.attestation.canonical import canonical
from reviews.clock import SystemClock
from reviews.storage.db import create_db_engine, session_scope, upgrade


def run(url: str, events: int, keys: Path) -> None:
    engine = create_db_engine(url)
    upgrade(engine)
    batch = [
        audit.NewEvent(
            "system:bench",
            "grant.opened",
            "store:S" if i % 100 == 0 else f"store:other-{i % 50}",
            {"principal": f"u{i % 7}", "access": "read"},
        )
        for i in range(events)
    ]
    with session_scope(engine) as session:
        audit.append_many(session, batch, clock=SystemClock())
    key, public = generate(keys / "bench.pem")
    rows = [({"principal": f"u{n}"}, Cite(frozenset(), "store:S", f"u{n}", "read")) for n in range(7)]
    answer = Answer({"store": "S", "at": "bench"}, rows, frozenset({"store:S"}))
    started = time.perf_counter()
    bundle = make_bundle(
        partial(session_scope, engine),
        answer,
        signer=KeyFileSigner(key),
        sink=None,
        clock=SystemClock(),
        made_by="bench",
        may_checkpoint=True,
    )
    data = canonical(bundle)
    made = time.perf_counter() - started
    started = time.perf_counter()
    recertify_verify.verify(data, recertify_verify.load_public_key(public.read_bytes(), str(public)))
    checked = time.perf_counter() - started
    engine.dispose()
    print(
        f"{engine.dialect.name}: {events:,} events, {len(bundle['events']):,} included, "
        f"{len(bundle['proof']['digests']):,} by digest: {len(data):,} bytes, made in {made:.2f} s, "
        f"verified in {checked:.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", help="an empty database's URL (default: a new SQLite file)")
    parser.add_argument("--events", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run(args.url or f"sqlite:///{Path(tmp) / 'bench.db'}", args.events, Path(tmp))


if __name__ == "__main__":
    main()
