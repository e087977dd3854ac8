"""Which Slack organization, workspace and app a request comes from, and whether this bot serves it.

A workspace install names its workspace in `team` (`team_id` for commands and events). An org-wide install
of an Enterprise Grid organization sends interactions with `"team": null` and the user's workspace in
`user.team_id`, and names the organization in `enterprise` (interactions) or `enterprise_id` (commands,
events). Bolt reads the organization into its context (slack_bolt/request/internals.py: "With org-wide
installations, payload.team in interactivity payloads can be None. You need to extract either
payload.user.team_id or payload.view.team_id"); the workspace is read here, from the person acting.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_bolt import BoltContext

from bot.settings import SlackSettings


@dataclass(frozen=True, slots=True)
class Origin:
    enterprise_id: str | None
    team_id: str | None
    app_id: str | None

    def __str__(self) -> str:
        ids = (self.enterprise_id, self.team_id, self.app_id)
        return "organization {}, workspace {}, app {}".format(*(value or "-" for value in ids))


def origin(body: dict[str, Any], context: BoltContext) -> Origin:
    """The organization as Bolt reads it; the workspace of the person acting, read here: Bolt prefers a
    view's `app_installed_team_id`, which in an org-wide install names the organization (an E… id, as in
    docs.slack.dev/messaging/work-objects-implementation), not the workspace."""
    team, user = body.get("team"), body.get("user")
    candidates = (
        team.get("id") if isinstance(team, dict) else None,
        body.get("team_id"),  # commands and events
        user.get("team_id") if isinstance(user, dict) else None,  # interactions of an org-wide install
        context.team_id,
    )
    team_id = next((value for value in candidates if isinstance(value, str) and value), None)
    app_id = body.get("api_app_id")
    return Origin(context.enterprise_id, team_id, app_id if isinstance(app_id, str) else None)


def refusal(slack: SlackSettings, where: Origin) -> str | None:
    """Why this bot does not serve a request from `where`, or None when it does. An app id is checked only
    when the request names one (Slack sends it on every kind the bot receives)."""
    if slack.enterprise_id and where.enterprise_id != slack.enterprise_id:
        return f"the organization is not {slack.enterprise_id} ([slack] enterprise_id)"
    if slack.team_id and where.team_id != slack.team_id:
        return f"the workspace is not {slack.team_id} ([slack] team_id)"
    if slack.app_id and where.app_id and where.app_id != slack.app_id:
        return f"the app is not {slack.app_id} ([slack] app_id)"
    return None
