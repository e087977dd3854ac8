"""`recertify doctor`: the live, read-only checks of a deployment, one line each, with a fix for each failure.

The checks themselves live with each adapter (connectors/aws/doctor.py, connectors/entra/doctor.py,
bot/doctor.py); wiring.py runs those of the enabled sources and Slack. Exit status 0 when every check passes
(warnings included), 1 when one fails, 2 when the configuration itself is wrong (as every command).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Annotated

import typer

from cli.common import ListFormat, out
from reviews.health import CheckResult, failed


def doctor(
    ctx: typer.Context,
    output: Annotated[
        ListFormat, typer.Option("--format", help="table: one line per check; json: a list of objects")
    ] = ListFormat.table,
) -> None:
    """Check the live connections: AWS credentials, accounts, read role and every read the bot needs; the
    Graph token and each application permission; the Slack token, its scopes and secrets. Reads only."""
    results = ctx.obj.live_checks()
    if not results:
        out.print("nothing to check: aws, entra and slack are all disabled")
        return
    if output is ListFormat.json:
        out.print_json(json.dumps([_as_json(result) for result in results]))
    else:
        for line in render(results):
            out.print(line, markup=False)
    if failed(results):
        raise typer.Exit(1)


def render(results: Sequence[CheckResult]) -> list[str]:
    lines = [_line(result) for result in results]
    bad, warned = failed(results), [r for r in results if r.ok and r.warning]
    summary = f"{len(results) - len(bad)} of {len(results)} checks passed"
    if warned:
        summary += f", {len(warned)} with a warning"
    return [*lines, "", summary + (f"; {len(bad)} failed" if bad else "")]


def _line(result: CheckResult) -> str:
    mark = "✗" if not result.ok else "!" if result.warning else "✓"
    text = f"{mark} {result.label}"
    if result.detail:
        text += f": {result.detail}"
    if not result.ok:
        text += f"\n    fix: {result.fix}"
    return text


def _as_json(result: CheckResult) -> dict[str, object]:
    return {
        "source": result.source,
        "check": result.name,
        "ok": result.ok,
        "warning": result.warning,
        "detail": result.detail,
        "fix": result.fix,
    }
