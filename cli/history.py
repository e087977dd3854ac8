"""`recertify audit history`: what happened to access, filtered, as a table, JSON or CSV."""

from __future__ import annotations

import csv
import json
import sys
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from cli.admin import audit_cli
from cli.common import Format, csv_cell, out
from reviews.clock import SystemClock
from reviews.exposure import kind_label
from reviews.queries.history import COLUMNS, HistoryFilter, history, history_window
from reviews.storage.db import session_scope

TIME_HELP = "YYYY-MM-DD (a whole UTC day) or an ISO time"


@audit_cli.command("history")
def audit_history(
    ctx: typer.Context,
    store: Annotated[str | None, typer.Option(help="store ARN, object id or name")] = None,
    principal: Annotated[str | None, typer.Option(help="principal ARN, object id, name or email")] = None,
    person: Annotated[str | None, typer.Option(help="a person's email: all their accounts")] = None,
    campaign: Annotated[int | None, typer.Option(help="campaign id")] = None,
    reviewer: Annotated[
        str | None, typer.Option(help="a person's email: the items they were asked to review or decided")
    ] = None,
    actor: Annotated[
        str | None, typer.Option(help='who did it: an email, "sync", "policy", "cli:NAME", …')
    ] = None,
    since: Annotated[str | None, typer.Option(help=f"from, inclusive: {TIME_HELP}")] = None,
    until: Annotated[str | None, typer.Option(help=f"to, inclusive: {TIME_HELP}")] = None,
    format: Annotated[Format, typer.Option("--format")] = Format.table,  # noqa: A002
) -> None:
    """The audit chain's events about access, told one by one, in chain order (seq): granted, who was asked,
    reminded, escalated, who decided (how, why), each step of a revocation, ended."""
    start, end = history_window(since, until, now=SystemClock().now())
    where = HistoryFilter(
        store=store,
        principal=principal,
        person=person,
        campaign=campaign,
        since=start,
        until=end,
        reviewer=reviewer,
        actor=actor,
    )
    with session_scope(ctx.obj.engine()) as session:
        entries = history(session, ctx.obj.actor(), where)
    if format is Format.json:
        sys.stdout.write(json.dumps([e.as_json() for e in entries], indent=2) + "\n")
    elif format is Format.csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(COLUMNS)
        for entry in entries:
            row = entry.as_json()
            writer.writerow([csv_cell(row[column]) for column in COLUMNS])
    else:
        table = Table("seq", "at (UTC)", "event", "store", "principal", "access", "by", "detail")
        for e in entries:
            at = e.at.strftime("%Y-%m-%d %H:%M:%S")
            label = e.exposure or kind_label(e.principal_type, guest=False)  # public, external, service…
            who = f"{e.principal} ({label})" if label else e.principal
            table.add_row(*map(Text, (str(e.seq), at, e.event, e.store, who, e.access, e.actor, e.detail)))
        out.print(table)
        out.print(f"{len(entries)} events")
