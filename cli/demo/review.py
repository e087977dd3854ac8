"""Steps 4–12, the review half: the cycle file is applied and starts a campaign, the SlackNotifier delivers
the digests, the bot (`wiring.Wiring`, on the demo's clock) takes the owners' signed button presses, and the
scheduler's tick escalates, reminds and, at the deadline, closes the campaign."""

from __future__ import annotations

from collections import Counter, defaultdict
from contextlib import ExitStack

from cli.demo.errors import Unexpected
from cli.demo.state import LoopState
from cli.demo.target import relative
from cli.demo.waiting import eventually
from reviews.actors import SCHEDULER
from reviews.campaigns.notify import advance_notifications
from reviews.campaigns.start import start_campaign
from reviews.cycles.files import load_cycle_files
from reviews.cycles.manage import apply_cycles, latest_cycle
from reviews.enforcement.tick import run_tick
from reviews.storage.db import session_scope
from reviews.storage.models import ItemStatus
from simulators import department

seen = department.slack  # what the department's people see in Slack, and read back from it


class ReviewSteps(LoopState):
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
        say(f"  cycle {cycle.name} v{cycle.version} from {relative(cycle_file)} (sha256 {cycle.sha256[:12]})")
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
        if self.wiring.slack_client() is None or isinstance(self.wiring.chat_directory(), str):
            raise Unexpected("Slack is not configured")
        server = self.wiring.http_bot(host="127.0.0.1", port=0, ready=lambda: True, clock=self.clock)
        stack.callback(server.stop)
        url, secret = f"{server.url}/slack/events", department.SIGNING_SECRET
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
            answer = eventually(lambda: seen.replies(ws, user)[before], f"the bot's answer to {action}")
            self._redrawn(press.reviewer)
            label = "Accept all recommendations" if action == "bulk_accept" else "Keep all"
            return f"[{label}] → the bot answers: {answer}{why}"
        assert press.store is not None and press.holder is not None  # noqa: S101
        holder = department.principal_name(department.store(press.store), press.holder)
        (item_id,) = items[(press.store, holder)]
        action = "item_keep" if press.button == "keep" else "item_revoke"
        self.hands.press_item(press.reviewer, seen.message_with(ws, user, item=item_id), item_id, action)
        if press.justification:
            view = eventually(lambda: self.hands.open_modal(press.reviewer, "justify"), "the modal")
            self.hands.submit(press.reviewer, view, {"text": press.justification})
            why = f', justified in the modal: "{press.justification}"'
        status = eventually(lambda: self._decided(item_id), f"the decision on item {item_id}")
        self._redrawn(press.reviewer)
        return f"[{press.button.title()}] {holder} on {press.store} → {status}{why}"

    def _decided(self, item_id: int) -> str | None:
        (line,) = [line for line in self._lines() if line.view.item_id == item_id]
        return None if line.view.status == ItemStatus.PENDING else line.view.status

    def _redrawn(self, reviewer: str) -> None:
        """Until every message the reviewer sees offers buttons only for items still pending."""
        ws, user = self.world.workspace, self.world.slack_users[reviewer]
        pending = {line.view.item_id for line in self._lines() if line.view.status == ItemStatus.PENDING}
        eventually(
            lambda: all(seen.pending_items(m) <= pending for m in seen.bot_messages(ws, user)) or None,
            f"the redraw of {reviewer}'s digest",
        )

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
            f"  campaign {self.campaign_id} closed by the cycle's policy: {closed.revoked} decided revoke, "
            f"{closed.kept} kept, {closed.expired} expired"
        )
        for reason, count in closed.reasons.items():
            self.narrator.line(f"    {count} × {reason}")
