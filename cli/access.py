"""`recertify access`: who can access what, now or at a past moment, as a table, JSON or CSV; with
`--exposure`, every grant held by anyone on the internet or by an outside account (the first page a
data-protection officer opens)."""

from __future__ import annotations

import csv
import json
import sys
from collections import Counter
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from cli.common import Format, csv_cell, err, out
from reviews.clock import SystemClock
from reviews.exposure import kind_label
from reviews.queries.access import AccessRow, access_window, effective_access, known_access
from reviews.storage.db import session_scope

# "store_id" and "principal_id" are the provider ids (row.store["id"], row.principal["id"]): published names.
CSV_COLUMNS = (
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
    "exposure",
    "exposure_sentence",
)


def access(
    ctx: typer.Context,
    store: Annotated[str | None, typer.Option(help="store ARN, object id or name")] = None,
    principal: Annotated[str | None, typer.Option(help="principal ARN, object id, name or email")] = None,
    at: Annotated[str | None, typer.Option(help="YYYY-MM-DD (the whole UTC day) or an ISO time")] = None,
    exposure: Annotated[
        bool,
        typer.Option(
            "--exposure", help="only public, external and tenant-wide grants, public first, then by store"
        ),
    ] = False,
    format: Annotated[Format, typer.Option("--format")] = Format.table,  # noqa: A002
) -> None:
    """Effective access, now or at a past date, from the last applied syncs."""
    start, end = access_window(at, now=SystemClock().now())
    with session_scope(ctx.obj.engine()) as session:
        notes = known_access(session, end=end, at=at)
        rows = effective_access(
            session=session, start=start, end=end, store=store, principal=principal, exposure_only=exposure
        )
    for note in notes:
        err.print(f"note: {note}", markup=False)
    if format is Format.json:
        sys.stdout.write(json.dumps([row.as_json() for row in rows], indent=2) + "\n")
    elif format is Format.csv:
        _write_csv(rows)
    elif exposure:
        _exposure_table(rows)
    else:
        table = Table("store", "principal", "access", "path", "conditional", "last used")
        for row in rows:
            table.add_row(
                *map(
                    Text,
                    (
                        row.store["name"],
                        _who(row),
                        row.access,
                        " → ".join(row.path),
                        "yes" if row.conditional else "",
                        row.last_used or "unknown",
                    ),
                )
            )
        out.print(table)


def _exposure_table(rows: list[AccessRow]) -> None:
    table = Table("exposure", "store", "who", "access", "through", "conditional", "intended", "owner")
    for row in rows:
        table.add_row(
            *map(
                Text,
                (
                    row.exposure or "",
                    row.store["name"],
                    row.principal["name"],
                    row.access,
                    row.path[-1] if row.path else "",
                    "yes" if row.conditional else "",
                    "yes" if row.exposure_intended else "",
                    row.store["owner"] or "nobody",
                ),
            )
        )
    out.print(table)
    counts = Counter(row.exposure for row in rows)
    kinds = ("public", "external", "tenant", "other-account")
    parts = [f"{counts[kind]} {kind}" for kind in kinds if counts[kind]]
    out.print(f"{len(rows)} exposed grant(s)" + (f": {', '.join(parts)}" if parts else ""))


def _who(row: AccessRow) -> str:
    """The principal's name, with what it is when it is nobody's identity ("anyone on the internet
    (public)")."""
    label = kind_label(str(row.principal["type"]), bool(row.principal["guest"]))
    return f"{row.principal['name']} ({label})" if label else str(row.principal["name"])


def _write_csv(rows: list[AccessRow]) -> None:
    writer = csv.writer(sys.stdout)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow(
            [
                csv_cell(v)
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
                    row.exposure,
                    row.exposure_sentence,
                )
            ]
        )
