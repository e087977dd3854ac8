"""Recertify's composition root and command line.

Only this module wires the parts together: settings → engine → (connectors, bot, scheduler as they arrive)
→ use cases. Every command prints a clear error and exits non-zero on failure; exit status 2 means the
configuration or the arguments are wrong, 1 that the work itself failed.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from reviews import audit
from reviews.clock import SystemClock
from reviews.db import (
    create_db_engine,
    current_revision,
    head_revision,
    require_current_schema,
    session_scope,
)
from reviews.db import upgrade as upgrade_schema
from reviews.errors import ConfigurationError, InvalidArgument, Misconfigured, NotBuiltYet, RecertifyError
from reviews.operations.link_people import link_chat_accounts
from reviews.operations.query_access import AccessRow, effective_access
from reviews.operations.sync_inventory import apply_snapshot, record_failed_sync
from reviews.ports import Connector, StateStore
from reviews.settings import LoadedConfig, config_path, load_settings, missing_secrets
from reviews.state import DatabaseStateStore

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
        _sync_one(name, ctx.obj.config(), engine)
    _link_people(ctx.obj.config(), engine)


def _sync_one(source: Source, config: LoadedConfig, engine: Engine) -> None:
    clock = SystemClock()
    started = clock.now()
    try:
        with _progress(f"sync {source.value}") as report:
            snapshot = _connector(source, config, clock, report, DatabaseStateStore(engine, clock)).snapshot()
    except RecertifyError as exc:
        with session_scope(
            engine
        ) as session:  # the failure is part of the record, and blocks nothing silently
            record_failed_sync(source.value, str(exc), session=session, clock=clock, started_at=started)
        raise
    with session_scope(engine) as session:
        summary = apply_snapshot(snapshot, session=session, clock=clock, started_at=started)
    out.print(
        f"{source.value}: {summary.stores} stores, {summary.principals} principals, {summary.grants} grants "
        f"({summary.opened} opened, {summary.closed} closed, {summary.changed} paths changed); "
        f"sync run {summary.sync_run_id}"
    )
    if summary.unmatched:
        out.print(f"{source.value}: {summary.unmatched} person(s) could not be matched by email (see notes)")
    for note in summary.notes:
        out.print(f"{source.value}: note: {note}")


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


@cycles_cli.command("validate")
def cycles_validate(file: Path) -> None:
    """Validate a review-cycle file without side effects."""
    raise NotBuiltYet("review cycles (they arrive with the review engine)")


@cycles_cli.command("apply")
def cycles_apply(file: Path) -> None:
    """Apply a validated review-cycle file."""
    raise NotBuiltYet("review cycles (they arrive with the review engine)")


@cycles_cli.command("list")
def cycles_list() -> None:
    """List review cycles."""
    raise NotBuiltYet("review cycles (they arrive with the review engine)")


@campaign_cli.command("start")
def campaign_start(cycle: str) -> None:
    """Start a campaign of a cycle now."""
    raise NotBuiltYet("campaigns (they arrive with the review engine)")


@campaign_cli.command("list")
def campaign_list() -> None:
    """List campaigns."""
    raise NotBuiltYet("campaigns (they arrive with the review engine)")


@campaign_cli.command("show")
def campaign_show(campaign_id: int) -> None:
    """Show one campaign."""
    raise NotBuiltYet("campaigns (they arrive with the review engine)")


@campaign_cli.command("close")
def campaign_close(campaign_id: int) -> None:
    """Close a campaign and apply its no-response policy."""
    raise NotBuiltYet("campaigns (they arrive with the review engine)")


@revocations_cli.command("plan")
def revocations_plan() -> None:
    """Plan revocations (always a dry run)."""
    raise NotBuiltYet("enforcement (it arrives with the review engine)")


@revocations_cli.command("approve")
def revocations_approve() -> None:
    """Approve revocations held by the blast-radius limit."""
    raise NotBuiltYet("enforcement (it arrives with the review engine)")


@revocations_cli.command("apply")
def revocations_apply(dry_run: Annotated[bool, typer.Option("--dry-run/--live")] = True) -> None:
    """Apply planned revocations."""
    raise NotBuiltYet("enforcement (it arrives with the review engine)")


@revocations_cli.command("undo")
def revocations_undo(revocation_id: int) -> None:
    """Restore what a revocation removed."""
    raise NotBuiltYet("enforcement (it arrives with the review engine)")


@cli.command("serve")
def serve(
    http: Annotated[int | None, typer.Option(help="serve HTTP on this port instead of Socket Mode")] = None,
    host: Annotated[str, typer.Option(help="address to bind in HTTP mode")] = "127.0.0.1",
) -> None:
    """Run the Slack bot and the scheduler."""
    raise NotBuiltYet("the Slack bot and scheduler")


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
