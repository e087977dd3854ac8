"""Steps 2–3 and the nightly syncs: the real connectors (AWS, Entra ID, Azure) read the simulators, the
snapshots are applied, the department's people are linked to their Slack accounts, and the access table
shows who can reach what."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from rich.table import Table

from cli.demo.errors import Unexpected
from cli.demo.state import LoopState
from reviews.inventory.sync import sync_source
from reviews.people.link import link_in_batches
from reviews.queries.access import AccessRow, access_window, effective_access
from reviews.storage.db import session_scope
from reviews.storage.revocation_links import items_of


class SyncSteps(LoopState):
    def sync(self, *, link_people: bool, expect_verified: list[int] | None = None) -> None:
        """`expect_verified`: the revocations before it, each then verified (none survived), and every grant
        their items name ended (one change may end two: read and write from one membership)."""
        expect_closed = None
        if expect_verified is not None:
            with session_scope(self.engine) as session:
                expect_closed = sum(len(ids) for ids in items_of(session, expect_verified).values())
        closed, max_drop = 0, self.wiring.config.settings.enforcement.max_population_drop
        verified = survived = 0
        for source in ("aws", "entra", "azure"):
            with self.narrator.progress(f"sync {source}") as report:
                summary = sync_source(
                    source,
                    self.wiring.snapshot_reader(source, self.clock, report),
                    engine=self.engine,
                    clock=self.clock,
                    max_drop=max_drop,
                )
            if not summary.stores or not summary.grants:
                raise Unexpected(f"{source} found {summary.stores} stores and {summary.grants} grants")
            closed += summary.closed
            verified += summary.revocations_verified
            survived += summary.revocations_survived
            self.narrator.line(
                f"  {source}: {summary.stores} stores, {summary.principals} principals, {summary.grants} "
                f"grants ({summary.opened} opened, {summary.closed} ended); sync run {summary.sync_run_id}"
            )
        if expect_closed is not None and closed != expect_closed:
            raise Unexpected(f"{expect_closed} grants should have ended, the syncs ended {closed}")
        if expect_verified is not None and (verified, survived) != (len(expect_verified), 0):
            raise Unexpected(
                f"{len(expect_verified)} revocations should be verified: {verified} were, {survived} survived"
            )
        if expect_verified is not None:
            self.narrator.line(
                f"  {verified} revocations verified: the access is gone at the source ({closed} grants ended)"
            )
        if link_people:
            self._link_people()

    def _link_people(self) -> None:
        directory = self.wiring.chat_directory()
        if isinstance(directory, str):
            raise Unexpected(directory)
        linked = link_in_batches(
            lambda: session_scope(self.engine),
            directory=directory,
            clock=self.clock,
            max_age=timedelta(days=7),
            budget=500,
        )
        self.narrator.line(
            f"  people: {linked.checked} looked up in Slack by email, {linked.linked} linked, "
            f"{linked.not_found} without an account (the guest, the leaver)"
        )

    def who_can_access(self) -> None:
        start, end = access_window(None, now=self.clock.now())
        with session_scope(self.engine) as session:
            rows = effective_access(session=session, start=start, end=end)
        stores: dict[str, list[AccessRow]] = defaultdict(list)
        for row in rows:
            stores[row.store["name"]].append(row)
        for name, held in stores.items():
            store = held[0].store
            self.narrator.line(
                f"  {name}  {store['system']} {store['kind']} · owner {store['owner'] or 'none'} · "
                f"{len(held)} grants"
            )
            merged: dict[tuple[str, str], tuple[list[str], str | None]] = {}  # a line per principal, path
            for row in held:
                levels, _ = merged.setdefault(
                    (row.principal["name"], " → ".join(row.path)), ([], row.last_used)
                )
                levels.append(row.access)
            table = Table(box=None, show_header=False, padding=(0, 1, 0, 4))
            for width in (18, 11, None, 13):
                table.add_column(width=width, no_wrap=width is not None)
            for (who, path), (levels, used) in merged.items():
                table.add_row(who, ", ".join(levels), path, self._ago(used))
            self.narrator.table(table)
        self.narrator.line(
            f"  {len(rows)} grants in all; last use from IAM in AWS (Entra and Azure record none per store: "
            "each digest item says what its recommendation rests on)"
        )

    def _ago(self, iso: str | None) -> str:
        if iso is None:
            return "unknown"
        days = (self.clock.now() - datetime.fromisoformat(iso)).days
        return {0: "today", 1: "yesterday"}.get(days, f"{days} days ago")
