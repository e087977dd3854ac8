"""Service control policies and resource control policies (R1.3, R6, R7 of /work/research/aws-rules.md): where
each applies, to whom, and that both only limit. Each test quotes the sentence it implements, with its URL."""

from __future__ import annotations

from tests.connectors.aws.rules_support import ALLOWED, DENIED, decide, grant, levels
from tests.data.aws.inventory import (
    ACCOUNT,
    ANA_ARN,
    CASES,
    OTHER,
    PAYROLL,
    account,
    allow,
    bucket,
    database,
    deny,
    doc,
    inventory,
    organization,
    policy,
    role,
    root,
    statement,
    table,
    trust,
    user,
)

OBJECT = f"{PAYROLL}/2026/march.csv"
FULL = doc(allow("*", "*"))  # FullAWSAccess / RCPFullAWSAccess
DATABASE = f"arn:aws:rds:eu-west-2:{ACCOUNT}:db:claims-db"
READS = policy("Reads", allow(["s3:*", "dynamodb:*", "rds:*"], "*"))


def _ana(*, store=None, scp=(), rcp=(), stores=None):
    return inventory(
        account(
            users=(user("ana", policies=(READS,)),),
            policies=(READS,),
            stores=stores or (store or bucket(),),
            scp_levels=scp,
            rcp_levels=rcp,
        )
    )


# --- R6 SCPs -----------------------------------------------------------------------------------------


def test_an_scp_must_allow_at_every_level_from_the_root_to_the_account() -> None:
    """R6.1 SCP-EVERY-LEVEL. "For a permission to be allowed for a specific account, there must be an
    explicit Allow statement at every level from the root through each OU in the direct path to the account
    (including the target account itself)." —
    https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html"""
    assert levels(_ana(scp=((FULL,), (FULL,), (FULL,))), ANA_ARN) == {"read", "write", "admin"}
    only_dynamodb = doc(allow("dynamodb:*", "*"))
    inv = _ana(scp=((FULL,), (only_dynamodb,), (FULL,)))
    assert decide(inv, ANA_ARN, "s3:GetObject", OBJECT) == DENIED
    assert levels(inv, ANA_ARN) == set()


def test_an_scp_limits_even_a_bucket_policy_grant_to_a_principal_of_its_account() -> None:
    """R6.1/R1.1: "These include AWS Organizations SCPs and RCPs, resource-based policies, identity-based
    policies, IAM permissions boundaries, and session policies. In all those policies, the enforcement code
    looks for a Deny statement that applies to the request." —
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html.
    R6.3: "The SCP applies only to users that are managed by account A in the organization." —
    https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html"""
    no_s3 = doc(allow("*", "*"), deny("s3:*", "*"))
    grant_ana = statement("Allow", {"AWS": ANA_ARN}, "s3:GetObject", f"{PAYROLL}/*")
    inv = inventory(
        account(users=(user("ana"),), stores=(bucket(policy_doc=doc(grant_ana)),), scp_levels=((no_s3,),))
    )
    assert decide(inv, ANA_ARN, "s3:GetObject", OBJECT) == DENIED
    assert levels(inv, ANA_ARN) == set()


def test_scps_of_the_buckets_account_do_not_apply_to_users_of_an_account_outside_it() -> None:
    """R6.3 SCP-PRINCIPALS-OF-MEMBER-ACCOUNTS-ONLY. "They also don't affect users or roles from accounts
    outside the organization. For example, consider an Amazon S3 bucket that's owned by account A in an
    organization. The bucket policy (a resource-based policy) grants access to users from account B outside
    the organization. Account A has an SCP attached. That SCP doesn't apply to those outside users in
    account B." — https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html"""
    eve_reads = policy("EveReads", allow("s3:GetObject", f"{PAYROLL}/*"), account=OTHER)
    eve = user("eve", policies=(eve_reads,), account=OTHER)
    grant_eve = statement("Allow", {"AWS": eve.arn}, "s3:GetObject", f"{PAYROLL}/*")
    no_s3 = doc(allow("*", "*"), deny("s3:*", "*"))
    inv = inventory(
        account(stores=(bucket(policy_doc=doc(grant_eve)),), scp_levels=((no_s3,),)),
        account(users=(eve,), policies=(eve_reads,), account_id=OTHER),
    )
    assert decide(inv, eve.arn, "s3:GetObject", OBJECT) == ALLOWED
    assert levels(inv, eve.arn) == {"read"}


def test_scps_do_not_limit_services_or_anyone_outside_the_organisations_accounts() -> None:
    """R6.3: "SCPs affect only IAM users and roles that are managed by accounts that are part of the
    organization. SCPs don't affect resource-based policies directly." —
    https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html. A service
    principal and anyone on the internet are not principals of the bucket's account: its SCPs do not limit
    them."""
    no_s3 = doc(allow("*", "*"), deny("s3:*", "*"))
    store = bucket(
        policy_doc=doc(
            statement(
                "Allow", {"Service": "cloudtrail.amazonaws.com"}, "s3:PutObject", f"{PAYROLL}/AWSLogs/*"
            ),
            statement("Allow", "*", "s3:GetObject", f"{PAYROLL}/public/*"),
        )
    )
    inv = inventory(account(stores=(store,), scp_levels=((no_s3,),)))
    assert decide(inv, "cloudtrail.amazonaws.com", "s3:PutObject", f"{PAYROLL}/AWSLogs/x") == ALLOWED
    assert decide(inv, "*", "s3:GetObject", f"{PAYROLL}/public/x") == ALLOWED
    assert levels(inv, "cloudtrail.amazonaws.com") == {"write"}
    assert levels(inv, "*") == {"read"}


def test_scps_do_not_limit_service_linked_roles() -> None:
    """R6.4 SCP-NOT-SLR. "SCPs do not affect any service-linked role. Service-linked roles enable other AWS
    services to integrate with AWS Organizations and can't be restricted by SCPs." —
    https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html.
    Service-linked roles live under the path /aws-service-role/."""
    slr_policy = policy("SlrReads", allow("s3:GetObject", "*"))
    slr = role(
        "AWSServiceRoleForExample",
        trust({"Service": "example.amazonaws.com"}),
        slr_policy,
        path="/aws-service-role/example.amazonaws.com/",
    )
    no_s3 = doc(allow("*", "*"), deny("s3:*", "*"))
    inv = inventory(account(roles=(slr,), policies=(slr_policy,), stores=(bucket(),), scp_levels=((no_s3,),)))
    assert levels(inv, slr.arn) == {"read"}
    assert not grant(inv, slr.arn).conditional


# --- R7 RCPs -----------------------------------------------------------------------------------------


def test_an_rcp_must_allow_at_every_level_and_a_deny_anywhere_wins() -> None:
    """R7.2 RCP-EVERY-LEVEL. "An RCP restricts permissions for resources in member accounts. Any resource
    in an account has only those permissions permitted by every parent above it." —
    https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html; "For a
    permission to be denied for a resource in a specific account, any RCP from the root through each OU in
    the direct path to the account (including the target account itself) can deny that permission." —
    https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps_evaluation.html"""
    assert levels(_ana(rcp=((FULL,), (FULL,))), ANA_ARN) == {"read", "write", "admin"}
    no_reads = doc(allow("*", "*"), deny("s3:GetObject", "*"))
    inv = _ana(rcp=((FULL,), (no_reads,)))
    assert decide(inv, ANA_ARN, "s3:GetObject", OBJECT) == DENIED
    assert decide(inv, ANA_ARN, "s3:ListBucket", PAYROLL) == ALLOWED


def test_an_rcp_never_grants() -> None:
    """R7.2 RCP-FULL-ACCESS-DEFAULT. "This AWS managed policy does not grant access." — https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps_evaluation.html"""
    inv = inventory(account(users=(user("ana"),), stores=(bucket(),), rcp_levels=((FULL,),)))
    assert decide(inv, ANA_ARN, "s3:GetObject", OBJECT) == DENIED
    assert levels(inv, ANA_ARN) == set()


def test_an_rcp_applies_to_callers_from_outside_the_organisation_and_to_anyone() -> None:
    """R7.3 RCP-RESOURCE-ACCOUNT-ANY-CALLER. "Account A has an RCP attached. That RCP applies to the S3
    bucket in Account A even when accessed by users from Account B." and "RCPs impact the effective
    permissions of principals trying to access resources in a member account with an applicable RCP,
    regardless of whether the principals belong to the same organizations or not." —
    https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html"""
    no_reads = doc(allow("*", "*"), deny("s3:GetObject", "*"))
    store = bucket(
        policy_doc=doc(
            statement("Allow", "*", "s3:GetObject", f"{PAYROLL}/*"),
            statement("Allow", {"AWS": "999988887777"}, "s3:GetObject", f"{PAYROLL}/*"),
        )
    )
    inv = _ana(store=store, rcp=((no_reads,),))
    assert decide(inv, "*", "s3:GetObject", OBJECT) == DENIED
    assert decide(inv, root("999988887777"), "s3:GetObject", OBJECT) == DENIED
    assert levels(inv, "*") == set()
    assert levels(inv, root("999988887777")) == set()


def test_an_rcp_of_the_callers_account_does_not_apply_to_resources_of_another_account() -> None:
    """R7.3. "However, that RCP does not apply to resources in Account B when accessed by users in Account A."
    — https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html"""
    no_s3 = doc(allow("*", "*"), deny("s3:*", "*"))
    reads = policy("EveReads", allow("s3:GetObject", f"{PAYROLL}/*"), account=OTHER)
    eve = user("eve", policies=(reads,), account=OTHER)
    consent = statement("Allow", {"AWS": OTHER}, "s3:GetObject", f"{PAYROLL}/*")
    inv = inventory(
        account(stores=(bucket(policy_doc=doc(consent)),)),
        account(users=(eve,), policies=(reads,), account_id=OTHER, rcp_levels=((no_s3,),)),
    )
    assert decide(inv, eve.arn, "s3:GetObject", OBJECT) == ALLOWED
    assert levels(inv, eve.arn) == {"read"}


def test_an_rcp_applies_to_dynamodb_tables() -> None:
    """R7.1 RCP-SUPPORTED-SERVICES. "RCPs apply to actions for the following AWS services:" — the list
    includes Amazon DynamoDB (dynamodb) —
    https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html"""
    no_reads = doc(allow("*", "*"), deny("dynamodb:GetItem", "*"))
    inv = _ana(store=table(), rcp=((no_reads,),))
    assert decide(inv, ANA_ARN, "dynamodb:GetItem", CASES) == DENIED
    assert decide(inv, ANA_ARN, "dynamodb:Query", CASES) == ALLOWED


def test_an_rcp_does_not_apply_to_rds() -> None:
    """R7.1. "RCPs apply to actions for the following AWS services:" — Amazon RDS (rds, rds-db, rds-data)
    is not on the list —
    https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html"""
    no_rds = doc(allow("*", "*"), deny("rds:*", "*"))
    inv = _ana(store=database(), rcp=((no_rds,),))
    assert levels(inv, ANA_ARN, DATABASE) == {"read", "write", "admin"}


def test_rcps_do_not_limit_service_linked_roles() -> None:
    """R7.5 RCP-EXEMPTIONS. "RCPs do not impact the effective permissions of any service-linked role." — https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html"""
    slr_policy = policy("SlrReads", allow("s3:GetObject", "*"))
    slr = role(
        "AWSServiceRoleForExample",
        trust({"Service": "example.amazonaws.com"}),
        slr_policy,
        path="/aws-service-role/example.amazonaws.com/",
    )
    no_s3 = doc(allow("*", "*"), deny("s3:*", "*"))
    inv = inventory(account(roles=(slr,), policies=(slr_policy,), stores=(bucket(),), rcp_levels=((no_s3,),)))
    assert levels(inv, slr.arn) == {"read"}


def _perimeter_inventory(org=None):
    """A public read in the bucket policy, and an RCP denying every caller outside the organisation."""
    perimeter = doc(
        allow("*", "*"),
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}},
        },
    )
    store = bucket(policy_doc=doc(statement("Allow", "*", "s3:GetObject", f"{PAYROLL}/*")))
    return inventory(
        account(users=(user("ana"),), stores=(store,), rcp_levels=((perimeter,),)), organization=org
    )


def test_an_rcp_condition_on_the_callers_organisation_is_decided_for_its_members() -> None:
    """R7.3 with R15.1 (aws:PrincipalOrgID "is included in the request context only if the principal is a
    member of an organization. Anonymous requests do not include this key." —
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html and "If the
    policy condition requires that the key is not matched, such as StringNotLike or ArnNotLike, and the
    right key is not present, the condition is true." —
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html).
    Ana's account is in the organisation, so the Deny does not apply to her and the public grant reaches
    her (same account) exactly."""
    inv = _perimeter_inventory(organization(ACCOUNT, (ACCOUNT, "payroll-prod")))
    assert decide(inv, ANA_ARN, "s3:GetObject", OBJECT) == ALLOWED
    assert not grant(inv, ANA_ARN).conditional


def test_an_rcp_denying_callers_outside_the_organisation_denies_an_anonymous_request() -> None:
    """R7.3 with R15.1 (aws:PrincipalOrgID "is included in the request context only if the principal is a
    member of an organization. Anonymous requests do not include this key." —
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html and "If the
    policy condition requires that the key is not matched, such as StringNotLike or ArnNotLike, and the
    right key is not present, the condition is true." —
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html).
    An anonymous request has no aws:PrincipalOrgID, so StringNotEquals holds and the RCP's Deny applies:
    the request is denied, not "maybe allowed"."""
    assert decide(_perimeter_inventory(), "*", "s3:GetObject", OBJECT) == DENIED


def test_an_rcp_denying_callers_outside_a_fully_read_organisation_leaves_no_public_read() -> None:
    """R7.3 with R15.1 (aws:PrincipalOrgID "is included in the request context only if the principal is a
    member of an organization. Anonymous requests do not include this key." —
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html and "If the
    policy condition requires that the key is not matched, such as StringNotLike or ArnNotLike, and the
    right key is not present, the condition is true." —
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html).
    Organizations lists every account of the organisation and Recertify reads them all: anyone else is
    outside it (or anonymous), so the Deny applies to anyone; the public row must not appear, not even as
    conditional."""
    inv = _perimeter_inventory(organization(ACCOUNT, (ACCOUNT, "payroll-prod")))
    assert levels(inv, "*") == set()
