"""A local HTTP simulator of the Slack Web API (the methods Recertify calls), for tests, `recertify demo`
and the benchmarks.

    ws = SlackWorkspace(team_id="T0001", team_name="Department")
    ana = ws.add_user("ana@dept.example.gov", "Ana")
    with SlackSimulator(ws, bot_token="xoxb-test", rate_limits={"users.lookupByEmail": 50}) as sim:
        client = WebClient(token="xoxb-test", base_url=sim.api_url)
        ...
        assert sim.calls_to("users.lookupByEmail")[0].args == {"email": "ana@dept.example.gov"}

Wire protocol as Slack documents it: `GET`/`POST` to `/api/<method>` with arguments in the query string
and/or a form-encoded or JSON body; the token in `Authorization: Bearer …` or a `token` form field
(`not_authed` / `invalid_auth` with HTTP 200 otherwise); answers `{"ok": true, …}` or
`{"ok": false, "error": …}` with `Content-Type: application/json; charset=utf-8`; an unknown method →
HTTP 404 `unknown_method`. Methods so far: `auth.test`, `users.lookupByEmail` (case-insensitive;
deactivated users → `users_not_found`, as Slack documents), `users.info` (deactivated users are returned
with `"deleted": true`). See `methods.py` to add more.

Rate limits: per method, per sliding minute, on the simulator's clock (injectable), defaulting to the
floor of the method's Slack tier; beyond it HTTP 429 `ratelimited` with `Retry-After`.
Faults (`sim.faults`, see `faults.py`): `rate_limit_next`, `fail_next`, `outage`.
Records (`sim.calls`, `sim.calls_to(method)`, see `records.py`): method, arguments, token, status, answer.
"""

from simulators.slack.faults import Faults
from simulators.slack.methods import METHODS, ApiError, Call, Method, method
from simulators.slack.ratelimits import RateLimiter
from simulators.slack.records import RecordedCall
from simulators.slack.server import SlackSimulator
from simulators.slack.workspace import SlackUser, SlackWorkspace

__all__ = [
    "METHODS",
    "ApiError",
    "Call",
    "Faults",
    "Method",
    "RateLimiter",
    "RecordedCall",
    "SlackSimulator",
    "SlackUser",
    "SlackWorkspace",
    "method",
]
