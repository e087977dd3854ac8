"""Review cycles as code: `cycles validate|apply|list`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Column, Table

from cli.common import ListFormat, out
from reviews.clock import SystemClock
from reviews.cycles.manage import (
    apply_cycles,
    describe_schedule,
    list_cycles,
    next_start,
    validate_files,
)
from reviews.cycles.references import References
from reviews.storage.db import (
    session_scope,
)

cycles_cli = typer.Typer(help="Review cycles as code.", no_args_is_help=True)


CycleFiles = Annotated[
    list[Path], typer.Argument(help="YAML or TOML cycle files, or directories of them", show_default=False)
]


def references(ctx: typer.Context) -> References:
    """What a cycle may name from the configuration: classifications and the enabled sources."""
    settings = ctx.obj.config().settings
    return References(settings.classifications(), settings.aws.personal_data_tag, settings.enabled_systems())


@cycles_cli.command("validate")
def cycles_validate(ctx: typer.Context, files: CycleFiles) -> None:
    """Validate review-cycle files, and what they name from the configuration (classifications, the systems
    in scope), without side effects; exit 2 naming each problem's file and line."""
    now = SystemClock().now()
    for definition in validate_files(files, references(ctx)):
        fire = next_start(definition, now)
        when = f"next start {fire:%Y-%m-%d %H:%M %Z}" if fire else "no scheduled start"
        out.print(f"ok: {definition.name} — schedule {describe_schedule(definition)}, {when}", markup=False)


@cycles_cli.command("apply")
def cycles_apply(ctx: typer.Context, files: CycleFiles) -> None:
    """Validate every file, then store a new version of each changed cycle (all or nothing)."""
    actor = ctx.obj.actor(writes="cycles apply")
    definitions = validate_files(
        files, references(ctx)
    )  # an invalid file stops everything before the database is opened
    with session_scope(ctx.obj.engine()) as session:
        results = apply_cycles(session, definitions, actor=actor, clock=SystemClock())
    for result in results:
        out.print(f"{result.outcome}: {result.name} version {result.version} (sha256 {result.sha256[:12]})")


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
