"""The Slack directory adapter with the real slack_sdk WebClient against the Slack simulator."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.directory import SlackDirectory, slack_client
from reviews.errors import Misconfigured, SourceUnavailable
from reviews.ports import ChatIdentity
from simulators.slack import SlackSimulator, SlackWorkspace

TOKEN = "xoxb-test"


@pytest.fixture
def workspace() -> SlackWorkspace:
    return SlackWorkspace(team_id="T0001", team_name="Department")


@pytest.fixture
def sim(workspace: SlackWorkspace) -> Iterator[SlackSimulator]:
    with SlackSimulator(workspace, bot_token=TOKEN) as simulator:
        yield simulator


def _directory(sim: SlackSimulator, token: str = TOKEN) -> SlackDirectory:
    return SlackDirectory(slack_client(token, sim.api_url))


def test_lookup_and_account(sim: SlackSimulator, workspace: SlackWorkspace) -> None:
    uid = workspace.add_user("Ana@Dept.example.gov", "Ana")
    directory = _directory(sim)
    assert directory.lookup_by_email("ana@dept.example.gov") == ChatIdentity(
        uid, "Ana@Dept.example.gov", False
    )
    assert directory.lookup_by_email("nobody@dept.example.gov") is None
    workspace.update_user(uid, deleted=True)
    assert directory.lookup_by_email("ana@dept.example.gov") is None  # Slack hides deactivated accounts here…
    assert directory.account(uid) == ChatIdentity(uid, "Ana@Dept.example.gov", True)  # …but not by id
    assert [c.args for c in sim.calls_to("users.lookupByEmail")][0] == {"email": "ana@dept.example.gov"}


def test_rate_limits_are_waited_out(sim: SlackSimulator, workspace: SlackWorkspace) -> None:
    uid = workspace.add_user("ana@dept.example.gov", "Ana")
    sim.faults.rate_limit_next("users.lookupByEmail", retry_after=1)
    assert _directory(sim).lookup_by_email("ana@dept.example.gov") == ChatIdentity(
        uid, "ana@dept.example.gov", False
    )
    assert [c.status for c in sim.calls_to("users.lookupByEmail")] == [429, 200]


def test_failures_to_ask_are_never_not_found(sim: SlackSimulator, workspace: SlackWorkspace) -> None:
    workspace.add_user("ana@dept.example.gov", "Ana")
    with pytest.raises(Misconfigured, match="invalid_auth"):
        _directory(sim, token="xoxb-wrong").lookup_by_email("ana@dept.example.gov")
    sim.faults.outage(True)
    with pytest.raises(SourceUnavailable, match="users.lookupByEmail failed"):
        _directory(sim).lookup_by_email("ana@dept.example.gov")


def test_user_group_members_are_read_and_cached(sim: SlackSimulator, workspace: SlackWorkspace) -> None:
    ana = workspace.add_user("ana@dept.example.gov", "Ana")
    group = workspace.add_usergroup("security-admins", members=[ana])
    now = [0.0]
    directory = SlackDirectory(slack_client(TOKEN, sim.api_url), monotonic=lambda: now[0])
    assert directory.group_members(group) == {ana}
    workspace.set_usergroup_members(group, [])
    assert directory.group_members(group) == {ana}  # cached: one Tier 2 call, not one per click
    now[0] += 301
    assert directory.group_members(group) == frozenset()
    assert len(sim.calls_to("usergroups.users.list")) == 2
    with pytest.raises(Misconfigured, match="no user group"):
        directory.group_members("S0NOSUCH")


def test_an_org_wide_install_names_the_workspace_of_its_user_groups() -> None:
    """usergroups.users.list: `team_id` is "Required if org token is used" (docs.slack.dev; node-slack-sdk
    types it "If using an org token, team_id is required"). Without it Slack answers `missing_argument`:
    the bot says which setting is missing instead of failing every admin's command as "Slack unavailable"."""
    grid = SlackWorkspace(team_id="T0001", enterprise_id="E0ORG1", org_wide=True)
    ana = grid.add_user("ana@dept.example.gov", "Ana")
    group = grid.add_usergroup("security-admins", members=[ana])
    with SlackSimulator(grid, bot_token=TOKEN) as sim:
        with pytest.raises(Misconfigured, match=r"set \[slack\] team_id"):
            SlackDirectory(slack_client(TOKEN, sim.api_url)).group_members(group)
        named = SlackDirectory(slack_client(TOKEN, sim.api_url), team_id="T0001")
        assert named.group_members(group) == {ana}
        assert sim.calls_to("usergroups.users.list")[-1].args == {"usergroup": group, "team_id": "T0001"}
