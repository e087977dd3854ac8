"""Shared by the checkpoint, retention and S3 store tests: moto's S3 with a bucket created with Object Lock
(and plain buckets when asked), the sink over it, and events appended to the chain."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from moto import mock_aws
from sqlmodel import Session

from connectors.aws.checkpoints import S3CheckpointSink, open_checkpoint_sink
from reviews import audit
from reviews.clock import FrozenClock

REGION = "eu-west-2"
BUCKET = "recertify-audit"


@contextmanager
def locked_bucket(*plain: str) -> Iterator[Any]:
    """moto in-process (use with the `aws_env` fixture: dummy credentials only); yields the S3 client."""
    with mock_aws():
        client = boto3.client("s3", region_name=REGION)
        where = {"LocationConstraint": REGION}
        client.create_bucket(Bucket=BUCKET, ObjectLockEnabledForBucket=True, CreateBucketConfiguration=where)
        for name in plain:
            client.create_bucket(Bucket=name, CreateBucketConfiguration=where)
        yield client


def s3_sink(retention_days: int = 3650) -> S3CheckpointSink:
    return open_checkpoint_sink(BUCKET, prefix="recertify/", retention_days=retention_days, region=REGION)


def append_events(session: Session, count: int, clock: FrozenClock) -> audit.ChainHead:
    """`count` events appended and committed, as a sync would leave them."""
    head = audit.head(session)
    for i in range(count):
        event = audit.NewEvent("system:sync", "grant.opened", f"store:{head.seq + i + 1}", {"i": i})
        head = audit.append(session, event, clock=clock)
    session.commit()
    return head
