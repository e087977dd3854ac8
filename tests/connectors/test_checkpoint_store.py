"""The S3 checkpoint store against moto: write-once records (Object Lock, COMPLIANCE), read back from every
object version, and a bucket without Object Lock refused before anything is written.

moto enforces COMPLIANCE retention on deletes of a locked version (AccessDenied). It does not implement
GetObjectRetention (it answers 500), so the lock is read back with HeadObject, which carries the same fields.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from connectors.aws.checkpoints import S3CheckpointSink, open_checkpoint_sink
from reviews.errors import Misconfigured, SourceUnavailable
from reviews.ports import CheckpointKind
from tests.checkpoint_world import BUCKET, REGION, locked_bucket, s3_sink

HASH = "ab" * 32
# S3 (and moto) compare retain-until dates with their own clock, so the records are dated now.
RECORDED = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def s3(aws_env: None) -> Iterator[object]:
    with locked_bucket("plain-bucket") as client:
        yield client


def _sink(days: int = 30) -> S3CheckpointSink:
    return s3_sink(retention_days=days)


def test_a_checkpoint_is_written_in_compliance_mode_until_its_retain_date(s3) -> None:
    location = _sink(days=30).write(12, HASH, RECORDED)
    key = f"recertify/checkpoints/000000000012-{HASH}.json"
    assert location == f"s3://{BUCKET}/{key}"
    head = s3.head_object(Bucket=BUCKET, Key=key)
    assert head["ObjectLockMode"] == "COMPLIANCE"
    assert head["ObjectLockRetainUntilDate"] == RECORDED + timedelta(days=30)
    body = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    assert b'"seq": 12' in body and HASH.encode() in body


def test_the_locked_version_cannot_be_deleted(s3) -> None:
    _sink().write(12, HASH, RECORDED)
    key = f"recertify/checkpoints/000000000012-{HASH}.json"
    version = s3.list_object_versions(Bucket=BUCKET, Prefix=key)["Versions"][0]["VersionId"]
    with pytest.raises(ClientError) as refused:
        s3.delete_object(Bucket=BUCKET, Key=key, VersionId=version, BypassGovernanceRetention=True)
    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    assert s3.head_object(Bucket=BUCKET, Key=key, VersionId=version)["ObjectLockMode"] == "COMPLIANCE"


def test_records_read_back_from_every_version_even_behind_a_delete_marker(s3) -> None:
    sink = _sink()
    sink.write(3, "03" * 32, RECORDED)
    sink.write(12, HASH, RECORDED)
    sink.write(9, "09" * 32, RECORDED, kind=CheckpointKind.BASE)
    s3.delete_object(Bucket=BUCKET, Key=f"recertify/checkpoints/000000000012-{HASH}.json")  # a marker only
    assert s3.list_objects_v2(Bucket=BUCKET, Prefix="recertify/checkpoints/")["KeyCount"] == 1
    records = sink.read_all()
    assert [(r.kind, r.seq, r.hash) for r in records] == [
        (CheckpointKind.CHECKPOINT, 3, "03" * 32),
        (CheckpointKind.BASE, 9, "09" * 32),
        (CheckpointKind.CHECKPOINT, 12, HASH),
    ]
    assert records[1].location == f"s3://{BUCKET}/recertify/bases/000000000009-{'09' * 32}.json"


def test_writing_the_same_record_again_is_not_an_error(s3) -> None:
    sink = _sink()
    first = sink.write(12, HASH, RECORDED)
    assert sink.write(12, HASH, RECORDED + timedelta(hours=1)) == first
    versions = s3.list_object_versions(Bucket=BUCKET, Prefix="recertify/checkpoints/")["Versions"]
    assert len(versions) == 1


def test_a_bucket_without_object_lock_is_refused_before_anything_is_written(s3) -> None:
    with pytest.raises(Misconfigured, match="'plain-bucket' has no Object Lock") as refused:
        open_checkpoint_sink("plain-bucket", prefix="recertify/", retention_days=30, region=REGION)
    assert "--object-lock-enabled-for-bucket" in str(refused.value)
    assert s3.list_objects_v2(Bucket="plain-bucket")["KeyCount"] == 0


def test_a_missing_bucket_is_a_configuration_problem(s3) -> None:
    with pytest.raises(Misconfigured, match="NoSuchBucket"):
        open_checkpoint_sink("no-such-bucket", prefix="recertify/", retention_days=30, region=REGION)


def test_a_stray_object_among_the_records_is_refused_not_skipped(s3) -> None:
    s3.put_object(Bucket=BUCKET, Key="recertify/checkpoints/notes.txt", Body=b"hello")
    with pytest.raises(SourceUnavailable, match="'recertify/checkpoints/notes.txt' is not a checkpoint"):
        _sink().read_all()
