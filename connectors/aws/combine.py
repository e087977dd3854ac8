"""AWS's evaluation logic for one requester on one slot of one store, over action bit masks. Pure.

IAM User Guide, "Policy evaluation logic" and "Cross-account policy evaluation logic":
- an explicit Deny in any policy (identity, permissions boundary, resource, SCP, RCP) wins;
- SCPs (the requester's account) and RCPs (the resource's account) must allow, at every level;
- within one account, an Allow in the identity policies (inside the permissions boundary) or in the resource
  policy suffices. A resource-policy grant that names a user, a role session or everyone ("*") is not cut by
  the requester's boundary; one that names a role's ARN is ("Resource-based policies that grant permissions to
  an IAM role ARN are limited by an implicit deny in a permissions boundary");
- across accounts, the identity side and the resource policy must both allow (naming the requester or its
  account);
- through an S3 access point, the access point's own evaluation and the bucket's must both allow ("Permissions
  granted in an access point policy are effective only if the underlying bucket also allows the same access");
- S3 Block Public Access's RestrictPublicBuckets: a bucket (or access point) whose policy is public is
  reachable only by AWS service principals and authorized users of the owner's account.

Requesters outside what Recertify reads have no identity side to evaluate: anyone ("public") gets only what
a resource policy gives everyone; an unread account gets what the resource policy gives it or anyone in it
(its own policies then decide who inside it uses that); a service, what names that service.
"""

from __future__ import annotations

from dataclasses import dataclass

from connectors.aws.resource_policy import View
from connectors.aws.summary import Masks

IAM, PUBLIC, SERVICE = "iam", "public", "service"
ACCOUNT, EXTERNAL = "account", "external"  # an unread account as a whole; one named principal of one


@dataclass(frozen=True, slots=True)
class Guard:
    """SCPs or RCPs combined over their levels for one slot: what every level allows, what any denies."""

    allow: int
    allow_cond: int
    deny: int
    deny_cond: int
    unknown: int


@dataclass(frozen=True, slots=True)
class Decision:
    allow: int  # possibly allowed
    certain: int  # allowed whatever the conditions
    unknown: int  # touched by something not fully read
    by_identity: int  # allowed bits the identity side allows (the path then names an identity policy)


NOTHING = Decision(0, 0, 0, 0)


def decide(
    kind: str,
    *,
    everything: int,
    identity: Masks | None = None,
    boundary: Masks | None = None,
    bounded: bool = False,
    primary: View | None = None,
    bucket: View | None = None,
    through_access_point: bool = False,
    same_account: bool = False,
    bucket_same_account: bool | None = None,
    scp: Guard | None = None,
    rcp: Guard | None = None,
    restricted: bool = False,
) -> Decision:
    """`primary`: the view of the policy governing the slot (bucket, table, stream, or the access point's);
    `bucket`: the bucket policy's view when the slot is reached through an access point; `same_account`: the
    requester is of the account of the slot's resource (the access point's, through one), and
    `bucket_same_account` of the bucket's (when it differs); `restricted`: the slot's policy is public and
    RestrictPublicBuckets is on."""
    if restricted and not same_account and kind != SERVICE:
        return NOTHING
    in_a, in_u = _within_boundary(boundary, bounded, everything)
    id_a = id_u = 0
    if kind == IAM and identity is not None:
        id_a, id_u = (identity.allow | identity.allow_cond) & in_a, identity.allow & in_u
    allow, certain = _layer(kind, primary, same_account, id_a, id_u, in_a, in_u)
    if through_access_point:
        same_bucket = same_account if bucket_same_account is None else bucket_same_account
        bucket_a, bucket_u = _layer(kind, bucket, same_bucket, id_a, id_u, in_a, in_u)
        allow, certain = allow & bucket_a, certain & bucket_u
    deny = deny_cond = unknown = 0
    for part in (identity, boundary, primary, bucket, scp, rcp):
        if part is not None:
            deny, deny_cond, unknown = deny | part.deny, deny_cond | part.deny_cond, unknown | part.unknown
    for guard in (scp, rcp):
        if guard is not None:
            allow &= guard.allow | guard.allow_cond
            certain &= guard.allow
    allow &= ~deny
    certain &= allow & ~deny_cond
    return Decision(allow, certain, unknown & allow, id_a & allow)


def _within_boundary(boundary: Masks | None, bounded: bool, everything: int) -> tuple[int, int]:
    if not bounded:
        return everything, everything
    if boundary is None:  # a boundary that says nothing about this slot allows nothing here
        return 0, 0
    return boundary.allow | boundary.allow_cond, boundary.allow


def _layer(
    kind: str, view: View | None, same_account: bool, id_a: int, id_u: int, in_a: int, in_u: int
) -> tuple[int, int]:
    """What one layer (a resource policy with the identity side) allows: (possibly, certainly)."""
    if view is None:
        return (id_a, id_u) if same_account else (0, 0)
    direct_a, direct_u = view.direct | view.direct_cond, view.direct
    role_a, role_u = view.role | view.role_cond, view.role
    account_a, account_u = view.account | view.account_cond, view.account
    if kind in (PUBLIC, SERVICE):
        return direct_a, direct_u
    if kind == EXTERNAL:  # named by its own ARN: what names its account belongs to the account's principal
        return direct_a | role_a, direct_u | role_u
    if kind == ACCOUNT:  # the unread account as a whole: whatever names it, it may hand on
        return direct_a | role_a | account_a, direct_u | role_u | account_u
    if same_account:
        return id_a | direct_a | (role_a & in_a), id_u | direct_u | (role_u & in_u)
    return id_a & (direct_a | role_a | account_a), id_u & (direct_u | role_u | account_u)
