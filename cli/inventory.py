"""Reading the sources (`sync`); `cli.access` answers who can access what."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer

from cli.common import out, progress
from cli.context import Services
from config import missing_secrets
from reviews.campaigns.survival import open_survival_reviews
from reviews.campaigns.triggered import open_triggered_reviews
from reviews.clock import SystemClock
from reviews.entitlements import System
from reviews.errors import ConfigurationError, Misconfigured
from reviews.inventory.sync import sync_source
from reviews.people.link import link_in_batches
from reviews.storage.db import session_scope


def sync(
    ctx: typer.Context,
    source: Annotated[System | None, typer.Option(help="one source (default: every enabled one)")] = None,
    accept_drop: Annotated[
        bool, typer.Option("--accept-drop", help="apply a population that fell sharply (an admin checked it)")
    ] = False,
    full: Annotated[
        bool,
        typer.Option(
            "--full",
            help=(
                "Entra: discard the stored delta links and read the whole directory (AWS and Azure always do)"
            ),
        ),
    ] = False,
) -> None:
    """Read the sources and apply their snapshots; print counts."""
    ctx.obj.actor(writes="sync")
    settings = ctx.obj.config().settings
    chosen = [source] if source else [s for s in System if getattr(settings, s.value).enabled]
    if not chosen:
        raise Misconfigured("no source is enabled: set aws.enabled, entra.enabled or azure.enabled")
    for name in chosen:  # every source checked before anything is read or written
        if not getattr(settings, name.value).enabled:
            raise Misconfigured(
                f"{name.value} is disabled in the configuration ({name.value}.enabled = false)"
            )
        lacking = [p for p in missing_secrets(ctx.obj.config()) if p.startswith(name.value)]
        if lacking:
            raise ConfigurationError(lacking)
    wiring = ctx.obj.wiring()
    for name in chosen:
        _sync_one(name, wiring, accept_drop=accept_drop, full=full)
    _link_people(wiring)


def _sync_one(source: System, wiring: Services, *, accept_drop: bool, full: bool) -> None:
    engine, clock = wiring.engine, SystemClock()
    max_drop = None if accept_drop else wiring.config.settings.enforcement.max_population_drop
    with progress(f"sync {source.value}") as report:
        summary = sync_source(
            source.value,
            wiring.snapshot_reader(source.value, clock, report, full=full),
            engine=engine,
            clock=clock,
            max_drop=max_drop,
        )
    out.print(
        f"{source.value}: {summary.stores} stores, {summary.principals} principals, {summary.grants} grants "
        f"({summary.opened} opened, {summary.closed} closed, {summary.changed} paths changed); "
        f"sync run {summary.sync_run_id}"
    )
    if summary.throttled:
        out.print(f"{source.value}: throttled {summary.throttled} time(s), each waited out and retried")
    if summary.unmatched:
        out.print(f"{source.value}: {summary.unmatched} person(s) could not be matched by email (see notes)")
    for note in summary.notes:
        out.print(f"{source.value}: note: {note}")
    if summary.revocations_verified or summary.revocations_survived:
        out.print(
            f"{source.value}: revocations: {summary.revocations_verified} verified (the access is gone), "
            f"{summary.revocations_survived} survived (still reached by another path)"
        )
    with session_scope(engine) as session:
        protection = wiring.protection()
        opened = open_triggered_reviews(session, summary.sync_run_id, clock=clock, protection=protection)
        again = open_survival_reviews(session, summary.sync_run_id, clock=clock, protection=protection)
    if opened:
        out.print(f"{source.value}: {len(opened)} new grant(s) opened a one-item review")
    if again:
        out.print(
            f"{source.value}: {len(again)} survived revocation(s) opened a review of the surviving path"
        )


def _link_people(wiring: Services) -> None:
    """Bind people to Slack accounts by email, a bounded number of lookups per sync, committed in batches."""
    slack, engine = wiring.config.settings.slack, wiring.engine
    directory = wiring.chat_directory()
    if isinstance(directory, str):
        if slack.enabled:
            out.print(f"people: not linked to Slack ({directory})")
        return
    summary = link_in_batches(
        lambda: session_scope(engine),
        directory=directory,
        clock=SystemClock(),
        max_age=timedelta(days=slack.people_refresh_days),
        budget=slack.lookups_per_sync,
    )
    for conflict in summary.conflicts:
        out.print(f"people: not linked: {conflict}")
    out.print(
        f"people: {summary.checked} looked up in Slack, {summary.linked} linked, "
        f"{summary.not_found} not found, {summary.unlinked} unlinked (deleted accounts); "
        f"{summary.remaining} due at the next sync"
    )
