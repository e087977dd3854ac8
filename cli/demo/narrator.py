"""What the demo prints: numbered steps with the simulated day and the time so far, the data each step
produced, and the closing summary; `--quiet` keeps only the summary. A failure inside a step is reported as
that step's."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from cli.common import out, progress
from cli.demo.errors import DemoFailed, Unexpected
from cli.demo.shell import console_script, open_file_line
from cli.demo.target import relative
from reviews.errors import RecertifyError
from reviews.outcomes import said
from simulators import department

if TYPE_CHECKING:
    from cli.demo.state import LoopState

WIDE = 132  # tables are this wide when the output is not a terminal (a file, a pipe, a test)


@dataclass
class Narrator:
    quiet: bool
    started: float = field(default_factory=time.perf_counter)
    number: int = 0

    @contextmanager
    def step(self, title: str, now: datetime, day0: datetime) -> Iterator[None]:
        """One numbered step: its title, the simulated day and the time so far; any failure inside it is
        reported as this step's."""
        self.number += 1
        day = (now.date() - day0.date()).days
        self.say(
            f"\n[bold]{self.number:>2}. {title}[/]  [dim]day {day}, {now:%a %d %b %H:%M} UTC · "
            f"{time.perf_counter() - self.started:.1f} s[/]"
        )
        try:
            yield
        except Unexpected as exc:
            raise DemoFailed(f"demo step {self.number} ({title}) failed: {exc}") from exc
        except (RecertifyError, department.SimulatorUnavailable, LookupError, RuntimeError, OSError) as exc:
            raise DemoFailed(
                f"demo step {self.number} ({title}) failed: {type(exc).__name__}: {exc}"
            ) from exc

    def progress(self, title: str) -> AbstractContextManager[Callable[[str], None]]:
        """A spinner on a terminal while a connector reads (none with --quiet)."""
        return nullcontext(lambda _message: None) if self.quiet else progress(title)

    def say(self, text: str) -> None:
        if not self.quiet:
            out.print(text, highlight=False)

    def line(self, text: str) -> None:
        """Data, printed as it is (names and messages may hold brackets)."""
        if not self.quiet:
            out.print(text, markup=False, highlight=False)

    def table(self, table: Table) -> None:
        if not self.quiet:  # a file or a pipe gets wide lines rather than folded columns
            (out if out.is_terminal else Console(width=WIDE, highlight=False)).print(table)

    def summary(self, loop: LoopState) -> None:
        report, target = loop.report, loop.target
        assert report is not None and loop.attestation is not None  # noqa: S101  (the last step wrote them)
        (html,) = [f.path for f in report.files if f.format == "html"]
        recertify, verify = console_script("recertify"), console_script("recertify-verify")
        use = f"{recertify} --config {relative(target.out / 'recertify.toml')}"
        out.print(f"\n[bold green]Demo complete in {time.perf_counter() - self.started:.1f} s.[/]")
        lines = [
            f"  database       {target.shown}",
            f"  report         {html}",
            f"  manifest       {report.manifest.path}",
            f"  attestation    {loop.attestation}  (signed; its key: {target.out / 'attest-key.pub.pem'})",
            f"  audit head     {report.audit_head}",
            f"  outcomes       {said(loop.outcomes)}",
            f"  configuration  {target.out / 'recertify.toml'}  (this database, every source off)",
            "",
            "Try next:",
            f"  {use} access --store payroll-exports",
            f"  {use} access --store caseworkfiles     # an Azure storage account: groups, roles, keys",
            f"  {use} access --exposure        # who beyond the organisation can reach a store",
            f"  {use} audit history --store benefit-claims",
            f"  {use} campaign show {loop.campaign_id}",
            f"  {use} revocations list        # {loop.held} held: `revocations approve --campaign "
            f"{loop.campaign_id}` approves them",
            f"  {use} audit verify --expect-head {report.audit_head}",
            f"  {verify} {relative(loop.attestation)} --key "
            f"{relative(target.out / 'attest-key.pub.pem')}    # the signed attestation, checked offline",
            f"  {use} attest --campaign {loop.campaign_id} "
            f"--out campaign-{loop.campaign_id}-attestation.json",
            f"  {recertify} cycles validate {relative(target.out / department.cycle.FILE_NAME)}",
            f"  {open_file_line(html)}    # the evidence report: one self-contained HTML file",
            "",
            f"Then {recertify} serve with your own Slack app (bot/manifest.yaml) and a configuration like",
            "examples/recertify.toml, following docs/quickstart.md: owners decide in Slack for real.",
        ]
        if target.external:
            lines.insert(
                7, "  (keep RECERTIFY_DATABASE_URL set: the next commands read the database from it)"
            )
        for line in lines:
            out.print(line, markup=False, highlight=False)
