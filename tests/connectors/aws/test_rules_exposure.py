"""Who beyond the principals Recertify reads can reach a store (issue 14, sixth bullet and "What must work"
2–3): anyone (`public`, id "*"), accounts it does not read (`aws_account`), AWS services (`aws_service`),
as resource policies and ACLs name them (R4, R9, R15 of /work/research/aws-rules.md). Each test quotes the
sentence it implements, with its URL."""

from __future__ import annotations

from reviews.entitlements import PrincipalType
from tests.connectors.aws.rules_support import (
    ALLOWED,
    DENIED,
    MAYBE,
    decide,
    evaluate,
    grant,
    grants,
    levels,
    names,
)
from tests.data.aws.inventory import (
    ACCOUNT,
    ANA_ARN,
    OTHER,
    PAYROLL,
    account,
    allow,
    bucket,
    bucket_acl,
    doc,
    inventory,
    organization,
    policy,
    root,
    statement,
    user,
)

OBJECT = f"{PAYROLL}/2026/march.csv"
PARTNER = "999988887777"
PARTNER_ROLE = f"arn:aws:iam::{PARTNER}:role/claims-reader"
OWNER_CANONICAL = "a" * 64
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTHENTICATED = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"


def _bucket(*statements, name="payroll", **extra):
    return bucket(name, policy_doc=doc(*statements), **extra)


def _single(store, *users, org=None, **account_extra):
    return inventory(account(users=users, stores=(store,), **account_extra), organization=org)


def _outsider(inv, principal_id):
    return next(o for o in evaluate(inv).outsiders if o.id == principal_id)


# --- R4.1 everyone ----------------------------------------------------------------------------------------


def test_principal_star_in_either_spelling_is_anyone_on_the_internet() -> None:
    """Issue 14, sixth bullet; R4.1 PRINCIPAL-STAR. "For resource-based policies, using a wildcard (*) with
    an Allow effect grants access to all users, including anonymous users (public access)." and "For
    anonymous users, the following elements are equivalent: "Principal": "*" "Principal" : { "AWS" : "*" }"
    — https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html"""
    for principal in ("*", {"AWS": "*"}):
        inv = _single(
            _bucket(statement("Allow", principal, "s3:GetObject", f"{PAYROLL}/*", sid="PublicRead"))
        )
        assert decide(inv, "*", "s3:GetObject", OBJECT) == ALLOWED
        found = grant(inv, "*")
        assert names(found) == ["bucket policy statement PublicRead"] and not found.conditional
        outsider = _outsider(inv, "*")
        assert outsider.type is PrincipalType.PUBLIC and outsider.external


def test_principal_star_reaches_the_accounts_own_users_without_identity_policies() -> None:
    """R4.1. "For IAM users and role principals within your account, no other permissions are required. For
    principals in other accounts, they must also have identity-based permissions in their account that
    allow them to access your resource." —
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html

    Every request below is decided exactly; in the grants, a grant to everyone is listed once, as public
    (docs/architecture.md): Ana and the reader hold nothing beyond what anyone holds, so they have no row of
    their own."""
    eve = user("eve", account=OTHER)
    eve_reads = policy("EveReads", allow("s3:GetObject", f"{PAYROLL}/*"), account=OTHER)
    reader = user("reader", policies=(eve_reads,), account=OTHER)
    store = _bucket(statement("Allow", "*", "s3:GetObject", f"{PAYROLL}/*"))
    inv = inventory(
        account(users=(user("ana"),), stores=(store,)),
        account(users=(eve, reader), policies=(eve_reads,), account_id=OTHER),
    )
    assert decide(inv, ANA_ARN, "s3:GetObject", OBJECT) == ALLOWED
    assert decide(inv, eve.arn, "s3:GetObject", OBJECT) == DENIED
    assert decide(inv, reader.arn, "s3:GetObject", OBJECT) == ALLOWED
    assert levels(inv, "*") == {"read"}
    assert levels(inv, ANA_ARN) == levels(inv, eve.arn) == levels(inv, reader.arn) == set()


def test_a_condition_narrowing_a_public_grant_keeps_it_public_and_conditional_and_names_it() -> None:
    """Issue 14, "What must work" 2: "A condition that narrows a public grant (aws:PrincipalOrgID,
    aws:SourceVpce, aws:SourceIp, …) is shown with that condition (conditional: true), never as plain public."
    R15.1: aws:PrincipalOrgID "is included in the request context only if the principal is a member of an
    organization. Anonymous requests do not include this key."; R15.2: aws:SourceVpce "is included in the
    request context only if the requester uses a VPC endpoint to make the request."; R15.3: "The aws:SourceIp
    condition key can be used in a policy to allow principals to make requests only from within a specified IP
    range." — https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html"""
    for key, condition in (
        ("aws:PrincipalOrgID", {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}),
        ("aws:SourceVpce", {"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}),
        ("aws:SourceIp", {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}),
    ):
        store = _bucket(
            statement("Allow", "*", "s3:GetObject", f"{PAYROLL}/*", sid="Narrow", condition=condition)
        )
        inv = _single(store)
        found = grant(inv, "*")
        assert found.conditional, key
        assert names(found)[0].startswith("bucket policy statement Narrow") and key in names(found)[0], key


def test_a_principal_org_id_condition_is_decided_for_the_organisations_own_users() -> None:
    """R15.1 COND-PRINCIPALORGID. "Use this key to compare the identifier of the organization in AWS
    Organizations to which the requesting principal belongs with the identifier specified in the policy." —
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html. Ana's account
    is in the organisation, which Recertify reads: the condition holds for her (same account: the grant
    alone suffices, R4.1). The public row stands for everyone Recertify does not read principal by
    principal: while the organisation has an account it does not read, someone there may be let in
    (conditional); once it reads them all, everyone else is outside the organisation and nothing is left."""
    condition = {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}
    bucket_with_grant = _bucket(statement("Allow", "*", "s3:GetObject", f"{PAYROLL}/*", condition=condition))
    partly_read = organization(ACCOUNT, (ACCOUNT, "payroll-prod"), ("777766665555", "shared-services"))
    inv = _single(bucket_with_grant, user("ana"), org=partly_read)
    assert decide(inv, ANA_ARN, "s3:GetObject", OBJECT) == ALLOWED
    assert not grant(inv, ANA_ARN).conditional
    assert grant(inv, "*").conditional
    fully_read = _single(bucket_with_grant, user("ana"), org=organization(ACCOUNT, (ACCOUNT, "payroll-prod")))
    assert levels(fully_read, "*") == set()


def test_an_anonymous_request_never_satisfies_a_principal_org_id_condition() -> None:
    """R15.1. aws:PrincipalOrgID: "Availability – This key is included in the request context only if the
    principal is a member of an organization. Anonymous requests do not include this key." —
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html; and "If the
    key that you specify in a policy condition is not present in the request context, the values do not
    match and the condition is false." —
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html.
    The public row stays conditional (anyone with an AWS account of that organisation); one anonymous
    request is denied."""
    condition = {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}
    inv = _single(_bucket(statement("Allow", "*", "s3:GetObject", f"{PAYROLL}/*", condition=condition)))
    assert grant(inv, "*").conditional
    assert decide(inv, "*", "s3:GetObject", OBJECT) == DENIED


# --- R4.2 accounts Recertify does not read -------------------------------------------------------------


def test_an_unread_account_named_by_a_bucket_policy_is_itself_the_principal() -> None:
    """Issue 14, "What must work" 2–3: `aws_account` "(an account Recertify does not read; id
    arn:aws:iam::<account>:root; [...] marked external when outside the organisation"; "for accounts it
    does not read, the account itself is the principal". R4.2: "You can specify AWS account identifiers in
    the Principal element [...] This delegates authority to the account." and "When you specify an AWS
    account, you can use the account ARN (arn:aws:iam::account-ID:root), or a shortened form that consists
    of the "AWS": prefix followed by the account ID." —
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html"""
    for principal in ({"AWS": root(PARTNER)}, {"AWS": PARTNER}):
        inv = _single(_bucket(statement("Allow", principal, "s3:GetObject", f"{PAYROLL}/*", sid="Partner")))
        found = grant(inv, root(PARTNER))
        assert names(found) == ["bucket policy statement Partner"] and not found.conditional
        outsider = _outsider(inv, root(PARTNER))
        assert outsider.type is PrincipalType.AWS_ACCOUNT and outsider.external
        assert decide(inv, root(PARTNER), "s3:GetObject", OBJECT) == ALLOWED


def test_an_account_of_the_organisation_is_named_and_not_external() -> None:
    """Issue 14, "What must work" 2: `aws_account` is "named when Organizations knows it; marked external when
    outside the organisation"."""
    org = organization(ACCOUNT, (ACCOUNT, "payroll-prod"), (PARTNER, "shared-analytics"))
    inv = _single(_bucket(statement("Allow", {"AWS": PARTNER}, "s3:GetObject", f"{PAYROLL}/*")), org=org)
    outsider = _outsider(inv, root(PARTNER))
    assert not outsider.external and "shared-analytics" in outsider.name


def test_a_principal_org_id_condition_excludes_an_account_outside_the_organisation() -> None:
    """R15.1: aws:PrincipalOrgID compares "the identifier of the organization in AWS Organizations to which
    the requesting principal belongs with the identifier specified in the policy." —
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html. Organizations
    says the partner is not a member: the statement never applies to it."""
    org = organization(ACCOUNT, (ACCOUNT, "payroll-prod"))
    condition = {"StringEquals": {"aws:PrincipalOrgID": org.org_id}}
    store = _bucket(statement("Allow", {"AWS": PARTNER}, "s3:GetObject", f"{PAYROLL}/*", condition=condition))
    inv = _single(store, org=org)
    assert levels(inv, root(PARTNER)) == set()
    assert decide(inv, root(PARTNER), "s3:GetObject", OBJECT) == DENIED


def test_a_partners_role_keeps_its_own_arn() -> None:
    """Issue 14, "What must work" 2: "a partner's role ARN keeps its own ARN as id". R4.3: "To specify the
    role ARN in the Principal element, use the following format: "Principal": { "AWS":
    "arn:aws:iam::AWS-account-ID:role/role-name" }" —
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html"""
    inv = _single(_bucket(statement("Allow", {"AWS": PARTNER_ROLE}, "s3:GetObject", f"{PAYROLL}/*")))
    assert levels(inv, PARTNER_ROLE) == {"read"}
    assert levels(inv, root(PARTNER)) == set()
    assert _outsider(inv, PARTNER_ROLE).type is PrincipalType.AWS_ACCOUNT
    assert decide(inv, PARTNER_ROLE, "s3:GetObject", OBJECT) == ALLOWED
    assert decide(inv, f"arn:aws:iam::{PARTNER}:role/someone-else", "s3:GetObject", OBJECT) == DENIED


def test_a_public_grant_is_reported_once_as_public_not_again_for_each_account() -> None:
    """Issue 14, "What must work" 2 (product): public grants are reported once, as public. The partner account
    holds on `payroll` only what names it there (its List statement), not the public read again."""
    store = _bucket(
        statement("Allow", "*", "s3:GetObject", f"{PAYROLL}/*", sid="PublicRead"),
        statement("Allow", {"AWS": PARTNER}, "s3:ListBucket", PAYROLL, sid="PartnerList"),
    )
    inv = _single(store)
    partner = grant(inv, root(PARTNER))
    assert names(partner) == ["bucket policy statement PartnerList"]
    assert names(grant(inv, "*")) == ["bucket policy statement PublicRead"]
    assert [k for k in grants(inv) if k[0] == root(PARTNER)] == [(root(PARTNER), PAYROLL, "read")]


# --- R4.5 services --------------------------------------------------------------------------------------


def test_a_service_principal_is_its_own_principal_kind() -> None:
    """Issue 14, "What must work" 2: `aws_service` "(a service principal; id its name, e.g.
    cloudtrail.amazonaws.com)". R4.5: "You can specify AWS services in the Principal element of a
    resource-based policy or in condition keys that support principals. A service principal is an
    identifier for a service." —
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html"""
    cloudtrail = statement(
        "Allow", {"Service": "cloudtrail.amazonaws.com"}, "s3:PutObject", f"{PAYROLL}/AWSLogs/*", sid="Trail"
    )
    inv = _single(_bucket(cloudtrail))
    found = grant(inv, "cloudtrail.amazonaws.com", "write")
    assert names(found) == ["bucket policy statement Trail"]
    assert levels(inv, "cloudtrail.amazonaws.com") == {"write"}
    assert _outsider(inv, "cloudtrail.amazonaws.com").type is PrincipalType.AWS_SERVICE
    assert decide(inv, "cloudtrail.amazonaws.com", "s3:PutObject", f"{PAYROLL}/AWSLogs/x") == ALLOWED
    assert decide(inv, "config.amazonaws.com", "s3:PutObject", f"{PAYROLL}/AWSLogs/x") == DENIED
    assert decide(inv, "*", "s3:PutObject", f"{PAYROLL}/AWSLogs/x") == DENIED


# --- R9.1 ACL groups ------------------------------------------------------------------------------------


def test_an_acl_grant_to_all_users_is_public() -> None:
    """Issue 14, sixth bullet; R9.1 S3-ACL-GROUPS. "All Users group – Represented by
    http://acs.amazonaws.com/groups/global/AllUsers. Access permission to this group allows anyone in the
    world access to the resource." —
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html. R9.3: READ on a bucket maps to
    "s3:ListBucket, s3:ListBucketVersions, and s3:ListBucketMultipartUploads" —
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#acl-access-policy-permission-mapping"""
    acl = bucket_acl(OWNER_CANONICAL, ("Group", ALL_USERS, "READ"))
    inv = _single(bucket(acl=acl, object_ownership="BucketOwnerPreferred"), canonical_id=OWNER_CANONICAL)
    assert decide(inv, "*", "s3:ListBucket", PAYROLL) == ALLOWED
    found = grant(inv, "*")
    assert not found.conditional
    assert found.path[0].kind == "bucket_acl" and "AllUsers" in found.path[0].name


def test_an_acl_grant_to_authenticated_users_is_any_aws_account_but_never_anonymous() -> None:
    """R9.1. "Authenticated Users group – Represented by
    http://acs.amazonaws.com/groups/global/AuthenticatedUsers. This group represents all AWS accounts.
    Access permission to this group allows any AWS account to access the resource. However, all requests
    must be signed (authenticated)." —
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html. Reported as public (anyone
    with an AWS account)."""
    acl = bucket_acl(OWNER_CANONICAL, ("Group", AUTHENTICATED, "READ"))
    inv = _single(bucket(acl=acl, object_ownership="ObjectWriter"), canonical_id=OWNER_CANONICAL)
    assert decide(inv, "*", "s3:ListBucket", PAYROLL) == DENIED
    assert "AuthenticatedUsers" in names(grant(inv, "*"))[0]


def test_a_request_from_an_unread_account_is_allowed_by_grants_to_everyone() -> None:
    """R4.1: "using a wildcard (*) with an Allow effect grants access to all users, including anonymous
    users" — https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html;
    R9.1: AuthenticatedUsers "allows any AWS account to access the resource" —
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html. One request from a partner
    account (or a service) that such a grant covers is allowed; reporting the grant once as public is about
    the access table, not about the answer to a request."""
    acl = bucket_acl(OWNER_CANONICAL, ("Group", AUTHENTICATED, "READ"))
    inv = _single(bucket(acl=acl, object_ownership="ObjectWriter"), canonical_id=OWNER_CANONICAL)
    assert decide(inv, root(PARTNER), "s3:ListBucket", PAYROLL) == ALLOWED
    inv = _single(_bucket(statement("Allow", "*", "s3:GetObject", f"{PAYROLL}/*")))
    assert decide(inv, root(PARTNER), "s3:GetObject", OBJECT) == ALLOWED
    assert decide(inv, PARTNER_ROLE, "s3:GetObject", OBJECT) == ALLOWED
    assert decide(inv, "cloudtrail.amazonaws.com", "s3:GetObject", OBJECT) == ALLOWED


def test_objects_own_acls_are_unread_so_a_public_object_read_is_possible() -> None:
    """Product rule (issue 14, brief): objects' ACLs are not read, so while ACLs are enabled and public
    ACLs are not ignored, a conditional public read of objects is reported. R9.1: "Amazon S3 considers a
    bucket or object ACL public if it grants any permissions to members of the predefined AllUsers or
    AuthenticatedUsers groups." —
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html"""
    inv = _single(bucket(acl=bucket_acl(OWNER_CANONICAL), object_ownership="ObjectWriter"))
    assert decide(inv, "*", "s3:GetObject", OBJECT) == MAYBE
    found = grant(inv, "*")
    assert found.conditional and found.path[0].kind == "object_acl"
