"""Configuration, schema, audit chain and the bot's own permissions."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from typing import Annotated

import typer
from sqlalchemy.engine import make_url

from cli.common import out
from reviews import audit
from reviews.db import (
    current_revision,
    head_revision,
    session_scope,
)
from reviews.db import upgrade as upgrade_schema
from reviews.errors import (
    ConfigurationError,
)
from reviews.settings import LoadedConfig, missing_secrets

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


@audit_cli.command("verify")
def audit_verify(
    ctx: typer.Context,
    expect_head: Annotated[str | None, typer.Option(help="a head saved earlier, SEQ:HASH or HASH")] = None,
) -> None:
    """Walk the hash chain; exit 1 naming the first bad sequence number."""
    with session_scope(ctx.obj.engine()) as session:
        head = audit.verify(session, expect_head=expect_head)
    out.print(f"audit chain intact: {head.seq} events; head {head}")
