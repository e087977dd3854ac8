"""Steps 13–16, the enforcement half: the revocation plan as the safety envelope left it, an admin's approval,
the live revocations read back from the simulators, the next sync seeing the access gone, the audit chain
verified and the evidence report written and checked against its manifest."""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict

from sqlmodel import col, select

from cli.common import worker_name
from cli.demo.attestation import attest
from cli.demo.errors import Unexpected
from cli.demo.state import LoopState
from cli.demo.target import write_config
from reviews import audit
from reviews.audit import checkpoints
from reviews.campaigns.views import ItemLine, outbox_rows, show_campaign
from reviews.enforcement.outbox import approve, execute
from reviews.evidence.export import ExportFormat, export_campaign
from reviews.outcomes import said
from reviews.storage.db import session_scope
from reviews.storage.models import Decision, ItemStatus, Revocation, RevocationState
from simulators import department


class EnforcementSteps(LoopState):
    def show_plan(self) -> list[int]:
        lines = {line.view.item_id: line for line in self._lines()}
        with session_scope(self.engine) as session:
            rows = outbox_rows(session, campaign_id=self.campaign_id)
            decisions = session.exec(
                select(Decision.review_item_id, Decision.via).where(col(Decision.superseded).is_(False))
            ).all()
        via = dict(decisions)
        planned = [row for row in rows if row.state == RevocationState.PLANNED]
        held = [row for row in rows if row.state == RevocationState.HELD]
        refused = [line for line in lines.values() if line.view.status == ItemStatus.NEEDS_HUMAN_REVIEW]
        say = self.narrator.line
        say(f"  planned, for an admin to approve ({len(planned)}):")
        for row in planned:
            view = lines[_item(row)].view
            how = f"{view.access}; decided via {via[view.item_id]}"
            say(f"    {view.store}: {view.holder} ({how}): {_change(row)}")
        for (store, reason), group in _by_hold(held, lines).items():
            say(f"  held for an admin ({len(group)}): {store}: {reason}")
            say("    " + ", ".join(sorted({lines[_item(row)].view.holder for row in group})))
        say(f"  left to a person, never automatic ({len(refused)}):")
        for line in refused:
            say(f"    {line.view.store}: {line.view.holder} ({line.view.access}): {line.human_review_reason}")
        self.held = len(held)
        protected = {line.view.holder for line in refused if "protected" in (line.human_review_reason or "")}
        in_outbox = {lines[_item(row)].view.holder for row in rows}
        if (
            not planned
            or not held
            or department.BREAK_GLASS not in protected
            or department.BREAK_GLASS in in_outbox
        ):
            raise Unexpected(
                f"the plan should hold planned ({len(planned)}) and held ({len(held)}) revocations, and "
                f"leave the break-glass account protected, never planned ({sorted(protected)})"
            )
        return [row.id for row in planned if row.id is not None]

    def revoke(self, planned: list[int]) -> None:
        with session_scope(self.engine) as session:
            approved = approve(
                session, planned, campaign_id=self.campaign_id, actor=self.actor, clock=self.clock
            )
        enforcement = self.wiring.config.settings.enforcement
        connectors = self.wiring.connectors(self.clock)
        summary = execute(
            self.engine,
            connectors,
            settings=enforcement,
            clock=self.clock,
            worker=worker_name(),
            protection=self.wiring.protection(),
        )
        outcomes = ", ".join(f"{n} {state}" for state, n in summary.outcomes.items())
        self.narrator.line(
            f"  {self.actor.id} approved {len(approved)}; the outbox ran in {summary.mode} mode: {outcomes}"
        )
        if summary.outcomes != Counter({"applied": len(approved)}):
            raise Unexpected(f"{len(approved)} revocations should be applied: {dict(summary.outcomes)}")
        lines = {line.view.item_id: line for line in self._lines()}
        with session_scope(self.engine) as session:
            rows = outbox_rows(session, campaign_id=self.campaign_id)
        for row in rows:
            view = lines[_item(row)].view
            there = self.world.still_has_access(view.store, view.holder)
            where = {"aws": "moto", "azure": "the ARM simulator"}.get(row.system, "the Graph simulator")
            if (row.state == RevocationState.APPLIED) == there:
                raise Unexpected(f"{view.holder} on {view.store} is {row.state}, yet {where} says {there=}")
            if row.state == RevocationState.APPLIED:
                self.narrator.line(
                    f"  ✔ {view.store}: {view.holder}: {_change(row)} (read back from {where})"
                )
        kept = [line.view for line in lines.values() if line.view.status == ItemStatus.NEEDS_HUMAN_REVIEW]
        if not all(self.world.still_has_access(view.store, view.holder) for view in kept):
            raise Unexpected("access left to a person was removed")
        self.narrator.line(
            f"  still in place, as planned: the {self.held} held revocations and the protected accounts"
        )

    def evidence(self) -> None:
        with session_scope(self.engine) as session:
            summary = show_campaign(session, self.campaign_id)[0]
        self.outcomes = summary.items  # the words of `campaign show`, Slack and the evidence
        self.narrator.line(f"  campaign {self.campaign_id}: {said(self.outcomes)}")
        with session_scope(self.engine) as session:  # what the scheduler does every hour
            checkpoints.record_checkpoint(session, None, clock=self.clock)
        with session_scope(self.engine) as session:  # what `recertify audit verify` does
            head = audit.verify(session)
            report = checkpoints.verify_checkpoints(session, None)
        self.narrator.line(
            f"  audit chain intact: {head.seq} events, head {head}; checkpoints in the chain: "
            f"{report.in_database}"
        )
        self.report = export_campaign(
            self.engine,
            self.actor,
            self.campaign_id,
            formats=list(ExportFormat),
            out_dir=self.target.out,
            clock=self.clock,
        )
        manifest = json.loads(self.report.manifest.path.read_bytes())
        for entry in manifest["files"]:
            data = (self.target.out / entry["name"]).read_bytes()
            if hashlib.sha256(data).hexdigest() != entry["sha256"]:
                raise Unexpected(f"{entry['name']} does not match its SHA-256 in the manifest")
            self.narrator.line(f"  {entry['name']}  {entry['bytes']:,} bytes, sha256 {entry['sha256'][:16]}…")
        name, at = self.report.manifest.path.name, manifest["audit_head"]
        self.narrator.line(f"  {name}  (each file's SHA-256; the evidence was read at audit head {at})")
        self.attestation = attest(self)
        write_config(self.target)


def _item(row: Revocation) -> int:
    assert row.review_item_id is not None  # noqa: S101  (a campaign's revocation)
    return row.review_item_id


def _change(row: Revocation) -> str:
    """The outbox's own description of the change (names, with the ids of Entra's objects)."""
    return str(row.action.get("description", ""))


def _by_hold(rows: list[Revocation], lines: dict[int, ItemLine]) -> dict[tuple[str, str], list[Revocation]]:
    """Held revocations by store and by why (the blast radius; a change only an admin makes, such as a
    shared resource policy's)."""
    grouped: dict[tuple[str, str], list[Revocation]] = defaultdict(list)
    for row in rows:
        grouped[(lines[_item(row)].view.store, row.hold_reason or "")].append(row)
    return grouped
