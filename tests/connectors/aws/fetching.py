"""Small helpers shared by the fetch tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from connectors.aws.accounts import AwsSessions
from connectors.aws.fetch import fetch_inventory
from connectors.aws.inventory import AccountInventory, AwsInventory
from connectors.aws.settings import AwsSettings
from tests.data.aws.world import CALLER, REGION

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
READ_DATA = f"arn:aws:iam::{CALLER}:policy/data/read-data"


def settings(**overrides: Any) -> AwsSettings:
    return AwsSettings(**{"regions": [REGION], "identity_center": False, **overrides})


def fetch(sessions: AwsSessions, **overrides: Any) -> AwsInventory:
    return fetch_inventory(settings(**overrides), sessions, now=NOW)


def only(inventory: AwsInventory, account_id: str = CALLER) -> AccountInventory:
    return next(account for account in inventory.accounts if account.account_id == account_id)
