"""Enforcement: `revocations plan|list|approve|apply|undo`."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import Engine
from sqlmodel import select

from cli.common import out
from cli.context import Services
from reviews.campaigns.views import outbox_rows
from reviews.clock import SystemClock
from reviews.enforcement.outbox import approve, undo
from reviews.enforcement.tick import plan_campaign
from reviews.entitlements import stored_path_text
from reviews.errors import (
    InvalidArgument,
)
from reviews.storage.db import (
    session_scope,
)
from reviews.storage.models import Campaign, CampaignStatus, RevocationState
from reviews.storage.revocation_links import items_of

revocations_cli = typer.Typer(help="Enforcement: plan, approve, apply, undo.", no_args_is_help=True)


def plan_and_report(wiring: Services, campaign_ids: list[int]) -> None:
    clock = SystemClock()
    connectors = wiring.connectors(clock)
    for campaign_id in campaign_ids:
        with session_scope(wiring.engine) as session:
            summary = plan_campaign(
                session,
                campaign_id,
                connectors,
                settings=wiring.config.settings.enforcement,
                protection=wiring.protection(),
                clock=clock,
            )
        out.print(
            f"campaign {campaign_id}: {summary.planned} planned (awaiting approval), "
            f"{summary.approved} approved by the cycle, {summary.held} held by the blast-radius limit, "
            f"{summary.needs_human_review} need a person, {summary.already_absent} already absent, "
            f"{summary.waiting} waiting"
        )
        if summary.linked:  # read and write from one membership: one change, both items
            out.print(f"  {summary.linked} item(s) share another item's change: one revocation ends them all")
        for reason, count in summary.reasons.items():
            out.print(f"  {count}: {reason}", markup=False)


@revocations_cli.command("plan")
def revocations_plan(
    ctx: typer.Context,
    campaign: Annotated[
        int | None, typer.Option(help="one closed campaign (default: every closed one)")
    ] = None,
) -> None:
    """Plan what closed campaigns decided to revoke (idempotent), then list the outbox."""
    ctx.obj.actor(writes="revocations plan")
    engine = ctx.obj.engine()
    with session_scope(engine) as session:
        query = select(Campaign.id).where(Campaign.status == CampaignStatus.CLOSED)
        if campaign is not None:
            query = query.where(Campaign.id == campaign)
        ids = [campaign_id for campaign_id in session.exec(query).all() if campaign_id is not None]
    if campaign is not None and not ids:
        raise InvalidArgument(f"campaign {campaign} is not closed (or does not exist): close it first")
    plan_and_report(ctx.obj.wiring(), ids)
    _print_outbox(engine, campaign)


def _print_outbox(engine: Engine, campaign: int | None) -> None:
    with session_scope(engine) as session:
        rows = outbox_rows(session, campaign_id=campaign)
        items = items_of(session, [row.id for row in rows if row.id is not None])
    table = Table("id", "campaign", "items", "state", "action", "note")
    for row in rows:
        note = (
            (f"still reached through {stored_path_text(row.surviving_path)}" if row.surviving_path else "")
            or row.hold_reason
            or row.last_error
            or ("read back; the next sync verifies" if row.read_back_at and not row.verified_at else "")
            or (f"dry run: {row.dry_run_result}" if row.dry_run_result else "")
        )
        ended = ", ".join(map(str, items.get(row.id or 0, [])))
        table.add_row(
            str(row.id), str(row.campaign_id or ""), ended, row.state, row.action.get("description", ""), note
        )
    out.print(table)


@revocations_cli.command("list")
def revocations_list(
    ctx: typer.Context, campaign: Annotated[int | None, typer.Option(help="one campaign")] = None
) -> None:
    """The outbox: every planned revocation and its state."""
    _print_outbox(ctx.obj.engine(), campaign)


@revocations_cli.command("approve")
def revocations_approve(
    ctx: typer.Context,
    ids: Annotated[
        list[int] | None, typer.Argument(help="revocation ids (default: all of --campaign)")
    ] = None,
    campaign: Annotated[
        int | None, typer.Option(help="approve this campaign's planned and held revocations")
    ] = None,
) -> None:
    """Approve planned revocations, including held ones (over the blast-radius limit, or changes such as an
    exposure's that always wait for an admin)."""
    actor = ctx.obj.actor(writes="revocations approve")
    with session_scope(ctx.obj.engine()) as session:
        approved = approve(session, ids or None, campaign_id=campaign, actor=actor, clock=SystemClock())
    out.print(f"approved {len(approved)} revocation(s): {', '.join(map(str, approved)) or 'none'}")


@revocations_cli.command("apply")
def revocations_apply(
    ctx: typer.Context,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="report only, even when enforcement is live")
    ] = False,
) -> None:
    """Execute approved revocations: live only when `[enforcement] mode = "live"`, otherwise a dry run."""
    ctx.obj.actor(writes="revocations apply")  # even a dry run records what it would do
    wiring, clock = ctx.obj.wiring(), SystemClock()
    summary = wiring.execute_outbox(wiring.connectors(clock), clock, dry_run=dry_run)
    done = ", ".join(f"{count} {state}" for state, count in sorted(summary.outcomes.items())) or "nothing due"
    out.print(f"{summary.mode}: {done}")
    if summary.outcomes[RevocationState.APPLIED] or summary.outcomes[RevocationState.ALREADY_ABSENT]:
        out.print("  verified once the next sync no longer finds the access (recertify sync)")
    for reason, count in summary.blocked.items():
        out.print(f"  waiting ({count}): {reason}", markup=False)


@revocations_cli.command("undo")
def revocations_undo(ctx: typer.Context, revocation_id: int) -> None:
    """Restore an applied revocation from its recorded inverse."""
    actor, wiring, clock = ctx.obj.actor(writes="revocations undo"), ctx.obj.wiring(), SystemClock()
    result = undo(
        wiring.engine,
        revocation_id,
        wiring.connectors(clock),
        actor=actor,
        clock=clock,
        settings=wiring.config.settings.enforcement,
    )
    mode = "dry run: would restore" if result.dry_run else "restored"
    out.print(f"revocation {result.revocation_id}: {mode} ({result.result})")
