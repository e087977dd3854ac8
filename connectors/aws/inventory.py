"""What `fetch` reads from AWS, as plain typed values: the contract between fetch (boto3 I/O) and the pure
evaluator and transform. No boto3 object crosses this line; policy documents are the parsed JSON as AWS
returns it (a dict), or the raw text when it is not JSON (the evaluator then marks it for human review).

Everything here is complete or absent: fetch raises rather than fill a field it failed to read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

PolicyDocument = dict[str, Any] | str  # parsed JSON, or the raw text when it did not parse


@dataclass(frozen=True, slots=True)
class InlinePolicy:
    name: str
    document: PolicyDocument


@dataclass(frozen=True, slots=True)
class ManagedPolicy:
    arn: str
    name: str
    document: PolicyDocument  # the default version
    aws_managed: bool


@dataclass(frozen=True, slots=True)
class AccessKey:
    key_id: str
    status: str  # Active | Inactive
    created: datetime | None
    last_used: datetime | None  # None: never used, or AWS does not know
    last_used_service: str | None


@dataclass(frozen=True, slots=True)
class IamUser:
    arn: str
    name: str
    user_id: str
    created: datetime | None
    groups: tuple[str, ...]  # group names
    attached: tuple[str, ...]  # managed policy ARNs
    inline: tuple[InlinePolicy, ...]
    boundary: str | None  # permissions-boundary policy ARN
    tags: tuple[tuple[str, str], ...]
    password_last_used: datetime | None
    access_keys: tuple[AccessKey, ...]


@dataclass(frozen=True, slots=True)
class IamGroup:
    arn: str
    name: str
    attached: tuple[str, ...]
    inline: tuple[InlinePolicy, ...]


@dataclass(frozen=True, slots=True)
class IamRole:
    arn: str
    name: str
    created: datetime | None
    trust: PolicyDocument
    attached: tuple[str, ...]
    inline: tuple[InlinePolicy, ...]
    boundary: str | None
    tags: tuple[tuple[str, str], ...]
    last_used: datetime | None
    last_used_region: str | None
    role_id: str = ""  # AROA…: the unique id (aws:userid is "{role_id}:{session name}")


@dataclass(frozen=True, slots=True)
class PublicAccessBlock:
    """S3 Block Public Access, as configured at one level (account, bucket or access point)."""

    block_public_acls: bool
    ignore_public_acls: bool
    block_public_policy: bool
    restrict_public_buckets: bool

    def __or__(self, other: PublicAccessBlock | None) -> PublicAccessBlock:
        """Levels combine: S3 applies the most restrictive combination of the account's and the bucket's."""
        if other is None:
            return self
        return PublicAccessBlock(
            self.block_public_acls or other.block_public_acls,
            self.ignore_public_acls or other.ignore_public_acls,
            self.block_public_policy or other.block_public_policy,
            self.restrict_public_buckets or other.restrict_public_buckets,
        )


@dataclass(frozen=True, slots=True)
class AclGrant:
    grantee_type: str  # CanonicalUser | Group | AmazonCustomerByEmail
    grantee: str  # the canonical user id, the group URI, or the email address
    permission: str  # READ | WRITE | READ_ACP | WRITE_ACP | FULL_CONTROL


@dataclass(frozen=True, slots=True)
class BucketAcl:
    owner_id: str  # the bucket owner's canonical user id
    grants: tuple[AclGrant, ...]


@dataclass(frozen=True, slots=True)
class AccessPoint:
    """An S3 access point attached to a store's bucket (possibly owned by another account)."""

    arn: str  # arn:aws:s3:{region}:{account}:accesspoint/{name}
    name: str
    account_id: str
    region: str
    network_origin: str  # Internet | VPC
    vpc_id: str | None
    policy: PolicyDocument | None  # None: it has none
    public_access_block: PublicAccessBlock | None  # its own, fixed when it was created


@dataclass(frozen=True, slots=True)
class StoreResource:
    """A tagged personal-data store as found (tagging API or per-service listing)."""

    arn: str
    kind: str  # a StoreKind value: s3_bucket, dynamodb_table, rds_db
    name: str
    account_id: str
    region: str  # "" for S3 (global names)
    tags: tuple[tuple[str, str], ...]
    resource_policy: PolicyDocument | None  # bucket policy / DynamoDB resource policy; None: it has none
    data_arns: tuple[str, ...] = ()  # further ARNs that reach the data (RDS: the rds-db:connect dbuser ARNs)
    # S3 only. `acl` None: ACLs are disabled (Object Ownership BucketOwnerEnforced), so none is read.
    acl: BucketAcl | None = None
    object_ownership: str | None = None  # BucketOwnerEnforced | BucketOwnerPreferred | ObjectWriter | None
    public_access_block: PublicAccessBlock | None = None  # the bucket's own; None: not configured
    access_points: tuple[AccessPoint, ...] = ()
    # The customer managed KMS key that encrypts the data by default (S3 default encryption, a DynamoDB
    # table's key); None: SSE-S3, an AWS owned or AWS managed key, or no encryption.
    kms_key_arn: str | None = None
    # DynamoDB: the table's stream (its records are the table's data) and the stream's own resource policy.
    stream_arn: str | None = None
    stream_policy: PolicyDocument | None = None


@dataclass(frozen=True, slots=True)
class KmsGrant:
    grantee: str  # the grantee principal (an ARN, or a service principal)
    operations: tuple[str, ...]  # Decrypt, Encrypt, GenerateDataKey, …
    constrained: bool  # encryption-context constraints: the grant holds only for some requests


@dataclass(frozen=True, slots=True)
class KmsKey:
    """A customer managed key that encrypts a store. `policy` None: it could not be read (`unreadable` says
    why); whoever needs it then holds the store's data access only conditionally."""

    arn: str
    account_id: str
    region: str
    policy: PolicyDocument | None
    grants: tuple[KmsGrant, ...]
    aliases: tuple[str, ...] = ()
    unreadable: str | None = None


@dataclass(frozen=True, slots=True)
class ServiceLastAccessed:
    """IAM's service-last-accessed answer for one principal and one service namespace."""

    principal_arn: str
    service: str  # namespace: s3, dynamodb, rds
    last_authenticated: datetime | None  # None: not accessed within the tracking window
    tracking_start: datetime | None  # the start of the window AWS reports over


@dataclass(frozen=True, slots=True)
class AccountInventory:
    account_id: str
    users: tuple[IamUser, ...]
    groups: tuple[IamGroup, ...]
    roles: tuple[IamRole, ...]
    policies: tuple[ManagedPolicy, ...]  # every managed policy attached anywhere (and boundaries)
    stores: tuple[StoreResource, ...]
    # SCPs that apply to this account, one tuple per level from the root down to the account itself: an
    # action must be allowed at every level. Empty: Organizations not readable or not in use (no SCP limit).
    scp_levels: tuple[tuple[PolicyDocument, ...], ...] = ()
    last_accessed: tuple[ServiceLastAccessed, ...] = ()
    # Resource control policies that apply to this account's resources, root first (like scp_levels). Empty:
    # none readable or none in force (the default RCPFullAWSAccess allows everything).
    rcp_levels: tuple[tuple[PolicyDocument, ...], ...] = ()
    public_access_block: PublicAccessBlock | None = None  # S3 Block Public Access for the whole account
    kms_keys: tuple[KmsKey, ...] = ()  # the customer managed keys that encrypt this account's stores
    canonical_id: str | None = None  # the account's S3 canonical user id (ACL grants name accounts by it)


@dataclass(frozen=True, slots=True)
class IdentityStoreUser:
    user_id: str
    user_name: str
    display_name: str
    email: str | None


@dataclass(frozen=True, slots=True)
class IdentityStoreGroup:
    group_id: str
    name: str
    member_user_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PermissionSet:
    arn: str
    name: str
    managed: tuple[str, ...]  # AWS managed policy ARNs
    customer_managed: tuple[str, ...]  # customer managed policy names (resolved per account by path/name)
    inline: PolicyDocument | None
    boundary: str | None


@dataclass(frozen=True, slots=True)
class AccountAssignment:
    account_id: str
    permission_set_arn: str
    principal_type: str  # USER | GROUP
    principal_id: str


@dataclass(frozen=True, slots=True)
class IdentityCenter:
    instance_arn: str
    identity_store_id: str
    users: tuple[IdentityStoreUser, ...]
    groups: tuple[IdentityStoreGroup, ...]
    permission_sets: tuple[PermissionSet, ...]
    assignments: tuple[AccountAssignment, ...]


@dataclass(frozen=True, slots=True)
class Organization:
    """The AWS organisation the accounts belong to, when Organizations could be read."""

    org_id: str
    management_account_id: str
    accounts: tuple[tuple[str, str], ...]  # (account id, account name) for every account of the organisation


@dataclass(frozen=True, slots=True)
class AwsInventory:
    taken_at: datetime
    accounts: tuple[AccountInventory, ...]
    identity_center: IdentityCenter | None = None
    # What could not be read and why that does not matter (e.g. Organizations not in use: no SCPs).
    notes: tuple[str, ...] = field(default=())
    organization: Organization | None = None  # None: not in one, or not readable (then "external" is assumed)
