"""fetch: a DynamoDB table's KMS key and its stream, with the stream's own resource policy.

moto creates the tables (the tagging API finds them there) and plays KMS. The table's DynamoDB client is a
`botocore.stub.Stubber` wherever a stream is involved: moto cannot hold a policy on a stream (its
GetResourcePolicy looks the stream ARN's last part up as a table name and answers ResourceNotFound). The
stubbed answers follow the API reference: DescribeTable
(https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_DescribeTable.html) and
GetResourcePolicy (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_GetResourcePolicy.html).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.stub import Stubber

from connectors.aws.accounts import AwsSessions, connect, open_sessions
from connectors.aws.inventory import StoreResource
from reviews.errors import SourceUnavailable
from tests.connectors.aws.fetching import fetch, only, settings
from tests.data.aws import controls, world
from tests.data.aws.world import CALLER, REGION

TABLE = f"arn:aws:dynamodb:{REGION}:{CALLER}:table/cases"
STREAM = f"{TABLE}/stream/2026-03-01T09:00:00.000"
STREAM_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{CALLER}:role/indexer"},
            "Action": ["dynamodb:GetRecords", "dynamodb:GetShardIterator"],
            "Resource": STREAM,
        }
    ],
}


def _table(**extra: Any) -> dict[str, Any]:
    return {"Table": {"TableName": "cases", "TableArn": TABLE, "TableStatus": "ACTIVE", **extra}}


def _read(stub: Stubber, caller: Any) -> StoreResource:
    stub.activate()
    try:
        (store,) = only(fetch(AwsSessions(caller, (caller,)))).stores
        stub.assert_no_pending_responses()
    finally:
        stub.deactivate()
    return store


def test_a_tables_customer_key_is_kept(aws: None) -> None:
    """SSEDescription (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_SSEDescription.html):
    SSEType "KMS - Server-side encryption that uses Key Management Service"; KMSMasterKeyArn "The KMS key ARN
    used for the KMS encryption." A table created with an alias names the key by alias in moto (AWS answers
    the key ARN); DescribeKey resolves either to the key ARN. A table without SSEDescription uses an AWS
    owned key: nothing to keep."""
    key = controls.make_key(alias="alias/cases")
    world.make_table("cases", world.tags(), kms_key="alias/cases")
    world.make_table("scratch", world.tags())

    stores = {store.name: store for store in only(fetch(open_sessions(settings()))).stores}

    assert (stores["cases"].kms_key_arn, stores["scratch"].kms_key_arn) == (key, None)
    assert (stores["cases"].stream_arn, stores["cases"].stream_policy) == (None, None)


@pytest.mark.parametrize("policy", [STREAM_POLICY, None], ids=["with a policy", "without"])
def test_an_enabled_stream_is_kept_with_its_own_policy(aws: None, policy: dict[str, Any] | None) -> None:
    """Stubber on the table's DynamoDB client (moto holds no stream policy). StreamSpecification.StreamEnabled
    "Indicates whether DynamoDB Streams is enabled (true) or disabled (false) on the table"; LatestStreamArn
    "uniquely identifies the latest stream for this table"; GetResourcePolicy "Returns the resource-based
    policy document attached to the resource, which can be a table or stream", and PolicyNotFoundException
    when there is none. A stream's records are the table's data, and its policy is its own: "You can attach
    a resource-based policy to an existing table's stream"
    (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/rbac-attach-resource-policy-streams.html)."""
    world.make_table("cases", world.tags())
    caller = connect(REGION)
    stub = Stubber(caller.client("dynamodb", REGION))
    stub.add_client_error(
        "get_resource_policy", "PolicyNotFoundException", "none", 400, expected_params={"ResourceArn": TABLE}
    )
    stream = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    stub.add_response(
        "describe_table", _table(StreamSpecification=stream, LatestStreamArn=STREAM), {"TableName": "cases"}
    )
    if policy is None:
        stub.add_client_error(
            "get_resource_policy",
            "PolicyNotFoundException",
            "none",
            400,
            expected_params={"ResourceArn": STREAM},
        )
    else:
        stub.add_response("get_resource_policy", {"Policy": json.dumps(policy)}, {"ResourceArn": STREAM})

    store = _read(stub, caller)

    assert (store.stream_arn, store.stream_policy, store.resource_policy) == (STREAM, policy, None)


def test_a_disabled_stream_is_not_kept(aws: None) -> None:
    """Stubber: LatestStreamArn stays in DescribeTable after the stream is turned off; StreamEnabled says it
    is off, and no stream policy is read (the Stubber would refuse an unexpected call)."""
    world.make_table("cases", world.tags())
    caller = connect(REGION)
    stub = Stubber(caller.client("dynamodb", REGION))
    stub.add_client_error("get_resource_policy", "PolicyNotFoundException", "none", 400)
    stub.add_response(
        "describe_table", _table(StreamSpecification={"StreamEnabled": False}, LatestStreamArn=STREAM)
    )

    assert _read(stub, caller).stream_arn is None


def test_an_aws_managed_table_key_is_not_kept(aws: None) -> None:
    """Stubbers on DynamoDB and KMS: moto describes every key as CUSTOMER. The AWS managed aws/dynamodb key
    also answers SSEType KMS with its ARN; KeyMetadata.KeyManager says who manages it (AWS | CUSTOMER,
    https://docs.aws.amazon.com/kms/latest/APIReference/API_KeyMetadata.html)."""
    world.make_table("cases", world.tags())
    managed = f"arn:aws:kms:{REGION}:{CALLER}:key/0a1b2c3d-0000-4000-8000-000000000002"
    caller = connect(REGION)
    stub = Stubber(caller.client("dynamodb", REGION))
    stub.add_client_error("get_resource_policy", "PolicyNotFoundException", "none", 400)
    sse = {"Status": "ENABLED", "SSEType": "KMS", "KMSMasterKeyArn": managed}
    stub.add_response("describe_table", _table(SSEDescription=sse))
    with Stubber(caller.client("kms", REGION)) as kms:
        metadata = {"KeyId": managed.rsplit("/", 1)[1], "Arn": managed, "KeyManager": "AWS"}
        kms.add_response("describe_key", {"KeyMetadata": metadata}, {"KeyId": managed})
        store = _read(stub, caller)

    assert store.kms_key_arn is None


@pytest.mark.parametrize(
    ("code", "status"), [("ResourceNotFoundException", 400), ("AccessDeniedException", 400)]
)
def test_a_stream_policy_that_cannot_be_read_fails_the_sync(aws: None, code: str, status: int) -> None:
    """Stubber: moto never denies. ResourceNotFound on the stream is not taken for a vanished table: a store
    is never dropped on a guess."""
    world.make_table("cases", world.tags())
    caller = connect(REGION)
    with Stubber(caller.client("dynamodb", REGION)) as stub:
        stub.add_client_error("get_resource_policy", "PolicyNotFoundException", "none", 400)
        stream = {"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}
        stub.add_response("describe_table", _table(StreamSpecification=stream, LatestStreamArn=STREAM))
        stub.add_client_error("get_resource_policy", code, "no", status)
        with pytest.raises(SourceUnavailable, match=f"dynamodb:GetResourcePolicy on {STREAM} in {REGION}"):
            fetch(AwsSessions(caller, (caller,)))
