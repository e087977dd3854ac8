"""Modal submissions: the justification a reviewer gives for keeping access that needs one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.blocks import JUSTIFICATION_BLOCK
from bot.desk import DecisionRequest, Press, ReviewDesk
from bot.justification import parse_modal_metadata, submitted_text, text_problem
from bot.replies import team
from bot.services import BotServices
from reviews.storage.models import DecisionOutcome

STALE = "This form cannot be recorded: copy your text, close the form and press Keep again."


def register(app: App, services: BotServices, desk: ReviewDesk) -> None:
    def on_justification(
        ack: Callable[..., None], body: dict[str, Any], view: dict[str, Any], client: WebClient
    ) -> None:
        """Checked before the acknowledgement, so a problem is shown on the form with the text still in it
        (`response_action: errors`): nothing typed is lost."""
        text = submitted_text((view.get("state") or {}).get("values") or {})
        target = parse_modal_metadata(view.get("private_metadata"))
        if text is None or target is None:
            return ack(response_action="errors", errors={JUSTIFICATION_BLOCK: STALE})
        problem = text_problem(text)
        if problem:
            return ack(response_action="errors", errors={JUSTIFICATION_BLOCK: problem})
        ack()
        user = str(body["user"]["id"])
        press = Press(user, target.channel, target.message_ts, f"{team(body)}:{user}:{view.get('id', '')}")
        desk.decide(client, DecisionRequest(press, target.item_id, DecisionOutcome.KEEP, text))

    app.view("justify")(on_justification)
