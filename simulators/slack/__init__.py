"""A local simulator of Slack for tests, `recertify demo` and the benchmarks: the Web API the bot calls,
the requests Slack makes to the bot (signed as Slack signs them), and Socket Mode.

    ws = SlackWorkspace(team_id="T0001", team_name="Department")
    ana = ws.add_user("ana@dept.example.gov", "Ana")
    with SlackSimulator(ws, bot_token="xoxb-test") as sim:
        client = WebClient(token="xoxb-test", base_url=sim.api_url)   # the bot's own client
        ...                                                           # the bot DMs Ana a button
        slack = SlackRequests("http://127.0.0.1:3000/slack/events", signing_secret=SECRET)
        press = sim.payloads().block_action(ana, ws.dm_messages(ana)[-1], "approve")
        assert slack.send(press).status == 200
        assert "Approved" in ws.dm_messages(ana)[-1].text            # what Ana sees now

The Web API (`server.py`, `wire.py`): `GET`/`POST` to `/api/<method>` with arguments in the query string
and/or a form-encoded or JSON body; the token in `Authorization: Bearer …` or a `token` form field
(`not_authed` / `invalid_auth` with HTTP 200 otherwise); answers `{"ok": true, …}` or
`{"ok": false, "error": …}` with `Content-Type: application/json; charset=utf-8`, and to a valid token the
scopes it was granted in the `x-oauth-scopes` header (`SlackSimulator(bot_scopes=…)`, by default what
Recertify's manifest asks for); an unknown method → HTTP 404 `unknown_method`. Methods, each with Slack's
documented arguments, errors and tier:

- `auth.test`; `users.lookupByEmail` (case-insensitive; deactivated users → `users_not_found`, as Slack
  documents), `users.info` (deactivated users returned with `"deleted": true`); `usergroups.users.list`
  (`methods.py`);
- `conversations.open`, `chat.postMessage`, `chat.update`, `chat.postEphemeral` (`chat.py`), with Block Kit
  checked as Slack checks it (`blockkit.py`: 50 blocks per message, section text 3,000, …);
- `views.open`, `views.push`, `views.update`, `views.publish` (`views.py`): trigger ids expire after 3 s and
  are spent once; modals hold 100 blocks and a 24-character title;
- `apps.connections.open` (`socketmode.py`, with an app-level token).

Enterprise Grid: `SlackWorkspace(enterprise_id="E…", org_wide=True)` is a workspace of an organization with
the app installed org-wide: interactions arrive with `"team": null` and the user's workspace in
`user.team_id`, every request names the organization, and auth.test returns its `enterprise_id`
(`outgoing.py`).

State (`workspace.py`, `model.py`): users, channels and DMs (a user's DM with the app is "D" + the user id
without its "U"), user groups, every message with its edits, modals and Home tabs. Read what a user sees
with `ws.dm_messages(user_id)`, `ws.messages(channel)`, `ws.ephemeral_messages(user_id)`,
`ws.message(channel, ts)`, `ws.home(user_id)`, `ws.open_views(user_id)`.

Rate limits (`ratelimits.py`): per method, per sliding minute, on the simulator's clock (injectable),
defaulting to the floor of the method's Slack tier, and chat.postMessage's per-conversation limit (1 per
second, bursts of 3 by default; `channel_limit=`); beyond them HTTP 429 `ratelimited` with `Retry-After`.
Faults (`sim.faults`, `faults.py`): `rate_limit_next`, `fail_next` (either after letting `after=N` calls
through), `outage`. Records (`sim.calls`, `sim.calls_to(method)`, `records.py`): method, arguments, token,
status, answer; posts to response URLs in `sim.responses` (`responses.py`).

Requests to the bot (`outgoing.py`): `sign(body, secret, timestamp)`; `sim.payloads()` builds block
actions, view submissions, slash commands and events from the workspace's state, with trigger ids and
response URLs the simulator honours; `SlackRequests` posts them with Slack's headers, can forge them
(wrong secret, shifted timestamp, bad headers, tampered body) and replay them, and applies the bot's ack
as Slack would (a modal closes, a command's answer is shown). Socket Mode (`socketmode.py`,
`SlackSimulator(socket_mode=True)`): `sim.socket.deliver(outgoing)` sends the same payloads in envelopes
and waits for the ack.

Nothing here imports Recertify: the simulator stands in for Slack only.
"""

from simulators.slack.faults import Faults
from simulators.slack.methods import METHODS, ApiError, Call, Method, method
from simulators.slack.model import SlackChannel, SlackMessage, SlackUserGroup, SlackView
from simulators.slack.outgoing import Delivery, Outgoing, Payloads, SentRequest, SlackRequests, sign
from simulators.slack.ratelimits import ChannelLimit, RateLimiter
from simulators.slack.records import RecordedCall
from simulators.slack.responses import ResponsePost
from simulators.slack.server import SlackSimulator
from simulators.slack.socketmode import SocketAck, SocketModeServer
from simulators.slack.workspace import SlackUser, SlackWorkspace

__all__ = [
    "METHODS",
    "ApiError",
    "Call",
    "ChannelLimit",
    "Delivery",
    "Faults",
    "Method",
    "Outgoing",
    "Payloads",
    "RateLimiter",
    "RecordedCall",
    "ResponsePost",
    "SentRequest",
    "SlackChannel",
    "SlackMessage",
    "SlackRequests",
    "SlackSimulator",
    "SlackUser",
    "SlackUserGroup",
    "SlackView",
    "SlackWorkspace",
    "SocketAck",
    "SocketModeServer",
    "method",
    "sign",
]
