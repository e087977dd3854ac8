"""Button presses: Keep and Revoke on an item, the bulk buttons of a digest, the App Home's delegate, and an
admin's approval of a held revocation. Each acknowledges first (Slack allows 3 s); decisions are recorded
after, on the desk's worker (bot/desk.py)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlmodel import Session

from bot.blocks import (
    BULK_ACCEPT,
    BULK_KEEP,
    ITEM_KEEP,
    ITEM_REVOKE,
    justification_modal,
    parse_item_value,
    parse_revocation_value,
)
from bot.blocks_views import CLEAR_DELEGATE, DELEGATE_DAYS, SET_DELEGATE, delegate_days
from bot.desk import DecisionRequest, Press, ReviewDesk
from bot.home import publish_home
from bot.justification import modal_metadata
from bot.replies import team, tell, where
from bot.services import BotServices
from reviews.actors import Actor
from reviews.campaigns.bulk import BulkMode
from reviews.campaigns.decide import check_may_decide
from reviews.campaigns.delegation import end_delegations
from reviews.campaigns.handover import hand_over
from reviews.campaigns.justification import asks_for_justification
from reviews.campaigns.views import item_views
from reviews.enforcement.outbox import approve
from reviews.errors import InvalidArgument, NotAuthorized, NotFound, RecertifyError
from reviews.storage.models import DecidedVia, DecisionOutcome

logger = logging.getLogger(__name__)
Ack = Callable[..., None]
Respond = Callable[..., Any]


def register(app: App, services: BotServices, desk: ReviewDesk) -> None:
    def on_item(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        user, channel, ts = where(body)
        try:
            item_id = parse_item_value(str(action.get("value", "")))
        except ValueError:
            return tell(client, channel, user, "That button is not one of Recertify's.")
        outcome = DecisionOutcome.KEEP if action.get("action_id") == ITEM_KEEP else DecisionOutcome.REVOKE
        if asks_for_justification(services.engine, item_id=item_id, outcome=outcome):
            return _open_justification(services, client, body, item_id)
        key = f"{team(body)}:{user}:{action.get('action_ts', '')}:{item_id}"
        desk.decide(client, DecisionRequest(Press(user, channel, ts, key), item_id, outcome))

    def on_bulk(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        user, channel, ts = where(body)
        accept = action.get("action_id") == BULK_ACCEPT
        mode = BulkMode.ACCEPT_RECOMMENDATIONS if accept else BulkMode.KEEP_ALL
        desk.decide_all(
            client, Press(user, channel, ts, f"{team(body)}:{user}:{action.get('action_ts', '')}"), mode
        )

    def on_set_delegate(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        user = str(body["user"]["id"])
        actor, chosen = services.actor(user), services.actor(str(action.get("selected_user", "")))
        try:
            days = delegate_days((body.get("view") or {}).get("state", {}).get("values", {}))
            rerouted = _hand_over(services, actor, chosen, days)
        except (NotAuthorized, InvalidArgument, ValueError) as exc:
            return tell(client, None, user, f"No delegate set: {exc}")
        publish_home(services, client, user)
        if rerouted:
            tell(client, None, user, _rerouted_text(rerouted))

    def on_clear_delegate(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        user = str(body["user"]["id"])
        actor = services.actor(user)
        if actor.person_id is not None:
            with Session(services.engine) as session:
                end_delegations(session, person_id=actor.person_id, actor=actor, clock=services.clock)
                session.commit()
        publish_home(services, client, user)

    def on_approve(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        actor = services.actor(str(body["user"]["id"]))
        try:
            revocation = parse_revocation_value(str(action.get("value", "")))
            with Session(services.engine) as session:
                approved = approve(session, [revocation], campaign_id=None, actor=actor, clock=services.clock)
                session.commit()
        except (RecertifyError, ValueError) as exc:
            respond(text=f"Not approved: {exc}", response_type="ephemeral", replace_original=False)
            return
        done = "approved" if approved else "was already approved"
        respond(
            text=f"Revocation {revocation} {done}; it runs with the next outbox pass.", replace_original=False
        )

    app.action(ITEM_KEEP)(on_item)
    app.action(ITEM_REVOKE)(on_item)
    app.action(BULK_ACCEPT)(on_bulk)
    app.action(BULK_KEEP)(on_bulk)
    app.action(SET_DELEGATE)(on_set_delegate)
    app.action(CLEAR_DELEGATE)(on_clear_delegate)
    app.action(DELEGATE_DAYS)(lambda ack: ack())  # Slack keeps the choice in the view's state
    app.action("approve_held")(on_approve)


def _open_justification(services: BotServices, client: WebClient, body: dict[str, Any], item_id: int) -> None:
    """The modal shows the item: only to someone who may decide it (else a recorded refusal). Done here,
    not on the worker, because the trigger expires 3 s after the press."""
    user, channel, ts = where(body)
    try:
        check_may_decide(
            services.engine,
            item_id=item_id,
            actor=services.actor(user),
            outcome=DecisionOutcome.KEEP,
            via=DecidedVia.SLACK,
            clock=services.clock,
        )
    except (NotAuthorized, NotFound) as exc:
        return tell(client, channel, user, f"Not recorded: {exc}")
    with Session(services.engine) as session:
        view = item_views(session, [item_id]).get(item_id)
    trigger = body.get("trigger_id")
    if view is None or not isinstance(trigger, str):
        return tell(client, channel, user, "Nothing recorded: press Keep again.")
    modal = justification_modal(view, "keep", modal_metadata(item_id, channel, ts))
    try:
        client.views_open(trigger_id=trigger, view=modal)
    except (SlackApiError, SlackClientError) as exc:
        logger.warning("could not open the justification modal for item %s: %s", item_id, exc)
        tell(client, channel, user, "Slack did not open the justification form: press Keep again.")


def _hand_over(services: BotServices, actor: Actor, chosen: Actor, days: int) -> int:
    """`actor` hands their reviews to `chosen` for `days`; how many items were rerouted (a delegate's own
    access goes to the next in line)."""
    if actor.person_id is None or chosen.person_id is None:
        raise NotAuthorized("both of you must be people Recertify knows (linked to Slack)")
    now = services.clock.now()
    with Session(services.engine) as session:
        _, rerouted = hand_over(
            session,
            person_id=actor.person_id,
            delegate_person_id=chosen.person_id,
            valid_from=now,
            valid_to=now + timedelta(days=days),
            actor=actor,
            clock=services.clock,
        )
        session.commit()
    return rerouted


def _rerouted_text(count: int) -> str:
    what, went = (
        ("1 of your items is", "it went") if count == 1 else (f"{count:,} of your items are", "they went")
    )
    return f"{what} about your delegate's own access, which nobody may review: {went} to the next in line."
