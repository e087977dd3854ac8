"""Campaigns: `campaign start|list|show|decide|delegate|close|tick`."""

from __future__ import annotations

import json
import sys
from datetime import timedelta
from typing import Annotated

import typer
from rich.table import Column, Table

from cli.common import ListFormat, out
from cli.revocations import plan_and_report
from reviews.actors import Actor
from reviews.campaigns.close import close_campaign
from reviews.campaigns.decide import record_decision
from reviews.campaigns.handover import hand_over
from reviews.campaigns.start import start_by_hand
from reviews.campaigns.views import list_campaigns, show_campaign
from reviews.clock import SystemClock
from reviews.enforcement.outbox import ExecutionSummary
from reviews.enforcement.tick import TickSummary
from reviews.errors import (
    NotFound,
)
from reviews.outcomes import legend, said
from reviews.people.by_email import known_person_id
from reviews.storage.db import (
    session_scope,
)
from reviews.storage.models import Campaign, DecidedVia, DecisionOutcome

campaign_cli = typer.Typer(help="Campaigns: one run of a review cycle.", no_args_is_help=True)


@campaign_cli.command("start")
def campaign_start(ctx: typer.Context, cycle: str) -> None:
    """Start a campaign of CYCLE now: freeze the population and assign reviewers."""
    actor = ctx.obj.actor(writes="campaign start")
    with session_scope(ctx.obj.engine()) as session:
        started = start_by_hand(
            session, cycle, actor=actor, clock=SystemClock(), protection=ctx.obj.wiring().protection()
        ).campaign
    out.print(
        f"campaign {started.id}: {cycle} v{started.cycle_version}, {started.population_count} items, "
        f"due {started.due_at:%Y-%m-%d %H:%M} UTC; population sha256 {started.population_sha256[:12]}"
    )
    for reason, count in started.notes.get("excluded", {}).items():
        out.print(f"  excluded: {count} ({reason})", markup=False)
    if started.notes.get("protected_in_scope"):
        out.print(f"  protected principals in scope (never revoked): {started.notes['protected_in_scope']}")


@campaign_cli.command("list")
def campaign_list(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option(help="open or closed")] = None,
    format: Annotated[ListFormat, typer.Option("--format")] = ListFormat.table,  # noqa: A002
) -> None:
    """Campaigns with their items by outcome (`campaign show` has the legend)."""
    with session_scope(ctx.obj.engine()) as session:
        campaigns = list_campaigns(session, status=status)
    if format is ListFormat.json:
        sys.stdout.write(json.dumps([c.as_json() for c in campaigns], indent=2) + "\n")
        return
    table = Table(
        "id", Column("cycle", no_wrap=True), "period", "kind", "status", Column("due", no_wrap=True), "items"
    )
    for c in campaigns:
        items = said(c.items)
        table.add_row(str(c.id), c.cycle, c.period, c.kind, c.status, f"{c.due_at:%Y-%m-%d %H:%M}", items)
    out.print(table)


@campaign_cli.command("show")
def campaign_show(
    ctx: typer.Context,
    campaign_id: int,
    format: Annotated[ListFormat, typer.Option("--format")] = ListFormat.table,  # noqa: A002
) -> None:
    """One campaign: its frozen population and every item with reviewer, recommendation and outcome."""
    with session_scope(ctx.obj.engine()) as session:
        summary, lines = show_campaign(session, campaign_id)
    if format is ListFormat.json:
        body = {**summary.as_json(), "items_detail": [line.as_json() for line in lines]}
        sys.stdout.write(json.dumps(body, indent=2) + "\n")
        return
    out.print(
        f"campaign {summary.id}: {summary.cycle} v{summary.cycle_version} ({summary.period}), "
        f"{summary.status}, due {summary.due_at:%Y-%m-%d %H:%M} UTC; {summary.population_count} items frozen "
        f"(sha256 {summary.population_sha256[:12]})",
        markup=False,
    )
    out.print(f"items: {said(summary.items)}", markup=False)
    table = Table(
        "item", "store", "holder", "access", "recommendation", "reviewer", "stage", "outcome", "why"
    )
    for line in lines:
        view = line.view
        advice = f"{view.recommendation or '-'}: {view.recommendation_reason}"
        shared = f" (revocation {line.revocation_id})" if line.revocation_id else ""
        table.add_row(
            str(view.item_id),
            view.store,
            view.holder,
            view.access,
            advice,
            line.reviewer or "-",
            str(line.stage),
            str(line.outcome.outcome),
            "; ".join(p for p in (line.outcome.why, shared.strip(" ()")) if p),
        )
    out.print(table)
    out.print("outcomes:", markup=False)
    for word, meaning in legend():
        out.print(f"  {word}: {meaning}", markup=False)


@campaign_cli.command("decide")
def campaign_decide(
    ctx: typer.Context,
    item_id: int,
    outcome: DecisionOutcome,
    reviewer: Annotated[
        str, typer.Option("--as", help="the reviewer's email: decisions are theirs, not yours")
    ],
    justification: Annotated[str | None, typer.Option(help="why access is kept")] = None,
) -> None:
    """Record a reviewer's decision (the same rules as Slack: only the reviewer or their delegate)."""
    operator, engine = ctx.obj.actor(writes="campaign decide"), ctx.obj.engine()
    with session_scope(engine) as session:
        actor = Actor(
            f"{operator.id}:as:{reviewer.strip().lower()}", person_id=known_person_id(session, reviewer)
        )
    result = record_decision(
        engine,
        item_id=item_id,
        outcome=outcome,
        actor=actor,
        via=DecidedVia.CLI,
        clock=SystemClock(),
        justification=justification,
    )
    out.print(f"item {result.item_id}: {result.message} (status {result.status})")


@campaign_cli.command("delegate")
def campaign_delegate(
    ctx: typer.Context,
    reviewer: Annotated[str, typer.Argument(help="the reviewer's email")],
    delegate_to: Annotated[str, typer.Argument(help="who decides their items meanwhile (email)")],
    days: Annotated[int, typer.Option(min=1, max=365, help="for how many days, from now")] = 14,
) -> None:
    """Hand every item of a reviewer to someone else for a period (recorded; the reviewer keeps theirs).
    Items about the delegate's own access go to the next reviewer in their chain instead."""
    actor, clock = ctx.obj.actor(writes="campaign delegate"), SystemClock()
    with session_scope(ctx.obj.engine()) as session:
        now = clock.now()
        row, rerouted = hand_over(
            session,
            person_id=known_person_id(session, reviewer),
            delegate_person_id=known_person_id(session, delegate_to),
            valid_from=now,
            valid_to=now + timedelta(days=days),
            actor=actor,
            clock=clock,
        )
    out.print(f"{delegate_to} decides for {reviewer} until {row.valid_to:%Y-%m-%d %H:%M} UTC")
    if rerouted:  # nobody reviews their own access: those went to the next reviewer in their chain
        out.print(f"{rerouted} item(s) about {delegate_to}'s own access went to the next reviewer instead")


@campaign_cli.command("close")
def campaign_close(
    ctx: typer.Context,
    campaign_id: int,
    force: Annotated[
        bool, typer.Option(help="close before the deadline or with escalated items pending")
    ] = False,
) -> None:
    """Apply the cycle's no-response policy, close, and plan the revocations it decided."""
    actor, engine, clock = ctx.obj.actor(writes="campaign close"), ctx.obj.engine(), SystemClock()
    with session_scope(engine) as session:
        campaign = session.get(Campaign, campaign_id)
        if campaign is None:
            raise NotFound(f"campaign {campaign_id} does not exist (see `recertify campaign list`)")
        summary = close_campaign(session, campaign, actor=actor, clock=clock, force=force)
    if not summary.closed:
        out.print(
            f"campaign {campaign_id} stays open: {summary.escalated} item(s) escalated to the fallback "
            "reviewer"
        )
        return
    out.print(
        f"campaign {campaign_id} closed: {summary.kept} kept, {summary.revoked} decided revoke and "
        f"{summary.expired} expired (left unchanged by the no-response policy)"
    )
    for reason, count in summary.reasons.items():
        out.print(f"  {count}: {reason}", markup=False)
    plan_and_report(ctx.obj.wiring(), [campaign_id])


@campaign_cli.command("tick")
def campaign_tick(ctx: typer.Context) -> None:
    """Run the scheduler's tick once: close due campaigns, plan and execute revocations."""
    ctx.obj.actor(writes="campaign tick")
    engine = ctx.obj.engine()
    report_tick(*ctx.obj.wiring().tick(lambda: session_scope(engine)))


def report_tick(summary: TickSummary, executed: ExecutionSummary) -> None:
    for campaign_id, closed in summary.closed.items():
        state = "closed" if closed.closed else f"open, {closed.escalated} escalated"
        out.print(f"campaign {campaign_id}: {state}")
    for campaign_id, planned in summary.planned.items():
        count = planned.planned + planned.approved + planned.held
        out.print(f"campaign {campaign_id}: {count} revocation(s) planned")
    if executed.processed:
        outcomes = ", ".join(f"{n} {k}" for k, n in sorted(executed.outcomes.items()))
        out.print(f"outbox ({executed.mode}): {outcomes}")
