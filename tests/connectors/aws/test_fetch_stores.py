"""fetch: personal-data stores found by tag (moto), by the tagging API or, when it is denied, per service."""

from __future__ import annotations

import pytest
from botocore.stub import Stubber

from connectors.aws.accounts import AwsAccount, AwsSessions, connect
from connectors.aws.fetch import fetch_inventory
from connectors.aws.inventory import AwsInventory, StoreResource
from connectors.aws.settings import AwsSettings
from reviews.errors import SourceUnavailable
from tests.connectors.aws.fetching import NOW
from tests.data.aws import world
from tests.data.aws.world import CALLER, REGION

REGIONS = [REGION, "us-east-1"]
SETTINGS = AwsSettings(regions=REGIONS, identity_center=False)


def estate() -> dict[str, str]:
    """Personal-data stores of every kind next to look-alikes that are not; ARN → expected data ARN."""
    world.make_bucket("payroll-data", tag_set=world.tags(), with_policy=True)
    world.make_bucket("archive-data", region="us-east-1", tag_set=world.tags("special-category"))
    world.make_bucket("public-data", tag_set=world.tags("public"))  # a value not in the list
    world.make_bucket("owned-data", tag_set=world.tags(None))  # an owner but no classification
    world.make_bucket("plain-data")  # no tags at all
    cases = world.make_table("cases", world.tags(), with_policy=True)
    world.make_table("scratch")
    database = world.make_database("hr", world.tags())
    cluster = world.make_cluster("ledger", world.tags("special-category"))
    world.make_database("cache", world.tags("public"))
    return {
        "arn:aws:s3:::payroll-data": "",
        "arn:aws:s3:::archive-data": "",
        cases: "",
        database["DBInstanceArn"]: f"arn:aws:rds-db:{REGION}:{CALLER}:dbuser:{database['DbiResourceId']}/*",
        cluster[
            "DBClusterArn"
        ]: f"arn:aws:rds-db:{REGION}:{CALLER}:dbuser:{cluster['DbClusterResourceId']}/*",
    }


def stores_of(inventory: AwsInventory) -> dict[str, StoreResource]:
    (account,) = inventory.accounts
    assert len({store.arn for store in account.stores}) == len(account.stores)  # each store once
    return {store.arn: store for store in account.stores}


def test_tagged_personal_data_stores_are_found_and_nothing_else(aws: None) -> None:
    expected = estate()
    caller = connect(REGION)
    inventory = fetch_inventory(SETTINGS, AwsSessions(caller, (caller,)), now=NOW)

    stores = stores_of(inventory)
    assert set(stores) == set(expected)
    payroll, archive = stores["arn:aws:s3:::payroll-data"], stores["arn:aws:s3:::archive-data"]
    assert (payroll.kind, payroll.name, payroll.region, payroll.account_id) == (
        "s3_bucket",
        "payroll-data",
        "",
        CALLER,
    )
    assert payroll.resource_policy == world.bucket_policy("payroll-data")
    assert archive.resource_policy is None  # a bucket without a policy
    assert dict(archive.tags) == {"data-classification": "special-category", "data-owner": world.OWNER}
    (cases,) = (store for store in stores.values() if store.kind == "dynamodb_table")
    assert (cases.name, cases.region) == ("cases", REGION)
    assert (
        isinstance(cases.resource_policy, dict)
        and cases.resource_policy["Statement"][0]["Action"] == "dynamodb:GetItem"
    )
    for arn, data_arn in expected.items():
        assert stores[arn].data_arns == ((data_arn,) if data_arn else ())
    assert {store.name for store in stores.values() if store.kind == "rds_db"} == {"hr", "ledger"}
    note = f"account {CALLER}: stores found with the Resource Groups Tagging API in eu-west-2, us-east-1"
    assert note in inventory.notes


def test_each_service_is_listed_when_the_tagging_api_is_denied_with_the_same_result(aws: None) -> None:
    """Stubber on the tagging clients only: moto never denies. Everything else is moto."""
    estate()
    by_tagging = stores_of(fetch_inventory(SETTINGS, AwsSessions(*_caller()), now=NOW))
    caller, accounts = _caller()
    stubs = [Stubber(caller.client("resourcegroupstaggingapi", region)) for region in REGIONS]
    for stub in stubs:
        stub.add_client_error(
            "get_resources", "AccessDeniedException", "not authorized: tag:GetResources", 400
        )
        stub.activate()

    inventory = fetch_inventory(SETTINGS, AwsSessions(caller, accounts), now=NOW)

    assert stores_of(inventory) == by_tagging
    reason = "(the tagging API answered AccessDeniedException)"
    assert (
        f"account {CALLER}: stores found by listing each service in eu-west-2 {reason}, us-east-1 {reason}"
        in (inventory.notes)
    )


def test_a_tagging_api_outage_fails_the_read_instead_of_falling_back(aws: None) -> None:
    """Stubber: a 500 as it arrives after the client's retries. Only a denial means "list instead"."""
    caller, accounts = _caller()
    with Stubber(caller.client("resourcegroupstaggingapi", REGION)) as stub:
        stub.add_client_error("get_resources", "InternalServiceException", "oops", 500)
        with pytest.raises(
            SourceUnavailable, match=f"account {CALLER}: tag:GetResources in eu-west-2"
        ) as raised:
            fetch_inventory(SETTINGS, AwsSessions(caller, accounts), now=NOW)
    assert raised.value.retryable


def _caller() -> tuple[AwsAccount, tuple[AwsAccount, ...]]:
    caller = connect(REGION)
    return caller, (caller,)
