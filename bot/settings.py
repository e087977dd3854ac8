"""The `[slack]` section of recertify.toml and the Slack secrets, which come from the environment only."""

from __future__ import annotations

import re

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from reviews.settings import EMAIL, Section, each_matching, http_url

_SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,}$")


class SlackSettings(Section):
    enabled: bool = True
    api_url: str = "https://slack.com/api/"
    admins: list[str] = Field(default_factory=list)
    auditors: list[str] = Field(default_factory=list)
    # People are linked to Slack accounts by email after each sync; answers are cached this long, and at
    # most this many lookups are made per sync (users.lookupByEmail allows about 50 a minute).
    people_refresh_days: int = Field(default=7, ge=1, le=365)
    lookups_per_sync: int = Field(default=500, ge=1, le=100_000)
    # The workspace and app this bot serves: a request naming another team or app is refused. "" = not
    # checked (a single-workspace app cannot receive another team's requests, but say which to be sure).
    team_id: str = ""
    app_id: str = ""
    # The Enterprise Grid organization (E…) the app is installed on org-wide: a request from any of its
    # workspaces is served, one naming another organization (or none) is refused. With `team_id` as well,
    # only that workspace of the organization is served.
    enterprise_id: str = ""
    # Slack user groups whose members are admins / auditors too (ids such as S0123ABCD), checked live
    # (cached for a few minutes), so leaving the group takes the role away.
    admin_groups: list[str] = Field(default_factory=list)
    auditor_groups: list[str] = Field(default_factory=list)
    # Tell a person in a DM when Recertify removed their access, why and by whom (live, verified
    # revocations of the last week). Off by default: some departments tell people through their manager.
    notify_revoked: bool = False
    # Where alerts for admins go (a channel id such as C0123ABCD): a revocation that did not remove the access
    # (it survived through another path). "" = admins are told by DM instead (the `admins` linked to Slack).
    admin_channel: str = ""

    @field_validator("admin_channel")
    @classmethod
    def _channel(cls, value: str) -> str:
        if value and not re.match(r"^[CG][A-Z0-9]{2,}$", value):
            raise ValueError("expected a Slack channel id such as C0123ABCD")
        return value

    @field_validator("admin_groups", "auditor_groups")
    @classmethod
    def _groups(cls, value: list[str]) -> list[str]:
        return each_matching(value, re.compile(r"^S[A-Z0-9]{2,}$"), "a Slack user group id such as S0123ABCD")

    @field_validator("team_id")
    @classmethod
    def _team(cls, value: str) -> str:
        if value.startswith("E"):
            raise ValueError("E… is an Enterprise Grid organization: set it as [slack] enterprise_id")
        if value and not re.match(r"^T[A-Z0-9]{2,}$", value):
            raise ValueError("expected a Slack team id such as T0123ABCD")
        return value

    @field_validator("enterprise_id")
    @classmethod
    def _enterprise(cls, value: str) -> str:
        if value and not re.match(r"^E[A-Z0-9]{2,}$", value):
            raise ValueError("expected a Slack Enterprise Grid organization id such as E0123ABCD")
        return value

    @field_validator("app_id")
    @classmethod
    def _app(cls, value: str) -> str:
        if value and not re.match(r"^A[A-Z0-9]{2,}$", value):
            raise ValueError("expected a Slack app id such as A0123ABCD")
        return value

    @field_validator("api_url")
    @classmethod
    def _api(cls, value: str) -> str:
        return http_url(value).rstrip("/") + "/"  # slack_sdk joins method names onto it

    @field_validator("admins", "auditors")
    @classmethod
    def _people(cls, value: list[str]) -> list[str]:
        return each_matching(value, (EMAIL, _SLACK_USER), "an email or a Slack user id (U…/W…)")


class SlackSecrets(BaseSettings):
    """Read from the environment only, under their conventional names, and never printed."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore", case_sensitive=True)

    slack_bot_token: SecretStr | None = Field(default=None, alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(default=None, alias="SLACK_SIGNING_SECRET")
    slack_app_token: SecretStr | None = Field(default=None, alias="SLACK_APP_TOKEN")

    def missing_for_slack(self, slack: SlackSettings) -> list[str]:
        """What an enabled `[slack]` needs from the environment and does not have, as sentences: the bot
        token, and the app token (Socket Mode) or the signing secret (HTTP mode). (The name says whose:
        config.Secrets composes every adapter's secrets into one class.)"""
        if not slack.enabled:
            return []
        problems = []
        if self.slack_bot_token is None:
            problems.append("slack is enabled but SLACK_BOT_TOKEN is not set in the environment")
        if self.slack_app_token is None and self.slack_signing_secret is None:
            problems.append(
                "slack is enabled but neither SLACK_APP_TOKEN (Socket Mode) nor SLACK_SIGNING_SECRET "
                "(HTTP mode) is set in the environment"
            )
        return problems
