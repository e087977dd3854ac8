"""Service-last-accessed: last use is evidence, not access. What the jobs answer is kept; when a call fails
(denied, an error, a FAILED job, a job that does not finish), last use stays unknown for the principals
concerned, the reason is recorded as a snapshot note, and the sync goes on.

moto has no service-last-accessed jobs at all: the fetch tests put a `botocore.stub.Stubber` on the real IAM
client, answering as GetServiceLastAccessedDetails is documented
(https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetServiceLastAccessedDetails.html); the connector
test puts the local proxy of throttling.py in front of a moto server and answers the job's start with the
AccessDenied error IAM sends.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.stub import Stubber

from connectors.aws.accounts import connect
from connectors.aws.connector import AwsConnector
from connectors.aws.last_accessed import fetch_last_accessed
from connectors.aws.settings import AwsSettings
from reviews.clock import FrozenClock
from tests.connectors.aws.fetching import NOW
from tests.connectors.aws.throttling import Answer, ThrottlingProxy
from tests.data.aws import world
from tests.data.aws.world import CALLER, REGION

ANA, BEN, CAROL, DAVE, ERIN = (
    f"arn:aws:iam::{CALLER}:user/{name}" for name in ("ana", "ben", "carol", "dave", "erin")
)
JOBS = {arn: f"00000000-0000-4000-8000-00000000000{n}" for n, arn in enumerate((ANA, BEN, CAROL, DAVE, ERIN))}


def _job(status: str, services: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    # The model marks JobCompletionDate required, even while the job runs.
    base = {
        "JobStatus": status,
        "JobCreationDate": NOW,
        "JobCompletionDate": NOW,
        "ServicesLastAccessed": services or [],
    }
    return {**base, **extra}


def test_last_accessed_polls_the_job_and_reads_every_page(aws: None) -> None:
    """Stubber: moto has no service-last-accessed jobs. JobStatus IN_PROGRESS, then COMPLETED over two pages
    (IsTruncated/Marker); LastAuthenticated is absent for a service not used in the tracking period."""
    account = connect(REGION)
    s3 = {"ServiceName": "Amazon S3", "ServiceNamespace": "s3", "LastAuthenticated": NOW}
    dynamodb = {"ServiceName": "Amazon DynamoDB", "ServiceNamespace": "dynamodb"}  # never used
    ec2 = {"ServiceName": "Amazon EC2", "ServiceNamespace": "ec2", "LastAuthenticated": NOW}
    with Stubber(account.client("iam")) as iam:
        iam.add_response(
            "generate_service_last_accessed_details",
            {"JobId": JOBS[ANA]},
            {"Arn": ANA, "Granularity": "SERVICE_LEVEL"},
        )
        iam.add_response("get_service_last_accessed_details", _job("IN_PROGRESS"), {"JobId": JOBS[ANA]})
        first = _job("COMPLETED", [s3, ec2], IsTruncated=True, Marker="next")
        iam.add_response("get_service_last_accessed_details", first, {"JobId": JOBS[ANA]})
        last = _job("COMPLETED", [dynamodb], IsTruncated=False)
        iam.add_response("get_service_last_accessed_details", last, {"JobId": JOBS[ANA], "Marker": "next"})
        found = fetch_last_accessed(account, [ANA], {"s3", "dynamodb"}, poll_interval=0, timeout=5)
    assert {(f.principal_arn, f.service, f.last_authenticated, f.tracking_start) for f in found.entries} == {
        (ANA, "s3", NOW, None),
        (ANA, "dynamodb", None, None),
    }
    assert (found.unknown, found.notes()) == ((), ())


def test_each_failure_leaves_only_its_principals_unknown_with_the_reason(aws: None) -> None:
    """Stubber: moto has no jobs, and never denies. GetServiceLastAccessedDetails: JobStatus
    "IN_PROGRESS | COMPLETED | FAILED", and Error "An object that contains details about the reason the
    operation failed". Ana's job completes; Ben's cannot start (AccessDenied); Carol's job FAILED; Dave's
    answer is a 500 after the client's retries; Erin's job is still running when time is up."""
    account = connect(REGION)
    used = {"ServiceName": "Amazon S3", "ServiceNamespace": "s3", "LastAuthenticated": NOW}
    with Stubber(account.client("iam")) as iam:
        for arn in (ANA, BEN, CAROL, DAVE, ERIN):
            if arn == BEN:
                iam.add_client_error("generate_service_last_accessed_details", "AccessDenied", "denied", 403)
            else:
                iam.add_response(
                    "generate_service_last_accessed_details",
                    {"JobId": JOBS[arn]},
                    {"Arn": arn, "Granularity": "SERVICE_LEVEL"},
                )
        iam.add_response("get_service_last_accessed_details", _job("COMPLETED", [used]), {"JobId": JOBS[ANA]})
        failed = _job("FAILED", Error={"Message": "internal error", "Code": "InternalFailure"})
        iam.add_response("get_service_last_accessed_details", failed, {"JobId": JOBS[CAROL]})
        iam.add_client_error("get_service_last_accessed_details", "ServiceFailure", "try later", 500)
        iam.add_response("get_service_last_accessed_details", _job("IN_PROGRESS"), {"JobId": JOBS[ERIN]})
        found = fetch_last_accessed(
            account, [ANA, BEN, CAROL, DAVE, ERIN], {"s3"}, poll_interval=0, timeout=0
        )

    assert [(entry.principal_arn, entry.last_authenticated) for entry in found.entries] == [(ANA, NOW)]
    assert dict(found.unknown) == {
        BEN: "iam:GenerateServiceLastAccessedDetails answered AccessDenied",
        CAROL: "iam:GetServiceLastAccessedDetails: the job failed: internal error",
        DAVE: "iam:GetServiceLastAccessedDetails answered ServiceFailure",
        ERIN: "the iam:GenerateServiceLastAccessedDetails job did not finish within 0 s",
    }
    assert len(found.notes()) == 4
    denied = "iam:GenerateServiceLastAccessedDetails answered AccessDenied"
    assert f"account {CALLER}: last use unknown for 1 principal(s): {denied}" in found.notes()


DENIED = (
    b'<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type>'
    b"<Code>AccessDenied</Code><Message>User: arn:aws:iam::123456789012:user/bot is not authorized to"
    b" perform: iam:GenerateServiceLastAccessedDetails</Message></Error><RequestId>denied</RequestId>"
    b"</ErrorResponse>"
)


def test_the_connector_syncs_on_with_last_use_unknown_and_says_why(
    moto_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The proxy of throttling.py answers GenerateServiceLastAccessedDetails with IAM's AccessDenied (403,
    the query protocol's ErrorResponse); everything else is moto. The snapshot is whole, every grant's last
    use is unknown (None, never "unused"), and a note names the account, the principal count and the
    reason."""
    world.build_iam()
    world.make_bucket("payroll-data", tag_set=world.tags())
    settings = AwsSettings(regions=[REGION], identity_center=False, last_accessed=True)
    denied = Answer(403, "text/xml", DENIED)
    with ThrottlingProxy(moto_server, answers={"GenerateServiceLastAccessedDetails": denied}) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
        snapshot = AwsConnector(settings, clock=FrozenClock(NOW)).snapshot()

    holders = {grant.principal_provider_id for grant in snapshot.grants}
    assert {f"arn:aws:iam::{CALLER}:user/ana", f"arn:aws:iam::{CALLER}:role/analyst"} <= holders
    assert all(grant.last_used is None for grant in snapshot.grants)
    assert proxy.answered["GenerateServiceLastAccessedDetails"] == len(holders)  # denied is not retried
    note = (
        f"account {CALLER}: last use unknown for {len(holders)} principal(s): "
        "iam:GenerateServiceLastAccessedDetails answered AccessDenied"
    )
    assert note in snapshot.notes
