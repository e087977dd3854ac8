"""The department's Slack workspace, what its people see (messages as terminal text), and what they press.

Presses are built by the simulator from the message the person actually sees (`Payloads`) and posted to the
bot signed with the app's signing secret (`SlackRequests`), exactly as Slack sends them.
"""

from __future__ import annotations

import html
import re
from typing import Any

from simulators.department.people import PEOPLE
from simulators.slack import SlackMessage, SlackSimulator, SlackWorkspace
from simulators.slack.outgoing import Delivery, SlackRequests

TEAM_ID = "T0DEPT001"
TEAM_NAME = "Department for Citizen Services"
ITEM_BLOCK = re.compile(r"item:([1-9][0-9]*)")
_EMOJI = {
    ":white_check_mark:": "✔",
    ":no_entry:": "✘",
    ":hourglass:": "⌛",
    ":warning:": "⚠",
    ":memo:": "✎",
    ":file_cabinet:": "▸",
    ":tada:": "✔",
}


def build_workspace() -> tuple[SlackWorkspace, dict[str, str]]:
    """Everyone with a Slack account; returns the workspace and person key → Slack user id."""
    workspace = SlackWorkspace(team_id=TEAM_ID, team_name=TEAM_NAME)
    users = {p.key: workspace.add_user(p.email, p.name) for p in PEOPLE if p.slack}
    return workspace, users


# ---- what a person sees -------------------------------------------------------------------------------
def plain(mrkdwn: str) -> str:
    """Slack mrkdwn as terminal text: emoji as symbols, no bold/italic marks, entities decoded."""
    for code, symbol in _EMOJI.items():
        mrkdwn = mrkdwn.replace(code, symbol)
    mrkdwn = re.sub(r":[a-z0-9_+-]+:", "", mrkdwn)
    return html.unescape(mrkdwn.replace("*", "").replace("`", ""))


def screen(message: SlackMessage) -> list[str]:
    """A message's blocks as lines: a header, sections (an item's details on one line under its first),
    context in parentheses, buttons in brackets."""
    lines: list[str] = []
    for block in message.blocks:
        kind = block.get("type")
        if kind == "header":
            lines.append(f"┃ {plain(block['text']['text'])}")
        elif kind == "section":
            text = plain(block.get("text", {}).get("text", "")).split("\n")
            lines.append(f"┃ {text[0]}")
            if len(text) > 1:
                lines.append("┃     " + " · ".join(part.strip() for part in text[1:] if part.strip()))
        elif kind == "context":
            parts = [plain(e.get("text", "")) for e in block.get("elements", []) if "text" in e]
            lines.append(f"┃     ({' '.join(parts)})")
        elif kind == "actions":
            labels = [
                f"[{e['text']['text']}]" for e in block.get("elements", []) if e.get("type") == "button"
            ]
            if lines and lines[-1].startswith("┃     ") and not lines[-1].endswith("]"):
                lines[-1] += "   " + " ".join(labels)  # an item's buttons, after its details
            else:
                lines.append("┃     " + " ".join(labels))
    return lines


def pending_items(message: SlackMessage) -> set[int]:
    """Items the message still offers Keep/Revoke buttons for."""
    found = set()
    for block in message.blocks:
        match = ITEM_BLOCK.fullmatch(str(block.get("block_id", "")))
        if match and block.get("type") == "actions":
            found.add(int(match.group(1)))
    return found


def shown_items(message: SlackMessage) -> set[int]:
    """Every item the message lists, decided or not."""
    return {
        int(match.group(1))
        for block in message.blocks
        if (match := ITEM_BLOCK.fullmatch(str(block.get("block_id", "")))) is not None
    }


def bot_messages(workspace: SlackWorkspace, user_id: str) -> list[SlackMessage]:
    """The app's messages in its DM with this person, oldest first."""
    return [m for m in workspace.dm_messages(user_id) if m.bot_id]


def message_with(
    workspace: SlackWorkspace, user_id: str, *, item: int | None = None, button: str = ""
) -> SlackMessage:
    """The app's first message (a digest page) showing this item, or carrying a button with this action id."""
    for message in bot_messages(workspace, user_id):
        if (item is not None and item in shown_items(message)) or (button and message.element(button)):
            return message
    raise LookupError(f"no message to {user_id} shows {'item ' + str(item) if item else button}")


def replies(workspace: SlackWorkspace, user_id: str) -> list[str]:
    """What the bot told this person privately (ephemeral answers), as plain text, oldest first."""
    return [plain(m.text) for m in workspace.ephemeral_messages(user_id)]


# ---- what a person presses ----------------------------------------------------------------------------
class Hands:
    """The department's people pressing buttons in Slack: each press is the simulator's payload for the
    message as the person sees it, signed and posted to the bot's request URL."""

    def __init__(self, sim: SlackSimulator, users: dict[str, str], bot_url: str, signing_secret: str) -> None:
        self.sim, self.users = sim, users
        self.requests = SlackRequests(bot_url, signing_secret)

    def press_item(self, who: str, message: SlackMessage, item_id: int, action_id: str) -> Delivery:
        payload = self.sim.payloads().block_action(
            self.users[who], message, action_id, str(item_id), block_id=f"item:{item_id}"
        )
        return self._sent(self.requests.send(payload))

    def press(self, who: str, message: SlackMessage, action_id: str) -> Delivery:
        """A message-wide button (accept all recommendations, keep all)."""
        return self._sent(
            self.requests.send(self.sim.payloads().block_action(self.users[who], message, action_id))
        )

    def open_modal(self, who: str, callback_id: str) -> str | None:
        views = self.sim.workspace.open_views(self.users[who])
        return views[-1].id if views and views[-1].callback_id == callback_id else None

    def submit(self, who: str, view_id: str, values: dict[str, Any]) -> Delivery:
        return self._sent(
            self.requests.send(self.sim.payloads().view_submission(self.users[who], view_id, values))
        )

    @staticmethod
    def _sent(delivery: Delivery) -> Delivery:
        if delivery.status != 200 or not delivery.in_time:
            answer = delivery.text[:200]
            raise RuntimeError(
                f"the bot answered HTTP {delivery.status} after {delivery.elapsed:.2f} s: {answer}"
            )
        return delivery
