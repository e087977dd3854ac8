"""fetch: the S3 access points attached to the stores' buckets, from every account Recertify reads.

moto plays S3 Control, with two unfaithful details the tests work around and say so: every access point ARN
it makes says us-east-1 whatever the region, and ListAccessPoints leaves out BucketAccountId. Where the
answer's real shape matters (pagination, BucketAccountId, the region), a `botocore.stub.Stubber` on the one
S3 Control client answers as the API reference documents
(https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_ListAccessPoints.html and
https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_AccessPoint.html).
"""

from __future__ import annotations

import json

import pytest
from botocore.stub import Stubber

from connectors.aws.accounts import AwsSessions, connect, open_sessions
from connectors.aws.inventory import AccessPoint, PublicAccessBlock
from reviews.errors import SourceUnavailable
from tests.connectors.aws.fetching import fetch, only, settings
from tests.data.aws import controls, world
from tests.data.aws.world import CALLER, REGION

BUCKET = "payroll-data"
ARN = f"arn:aws:s3:::{BUCKET}"
PARTNER = "444455556666"


def test_access_points_of_every_read_account_are_attached_to_their_bucket(aws: None) -> None:
    """ "To create an access point to a bucket that's owned by another account, you must first create the
    access point by specifying the bucket name and account owner ID."
    (https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-points-policies.html) So every read
    account is asked. GetAccessPoint gives NetworkOrigin ("If VpcConfiguration is specified for this access
    point, then NetworkOrigin is VPC"), the VPC and the access point's own PublicAccessBlockConfiguration;
    GetAccessPointPolicy its policy, and an access point without one is answered NoSuchAccessPointPolicy
    (the API reference lists no error for it; this is the code S3 Control sends, as terraform-provider-aws's
    errCodeNoSuchAccessPointPolicy and moto have it)."""
    organization = world.build_organization()
    world.make_bucket(BUCKET, tag_set=world.tags())
    world.make_bucket("scratch-data")  # not a store: its access point is not reported
    own = controls.make_access_point("payroll-internal", BUCKET, vpc="vpc-0abc")
    policy = controls.access_point_policy(own, f"arn:aws:iam::{CALLER}:role/analyst")
    controls.make_access_point(
        "payroll-public", BUCKET, policy=policy, block=dict.fromkeys(controls.ALL_BLOCKED, False)
    )
    member = world.account_session(organization.member)
    foreign = controls.make_access_point(
        "payroll-from-data", BUCKET, account_id=organization.member, session=member
    )
    controls.make_access_point("scratch", "scratch-data")

    inventory = fetch(open_sessions(settings(accounts=[CALLER, organization.member])))

    (store,) = (s for s in only(inventory).stores if s.arn == ARN)
    points = {point.name: point for point in store.access_points}
    assert set(points) == {"payroll-internal", "payroll-public", "payroll-from-data"}
    internal = points["payroll-internal"]
    assert (internal.arn, internal.account_id, internal.network_origin, internal.vpc_id, internal.policy) == (
        own,
        CALLER,
        "VPC",
        "vpc-0abc",
        None,
    )
    assert internal.public_access_block == PublicAccessBlock(
        True, True, True, True
    )  # the default on creation
    public = points["payroll-public"]
    assert (public.network_origin, public.vpc_id, public.policy) == ("Internet", None, policy)
    assert public.public_access_block == PublicAccessBlock(False, False, False, False)
    across = points["payroll-from-data"]
    assert (across.arn, across.account_id) == (foreign, organization.member)
    assert all(point.region == point.arn.split(":")[3] for point in store.access_points)  # moto: us-east-1


def _listed(name: str, account: str, bucket_account: str, region: str = REGION) -> dict[str, str]:
    return {
        "Name": name,
        "NetworkOrigin": "Internet",
        "Bucket": BUCKET,
        "AccessPointArn": f"arn:aws:s3:{region}:{account}:accesspoint/{name}",
        "BucketAccountId": bucket_account,
    }


def test_every_page_is_read_and_a_same_named_bucket_of_another_account_is_not_ours(aws: None) -> None:
    """Stubber on the caller's S3 Control client in eu-west-2 (moto omits BucketAccountId and NextToken).
    ListAccessPoints: "If the call returns more than 1,000 access points (or the number specified in
    maxResults, whichever is less), the response will include a continuation token";
    AccessPoint.BucketAccountId is "The AWS account ID associated with the S3 bucket associated with this
    access point"."""
    world.make_bucket(BUCKET, tag_set=world.tags())
    caller = connect(REGION)
    mine = _listed("payroll-ap", CALLER, CALLER)
    block = dict.fromkeys(controls.ALL_BLOCKED, True)
    policy = controls.access_point_policy(mine["AccessPointArn"], f"arn:aws:iam::{PARTNER}:root")
    with Stubber(caller.client("s3control", REGION)) as s3control:
        s3control.add_client_error(
            "get_public_access_block", "NoSuchPublicAccessBlockConfiguration", "none", 404
        )
        page_1 = {"AccessPointList": [_listed("elsewhere", CALLER, PARTNER)], "NextToken": "t1"}
        s3control.add_response("list_access_points", page_1, {"AccountId": CALLER})
        s3control.add_response(
            "list_access_points", {"AccessPointList": [mine]}, {"AccountId": CALLER, "NextToken": "t1"}
        )
        details = {**mine, "PublicAccessBlockConfiguration": block, "BucketAccountId": CALLER}
        del details["AccessPointArn"]
        s3control.add_response("get_access_point", details, {"AccountId": CALLER, "Name": "payroll-ap"})
        s3control.add_response(
            "get_access_point_policy",
            {"Policy": json.dumps(policy)},
            {"AccountId": CALLER, "Name": "payroll-ap"},
        )
        inventory = fetch(AwsSessions(caller, (caller,)))
        s3control.assert_no_pending_responses()

    (store,) = only(inventory).stores
    assert store.access_points == (
        AccessPoint(
            arn=mine["AccessPointArn"],
            name="payroll-ap",
            account_id=CALLER,
            region=REGION,
            network_origin="Internet",
            vpc_id=None,
            policy=policy,
            public_access_block=PublicAccessBlock(True, True, True, True),
        ),
    )


def test_a_listing_that_loops_fails_the_sync(aws: None) -> None:
    """Stubber: only a fake can send a broken page. A token seen before would otherwise loop for ever."""
    world.make_bucket(BUCKET, tag_set=world.tags())
    caller = connect(REGION)
    with Stubber(caller.client("s3control", REGION)) as s3control:
        s3control.add_client_error(
            "get_public_access_block", "NoSuchPublicAccessBlockConfiguration", "none", 404
        )
        for _ in range(2):
            s3control.add_response("list_access_points", {"AccessPointList": [], "NextToken": "t1"})
        with pytest.raises(SourceUnavailable, match=f"s3:ListAccessPoints in {REGION}: the same NextToken"):
            fetch(AwsSessions(caller, (caller,)))


def test_an_access_point_policy_that_cannot_be_read_fails_the_sync(aws: None) -> None:
    """Stubber: moto never denies. Denied is not "it has no policy"."""
    world.make_bucket(BUCKET, tag_set=world.tags())
    caller = connect(REGION)
    with Stubber(caller.client("s3control", REGION)) as s3control:
        s3control.add_client_error(
            "get_public_access_block", "NoSuchPublicAccessBlockConfiguration", "none", 404
        )
        s3control.add_response(
            "list_access_points", {"AccessPointList": [_listed("payroll-ap", CALLER, CALLER)]}
        )
        s3control.add_response(
            "get_access_point", {"Name": "payroll-ap", "Bucket": BUCKET, "NetworkOrigin": "Internet"}
        )
        s3control.add_client_error("get_access_point_policy", "AccessDenied", "denied", 403)
        with pytest.raises(
            SourceUnavailable, match=f"s3:GetAccessPointPolicy payroll-ap in {REGION}: access denied"
        ):
            fetch(AwsSessions(caller, (caller,)))
