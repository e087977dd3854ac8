"""The app manifest an admin pastes into Slack asks for exactly the scopes and events the code needs."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.scopes import BOT_EVENTS, required_scopes

ROOT = Path(__file__).resolve().parents[2]


def test_the_manifest_asks_for_exactly_what_the_code_needs() -> None:
    manifest = yaml.safe_load((ROOT / "bot" / "manifest.yaml").read_text(encoding="utf-8"))
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == required_scopes()
    assert tuple(manifest["settings"]["event_subscriptions"]["bot_events"]) == BOT_EVENTS
    assert manifest["features"]["slash_commands"][0]["command"] == "/recertify"
    assert manifest["settings"]["interactivity"]["is_enabled"] is True


def test_the_readme_names_every_scope() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for scope in required_scopes():
        assert f"`{scope}`" in readme, scope
