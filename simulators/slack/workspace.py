"""The simulated Slack workspace: its team, its users, the app and the bot user it is installed as, and
everything a conversation with the bot leaves behind: channels and DMs, user groups, messages (with their
edits), modals and Home tabs, and the trigger ids and response URLs handed to the bot.

Ids are deterministic (derived from the team id and a counter) and look like Slack's ("U0…", "C0…",
"S0…", "V0…", 11 characters), so two runs of a test or of `recertify demo` see the same ids. A user's DM
with the app is "D" + the user id without its "U" (stable). Message timestamps are Slack's
"<unix seconds>.<6 digits>", unique and increasing, on the workspace clock. Emails are unique per
workspace and matched case-insensitively. All reads and writes hold `lock`, which the simulator also holds
while it serves a call, so a test may change the workspace while a client is talking to the simulator.

Reading what users see: `messages(channel)`, `dm_messages(user_id)`, `ephemeral_messages(user_id)`,
`message(channel, ts)`, `home(user_id)`, `open_views(user_id)`, `view(view_id)`.
"""

from __future__ import annotations

import base64
import hashlib
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from simulators.slack.model import (
    Json,
    ResponseUrl,
    SlackChannel,
    SlackMessage,
    SlackUserGroup,
    SlackView,
    Trigger,
    block_elements,
)

TRIGGER_LIFETIME_S = 3.0  # Slack: a trigger_id "expires three seconds after it's sent to your app"
RESPONSE_URL_USES = 5  # Slack: a response_url may be used "up to five times within 30 minutes"
RESPONSE_URL_LIFETIME_S = 30 * 60.0


@dataclass
class SlackUser:
    id: str
    name: str  # the legacy username (handle), unique in the workspace
    email: str | None
    real_name: str
    display_name: str
    deleted: bool
    is_bot: bool
    updated: int  # unix seconds of the last change

    def to_api(self, team_id: str) -> dict[str, Any]:
        """The user object as users.info and users.lookupByEmail return it."""
        profile: dict[str, Any] = {
            "real_name": self.real_name,
            "real_name_normalized": self.real_name,
            "display_name": self.display_name,
            "display_name_normalized": self.display_name,
            "team": team_id,
        }
        if self.email is not None:
            profile["email"] = self.email
        return {
            "id": self.id,
            "team_id": team_id,
            "name": self.name,
            "deleted": self.deleted,
            "real_name": self.real_name,
            "is_bot": self.is_bot,
            "is_app_user": False,
            "profile": profile,
            "updated": self.updated,
        }


class SlackWorkspace:
    def __init__(
        self,
        team_id: str = "T0001",
        team_name: str = "Department",
        *,
        domain: str | None = None,
        bot_name: str = "recertify",
        app_id: str | None = None,
        enterprise_id: str | None = None,
        enterprise_name: str = "Organization",
        org_wide: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`clock` (unix seconds) stamps users' `updated`, message timestamps, and the issue time of
        trigger ids and response URLs: a test moves it to expire them without sleeping.

        `enterprise_id`: the workspace belongs to an Enterprise Grid organization; `org_wide`: the app is
        installed on the whole organization (an org-ready app), not on this workspace alone, which changes
        what Slack sends the bot (`outgoing.py`) and what auth.test answers."""
        if org_wide and not enterprise_id:
            raise ValueError("an org-wide install needs the organization's enterprise_id")
        self.team_id = team_id
        self.team_name = team_name
        self.enterprise_id = enterprise_id
        self.enterprise_name = enterprise_name
        self.org_wide = org_wide
        self.domain = domain or (re.sub(r"[^a-z0-9-]+", "-", team_name.lower()).strip("-") or "workspace")
        self.lock = threading.RLock()
        self._clock = clock
        self._serial = 0
        self._users: dict[str, SlackUser] = {}
        self._by_email: dict[str, str] = {}  # lower-cased email → user id
        self._channels: dict[str, SlackChannel] = {}
        self._groups: dict[str, SlackUserGroup] = {}
        self._messages: dict[str, list[SlackMessage]] = {}  # channel → its messages, oldest first
        self._views: dict[str, SlackView] = {}
        self._stacks: dict[str, list[str]] = {}  # user → the view ids of their open modal, root first
        self._homes: dict[str, str] = {}  # user → the view id of their Home tab
        self._triggers: dict[str, Trigger] = {}
        self._response_urls: dict[str, ResponseUrl] = {}
        self._last_us = 0
        self._created = int(clock())
        self.bot_id = self._new_id("B")
        self.bot_user_id = self.add_user(None, bot_name, is_bot=True, name=bot_name)
        # the app id is derived apart from the counter, so adding it moved no existing user's id
        self.app_id = app_id or "A0" + _b32(f"{team_id}:app")

    @property
    def installed_team_id(self) -> str:
        """Where the app is installed, as a view's `team_id` and `app_installed_team_id` name it: the
        organization for an org-wide install (docs.slack.dev/messaging/work-objects-implementation shows a
        Grid view with both "E123ABC456"), else the workspace."""
        return self.enterprise_id if self.org_wide and self.enterprise_id else self.team_id

    @property
    def url(self) -> str:
        return f"https://{self.domain}.slack.com/"

    def add_user(
        self,
        email: str | None,
        real_name: str,
        *,
        deleted: bool = False,
        is_bot: bool = False,
        user_id: str | None = None,
        display_name: str = "",
        name: str | None = None,
    ) -> str:
        with self.lock:
            uid = user_id or self._new_id("U")
            if uid in self._users:
                raise ValueError(f"user id {uid} already exists")
            self._claim_email(email, uid)
            handle = self._unique_name(name or (email.split("@")[0] if email else real_name))
            self._users[uid] = SlackUser(
                uid, handle, email, real_name, display_name, deleted, is_bot, int(self._clock())
            )
            return uid

    def update_user(
        self,
        user_id: str,
        *,
        email: str | None = None,
        real_name: str | None = None,
        display_name: str | None = None,
        deleted: bool | None = None,
    ) -> None:
        """Change a user as Slack would after a profile edit or a (re)activation; None leaves a field."""
        with self.lock:
            user = self._users[user_id]
            if email is not None and email.lower() != (user.email or "").lower():
                self._claim_email(email, user_id)
                if user.email is not None:
                    del self._by_email[user.email.lower()]
            if email is not None:
                user.email = email
            if real_name is not None:
                user.real_name = real_name
            if display_name is not None:
                user.display_name = display_name
            if deleted is not None:
                user.deleted = deleted
            user.updated = int(self._clock())

    def user(self, user_id: str) -> SlackUser | None:
        with self.lock:
            return self._users.get(user_id)

    def user_by_email(self, email: str) -> SlackUser | None:
        with self.lock:
            uid = self._by_email.get(email.lower())
            return None if uid is None else self._users[uid]

    def users(self) -> list[SlackUser]:
        with self.lock:
            return list(self._users.values())

    # ---- conversations ----------------------------------------------------------------------------
    def add_channel(
        self,
        name: str,
        *,
        members: Iterable[str] = (),
        private: bool = False,
        archived: bool = False,
        bot_member: bool = True,
        channel_id: str | None = None,
    ) -> str:
        """A public or private channel; the bot is a member unless `bot_member` is False."""
        with self.lock:
            cid = channel_id or self._new_id("C")
            if cid in self._channels:
                raise ValueError(f"channel id {cid} already exists")
            people = set(members) | ({self.bot_user_id} if bot_member else set())
            self._channels[cid] = SlackChannel(
                cid, name, is_private=private, members=people, is_archived=archived
            )
            return cid

    def update_channel(
        self, channel_id: str, *, archived: bool | None = None, members: Iterable[str] | None = None
    ) -> None:
        with self.lock:
            channel = self._channels[channel_id]
            if archived is not None:
                channel.is_archived = archived
            if members is not None:
                channel.members = set(members)

    def channel(self, channel_id: str) -> SlackChannel | None:
        with self.lock:
            return self._channels.get(channel_id)

    def dm_channel_id(self, user_id: str) -> str:
        """The id of the app's DM with a user: "D" + the user id without its first letter, stable."""
        with self.lock:
            return self._dm(user_id).id

    def resolve_channel(self, channel: str) -> SlackChannel | None:
        """A channel or DM by id, or, for a user id, the app's DM with that user (as chat.postMessage
        resolves `channel=U…`); None when there is no such conversation or user."""
        with self.lock:
            found = self._channels.get(channel)
            if found is not None:
                return found
            if channel in self._users:
                return self._dm(channel)
            return None

    # ---- user groups ------------------------------------------------------------------------------
    def add_usergroup(
        self,
        handle: str,
        *,
        name: str | None = None,
        members: Iterable[str] = (),
        usergroup_id: str | None = None,
    ) -> str:
        with self.lock:
            gid = usergroup_id or self._new_id("S")
            if gid in self._groups:
                raise ValueError(f"user group id {gid} already exists")
            self._groups[gid] = SlackUserGroup(gid, handle, name or handle, list(members))
            return gid

    def set_usergroup_members(self, usergroup_id: str, members: Iterable[str]) -> None:
        with self.lock:
            self._groups[usergroup_id].members = list(members)

    def usergroup(self, usergroup_id: str) -> SlackUserGroup | None:
        with self.lock:
            return self._groups.get(usergroup_id)

    # ---- messages ---------------------------------------------------------------------------------
    def post(
        self,
        channel: str,
        text: str,
        *,
        user: str,
        blocks: list[Json] | None = None,
        thread_ts: str | None = None,
    ) -> SlackMessage:
        """A message a person writes (the bot's own messages arrive through the Web API)."""
        with self.lock:
            found = self.resolve_channel(channel)
            if found is None:
                raise ValueError(f"no conversation {channel}")
            return self.store_message(found.id, text, blocks or [], user=user, thread_ts=thread_ts)

    def messages(self, channel: str) -> list[SlackMessage]:
        """The messages everyone in a conversation sees (not ephemeral, not deleted), oldest first,
        thread replies included (`thread_ts` tells them apart). A user id reads the app's DM with them."""
        with self.lock:
            found = self.resolve_channel(channel)
            if found is None:
                return []
            return [m for m in self._messages.get(found.id, []) if m.ephemeral_to is None and not m.deleted]

    def dm_messages(self, user_id: str) -> list[SlackMessage]:
        return self.messages(self.dm_channel_id(user_id))

    def ephemeral_messages(self, user_id: str, channel: str | None = None) -> list[SlackMessage]:
        """Ephemeral messages shown to a user (in one conversation, or anywhere), oldest first."""
        with self.lock:
            where = None if channel is None else self.resolve_channel(channel)
            return [
                m
                for cid, found in self._messages.items()
                if where is None or cid == where.id
                for m in found
                if m.ephemeral_to == user_id and not m.deleted
            ]

    def message(self, channel: str, ts: str) -> SlackMessage | None:
        """Any message by conversation and ts, ephemeral and deleted ones included."""
        with self.lock:
            for found in self._messages.get(channel, []):
                if found.ts == ts:
                    return found
            return None

    def all_messages(self) -> list[SlackMessage]:
        with self.lock:
            return sorted((m for ms in self._messages.values() for m in ms), key=lambda m: _ts_key(m.ts))

    def store_message(
        self,
        channel_id: str,
        text: str,
        blocks: list[Json],
        *,
        user: str,
        thread_ts: str | None = None,
        from_app: bool = False,
        ephemeral_to: str | None = None,
        posted_by: str = "chat.postMessage",
    ) -> SlackMessage:
        """Store a message as posted now (the simulator's methods call this after their checks)."""
        with self.lock:
            message = SlackMessage(
                channel_id,
                self.next_ts(),
                user,
                text,
                blocks,
                bot_id=self.bot_id if from_app else None,
                app_id=self.app_id if from_app else None,
                thread_ts=thread_ts,
                ephemeral_to=ephemeral_to,
                posted_by=posted_by,
            )
            self._messages.setdefault(channel_id, []).append(message)
            return message

    def next_ts(self) -> str:
        """A new message timestamp: unix seconds and microseconds on the workspace clock, increasing."""
        with self.lock:
            self._last_us = max(self._last_us + 1, int(self._clock() * 1_000_000))
            return f"{self._last_us // 1_000_000}.{self._last_us % 1_000_000:06d}"

    # ---- views ------------------------------------------------------------------------------------
    def home(self, user_id: str) -> SlackView | None:
        """The Home tab the app last published for a user."""
        with self.lock:
            view_id = self._homes.get(user_id)
            return None if view_id is None else self._views[view_id]

    def open_views(self, user_id: str) -> list[SlackView]:
        """The user's open modal: its view stack, root first (empty when none is open)."""
        with self.lock:
            return [self._views[v] for v in self._stacks.get(user_id, [])]

    def view(self, view_id: str) -> SlackView | None:
        with self.lock:
            return self._views.get(view_id)

    def view_by_external_id(self, external_id: str) -> SlackView | None:
        with self.lock:
            for found in self._views.values():
                if external_id and found.external_id == external_id:
                    return found
            return None

    def new_view(
        self, user_id: str, definition: Json, *, root_view_id: str | None = None, previous: str | None = None
    ) -> SlackView:
        with self.lock:
            view_id = self._new_id("V")
            view = SlackView(
                view_id,
                user_id,
                definition,
                self.new_hash(),
                root_view_id or view_id,
                previous,
                state_values=initial_state(definition),
            )
            self._views[view_id] = view
            return view

    def new_hash(self) -> str:
        with self.lock:
            self._serial += 1
            return f"{int(self._clock())}.{_b32(f'{self.team_id}:hash:{self._serial}')[:8].lower()}"

    def open_modal(self, view: SlackView) -> None:
        """views.open: the view becomes the root of the user's modal (any modal open before closes)."""
        with self.lock:
            self.close_modal(view.user_id)
            self._stacks[view.user_id] = [view.id]

    def push_view(self, view: SlackView) -> None:
        with self.lock:
            self._stacks.setdefault(view.user_id, []).append(view.id)

    def close_view(self, view_id: str) -> None:
        """Close one view of a modal (a submission without response_action closes the submitted view)."""
        with self.lock:
            view = self._views[view_id]
            stack = self._stacks.get(view.user_id, [])
            if view_id in stack:
                for closed in stack[stack.index(view_id) :]:
                    self._views[closed].open = False
                del stack[stack.index(view_id) :]

    def close_modal(self, user_id: str) -> None:
        with self.lock:
            for view_id in self._stacks.pop(user_id, []):
                self._views[view_id].open = False

    def set_home(self, view: SlackView) -> None:
        with self.lock:
            old = self._homes.get(view.user_id)
            if old is not None and old != view.id:
                self._views[old].open = False
            self._homes[view.user_id] = view.id

    # ---- what the bot is handed: trigger ids, response URLs ---------------------------------------
    def issue_trigger(self, user_id: str) -> str:
        """A trigger id as Slack puts in an interaction payload; views.open accepts it once, within 3 s."""
        with self.lock:
            self._serial += 1
            digits = "".join(ch for ch in self.team_id if ch.isdigit()) or "1"
            trigger_id = f"{self._serial}.{digits}.{_b32(f'{self.team_id}:trigger:{self._serial}').lower()}"
            self._triggers[trigger_id] = Trigger(trigger_id, user_id, self._clock())
            return trigger_id

    def trigger(self, trigger_id: str) -> Trigger | None:
        with self.lock:
            return self._triggers.get(trigger_id)

    def trigger_expired(self, trigger: Trigger) -> bool:
        return self._clock() - trigger.issued_at > TRIGGER_LIFETIME_S

    def issue_response_url(
        self,
        kind: str,
        user_id: str,
        channel_id: str | None,
        message_ts: str | None = None,
        *,
        ephemeral: bool = False,
    ) -> str:
        """The path part of a response URL ("actions/T…/…" or "commands/T…/…"); the simulator serves it."""
        with self.lock:
            self._serial += 1
            secret = _b32(f"{self.team_id}:response:{self._serial}").lower()
            key = f"{kind}/{self.team_id}/{self._serial}/{secret}"
            self._response_urls[key] = ResponseUrl(
                key, user_id, channel_id, message_ts, ephemeral, self._clock()
            )
            return key

    def response_url(self, key: str) -> ResponseUrl | None:
        with self.lock:
            return self._response_urls.get(key)

    def response_url_state(self, found: ResponseUrl) -> str | None:
        """None if the URL may be used now, else why not: "expired_url" or "used_url"."""
        if self._clock() - found.issued_at > RESPONSE_URL_LIFETIME_S:
            return "expired_url"
        if found.uses >= RESPONSE_URL_USES:
            return "used_url"
        return None

    def now(self) -> float:
        return self._clock()

    @property
    def created(self) -> int:
        return self._created

    # ---- internals --------------------------------------------------------------------------------
    def _dm(self, user_id: str) -> SlackChannel:
        cid = "D" + user_id[1:]
        found = self._channels.get(cid)
        if found is None:
            found = SlackChannel(cid, "", is_im=True, user=user_id, members={user_id, self.bot_user_id})
            self._channels[cid] = found
        return found

    def next_event_id(self) -> str:
        """A fresh Events API event id, unique in the workspace as Slack's are (bots dedupe retries on it)."""
        with self.lock:
            self._event_serial = getattr(self, "_event_serial", 0) + 1
            return f"Ev0{self._event_serial:09d}"

    def _new_id(self, prefix: str) -> str:
        taken = (self._users, self._channels, self._groups, self._views)
        while True:
            self._serial += 1
            candidate = prefix + "0" + _b32(f"{self.team_id}:{self._serial}")
            if all(candidate not in ids for ids in taken) and candidate != getattr(self, "bot_id", None):
                return candidate

    def _claim_email(self, email: str | None, uid: str) -> None:
        if email is None:
            return
        if email.lower() in self._by_email:
            raise ValueError(f"email {email} is already taken in this workspace")
        self._by_email[email.lower()] = uid

    def _unique_name(self, wanted: str) -> str:
        base = re.sub(r"[^a-z0-9._-]+", ".", wanted.lower()).strip(".") or "user"
        taken = {u.name for u in self._users.values()}
        name, n = base, 1
        while name in taken:
            n += 1
            name = f"{base}{n}"
        return name


def initial_state(definition: Json) -> dict[str, dict[str, Json]]:
    """A view's `state.values` before the user touches it: each input's initial value, as Slack shows it."""
    state: dict[str, dict[str, Json]] = {}
    for block in definition.get("blocks") or []:
        if not isinstance(block, dict) or block.get("type") != "input":
            continue
        for block_id, element in block_elements([block]):
            action_id = element.get("action_id")
            if isinstance(action_id, str):
                state.setdefault(block_id, {})[action_id] = element_value(element, None)
    return state


def element_value(element: Json, value: Any) -> Json:
    """An input element's entry in `state.values`, for `value` (None: its initial value, if any).

    Text inputs take a string; selects, radio buttons and overflow take an option value; multi-selects and
    checkboxes a list of option values; users/conversations/channels selects an id (or a list of ids);
    date, time and datetime pickers their Slack formats ("2024-05-01", "09:30", unix seconds)."""
    kind = str(element.get("type", ""))
    entry: Json = {"type": kind}
    options = _all_options(element)
    if kind in ("plain_text_input", "email_text_input", "url_text_input", "number_input"):
        entry["value"] = value if value is not None else element.get("initial_value")
    elif kind in ("static_select", "external_select", "radio_buttons", "overflow"):
        if value is None:
            entry["selected_option"] = element.get("initial_option")
        else:
            entry["selected_option"] = _option(options, str(value))
    elif kind in ("multi_static_select", "multi_external_select", "checkboxes"):
        if value is None:
            entry["selected_options"] = element.get("initial_options") or []
        else:
            entry["selected_options"] = [_option(options, str(v)) for v in value]
    elif kind == "users_select":
        entry["selected_user"] = value if value is not None else element.get("initial_user")
    elif kind == "multi_users_select":
        entry["selected_users"] = list(value) if value is not None else element.get("initial_users") or []
    elif kind == "conversations_select":
        entry["selected_conversation"] = value if value is not None else element.get("initial_conversation")
    elif kind == "multi_conversations_select":
        entry["selected_conversations"] = (
            list(value) if value is not None else element.get("initial_conversations") or []
        )
    elif kind == "channels_select":
        entry["selected_channel"] = value if value is not None else element.get("initial_channel")
    elif kind == "multi_channels_select":
        entry["selected_channels"] = (
            list(value) if value is not None else element.get("initial_channels") or []
        )
    elif kind == "datepicker":
        entry["selected_date"] = value if value is not None else element.get("initial_date")
    elif kind == "timepicker":
        entry["selected_time"] = value if value is not None else element.get("initial_time")
    elif kind == "datetimepicker":
        entry["selected_date_time"] = value if value is not None else element.get("initial_date_time")
    else:
        entry["value"] = value
    return entry


def _all_options(element: Json) -> list[Json]:
    options = [o for o in element.get("options") or [] if isinstance(o, dict)]
    for group in element.get("option_groups") or []:
        if isinstance(group, dict):
            options += [o for o in group.get("options") or [] if isinstance(o, dict)]
    return options


def _option(options: list[Json], value: str) -> Json:
    for option in options:
        if option.get("value") == value:
            return option
    raise ValueError(f"no option with value {value!r}: {[o.get('value') for o in options]}")


def _b32(text: str) -> str:
    return base64.b32encode(hashlib.sha256(text.encode()).digest()).decode()[:9]


def _ts_key(ts: str) -> tuple[int, int]:
    seconds, _, micros = ts.partition(".")
    return int(seconds), int(micros or 0)
