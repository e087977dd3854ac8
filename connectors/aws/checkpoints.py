"""The audit chain's write-once checkpoint store: S3 with Object Lock (reviews.ports.CheckpointSink).

Each record is one object, written with `ObjectLockMode=COMPLIANCE` and a retain-until date
(`[audit] checkpoint_retention_days` after it was recorded): until then nobody, the bucket's owner and the
root user included, can delete or overwrite that object version. The bucket must have been created with
Object Lock enabled; `open_checkpoint_sink` checks it first and refuses a bucket without it, because
checkpoints that can be deleted prove nothing.

Keys carry the record: `{prefix}checkpoints/{seq:012d}-{hash}.json` for a head, `{prefix}bases/…` for the
base a purge left (reviews.audit.retention); the small JSON body repeats it for people reading the bucket.
`read_all` parses keys from `ListObjectVersions`, so a delete marker (which only hides the current version)
hides nothing, and a new version written over a key changes nothing. Writes use `If-None-Match: *`: writing
a record that already exists (a retried checkpoint) is answered 412 and counts as done.

The bot's own credentials (the standard boto3 chain) write here, not the read or write roles of the
accounts it reviews. They need s3:GetBucketObjectLockConfiguration, s3:PutObject, s3:PutObjectRetention and
s3:ListBucketVersions on the bucket, and should have no s3:BypassGovernanceRetention (COMPLIANCE ignores it
anyway).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import boto3
from botocore.exceptions import ClientError

from connectors.aws.accounts import RETRY_CONFIG
from connectors.aws.errors import SOURCE, THROTTLING, TRANSIENT, AwsApiError, botocore_errors, error_parts
from reviews.errors import Misconfigured, SourceUnavailable
from reviews.ports import CheckpointKind, WrittenCheckpoint

logger = logging.getLogger(__name__)

_FOLDERS = {CheckpointKind.CHECKPOINT: "checkpoints/", CheckpointKind.BASE: "bases/"}
_KEY = re.compile(r"^(?P<seq>\d{12})-(?P<hash>[0-9a-f]{64})\.json$")
_NO_BUCKET = frozenset({"NoSuchBucket", "AccessDenied", "AllAccessDisabled", "PermanentRedirect"})


class S3CheckpointSink:
    """Writes and reads checkpoint records in one bucket, under one prefix. Build it with
    `open_checkpoint_sink`, which checks the bucket first."""

    def __init__(self, client: Any, bucket: str, *, prefix: str, retention_days: int) -> None:
        if retention_days < 1:
            raise Misconfigured("audit.checkpoint_retention_days must be at least 1")
        self._s3 = client
        self.bucket = bucket
        self.prefix = prefix
        self.retention = timedelta(days=retention_days)
        self.location = f"s3://{bucket}/{prefix}"

    def check(self) -> None:
        """Refuse a bucket that is missing, unreadable, or has no Object Lock."""
        try:
            with self._call("GetObjectLockConfiguration"):
                answer = self._s3.get_object_lock_configuration(Bucket=self.bucket)
        except AwsApiError as exc:
            if exc.code != "ObjectLockConfigurationNotFoundError":
                raise
            answer = {}
        enabled = answer.get("ObjectLockConfiguration", {}).get("ObjectLockEnabled")
        if enabled != "Enabled":
            raise Misconfigured(
                f"audit.checkpoint_bucket {self.bucket!r} has no Object Lock: checkpoints there could be "
                "deleted, so they would prove nothing. Use a bucket created with Object Lock enabled "
                "(aws s3api create-bucket … --object-lock-enabled-for-bucket), or set "
                'checkpoint_bucket = "" to keep checkpoints in the database only'
            )

    def write(
        self, seq: int, hash: str, recorded_at: datetime, *, kind: CheckpointKind = CheckpointKind.CHECKPOINT
    ) -> str:
        key = f"{self.prefix}{_FOLDERS[kind]}{seq:012d}-{hash}.json"
        body = {"kind": kind.value, "seq": seq, "hash": hash, "recorded_at": recorded_at.isoformat()}
        try:
            with self._call(f"PutObject {key}"):
                self._s3.put_object(
                    Bucket=self.bucket,
                    Key=key,
                    Body=json.dumps(body, sort_keys=True).encode(),
                    ContentType="application/json",
                    ObjectLockMode="COMPLIANCE",
                    ObjectLockRetainUntilDate=recorded_at + self.retention,
                    IfNoneMatch="*",
                )
        except AwsApiError as exc:
            if exc.code not in ("PreconditionFailed", "412"):
                raise
            logger.info("checkpoint %s was already written", key)  # same key: same seq and hash
        return f"s3://{self.bucket}/{key}"

    def read_all(self) -> list[WrittenCheckpoint]:
        records: dict[str, WrittenCheckpoint] = {}
        for kind, folder in _FOLDERS.items():
            prefix = f"{self.prefix}{folder}"
            with self._call(f"ListObjectVersions {prefix}"):
                pages = self._s3.get_paginator("list_object_versions").paginate(
                    Bucket=self.bucket, Prefix=prefix
                )
                for page in pages:
                    for version in page.get("Versions", []):
                        key = version["Key"]
                        records.setdefault(key, self._parse(kind, key, prefix))
        return sorted(records.values(), key=lambda r: (r.seq, r.kind, r.location))

    def _parse(self, kind: CheckpointKind, key: str, prefix: str) -> WrittenCheckpoint:
        match = _KEY.match(key[len(prefix) :])
        if match is None:
            raise SourceUnavailable(
                SOURCE,
                f"{self.location}: {key!r} is not a checkpoint record ({prefix}SEQ-HASH.json); "
                "keep that folder for Recertify's checkpoints only",
                retryable=False,
            )
        return WrittenCheckpoint(kind, int(match["seq"]), match["hash"], f"s3://{self.bucket}/{key}")

    @contextmanager
    def _call(self, operation: str) -> Iterator[None]:
        """botocore's errors, as ours (the client has already retried throttling and transient faults)."""
        with botocore_errors(f"checkpoint bucket s3://{self.bucket}: {operation}", _from_client_error):
            yield


def _from_client_error(exc: ClientError, where: str) -> Misconfigured | AwsApiError:
    """What S3's error codes mean to the checkpoint store: a bucket it cannot reach is the configuration's
    fault; any other code keeps its name, so that an expected answer (already written, no Object Lock) can be
    told apart by the caller."""
    code, message, _ = error_parts(exc)
    if code in _NO_BUCKET:
        return Misconfigured(
            f"{where}: {code}: {message} (check audit.checkpoint_bucket and the bot's S3 permissions)"
        )
    retryable = code in THROTTLING or code in TRANSIENT
    return AwsApiError(f"{where}: {code}: {message}", code=code, retryable=retryable)


def open_checkpoint_sink(
    bucket: str, *, prefix: str, retention_days: int, region: str | None = None, client: Any = None
) -> S3CheckpointSink:
    """The store for `[audit] checkpoint_bucket`, checked: refuses at once a bucket without Object Lock."""
    s3 = client if client is not None else boto3.client("s3", region_name=region, config=RETRY_CONFIG)
    sink = S3CheckpointSink(s3, bucket, prefix=prefix, retention_days=retention_days)
    sink.check()
    return sink
