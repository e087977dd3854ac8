"""The Slack app (Bolt): reviewers decide, admins start campaigns and approve held revocations, auditors ask.

Every handler acknowledges first (Slack allows 3 s), then does the work and redraws what the person sees.
Who may do what is decided by the use cases (`record_decision`, `record_bulk`, `start_campaign`, the reads),
from the person bound to the clicking Slack account by its immutable id; a refusal is answered ephemerally,
names nothing about the item, and is recorded by the use case. The justification modal, which shows the
item, opens only once `check_may_decide` allowed it. A message is redrawn only if the bot's record says it
posted it to the person who clicked, and from that record (reviews.campaigns.posted), never from what the
payload says the message holds. Requests from another workspace or app are refused before any handler
runs, and an event Slack retries is processed once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from slack_bolt import App, BoltContext, BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy import Engine
from sqlmodel import Session

from bot import commands
from bot.background import SerialWorker
from bot.blocks import (
    BULK_ACCEPT,
    BULK_KEEP,
    ITEM_KEEP,
    ITEM_REVOKE,
    JUSTIFICATION_BLOCK,
    PageRef,
    home_view,
    justification_modal,
    parse_item_value,
    updated_page,
)
from bot.blocks_views import CLEAR_DELEGATE, DELEGATE_DAYS, SET_DELEGATE, delegate_days
from bot.justification import modal_metadata, parse_modal_metadata, submitted_text, text_problem
from bot.origin import origin, refusal
from bot.settings import SlackSettings
from reviews import outcomes
from reviews.actors import Actor
from reviews.campaigns.bulk import BulkMode, record_bulk
from reviews.campaigns.decide import check_may_decide, record_decision
from reviews.campaigns.delegation import active_delegate, end_delegations
from reviews.campaigns.handover import hand_over
from reviews.campaigns.posted import page_message, posted_page
from reviews.campaigns.protection import Protection
from reviews.campaigns.views import item_views, pending_for
from reviews.errors import InvalidArgument, NotAuthorized, NotFound
from reviews.models import DecidedVia, DecisionOutcome, ItemStatus, Person
from reviews.operations.chat_actor import chat_actor
from reviews.operations.chat_events import first_delivery
from reviews.ports import ChatDirectory, Clock, ItemView

logger = logging.getLogger(__name__)
LISTENER_THREADS = 32


@dataclass(frozen=True)
class BotServices:
    """What the handlers need; built by app.py (the composition root)."""

    engine: Engine
    clock: Clock
    slack: SlackSettings
    directory: ChatDirectory | None
    protection: Protection

    def actor(self, user_id: str) -> Actor:
        with Session(self.engine) as session:
            actor = chat_actor(
                session,
                user_id,
                directory=self.directory,
                admins=self.slack.admins,
                auditors=self.slack.auditors,
                clock=self.clock,
                admin_groups=self.slack.admin_groups,
                auditor_groups=self.slack.auditor_groups,
            )
            session.commit()
        return actor


def build_app(
    services: BotServices,
    *,
    client: WebClient,
    signing_secret: str | None,
) -> App:
    """`signing_secret` None: Socket Mode only (requests arrive over the app's own socket, not HTTP)."""
    app = App(
        client=client,
        # Bolt acknowledges a press only once a listener thread runs it: its default of 10 threads left the
        # 50th of 50 simultaneous presses waiting (bench/slack.py). Listeners are short (bot/background.py).
        listener_executor=ThreadPoolExecutor(max_workers=LISTENER_THREADS, thread_name_prefix="bolt"),
        signing_secret=signing_secret or "",
        request_verification_enabled=signing_secret is not None,
        token_verification_enabled=False,  # no auth.test at start: `config check` and the sync prove it
        raise_error_for_unhandled_request=False,
    )
    app.middleware(_only_our_workspace(services.slack))
    app.middleware(_events_once(services))
    reviews = _Reviews(services)
    app.action(ITEM_KEEP)(reviews.on_item)
    app.action(ITEM_REVOKE)(reviews.on_item)
    app.action(BULK_ACCEPT)(reviews.on_bulk)
    app.action(BULK_KEEP)(reviews.on_bulk)
    app.view("justify")(reviews.on_justification)
    app.event("app_home_opened")(reviews.on_home)
    app.action(SET_DELEGATE)(reviews.on_set_delegate)
    app.action(CLEAR_DELEGATE)(reviews.on_clear_delegate)
    app.action(DELEGATE_DAYS)(lambda ack: ack())  # Slack keeps the choice in the view's state
    commands.register(app, services)
    return app


def _only_our_workspace(slack: SlackSettings) -> Callable[..., Any]:
    def middleware(
        body: dict[str, Any],
        context: BoltContext,
        next: Callable[[], Any],  # noqa: A002  (Bolt's name)
    ) -> Any:
        where = origin(body, context)
        reason = refusal(slack, where)
        if reason is not None:
            logger.warning("refused a request from %s: %s", where, reason)
            return BoltResponse(status=403, body="")
        return next()

    return middleware


def _events_once(services: BotServices) -> Callable[..., Any]:
    def middleware(body: dict[str, Any], next: Callable[[], Any]) -> Any:  # noqa: A002
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id and not first_delivery(services.engine, str(event_id), clock=services.clock):
            return BoltResponse(status=200, body="")  # a retry of what was handled: acknowledge, do nothing
        return next()

    return middleware


class _Reviews:
    def __init__(self, services: BotServices) -> None:
        self.services = services
        self.decisions = SerialWorker("recertify-decisions")
        self.redraws = SerialWorker("recertify-redraws")

    def on_item(
        self, ack: Callable[..., None], body: dict[str, Any], action: dict[str, Any], client: WebClient
    ) -> None:
        ack()
        user, channel, ts = _where(body)
        try:
            item_id = parse_item_value(str(action.get("value", "")))
        except ValueError:
            return _tell(client, channel, user, "That button is not one of Recertify's.")
        outcome = DecisionOutcome.KEEP if action.get("action_id") == ITEM_KEEP else DecisionOutcome.REVOKE
        if outcome is DecisionOutcome.KEEP and self._needs_justification(item_id):
            return self._open_justification(client, body, user, channel, ts, item_id)
        key = f"{_team(body)}:{user}:{action.get('action_ts', '')}:{item_id}"
        self.decisions.request(
            key, lambda: self._decide(client, user, channel, ts, item_id, outcome, key, None)
        )

    def _needs_justification(self, item_id: int) -> bool:
        with Session(self.services.engine) as session:
            view = item_views(session, [item_id]).get(item_id)
        return view is not None and view.justification_required and view.status == ItemStatus.PENDING

    def _open_justification(
        self,
        client: WebClient,
        body: dict[str, Any],
        user: str,
        channel: str | None,
        ts: str | None,
        item_id: int,
    ) -> None:
        """The modal shows the item: only to someone who may decide it (else a recorded refusal). Done here,
        not on the worker, because the trigger expires 3 s after the press."""
        try:
            check_may_decide(
                self.services.engine,
                item_id=item_id,
                actor=self.services.actor(user),
                outcome=DecisionOutcome.KEEP,
                via=DecidedVia.SLACK,
                clock=self.services.clock,
            )
        except (NotAuthorized, NotFound) as exc:
            return _tell(client, channel, user, f"Not recorded: {exc}")
        with Session(self.services.engine) as session:
            view = item_views(session, [item_id]).get(item_id)
        trigger = body.get("trigger_id")
        if view is None or not isinstance(trigger, str):
            return _tell(client, channel, user, "Nothing recorded: press Keep again.")
        modal = justification_modal(view, "keep", modal_metadata(item_id, channel, ts))
        try:
            client.views_open(trigger_id=trigger, view=modal)
        except (SlackApiError, SlackClientError) as exc:
            logger.warning("could not open the justification modal for item %s: %s", item_id, exc)
            _tell(client, channel, user, "Slack did not open the justification form: press Keep again.")

    def on_justification(
        self, ack: Callable[..., None], body: dict[str, Any], view: dict[str, Any], client: WebClient
    ) -> None:
        """Checked before the acknowledgement, so a problem is shown on the form with the text still in it
        (`response_action: errors`): nothing typed is lost."""
        text = submitted_text((view.get("state") or {}).get("values") or {})
        target = parse_modal_metadata(view.get("private_metadata"))
        if text is None or target is None:
            stale = "This form cannot be recorded: copy your text, close the form and press Keep again."
            ack(response_action="errors", errors={JUSTIFICATION_BLOCK: stale})
            return
        problem = text_problem(text)
        if problem:
            ack(response_action="errors", errors={JUSTIFICATION_BLOCK: problem})
            return
        ack()
        user = str(body["user"]["id"])
        key = f"{_team(body)}:{user}:{view.get('id', '')}"
        channel, ts, item_id = target.channel, target.message_ts, target.item_id
        self.decisions.request(
            key,
            lambda: self._decide(client, user, channel, ts, item_id, DecisionOutcome.KEEP, key, text),
        )

    def on_bulk(
        self, ack: Callable[..., None], body: dict[str, Any], action: dict[str, Any], client: WebClient
    ) -> None:
        ack()
        user, channel, ts = _where(body)
        mode = (
            BulkMode.ACCEPT_RECOMMENDATIONS if action.get("action_id") == BULK_ACCEPT else BulkMode.KEEP_ALL
        )
        key = f"{_team(body)}:{user}:{action.get('action_ts', '')}"
        self.decisions.request(key, lambda: self._decide_bulk(client, user, channel, ts, mode, key))

    def _decide_bulk(
        self,
        client: WebClient,
        user: str,
        channel: str | None,
        ts: str | None,
        mode: BulkMode,
        key: str,
    ) -> None:
        """The campaign is the one of the digest the bot posted to this person at (channel, ts)."""
        actor = self.services.actor(user)
        page = None
        if channel and ts and actor.person_id is not None:
            with Session(self.services.engine) as session:
                page = posted_page(session, channel=channel, message_ts=ts, person_id=actor.person_id)
        if page is None:
            return _tell(client, channel, user, "That message is not one of your Recertify digests.")
        try:
            result = record_bulk(
                self.services.engine,
                campaign_id=page.campaign_id,
                mode=mode,
                actor=actor,
                via=DecidedVia.SLACK,
                clock=self.services.clock,
                request_key=key,
                context={"channel": channel, "ts": ts},
            )
        except NotAuthorized as exc:
            return _tell(client, channel, user, f"Not recorded: {exc}")
        for page_channel, page_ts in page.messages:  # every page of that digest may have changed
            self._redraw(client, page_channel, page_ts, actor.person_id)
        decided = ", ".join(f"{n} {outcomes.decided(o)}" for o, n in result.decided.items()) or "nothing"
        skipped = "; ".join(f"{n} skipped: {why}" for why, n in result.skipped.items())
        _tell(client, channel, user, f"Decided: {decided}." + (f" {skipped}." if skipped else ""))

    def on_home(self, event: dict[str, Any], client: WebClient) -> None:
        if event.get("tab") not in (None, "home"):
            return
        self._publish_home(client, str(event.get("user", "")))

    def on_set_delegate(
        self, ack: Callable[..., None], body: dict[str, Any], action: dict[str, Any], client: WebClient
    ) -> None:
        ack()
        user = str(body["user"]["id"])
        actor, chosen = self.services.actor(user), self.services.actor(str(action.get("selected_user", "")))
        try:
            days = delegate_days((body.get("view") or {}).get("state", {}).get("values", {}))
            if actor.person_id is None or chosen.person_id is None:
                raise NotAuthorized("both of you must be people Recertify knows (linked to Slack)")
            now = self.services.clock.now()
            with Session(self.services.engine) as session:
                _, rerouted = hand_over(
                    session,
                    person_id=actor.person_id,
                    delegate_person_id=chosen.person_id,
                    valid_from=now,
                    valid_to=now + timedelta(days=days),
                    actor=actor,
                    clock=self.services.clock,
                )
                session.commit()
        except (NotAuthorized, InvalidArgument, ValueError) as exc:
            _tell(client, None, user, f"No delegate set: {exc}")
            return
        self._publish_home(client, user)
        if rerouted:
            _tell(client, None, user, _rerouted_text(rerouted))

    def on_clear_delegate(self, ack: Callable[..., None], body: dict[str, Any], client: WebClient) -> None:
        ack()
        user = str(body["user"]["id"])
        actor = self.services.actor(user)
        if actor.person_id is not None:
            with Session(self.services.engine) as session:
                end_delegations(session, person_id=actor.person_id, actor=actor, clock=self.services.clock)
                session.commit()
        self._publish_home(client, user)

    def _publish_home(self, client: WebClient, user: str) -> None:
        actor = self.services.actor(user)
        pending: list[tuple[str, list[ItemView]]] = []
        delegate_label = None
        if actor.person_id is not None:
            with Session(self.services.engine) as session:
                pending = pending_for(session, actor.person_id, self.services.clock.now())
                current = active_delegate(session, actor.person_id, self.services.clock.now())
                person = session.get(Person, current) if current else None
                delegate_label = person.email if person else None
        client.views_publish(
            user_id=user, view=home_view(pending, delegate_label, actor.person_id is not None)
        )

    def _decide(
        self,
        client: WebClient,
        user: str,
        channel: str | None,
        ts: str | None,
        item_id: int,
        outcome: DecisionOutcome,
        key: str,
        justification: str | None,
    ) -> None:
        actor = self.services.actor(user)
        try:
            result = record_decision(
                self.services.engine,
                item_id=item_id,
                outcome=outcome,
                actor=actor,
                via=DecidedVia.SLACK,
                clock=self.services.clock,
                justification=justification,
                request_key=key[:200],
                context={"channel": channel, "ts": ts, "slack_user": user},
            )
        except (NotAuthorized, InvalidArgument, NotFound) as exc:
            return _tell(client, channel, user, f"Not recorded: {exc}")
        if channel is None:  # clicked in the App Home: redraw it
            self._publish_home(client, user)
        else:
            self._redraw(client, channel, ts, actor.person_id)
        if not result.applied:
            _tell(client, channel, user, result.message)

    def _redraw(self, client: WebClient, channel: str, ts: str | None, person_id: int | None) -> None:
        """Redraw the message at (channel, ts), soon after, on the redraw worker: once per message however
        many presses arrive meanwhile (bot/background.py)."""
        if not ts or person_id is None:
            return
        self.redraws.request((channel, ts), lambda: self._draw(client, channel, ts, person_id))

    def _draw(self, client: WebClient, channel: str, ts: str, person_id: int) -> None:
        """Only a digest page the bot posted to this person, with the items it posted there, as they stand
        now; any other message (another reviewer's, a forged reference) is left alone."""
        with Session(self.services.engine) as session:
            page = posted_page(session, channel=channel, message_ts=ts, person_id=person_id)
            if page is None:
                logger.info(
                    "not redrawing message %s in %s: not a digest page posted to that person", ts, channel
                )
                return
            message = page_message(session, page, self.services.clock.now())
        drawn = updated_page(message, PageRef(page.campaign_id, page.page, page.pages, page.item_ids))
        try:
            client.chat_update(channel=channel, ts=ts, text=drawn.text, blocks=drawn.blocks)
        except (SlackApiError, SlackClientError) as exc:  # the decision stands; only the redraw failed
            logger.warning("could not redraw message %s in %s: %s", ts, channel, exc)


def _rerouted_text(count: int) -> str:
    what, went = (
        ("1 of your items is", "it went") if count == 1 else (f"{count:,} of your items are", "they went")
    )
    return f"{what} about your delegate's own access, which nobody may review: {went} to the next in line."


def _where(body: dict[str, Any]) -> tuple[str, str | None, str | None]:
    container = body.get("container") or {}
    channel = (body.get("channel") or {}).get("id") or container.get("channel_id")
    ts = container.get("message_ts") or (body.get("message") or {}).get("ts")
    return str(body["user"]["id"]), channel, ts


def _team(body: dict[str, Any]) -> str:
    """The clicking user's workspace: in `team`, or (org-wide installs send `"team": null`) `user.team_id`."""
    team, user = body.get("team") or {}, body.get("user") or {}
    return str(body.get("team_id") or team.get("id") or user.get("team_id") or "")


def _tell(client: WebClient, channel: str | None, user: str, text: str) -> None:
    """A private answer to one person: ephemeral where they clicked, else (not a member there, or no
    channel) a DM. Never raises: the decision (or refusal) is already recorded."""
    try:
        if channel:
            client.chat_postEphemeral(channel=channel, user=user, text=text)
            return
    except SlackApiError:
        pass  # e.g. user_not_in_channel: fall through to a DM
    try:
        client.chat_postMessage(channel=user, text=text)
    except (SlackApiError, SlackClientError) as exc:
        logger.warning("could not tell %s: %s", user, exc)
