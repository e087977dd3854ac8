"""Recertify's composition root and command line.

Only this module wires the parts together: settings → engine → (connectors, bot, scheduler as they arrive)
→ use cases. Every command prints a clear error and exits non-zero on failure; exit status 2 means the
configuration or the arguments are wrong, 1 that the work itself failed.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import socket
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Column, Table
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlmodel import Session, select

from reviews import audit
from reviews.actors import SCHEDULER, Actor, cli_operator
from reviews.campaigns.close import close_campaign
from reviews.campaigns.decide import delegate, record_decision
from reviews.campaigns.protection import Protection
from reviews.campaigns.start import start_campaign, start_scheduled
from reviews.campaigns.tick import plan_campaign, run_tick
from reviews.campaigns.triggered import latest_cycles, open_triggered_reviews
from reviews.campaigns.views import list_campaigns, outbox_rows, show_campaign
from reviews.clock import SystemClock
from reviews.db import (
    create_db_engine,
    current_revision,
    head_revision,
    require_current_schema,
    session_scope,
)
from reviews.db import upgrade as upgrade_schema
from reviews.errors import (
    CampaignRefused,
    ConfigurationError,
    InvalidArgument,
    Misconfigured,
    NotBuiltYet,
    NotFound,
    RecertifyError,
)
from reviews.models import Campaign, CampaignStatus, DecidedVia, DecisionOutcome, Person
from reviews.operations.link_people import link_chat_accounts
from reviews.operations.manage_cycles import (
    apply_cycles,
    describe_schedule,
    latest_cycle,
    list_cycles,
    next_start,
    validate_files,
)
from reviews.operations.outbox import approve, execute, undo
from reviews.operations.query_access import AccessRow, effective_access
from reviews.operations.sync_inventory import apply_snapshot, record_failed_sync
from reviews.ports import Connector, StateStore
from reviews.settings import LoadedConfig, config_path, load_settings, missing_secrets
from reviews.state import DatabaseStateStore
from scheduler import JobContext, Leadership, ScheduledJob, build_scheduler

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

cli = typer.Typer(
    help="Access reviews for personal-data stores in AWS and Microsoft Entra ID, decided in Slack.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
config_cli = typer.Typer(help="Check the configuration.", no_args_is_help=True)
db_cli = typer.Typer(help="Database schema.", no_args_is_help=True)
audit_cli = typer.Typer(help="The tamper-evident history.", no_args_is_help=True)
cycles_cli = typer.Typer(help="Review cycles as code.", no_args_is_help=True)
campaign_cli = typer.Typer(help="Campaigns: one run of a review cycle.", no_args_is_help=True)
revocations_cli = typer.Typer(help="Enforcement: plan, approve, apply, undo.", no_args_is_help=True)
permissions_cli = typer.Typer(
    help="The bot's own least-privilege permissions, ready to paste.", no_args_is_help=True
)
for name, group in (
    ("permissions", permissions_cli),
    ("config", config_cli),
    ("db", db_cli),
    ("audit", audit_cli),
    ("cycles", cycles_cli),
    ("campaign", campaign_cli),
    ("revocations", revocations_cli),
):
    cli.add_typer(group, name=name)


@dataclass
class Context:
    """What one command needs, built on first use and closed when the command ends."""

    config_file: Path | None
    _config: LoadedConfig | None = None
    _engine: Engine | None = None

    def config(self) -> LoadedConfig:
        if self._config is None:
            self._config = load_settings(config_path(self.config_file, os.environ))
        return self._config

    def engine(self, *, require_schema: bool = True) -> Engine:
        if self._engine is None:
            self._engine = create_db_engine(self.config().settings.database.url)
        if require_schema:
            require_current_schema(self._engine)
        return self._engine

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()


@cli.callback()
def _root(
    ctx: typer.Context,
    config: Annotated[
        Path | None, typer.Option("--config", help="recertify.toml (or RECERTIFY_CONFIG)")
    ] = None,
) -> None:
    ctx.obj = Context(config)
    ctx.call_on_close(ctx.obj.close)


# --- config -------------------------------------------------------------------------------------------------


@config_cli.command("check")
def config_check(ctx: typer.Context) -> None:
    """Validate the configuration and print it as TOML, secrets masked, each key with where it came from."""
    loaded: LoadedConfig = ctx.obj.config()
    values = loaded.settings.model_dump()
    values["database"]["url"] = make_url(values["database"]["url"]).render_as_string(hide_password=True)
    lines = [f"# effective configuration ({loaded.path or 'no file: defaults and environment'})"]
    for section, keys in values.items():
        lines.append(f"\n[{section}]")
        lines += [
            f"{key} = {json.dumps(value)}  # {loaded.origins[f'{section}.{key}']}"
            for key, value in keys.items()
        ]
    lines.append("\n# secrets, from the environment only")
    for name, field in type(loaded.secrets).model_fields.items():
        lines.append(
            f"# {field.alias or name}: {'set (hidden)' if getattr(loaded.secrets, name) else 'not set'}"
        )
    sys.stdout.write("\n".join(lines) + "\n")
    problems = missing_secrets(loaded)
    if problems:
        raise ConfigurationError(problems)
    out.print("configuration is valid")


class AwsRole(StrEnum):
    read = "read"
    write = "write"


@permissions_cli.command("aws")
def permissions_aws(ctx: typer.Context, role: AwsRole) -> None:
    """The IAM policy of the read role (every account) or the write role (live revocation only)."""
    from connectors.aws.permissions import read_policy, write_policy

    aws = ctx.obj.config().settings.aws
    document = (
        read_policy(aws.read_role) if role is AwsRole.read else write_policy(aws.read_role, aws.write_role)
    )
    sys.stdout.write(json.dumps(document, indent=2) + "\n")


@permissions_cli.command("entra")
def permissions_entra() -> None:
    """The Microsoft Graph application permissions of the app registration, by purpose."""
    from connectors.entra.permissions import all_permissions

    for side, purposes in all_permissions().items():
        for purpose, permissions in purposes.items():
            sys.stdout.write(f"{side}\t{', '.join(permissions)}\t{purpose}\n")


# --- db -----------------------------------------------------------------------------------------------------


@db_cli.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Create or migrate the schema (SQLite and PostgreSQL)."""
    engine = ctx.obj.engine(require_schema=False)
    upgrade_schema(engine)
    out.print(
        f"database {engine.url.render_as_string(hide_password=True)} is at schema {current_revision(engine)}"
    )


@db_cli.command("current")
def db_current(ctx: typer.Context) -> None:
    """Print the schema revision of the database and the one this version needs."""
    engine = ctx.obj.engine(require_schema=False)
    out.print(f"database: {current_revision(engine) or 'empty'}; this version needs: {head_revision()}")


# --- audit --------------------------------------------------------------------------------------------------


@audit_cli.command("verify")
def audit_verify(
    ctx: typer.Context,
    expect_head: Annotated[str | None, typer.Option(help="a head saved earlier, SEQ:HASH or HASH")] = None,
) -> None:
    """Walk the hash chain; exit 1 naming the first bad sequence number."""
    with session_scope(ctx.obj.engine()) as session:
        head = audit.verify(session, expect_head=expect_head)
    out.print(f"audit chain intact: {head.seq} events; head {head}")


@audit_cli.command("history")
def audit_history() -> None:
    """History by store, principal, person, campaign and time range."""
    raise NotBuiltYet("audit history (it arrives with the evidence release)")


@audit_cli.command("export")
def audit_export(campaign: str) -> None:
    """Evidence export of one campaign."""
    raise NotBuiltYet("campaign evidence export (it arrives with the evidence release)")


# --- access -------------------------------------------------------------------------------------------------


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


@cli.command("access")
def access(
    ctx: typer.Context,
    store: Annotated[str | None, typer.Option(help="store ARN, object id or name")] = None,
    principal: Annotated[str | None, typer.Option(help="principal ARN, object id, name or email")] = None,
    at: Annotated[str | None, typer.Option(help="YYYY-MM-DD (the whole UTC day) or an ISO time")] = None,
    format: Annotated[Format, typer.Option("--format")] = Format.table,  # noqa: A002
) -> None:
    """Effective access, now or at a past date, from the last applied syncs."""
    start, end = _moment(at)
    with session_scope(ctx.obj.engine()) as session:
        rows = effective_access(session=session, start=start, end=end, store=store, principal=principal)
    if format is Format.json:
        sys.stdout.write(json.dumps([row.as_json() for row in rows], indent=2) + "\n")
    elif format is Format.csv:
        _write_csv(rows)
    else:
        table = Table("store", "principal", "access", "path", "conditional", "last used")
        for row in rows:
            table.add_row(
                row.store["name"],
                row.principal["name"],
                row.access,
                " → ".join(row.path),
                "yes" if row.conditional else "",
                row.last_used or "unknown",
            )
        out.print(table)


def _moment(at: str | None) -> tuple[datetime, datetime]:
    """A date means the whole UTC day (anyone who could read at any time that day); a time is a point."""
    if at is None:
        now = SystemClock().now()
        return now, now + timedelta(microseconds=1)
    try:
        if len(at) == 10:
            day = date.fromisoformat(at)
            start = datetime.combine(day, time(), tzinfo=UTC)
            return start, start + timedelta(days=1)
        moment = datetime.fromisoformat(at)
    except ValueError:
        raise InvalidArgument(f"--at {at!r}: expected YYYY-MM-DD or an ISO 8601 time") from None
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment, moment + timedelta(microseconds=1)


def _write_csv(rows: list[AccessRow]) -> None:
    writer = csv.writer(sys.stdout)
    writer.writerow(
        [
            "store_id",
            "store_name",
            "system",
            "kind",
            "owner",
            "principal_id",
            "principal_type",
            "principal_name",
            "email",
            "access",
            "path",
            "conditional",
            "last_used",
        ]
    )
    for row in rows:
        writer.writerow(
            [
                _cell(v)
                for v in (
                    row.store["id"],
                    row.store["name"],
                    row.store["system"],
                    row.store["kind"],
                    row.store["owner"],
                    row.principal["id"],
                    row.principal["type"],
                    row.principal["name"],
                    row.principal["email"],
                    row.access,
                    " > ".join(row.path),
                    row.conditional,
                    row.last_used,
                )
            ]
        )


def _cell(value: object) -> str:
    """Neutralise spreadsheet formulas: a cell starting with = + - @ is read as text."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


# --- capabilities later releases bring ----------------------------------------------------------------------


class Source(StrEnum):
    aws = "aws"
    entra = "entra"


@cli.command("sync")
def sync(
    ctx: typer.Context,
    source: Annotated[Source | None, typer.Option(help="one source (default: every enabled one)")] = None,
    accept_drop: Annotated[
        bool, typer.Option("--accept-drop", help="apply a population that fell sharply (an admin checked it)")
    ] = False,
) -> None:
    """Read the sources and apply their snapshots; print counts."""
    settings = ctx.obj.config().settings
    chosen = [source] if source else [s for s in Source if getattr(settings, s.value).enabled]
    if not chosen:
        raise Misconfigured("no source is enabled: set aws.enabled or entra.enabled")
    for name in chosen:  # every source checked before anything is read or written
        if not getattr(settings, name.value).enabled:
            raise Misconfigured(
                f"{name.value} is disabled in the configuration ({name.value}.enabled = false)"
            )
        lacking = [p for p in missing_secrets(ctx.obj.config()) if p.startswith(name.value)]
        if lacking:
            raise ConfigurationError(lacking)
    engine = ctx.obj.engine()
    for name in chosen:
        _sync_one(name, ctx.obj.config(), engine, accept_drop=accept_drop)
    _link_people(ctx.obj.config(), engine)


def _sync_one(source: Source, config: LoadedConfig, engine: Engine, *, accept_drop: bool) -> None:
    clock = SystemClock()
    started = clock.now()
    max_drop = None if accept_drop else config.settings.enforcement.max_population_drop
    try:
        with _progress(f"sync {source.value}") as report:
            snapshot = _connector(source, config, clock, report, DatabaseStateStore(engine, clock)).snapshot()
        with session_scope(engine) as session:
            summary = apply_snapshot(
                snapshot, session=session, clock=clock, started_at=started, max_drop=max_drop
            )
    except RecertifyError as exc:
        # The failure is part of the record, and it stops campaigns and revocations for this source.
        with session_scope(engine) as session:
            record_failed_sync(source.value, str(exc), session=session, clock=clock, started_at=started)
        raise
    out.print(
        f"{source.value}: {summary.stores} stores, {summary.principals} principals, {summary.grants} grants "
        f"({summary.opened} opened, {summary.closed} closed, {summary.changed} paths changed); "
        f"sync run {summary.sync_run_id}"
    )
    if summary.unmatched:
        out.print(f"{source.value}: {summary.unmatched} person(s) could not be matched by email (see notes)")
    for note in summary.notes:
        out.print(f"{source.value}: note: {note}")
    with session_scope(engine) as session:
        opened = open_triggered_reviews(
            session, summary.sync_run_id, clock=clock, protection=_protection(config)
        )
    if opened:
        out.print(f"{source.value}: {len(opened)} new grant(s) opened a one-item review")


def _link_people(config: LoadedConfig, engine: Engine) -> None:
    """Bind people to Slack accounts by email, a bounded number of lookups per sync, committed in batches."""
    slack, token = config.settings.slack, config.secrets.slack_bot_token
    if not slack.enabled:
        return
    if token is None:
        out.print("people: not linked to Slack (SLACK_BOT_TOKEN is not set)")
        return
    from bot.directory import SlackDirectory, slack_client

    directory = SlackDirectory(slack_client(token.get_secret_value(), slack.api_url))
    clock, budget, totals = SystemClock(), slack.lookups_per_sync, Counter[str]()
    remaining = 0
    while budget > 0:
        with session_scope(engine) as session:
            summary = link_chat_accounts(
                session=session,
                directory=directory,
                clock=clock,
                max_age=timedelta(days=slack.people_refresh_days),
                limit=min(50, budget),
            )
        totals.update(
            checked=summary.checked,
            linked=summary.linked,
            not_found=summary.not_found,
            unlinked=summary.unlinked,
        )
        for conflict in summary.conflicts:
            out.print(f"people: not linked: {conflict}")
        budget, remaining = budget - summary.checked, summary.remaining
        if summary.checked == 0 or remaining == 0:
            break
    out.print(
        f"people: {totals['checked']} looked up in Slack, {totals['linked']} linked, "
        f"{totals['not_found']} not found, {totals['unlinked']} unlinked (deleted accounts); "
        f"{remaining} due at the next sync"
    )


def _connector(
    source: Source,
    config: LoadedConfig,
    clock: SystemClock,
    progress: Callable[[str], None],
    state: StateStore,
) -> Connector:
    # Imported on use: boto3, msgraph and the IAM catalogue are heavy, and most commands need none of them.
    if source is Source.aws:
        from connectors.aws.connector import AwsConnector

        return AwsConnector(config.settings.aws, clock=clock, progress=progress)
    from connectors.entra.connector import EntraConnector

    return EntraConnector(config.settings.entra, config.secrets, clock=clock, state=state, progress=progress)


@contextmanager
def _progress(title: str) -> Iterator[Callable[[str], None]]:
    """A spinner with the current step on a terminal; silent when piped (the counts still print)."""
    if not err.is_terminal:
        yield lambda _message: None
        return
    with err.status(title) as status:
        yield lambda message: status.update(f"{title}: {message}")


CycleFiles = Annotated[
    list[Path], typer.Argument(help="YAML or TOML cycle files, or directories of them", show_default=False)
]


@cycles_cli.command("validate")
def cycles_validate(files: CycleFiles) -> None:
    """Validate review-cycle files without side effects; exit 2 naming each problem's file and line."""
    now = SystemClock().now()
    for definition in validate_files(files):
        fire = next_start(definition, now)
        when = f"next start {fire:%Y-%m-%d %H:%M %Z}" if fire else "no scheduled start"
        out.print(f"ok: {definition.name} — schedule {describe_schedule(definition)}, {when}", markup=False)


@cycles_cli.command("apply")
def cycles_apply(ctx: typer.Context, files: CycleFiles) -> None:
    """Validate every file, then store a new version of each changed cycle (all or nothing)."""
    definitions = validate_files(files)  # an invalid file stops everything before the database is opened
    with session_scope(ctx.obj.engine()) as session:
        results = apply_cycles(session, definitions, actor=cli_operator(), clock=SystemClock())
    for result in results:
        out.print(f"{result.outcome}: {result.name} version {result.version} (sha256 {result.sha256[:12]})")


class ListFormat(StrEnum):
    table = "table"
    json = "json"


@cycles_cli.command("list")
def cycles_list(
    ctx: typer.Context,
    format: Annotated[ListFormat, typer.Option("--format")] = ListFormat.table,  # noqa: A002
) -> None:
    """The version of each review cycle in force, with its schedule and next start."""
    with session_scope(ctx.obj.engine()) as session:
        cycles = list_cycles(session, clock=SystemClock())
    if format is ListFormat.json:
        sys.stdout.write(json.dumps([cycle.as_json() for cycle in cycles], indent=2) + "\n")
        return
    # Names and times stay whole on a narrow or piped console; who applied each and when: --format json.
    table = Table(Column("cycle", no_wrap=True), "version", "schedule", Column("next start", no_wrap=True))
    for cycle in cycles:
        fire = f"{cycle.next_start:%Y-%m-%d %H:%M %Z}" if cycle.next_start else ""
        table.add_row(cycle.name, str(cycle.version), cycle.schedule, fire)
    out.print(table)


def _protection(config: LoadedConfig) -> Protection:
    """The configured protected principals plus the bot's own identities (its AWS roles, its Entra app)."""
    settings = config.settings
    own = (settings.entra.client_id,) if settings.entra.client_id else ()
    patterns = [*settings.enforcement.protected_names, settings.aws.read_role, settings.aws.write_role]
    return Protection.of(settings.enforcement.protected, patterns, own)


@campaign_cli.command("start")
def campaign_start(ctx: typer.Context, cycle: str) -> None:
    """Start a campaign of CYCLE now: freeze the population and assign reviewers."""
    with session_scope(ctx.obj.engine()) as session:
        row, definition = latest_cycle(session, cycle)
        started = start_campaign(
            session,
            row,
            definition,
            actor=cli_operator(),
            clock=SystemClock(),
            protection=_protection(ctx.obj.config()),
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
    """Campaigns with their items by status."""
    with session_scope(ctx.obj.engine()) as session:
        campaigns = list_campaigns(session, status=status)
    if format is ListFormat.json:
        sys.stdout.write(json.dumps([c.as_json() for c in campaigns], indent=2) + "\n")
        return
    table = Table(
        "id", Column("cycle", no_wrap=True), "period", "kind", "status", Column("due", no_wrap=True), "items"
    )
    for c in campaigns:
        items = ", ".join(f"{count} {status}" for status, count in c.items.items()) or "none"
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
    table = Table(
        "item", "store", "holder", "access", "recommendation", "reviewer", "stage", "status", "revocation"
    )
    for line in lines:
        view = line.view
        advice = f"{view.recommendation or '-'}: {view.recommendation_reason}"
        table.add_row(
            str(view.item_id),
            view.store,
            view.holder,
            view.access,
            advice,
            line.reviewer or "-",
            str(line.stage),
            view.status,
            line.revocation or line.human_review_reason or "",
        )
    out.print(table)


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
    engine = ctx.obj.engine()
    with session_scope(engine) as session:
        actor = Actor(
            f"{cli_operator().id}:as:{reviewer.strip().lower()}", person_id=_person_id(session, reviewer)
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
    """Hand every item of a reviewer to someone else for a period (recorded; the reviewer keeps theirs)."""
    clock = SystemClock()
    with session_scope(ctx.obj.engine()) as session:
        now = clock.now()
        row = delegate(
            session,
            person_id=_person_id(session, reviewer),
            delegate_person_id=_person_id(session, delegate_to),
            valid_from=now,
            valid_to=now + timedelta(days=days),
            actor=cli_operator(),
            clock=clock,
        )
    out.print(f"{delegate_to} decides for {reviewer} until {row.valid_to:%Y-%m-%d %H:%M} UTC")


def _person_id(session: Session, email: str) -> int:
    person = session.exec(select(Person).where(Person.email == email.strip().lower())).first()
    if person is None or person.id is None:
        raise NotFound(f"no person with email {email!r} (people come from syncs and campaigns)")
    return person.id


@campaign_cli.command("close")
def campaign_close(
    ctx: typer.Context,
    campaign_id: int,
    force: Annotated[
        bool, typer.Option(help="close before the deadline or with escalated items pending")
    ] = False,
) -> None:
    """Apply the cycle's no-response policy, close, and plan the revocations it decided."""
    config, engine, clock = ctx.obj.config(), ctx.obj.engine(), SystemClock()
    with session_scope(engine) as session:
        campaign = session.get(Campaign, campaign_id)
        if campaign is None:
            raise NotFound(f"campaign {campaign_id} does not exist (see `recertify campaign list`)")
        summary = close_campaign(session, campaign, actor=cli_operator(), clock=clock, force=force)
    if not summary.closed:
        out.print(
            f"campaign {campaign_id} stays open: {summary.escalated} item(s) escalated to the fallback "
            "reviewer"
        )
        return
    out.print(
        f"campaign {campaign_id} closed: {summary.kept} kept, {summary.revoked} revoked and "
        f"{summary.expired} left unchanged by the no-response policy"
    )
    for reason, count in summary.reasons.items():
        out.print(f"  {count}: {reason}", markup=False)
    _plan(config, engine, clock, [campaign_id])


def _connectors(config: LoadedConfig, engine: Engine, clock: SystemClock) -> dict[str, Connector]:
    """A connector per enabled source; built lazily by the connectors themselves (no I/O until used)."""
    state = DatabaseStateStore(engine, clock)
    return {
        source.value: _connector(source, config, clock, lambda _message: None, state)
        for source in Source
        if getattr(config.settings, source.value).enabled
    }


def _plan(config: LoadedConfig, engine: Engine, clock: SystemClock, campaign_ids: list[int]) -> None:
    connectors = _connectors(config, engine, clock)
    for campaign_id in campaign_ids:
        with session_scope(engine) as session:
            summary = plan_campaign(
                session,
                campaign_id,
                connectors,
                settings=config.settings.enforcement,
                protection=_protection(config),
                clock=clock,
            )
        out.print(
            f"campaign {campaign_id}: {summary.planned} planned (awaiting approval), "
            f"{summary.approved} approved by the cycle, {summary.held} held by the blast-radius limit, "
            f"{summary.needs_human_review} need a person, {summary.already_absent} already absent, "
            f"{summary.waiting} waiting"
        )
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
    engine, clock = ctx.obj.engine(), SystemClock()
    with session_scope(engine) as session:
        query = select(Campaign.id).where(Campaign.status == CampaignStatus.CLOSED)
        if campaign is not None:
            query = query.where(Campaign.id == campaign)
        ids = [campaign_id for campaign_id in session.exec(query).all() if campaign_id is not None]
    if campaign is not None and not ids:
        raise InvalidArgument(f"campaign {campaign} is not closed (or does not exist): close it first")
    _plan(ctx.obj.config(), engine, clock, ids)
    _print_outbox(engine, campaign)


def _print_outbox(engine: Engine, campaign: int | None) -> None:
    with session_scope(engine) as session:
        rows = outbox_rows(session, campaign_id=campaign)
    table = Table("id", "campaign", "state", "action", "note")
    for row in rows:
        note = (
            row.hold_reason
            or row.last_error
            or (f"dry run: {row.dry_run_result}" if row.dry_run_result else "")
        )
        table.add_row(
            str(row.id), str(row.campaign_id or ""), row.state, row.action.get("description", ""), note
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
    """Approve planned revocations, including those held by the blast-radius limit."""
    with session_scope(ctx.obj.engine()) as session:
        approved = approve(
            session, ids or None, campaign_id=campaign, actor=cli_operator(), clock=SystemClock()
        )
    out.print(f"approved {len(approved)} revocation(s): {', '.join(map(str, approved)) or 'none'}")


@revocations_cli.command("apply")
def revocations_apply(
    ctx: typer.Context,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="report only, even when enforcement is live")
    ] = False,
) -> None:
    """Execute approved revocations: live only when `[enforcement] mode = "live"`, otherwise a dry run."""
    config, engine, clock = ctx.obj.config(), ctx.obj.engine(), SystemClock()
    settings = config.settings.enforcement
    if dry_run:
        settings = settings.model_copy(update={"mode": "dry-run"})
    summary = execute(
        engine, _connectors(config, engine, clock), settings=settings, clock=clock, worker=_worker_name()
    )
    done = ", ".join(f"{count} {state}" for state, count in sorted(summary.outcomes.items())) or "nothing due"
    out.print(f"{summary.mode}: {done}")
    for reason, count in summary.blocked.items():
        out.print(f"  waiting ({count}): {reason}", markup=False)


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@revocations_cli.command("undo")
def revocations_undo(ctx: typer.Context, revocation_id: int) -> None:
    """Restore an applied revocation from its recorded inverse."""
    config, engine, clock = ctx.obj.config(), ctx.obj.engine(), SystemClock()
    result = undo(
        engine,
        revocation_id,
        _connectors(config, engine, clock),
        actor=cli_operator(),
        clock=clock,
        settings=config.settings.enforcement,
    )
    mode = "dry run: would restore" if result.dry_run else "restored"
    out.print(f"revocation {result.revocation_id}: {mode} ({result.result})")


# --- the scheduler: `serve` runs it; `campaign tick` runs one tick by hand ---------------------------------

TICK_EVERY = timedelta(minutes=5)
MISFIRE_GRACE = timedelta(hours=6)  # a start missed while no replica ran is made up this late, and no later


@dataclass(frozen=True)
class Services:
    """What scheduled jobs receive from the composition root (JobContext.services)."""

    config: LoadedConfig


def scheduled_jobs(engine: Engine) -> list[ScheduledJob]:
    """One job per scheduled cycle (its cron, its zone) and the tick."""
    with session_scope(engine) as session:
        cycles = latest_cycles(session)
    jobs = [
        ScheduledJob(
            id=f"cycle:{row.name}", target="app:scheduled_cycle", kwargs={"cycle": row.name}, cron=d.schedule
        )
        for row, d in cycles
        if d.schedule is not None
    ]
    return [*jobs, ScheduledJob(id="tick", target="app:scheduled_tick", every=TICK_EVERY)]


def scheduled_cycle(context: JobContext, /, *, cycle: str) -> None:
    """A cycle's start: idempotent by period; a refusal (stale or failed sync) is recorded, not retried."""
    config, clock = context.services.config, SystemClock()
    try:
        with context.fenced_session() as session:
            row, definition = latest_cycle(session, cycle)
            start_scheduled(
                session,
                row,
                definition,
                actor=SCHEDULER,
                clock=clock,
                protection=_protection(config),
                grace=MISFIRE_GRACE,
            )
    except CampaignRefused as exc:
        with context.fenced_session() as session:
            audit.append(
                session,
                audit.NewEvent(SCHEDULER.id, "campaign.refused", f"cycle:{cycle}", {"reason": str(exc)}),
                clock=clock,
            )
        err.print(f"scheduler: {exc}", markup=False)


def scheduled_tick(context: JobContext, /) -> None:
    """Remind, escalate, close what is due, plan, execute the outbox. Slack delivery arrives with the bot;
    until then no notifier is wired, so nothing is delivered and silence never revokes (DESIGN §3.7)."""
    _tick(context.services.config, context.engine, context.fenced_session)


def _tick(config: LoadedConfig, engine: Engine, unit_of_work: Callable[[], Any]) -> None:
    clock = SystemClock()
    connectors = _connectors(config, engine, clock)
    summary = run_tick(
        unit_of_work,
        notifier=None,
        connectors=connectors,
        settings=config.settings.enforcement,
        protection=_protection(config),
        actor=SCHEDULER,
        clock=clock,
    )
    executed = execute(
        engine, connectors, settings=config.settings.enforcement, clock=clock, worker=_worker_name()
    )
    for campaign_id, closed in summary.closed.items():
        state = "closed" if closed.closed else f"open, {closed.escalated} escalated"
        out.print(f"campaign {campaign_id}: {state}")
    for campaign_id, planned in summary.planned.items():
        out.print(
            f"campaign {campaign_id}: {planned.planned + planned.approved + planned.held} "
            "revocation(s) planned"
        )
    if executed.processed:
        out.print(
            f"outbox ({executed.mode}): "
            + ", ".join(f"{n} {k}" for k, n in sorted(executed.outcomes.items()))
        )


@campaign_cli.command("tick")
def campaign_tick(ctx: typer.Context) -> None:
    """Run the scheduler's tick once: close due campaigns, plan and execute revocations."""
    engine = ctx.obj.engine()
    _tick(ctx.obj.config(), engine, lambda: session_scope(engine))


@cli.command("serve")
def serve(
    ctx: typer.Context,
    http: Annotated[int | None, typer.Option(help="serve HTTP on this port instead of Socket Mode")] = None,
    host: Annotated[str, typer.Option(help="address to bind in HTTP mode")] = "127.0.0.1",
) -> None:
    """Run the scheduler (and, in a later version, the Slack bot). One replica schedules at a time."""
    if http is not None:
        raise NotBuiltYet("the Slack bot (HTTP mode)")
    engine = ctx.obj.engine()
    leadership = Leadership(engine, holder=_worker_name())
    clock = build_scheduler(
        engine,
        jobs=scheduled_jobs(engine),
        leadership=leadership,
        misfire_grace=MISFIRE_GRACE,
        services=Services(ctx.obj.config()),
    )
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    clock.start()
    out.print(
        f"scheduler started ({'leading' if clock.leading else 'standing by'}); the Slack bot is not built yet"
    )
    stop.wait()
    clock.shutdown()


@cli.command("demo")
def demo() -> None:
    """The whole loop on local simulators and SQLite."""
    raise NotBuiltYet(
        "the demo (it arrives with the review engine; until then `recertify db upgrade` and "
        "`recertify audit verify` show the data layer and the audit chain)"
    )


def main() -> None:
    try:
        cli()
    except ConfigurationError as exc:
        err.print(f"error: {exc}", markup=False)
        raise SystemExit(2) from None
    except InvalidArgument as exc:
        err.print(f"error: {exc}", markup=False)
        raise SystemExit(2) from None
    except RecertifyError as exc:
        err.print(f"error: {exc}", markup=False)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
