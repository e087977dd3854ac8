"""The demo's last evidence: an attestation of who could access benefit-claims today, signed with a key the
demo makes in its output directory, and checked by the stand-alone verifier as an auditor would run it."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from sqlmodel import Session

import recertify_verify
from cli.demo.errors import Unexpected
from cli.demo.state import LoopState
from cli.demo.target import ATTEST_KEY
from reviews.attestation.answer import store_answer
from reviews.attestation.bundle import make_bundle
from reviews.attestation.canonical import canonical
from reviews.storage.db import session_scope

STORE = "benefit-claims"  # the table the outside bureau reads: reviews, a decision kept, a revocation


def attest(loop: LoopState) -> Path:
    out = loop.target.out
    signer = loop.wiring.key_file_signer(out / ATTEST_KEY)
    public = out / ATTEST_KEY.replace(".pem", ".pub.pem")
    day = loop.clock.now().date().isoformat()
    with Session(loop.engine) as session:
        answer = store_answer(session, STORE, day, now=loop.clock.now())
    bundle = make_bundle(
        partial(session_scope, loop.engine),
        answer,
        signer=signer,
        sink=None,
        clock=loop.clock,
        made_by=loop.actor.id,
        may_checkpoint=True,
    )
    path = out / f"attestation-{STORE}-{day}.json"
    data = canonical(bundle) + b"\n"
    path.write_bytes(data)
    loop.narrator.line(
        f"  {path.name}  {len(data):,} bytes: {len(bundle['answer']['rows'])} rows resting on "
        f"{len(bundle['events'])} audit events, {len(bundle['proof']['digests'])} others by digest only"
    )
    try:
        key = recertify_verify.load_public_key(public.read_bytes(), str(public))
        lines = recertify_verify.verify(path.read_bytes(), key)
    except recertify_verify.Failed as exc:
        raise Unexpected(f"the demo's attestation does not verify: {exc}") from None
    loop.narrator.line(f"  recertify-verify {path.name} --key {public.name}:")
    for line in lines:
        loop.narrator.line(f"    {line}")
    return path
