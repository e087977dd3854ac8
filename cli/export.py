"""`recertify audit export CAMPAIGN --format csv|json|html|all [--out DIR]`: a campaign's evidence."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from cli.admin import audit_cli
from cli.common import err, out
from reviews.clock import SystemClock
from reviews.evidence.export import ExportFormat, export_campaign
from reviews.evidence.quality import KEEP_ALL_WITHIN_SECONDS


class FormatChoice(StrEnum):
    csv = "csv"
    json = "json"
    html = "html"
    all = "all"


@audit_cli.command("export")
def audit_export(
    ctx: typer.Context,
    campaign: Annotated[int, typer.Argument(help="the campaign id (see `recertify campaign list`)")],
    format: Annotated[  # noqa: A002
        list[FormatChoice], typer.Option("--format", help="csv, json, html (repeatable) or all")
    ],
    out_dir: Annotated[Path, typer.Option("--out", help="directory to write into")] = Path("."),
    keep_all_within: Annotated[
        int,
        typer.Option(
            "--keep-all-within",
            min=1,
            help="flag reviewers who kept everything within this many seconds of their first delivery",
        ),
    ] = KEEP_ALL_WITHIN_SECONDS,
) -> None:
    """Evidence of one campaign (every item, decision, delivery and revocation; reviewer quality) and a
    manifest with each file's SHA-256 and the audit chain head. Reads only."""
    formats = list(ExportFormat) if FormatChoice.all in format else [ExportFormat(f.value) for f in format]
    result = export_campaign(
        ctx.obj.engine(),
        ctx.obj.actor(),
        campaign,
        formats=formats,
        out_dir=out_dir,
        clock=SystemClock(),
        keep_all_within=keep_all_within,
    )
    for written in (*result.files, result.manifest):
        out.print(f"{written.path}  sha256 {written.sha256}  {written.size} bytes", markup=False)
    for entry in result.earlier.entries:
        out.print(
            f"{out_dir / entry['name']}  sha256 {entry['sha256']}  {entry['bytes']} bytes  "
            f"(kept from the export of {entry['exported_at']}, still listed)",
            markup=False,
        )
    for note in result.earlier.notes:
        err.print(f"note: {note}", markup=False)
    out.print(
        f"campaign {campaign}: {result.population_count} items, read at audit head {result.audit_head}",
        markup=False,
    )
