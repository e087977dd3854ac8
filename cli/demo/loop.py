"""The demo's sixteen steps in order, on the simulated fortnight's clock, and Recertify configured for the
simulators through its environment, as a deployment is."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import ExitStack

from sqlalchemy import Engine

from cli.context import Services
from cli.demo.enforcement import EnforcementSteps
from cli.demo.errors import Unexpected
from cli.demo.review import ReviewSteps
from cli.demo.sync import SyncSteps
from config import LoadedConfig, load_settings, missing_secrets
from simulators import department


class Loop(SyncSteps, ReviewSteps, EnforcementSteps):
    """The run: one LoopState, its steps from sync.py, review.py and enforcement.py."""

    def run(self, stack: ExitStack) -> None:
        with self.step("Start the simulators: moto (AWS), Graph (Entra ID), ARM (Azure), Slack; configure"):
            self.world = stack.enter_context(department.running_department(self.day0))
            self.wiring = _configure(self.world, self.target.url, self.engine, self.wire)
            self._introduce()
        with self.step("Sync AWS, Entra ID and Azure with the real connectors"):
            self.sync(link_people=True)
        with self.step("Who can access what"):
            self.who_can_access()
        with self.step("Apply the review cycle (a YAML file) and start a campaign"):
            self.start_campaign()
        with self.step("Deliver the digests in Slack"):
            self.deliver_digests()
        with self.step("Start the Slack bot: Bolt behind bot/http.py, on a free port"):
            self.start_bot(stack)
        self.at(department.ANSWER_DAY, 10)
        with self.step("The owners decide: button presses, signed as Slack signs them, to the bot"):
            self.decide()
        for day in department.TICK_DAYS:
            self.at(day, 9, 30)
            with self.step("The scheduler's tick: escalation and reminders"):
                self.tick()
        self.at(14, 10)
        with self.step("The deadline: the nightly sync, then the tick closes the campaign and plans"):
            self.sync(link_people=False)
            self.tick(deadline=True)
        with self.step("The revocation plan, inside the safety envelope"):
            planned = self.show_plan()
        with self.step("An admin approves the plan; revocations run live; read back from the simulators"):
            self.revoke(planned)
        self.at(15, 2)
        with self.step("The next nightly sync sees the access gone"):
            self.sync(link_people=False, expect_verified=planned)
        with self.step("Verify the audit chain and write the evidence report"):
            self.evidence()

    def _introduce(self) -> None:
        world, say = self.world, self.narrator.line
        aws = ", ".join(s.name for s in department.STORES if s.system == "aws")
        entra = ", ".join(s.name for s in department.STORES if s.system == "entra")
        azure = ", ".join(s.name for s in department.STORES if s.system == "azure")
        say(f"  database   {self.target.shown} (new, migrated)")
        say(f"  AWS        moto at {world.moto_url} (AWS_ENDPOINT_URL, dummy credentials): {aws}")
        say(f"  Entra ID   Graph simulator at {world.graph.url}: {len(department.PEOPLE)} people; {entra}")
        say(
            f"  Azure      ARM simulator at {world.arm.url} (its own certificate: [azure] ca_bundle): {azure}"
        )
        say(f"  Slack      simulator at {world.slack.api_url}: {len(world.slack_users)} accounts")
        say("  Recertify reads its settings from the environment, as a deployment does; enforcement live")


def simulator_environment(world: department.RunningDepartment, url: str) -> dict[str, str]:
    """The settings that point Recertify at the running department's simulators and database (the
    quickstart's test uses them too, over the quickstart's own configuration file)."""
    return {
        "RECERTIFY_DATABASE_URL": url,
        "RECERTIFY_AWS_IDENTITY_CENTER": "false",  # moto's sso-admin lacks calls the reader needs
        "RECERTIFY_GRAPH_URL": world.graph.url,
        "RECERTIFY_GRAPH_TOKEN": department.GRAPH_TOKEN,
        "RECERTIFY_ENTRA_PERSONAL_DATA_GROUPS": json.dumps(world.entra.personal_data_groups),
        "RECERTIFY_ENTRA_PERSONAL_DATA_APPS": json.dumps(world.entra.personal_data_apps),
        "RECERTIFY_SLACK_API_URL": world.slack.api_url,
        "RECERTIFY_SLACK_TEAM_ID": world.team_id,
        "RECERTIFY_SLACK_APP_ID": world.workspace.app_id,
        "SLACK_BOT_TOKEN": department.BOT_TOKEN,
    }


def azure_environment(world: department.RunningDepartment) -> dict[str, str]:
    """`[azure]` on the ARM simulator: its URL, its subscription, its token, and its self-signed certificate
    as `ca_bundle` (a setting, so the demo trusts it for ARM alone and never touches the process's
    REQUESTS_CA_BUNDLE). The Entra groups the assignments name are read through the Graph simulator."""
    return {
        "RECERTIFY_AZURE_ENABLED": "true",
        "RECERTIFY_AZURE_ARM_URL": world.arm.url,
        "RECERTIFY_AZURE_CA_BUNDLE": world.arm.ca_bundle,
        "RECERTIFY_AZURE_SUBSCRIPTIONS": json.dumps([department.SUBSCRIPTION]),
        "RECERTIFY_AZURE_TOKEN": department.ARM_TOKEN,
    }


def _configure(
    world: department.RunningDepartment,
    url: str,
    engine: Engine,
    wire: Callable[[LoadedConfig, Engine], Services],
) -> Services:
    """Recertify configured for the simulators through environment variables, as a deployment is (only the
    mapping is the demo's: nothing is read from the caller's recertify.toml or environment), then wiring.py's
    composition root (`wire`) builds the adapters from it."""
    environ = {
        **simulator_environment(world, url),
        "RECERTIFY_SLACK_ADMINS": json.dumps([department.person("ruth.adeyemi").email]),
        "RECERTIFY_SLACK_AUDITORS": json.dumps([department.person("dana.whitfield").email]),
        "SLACK_SIGNING_SECRET": department.SIGNING_SECRET,
        "RECERTIFY_ENFORCEMENT_MODE": "live",
        **azure_environment(world),
    }
    config = load_settings(None, environ)
    problems = missing_secrets(config)
    if problems:
        raise Unexpected("; ".join(problems))
    return wire(config, engine)
