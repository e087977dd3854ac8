"""AWS's rules for whom a resource policy names (R2, R4, R5, R14 of /work/research/aws-rules.md): role ARNs
against role sessions and permissions boundaries, session ARNs (per-person Identity Center grants), and
NotPrincipal. Each test quotes the sentence it implements, with its URL."""

from __future__ import annotations

import pytest

from connectors.aws.inventory import (
    AccountAssignment,
    IdentityCenter,
    IdentityStoreUser,
    PermissionSet,
)
from tests.connectors.aws.rules_support import (
    ALLOWED,
    DENIED,
    MAYBE,
    decide,
    grant,
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
    deny,
    doc,
    inventory,
    policy,
    role,
    root,
    session_arn,
    statement,
    trust,
    user,
)

OBJECT = f"{PAYROLL}/2026/march.csv"
ONLY_EC2 = policy("OnlyEc2", allow("ec2:*", "*"))
ANALYST = f"arn:aws:iam::{ACCOUNT}:role/analyst"


def _with_role(store, *identity, boundary=None, path="/", name="analyst", users=()):
    """The role `name` (trusted by the account) holding `identity`, and the store."""
    mine = (policy("RoleAccess", *identity),) if identity else ()
    bound = (boundary,) if boundary else ()
    analyst = role(name, trust({"AWS": root()}), *mine, boundary=boundary, path=path)
    return inventory(account(users=users, roles=(analyst,), policies=(*mine, *bound), stores=(store,)))


def _bucket_naming(principal, action="s3:GetObject", resource=f"{PAYROLL}/*", **extra):
    return bucket(policy_doc=doc(statement("Allow", principal, action, resource, **extra)))


# --- R2.2 / R2.3 role ARN versus session ARN, against a boundary --------------------------------------------


def test_a_bucket_policy_naming_a_role_arn_is_cut_by_the_roles_boundary() -> None:
    """Issue 14, third bullet; R2.2 RBP-ROLE-ARN-LIMITED-BY-BOUNDARY. "IAM role – Resource-based policies
    that grant permissions to an IAM role ARN are limited by an implicit deny in a permissions boundary or
    session policy." —
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html"""
    store = _bucket_naming({"AWS": ANALYST})
    inv = _with_role(store, allow("ec2:*", "*"), boundary=ONLY_EC2)
    assert decide(inv, session_arn("analyst", "batch"), "s3:GetObject", OBJECT) == DENIED
    assert levels(inv, ANALYST) == set()


def test_a_bucket_policy_naming_a_role_arn_grants_the_role_without_a_boundary() -> None:
    """R1.2 with R2.2: "You can specify the role ARN in the Principal element or the aws:PrincipalArn
    condition key. In both cases, the principal that makes the request is the IAM role session." —
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html.
    Same account, no boundary: the grant alone suffices, for every session of the role."""
    inv = _with_role(_bucket_naming({"AWS": ANALYST}, sid="Analysts"))
    assert decide(inv, session_arn("analyst", "anyone"), "s3:GetObject", OBJECT) == ALLOWED
    found = grant(inv, ANALYST)
    assert names(found) == ["bucket policy statement Analysts"] and not found.conditional


def test_a_bucket_policy_naming_a_role_session_is_not_cut_by_the_roles_boundary() -> None:
    """Issue 14, third bullet; R2.3 RBP-ROLE-SESSION-ARN-NOT-LIMITED. "Permissions granted directly to a
    session are not limited by an implicit deny in an identity-based policy, a permissions boundary, or
    session policy." —
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html"""
    store = _bucket_naming({"AWS": session_arn("analyst", "ana")})
    inv = _with_role(store, allow("ec2:*", "*"), boundary=ONLY_EC2)
    assert decide(inv, session_arn("analyst", "ana"), "s3:GetObject", OBJECT) == ALLOWED


def test_a_request_by_another_session_of_the_role_is_not_named_by_a_session_grant() -> None:
    """R4.3 with R4.6. A session principal names one session: "When you specify an assumed-role session in
    a Principal element, you cannot use a wildcard "*" to mean all sessions. Principals must always name a
    specific session." —
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html (2023). A
    request made as `assumed-role/analyst/ben` is not the session `assumed-role/analyst/ana` that the
    statement names: the request is denied, not "maybe allowed"."""
    inv = _with_role(_bucket_naming({"AWS": session_arn("analyst", "ana")}))
    assert decide(inv, session_arn("analyst", "ben"), "s3:GetObject", OBJECT) == DENIED
    session = session_arn("partner", "ana", account=OTHER)
    reads = policy("PartnerReads", allow("s3:GetObject", f"{PAYROLL}/*"), account=OTHER)
    partner = role("partner", trust({"AWS": root(OTHER)}), reads, account=OTHER)
    inv = inventory(
        account(stores=(_bucket_naming({"AWS": session}),)),
        account(roles=(partner,), policies=(reads,), account_id=OTHER),
    )
    assert decide(inv, session_arn("partner", "ben", account=OTHER), "s3:GetObject", OBJECT) == DENIED


def test_a_grant_to_a_session_is_the_roles_grant_conditional_on_the_session_name() -> None:
    """Issue 14, fourth bullet and "What must work" 2: "A grant to a role session is the role's grant,
    conditional on the session name". R4.3: "To specify the role session principal ARN in the Principal
    element, use the following format: "Principal": { "AWS":
    "arn:aws:sts::AWS-account-ID:assumed-role/role-name/role-session-name" }" —
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html"""
    inv = _with_role(_bucket_naming({"AWS": session_arn("analyst", "ana")}, sid="AnaSession"))
    found = grant(inv, ANALYST)
    assert found.conditional
    assert found.path[0].id == f"{PAYROLL}#statement/1/AnaSession"
    assert "ana" in names(found)[0] and names(found)[0].startswith("bucket policy statement AnaSession")


def test_a_session_arn_leaves_the_roles_path_out() -> None:
    """Issue 14, fourth bullet: "the path in the ARN may be omitted". R4.3 formats: the role ARN is
    "arn:aws:iam::account:role/role-name-with-path" and the session ARN
    "arn:aws:sts::account:assumed-role/role-name/role-session-name" —
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-arns"""
    store = _bucket_naming({"AWS": session_arn("analyst", "ana")})
    inv = _with_role(store, path="/teams/payroll/")
    assert decide(inv, session_arn("analyst", "ana"), "s3:GetObject", OBJECT) == ALLOWED
    assert levels(inv, f"arn:aws:iam::{ACCOUNT}:role/teams/payroll/analyst") == {"read"}


def test_an_identity_deny_stops_a_grant_to_the_session() -> None:
    """R1.1: "If the enforcement code finds even one explicit deny that applies, the enforcement code
    returns a final decision of Deny." —
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html.
    Only *implicit* denies are bypassed by a grant to the session."""
    inv = _with_role(_bucket_naming({"AWS": session_arn("analyst", "ana")}), deny("s3:*", "*"))
    assert decide(inv, session_arn("analyst", "ana"), "s3:GetObject", OBJECT) == DENIED
    assert levels(inv, ANALYST) == set()


def test_a_star_grant_with_a_principal_arn_condition_naming_the_role_passes_its_boundary() -> None:
    """R2.2, second paragraph. "Permissions boundaries and session policies do not limit permissions
    granted using the aws:PrincipalArn condition key with a wildcard(*) in the Principal element, unless
    the identity-based policies contain an explicit deny." —
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html"""
    store = _bucket_naming("*", condition={"ArnEquals": {"aws:PrincipalArn": ANALYST}})
    inv = _with_role(store, allow("ec2:*", "*"), boundary=ONLY_EC2)
    assert decide(inv, session_arn("analyst", "batch"), "s3:GetObject", OBJECT) == ALLOWED
    assert levels(inv, ANALYST) == {"read"}


def test_across_accounts_a_grant_to_a_session_still_needs_the_roles_identity_policy() -> None:
    """R3.1. "You can specify the entire account or its IAM users, AWS STS federated user principals, IAM
    roles, or assumed-role sessions." and "The principal's identity-based policy must allow the requested
    access to the resource in the trusting service." —
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html"""
    session = session_arn("partner", "ana", account=OTHER)
    reads = policy("PartnerReads", allow("s3:GetObject", f"{PAYROLL}/*"), account=OTHER)
    for identity, expected in (((), DENIED), ((reads,), ALLOWED)):
        partner = role("partner", trust({"AWS": root(OTHER)}), *identity, account=OTHER)
        inv = inventory(
            account(stores=(_bucket_naming({"AWS": session}),)),
            account(roles=(partner,), policies=identity, account_id=OTHER),
        )
        assert decide(inv, session, "s3:GetObject", OBJECT) == expected
        assert levels(inv, partner.arn) == ({"read"} if identity else set())


def test_across_accounts_a_grant_to_a_role_arn_needs_the_roles_identity_policy_within_its_boundary() -> None:
    """R3.1: "The resource-based policy in the trusting account must specify the principal of the trusted
    account [...] IAM roles" and "The principal's identity-based policy must allow the requested access" —
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html;
    R4.3: "When you specify a role principal in a resource-based policy, the effective permissions for the
    principal are limited by any policy types that limit permissions for the role. This includes session
    policies and permissions boundaries." —
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html"""
    partner_arn = f"arn:aws:iam::{OTHER}:role/partner"
    reads = policy("PartnerReads", allow("s3:GetObject", f"{PAYROLL}/*"), account=OTHER)
    only_ec2 = policy("OnlyEc2", allow("ec2:*", "*"), account=OTHER)
    for boundary, expected in ((None, {"read"}), (only_ec2, set())):
        partner = role("partner", trust({"AWS": root(OTHER)}), reads, account=OTHER, boundary=boundary)
        inv = inventory(
            account(stores=(_bucket_naming({"AWS": partner_arn}),)),
            account(roles=(partner,), policies=(reads, only_ec2), account_id=OTHER),
        )
        assert levels(inv, partner_arn) == expected
        assert decide(inv, session_arn("partner", "x", account=OTHER), "s3:GetObject", OBJECT) == (
            ALLOWED if expected else DENIED
        )


# --- R14 IAM Identity Center -----------------------------------------------------------------------------

SSO_ROLE = "AWSReservedSSO_PayrollAnalyst_0123456789abcdef"


def _identity_center(store, *policies):
    sso_role = role(
        SSO_ROLE,
        doc(
            {
                "Effect": "Allow",
                "Principal": {"Federated": f"arn:aws:iam::{ACCOUNT}:saml-provider/AWSSSO"},
                "Action": "sts:AssumeRoleWithSAML",
            }
        ),
        *policies,
        path="/aws-reserved/sso.amazonaws.com/eu-west-2/",
    )
    ps = PermissionSet("arn:aws:sso:::permissionSet/ssoins-1/ps-1", "PayrollAnalyst", (), (), None, None)
    center = IdentityCenter(
        "arn:aws:sso:::instance/ssoins-1",
        "d-123",
        users=(
            IdentityStoreUser("u-ana", "ana", "Ana", "ana@dept.example.gov"),
            IdentityStoreUser("u-ben", "ben", "Ben", "ben@dept.example.gov"),
        ),
        groups=(),
        permission_sets=(ps,),
        assignments=(
            AccountAssignment(ACCOUNT, ps.arn, "USER", "u-ana"),
            AccountAssignment(ACCOUNT, ps.arn, "USER", "u-ben"),
        ),
    )
    return inventory(account(roles=(sso_role,), policies=policies, stores=(store,)), identity_center=center)


def test_an_identity_center_user_gets_exactly_what_names_her_session() -> None:
    """Issue 14, fourth bullet: per-person grants to Identity Center users are written to
    `AWSReservedSSO_<set>_<hash>/<user name>`. R14.1: "When you assign a permission set to an AWS account,
    IAM Identity Center creates a role with a name that begins with AWSReservedSSO_." and the role's ARN is
    "arn:aws:iam::aws-account-ID:role/aws-reserved/sso.amazonaws.com/aws-region/AWSReservedSSO_permission-set-name_unique-suffix"
    — https://docs.aws.amazon.com/singlesignon/latest/userguide/referencingpermissionsets.html The session
    ARN names the role without that path (R4.3)."""
    store = _bucket_naming({"AWS": session_arn(SSO_ROLE, "ana")}, sid="AnaOnly")
    inv = _identity_center(store)
    found = grant(inv, "u-ana")
    assert not found.conditional
    assert names(found)[:2] == ["PayrollAnalyst", SSO_ROLE]
    assert found.path[-1].id == f"{PAYROLL}#statement/1/AnaOnly"
    assert decide(inv, session_arn(SSO_ROLE, "ana"), "s3:GetObject", OBJECT) == ALLOWED


def test_another_identity_center_user_of_the_set_gets_nothing_from_a_statement_naming_her_colleague() -> None:
    """Issue 14, "What must work" 2: a session grant is "exact when the session name resolves to an
    Identity Center user assigned that permission set" — and so is its absence: Ben signs in as session
    `ben`, which the statement does not name. "The role session name is also used in the ARN of the assumed
    role principal." — https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html
    (RoleSessionName); "Principals must always name a specific session." —
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html (2023). The
    role itself keeps the conditional grant (some session of it may be `ana`); Ben, whose session name is
    known, holds nothing through it."""
    inv = _identity_center(_bucket_naming({"AWS": session_arn(SSO_ROLE, "ana")}, sid="AnaOnly"))
    assert levels(inv, "u-ben") == set()


def test_a_permission_set_referenced_the_documented_way_is_account_delegation() -> None:
    """R4.4 PRINCIPAL-IDENTITY-CENTER. "In IAM Identity Center, the principal in a resource-based policy
    must be defined as the AWS account principal. To specify access, reference the role ARN of the
    permission set in the condition block." —
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html. The
    statement names the account, so the permission set's role needs its own identity policy too (R4.2); the
    condition on aws:PrincipalArn is decided against the role's ARN."""
    by_set = statement(
        "Allow",
        {"AWS": root()},
        "s3:GetObject",
        f"{PAYROLL}/*",
        condition={
            "ArnLike": {
                "aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/aws-reserved/sso.amazonaws.com/*/"
                "AWSReservedSSO_PayrollAnalyst_*"
            }
        },
    )
    store = bucket(policy_doc=doc(by_set))
    assert levels(_identity_center(store), "u-ana") == set()
    inv = _identity_center(store, policy("SetReads", allow("s3:GetObject", f"{PAYROLL}/*")))
    assert levels(inv, "u-ana") == {"read"} and levels(inv, "u-ben") == {"read"}
    assert not grant(inv, "u-ana").conditional


# --- R5 NotPrincipal ----------------------------------------------------------------------------------------


def _not_principal(*exempt: str, boundary=None):
    """Ana may read everything in her account; the bucket denies everyone but `exempt`."""
    reads = policy("Reads", allow("s3:*", "*"))
    bound = (boundary,) if boundary else ()
    store = bucket(
        policy_doc=doc(
            statement(
                "Deny",
                {"AWS": list(exempt)},
                "s3:*",
                [PAYROLL, f"{PAYROLL}/*"],
                sid="OnlyAna",
                not_principal=True,
            )
        )
    )
    return inventory(
        account(
            users=(user("ana", policies=(reads,), boundary=boundary), user("ben", policies=(reads,))),
            policies=(reads, *bound),
            stores=(store,),
        )
    )


BEN_ARN = f"arn:aws:iam::{ACCOUNT}:user/ben"


def test_not_principal_naming_the_account_exempts_none_of_its_users() -> None:
    """Issue 14, fifth bullet; R5.1 NOTPRINCIPAL-DENY-ONLY. "The NotPrincipal element uses "Effect":"Deny"
    to deny access to all principals except the principal specified in the NotPrincipal element." —
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html; and
    R4.2: "Using the account ARN in the Principal element does not limit permissions to only the root user
    of the account." —
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html. Naming the
    account exempts the account principal, not its users."""
    inv = _not_principal(root())
    assert decide(inv, ANA_ARN, "s3:GetObject", OBJECT) == DENIED
    assert levels(inv, ANA_ARN) == set()
    assert levels(inv, BEN_ARN) == set()


def test_not_principal_naming_the_user_and_her_account_exempts_her() -> None:
    """R5.2 NOTPRINCIPAL-NEEDS-ACCOUNT-ARN. "Therefore, we strongly recommend that you explicitly include the
    ARN for a user's account, or include both the ARN for a role and the ARN for the account containing that
    role." — https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html"""
    inv = _not_principal(ANA_ARN, root())
    assert decide(inv, ANA_ARN, "s3:GetObject", OBJECT) == ALLOWED
    assert decide(inv, BEN_ARN, "s3:GetObject", OBJECT) == DENIED
    assert levels(inv, ANA_ARN) == {"read", "write", "admin"}


def test_not_principal_deny_denies_everyone_it_does_not_exempt_whatever_the_order_of_users() -> None:
    """R5.1. "The NotPrincipal element uses "Effect":"Deny" to deny access to all principals except the
    principal specified in the NotPrincipal element." —
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html. Ben is
    not exempt, so he is denied (the single-request decision agrees), and the answer cannot depend on the
    order users are listed in."""
    inv = _not_principal(ANA_ARN, root())
    assert decide(inv, BEN_ARN, "s3:GetObject", OBJECT) == DENIED
    assert levels(inv, BEN_ARN) == set()  # fails: Ben is given read, write and admin
    reads = policy("Reads", allow("s3:*", "*"))
    ben_first = inventory(
        account(
            users=(user("ben", policies=(reads,)), user("ana", policies=(reads,))),
            policies=(reads,),
            stores=(_not_principal(ANA_ARN, root()).accounts[0].stores[0],),
        )
    )
    assert levels(ben_first, ANA_ARN) == {"read", "write", "admin"}  # and then Ana is denied


def test_not_principal_naming_the_user_without_her_account_might_deny_her() -> None:
    """R5.2. "When you use NotPrincipal, you must also specify the account ARN of the not-denied principal.
    Otherwise, the policy might deny access to the entire account containing the principal." —
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html.
    "Might": her access is conditional, never certain."""
    inv = _not_principal(ANA_ARN)
    assert decide(inv, ANA_ARN, "s3:GetObject", OBJECT) == MAYBE
    assert grant(inv, ANA_ARN).conditional
    assert decide(inv, BEN_ARN, "s3:GetObject", OBJECT) == DENIED


def test_not_principal_naming_one_user_without_her_account_still_certainly_denies_the_others() -> None:
    """R5.1 and R5.2: whatever the "might" means for the principal named, every other principal is denied
    ("deny access to all principals except the principal specified in the NotPrincipal element" —
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html). Ben
    must hold nothing; the evaluator shows him holding a conditional read."""
    assert levels(_not_principal(ANA_ARN), BEN_ARN) == set()


def test_not_principal_deny_always_denies_a_principal_with_a_boundary() -> None:
    """Issue 14, fifth bullet; R5.3 NOTPRINCIPAL-DENY-VS-BOUNDARY. "The NotPrincipal element with a Deny
    effect will always deny any IAM principal that has a permissions boundary policy attached, regardless
    of the values specified in the NotPrincipal element." —
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html"""
    inv = _not_principal(ANA_ARN, root(), boundary=policy("S3Boundary", allow("s3:*", "*")))
    assert decide(inv, ANA_ARN, "s3:GetObject", OBJECT) == DENIED
    assert levels(inv, ANA_ARN) == set()


@pytest.mark.parametrize("ben_first", [False, True])
def test_the_recommended_arn_not_equals_principal_arn_deny_exempts_exactly_the_named_user(
    ben_first: bool,
) -> None:
    """R5.3. "We recommend changing your resource-based policy statements to use the condition operator
    ArnNotEquals with the aws:PrincipalArn context key to limit access instead of the NotPrincipal
    element." —
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html. Deny
    everyone whose aws:PrincipalArn is not Ana's: Ana keeps her access (boundary or not), Ben loses his,
    whatever order the account lists them in."""
    reads = policy("Reads", allow("s3:*", "*"))
    bound = policy("S3Boundary", allow("s3:*", "*"))
    only_ana = statement(
        "Deny",
        "*",
        "s3:*",
        [PAYROLL, f"{PAYROLL}/*"],
        condition={"ArnNotEquals": {"aws:PrincipalArn": ANA_ARN}},
    )
    ana, ben = user("ana", policies=(reads,), boundary=bound), user("ben", policies=(reads,))
    inv = inventory(
        account(
            users=(ben, ana) if ben_first else (ana, ben),
            policies=(reads, bound),
            stores=(bucket(policy_doc=doc(only_ana)),),
        )
    )
    assert decide(inv, ANA_ARN, "s3:GetObject", OBJECT) == ALLOWED
    assert decide(inv, BEN_ARN, "s3:GetObject", OBJECT) == DENIED
    assert levels(inv, ANA_ARN) == {"read", "write", "admin"}
    assert levels(inv, BEN_ARN) == set()


def test_not_principal_deny_exempts_a_role_named_with_its_account() -> None:
    """R5.2: "include both the ARN for a role and the ARN for the account containing that role." —
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html"""
    store = bucket(
        policy_doc=doc(
            statement("Deny", {"AWS": [ANALYST, root()]}, "s3:*", f"{PAYROLL}/*", not_principal=True)
        )
    )
    inv = _with_role(store, allow("s3:GetObject", "*"))
    assert decide(inv, session_arn("analyst", "batch"), "s3:GetObject", OBJECT) == ALLOWED
    assert not grant(inv, ANALYST).conditional


def test_allow_with_not_principal_grants_everyone_else_including_anonymous() -> None:
    """R5.4 NOTPRINCIPAL-ALLOW. "Doing so allows all principals except the one named in the NotPrincipal
    element. [...] By doing this, you might grant access to anonymous (unauthenticated) users." —
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html (2023)"""
    store = bucket(
        policy_doc=doc(
            statement(
                "Allow", {"AWS": BEN_ARN}, "s3:GetObject", f"{PAYROLL}/*", not_principal=True, sid="Odd"
            )
        )
    )
    inv = inventory(account(users=(user("ana"), user("ben")), stores=(store,)))
    assert decide(inv, "*", "s3:GetObject", OBJECT) == ALLOWED
    assert decide(inv, ANA_ARN, "s3:GetObject", OBJECT) == ALLOWED
    assert decide(inv, BEN_ARN, "s3:GetObject", OBJECT) != ALLOWED
    assert levels(inv, "*") == {"read"}  # listed once, as public: Ana holds nothing beyond it
    assert levels(inv, ANA_ARN) == set()


def test_allow_with_not_principal_is_reported_as_public() -> None:
    """R5.4: "By doing this, you might grant access to anonymous (unauthenticated) users." (2023) and issue
    14, sixth bullet: anyone on the internet must appear. The single-request decision already lets an
    anonymous request through; the access table must then hold the public row, with the statement as its
    path."""
    store = bucket(
        policy_doc=doc(
            statement(
                "Allow", {"AWS": BEN_ARN}, "s3:GetObject", f"{PAYROLL}/*", not_principal=True, sid="Odd"
            )
        )
    )
    inv = inventory(account(users=(user("ana"), user("ben")), stores=(store,)))
    assert decide(inv, "*", "s3:GetObject", OBJECT) == ALLOWED
    assert names(grant(inv, "*")) == ["bucket policy statement Odd"]
