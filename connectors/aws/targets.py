"""The resources of a store that requests name, and which resource policies govern each. Pure.

A bucket is requested as itself (`arn:aws:s3:::payroll`, bucket actions) and through its objects
(`arn:aws:s3:::payroll/<key>`); through an access point, as the access point (`…:accesspoint/name`) and its
objects (`…:accesspoint/name/object/<key>`), which identity policies, SCPs and RCPs name by the access point's
ARN while the bucket policy still sees the bucket's. A DynamoDB table is requested as the table and through
its indexes, streams, backups, exports and imports; an RDS database as itself and, with IAM database
authentication, as its database users. Each of these is a `Target`; targets with `children` are key spaces.
"""

from __future__ import annotations

from dataclasses import dataclass

from connectors.aws.inventory import StoreResource
from reviews.entitlements import StoreKind

IDENTITY = "identity"  # identity policies, boundaries, SCPs and RCPs see the target's own ARN
BUCKET, TABLE, STREAM = "bucket", "table", "stream"  # the store's own resource policies


def access_point_policy(index: int) -> str:
    return f"ap:{index}"


@dataclass(frozen=True, slots=True)
class Target:
    """One resource (or, with `children`, every resource under the prefix `arn`) of a store.

    `views` are the resource policies that govern requests to this target, each with the ARN (or prefix)
    it sees: (policy key, ARN). A request through an access point must pass the access point's policy and
    the bucket's. `access_point` is the index of that access point in the store's `access_points`."""

    service: str
    resource_types: frozenset[str]
    arn: str
    children: bool
    views: tuple[tuple[str, str], ...] = ()
    access_point: int | None = None

    def seen_by(self, form: str) -> str:
        """The ARN (or prefix) as the policy `form` sees it (IDENTITY: the target's own)."""
        if form == IDENTITY:
            return self.arn
        return next(arn for key, arn in self.views if key == form)


def targets(store: StoreResource) -> tuple[Target, ...]:
    """The resources through which a store of this kind is read, changed or administered."""
    if store.kind == StoreKind.S3_BUCKET:
        return _bucket(store)
    if store.kind == StoreKind.DYNAMODB_TABLE:
        arn = store.arn
        return (
            Target("dynamodb", frozenset({"table"}), arn, False, ((TABLE, arn),)),
            Target("dynamodb", frozenset({"index"}), arn + "/index/", True, ((TABLE, arn + "/index/"),)),
            Target("dynamodb", frozenset({"stream"}), arn + "/stream/", True, _stream(store)),
            Target("dynamodb", frozenset({"backup"}), arn + "/backup/", True),
            Target("dynamodb", frozenset({"export"}), arn + "/export/", True),
            Target("dynamodb", frozenset({"import"}), arn + "/import/", True),
        )
    if store.kind == StoreKind.RDS_DB:
        cluster = ":cluster:" in store.arn
        own = Target("rds", frozenset({"cluster" if cluster else "db"}), store.arn, False)
        users = tuple(Target("rds-db", frozenset({"db-user"}), a.rstrip("*"), True) for a in store.data_arns)
        # The RDS Data API runs SQL against a cluster, named by the cluster's ARN.
        data_api = (Target("rds-data", frozenset({"cluster"}), store.arn, False),) if cluster else ()
        return (own, *users, *data_api)
    raise ValueError(f"no access targets known for store kind {store.kind!r}")


def _bucket(store: StoreResource) -> tuple[Target, ...]:
    arn = store.arn
    found = [
        Target("s3", frozenset({"bucket"}), arn, False, ((BUCKET, arn),)),
        Target("s3", frozenset({"object"}), arn + "/", True, ((BUCKET, arn + "/"),)),
    ]
    for index, point in enumerate(store.access_points):
        policy = access_point_policy(index)
        found.append(
            Target(
                "s3",
                frozenset({"accesspoint"}),
                point.arn,
                False,
                ((policy, point.arn), (BUCKET, arn)),
                index,
            )
        )
        objects = point.arn + "/object/"
        found.append(
            Target(
                "s3", frozenset({"object"}), objects, True, ((policy, objects), (BUCKET, arn + "/")), index
            )
        )
    return tuple(found)


def _stream(store: StoreResource) -> tuple[tuple[str, str], ...]:
    """A table's stream is governed by the stream's own resource policy, not the table's."""
    return ((STREAM, store.arn + "/stream/"),) if store.stream_arn else ()
