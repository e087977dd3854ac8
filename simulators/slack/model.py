"""What the simulated workspace holds besides users: conversations, user groups, messages, views, the
trigger ids and response URLs it has handed out. Plain records; `SlackWorkspace` owns and locks them.

Each record renders itself as Slack's Web API and interaction payloads show it (`to_api`).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

Json = dict[str, Any]


@dataclass
class SlackChannel:
    id: str  # "C…" for channels, "D…" for the app's DM with a user
    name: str  # "" for DMs
    is_im: bool = False
    is_private: bool = False
    user: str | None = None  # a DM's other party
    members: set[str] = field(default_factory=set)
    is_archived: bool = False
    opened: bool = False  # a DM: conversations.open (or a post to the user id) has opened it

    def to_api(self, created: int) -> Json:
        if self.is_im:
            return {
                "id": self.id,
                "created": created,
                "is_im": True,
                "is_org_shared": False,
                "user": self.user,
                "is_user_deleted": False,
                "priority": 0,
            }
        return {
            "id": self.id,
            "name": self.name,
            "is_channel": not self.is_private,
            "is_group": False,
            "is_im": False,
            "is_private": self.is_private,
            "is_archived": self.is_archived,
            "created": created,
        }


@dataclass
class SlackUserGroup:
    id: str  # "S…"
    handle: str  # mention handle, e.g. "data-owners"
    name: str
    members: list[str] = field(default_factory=list)
    disabled: bool = False


@dataclass
class SlackMessage:
    channel: str
    ts: str
    user: str  # who posted it: the bot user for the app's messages
    text: str
    blocks: list[Json]
    bot_id: str | None = None  # set for the app's own messages
    app_id: str | None = None
    thread_ts: str | None = None
    ephemeral_to: str | None = None  # an ephemeral message: the only user who sees it
    posted_by: str = (
        "chat.postMessage"  # the method or path that made it: chat.postEphemeral, response_url, …
    )
    edits: list[tuple[str, list[Json]]] = field(default_factory=list)  # earlier (text, blocks), oldest first
    edited_ts: str | None = None
    deleted: bool = False

    def elements(self) -> Iterator[tuple[str, Json]]:
        """Every interactive element the user can press or pick, with its block's id."""
        yield from block_elements(self.blocks)

    def element(self, action_id: str, block_id: str | None = None) -> tuple[str, Json] | None:
        for found_block, element in self.elements():
            if element.get("action_id") == action_id and block_id in (None, found_block):
                return found_block, element
        return None

    def to_api(self, team_id: str) -> Json:
        shown: Json = {
            "type": "message",
            "user": self.user,
            "ts": self.ts,
            "text": self.text,
            "team": team_id,
        }
        if self.bot_id is not None:
            shown |= {"bot_id": self.bot_id, "app_id": self.app_id}
        if self.blocks:
            shown["blocks"] = copy.deepcopy(self.blocks)
        if self.thread_ts is not None:
            shown["thread_ts"] = self.thread_ts
        if self.edited_ts is not None:
            shown["edited"] = {"user": self.user, "ts": self.edited_ts}
        return shown


@dataclass
class SlackView:
    id: str  # "V…"
    user_id: str  # whose modal or Home tab it is
    definition: Json  # the view as the app sent it (type, title, blocks, callback_id, private_metadata, …)
    hash: str
    root_view_id: str
    previous_view_id: str | None = None
    state_values: dict[str, dict[str, Json]] = field(default_factory=dict)
    open: bool = True  # False once closed (submitted, cleared, replaced by another views.open)
    errors: dict[str, str] = field(default_factory=dict)  # the last `response_action: errors` shown

    @property
    def type(self) -> str:
        return str(self.definition.get("type", ""))

    @property
    def blocks(self) -> list[Json]:
        blocks = self.definition.get("blocks")
        return blocks if isinstance(blocks, list) else []

    @property
    def title(self) -> str | None:
        title = self.definition.get("title")
        return title.get("text") if isinstance(title, dict) else None

    @property
    def callback_id(self) -> str:
        return str(self.definition.get("callback_id") or "")

    @property
    def private_metadata(self) -> str:
        return str(self.definition.get("private_metadata") or "")

    @property
    def external_id(self) -> str:
        return str(self.definition.get("external_id") or "")

    def elements(self) -> Iterator[tuple[str, Json]]:
        yield from block_elements(self.blocks)

    def to_api(self, team_id: str, app_id: str, bot_id: str) -> Json:
        d = self.definition
        return {
            "id": self.id,
            "team_id": team_id,
            "type": self.type,
            "title": d.get("title"),
            "submit": d.get("submit"),
            "close": d.get("close"),
            "blocks": copy.deepcopy(self.blocks),
            "private_metadata": self.private_metadata,
            "callback_id": self.callback_id,
            "external_id": self.external_id,
            "state": {"values": copy.deepcopy(self.state_values)},
            "hash": self.hash,
            "clear_on_close": bool(d.get("clear_on_close", False)),
            "notify_on_close": bool(d.get("notify_on_close", False)),
            "root_view_id": self.root_view_id,
            "previous_view_id": self.previous_view_id,
            "app_id": app_id,
            "app_installed_team_id": team_id,
            "bot_id": bot_id,
        }


@dataclass
class Trigger:
    id: str
    user_id: str
    issued_at: float  # the workspace clock
    used: bool = False


@dataclass
class ResponseUrl:
    key: str  # the path after the host: "actions/T…/…" or "commands/T…/…"
    user_id: str
    channel_id: str | None
    message_ts: str | None  # the message whose element was pressed (actions only)
    message_ephemeral: bool
    issued_at: float
    uses: int = 0


def block_elements(blocks: list[Json]) -> Iterator[tuple[str, Json]]:
    for block in blocks:
        if not isinstance(block, dict):
            continue
        block_id = str(block.get("block_id", ""))
        kind = block.get("type")
        if kind == "actions":
            for element in block.get("elements") or []:
                if isinstance(element, dict):
                    yield block_id, element
        elif kind == "section" and isinstance(block.get("accessory"), dict):
            yield block_id, block["accessory"]
        elif kind == "input" and isinstance(block.get("element"), dict):
            yield block_id, block["element"]
