"""Configuration, schema, audit chain and the bot's own permissions."""

from __future__ import annotations

import json
import sys
from datetime import UTC, date, datetime, time
from enum import StrEnum
from functools import partial
from typing import Annotated

import typer
from sqlalchemy.engine import make_url

from cli.common import out
from config import LoadedConfig, missing_secrets
from reviews import audit
from reviews.audit import checkpoints, retention
from reviews.clock import SystemClock
from reviews.errors import (
    ConfigurationError,
    InvalidArgument,
)
from reviews.storage.db import (
    current_revision,
    head_revision,
    session_scope,
)
from reviews.storage.db import upgrade as upgrade_schema

config_cli = typer.Typer(help="Check the configuration.", no_args_is_help=True)


db_cli = typer.Typer(help="Database schema.", no_args_is_help=True)


audit_cli = typer.Typer(help="The tamper-evident history.", no_args_is_help=True)


permissions_cli = typer.Typer(
    help="The bot's own least-privilege permissions, ready to paste.", no_args_is_help=True
)


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
    checkpoint = "checkpoint"
    trust = "trust"


class AzureRole(StrEnum):
    read = "read"
    write = "write"  # revocation: delete (and, to undo, recreate) role assignments


@permissions_cli.command("aws")
def permissions_aws(
    ctx: typer.Context,
    role: AwsRole,
    principal: Annotated[
        str | None,
        typer.Option(help="trust: the ARN of the role (or user) Recertify runs as, e.g. its ECS task role"),
    ] = None,
) -> None:
    """The IAM policy of the read role (every account), the write role (live revocation only), or of the
    identity `serve` writes audit checkpoints as (the configured [audit] checkpoint_bucket and prefix); `trust
    --principal ARN`: the trust policy of the read and write roles (who may assume them)."""
    from connectors.aws.permissions import checkpoint_policy, read_policy, trust_policy, write_policy

    settings = ctx.obj.config().settings
    aws, audit_settings = settings.aws, settings.audit
    if (principal is not None) != (role is AwsRole.trust):
        raise InvalidArgument("--principal ARN goes with `permissions aws trust`, and only with it")
    if role is AwsRole.trust:
        assert principal is not None  # noqa: S101  (checked just above)
        try:
            document = trust_policy(principal)
        except ValueError as exc:
            raise InvalidArgument(f"--principal: {exc}") from None
    elif role is AwsRole.checkpoint:
        bucket, prefix = audit_settings.checkpoint_bucket, audit_settings.checkpoint_prefix
        document = checkpoint_policy(bucket, prefix) if bucket else checkpoint_policy()  # else the template
    elif role is AwsRole.read:
        document = read_policy(aws.read_role)
    else:
        document = write_policy(aws.read_role, aws.write_role)
    sys.stdout.write(json.dumps(document, indent=2) + "\n")


@permissions_cli.command("entra")
def permissions_entra() -> None:
    """The Microsoft Graph application permissions of the app registration, by purpose."""
    from connectors.entra.permissions import all_permissions

    for side, purposes in all_permissions().items():
        for purpose, permissions in purposes.items():
            sys.stdout.write(f"{side}\t{', '.join(permissions)}\t{purpose}\n")


@permissions_cli.command("azure")
def permissions_azure(
    role: Annotated[
        AzureRole,
        typer.Argument(help="read: the role the Azure source reads with; write: the one it revokes with"),
    ],
    scope: Annotated[
        list[str] | None,
        typer.Option(help="an assignable scope (repeatable): /subscriptions/ID or a management group's id"),
    ] = None,
) -> None:
    """The custom role definition of the Azure read or write role (`az role definition create
    --role-definition`); without --scope its assignable scope is a placeholder subscription to replace."""
    from connectors.azure.permissions import read_role, write_role

    for value in scope or []:
        if not value.startswith(("/subscriptions/", "/providers/Microsoft.Management/managementGroups/")):
            raise InvalidArgument(
                f"--scope {value!r}: expected /subscriptions/ID or "
                "/providers/Microsoft.Management/managementGroups/ID"
            )
    make = read_role if role is AzureRole.read else write_role
    sys.stdout.write(json.dumps(make(list(scope or [])), indent=2) + "\n")


@db_cli.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Create or migrate the schema (SQLite and PostgreSQL)."""
    ctx.obj.actor(writes="db upgrade")
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


@audit_cli.command("verify")
def audit_verify(
    ctx: typer.Context,
    expect_head: Annotated[str | None, typer.Option(help="a head saved earlier, SEQ:HASH or HASH")] = None,
) -> None:
    """Walk the hash chain from its base, then check every checkpoint (the database's, and the write-once
    copies when audit.checkpoint_bucket is set) is in it; exit 1 naming the first bad sequence number."""
    sink = ctx.obj.wiring().checkpoint_sink()
    with session_scope(ctx.obj.engine()) as session:
        head = audit.verify(session, expect_head=expect_head)
        base = audit.base(session)
        report = checkpoints.verify_checkpoints(session, sink)
    out.print(f"audit chain intact: {head.seq - base.seq} events; head {head}", markup=False)
    if base.seq:
        out.print(f"events 1..{base.seq} were purged; the chain starts after {base}", markup=False)
    copies = "" if report.write_once is None else f", {report.write_once} write-once in {report.location}"
    out.print(f"checkpoints in the chain: {report.in_database} in the database{copies}", markup=False)


@audit_cli.command("checkpoint")
def audit_checkpoint(
    ctx: typer.Context,
    attest_base: Annotated[
        bool,
        typer.Option(
            "--attest-base",
            help="also write the chain's base to the write-once store (configured after a purge)",
        ),
    ] = False,
) -> None:
    """Record the chain's head now (the scheduler does it hourly), and its write-once copy if configured."""
    ctx.obj.actor(writes="audit checkpoint")
    sink = ctx.obj.wiring().checkpoint_sink()
    if attest_base:
        if sink is None:
            raise InvalidArgument("--attest-base needs a write-once store: set [audit] checkpoint_bucket")
        with session_scope(ctx.obj.engine()) as session:
            where = checkpoints.attest_base(session, sink, clock=SystemClock())
        out.print(f"base attested at {where}", markup=False)
    with session_scope(ctx.obj.engine()) as session:
        recorded = checkpoints.record_checkpoint(session, sink, clock=SystemClock())
        last = checkpoints.latest(session)
    if recorded is not None:
        where = f", written to {recorded.written_to}" if recorded.written_to else " (database only)"
        out.print(f"checkpoint {recorded.head} recorded{where}", markup=False)
    elif last is None:
        out.print("nothing to checkpoint: the chain has no events yet")
    else:
        out.print(f"nothing to record: the head has not moved since checkpoint {last.head}", markup=False)


@audit_cli.command("purge")
def audit_purge(
    ctx: typer.Context,
    before: Annotated[
        str | None,
        typer.Option(
            help="purge only events older than this: YYYY-MM-DD (UTC midnight) or an ISO time; "
            "default and latest allowed: now minus audit.retention_months"
        ),
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", help="purge; without it, only say what would go")] = False,
) -> None:
    """Purge events older than the retention (admin): checkpoint first, then delete and record it."""
    actor = ctx.obj.actor(writes="audit purge") if yes else ctx.obj.actor()  # the dry run only reads
    wiring = ctx.obj.wiring()
    months, clock = wiring.config.settings.audit.retention_months, SystemClock()
    cutoff = _moment("--before", before) if before is not None else None
    with session_scope(wiring.engine) as session:
        plan = retention.plan_purge(session, retention_months=months, before=cutoff, clock=clock)
    if plan.through is None:
        out.print(f"nothing to purge: no event before {plan.cutoff.isoformat(timespec='seconds')}")
        return
    assert plan.oldest_at is not None and plan.newest_at is not None  # noqa: S101  (set with through)
    what = (
        f"events {plan.first_seq}..{plan.through.seq} ({plan.count}, from "
        f"{plan.oldest_at.isoformat(timespec='seconds')} to {plan.newest_at.isoformat(timespec='seconds')})"
    )
    if not yes:
        out.print(
            f"would purge {what}, older than {plan.cutoff.isoformat(timespec='seconds')}; "
            "nothing changed (run again with --yes to purge)",
            markup=False,
        )
        return
    sink = wiring.checkpoint_sink()
    unit_of_work = partial(session_scope, wiring.engine)
    done = retention.purge(unit_of_work, plan, sink=sink, actor=actor, clock=clock)
    out.print(f"checkpoint {done.checkpoint} recorded before purging", markup=False)
    out.print(
        f"purged {what}; the chain now starts after {plan.through}; recorded as {audit.PURGED} "
        f"at {done.event.seq}" + (f"; base attested at {done.attested_at}" if done.attested_at else ""),
        markup=False,
    )


def _moment(option: str, value: str) -> datetime:
    """YYYY-MM-DD is that day's start in UTC; an ISO time without an offset is UTC."""
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time(), tzinfo=UTC)
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidArgument(f"{option} {value!r}: expected YYYY-MM-DD or an ISO 8601 time") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
