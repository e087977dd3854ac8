"""AWS's evaluation rules for identity and resource-based policies, one example each (R1–R3, R12 of
/work/research/aws-rules.md): explicit Deny, the same-account union, partial Deny, cross-account, and
DynamoDB resource policies. Each test quotes the sentence it implements, with its URL."""

from __future__ import annotations

import pytest

from tests.connectors.aws.rules_support import ALLOWED, DENIED, MAYBE, decide, evaluate, grant, levels, names
from tests.data.aws.inventory import (
    ACCOUNT,
    ANA_ARN,
    CASES,
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
    statement,
    table,
    trust,
    user,
)

OBJECT = f"{PAYROLL}/2026/march.csv"
EVE_ARN = f"arn:aws:iam::{OTHER}:user/eve"
BEN_ARN = f"arn:aws:iam::{ACCOUNT}:user/ben"


def _ana(*identity: dict, store=None, boundary=None, scp=()):
    """Ana in ACCOUNT with `identity` as her policy (none when empty), and the payroll bucket."""
    mine = (policy("Access", *identity),) if identity else ()
    bound = (boundary,) if boundary else ()
    return inventory(
        account(
            users=(user("ana", policies=mine, boundary=boundary),),
            policies=(*mine, *bound),
            stores=(store or bucket(),),
            scp_levels=scp,
        )
    )


def _bucket_naming(principal, action="s3:GetObject", resource=f"{PAYROLL}/*", **extra):
    return bucket(policy_doc=doc(statement("Allow", principal, action, resource, **extra)))


# --- R1.1 explicit Deny -------------------------------------------------------------------------------


def test_an_identity_deny_overrides_a_bucket_policy_allow_naming_the_user() -> None:
    """R1.2 EVAL-SAME-ACCOUNT-UNION, last sentence. "If an action is allowed by an identity-based policy, a
    resource-based policy, or both, then AWS allows the action. An explicit deny in either of these
    policies overrides the allow." —
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html"""
    store = _bucket_naming({"AWS": ANA_ARN}, sid="AnaReads")
    inv = _ana(deny("s3:GetObject", "*"), store=store)
    assert decide(inv, ANA_ARN, "s3:GetObject", OBJECT) == DENIED
    assert levels(inv, ANA_ARN) == set()


def test_a_bucket_policy_deny_overrides_an_identity_allow() -> None:
    """R1.1 EVAL-EXPLICIT-DENY-WINS. "If the enforcement code finds even one explicit deny that applies,
    the enforcement code returns a final decision of Deny." —
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html"""
    store = bucket(policy_doc=doc(statement("Deny", "*", "s3:GetObject", f"{PAYROLL}/*", sid="NoReads")))
    inv = _ana(allow("s3:*", "*"), store=store)
    assert decide(inv, ANA_ARN, "s3:GetObject", OBJECT) == DENIED
    assert decide(inv, ANA_ARN, "s3:ListBucket", PAYROLL) == ALLOWED
    assert levels(inv, ANA_ARN) == {"read", "write", "admin"}  # ListBucket is still read


# --- R1.2 same account: identity OR resource -----------------------------------------------------------


def test_same_account_a_bucket_policy_naming_the_user_is_enough_on_its_own() -> None:
    """R1.2 EVAL-SAME-ACCOUNT-UNION. "If either the identity-based policy or the resource-based policy
    within the same account allows the request and the other doesn't, the request is still allowed." —
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-basics.html

    The path names the statement that grants it: "bucket policy statement <Sid>"."""
    inv = _ana(store=_bucket_naming({"AWS": ANA_ARN}, sid="AnaReads"))
    assert decide(inv, ANA_ARN, "s3:GetObject", OBJECT) == ALLOWED
    found = grant(inv, ANA_ARN)
    assert names(found) == ["bucket policy statement AnaReads"]
    assert found.path[0].id == f"{PAYROLL}#statement/1/AnaReads"
    assert not found.conditional and not found.needs_human_review


def test_same_account_an_identity_policy_is_enough_without_a_bucket_policy() -> None:
    """R1.2. "If an action is allowed by an identity-based policy, a resource-based policy, or both, then
    AWS allows the action." —
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html"""
    inv = _ana(allow("s3:GetObject", f"{PAYROLL}/*"))
    assert decide(inv, ANA_ARN, "s3:GetObject", OBJECT) == ALLOWED
    assert names(grant(inv, ANA_ARN)) == ["Access"]


def test_an_unnamed_statement_is_named_by_its_position() -> None:
    """The path names the statement that grants it (issue 14, "What must work" 2: "The path names the
    statement that grants it (store, policy kind, Sid or index)"); a statement without a Sid by its 1-based
    index."""
    policy_doc = doc(
        statement("Deny", "*", "s3:DeleteBucket", PAYROLL, sid="KeepIt"),
        statement("Allow", {"AWS": ANA_ARN}, "s3:GetObject", f"{PAYROLL}/*"),
    )
    found = grant(_ana(store=bucket(policy_doc=policy_doc)), ANA_ARN)
    assert names(found) == ["bucket policy statement #2"]
    assert found.path[0].id == f"{PAYROLL}#statement/2"


@pytest.mark.parametrize("ben_first", [False, True])
def test_a_bucket_policy_deny_naming_one_user_denies_that_user_only(ben_first: bool) -> None:
    """R1.1 EVAL-EXPLICIT-DENY-WINS. "If the enforcement code finds even one explicit deny that applies,
    the enforcement code returns a final decision of Deny." —
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html.
    A Deny whose Principal names Ben applies to Ben's requests and to nobody else's, whatever order the
    account lists its users in."""
    reads = policy("Reads", allow("s3:*", "*"))
    store = bucket(policy_doc=doc(statement("Deny", {"AWS": BEN_ARN}, "s3:*", [PAYROLL, f"{PAYROLL}/*"])))
    ana, ben = user("ana", policies=(reads,)), user("ben", policies=(reads,))
    inv = inventory(
        account(users=(ben, ana) if ben_first else (ana, ben), policies=(reads,), stores=(store,))
    )
    assert decide(inv, BEN_ARN, "s3:GetObject", OBJECT) == DENIED
    assert decide(inv, ANA_ARN, "s3:GetObject", OBJECT) == ALLOWED
    assert levels(inv, BEN_ARN) == set()
    assert levels(inv, ANA_ARN) == {"read", "write", "admin"}


@pytest.mark.parametrize("beta_first", [False, True])
def test_a_bucket_policy_deny_naming_one_role_denies_that_role_only(beta_first: bool) -> None:
    """R1.1, as above, for roles: a Deny naming the role `beta` applies to its sessions and to no other
    role's ("If the enforcement code finds even one explicit deny that applies, the enforcement code
    returns a final decision of Deny." —
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html)."""
    reads = policy("Reads", allow("s3:*", "*"))
    alpha = role("alpha", trust({"AWS": root()}), reads)
    beta = role("beta", trust({"AWS": root()}), reads)
    store = bucket(policy_doc=doc(statement("Deny", {"AWS": beta.arn}, "s3:*", [PAYROLL, f"{PAYROLL}/*"])))
    roles = (beta, alpha) if beta_first else (alpha, beta)
    inv = inventory(account(roles=roles, policies=(reads,), stores=(store,)))
    assert levels(inv, beta.arn) == set()
    assert levels(inv, alpha.arn) == {"read", "write", "admin"}


# --- A Deny removes only what it matches ----------------------------------------------------------------


def test_a_deny_on_a_prefix_leaves_the_rest_of_the_bucket_readable() -> None:
    """Issue 14, first bullet; R1.1. A Deny applies to the requests it matches: "In all those policies, the
    enforcement code looks for a Deny statement that applies to the request." —
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html

    Allow GetObject on payroll/* with Deny on payroll/private/*: payroll/other is still read."""
    inv = _ana(allow("s3:GetObject", f"{PAYROLL}/*"), deny("s3:GetObject", f"{PAYROLL}/private/*"))
    assert decide(inv, ANA_ARN, "s3:GetObject", f"{PAYROLL}/private/salaries.csv") == DENIED
    assert decide(inv, ANA_ARN, "s3:GetObject", f"{PAYROLL}/other/rota.csv") == ALLOWED
    found = grant(inv, ANA_ARN)
    assert not found.conditional and names(found) == ["Access"]


def test_a_bucket_policy_deny_on_a_prefix_leaves_the_rest_readable() -> None:
    """Issue 14, first bullet, with the Deny in the bucket policy. "An explicit deny in either of these
    policies overrides the allow." —
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html; it overrides
    only the requests it applies to."""
    store = bucket(policy_doc=doc(statement("Deny", "*", "s3:GetObject", f"{PAYROLL}/private/*")))
    inv = _ana(allow("s3:GetObject", f"{PAYROLL}/*"), store=store)
    assert decide(inv, ANA_ARN, "s3:GetObject", f"{PAYROLL}/private/a") == DENIED
    assert decide(inv, ANA_ARN, "s3:GetObject", f"{PAYROLL}/public/a") == ALLOWED
    assert levels(inv, ANA_ARN) == {"read"}


def test_an_scp_deny_on_secrets_everywhere_leaves_other_objects_readable() -> None:
    """Issue 14, first bullet: "an organisation SCP denying s3:GetObject on arn:aws:s3:::*/secrets/* wipes
    read from every GetObject-only reader". R6.1: "For a permission to be denied for a specific account,
    any SCP from the root through each OU in the direct path to the account (including the target account
    itself) can deny that permission." —
    https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html A
    Deny denies only the permission (request) it matches."""
    scp = ((doc(allow("*", "*"), deny("s3:GetObject", "arn:aws:s3:::*/secrets/*")),),)
    inv = _ana(allow("s3:GetObject", f"{PAYROLL}/*"), scp=scp)
    assert decide(inv, ANA_ARN, "s3:GetObject", f"{PAYROLL}/secrets/key") == DENIED
    assert decide(inv, ANA_ARN, "s3:GetObject", f"{PAYROLL}/rota.csv") == ALLOWED
    assert not grant(inv, ANA_ARN).conditional


def test_a_deny_covering_every_allowed_prefix_leaves_nothing() -> None:
    """R1.1, the other side: a Deny that matches every request the Allow grants leaves no read."""
    inv = _ana(allow("s3:GetObject", f"{PAYROLL}/hr/*"), deny("s3:GetObject", f"{PAYROLL}/h*"))
    assert decide(inv, ANA_ARN, "s3:GetObject", f"{PAYROLL}/hr/a") == DENIED
    assert levels(inv, ANA_ARN) == set()


def test_a_deny_with_not_resource_leaves_only_the_named_prefix_readable() -> None:
    """R1.1 with NotResource: a Deny with NotResource applies to every resource but those listed ("In all
    those policies, the enforcement code looks for a Deny statement that applies to the request." —
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html)."""
    store = bucket(
        policy_doc=doc(
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:GetObject",
                "NotResource": f"{PAYROLL}/public/*",
            }
        )
    )
    inv = _ana(allow("s3:GetObject", f"{PAYROLL}/*"), store=store)
    assert decide(inv, ANA_ARN, "s3:GetObject", f"{PAYROLL}/public/a") == ALLOWED
    assert decide(inv, ANA_ARN, "s3:GetObject", f"{PAYROLL}/private/a") == DENIED
    assert not grant(inv, ANA_ARN).conditional


def test_a_conditional_deny_on_one_prefix_leaves_the_read_certain_elsewhere() -> None:
    """Product rule (issue 14, brief): a level is `conditional` only "when no part is allowed whatever the
    conditions". A Deny that may apply to payroll/private/* (MFA unknown) leaves payroll/other certainly
    readable; R1.1: a Deny applies only to the requests it matches —
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html."""
    mfa = {"Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}
    inv = _ana(allow("s3:GetObject", f"{PAYROLL}/*"), deny("s3:GetObject", f"{PAYROLL}/private/*", **mfa))
    assert decide(inv, ANA_ARN, "s3:GetObject", f"{PAYROLL}/private/a") == MAYBE
    assert decide(inv, ANA_ARN, "s3:GetObject", f"{PAYROLL}/other/a") == ALLOWED
    assert not grant(inv, ANA_ARN).conditional


def test_a_wildcard_character_in_a_deny_matches_exactly_one_character() -> None:
    """IAM's resource wildcards: "You can use wildcard characters (* and ?) within any ARN segment [...].
    An asterisk (*) represents any combination of zero or more characters, and a question mark (?)
    represents any single character." —
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html"""
    inv = _ana(allow("s3:GetObject", f"{PAYROLL}/*"), deny("s3:GetObject", f"{PAYROLL}/202?/*"))
    assert decide(inv, ANA_ARN, "s3:GetObject", f"{PAYROLL}/2026/a") == DENIED
    assert decide(inv, ANA_ARN, "s3:GetObject", f"{PAYROLL}/20261/a") == ALLOWED
    assert levels(inv, ANA_ARN) == {"read"}


# --- Both sides must allow the same request ----------------------------------------------------------------


def test_across_accounts_the_two_sides_must_allow_the_same_objects() -> None:
    """R3.1: "AWS evaluates the request in the trusting account and the trusted account. [...] The request
    is allowed only if both evaluations return a decision of Allow." —
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html.
    The bucket consents to payroll/shared/*, Eve's own policy allows payroll/private/*: no single request
    passes both."""
    consent = statement("Allow", {"AWS": OTHER}, "s3:GetObject", f"{PAYROLL}/shared/*")
    inv = _two_accounts(bucket(policy_doc=doc(consent)), allow("s3:GetObject", f"{PAYROLL}/private/*"))
    assert decide(inv, EVE_ARN, "s3:GetObject", f"{PAYROLL}/shared/a") == DENIED
    assert decide(inv, EVE_ARN, "s3:GetObject", f"{PAYROLL}/private/a") == DENIED
    assert levels(inv, EVE_ARN) == set()
    inv = _two_accounts(bucket(policy_doc=doc(consent)), allow("s3:GetObject", f"{PAYROLL}/*"))
    assert levels(inv, EVE_ARN) == {"read"}


def test_the_boundary_and_the_identity_policy_must_allow_the_same_objects() -> None:
    """R1.3: "When AWS evaluates the identity-based policies and permissions boundary for a user, the
    resulting permissions are the intersection of the two categories." —
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html"""
    boundary = policy("OnlyPublic", allow("s3:GetObject", f"{PAYROLL}/public/*"))
    inv = _ana(allow("s3:GetObject", f"{PAYROLL}/private/*"), boundary=boundary)
    assert decide(inv, ANA_ARN, "s3:GetObject", f"{PAYROLL}/private/a") == DENIED
    assert levels(inv, ANA_ARN) == set()


def test_an_scp_allowing_one_prefix_limits_reads_to_it() -> None:
    """R6.1: "there must be an explicit Allow statement at every level from the root through each OU in the
    direct path to the account" —
    https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html —
    for the request itself: an SCP allowing GetObject only on payroll/public/* leaves only that prefix. (A
    `*` spans slashes: `arn:aws:s3:::*/public/*` would also match payroll/private/public/x.)"""
    scp = ((doc(allow("s3:GetObject", f"{PAYROLL}/public/*")),),)
    inv = _ana(allow("s3:GetObject", f"{PAYROLL}/*"), scp=scp)
    assert decide(inv, ANA_ARN, "s3:GetObject", f"{PAYROLL}/public/a") == ALLOWED
    assert decide(inv, ANA_ARN, "s3:GetObject", f"{PAYROLL}/private/a") == DENIED
    inv = _ana(allow("s3:GetObject", f"{PAYROLL}/private/*"), scp=scp)
    assert levels(inv, ANA_ARN) == set()
    everywhere = ((doc(allow("s3:GetObject", "arn:aws:s3:::*/public/*")),),)
    inv = _ana(allow("s3:GetObject", f"{PAYROLL}/private/*"), scp=everywhere)
    assert decide(inv, ANA_ARN, "s3:GetObject", f"{PAYROLL}/private/public/a") == ALLOWED
    assert levels(inv, ANA_ARN) == {"read"}


def test_a_principal_arn_is_case_sensitive() -> None:
    """R4.6: "In a Principal element, the user name part of the Amazon Resource Name (ARN) is case sensitive."
    — https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html"""
    inv = _ana(store=_bucket_naming({"AWS": f"arn:aws:iam::{ACCOUNT}:user/ANA"}))
    assert decide(inv, ANA_ARN, "s3:GetObject", OBJECT) == DENIED
    assert levels(inv, ANA_ARN) == set()


# --- R2 boundaries against resource-policy grants (same account) ---------------------------------------


def test_a_bucket_policy_naming_the_user_is_not_cut_by_her_boundary() -> None:
    """R2.4 RBP-USER-ARN-NOT-LIMITED. "IAM user – Within the same account, resource-based policies that
    grant permissions to an IAM user ARN (that is not a federated user session) are not limited by an
    implicit deny in an identity-based policy or permissions boundary." —
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html"""
    boundary = policy("OnlyEc2", allow("ec2:*", "*"))
    inv = _ana(allow("ec2:*", "*"), store=_bucket_naming({"AWS": ANA_ARN}), boundary=boundary)
    assert decide(inv, ANA_ARN, "s3:GetObject", OBJECT) == ALLOWED
    assert levels(inv, ANA_ARN) == {"read"}


def test_a_bucket_policy_naming_everyone_is_not_cut_by_a_boundary_with_a_principal_arn_condition() -> None:
    """R2.2, second paragraph. "Permissions boundaries and session policies do not limit permissions
    granted using the aws:PrincipalArn condition key with a wildcard(*) in the Principal element, unless
    the identity-based policies contain an explicit deny." —
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html"""
    boundary = policy("OnlyEc2", allow("ec2:*", "*"))
    store = _bucket_naming("*", condition={"ArnEquals": {"aws:PrincipalArn": ANA_ARN}})
    inv = _ana(allow("ec2:*", "*"), store=store, boundary=boundary)
    assert decide(inv, ANA_ARN, "s3:GetObject", OBJECT) == ALLOWED
    assert not grant(inv, ANA_ARN).conditional
    # "... unless the identity-based policies contain an explicit deny."
    inv = _ana(deny("s3:GetObject", "*"), store=store, boundary=boundary)
    assert decide(inv, ANA_ARN, "s3:GetObject", OBJECT) == DENIED


# --- R3 across accounts: both sides -----------------------------------------------------------------------


def _two_accounts(store, *eve_identity, eve_boundary=None):
    mine = (policy("EveAccess", *eve_identity, account=OTHER),) if eve_identity else ()
    bound = (eve_boundary,) if eve_boundary else ()
    eve = user("eve", policies=mine, boundary=eve_boundary, account=OTHER)
    return inventory(
        account(stores=(store,)),
        account(users=(eve,), policies=(*mine, *bound), account_id=OTHER),
    )


def test_across_accounts_a_bucket_policy_naming_the_user_is_not_enough() -> None:
    """Issue 14, second bullet; R3.1 XACCT-BOTH-SIDES. "For cross-account requests, the requester in the
    trusted AccountA must have an identity-based policy. That policy must allow them to make a request to
    the resource in the trusting AccountB. Additionally, the resource-based policy in AccountB must allow
    the requester in AccountA to access the resource." —
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html"""
    inv = _two_accounts(_bucket_naming({"AWS": EVE_ARN}))
    assert decide(inv, EVE_ARN, "s3:GetObject", OBJECT) == DENIED
    assert levels(inv, EVE_ARN) == set()


def test_across_accounts_an_identity_policy_is_not_enough() -> None:
    """R3.1. "The request is allowed only if both evaluations return a decision of Allow." — https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html"""
    inv = _two_accounts(bucket(), allow("s3:GetObject", f"{PAYROLL}/*"))
    assert decide(inv, EVE_ARN, "s3:GetObject", OBJECT) == DENIED
    assert levels(inv, EVE_ARN) == set()


def test_across_accounts_both_sides_allowing_grants_read() -> None:
    """R3.1. "The resource-based policy in the trusting account must specify the principal of the trusted
    account that will have access to the resource. You can specify the entire account or its IAM users
    [...]" and "The principal's identity-based policy must allow the requested access to the resource in
    the trusting service." —
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html"""
    for principal in ({"AWS": EVE_ARN}, {"AWS": root(OTHER)}, {"AWS": OTHER}):
        inv = _two_accounts(_bucket_naming(principal), allow("s3:GetObject", f"{PAYROLL}/*"))
        assert decide(inv, EVE_ARN, "s3:GetObject", OBJECT) == ALLOWED, principal
        assert levels(inv, EVE_ARN) == {"read"}, principal


def test_across_accounts_the_callers_boundary_always_applies() -> None:
    """R3.1 with R1.3: across accounts the caller's side is evaluated in full, boundary included ("When AWS
    evaluates the identity-based policies and permissions boundary for a user, the resulting permissions
    are the intersection of the two categories." —
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html); the
    same-account exception of R2.4 is "Within the same account" only."""
    boundary = policy("OnlyEc2", allow("ec2:*", "*"), account=OTHER)
    inv = _two_accounts(
        _bucket_naming({"AWS": EVE_ARN}), allow("s3:GetObject", f"{PAYROLL}/*"), eve_boundary=boundary
    )
    assert decide(inv, EVE_ARN, "s3:GetObject", OBJECT) == DENIED
    assert levels(inv, EVE_ARN) == set()


def test_across_accounts_a_deny_in_the_bucket_policy_naming_the_account_applies_to_its_users() -> None:
    """R4.2 PRINCIPAL-ACCOUNT-DELEGATES with R1.1: "Using the account ARN in the Principal element does not
    limit permissions to only the root user of the account." —
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html"""
    policy_doc = doc(
        statement("Allow", {"AWS": EVE_ARN}, "s3:GetObject", f"{PAYROLL}/*"),
        statement("Deny", {"AWS": root(OTHER)}, "s3:GetObject", f"{PAYROLL}/*"),
    )
    inv = _two_accounts(bucket(policy_doc=policy_doc), allow("s3:GetObject", f"{PAYROLL}/*"))
    assert decide(inv, EVE_ARN, "s3:GetObject", OBJECT) == DENIED
    assert levels(inv, EVE_ARN) == set()


# --- R4 the Principal element -------------------------------------------------------------------------------


def test_naming_the_own_account_delegates_to_identity_policies_in_either_spelling() -> None:
    """R4.2. "The account ARN and the shortened account ID behave the same way. Both delegate permissions
    to the account." and "When you allow access to a different account, an administrator in that account
    must then grant access to an identity (IAM user or role) in that account." —
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html"""
    for principal in ({"AWS": root()}, {"AWS": ACCOUNT}):
        store = _bucket_naming(principal)
        assert levels(_ana(store=store), ANA_ARN) == set(), principal
        assert decide(_ana(store=store), ANA_ARN, "s3:GetObject", OBJECT) == DENIED
        assert levels(_ana(allow("s3:GetObject", f"{PAYROLL}/*"), store=store), ANA_ARN) == {"read"}


def test_a_wildcard_inside_a_principal_arn_names_nobody() -> None:
    """R4.6 PRINCIPAL-NO-PARTIAL-WILDCARD. "You cannot use a wildcard to match part of a principal name or
    ARN." — https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html"""
    store = _bucket_naming({"AWS": f"arn:aws:iam::{ACCOUNT}:user/*"})
    inv = _ana(store=store)
    assert decide(inv, ANA_ARN, "s3:GetObject", OBJECT) == DENIED
    assert levels(inv, ANA_ARN) == set()


def test_a_unique_id_left_by_a_deleted_user_names_nobody_else() -> None:
    """R4.7 PRINCIPAL-DELETED-BECOMES-ID. "if you delete the role, then you break the relationship. The
    policy no longer applies, even if you recreate the role because the new role has a new principal ID
    that does not match the ID stored in the trust policy. When this happens, the principal ID appears in
    resource-based policies because AWS can no longer map it back to a valid ARN." —
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html"""
    inv = _ana(store=_bucket_naming({"AWS": "AIDAOLDANA0123456789"}))
    assert decide(inv, ANA_ARN, "s3:GetObject", OBJECT) == DENIED
    assert levels(inv, ANA_ARN) == set()
    assert evaluate(inv).grants == ()  # nobody at all holds anything through it


# --- R12 DynamoDB resource-based policies --------------------------------------------------------------


def test_dynamodb_same_account_a_table_policy_is_sufficient() -> None:
    """R12.1 DDB-RBP-SAME-ACCOUNT-SUFFICES. "If the IAM principal is from the same account as the resource
    owner, a resource-based policy is sufficient to specify access permissions to the resource." —
    https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/rbac-auth-iam-id-based-policies-DDB.html"""
    store = table(
        policy_doc=doc(statement("Allow", {"AWS": ANA_ARN}, "dynamodb:GetItem", CASES, sid="AnaGets"))
    )
    inv = _ana(store=store)
    assert decide(inv, ANA_ARN, "dynamodb:GetItem", CASES) == ALLOWED
    assert decide(inv, ANA_ARN, "dynamodb:PutItem", CASES) == DENIED
    found = grant(inv, ANA_ARN, store=CASES)
    assert names(found) == ["table policy statement AnaGets"] and not found.conditional


def test_dynamodb_across_accounts_both_the_table_policy_and_the_identity_policy_must_allow() -> None:
    """R12.1. "For cross-account access, you must explicitly allow access in both the identity and resource
    policies as specified in Cross-account access with resource-based policies in DynamoDB." —
    https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/rbac-auth-iam-id-based-policies-DDB.html"""
    store = table(policy_doc=doc(statement("Allow", {"AWS": EVE_ARN}, "dynamodb:GetItem", CASES)))
    assert decide(_two_accounts(store), EVE_ARN, "dynamodb:GetItem", CASES) == DENIED
    inv = _two_accounts(store, allow("dynamodb:GetItem", CASES))
    assert decide(inv, EVE_ARN, "dynamodb:GetItem", CASES) == ALLOWED
    assert levels(inv, EVE_ARN, CASES) == {"read"}


def test_dynamodb_the_table_policy_governs_its_indexes() -> None:
    """R12.2 DDB-RBP-TABLE-COVERS-INDEXES. "You can control index permissions using the base table's policy.
    To specify the same permission level for your table and its indexes, you can provide both the table and
    index Amazon Resource Name (ARN)s in the Resource field of a given Statement in your policy document."
    — https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PutResourcePolicy.html"""
    index = f"{CASES}/index/by-date"
    store = table(policy_doc=doc(statement("Allow", {"AWS": ANA_ARN}, "dynamodb:Query", f"{CASES}/index/*")))
    inv = _ana(store=store)
    assert decide(inv, ANA_ARN, "dynamodb:Query", index) == ALLOWED
    assert decide(inv, ANA_ARN, "dynamodb:Query", CASES) == DENIED  # the statement names the index only
    assert levels(inv, ANA_ARN, CASES) == {"read"}


def test_dynamodb_a_statement_naming_another_tables_arn_has_no_effect() -> None:
    """R12.2. "When you specify an ARN in the Resource field of a resource-based policy, the policy takes
    effect only if the specified ARN matches the ARN of the DynamoDB resource to which it is attached."
    — https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/rbac-examples.html"""
    elsewhere = f"arn:aws:dynamodb:eu-west-2:{ACCOUNT}:table/other"
    store = table(policy_doc=doc(statement("Allow", {"AWS": ANA_ARN}, "dynamodb:*", elsewhere)))
    inv = _ana(store=store)
    assert decide(inv, ANA_ARN, "dynamodb:GetItem", CASES) == DENIED
    assert levels(inv, ANA_ARN, CASES) == set()


def test_dynamodb_a_stream_is_governed_by_its_own_policy_not_the_tables() -> None:
    """R12.2 DDB-RBP-STREAM-OWN-POLICY. "The Amazon Resource Name (ARN) of the DynamoDB resource to which the
    policy will be attached. The resources you can specify include tables and streams." —
    https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PutResourcePolicy.html; and "You can
    attach a resource-based policy to an existing table's stream" —
    https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/rbac-attach-resource-policy-streams.html
    A statement in the table's policy naming the stream's ARN does not match the table it is attached to."""
    stream = f"{CASES}/stream/2026-03-01T00:00:00.000"
    by_table = doc(statement("Allow", {"AWS": ANA_ARN}, "dynamodb:GetRecords", f"{CASES}/stream/*"))
    inv = _ana(store=table(policy_doc=by_table, stream_label="2026-03-01T00:00:00.000"))
    assert decide(inv, ANA_ARN, "dynamodb:GetRecords", stream) == DENIED
    by_stream = doc(statement("Allow", {"AWS": ANA_ARN}, "dynamodb:GetRecords", stream, sid="Replica"))
    inv = _ana(store=table(stream_label="2026-03-01T00:00:00.000", stream_policy=by_stream))
    assert decide(inv, ANA_ARN, "dynamodb:GetRecords", stream) == ALLOWED
    assert names(grant(inv, ANA_ARN, store=CASES)) == ["stream policy statement Replica"]


def test_dynamodb_a_table_policy_deny_on_the_indexes_leaves_the_table_readable() -> None:
    """Issue 14, "What must work" 1: "DynamoDB resource policies get the same care"; R1.1: a Deny applies
    to the requests it matches ("In all those policies, the enforcement code looks for a Deny statement
    that applies to the request." —
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html).
    Denying Query on the indexes leaves Query on the table."""
    store = table(
        policy_doc=doc(statement("Deny", "*", "dynamodb:Query", f"{CASES}/index/*", sid="NoIndexes"))
    )
    inv = _ana(allow("dynamodb:Query", [CASES, f"{CASES}/index/*"]), store=store)
    assert decide(inv, ANA_ARN, "dynamodb:Query", f"{CASES}/index/by-date") == DENIED
    assert decide(inv, ANA_ARN, "dynamodb:Query", CASES) == ALLOWED
    assert levels(inv, ANA_ARN, CASES) == {"read"}


def test_a_bucket_policy_deny_naming_the_own_account_denies_all_its_users() -> None:
    """R4.2: "Using the account ARN in the Principal element does not limit permissions to only the root
    user of the account." —
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html; with R1.1,
    a Deny naming the account applies to every user and role of it."""
    store = bucket(policy_doc=doc(statement("Deny", {"AWS": root()}, "s3:*", [PAYROLL, f"{PAYROLL}/*"])))
    inv = _ana(allow("s3:*", "*"), store=store)
    assert decide(inv, ANA_ARN, "s3:GetObject", OBJECT) == DENIED
    assert levels(inv, ANA_ARN) == set()


def test_a_conditional_resource_grant_is_conditional_not_certain() -> None:
    """R15.2 COND-SOURCEVPCE. aws:SourceVpce "is included in the request context only if the requester uses
    a VPC endpoint to make the request." —
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html Whether a
    request comes through that endpoint is not known: the grant holds only conditionally."""
    store = _bucket_naming({"AWS": ANA_ARN}, condition={"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}})
    inv = _ana(store=store)
    assert decide(inv, ANA_ARN, "s3:GetObject", OBJECT) == MAYBE
    found = grant(inv, ANA_ARN)
    assert found.conditional and "aws:SourceVpce" in names(found)[0]
