"""`recertify demo`: the whole review loop, end to end, on a fictional department, in under a minute.

moto (AWS), the Graph simulator (Entra ID) and the Slack simulator run in this process on 127.0.0.1, seeded
with the department of `simulators/department/`. Recertify is configured for them through its environment,
as a deployment is (app.py's Wiring builds the connectors, the notifier and the protected list from it), and
the demo runs the product's own code one step at a time: the connectors sync, the department's cycle (a YAML
file) is applied and starts a campaign, the SlackNotifier delivers the digests, the owners press buttons that
reach the Bolt app behind `bot/http.py` as signed HTTP requests, the scheduler's tick runs while the clock
moves past the escalation, the reminders and the deadline, the plan passes through the safety envelope, an
admin approves, revocations run live against the simulators and are read back from them, the audit chain is
verified and the evidence report is written. The demo decides nothing the product decides; it checks that
each step produced what it should and stops, exit status 1, naming the step, when one did not.

Time is one `FrozenClock`, shared by the use cases and the bot. The simulated fortnight ends just before now,
so what the database says afterwards (`recertify access`, `audit history`) reads as the present.

Where it writes: `--out DIR` (default ./recertify-demo/): the SQLite database demo.db, the cycle file, the
evidence files and a recertify.toml for the next commands. An existing demo.db is replaced only with
`--fresh`, so the paths the summary prints stay the same from run to run. With RECERTIFY_DATABASE_URL set
(PostgreSQL, say) the demo migrates that database instead, and refuses one that already holds Recertify
data: it never deletes anything there.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine
from sqlmodel import col, select

from bot.app import BotServices, build_app
from bot.http import BotServer
from cli.common import out, progress, worker_name
from reviews import audit, checkpoints
from reviews.actors import SCHEDULER, Actor
from reviews.campaigns.notify import advance_notifications
from reviews.campaigns.start import start_campaign
from reviews.campaigns.tick import run_tick
from reviews.campaigns.views import ItemLine, outbox_rows, show_campaign
from reviews.clock import FrozenClock, SystemClock
from reviews.cycle_files import load_cycle_files
from reviews.db import create_db_engine, session_scope, upgrade
from reviews.errors import InvalidArgument, RecertifyError
from reviews.evidence.export import ExportFormat, ExportResult, export_campaign
from reviews.models import Decision, ItemStatus, Revocation, RevocationState, Store
from reviews.operations.link_people import link_chat_accounts
from reviews.operations.manage_cycles import apply_cycles, latest_cycle
from reviews.operations.outbox import approve, execute
from reviews.operations.query_access import AccessRow, access_window, effective_access
from reviews.operations.sync_inventory import apply_snapshot, record_failed_sync
from reviews.ports import ItemView
from reviews.settings import load_settings, missing_secrets
from simulators import department

if TYPE_CHECKING:
    from app import Wiring

DEMO_DB = "demo.db"
DAYS_AGO = 16  # the simulated fortnight starts this many days ago, at 09:00 UTC, and ends before now
WAIT_SECONDS = 20.0  # for the bot's work after it acknowledged a press
WIDE = 132  # tables are this wide when the output is not a terminal (a file, a pipe, a test)
T = TypeVar("T")
seen = department.slack  # what the department's people see in Slack, and read back from it


class DemoFailed(RecertifyError):
    """A step of the demo did not produce what it should; the message names the step."""


class Unexpected(Exception):
    """Raised inside a step: what was expected and what happened. The step adds its own name."""


def demo(
    ctx: typer.Context,
    out_dir: Annotated[
        Path, typer.Option("--out", help="where the database, the report and a recertify.toml go")
    ] = Path("recertify-demo"),
    fresh: Annotated[bool, typer.Option("--fresh", help="replace a demo database already in --out")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", help="print the closing summary only")] = False,
) -> None:
    """The whole review loop on a fictional department, against local simulators of AWS, Entra ID and Slack:
    sync, who can access what, a campaign decided in Slack, reminders, escalation, the deadline, safe
    revocation, verification, the audit chain and the evidence report."""
    actor = ctx.obj.actor(writes="demo")
    narrator = Narrator(quiet)
    target = _prepare(out_dir.resolve(), fresh)
    start = (SystemClock().now() - timedelta(days=DAYS_AGO)).replace(
        hour=9, minute=0, second=0, microsecond=0
    )
    engine = create_db_engine(target.url)
    try:
        with ExitStack() as stack:
            loop = Loop(narrator, actor, FrozenClock(start), engine, target)
            loop.run(stack)
    finally:
        engine.dispose()
    narrator.summary(loop)


# ---- where it writes ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Target:
    out: Path
    url: str
    shown: str  # the database for people: a path, or the URL without its password
    external: bool  # from RECERTIFY_DATABASE_URL: never ours to delete


def _prepare(out_dir: Path, fresh: bool) -> Target:
    """The database, new and migrated, and the output directory; refuses to replace anything by surprise."""
    if out_dir.exists() and not out_dir.is_dir():
        raise InvalidArgument(f"--out {out_dir}: exists and is not a directory")
    external = os.environ.get("RECERTIFY_DATABASE_URL")
    if external and fresh:
        raise InvalidArgument(
            "--fresh replaces the demo's own SQLite database; with RECERTIFY_DATABASE_URL the demo needs an "
            "empty database and never deletes anything in it"
        )
    database = out_dir / DEMO_DB
    if not external and database.exists() and not fresh:
        raise InvalidArgument(
            f"{database} already exists: add --fresh to replace it, or choose another --out"
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    if external:
        url = load_settings(None, {"RECERTIFY_DATABASE_URL": external}).settings.database.url
    else:
        for leftover in (database, *out_dir.glob(f"{DEMO_DB}-*"), *out_dir.glob("campaign-*-*.*")):
            leftover.unlink(missing_ok=True)
        url = f"sqlite:///{database}"
    engine = create_db_engine(url)
    try:
        shown = str(database) if not external else engine.url.render_as_string(hide_password=True)
        upgrade(engine)
        with session_scope(engine) as session:
            events, store = audit.head(session).seq, session.exec(select(Store.id)).first()
    finally:
        engine.dispose()
    if events or store is not None:
        raise InvalidArgument(
            f"RECERTIFY_DATABASE_URL ({shown}) already holds Recertify data ({events} audit events): the "
            "demo writes only into an empty database and never deletes anything; point it at a new one"
        )
    return Target(out_dir, url, shown, external=bool(external))


# ---- the output ---------------------------------------------------------------------------------------
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

    def summary(self, loop: Loop) -> None:
        report, target = loop.report, loop.target
        assert report is not None  # noqa: S101  (the last step wrote it)
        (html,) = [f.path for f in report.files if f.format == "html"]
        use = f"recertify --config {_relative(target.out / 'recertify.toml')}"
        out.print(f"\n[bold green]Demo complete in {time.perf_counter() - self.started:.1f} s.[/]")
        lines = [
            f"  database       {target.shown}",
            f"  report         {html}",
            f"  manifest       {report.manifest.path}",
            f"  audit head     {report.audit_head}",
            f"  configuration  {target.out / 'recertify.toml'}  (this database, every source off)",
            "",
            "Try next:",
            f"  {use} access --store payroll-exports",
            f"  {use} audit history --store benefit-claims",
            f"  {use} campaign show {loop.campaign_id}",
            f"  {use} revocations list        ({loop.held} held: `revocations approve --campaign "
            f"{loop.campaign_id}` approves them)",
            f"  {use} audit verify --expect-head {report.audit_head}",
            f"  recertify cycles validate {_relative(target.out / department.cycle.FILE_NAME)}",
            f"  open {html}    (the evidence report: one self-contained HTML file)",
            "  recertify serve    with your own Slack app (bot/manifest.yaml) and a configuration like",
            "                     examples/recertify.toml: owners decide in Slack for real",
        ]
        if target.external:
            lines.insert(
                6, "  (keep RECERTIFY_DATABASE_URL set: the next commands read the database from it)"
            )
        for line in lines:
            out.print(line, markup=False, highlight=False)


def _relative(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


# ---- the loop -----------------------------------------------------------------------------------------
@dataclass
class Loop:
    narrator: Narrator
    actor: Actor
    clock: FrozenClock
    engine: Engine
    target: Target
    day0: datetime = field(init=False)
    world: department.RunningDepartment = field(init=False)
    wiring: Wiring = field(init=False)
    hands: department.Hands = field(init=False)
    campaign_id: int = 0
    held: int = 0
    report: ExportResult | None = None

    def __post_init__(self) -> None:
        self.day0 = self.clock.now()

    def step(self, title: str) -> Any:
        return self.narrator.step(title, self.clock.now(), self.day0)

    def at(self, day: int, hour: int, minute: int = 0) -> None:
        when = self.day0.replace(hour=hour, minute=minute) + timedelta(days=day)
        self.clock.advance(when - self.clock.now())

    def run(self, stack: ExitStack) -> None:
        with self.step("Start the simulators: moto (AWS), Graph (Entra ID), Slack; configure Recertify"):
            self.world = stack.enter_context(department.running_department(self.day0))
            self.wiring = _configure(self.world, self.target.url, self.engine)
            self._introduce()
        with self.step("Sync AWS and Entra ID with the real connectors"):
            self.sync(link_people=True)
        with self.step("Who can access what"):
            self.who_can_access()
        with self.step("Apply the review cycle (a YAML file) and start a campaign"):
            self.start_campaign()
        with self.step("Deliver the digests in Slack"):
            self.deliver_digests()
        with self.step("Start the Slack bot: Bolt behind bot/http.py, on a free port"):
            self.start_bot(stack)
        self.at(department.ANSWER_DAY, 10)
        with self.step("The owners decide: button presses, signed as Slack signs them, to the bot"):
            self.decide()
        for day in department.TICK_DAYS:
            self.at(day, 9, 30)
            with self.step("The scheduler's tick: escalation and reminders"):
                self.tick()
        self.at(14, 10)
        with self.step("The deadline: the nightly sync, then the tick closes the campaign and plans"):
            self.sync(link_people=False)
            self.tick(deadline=True)
        with self.step("The revocation plan, inside the safety envelope"):
            planned = self.show_plan()
        with self.step("An admin approves the plan; revocations run live; read back from the simulators"):
            self.revoke(planned)
        self.at(15, 2)
        with self.step("The next nightly sync sees the access gone"):
            self.sync(link_people=False, expect_closed=len(planned))
        with self.step("Verify the audit chain and write the evidence report"):
            self.evidence()

    # ---- 1–3: simulators, sync, who can access what ---------------------------------------------------
    def _introduce(self) -> None:
        world, say = self.world, self.narrator.line
        aws = ", ".join(s.name for s in department.STORES if s.system == "aws")
        entra = ", ".join(s.name for s in department.STORES if s.system == "entra")
        say(f"  database   {self.target.shown} (new, migrated)")
        say(f"  AWS        moto at {world.moto_url} (AWS_ENDPOINT_URL, dummy credentials): {aws}")
        say(f"  Entra ID   Graph simulator at {world.graph.url}: {len(department.PEOPLE)} people; {entra}")
        say(f"  Slack      simulator at {world.slack.api_url}: {len(world.slack_users)} accounts")
        say("  Recertify reads its settings from the environment, as a deployment does; enforcement live")

    def sync(self, *, link_people: bool, expect_closed: int | None = None) -> None:
        closed, max_drop = 0, self.wiring.config.settings.enforcement.max_population_drop
        for source in ("aws", "entra"):
            started = self.clock.now()
            try:
                with self.narrator.progress(f"sync {source}") as report:
                    snapshot = self.wiring.connector(source, self.clock, report).snapshot()
                with session_scope(self.engine) as session:
                    summary = apply_snapshot(
                        snapshot, session=session, clock=self.clock, started_at=started, max_drop=max_drop
                    )
            except RecertifyError as exc:
                with session_scope(self.engine) as session:
                    record_failed_sync(
                        source, str(exc), session=session, clock=self.clock, started_at=started
                    )
                raise
            if not summary.stores or not summary.grants:
                raise Unexpected(f"{source} found {summary.stores} stores and {summary.grants} grants")
            closed += summary.closed
            self.narrator.line(
                f"  {source}: {summary.stores} stores, {summary.principals} principals, {summary.grants} "
                f"grants ({summary.opened} opened, {summary.closed} ended); sync run {summary.sync_run_id}"
            )
        if expect_closed is not None and closed != expect_closed:
            raise Unexpected(f"{expect_closed} grants should have ended, the syncs ended {closed}")
        if link_people:
            self._link_people()

    def _link_people(self) -> None:
        directory = self.wiring.chat_directory()
        if isinstance(directory, str):
            raise Unexpected(directory)
        with session_scope(self.engine) as session:
            linked = link_chat_accounts(
                session=session, directory=directory, clock=self.clock, max_age=timedelta(days=7), limit=500
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
            f"  {len(rows)} grants in all; last use from IAM in AWS (Entra gives none per store)"
        )

    def _ago(self, iso: str | None) -> str:
        if iso is None:
            return "unknown"
        days = (self.clock.now() - datetime.fromisoformat(iso)).days
        return {0: "today", 1: "yesterday"}.get(days, f"{days} days ago")

    # ---- 4–7: cycle, campaign, digests, the bot, decisions --------------------------------------------
    def start_campaign(self) -> None:
        cycle_file = self.target.out / department.cycle.FILE_NAME  # cycles are files an admin applies
        cycle_file.write_text(department.cycle.CYCLE_YAML, encoding="utf-8")
        with session_scope(self.engine) as session:
            (cycle,) = apply_cycles(
                session, load_cycle_files([cycle_file]), actor=self.actor, clock=self.clock
            )
            row, definition = latest_cycle(session, cycle.name)
            protection = self.wiring.protection()
            started = start_campaign(
                session, row, definition, actor=self.actor, clock=self.clock, protection=protection
            ).campaign
        assert started.id is not None  # noqa: S101
        self.campaign_id = started.id
        say = self.narrator.line
        say(
            f"  cycle {cycle.name} v{cycle.version} from {_relative(cycle_file)} (sha256 {cycle.sha256[:12]})"
        )
        say(
            f"  campaign {started.id}: {started.population_count} items frozen (sha256 "
            f"{started.population_sha256[:12]}), due {started.due_at:%a %d %b %H:%M} UTC"
        )
        for example in started.notes.get("protected_examples", []):
            say(f"  in scope but protected, never revoked: {example}")
        if not started.population_count or not started.notes.get("protected_in_scope"):
            raise Unexpected("the campaign should hold items, and the break-glass account as protected")

    def deliver_digests(self) -> None:
        notifier = self.wiring.notifier()
        if notifier is None:
            raise Unexpected("Slack is not configured")
        with session_scope(self.engine) as session:
            summary = advance_notifications(session, notifier, clock=self.clock)
        if summary.failed or not summary.sent:
            raise Unexpected(f"{summary.sent} digests delivered, {summary.failed} failed: {summary.errors}")
        for key, user in self.world.slack_users.items():
            for message in seen.bot_messages(self.world.workspace, user):
                someone = department.person(key)
                self.narrator.line(f"\n  Slack, direct message to {someone.name} ({someone.title}):")
                for text in seen.screen(message):
                    self.narrator.line(f"  {text}")
        self.narrator.line(f"\n  {summary.sent} digests delivered by the SlackNotifier through slack_sdk")

    def start_bot(self, stack: ExitStack) -> None:
        client, directory = self.wiring.slack_client(), self.wiring.chat_directory()
        if client is None or isinstance(directory, str):
            raise Unexpected("Slack is not configured")
        slack, protection = self.wiring.config.settings.slack, self.wiring.protection()
        bolt = build_app(
            BotServices(self.engine, self.clock, slack, directory, protection),
            client=client,
            signing_secret=department.SIGNING_SECRET,
        )
        secret = department.SIGNING_SECRET
        server = BotServer(bolt, signing_secret=secret, host="127.0.0.1", port=0, ready=lambda: True).start()
        stack.callback(server.stop)
        url = f"{server.url}/slack/events"
        self.hands = department.Hands(self.world.slack, self.world.slack_users, url, secret)
        self.narrator.line(f"  listening at {url}; it shares the demo's clock")

    def decide(self) -> None:
        items: dict[tuple[str, str], list[int]] = defaultdict(list)
        for line in self._lines():
            items[(line.view.store, line.view.holder)].append(line.view.item_id)
        for press in department.PRESSES:
            name = department.person(press.reviewer).name
            try:
                self.narrator.line(f"  {name}: {self._press(press, items)}")
            except TimeoutError as exc:
                told = seen.replies(self.world.workspace, self.world.slack_users[press.reviewer])
                raise Unexpected(
                    f"{name}'s press: {exc}; the bot told them {told[-1:] or 'nothing'}"
                ) from exc
        pending = Counter(line.reviewer for line in self._lines() if line.view.status == ItemStatus.PENDING)
        for someone in department.PEOPLE:
            if pending.get(someone.email):
                what = "never answers" if someone.key in department.SILENT else "leaves the rest for later"
                self.narrator.line(f"  {someone.name}: {what} ({pending[someone.email]} item(s) pending)")
        if not pending:
            raise Unexpected("somebody should have left items undecided")

    def _press(self, press: department.Press, items: dict[tuple[str, str], list[int]]) -> str:
        ws, user = self.world.workspace, self.world.slack_users[press.reviewer]
        why = f" ({press.why})" if press.why else ""
        if press.button in ("accept_all", "keep_all"):
            action = "bulk_accept" if press.button == "accept_all" else "bulk_keep"
            before = len(seen.replies(ws, user))
            self.hands.press(press.reviewer, seen.message_with(ws, user, button=action), action)
            answer = _eventually(lambda: seen.replies(ws, user)[before], f"the bot's answer to {action}")
            self._redrawn(press.reviewer)
            label = "Accept all recommendations" if action == "bulk_accept" else "Keep all"
            return f"[{label}] → the bot answers: {answer}{why}"
        assert press.store is not None and press.holder is not None  # noqa: S101
        holder = department.principal_name(department.store(press.store), press.holder)
        (item_id,) = items[(press.store, holder)]
        action = "item_keep" if press.button == "keep" else "item_revoke"
        self.hands.press_item(press.reviewer, seen.message_with(ws, user, item=item_id), item_id, action)
        if press.justification:
            view = _eventually(lambda: self.hands.open_modal(press.reviewer, "justify"), "the modal")
            self.hands.submit(press.reviewer, view, {"text": press.justification})
            why = f', justified in the modal: "{press.justification}"'
        status = _eventually(lambda: self._decided(item_id), f"the decision on item {item_id}")
        self._redrawn(press.reviewer)
        return f"[{press.button.title()}] {holder} on {press.store} → {status}{why}"

    def _decided(self, item_id: int) -> str | None:
        (line,) = [line for line in self._lines() if line.view.item_id == item_id]
        return None if line.view.status == ItemStatus.PENDING else line.view.status

    def _redrawn(self, reviewer: str) -> None:
        """Until every message the reviewer sees offers buttons only for items still pending."""
        ws, user = self.world.workspace, self.world.slack_users[reviewer]
        pending = {line.view.item_id for line in self._lines() if line.view.status == ItemStatus.PENDING}
        _eventually(
            lambda: all(seen.pending_items(m) <= pending for m in seen.bot_messages(ws, user)) or None,
            f"the redraw of {reviewer}'s digest",
        )

    # ---- 8–12: ticks, the deadline ---------------------------------------------------------------------
    def tick(self, *, deadline: bool = False) -> None:
        ws, users = self.world.workspace, self.world.slack_users
        before = {key: len(seen.bot_messages(ws, user)) for key, user in users.items()}
        summary = run_tick(
            lambda: session_scope(self.engine),
            notifier=self.wiring.notifier(),
            connectors=self.wiring.connectors(self.clock),
            settings=self.wiring.config.settings.enforcement,
            protection=self.wiring.protection(),
            actor=SCHEDULER,
            clock=self.clock,
        )
        notified = summary.notified
        if notified is None or notified.failed or not notified.sent:
            raise Unexpected(f"reminders should reach their reviewers: {notified}")
        for key, user in users.items():
            for message in seen.bot_messages(ws, user)[before[key] :]:
                title = seen.screen(message)[0].removeprefix("┃ ")
                self.narrator.line(f"  Slack, to {department.person(key).name}: {title}")
        if notified.escalated:
            self.narrator.line(f"  {notified.escalated} silent item(s) escalated to the fallback reviewer")
        if not deadline:
            if summary.closed:
                raise Unexpected("the campaign closed before its deadline")
            return
        closed, plan = summary.closed.get(self.campaign_id), summary.planned.get(self.campaign_id)
        if closed is None or not closed.closed or not closed.revoked or plan is None:
            raise Unexpected(f"the campaign should close with revocations: {closed}, plan {plan}")
        self.narrator.line(
            f"  campaign {self.campaign_id} closed: the cycle's policy revoked {closed.revoked} and kept "
            f"{closed.kept}; {closed.expired} expired"
        )
        for reason, count in closed.reasons.items():
            self.narrator.line(f"    {count} × {reason}")

    # ---- 13–15: plan, approve and revoke, read back -------------------------------------------------------
    def show_plan(self) -> list[int]:
        lines = {line.view.item_id: line for line in self._lines()}
        with session_scope(self.engine) as session:
            rows = outbox_rows(session, campaign_id=self.campaign_id)
            decisions = session.exec(
                select(Decision.review_item_id, Decision.via).where(col(Decision.superseded).is_(False))
            ).all()
        via = dict(decisions)
        planned = [row for row in rows if row.state == RevocationState.PLANNED]
        held = [row for row in rows if row.state == RevocationState.HELD]
        refused = [line for line in lines.values() if line.view.status == ItemStatus.NEEDS_HUMAN_REVIEW]
        say = self.narrator.line
        say(f"  planned, for an admin to approve ({len(planned)}):")
        for row in planned:
            view = lines[_item(row)].view
            how = f"{view.access}; decided via {via[view.item_id]}"
            say(f"    {view.store}: {view.holder} ({how}): {_change(row, view)}")
        for store, group in _by_store(held, lines).items():
            say(f"  held by the blast-radius limit ({len(group)}): {store}: {group[0].hold_reason}")
            say("    " + ", ".join(sorted({lines[_item(row)].view.holder for row in group})))
        say(f"  left to a person, never automatic ({len(refused)}):")
        for line in refused:
            say(f"    {line.view.store}: {line.view.holder} ({line.view.access}): {line.human_review_reason}")
        self.held = len(held)
        protected = {line.view.holder for line in refused if "protected" in (line.human_review_reason or "")}
        in_outbox = {lines[_item(row)].view.holder for row in rows}
        if (
            not planned
            or not held
            or department.BREAK_GLASS not in protected
            or department.BREAK_GLASS in in_outbox
        ):
            raise Unexpected(
                f"the plan should hold planned ({len(planned)}) and held ({len(held)}) revocations, and "
                f"leave the break-glass account protected, never planned ({sorted(protected)})"
            )
        return [row.id for row in planned if row.id is not None]

    def revoke(self, planned: list[int]) -> None:
        with session_scope(self.engine) as session:
            approved = approve(
                session, planned, campaign_id=self.campaign_id, actor=self.actor, clock=self.clock
            )
        enforcement = self.wiring.config.settings.enforcement
        connectors = self.wiring.connectors(self.clock)
        summary = execute(
            self.engine, connectors, settings=enforcement, clock=self.clock, worker=worker_name()
        )
        outcomes = ", ".join(f"{n} {state}" for state, n in summary.outcomes.items())
        self.narrator.line(
            f"  {self.actor.id} approved {len(approved)}; the outbox ran in {summary.mode} mode: {outcomes}"
        )
        if summary.outcomes != Counter({"verified": len(approved)}):
            raise Unexpected(f"{len(approved)} revocations should be verified: {dict(summary.outcomes)}")
        lines = {line.view.item_id: line for line in self._lines()}
        with session_scope(self.engine) as session:
            rows = outbox_rows(session, campaign_id=self.campaign_id)
        for row in rows:
            view = lines[_item(row)].view
            there = self.world.still_has_access(view.store, view.holder)
            where = "moto" if row.system == "aws" else "the Graph simulator"
            if (row.state == RevocationState.VERIFIED) == there:
                raise Unexpected(f"{view.holder} on {view.store} is {row.state}, yet {where} says {there=}")
            if row.state == RevocationState.VERIFIED:
                self.narrator.line(f"  ✔ {view.store}: {view.holder}: {_change(row, view)} (gone in {where})")
        kept = [line.view for line in lines.values() if line.view.status == ItemStatus.NEEDS_HUMAN_REVIEW]
        if not all(self.world.still_has_access(view.store, view.holder) for view in kept):
            raise Unexpected("access left to a person was removed")
        self.narrator.line(
            f"  still in place, as planned: the {self.held} held revocations and the protected accounts"
        )

    # ---- 16: evidence --------------------------------------------------------------------------------
    def evidence(self) -> None:
        with session_scope(self.engine) as session:  # what the scheduler does every hour
            checkpoints.record_checkpoint(session, None, clock=self.clock)
        with session_scope(self.engine) as session:  # what `recertify audit verify` does
            head = audit.verify(session)
            report = checkpoints.verify_checkpoints(session, None)
        self.narrator.line(
            f"  audit chain intact: {head.seq} events, head {head}; checkpoints in the chain: "
            f"{report.in_database}"
        )
        self.report = export_campaign(
            self.engine,
            self.actor,
            self.campaign_id,
            formats=list(ExportFormat),
            out_dir=self.target.out,
            clock=self.clock,
        )
        manifest = json.loads(self.report.manifest.path.read_bytes())
        for entry in manifest["files"]:
            data = (self.target.out / entry["name"]).read_bytes()
            if hashlib.sha256(data).hexdigest() != entry["sha256"]:
                raise Unexpected(f"{entry['name']} does not match its SHA-256 in the manifest")
            self.narrator.line(f"  {entry['name']}  {entry['bytes']:,} bytes, sha256 {entry['sha256'][:16]}…")
        name, at = self.report.manifest.path.name, manifest["audit_head"]
        self.narrator.line(f"  {name}  (each file's SHA-256; the evidence was read at audit head {at})")
        _write_config(self.target)

    def _lines(self) -> list[ItemLine]:
        with session_scope(self.engine) as session:
            return show_campaign(session, self.campaign_id)[1]


# ---- helpers ------------------------------------------------------------------------------------------
def _configure(world: department.RunningDepartment, url: str, engine: Engine) -> Wiring:
    """Recertify configured for the simulators through environment variables, as a deployment is (only the
    mapping is the demo's: nothing is read from the caller's recertify.toml or environment), then app.py's
    composition root builds the adapters from it."""
    from app import Wiring

    environ = {
        "RECERTIFY_DATABASE_URL": url,
        "RECERTIFY_AWS_IDENTITY_CENTER": "false",  # moto's sso-admin lacks calls the reader needs
        "RECERTIFY_GRAPH_URL": world.graph.url,
        "RECERTIFY_GRAPH_TOKEN": department.GRAPH_TOKEN,
        "RECERTIFY_ENTRA_PERSONAL_DATA_GROUPS": json.dumps(world.entra.personal_data_groups),
        "RECERTIFY_ENTRA_PERSONAL_DATA_APPS": json.dumps(world.entra.personal_data_apps),
        "RECERTIFY_SLACK_API_URL": world.slack.api_url,
        "RECERTIFY_SLACK_TEAM_ID": world.team_id,
        "RECERTIFY_SLACK_APP_ID": world.workspace.app_id,
        "RECERTIFY_SLACK_ADMINS": json.dumps([department.person("ruth.adeyemi").email]),
        "RECERTIFY_SLACK_AUDITORS": json.dumps([department.person("dana.whitfield").email]),
        "SLACK_BOT_TOKEN": department.BOT_TOKEN,
        "SLACK_SIGNING_SECRET": department.SIGNING_SECRET,
        "RECERTIFY_ENFORCEMENT_MODE": "live",
    }
    config = load_settings(None, environ)
    problems = missing_secrets(config)
    if problems:
        raise Unexpected("; ".join(problems))
    return Wiring(config, engine)


def _write_config(target: Target) -> None:
    database = (
        "# [database] comes from RECERTIFY_DATABASE_URL, as it did for the demo\n"
        if target.external
        else f"[database]\nurl = {json.dumps(target.url)}\n"
    )
    (target.out / "recertify.toml").write_text(
        "# Written by `recertify demo`: its database, with every source off (the simulators are gone), for\n"
        "# the commands that read: access, audit history|verify|export, campaign show, revocations list.\n"
        "# examples/recertify.toml shows a real configuration.\n\n"
        f"{database}\n[aws]\nenabled = false\n\n[entra]\nenabled = false\n\n[slack]\nenabled = false\n",
        encoding="utf-8",
    )


def _item(row: Revocation) -> int:
    assert row.review_item_id is not None  # noqa: S101  (a campaign's revocation)
    return row.review_item_id


def _change(row: Revocation, view: ItemView) -> str:
    """The outbox's own description of the change, with names for the object ids Entra's descriptions use."""
    text = str(row.action.get("description", ""))
    names = {"member_id": view.holder, "principal_id": view.holder, "sp_id": view.store}
    for key, value in row.action.get("params", []):
        if key in names:
            text = text.replace(str(value), names[key])
    return text


def _by_store(rows: list[Revocation], lines: dict[int, ItemLine]) -> dict[str, list[Revocation]]:
    grouped: dict[str, list[Revocation]] = defaultdict(list)
    for row in rows:
        grouped[lines[_item(row)].view.store].append(row)
    return grouped


def _eventually(check: Callable[[], T | None], what: str, timeout: float = WAIT_SECONDS) -> T:
    """The bot acknowledges first and works after (Slack's 3 s): wait for the work, not for the answer."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            found = check()
        except LookupError:  # not there yet: the message, the reply, the modal
            found = None
        if found is not None:
            return found
        if time.monotonic() > deadline:
            raise TimeoutError(f"no sign of {what} after {timeout:.0f} s")
        time.sleep(0.02)
