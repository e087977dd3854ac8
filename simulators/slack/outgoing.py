"""Requests *to* the bot, built and signed as Slack builds and signs them.

Signing (docs.slack.dev/authentication/verifying-requests-from-slack): `X-Slack-Signature` is
"v0=" + hex HMAC-SHA256, keyed by the app's signing secret, over `v0:{timestamp}:{raw body}`;
`X-Slack-Request-Timestamp` is that timestamp (unix seconds). `sign(body, secret, timestamp)` gives both.

Payloads (`Payloads`, usually `sim.payloads()`), made from the workspace's own state so that they are what
Slack would send: the user, team and app ids, the message or view the user acted on, a fresh `trigger_id`
(remembered, so views.open accepts it once within 3 s) and a `response_url` served by the simulator.

- `block_action(user_id, message, action_id, value=None)`: a press or pick on an element of a message
  (`message` is a `SlackMessage` or `(channel, ts)`), form-encoded `payload=<json>` as Slack posts it to
  the interactivity URL; `view_action(user_id, view_id, action_id, value=None)` the same in a modal or the
  Home tab. `value`: a button's own value (left out: the button's), an option value for selects, radio
  buttons and overflow menus, a list for multi-selects and checkboxes, an id for user/conversation pickers.
- `view_submission(user_id, view_id, values)`: `values` by action_id or block_id of the modal's inputs;
  the typed values are stored on the view (`state.values`) and the ack is applied as Slack applies it
  (empty: the view closes; `response_action` errors / update / push / clear).
- `view_closed(user_id, view_id)` (sent only for views with `notify_on_close`).
- `slash_command(user_id, command, text, channel=None)`: form-encoded, with `trigger_id` and
  `response_url`; an ack body is shown to the user (ephemeral unless `response_type: in_channel`).
- `event_callback(event, event_id=None)` (JSON), and the events built from state: `app_home_opened(user_id)`,
  `message_im(user_id, text)` (also stores the user's message in the DM); `url_verification(challenge)`.

Enterprise Grid (`SlackWorkspace(enterprise_id=…)`): interactions carry `enterprise: {id, name}` and the
organization in `team`; slash commands `enterprise_id` and `enterprise_name`; events `enterprise_id` and
`authorizations[0].enterprise_id`. Installed org-wide (`org_wide=True`), interactions carry `"team": null`
(the user's workspace only in `user.team_id`) and `is_enterprise_install` is true everywhere, as Slack
sends them to an org-ready app (api.slack.com/enterprise/org-ready-apps; bolt-js types its
payloads' `team` "null for org apps"). `sim.payloads(enterprise_id=…)` forges another organization.

With `strict=True` (the default) a builder refuses what no Slack client can produce, with ValueError: a
press by a user who cannot see the message or by a deactivated user, on an element that is not there,
with a button value other than the button's, a submission of a view the user does not have on top, or
with a required input left empty. `strict=False` builds it anyway (forged or impossible payloads).

Bodies are the bytes Slack sends: JSON compact, non-ASCII as UTF-8, "/" escaped as "\\/" (as Slack's
encoder does); forms percent-encoded with "+" for spaces and "%2A" for "*", so a bot that re-encodes
before verifying fails, as it would against Slack.

`SlackRequests(bot_url, signing_secret, clock=time.time)` POSTs an `Outgoing` with Slack's headers
(`Content-Type`, `User-Agent: Slackbot 1.0 (+https://api.slack.com/robots)`, the signature, and for event
retries `X-Slack-Retry-Num` / `X-Slack-Retry-Reason`) and returns a `Delivery` (status, headers, body,
elapsed). Knobs to forge: `secret=` (sign with another secret), `shift=` (seconds added to the timestamp,
signed over the shifted value), `headers=` (set, or with None remove, any header after signing: missing,
empty, non-numeric, 5,000-digit or Unicode-digit timestamps…), `body=` (send other bytes than those
signed), `url=`; `replay(delivery)` sends the very same bytes and headers again. A delivery counts as
acknowledged in time when the bot answered within Slack's 3 seconds (`Delivery.in_time`); only then is the
ack applied (a late modal submission leaves the modal open, as on Slack).
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode, urlsplit

from simulators.slack.blockkit import message_problems, view_problems
from simulators.slack.model import Json, SlackChannel, SlackMessage, SlackView
from simulators.slack.workspace import SlackWorkspace, element_value

ACK_DEADLINE_S = 3.0
USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)"
FORM = "application/x-www-form-urlencoded"
JSON_TYPE = "application/json"
RETRY_REASONS = (
    "http_timeout",
    "too_many_redirects",
    "ssl_error",
    "connection_failed",
    "http_error",
    "unknown_error",
)

# (status, headers with lower-cased names, body) of the bot's answer → a problem Slack would show, or None
AckHandler = Callable[[int, Mapping[str, str], bytes], "str | None"]


def sign(body: bytes, secret: str, timestamp: int | str) -> dict[str, str]:
    """Slack's v0 signature headers for `body` sent at `timestamp` (unix seconds)."""
    base = b"v0:" + str(timestamp).encode() + b":" + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Signature": f"v0={digest}", "X-Slack-Request-Timestamp": str(timestamp)}


def encode_json(payload: Any) -> bytes:
    """JSON as Slack's encoder writes it: compact, UTF-8, "/" escaped."""
    text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    return text.replace("/", "\\/").encode()


@dataclass(frozen=True)
class Outgoing:
    """One request Slack would make to the bot, ready to sign and send (HTTP) or wrap (Socket Mode)."""

    kind: str  # the Socket Mode envelope type: "interactive", "slash_commands" or "events_api"
    body: bytes  # the exact HTTP body
    content_type: str
    payload: Json  # what the body carries: the interaction payload, the command's fields, the event callback
    extra_headers: tuple[tuple[str, str], ...] = ()
    trigger_id: str | None = None
    response_url: str | None = None
    retry_num: int = 0
    retry_reason: str = ""
    on_ack: AckHandler | None = field(default=None, compare=False)

    def retry(self, num: int = 1, reason: str = "http_timeout") -> Outgoing:
        """The same event delivered again: Slack's retry, numbered 1–3, with its reason."""
        if self.kind != "events_api":
            raise ValueError("Slack retries only Events API deliveries")
        if reason not in RETRY_REASONS:
            raise ValueError(f"Slack's retry reasons are {RETRY_REASONS}")
        headers = (("X-Slack-Retry-Num", str(num)), ("X-Slack-Retry-Reason", reason))
        return replace(self, extra_headers=headers, retry_num=num, retry_reason=reason)


class Payloads:
    def __init__(
        self,
        workspace: SlackWorkspace,
        *,
        response_base: str = "https://hooks.slack.com/",
        team_id: str | None = None,
        api_app_id: str | None = None,
        enterprise_id: str | None = None,
        verification_token: str = "simulated-verification-token",  # noqa: S107 - Slack's deprecated field
    ) -> None:
        """`team_id` / `api_app_id` / `enterprise_id` override the workspace's (a request from another team,
        app or Enterprise Grid organization)."""
        self.ws = workspace
        self.response_base = response_base if response_base.endswith("/") else response_base + "/"
        self.team_id = team_id or workspace.team_id
        self.api_app_id = api_app_id or workspace.app_id
        self.enterprise_id = enterprise_id or workspace.enterprise_id
        self.verification_token = verification_token
        self._lock = threading.Lock()

    # ---- interactivity ----------------------------------------------------------------------------
    def block_action(
        self,
        user_id: str,
        message: SlackMessage | tuple[str, str],
        action_id: str,
        value: Any = None,
        *,
        block_id: str | None = None,
        strict: bool = True,
    ) -> Outgoing:
        ws = self.ws
        with ws.lock:
            found = message if isinstance(message, SlackMessage) else ws.message(*message)
            if found is None:
                raise ValueError(f"no message {message}")
            channel = ws.channel(found.channel)
            if channel is None:
                raise ValueError(f"no conversation {found.channel}")
            if strict:
                self._check_user(user_id)
                if found.deleted:
                    raise ValueError("the message was deleted")
                visible = (
                    found.ephemeral_to == user_id
                    if found.ephemeral_to is not None
                    else user_id in channel.members
                )
                if not visible:
                    raise ValueError(f"{user_id} cannot see message {found.ts} in {found.channel}")
            action = self._action(found.element(action_id, block_id), action_id, block_id, value, strict)
            ephemeral = found.ephemeral_to is not None
            key = ws.issue_response_url("actions", user_id, found.channel, found.ts, ephemeral=ephemeral)
            trigger_id = ws.issue_trigger(user_id)
            payload: Json = {
                "type": "block_actions",
                "user": self._user(user_id),
                "api_app_id": self.api_app_id,
                "token": self.verification_token,
                "container": {
                    "type": "message",
                    "message_ts": found.ts,
                    "channel_id": found.channel,
                    "is_ephemeral": ephemeral,
                },
                "trigger_id": trigger_id,
                **self._install(),
                "channel": self._channel(channel),
            }
            if not ephemeral:
                payload["message"] = found.to_api(ws.team_id)
            payload |= {
                "state": {"values": {}},
                "response_url": self.response_base + key,
                "actions": [action],
            }
            return self._interactive(payload, trigger_id=trigger_id, response_url=self.response_base + key)

    def view_action(
        self,
        user_id: str,
        view_id: str,
        action_id: str,
        value: Any = None,
        *,
        block_id: str | None = None,
        strict: bool = True,
    ) -> Outgoing:
        """A press or pick inside a modal or a Home tab (no response_url: Slack gives none for views)."""
        ws = self.ws
        with ws.lock:
            view = self._view(view_id)
            if strict:
                self._check_user(user_id)
                self._check_shown(user_id, view)
            found = None
            for got_block, element in view.elements():
                if element.get("action_id") == action_id and block_id in (None, got_block):
                    found = (got_block, element)
                    break
            action = self._action(found, action_id, block_id, value, strict)
            trigger_id = ws.issue_trigger(user_id)
            payload: Json = {
                "type": "block_actions",
                "user": self._user(user_id),
                "api_app_id": self.api_app_id,
                "token": self.verification_token,
                "container": {"type": "view", "view_id": view.id},
                "trigger_id": trigger_id,
                **self._install(),
                "view": self._shown(view),
                "actions": [action],
            }
            return self._interactive(payload, trigger_id=trigger_id)

    def view_submission(
        self, user_id: str, view_id: str, values: Mapping[str, Any] | None = None, *, strict: bool = True
    ) -> Outgoing:
        """The user presses the modal's submit button after filling `values` (by action_id or block_id)."""
        ws = self.ws
        with ws.lock:
            view = self._view(view_id)
            if strict:
                self._check_user(user_id)
                self._check_shown(user_id, view)
                if view.type != "modal":
                    raise ValueError("only modals are submitted")
            view.state_values = _filled(view, values or {}, strict=strict)
            trigger_id = ws.issue_trigger(user_id)
            payload: Json = {
                "type": "view_submission",
                **self._install(),
                "user": self._user(user_id),
                "api_app_id": self.api_app_id,
                "token": self.verification_token,
                "trigger_id": trigger_id,
                "view": self._shown(view),
                "response_urls": [],
            }
            return self._interactive(
                payload, trigger_id=trigger_id, on_ack=self._submission_ack(user_id, view.id)
            )

    def view_closed(self, user_id: str, view_id: str) -> Outgoing:
        ws = self.ws
        with ws.lock:
            view = self._view(view_id)
            payload: Json = {
                "type": "view_closed",
                **self._install(),
                "user": self._user(user_id),
                "api_app_id": self.api_app_id,
                "token": self.verification_token,
                "view": self._shown(view),
                "is_cleared": False,
            }
            ws.close_view(view.id)
            return self._interactive(payload)

    def slash_command(
        self, user_id: str, command: str, text: str = "", *, channel: str | None = None, strict: bool = True
    ) -> Outgoing:
        """`command` as typed ("/recertify"), in `channel` (default: the user's DM with the app)."""
        ws = self.ws
        with ws.lock:
            if strict:
                self._check_user(user_id)
                if not command.startswith("/"):
                    raise ValueError("a slash command starts with /")
            where = ws.resolve_channel(channel or user_id)
            if where is None:
                raise ValueError(f"no conversation {channel}")
            key = ws.issue_response_url("commands", user_id, where.id)
            trigger_id = ws.issue_trigger(user_id)
            user = ws.user(user_id)
            fields = {
                "token": self.verification_token,
                "team_id": self.team_id,
                "team_domain": ws.domain,
                "channel_id": where.id,
                "channel_name": "directmessage" if where.is_im else where.name,
                "user_id": user_id,
                "user_name": user.name if user is not None else "",
                "command": command,
                "text": text,
                "api_app_id": self.api_app_id,
                "is_enterprise_install": "true" if self.ws.org_wide else "false",
                "response_url": self.response_base + key,
                "trigger_id": trigger_id,
            }
            if self.enterprise_id:  # Slack adds the organization's id and name in Enterprise Grid
                fields |= {"enterprise_id": self.enterprise_id, "enterprise_name": self.ws.enterprise_name}
            return Outgoing(
                "slash_commands",
                urlencode(fields).encode(),
                FORM,
                dict(fields),
                trigger_id=trigger_id,
                response_url=self.response_base + key,
                on_ack=self._command_ack(user_id, where.id),
            )

    # ---- events -----------------------------------------------------------------------------------
    def event_callback(
        self, event: Json, event_id: str | None = None, *, event_time: int | None = None
    ) -> Outgoing:
        ws = self.ws
        payload: Json = {
            "token": self.verification_token,
            "team_id": self.team_id,
            **({"enterprise_id": self.enterprise_id} if self.enterprise_id else {}),
            "context_team_id": self.team_id,
            "context_enterprise_id": self.enterprise_id,
            "api_app_id": self.api_app_id,
            "event": event,
            "type": "event_callback",
            "event_id": event_id or ws.next_event_id(),
            "event_time": event_time if event_time is not None else int(ws.now()),
            "authorizations": [
                {
                    "enterprise_id": self.enterprise_id,
                    "team_id": self.team_id,
                    "user_id": ws.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": ws.org_wide,
                }
            ],
            "is_ext_shared_channel": False,
        }
        return Outgoing("events_api", encode_json(payload), JSON_TYPE, payload)

    def app_home_opened(self, user_id: str, *, tab: str = "home", event_id: str | None = None) -> Outgoing:
        ws = self.ws
        with ws.lock:
            event: Json = {
                "type": "app_home_opened",
                "user": user_id,
                "channel": ws.dm_channel_id(user_id),
                "tab": tab,
                "event_ts": ws.next_ts(),
            }
            home = ws.home(user_id)
            if tab == "home" and home is not None:
                event["view"] = self._shown(home)
            return self.event_callback(event, event_id)

    def message_im(self, user_id: str, text: str, *, event_id: str | None = None) -> Outgoing:
        """The user writes to the app in their DM: stored in the DM, and the `message.im` event."""
        ws = self.ws
        with ws.lock:
            message = ws.post(user_id, text, user=user_id)
            event: Json = {
                "type": "message",
                "channel": message.channel,
                "user": user_id,
                "text": text,
                "ts": message.ts,
                "team": ws.team_id,
                "event_ts": message.ts,
                "channel_type": "im",
            }
            return self.event_callback(event, event_id)

    def url_verification(
        self, challenge: str = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
    ) -> Outgoing:
        payload = {"token": self.verification_token, "challenge": challenge, "type": "url_verification"}
        return Outgoing("events_api", encode_json(payload), JSON_TYPE, payload)

    # ---- acks -------------------------------------------------------------------------------------
    def _submission_ack(self, user_id: str, view_id: str) -> AckHandler:
        def apply(status: int, headers: Mapping[str, str], body: bytes) -> str | None:
            ws = self.ws
            if status != 200:
                return f"the modal shows an error: the bot answered HTTP {status}"
            if not body.strip():
                ws.close_view(view_id)
                return None
            try:
                answer = json.loads(body)
            except ValueError:
                return "the modal shows an error: the ack is neither empty nor JSON"
            if not isinstance(answer, dict):
                return "the modal shows an error: the ack is not a JSON object"
            action = answer.get("response_action")
            with ws.lock:
                view = ws.view(view_id)
                if view is None:
                    return f"no view {view_id}"
                if action is None:
                    ws.close_view(view_id)
                elif action == "errors" and isinstance(answer.get("errors"), dict):
                    view.errors = {str(k): str(v) for k, v in answer["errors"].items()}
                elif action in ("update", "push") and isinstance(answer.get("view"), dict):
                    problems = view_problems(answer["view"], allowed_types=("modal",))
                    if problems:
                        return "the modal shows an error: " + "; ".join(problems)
                    if action == "update":
                        view.definition = answer["view"]
                        view.hash = ws.new_hash()
                        view.errors = {}
                    else:
                        stack = ws.open_views(user_id)
                        if len(stack) >= 3:
                            return "the modal shows an error: push_limit_reached"
                        pushed = ws.new_view(
                            user_id, answer["view"], root_view_id=view.root_view_id, previous=view.id
                        )
                        ws.push_view(pushed)
                elif action == "clear":
                    ws.close_modal(user_id)
                else:
                    return f"the modal shows an error: unusable response_action {action!r}"
            return None

        return apply

    def _command_ack(self, user_id: str, channel_id: str) -> AckHandler:
        def apply(status: int, headers: Mapping[str, str], body: bytes) -> str | None:
            ws = self.ws
            if status != 200:
                return f"the user sees a failure notice: the bot answered HTTP {status}"
            if not body.strip():
                return None
            text: str | None
            blocks: list[Json] = []
            in_channel = False
            if headers.get("content-type", "").split(";")[0].strip() == JSON_TYPE:
                try:
                    answer = json.loads(body)
                except ValueError:
                    return "the user sees a failure notice: invalid JSON"
                if not isinstance(answer, dict):
                    return "the user sees a failure notice: the answer is not a JSON object"
                text = answer.get("text")
                if isinstance(answer.get("blocks"), list):
                    blocks = answer["blocks"]
                    problems = message_problems(blocks)
                    if problems:
                        return "the user sees a failure notice: invalid_blocks: " + "; ".join(problems)
                in_channel = answer.get("response_type") == "in_channel"
            else:
                text = body.decode("utf-8", "replace")
            ws.store_message(
                channel_id,
                str(text or ""),
                blocks,
                user=ws.bot_user_id,
                from_app=True,
                ephemeral_to=None if in_channel else user_id,
                posted_by="slash_command_ack",
            )
            return None

        return apply

    # ---- helpers ----------------------------------------------------------------------------------
    def _interactive(
        self,
        payload: Json,
        *,
        trigger_id: str | None = None,
        response_url: str | None = None,
        on_ack: AckHandler | None = None,
    ) -> Outgoing:
        body = urlencode({"payload": encode_json(payload).decode()}).encode()
        return Outgoing(
            "interactive",
            body,
            FORM,
            payload,
            trigger_id=trigger_id,
            response_url=response_url,
            on_ack=on_ack,
        )

    def _action(
        self,
        found: tuple[str, Json] | None,
        action_id: str,
        block_id: str | None,
        value: Any,
        strict: bool,
    ) -> Json:
        action_ts = self.ws.next_ts()
        if found is None:
            if strict:
                raise ValueError(f"no element with action_id {action_id!r} there")
            return {
                "type": "button",
                "action_id": action_id,
                "block_id": block_id or "",
                "value": value,
                "action_ts": action_ts,
            }
        got_block, element = found
        kind = element.get("type")
        action: Json = {"type": kind, "action_id": action_id, "block_id": got_block}
        if kind == "button":
            if strict and value is not None and value != element.get("value"):
                raise ValueError(f"the button's value is {element.get('value')!r}, not {value!r}")
            action["text"] = element.get("text")
            if value is not None or "value" in element:
                action["value"] = value if value is not None else element.get("value")
            if "style" in element:
                action["style"] = element["style"]
        else:
            try:
                entry = element_value(element, value)
            except ValueError:
                if strict:
                    raise
                entry = {"type": kind, "value": value}
            entry.pop("type", None)
            action |= entry
            if "placeholder" in element:
                action["placeholder"] = element["placeholder"]
        action["action_ts"] = action_ts
        return action

    def _check_user(self, user_id: str) -> None:
        user = self.ws.user(user_id)
        if user is None:
            raise ValueError(f"no user {user_id}")
        if user.deleted:
            raise ValueError(f"{user_id} is deactivated: a deactivated user cannot act")

    def _check_shown(self, user_id: str, view: SlackView) -> None:
        if view.user_id != user_id or not view.open:
            raise ValueError(f"{user_id} does not have view {view.id} open")
        if view.type == "modal":
            stack = self.ws.open_views(user_id)
            if not stack or stack[-1].id != view.id:
                raise ValueError(f"view {view.id} is not the one on top of {user_id}'s modal")

    def _view(self, view_id: str) -> SlackView:
        view = self.ws.view(view_id)
        if view is None:
            raise ValueError(f"no view {view_id}")
        return view

    def _user(self, user_id: str) -> Json:
        user = self.ws.user(user_id)
        name = user.name if user is not None else ""
        return {"id": user_id, "username": name, "name": name, "team_id": self.team_id}

    def _install(self) -> Json:
        """Where the interaction comes from. An org-wide install gets `"team": null` and the user's
        workspace only in `user.team_id` (bolt-python, slack_bolt/request/internals.py: "With org-wide
        installations, payload.team in interactivity payloads can be None"); a workspace of an Enterprise
        Grid organization names its organization in `team` and in `enterprise`."""
        team: Json = {"id": self.team_id, "domain": self.ws.domain}
        enterprise: Json | None = None
        if self.enterprise_id:
            enterprise = {"id": self.enterprise_id, "name": self.ws.enterprise_name}
            team |= {"enterprise_id": self.enterprise_id, "enterprise_name": self.ws.enterprise_name}
        org_wide = self.ws.org_wide
        return {
            "team": None if org_wide else team,
            "enterprise": enterprise,
            "is_enterprise_install": org_wide,
        }

    def _channel(self, channel: SlackChannel) -> Json:
        return {"id": channel.id, "name": "directmessage" if channel.is_im else channel.name}

    def _shown(self, view: SlackView) -> Json:
        return view.to_api(self.ws.installed_team_id, self.ws.app_id, self.ws.bot_id)


def _filled(view: SlackView, values: Mapping[str, Any], *, strict: bool) -> dict[str, dict[str, Json]]:
    """The view's state after the user typed `values` (keyed by action_id, or by block_id)."""
    state = {block: dict(actions) for block, actions in view.state_values.items()}
    unused = set(values)
    for block in view.blocks:
        if block.get("type") != "input" or not isinstance(block.get("element"), dict):
            continue
        block_id, element = str(block.get("block_id", "")), block["element"]
        action_id = str(element.get("action_id", ""))
        key = action_id if action_id in values else block_id if block_id in values else None
        if key is not None:
            unused.discard(key)
            if strict and element.get("type") == "plain_text_input" and isinstance(values[key], str):
                _check_length(element, values[key], block_id)
            state.setdefault(block_id, {})[action_id] = element_value(element, values[key])
        entry = state.get(block_id, {}).get(action_id)
        if strict and not block.get("optional", False) and _empty(entry):
            raise ValueError(f"input {block_id!r} is required: Slack's client does not submit it empty")
    if strict and unused:
        raise ValueError(f"the view has no input {sorted(unused)}")
    return state


def _check_length(element: Json, value: str, block_id: str) -> None:
    low, high = element.get("min_length"), element.get("max_length", 3000)
    if isinstance(high, int) and len(value) > high:
        raise ValueError(f"input {block_id!r} takes at most {high} characters")
    if isinstance(low, int) and len(value) < low:
        raise ValueError(f"input {block_id!r} takes at least {low} characters")


def _empty(entry: Json | None) -> bool:
    if entry is None:
        return True
    return all(v in (None, "", []) for k, v in entry.items() if k != "type")


# ---- sending ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SentRequest:
    url: str
    body: bytes
    headers: tuple[tuple[str, bytes], ...]  # as sent, in order
    outgoing: Outgoing | None = None

    def header(self, name: str) -> bytes | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


@dataclass(frozen=True)
class Delivery:
    status: int
    headers: dict[str, str]  # lower-cased names
    body: bytes
    elapsed: float  # seconds until the whole answer was read
    request: SentRequest
    ack_problem: str | None = None  # what Slack would show the user about the ack (None: all well)

    @property
    def in_time(self) -> bool:
        """Answered within Slack's 3-second acknowledgement window."""
        return self.elapsed <= ACK_DEADLINE_S

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.body)


class SlackRequests:
    def __init__(
        self,
        bot_url: str,
        signing_secret: str,
        *,
        clock: Callable[[], float] = time.time,
        timeout: float = 10.0,
    ) -> None:
        """`bot_url`: the bot's request URL (e.g. "http://127.0.0.1:3000/slack/events"), used for
        events, interactivity and commands alike unless `send(url=…)` says otherwise."""
        self.bot_url = bot_url
        self.signing_secret = signing_secret
        self.clock = clock
        self.timeout = timeout
        self.sent: list[SentRequest] = []

    def send(
        self,
        outgoing: Outgoing,
        *,
        secret: str | None = None,
        shift: int = 0,
        headers: Mapping[str, str | bytes | None] | None = None,
        body: bytes | None = None,
        url: str | None = None,
    ) -> Delivery:
        timestamp = int(self.clock()) + shift
        out: dict[str, str | bytes] = {
            "Content-Type": outgoing.content_type,
            "User-Agent": USER_AGENT,
            "Accept": "application/json,*/*",
            "Accept-Encoding": "gzip,deflate",
        }
        out |= sign(outgoing.body, secret if secret is not None else self.signing_secret, timestamp)
        out |= dict(outgoing.extra_headers)
        for name, value in (headers or {}).items():
            for existing in [k for k in out if k.lower() == name.lower()]:
                del out[existing]
            if value is not None:
                out[name] = value
        sent = SentRequest(
            url or self.bot_url,
            outgoing.body if body is None else body,
            tuple((k, v if isinstance(v, bytes) else v.encode()) for k, v in out.items()),
            outgoing,
        )
        return self._deliver(sent)

    def replay(self, previous: Delivery | SentRequest) -> Delivery:
        """The very same request again: same bytes, same timestamp and signature (a replay)."""
        sent = previous.request if isinstance(previous, Delivery) else previous
        return self._deliver(sent)

    def post(
        self, body: bytes, headers: Sequence[tuple[str, str | bytes]], *, url: str | None = None
    ) -> Delivery:
        """Any request at all: unsigned unless `headers` carry a signature."""
        encoded = tuple((k, v if isinstance(v, bytes) else v.encode()) for k, v in headers)
        return self._deliver(SentRequest(url or self.bot_url, body, encoded))

    def _deliver(self, sent: SentRequest) -> Delivery:
        self.sent.append(sent)
        split = urlsplit(sent.url)
        host = split.hostname or "127.0.0.1"
        conn: http.client.HTTPConnection
        if split.scheme == "https":
            conn = http.client.HTTPSConnection(host, split.port, timeout=self.timeout)
        else:
            conn = http.client.HTTPConnection(host, split.port, timeout=self.timeout)
        target = (split.path or "/") + (f"?{split.query}" if split.query else "")
        started = time.monotonic()
        try:
            conn.putrequest("POST", target, skip_accept_encoding=True)
            for name, value in sent.headers:
                conn.putheader(name, value)
            conn.putheader("Content-Length", str(len(sent.body)))
            conn.endheaders(sent.body)
            answer = conn.getresponse()
            got = answer.read()
            elapsed = time.monotonic() - started
            got_headers = {k.lower(): v for k, v in answer.getheaders()}
            status = answer.status
        finally:
            conn.close()
        problem = None
        outgoing = sent.outgoing
        if outgoing is not None and outgoing.on_ack is not None:
            if elapsed > ACK_DEADLINE_S:
                problem = f"no acknowledgement within {ACK_DEADLINE_S:.0f} s (took {elapsed:.2f} s)"
            else:
                problem = outgoing.on_ack(status, got_headers, got)
        return Delivery(status, got_headers, got, elapsed, sent, problem)
