"""Recertify's entry point: the command tree and the exit-code map.

The commands live in `cli/`, one module per group, and `serve.py`; each receives a `Context` as `ctx.obj`
(`cli.context.CommandContext`) and asks it for what it needs, so no command builds an adapter itself:
`wiring.py` does. Every command prints a clear error and exits non-zero on failure; exit status 2 means the
configuration or the arguments are wrong, 1 that the work itself failed.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

import serve
from cli import (  # noqa: F401  (register on audit)
    access,
    admin,
    attest,
    campaigns,
    cycles,
    demo,
    doctor,
    export,
    history,
    inventory,
    revocations,
)
from cli.argv import hoist_global_options
from cli.common import err, out
from cli.context import CommandContext
from config import LoadedConfig, config_path, load_settings

# The scheduler stores each job's target in the database: rows written by earlier versions name these.
from jobs import scheduled_checkpoint, scheduled_cycle, scheduled_tick
from reviews.actors import Actor, Role, cli_operator
from reviews.errors import ConfigurationError, InvalidArgument, NotAuthorized, RecertifyError
from reviews.health import CheckResult
from reviews.ports import AttestationSigner
from reviews.storage.db import (
    create_db_engine,
    is_permission_refusal,
    is_read_only_refusal,
    require_current_schema,
)
from wiring import Wiring, attest_keygen, attestation_signer, live_checks

__all__ = ["main", "scheduled_checkpoint", "scheduled_cycle", "scheduled_tick"]

cli = typer.Typer(
    help="Access reviews for personal-data stores in AWS and Microsoft Entra ID, decided in Slack.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
for name, group in (
    ("permissions", admin.permissions_cli),
    ("config", admin.config_cli),
    ("db", admin.db_cli),
    ("audit", admin.audit_cli),
    ("cycles", cycles.cycles_cli),
    ("campaign", campaigns.campaign_cli),
    ("revocations", revocations.revocations_cli),
    ("attest", attest.attest_cli),
):
    cli.add_typer(group, name=name)
cli.command("sync")(inventory.sync)
cli.command("doctor")(doctor.doctor)
cli.command("access")(access.access)
cli.command("serve")(serve.serve)
cli.command("demo")(demo.demo)


@dataclass
class Context:
    """What one command needs, built on first use and closed when the command ends."""

    config_file: Path | None
    role: Role = Role.ADMIN
    _config: LoadedConfig | None = None
    _engine: Engine | None = None

    def actor(self, *, writes: str | None = None) -> Actor:
        """Who runs this command. `writes` names a command that changes something: an auditor is refused
        here, before any work (the use cases and the read-only connection refuse it too)."""
        actor = cli_operator(self.role)
        if writes is not None and not actor.is_admin:
            raise NotAuthorized(
                f"auditors only read: `recertify {writes}` changes things (run it as an admin)"
            )
        return actor

    def config(self) -> LoadedConfig:
        if self._config is None:
            self._config = load_settings(config_path(self.config_file, os.environ))
        return self._config

    def engine(self, *, require_schema: bool = True) -> Engine:
        if self._engine is None:
            read_only = self.role is Role.AUDITOR
            self._engine = create_db_engine(self.config().settings.database.url, read_only=read_only)
        if require_schema:
            require_current_schema(self._engine)
        return self._engine

    def wiring(self) -> Wiring:
        return Wiring(self.config(), self.engine())

    def wiring_for(self, config: LoadedConfig, engine: Engine) -> Wiring:
        """Services wired from other settings and another database (the demo's simulators)."""
        return Wiring(config, engine)

    def attestation_signer(self) -> AttestationSigner:
        return attestation_signer(self.config())

    def attest_keygen(self, out: Path) -> tuple[Path, Path]:
        return attest_keygen(out)

    def live_checks(self) -> list[CheckResult]:
        """`recertify doctor`: no database needed, only the settings and the secrets."""
        return live_checks(self.config())

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()


def _print_version(asked: bool) -> None:
    if asked:
        out.print(f"recertify {package_version('recertify')}", markup=False)
        raise typer.Exit()


@cli.callback()
def _root(
    ctx: typer.Context,
    config: Annotated[
        Path | None, typer.Option("--config", help="recertify.toml (or RECERTIFY_CONFIG)")
    ] = None,
    role: Annotated[
        Role,
        typer.Option(
            "--role",
            envvar="RECERTIFY_ROLE",
            help="auditor: read every answer, change nothing (the database connection is read-only)",
        ),
    ] = Role.ADMIN,
    _version: Annotated[
        bool,
        typer.Option(
            "--version", is_eager=True, callback=_print_version, help="print the installed version and exit"
        ),
    ] = False,
) -> None:
    context = Context(config, role)
    commands: CommandContext = context  # mypy checks that Context gives commands all they ask of ctx.obj
    ctx.obj = commands
    ctx.call_on_close(context.close)


def main() -> None:
    try:
        cli(args=hoist_global_options(sys.argv[1:]), prog_name="recertify")
    except (ConfigurationError, InvalidArgument) as exc:
        err.print(f"error: {exc}", markup=False)
        raise SystemExit(2) from None
    except RecertifyError as exc:
        err.print(f"error: {exc}", markup=False)
        raise SystemExit(1) from None
    except DBAPIError as exc:
        if is_read_only_refusal(exc):
            err.print(
                "error: the database refused a write: this command changes things, and --role auditor only "
                "reads"
            )
        elif is_permission_refusal(exc):
            first_line = str(exc.orig).splitlines()[0]
            err.print(
                f"error: the database refused: {first_line}. This connection's database role lacks the "
                "privilege (an auditor's SELECT-only role cannot run commands that change things)",
                markup=False,
            )
        else:
            raise
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
