"""Decisions taken in Slack, recorded after the acknowledgement, and the messages they change redrawn.

Decisions run on one worker and redraws on another (bot/background.py says why). A message is redrawn only
if the bot's record says it posted it to the person who clicked, and from that record
(reviews.campaigns.posted), never from what the payload says the message holds.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlmodel import Session

from bot.background import SerialWorker
from bot.blocks import PageRef, updated_page
from bot.home import publish_home
from bot.replies import tell
from bot.services import BotServices
from reviews import outcomes
from reviews.campaigns.bulk import BulkMode, record_bulk
from reviews.campaigns.decide import record_decision
from reviews.campaigns.posted import page_message, posted_page
from reviews.errors import InvalidArgument, NotAuthorized, NotFound
from reviews.storage.models import DecidedVia, DecisionOutcome

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Press:
    """Who pressed, where: `channel` and `ts` are None in the App Home. `key` makes a repeat harmless."""

    user: str
    channel: str | None
    ts: str | None
    key: str


@dataclass(frozen=True, slots=True)
class DecisionRequest:
    press: Press
    item_id: int
    outcome: DecisionOutcome
    justification: str | None = None


class ReviewDesk:
    def __init__(self, services: BotServices) -> None:
        self.services = services
        self.decisions = SerialWorker("recertify-decisions")
        self.redraws = SerialWorker("recertify-redraws")

    def decide(self, client: WebClient, request: DecisionRequest) -> None:
        self.decisions.request(request.press.key, lambda: self._decide(client, request))

    def decide_all(self, client: WebClient, press: Press, mode: BulkMode) -> None:
        self.decisions.request(press.key, lambda: self._decide_all(client, press, mode))

    def _decide(self, client: WebClient, request: DecisionRequest) -> None:
        press = request.press
        actor = self.services.actor(press.user)
        try:
            result = record_decision(
                self.services.engine,
                item_id=request.item_id,
                outcome=request.outcome,
                actor=actor,
                via=DecidedVia.SLACK,
                clock=self.services.clock,
                justification=request.justification,
                request_key=press.key[:200],
                context={"channel": press.channel, "ts": press.ts, "slack_user": press.user},
            )
        except (NotAuthorized, InvalidArgument, NotFound) as exc:
            return tell(client, press.channel, press.user, f"Not recorded: {exc}")
        if press.channel is None:  # clicked in the App Home: redraw it
            publish_home(self.services, client, press.user)
        else:
            self.redraw(client, press.channel, press.ts, actor.person_id)
        if not result.applied:
            tell(client, press.channel, press.user, result.message)

    def _decide_all(self, client: WebClient, press: Press, mode: BulkMode) -> None:
        """The campaign is the one of the digest the bot posted to this person at (channel, ts)."""
        actor, channel, user = self.services.actor(press.user), press.channel, press.user
        page = None
        if channel and press.ts and actor.person_id is not None:
            with Session(self.services.engine) as session:
                page = posted_page(session, channel=channel, message_ts=press.ts, person_id=actor.person_id)
        if page is None:
            return tell(client, channel, user, "That message is not one of your Recertify digests.")
        try:
            result = record_bulk(
                self.services.engine,
                campaign_id=page.campaign_id,
                mode=mode,
                actor=actor,
                via=DecidedVia.SLACK,
                clock=self.services.clock,
                request_key=press.key,
                context={"channel": channel, "ts": press.ts},
            )
        except NotAuthorized as exc:
            return tell(client, channel, user, f"Not recorded: {exc}")
        for page_channel, page_ts in page.messages:  # every page of that digest may have changed
            self.redraw(client, page_channel, page_ts, actor.person_id)
        decided = ", ".join(f"{n} {outcomes.decided(o)}" for o, n in result.decided.items()) or "nothing"
        skipped = "; ".join(f"{n} skipped: {why}" for why, n in result.skipped.items())
        tell(client, channel, user, f"Decided: {decided}." + (f" {skipped}." if skipped else ""))

    def redraw(self, client: WebClient, channel: str, ts: str | None, person_id: int | None) -> None:
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
