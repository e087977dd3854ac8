"""`recertify attest`: a signed, offline-verifiable attestation (reviews.attestation), and `attest keygen`.

recertify attest --store S --at YYYY-MM-DD --out FILE
recertify attest --campaign ID --out FILE
recertify attest keygen --out KEY.pem
"""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path
from typing import Annotated

import typer
from sqlmodel import Session

from cli.common import out
from reviews.attestation.answer import campaign_answer, store_answer
from reviews.attestation.bundle import make_bundle
from reviews.attestation.canonical import canonical
from reviews.clock import SystemClock
from reviews.errors import InvalidArgument
from reviews.storage.db import session_scope

attest_cli = typer.Typer(help="Signed attestations an auditor verifies offline (recertify-verify).")


@attest_cli.callback(invoke_without_command=True)
def attest(
    ctx: typer.Context,
    store: Annotated[str | None, typer.Option("--store", help="a store's provider id or name")] = None,
    at: Annotated[str | None, typer.Option("--at", help="the UTC day, YYYY-MM-DD (with --store)")] = None,
    campaign: Annotated[int | None, typer.Option("--campaign", help="a campaign id")] = None,
    out_file: Annotated[Path | None, typer.Option("--out", help="the bundle to write (JSON)")] = None,
) -> None:
    """Who could access a store on a day (or a campaign's evidence), the audit events it rests on, a proof
    that they are in the hash chain up to a checkpoint, signed with [attest] key_file or kms_key_id. Check
    it anywhere with `recertify-verify FILE --key PUBKEY.pem`."""
    if ctx.invoked_subcommand is not None:
        return
    if campaign is None and (store is None or at is None):
        raise InvalidArgument("give --store S --at YYYY-MM-DD, or --campaign ID (and --out FILE)")
    if campaign is not None and (store is not None or at is not None):
        raise InvalidArgument("--campaign attests one campaign: give it without --store and --at")
    if out_file is None:
        raise InvalidArgument("--out FILE: where to write the attestation")
    context, clock = ctx.obj, SystemClock()
    actor = context.actor()
    signer = context.attestation_signer()  # a missing or wrong key stops here, before any reading
    wiring = context.wiring()
    engine = wiring.engine
    if campaign is not None:
        answer = campaign_answer(engine, actor, campaign, clock=clock)
    else:
        assert store is not None and at is not None  # noqa: S101  (checked above)
        with Session(engine) as session:
            answer = store_answer(session, store, at, now=clock.now())
    bundle = make_bundle(
        partial(session_scope, engine),
        answer,
        signer=signer,
        sink=wiring.checkpoint_sink(),
        clock=clock,
        made_by=actor.id,
        may_checkpoint=actor.is_admin,
    )
    data = canonical(bundle) + b"\n"
    try:
        out_file.write_bytes(data)
    except OSError as exc:
        raise InvalidArgument(f"--out {out_file}: {exc.strerror}") from None
    checkpoint, proof = bundle["checkpoint"], bundle["proof"]
    where = f", write-once copy {checkpoint['written_to']}" if checkpoint["written_to"] else ""
    out.print(
        f"{out_file}: {len(bundle['answer']['rows'])} rows resting on {len(bundle['events'])} audit events, "
        f"proven up to checkpoint {checkpoint['seq']}:{checkpoint['hash']}{where} "
        f"({len(proof['digests'])} other events by digest, {len(proof['full'])} in full); "
        f"signed {bundle['signature']['algorithm']} {bundle['signature']['fingerprint']}; {len(data)} bytes",
        markup=False,
    )
    out.print(f"check it: recertify-verify {out_file} --key PUBKEY.pem", markup=False)


@attest_cli.command("keygen")
def keygen(
    ctx: typer.Context,
    out_file: Annotated[Path, typer.Option("--out", help="the private key to write (PEM, mode 0600)")],
) -> None:
    """A new Ed25519 signing key (never overwrites one) and its public key next to it, for [attest] key_file
    and for auditors' `recertify-verify --key`."""
    private, public = ctx.obj.attest_keygen(out_file)
    mode = oct(os.stat(private).st_mode & 0o777)
    out.print(f"private key {private} (mode {mode[2:]}): set [attest] key_file to it", markup=False)
    out.print(f"public key  {public}: give it to auditors (recertify-verify --key {public})", markup=False)
