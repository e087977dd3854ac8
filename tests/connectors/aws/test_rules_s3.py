"""Amazon S3's own layers (R8–R10 of /work/research/aws-rules.md): Block Public Access, ACLs and Object
Ownership, access points and the bucket's delegation to them. Each test quotes the sentence it implements,
with its URL."""

from __future__ import annotations

from tests.connectors.aws.rules_support import ALLOWED, DENIED, MAYBE, decide, grant, grants, levels, names
from tests.data.aws.inventory import (
    ACCOUNT,
    ANA_ARN,
    OTHER,
    PAYROLL,
    access_point,
    account,
    allow,
    block,
    bucket,
    bucket_acl,
    doc,
    inventory,
    policy,
    root,
    statement,
    user,
)

OBJECT = f"{PAYROLL}/2026/march.csv"
PARTNER = "999988887777"
OWNER_CANONICAL = "a" * 64
PARTNER_CANONICAL = "b" * 64
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
PUBLIC_READ = statement("Allow", "*", "s3:GetObject", f"{PAYROLL}/*", sid="PublicRead")
PARTNER_READ = statement("Allow", {"AWS": PARTNER}, "s3:GetObject", f"{PAYROLL}/*", sid="PartnerRead")
IGNORE_ACLS = block(ignore_public_acls=True)
RESTRICT = block(restrict_public_buckets=True)


def _single(store, *, account_block=None, users=(), policies=()):
    return inventory(
        account(
            users=users,
            policies=policies,
            stores=(store,),
            public_access_block=account_block,
            canonical_id=OWNER_CANONICAL,
        )
    )


def _public_acl_bucket(**extra):
    acl = bucket_acl(OWNER_CANONICAL, ("Group", ALL_USERS, "READ"))
    return bucket(acl=acl, object_ownership="BucketOwnerPreferred", **extra)


# --- R8 Block Public Access -----------------------------------------------------------------------------


def test_ignore_public_acls_neutralises_public_acl_grants_at_account_or_bucket_level() -> None:
    """R8.2 S3-BPA-IGNORE-PUBLIC-ACLS. "Setting this option to TRUE causes Amazon S3 to ignore all public
    ACLs on a bucket and any objects that it contains." and R8.1: "If the block public access settings for
    the access point, bucket, or account differ, then Amazon S3 applies the most restrictive combination of
    the access point, bucket, and account settings." —
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html"""
    assert levels(_single(_public_acl_bucket()), "*") == {"read"}
    for inv in (
        _single(_public_acl_bucket(), account_block=IGNORE_ACLS),
        _single(_public_acl_bucket(public_access_block=IGNORE_ACLS)),
    ):
        assert decide(inv, "*", "s3:ListBucket", PAYROLL) == DENIED
        assert decide(inv, "*", "s3:GetObject", OBJECT) == DENIED  # objects' public ACLs too
        assert levels(inv, "*") == set()


def test_ignore_public_acls_keeps_an_acl_grant_to_a_named_account() -> None:
    """R8.5 S3-PUBLIC-DEFINITION. "Amazon S3 considers a bucket or object ACL public if it grants any
    permissions to members of the predefined AllUsers or AuthenticatedUsers groups." —
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html. A grant
    to one account's canonical user is not public, so IgnorePublicAcls leaves it."""
    acl = bucket_acl(OWNER_CANONICAL, ("CanonicalUser", PARTNER_CANONICAL, "READ"))
    inv = _single(bucket(acl=acl, object_ownership="ObjectWriter"), account_block=IGNORE_ACLS)
    partner = [g for g in grants(inv).values() if g.principal_provider_id.endswith(PARTNER_CANONICAL)]
    assert [str(g.access) for g in partner] == ["read"]
    assert partner[0].path[0].kind == "bucket_acl"


def test_block_public_acls_and_block_public_policy_leave_existing_grants_alone() -> None:
    """R8.4. "Block public access settings don't alter existing policies or ACLs." and BlockPublicPolicy:
    "Enabling this setting doesn't affect existing access point or bucket policies." —
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html"""
    write_time_only = block(block_public_acls=True, block_public_policy=True)
    inv = _single(_public_acl_bucket(policy_doc=doc(PUBLIC_READ)), account_block=write_time_only)
    assert decide(inv, "*", "s3:ListBucket", PAYROLL) == ALLOWED
    assert decide(inv, "*", "s3:GetObject", OBJECT) == ALLOWED


def test_restrict_public_buckets_blocks_anyone_under_a_public_policy() -> None:
    """R8.3 S3-BPA-RESTRICT-PUBLIC-BUCKETS. "Setting this option to TRUE restricts access to an access
    point or bucket with a public policy to only AWS service principals and authorized users within the
    bucket owner's account and access point owner's account." —
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html"""
    assert levels(_single(bucket(policy_doc=doc(PUBLIC_READ))), "*") == {"read"}
    for inv in (
        _single(bucket(policy_doc=doc(PUBLIC_READ)), account_block=RESTRICT),
        _single(bucket(policy_doc=doc(PUBLIC_READ), public_access_block=RESTRICT)),
    ):
        assert decide(inv, "*", "s3:GetObject", OBJECT) == DENIED
        assert levels(inv, "*") == set()


def test_restrict_public_buckets_keeps_the_owners_own_users_and_service_principals() -> None:
    """R8.3. "This setting blocks all cross-account access to the access point or bucket (except by AWS
    service principals), while still allowing users within the account to manage the access point or
    bucket." —
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html"""
    trail = statement(
        "Allow", {"Service": "cloudtrail.amazonaws.com"}, "s3:PutObject", f"{PAYROLL}/AWSLogs/*"
    )
    inv = _single(bucket(policy_doc=doc(PUBLIC_READ, trail)), account_block=RESTRICT, users=(user("ana"),))
    assert decide(inv, ANA_ARN, "s3:GetObject", OBJECT) == ALLOWED
    assert levels(inv, ANA_ARN) == {"read"}
    assert decide(inv, "cloudtrail.amazonaws.com", "s3:PutObject", f"{PAYROLL}/AWSLogs/x") == ALLOWED
    assert levels(inv, "cloudtrail.amazonaws.com") == {"write"}


def test_restrict_public_buckets_does_not_touch_acls() -> None:
    """R8.3: RestrictPublicBuckets "restricts access to an access point or bucket with a public policy" and
    "Amazon S3 blocks public and cross-account access derived from any public access point or bucket
    policy" —
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html: access
    granted by a bucket ACL, on a bucket without a policy, is IgnorePublicAcls's business (R8.2)."""
    inv = _single(_public_acl_bucket(), account_block=RESTRICT)
    assert decide(inv, "*", "s3:ListBucket", PAYROLL) == ALLOWED
    assert levels(inv, "*") == {"read"}


def test_restrict_public_buckets_blocks_even_a_named_account_once_the_policy_is_public() -> None:
    """R8.3 and R8.5. "Amazon S3 blocks public and cross-account access derived from any public access
    point or bucket policy, including non-public delegation to specific accounts." and "Even though
    statement 2 isn't public, Amazon S3 disables access by "Account-2." This is because statement 3 renders
    the entire policy public, so RestrictPublicBuckets applies." —
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html"""
    inv = _single(bucket(policy_doc=doc(PARTNER_READ, PUBLIC_READ)), account_block=RESTRICT)
    assert decide(inv, root(PARTNER), "s3:GetObject", OBJECT) == DENIED
    assert levels(inv, root(PARTNER)) == set()


def test_restrict_public_buckets_leaves_a_non_public_policy_alone() -> None:
    """R8.3: RestrictPublicBuckets acts on "an access point or bucket with a public policy"; R8.5: "To be
    considered non-public, a bucket policy must grant access only to fixed values" —
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html. A policy
    naming one account is not public, so that account keeps its access."""
    inv = _single(bucket(policy_doc=doc(PARTNER_READ)), account_block=RESTRICT)
    assert decide(inv, root(PARTNER), "s3:GetObject", OBJECT) == ALLOWED
    assert levels(inv, root(PARTNER)) == {"read"}


def test_restrict_public_buckets_applies_to_readers_of_another_account_that_recertify_reads() -> None:
    """R8.3: "This setting blocks all cross-account access to the access point or bucket (except by AWS
    service principals)" —
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html, whether
    or not Recertify reads that account."""
    reads = policy("EveReads", allow("s3:GetObject", f"{PAYROLL}/*"), account=OTHER)
    eve = user("eve", policies=(reads,), account=OTHER)
    store = bucket(
        policy_doc=doc(statement("Allow", {"AWS": OTHER}, "s3:GetObject", f"{PAYROLL}/*"), PUBLIC_READ)
    )
    inv = inventory(
        account(stores=(store,), public_access_block=RESTRICT),
        account(users=(eve,), policies=(reads,), account_id=OTHER),
    )
    assert decide(inv, eve.arn, "s3:GetObject", OBJECT) == DENIED
    assert levels(inv, eve.arn) == set()


# --- R9 ACLs and Object Ownership ----------------------------------------------------------------------


def test_bucket_owner_enforced_disables_acls() -> None:
    """R9.2 S3-ACL-DISABLED-BY-BUCKET-OWNER-ENFORCED. "Bucket owner enforced (default) – ACLs are disabled,
    and the bucket owner automatically owns and has full control over every object in the bucket. ACLs no
    longer affect permissions to data in the S3 bucket." —
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html. Fetch reads no ACL
    then."""
    inv = _single(bucket(object_ownership="BucketOwnerEnforced"))
    assert levels(inv, "*") == set()
    assert decide(inv, "*", "s3:GetObject", OBJECT) == DENIED


def test_bucket_owner_enforced_disables_acls_even_when_one_was_read() -> None:
    """R9.2. "BucketOwnerEnforced - Access control lists (ACLs) are disabled and no longer affect
    permissions." — https://docs.aws.amazon.com/AmazonS3/latest/API/API_OwnershipControlsRule.html.
    GetBucketAcl still answers under BucketOwnerEnforced (the owner's FULL_CONTROL): an ACL read there must
    change nothing, and no public read of objects through their ACLs can follow."""
    inv = _single(bucket(acl=bucket_acl(OWNER_CANONICAL), object_ownership="BucketOwnerEnforced"))
    assert decide(inv, "*", "s3:GetObject", OBJECT) == DENIED
    assert levels(inv, "*") == set()


def test_a_bucket_acl_read_grant_is_listing_not_reading_objects() -> None:
    """R9.3 S3-ACL-PERMISSION-MAP. READ on a bucket corresponds to "s3:ListBucket, s3:ListBucketVersions,
    and s3:ListBucketMultipartUploads"; on an object to "s3:GetObject and s3:GetObjectVersion" —
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#acl-access-policy-permission-mapping.
    The bucket's READ grant gives listing; reading objects depends on their own ACLs (unread: conditional)."""
    inv = _single(_public_acl_bucket())
    assert decide(inv, "*", "s3:ListBucket", PAYROLL) == ALLOWED
    assert decide(inv, "*", "s3:GetObject", OBJECT) == MAYBE
    found = grant(inv, "*")
    assert not found.conditional and "READ" in names(found)[0]


def test_a_bucket_acl_write_acp_grant_is_admin() -> None:
    """R9.3. WRITE_ACP on a bucket corresponds to "s3:PutBucketAcl" —
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#acl-access-policy-permission-mapping:
    whoever holds it can change who has access (permissions management)."""
    acl = bucket_acl(OWNER_CANONICAL, ("Group", ALL_USERS, "WRITE_ACP"))
    inv = _single(bucket(acl=acl, object_ownership="ObjectWriter"))
    assert decide(inv, "*", "s3:PutBucketAcl", PAYROLL) == ALLOWED
    assert "admin" in levels(inv, "*")


def test_a_bucket_acl_grant_to_a_read_account_needs_that_accounts_identity_policy() -> None:
    """R9.2: with ACLs "you can grant permissions only to other AWS accounts; you cannot grant permissions to
    users in your account." — https://docs.aws.amazon.com/AmazonS3/latest/userguide/acls.html; R3.1 across
    accounts: "The request is allowed only if both evaluations return a decision of Allow." —
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html"""
    acl = bucket_acl(OWNER_CANONICAL, ("CanonicalUser", PARTNER_CANONICAL, "READ"))
    lists = policy("EveLists", allow("s3:ListBucket", PAYROLL), account=OTHER)
    eve, ivo = user("eve", policies=(lists,), account=OTHER), user("ivo", account=OTHER)
    inv = inventory(
        account(stores=(bucket(acl=acl, object_ownership="ObjectWriter"),), canonical_id=OWNER_CANONICAL),
        account(users=(eve, ivo), policies=(lists,), account_id=OTHER, canonical_id=PARTNER_CANONICAL),
    )
    assert decide(inv, eve.arn, "s3:ListBucket", PAYROLL) == ALLOWED
    assert decide(inv, ivo.arn, "s3:ListBucket", PAYROLL) == DENIED
    assert levels(inv, eve.arn) == {"read"}
    assert levels(inv, ivo.arn) == set()


# --- R10 access points -----------------------------------------------------------------------------------

AP = "reports"
AP_ARN = f"arn:aws:s3:eu-west-2:{ACCOUNT}:accesspoint/{AP}"
AP_OBJECT = f"{AP_ARN}/object/2026/march.csv"
DELEGATE = statement(
    "Allow",
    {"AWS": "*"},
    "*",
    [PAYROLL, f"{PAYROLL}/*"],
    sid="DelegateToAccessPoints",
    condition={"StringEquals": {"s3:DataAccessPointAccount": ACCOUNT}},
)


def _via_access_point(ap_policy, bucket_policy=None, *, identity=(), network_origin="Internet", **extra):
    point = access_point(
        AP, ap_policy, network_origin=network_origin, public_access_block=extra.pop("ap_block", None)
    )
    mine = (policy("AnaAccess", *identity),) if identity else ()
    return inventory(
        account(
            users=(user("ana", policies=mine),),
            policies=mine,
            stores=(bucket(policy_doc=bucket_policy, access_points=(point,)),),
            **extra,
        )
    )


def _ap_grant(principal, sid="ApAna", resource=f"{AP_ARN}/object/*"):
    return doc(statement("Allow", principal, "s3:GetObject", resource, sid=sid))


def test_through_an_access_point_both_its_policy_and_the_bucket_must_permit() -> None:
    """R10.1 S3-AP-BOTH-MUST-PERMIT. "For an application or user to be able to access objects through an
    access point, both the access point and the underlying bucket or Amazon FSx file system must permit the
    request." — https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-points-policies.html"""
    inv = _via_access_point(_ap_grant({"AWS": ANA_ARN}))
    assert decide(inv, ANA_ARN, "s3:GetObject", AP_OBJECT) == DENIED
    assert levels(inv, ANA_ARN) == set()


def test_a_bucket_delegating_to_its_access_points_lets_the_access_point_policy_decide() -> None:
    """R10.2 S3-AP-DELEGATION. "You can delegate access control for a bucket to the bucket's access points.
    The following example bucket policy allows full access to all access points that are owned by the
    bucket owner's account. Thus, all access to this bucket is controlled by the policies attached to its
    access points." — https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-points-policies.html
    (2023). The path names the access point policy's statement, then the access point."""
    inv = _via_access_point(_ap_grant({"AWS": ANA_ARN}), doc(DELEGATE))
    assert decide(inv, ANA_ARN, "s3:GetObject", AP_OBJECT) == ALLOWED
    assert decide(inv, ANA_ARN, "s3:GetObject", OBJECT) == DENIED  # directly: the bucket grants her nothing
    found = grant(inv, ANA_ARN)
    assert names(found) == [f"access point {AP} policy statement ApAna", AP]
    assert [s.kind for s in found.path] == ["resource_policy", "access_point"]
    assert not found.conditional


def test_an_access_point_policy_only_restricts_requests_made_through_it() -> None:
    """R10.1. "Restrictions that you include in an access point policy apply only to requests made through
    that access point. Attaching an access point to a bucket does not change underlying resource's
    behavior." — https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-points-policies.html"""
    deny_all = doc(statement("Deny", "*", "s3:*", f"{AP_ARN}/object/*"))
    inv = _via_access_point(deny_all, doc(DELEGATE), identity=(allow("s3:GetObject", "*"),))
    assert decide(inv, ANA_ARN, "s3:GetObject", AP_OBJECT) == DENIED
    assert decide(inv, ANA_ARN, "s3:GetObject", OBJECT) == ALLOWED
    assert levels(inv, ANA_ARN) == {"read"}


def test_an_identity_policy_written_against_the_access_point_arn_reaches_the_data() -> None:
    """R10.3 S3-AP-ARNS: access point resources are named
    "arn:aws:s3:region:account-id:accesspoint/my-access-point" and their objects
    ".../accesspoint/my-access-point/object/..." —
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-points-policies.html. Same account:
    identity Allow on the access point's objects, bucket delegating to access points, no access point
    policy."""
    inv = _via_access_point(None, doc(DELEGATE), identity=(allow("s3:GetObject", f"{AP_ARN}/object/*"),))
    assert decide(inv, ANA_ARN, "s3:GetObject", AP_OBJECT) == ALLOWED
    assert decide(inv, ANA_ARN, "s3:GetObject", OBJECT) == DENIED
    found = grant(inv, ANA_ARN)
    assert names(found) == ["AnaAccess", AP]


def test_a_public_access_point_policy_is_public_access_through_it() -> None:
    """R4.1 with R10.2: a bucket delegating to its access points and an access point policy granting "*" give
    anyone the data through that access point. "using a wildcard (*) with an Allow effect grants access to all
    users, including anonymous users (public access)." —
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html"""
    inv = _via_access_point(_ap_grant("*", sid="Anyone"), doc(DELEGATE))
    assert decide(inv, "*", "s3:GetObject", AP_OBJECT) == ALLOWED
    assert names(grant(inv, "*")) == [f"access point {AP} policy statement Anyone", AP]


def test_block_public_access_on_the_bucket_applies_to_its_access_points() -> None:
    """R8.1. "Similarly, if you apply a setting to a bucket, it applies to all access points associated
    with that bucket." —
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html"""
    point = access_point(AP, _ap_grant("*"))
    store = bucket(policy_doc=doc(DELEGATE), access_points=(point,), public_access_block=RESTRICT)
    inv = _single(store)
    assert decide(inv, "*", "s3:GetObject", AP_OBJECT) == DENIED
    assert levels(inv, "*") == set()


def test_restrict_public_buckets_on_the_access_point_blocks_its_public_policy() -> None:
    """R8.1: "Each setting can be applied to an access point, a bucket, or an entire AWS account." and
    R8.6: "If the request was made through an access point, Amazon S3 also checks for block public access
    settings for the access point." —
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html"""
    inv = _via_access_point(_ap_grant("*"), doc(DELEGATE), ap_block=RESTRICT)
    assert decide(inv, "*", "s3:GetObject", AP_OBJECT) == DENIED
    assert levels(inv, "*") == set()


def _eve_via_access_point(ap_policy, *, network_origin="Internet", account_block=None):
    """Eve, of another account Recertify reads, may read the access point's objects by her own policy."""
    reads = policy("EveReads", allow("s3:GetObject", f"{AP_ARN}/object/*"), account=OTHER)
    eve = user("eve", policies=(reads,), account=OTHER)
    point = access_point(AP, ap_policy, network_origin=network_origin)
    return eve.arn, inventory(
        account(
            stores=(bucket(policy_doc=doc(DELEGATE), access_points=(point,)),),
            public_access_block=account_block,
        ),
        account(users=(eve,), policies=(reads,), account_id=OTHER),
    )


def test_across_accounts_the_access_point_the_delegating_bucket_and_the_callers_policy_all_allow() -> None:
    """R10.1 with R3.1: "both the access point and the underlying bucket [...] must permit the request" —
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-points-policies.html; "The request is
    allowed only if both evaluations return a decision of Allow." —
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html"""
    eve, inv = _eve_via_access_point(
        doc(statement("Allow", {"AWS": OTHER}, "s3:GetObject", f"{AP_ARN}/object/*"))
    )
    assert decide(inv, eve, "s3:GetObject", AP_OBJECT) == ALLOWED
    assert levels(inv, eve) == {"read"}


def test_an_unread_account_named_by_an_access_point_policy_reaches_the_data_through_it() -> None:
    """R10.2 S3-AP-DELEGATION: the documented delegation statement ({"AWS": "*"} with
    s3:DataAccessPointAccount = the owner's account) means "all access to this bucket is controlled by the
    policies attached to its access points." —
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-points-policies.html (2023). An access
    point policy naming a partner account Recertify does not read therefore gives that account the data
    (its own policies decide who in it uses that: "When you allow access to a different account, an
    administrator in that account must then grant access to an identity" —
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html)."""
    ap_policy = doc(statement("Allow", {"AWS": PARTNER}, "s3:GetObject", f"{AP_ARN}/object/*", sid="Partner"))
    inv = _via_access_point(ap_policy, doc(DELEGATE))
    assert decide(inv, root(PARTNER), "s3:GetObject", AP_OBJECT) == ALLOWED
    assert names(grant(inv, root(PARTNER))) == [f"access point {AP} policy statement Partner", AP]


def test_a_vpc_access_point_is_never_public_so_restrict_public_buckets_leaves_it_alone() -> None:
    """R8.6 S3-BPA-ACCESS-POINTS. "An access point that has a VPC network origin is always considered
    non-public, regardless of the contents of its access point policy." —
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html.
    RestrictPublicBuckets acts only on "an access point or bucket with a public policy" (R8.3), so Eve's
    account, named by the VPC access point's policy, keeps its access through it even though another
    statement would make a bucket policy public."""
    ap_policy = doc(
        statement("Allow", {"AWS": OTHER}, "s3:GetObject", f"{AP_ARN}/object/*", sid="Partner"),
        statement(
            "Allow",
            "*",
            "s3:GetObject",
            f"{AP_ARN}/object/*",
            condition={"StringLike": {"aws:SourceVpc": "vpc-*"}},
        ),
    )
    eve, inv = _eve_via_access_point(ap_policy, network_origin="VPC", account_block=RESTRICT)
    assert decide(inv, eve, "s3:GetObject", AP_OBJECT) == ALLOWED
    assert levels(inv, eve) == {"read"}


def test_an_access_point_policy_granting_a_set_of_access_points_is_public() -> None:
    """R8.6. "An access point policy that grants access to a set of access points using
    s3:DataAccessPointArn is considered public. Note that this behavior is different than for bucket
    policies." —
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html. With
    RestrictPublicBuckets on, that public access point policy then admits no cross-account caller (R8.3):
    Eve, named by another statement of it, is blocked through the access point."""
    ap_policy = doc(
        statement("Allow", {"AWS": OTHER}, "s3:GetObject", f"{AP_ARN}/object/*", sid="Partner"),
        statement(
            "Allow",
            "*",
            "s3:GetObject",
            f"{AP_ARN}/object/*",
            condition={
                "StringLike": {"s3:DataAccessPointArn": f"arn:aws:s3:eu-west-2:{ACCOUNT}:accesspoint/*"}
            },
        ),
    )
    eve, inv = _eve_via_access_point(ap_policy, account_block=RESTRICT)
    assert decide(inv, eve, "s3:GetObject", AP_OBJECT) == DENIED
    assert levels(inv, eve) == set()


def test_an_access_point_of_another_account_is_same_account_for_its_own_users() -> None:
    """R10.2: "To create an access point to a bucket that's owned by another account, you must first create
    the access point by specifying the bucket name and account owner ID. Then, the bucket owner must update
    the bucket policy to authorize requests from the access point." —
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-points-policies.html (2023). The access
    point is a resource of its own account: for Eve, of that account, her identity policy suffices there
    (R1.2: "If either the identity-based policy or the resource-based policy within the same account allows
    the request and the other doesn't, the request is still allowed." —
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-basics.html),
    and the bucket's delegation to that account's access points is the cross-account consent."""
    partner_ap = f"arn:aws:s3:eu-west-2:{OTHER}:accesspoint/partner-ap"
    delegate = statement(
        "Allow",
        {"AWS": "*"},
        "*",
        [PAYROLL, f"{PAYROLL}/*"],
        condition={"StringEquals": {"s3:DataAccessPointAccount": OTHER}},
    )
    reads = policy("EveReads", allow("s3:GetObject", f"{partner_ap}/object/*"), account=OTHER)
    eve = user("eve", policies=(reads,), account=OTHER)
    point = access_point("partner-ap", None, account=OTHER)
    inv = inventory(
        account(stores=(bucket(policy_doc=doc(delegate), access_points=(point,)),)),
        account(users=(eve,), policies=(reads,), account_id=OTHER),
    )
    assert decide(inv, eve.arn, "s3:GetObject", f"{partner_ap}/object/2026/march.csv") == ALLOWED
    assert levels(inv, eve.arn) == {"read"}
