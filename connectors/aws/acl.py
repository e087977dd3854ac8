"""S3 access control lists as resource-policy rules. Pure.

Amazon S3 User Guide, "Access control list (ACL) overview": a bucket ACL grant gives its grantee
(a canonical user, i.e. an account, or a predefined group: AllUsers is anyone, anonymous included;
AuthenticatedUsers is any AWS account; LogDelivery is S3's log delivery) a permission that maps to policy
actions ("Mapping of ACL permissions and access policy permissions"). With Object Ownership set to
BucketOwnerEnforced, ACLs are disabled and no longer affect permissions (fetch then reads none), and Block
Public Access's IgnorePublicAcls makes S3 ignore public ACL grants on the bucket and its objects.

Objects carry ACLs of their own, which Recertify does not read (one call per object): while ACLs are enabled
and public ACLs are not ignored, anyone may be able to read some objects. That possibility is kept as a
conditional rule, so it is shown and reviewed rather than hidden.
"""

from __future__ import annotations

from connectors.aws.catalog import ActionCatalog
from connectors.aws.inventory import AclGrant, StoreResource
from connectors.aws.policy import EVERYTHING, Effect, Statement
from connectors.aws.principals import Ref
from connectors.aws.rules import Rule
from connectors.aws.space import StoreSpace
from connectors.aws.steps import acl_step, object_acls_step
from connectors.aws.targets import BUCKET
from reviews.entitlements import StoreKind

GROUPS = "http://acs.amazonaws.com/groups/"
ALL_USERS = GROUPS + "global/AllUsers"
AUTHENTICATED_USERS = GROUPS + "global/AuthenticatedUsers"
LOG_DELIVERY = GROUPS + "s3/LogDelivery"
LOG_DELIVERY_SERVICE = "logging.s3.amazonaws.com"

# "Mapping of ACL permissions and access policy permissions", for an ACL granted on a bucket: (actions,
# whether they act on the bucket itself or on its objects).
_BUCKET_PERMISSIONS: dict[str, tuple[tuple[str, ...], bool]] = {
    "READ": (("s3:ListBucket", "s3:ListBucketVersions", "s3:ListBucketMultipartUploads"), True),
    "WRITE": (("s3:PutObject", "s3:DeleteObject"), False),
    "READ_ACP": (("s3:GetBucketAcl",), True),
    "WRITE_ACP": (("s3:PutBucketAcl",), True),
}
_OBJECT_READ = ("s3:GetObject", "s3:GetObjectVersion")  # what an object ACL's READ grants


def acl_rules(
    store: StoreResource,
    space: StoreSpace,
    catalog: ActionCatalog,
    owner_canonical_id: str | None,
    ignore_public_acls: bool,
) -> list[Rule]:
    """The rules a bucket's ACL adds, for the bucket itself and its objects."""
    if (
        store.kind != StoreKind.S3_BUCKET
        or store.acl is None
        or store.object_ownership == "BucketOwnerEnforced"
    ):
        return []  # "ACLs are disabled and no longer affect permissions"
    bucket_slots = space.target_slots(0)
    object_slots = space.target_slots(1)
    rules: list[Rule] = []
    for grant in store.acl.grants:
        ref = _grantee(grant)
        public = ref.kind in ("everyone", "authenticated")
        if public and ignore_public_acls:
            continue
        if grant.grantee_type == "CanonicalUser" and grant.grantee in (
            owner_canonical_id,
            store.acl.owner_id,
        ):
            continue  # the owner's own grant delegates to the account's policies: nothing more
        for permission in _permissions(grant.permission):
            actions, on_bucket = _BUCKET_PERMISSIONS[permission]
            bits = _bits(catalog, actions)
            step = acl_step(
                store.arn, grant.grantee, f"bucket ACL grant of {grant.permission} to {_who(grant)}"
            )
            statement = Statement(Effect.ALLOW, actions, False, EVERYTHING, False, None, False, False)
            slots = bucket_slots if on_bucket else object_slots
            rules.append(Rule(BUCKET, statement, frozenset({ref}), bits, slots, step, public_acl=public))
    if not ignore_public_acls:
        statement = Statement(Effect.ALLOW, _OBJECT_READ, False, EVERYTHING, False, None, False, True)
        # Only the public reach is unknown: what object ACLs give principals Recertify reads adds nothing to
        # what they get through the account's own policies or the grant to everyone.
        everyone = frozenset({Ref("anyone_unread", "object ACLs")})
        rules.append(
            Rule(
                BUCKET,
                statement,
                everyone,
                _bits(catalog, _OBJECT_READ),
                object_slots,
                object_acls_step(store.arn),
                True,
            )
        )
    return rules


def _permissions(permission: str) -> tuple[str, ...]:
    return tuple(_BUCKET_PERMISSIONS) if permission == "FULL_CONTROL" else (permission,)


def _grantee(grant: AclGrant) -> Ref:
    if grant.grantee_type == "Group":
        if grant.grantee == ALL_USERS:
            return Ref("everyone", grant.grantee)
        if grant.grantee == AUTHENTICATED_USERS:
            return Ref("authenticated", grant.grantee)
        if grant.grantee == LOG_DELIVERY:
            return Ref("service", LOG_DELIVERY_SERVICE)
        return Ref("unknown", grant.grantee)
    if grant.grantee_type == "CanonicalUser":
        return Ref("canonical", grant.grantee)
    return Ref("email", grant.grantee)


def _who(grant: AclGrant) -> str:
    if grant.grantee == ALL_USERS:
        return "AllUsers (anyone)"
    if grant.grantee == AUTHENTICATED_USERS:
        return "AuthenticatedUsers (any AWS account)"
    if grant.grantee == LOG_DELIVERY:
        return "LogDelivery"
    return f"{grant.grantee_type} {grant.grantee[:16]}"


def _bits(catalog: ActionCatalog, actions: tuple[str, ...]) -> int:
    bits = 0
    for action in actions:
        bits |= catalog.mask(action)
    return bits
