"""The pure IAM evaluator: who holds read, write and admin on each store, by which path, and how surely."""

from __future__ import annotations

from connectors.aws.access import effective_access
from connectors.aws.inventory import (
    AccountAssignment,
    IdentityCenter,
    IdentityStoreGroup,
    IdentityStoreUser,
    PermissionSet,
)
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
    group,
    inventory,
    policy,
    role,
    table,
    trust,
    user,
)

ANA = ANA_ARN


def _grants(inv):
    return {
        (g.principal_provider_id, g.store_provider_id, str(g.access)): g for g in effective_access(inv).grants
    }


def _levels(inv, principal: str = ANA, store: str = PAYROLL) -> set[str]:
    return {level for (p, s, level) in _grants(inv) if p == principal and s == store}


def _one_account(*statements, store=None, boundary=None, scp=(), extra_policies=()):
    read = policy("Access", *statements)
    bound = (boundary,) if boundary else ()
    return inventory(
        account(
            users=(user("ana", policies=(read, *extra_policies), boundary=boundary),),
            policies=(read, *bound, *extra_policies),
            stores=(store or bucket(), table()),
            scp_levels=scp,
        )
    )


def test_object_read_gives_read_with_the_policy_as_path() -> None:
    inv = _one_account(allow("s3:GetObject", f"{PAYROLL}/*"))
    grants = _grants(inv)
    assert _levels(inv) == {"read"}
    grant = grants[(ANA, PAYROLL, "read")]
    assert [str(s) for s in grant.path] == ["policy:Access"]
    assert grant.conditional is False and grant.needs_human_review is False


def test_full_control_appears_as_read_write_and_admin() -> None:
    assert _levels(_one_account(allow("s3:*", [PAYROLL, f"{PAYROLL}/*"]))) == {"read", "write", "admin"}


def test_wildcards_in_actions_ignore_case_and_resources_do_not() -> None:
    assert _levels(_one_account(allow("S3:get*", f"{PAYROLL}/*"))) == {"read"}
    assert _levels(_one_account(allow("s3:GetObject", "arn:aws:s3:::PAYROLL/*"))) == set()
    assert _levels(_one_account(allow("s3:Get?bject", "arn:aws:s3:::pay?oll/*"))) == {"read"}


def test_object_action_on_the_bucket_arn_alone_grants_nothing() -> None:
    assert _levels(_one_account(allow("s3:GetObject", PAYROLL))) == set()
    assert _levels(_one_account(allow("s3:ListBucket", PAYROLL))) == {"read"}


def test_part_of_a_bucket_still_reaches_its_data() -> None:
    assert _levels(_one_account(allow("s3:GetObject", f"{PAYROLL}/public/*"))) == {"read"}


def test_a_deny_anywhere_wins() -> None:
    inv = _one_account(allow("s3:*", "*"), deny(["s3:Get*", "s3:List*"], "*"))
    assert _levels(inv) == {"write", "admin"}


def test_a_deny_on_one_read_action_leaves_the_others() -> None:
    assert _levels(_one_account(allow("s3:*", "*"), deny("s3:GetObject", "*"))) == {"read", "write", "admin"}


def test_a_conditional_allow_is_reported_as_conditional() -> None:
    cond = {"Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}
    grant = _grants(_one_account(allow("s3:GetObject", f"{PAYROLL}/*", **cond)))[(ANA, PAYROLL, "read")]
    assert grant.conditional is True and grant.needs_human_review is False


def test_a_deny_that_may_not_hold_makes_access_conditional() -> None:
    mfa = {"Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}
    grants = _grants(_one_account(allow("s3:GetObject", f"{PAYROLL}/*"), deny("s3:*", "*", **mfa)))
    assert grants[(ANA, PAYROLL, "read")].conditional is True


def test_not_action_allow_grants_everything_else() -> None:
    inv = _one_account({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})
    assert _levels(inv) == {"read", "write", "admin"}
    inv = _one_account({"Effect": "Allow", "NotAction": ["s3:Put*", "s3:Delete*"], "Resource": "*"})
    assert "read" in _levels(inv)


def test_not_resource_allow_and_deny() -> None:
    other = "arn:aws:s3:::other"
    assert _levels(
        _one_account({"Effect": "Allow", "Action": "s3:GetObject", "NotResource": f"{other}/*"})
    ) == {"read"}
    inv = _one_account(
        allow("s3:GetObject", "*"), {"Effect": "Deny", "Action": "s3:*", "NotResource": f"{other}/*"}
    )
    assert _levels(inv) == set()


def test_a_permissions_boundary_cuts_identity_access() -> None:
    boundary = policy("Boundary", allow("s3:Get*", "*"))
    assert _levels(_one_account(allow("s3:*", "*"), boundary=boundary)) == {"read"}


def test_a_group_policy_gives_the_path_group_then_policy() -> None:
    read = policy("PayrollRead", allow("s3:GetObject", f"{PAYROLL}/*"))
    inv = inventory(
        account(
            users=(user("ana", groups=("payroll-team",)),),
            groups=(group("payroll-team", read),),
            policies=(read,),
            stores=(bucket(),),
        )
    )
    path = _grants(inv)[(ANA, PAYROLL, "read")].path
    assert [str(s) for s in path] == ["group:payroll-team", "policy:PayrollRead"]


def test_the_shortest_path_is_reported() -> None:
    read = policy("PayrollRead", allow("s3:GetObject", f"{PAYROLL}/*"))
    direct = policy("Direct", allow("s3:GetObject", f"{PAYROLL}/*"))
    inv = inventory(
        account(
            users=(user("ana", policies=(direct,), groups=("team",)),),
            groups=(group("team", read),),
            policies=(read, direct),
            stores=(bucket(),),
        )
    )
    assert [str(s) for s in _grants(inv)[(ANA, PAYROLL, "read")].path] == ["policy:Direct"]


def test_a_bucket_policy_naming_the_user_grants_without_an_identity_allow_and_past_the_boundary() -> None:
    bucket_policy = doc(
        {"Effect": "Allow", "Principal": {"AWS": ANA}, "Action": "s3:GetObject", "Resource": f"{PAYROLL}/*"}
    )
    boundary = policy("Nothing", allow("ec2:Describe*", "*"))
    inv = _one_account(allow("ec2:*", "*"), store=bucket(policy_doc=bucket_policy), boundary=boundary)
    grant = _grants(inv)[(ANA, PAYROLL, "read")]
    assert [str(s) for s in grant.path] == ["resource_policy:bucket policy statement #1"]


def test_a_bucket_policy_deny_wins_over_an_identity_allow() -> None:
    bucket_policy = doc(
        {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": [PAYROLL, f"{PAYROLL}/*"]}
    )
    assert _levels(_one_account(allow("s3:*", "*"), store=bucket(policy_doc=bucket_policy))) == set()


def test_a_bucket_policy_naming_the_account_only_delegates() -> None:
    root = doc(
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": "s3:*",
            "Resource": f"{PAYROLL}/*",
        }
    )
    assert _levels(_one_account(allow("ec2:*", "*"), store=bucket(policy_doc=root))) == set()


def test_across_accounts_both_sides_must_agree() -> None:
    reader = policy("CrossRead", allow("s3:GetObject", f"{PAYROLL}/*"), account=OTHER)
    outsider = user("eve", policies=(reader,), account=OTHER)
    eve = outsider.arn
    consent = doc(
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"},
            "Action": "s3:GetObject",
            "Resource": f"{PAYROLL}/*",
        }
    )
    other = account(users=(outsider,), policies=(reader,), account_id=OTHER)
    assert _levels(inventory(account(stores=(bucket(),)), other), eve) == set()
    assert _levels(inventory(account(stores=(bucket(policy_doc=consent),)), other), eve) == {"read"}


def test_service_control_policies_must_allow_at_every_level() -> None:
    everything = doc(allow("*", "*"))
    only_dynamodb = doc(allow("dynamodb:*", "*"))
    assert _levels(_one_account(allow("s3:*", "*"), scp=((everything,), (everything,)))) == {
        "read",
        "write",
        "admin",
    }
    assert _levels(_one_account(allow("s3:*", "*"), scp=((everything,), (only_dynamodb,)))) == set()
    no_s3_admin = doc(
        deny(
            [
                "s3:PutBucketPolicy",
                "s3:DeleteBucketPolicy",
                "s3:PutBucketAcl",
                "s3:PutBucketOwnershipControls",
                "s3:PutBucketPublicAccessBlock",
                "s3:PutObject*Acl",
                "s3:BypassGovernanceRetention",
                "s3:ObjectOwnerOverrideToBucketOwner",
            ],
            "*",
        )
    )
    assert "admin" not in _levels(_one_account(allow("s3:*", "*"), scp=((everything, no_s3_admin),)))


def test_dynamodb_access_through_an_index_reaches_the_table() -> None:
    inv = _one_account(allow("dynamodb:Query", f"{CASES}/index/*"))
    assert _levels(inv, store=CASES) == {"read"}


def test_a_role_named_in_a_trust_policy_passes_its_access_on() -> None:
    read = policy("PayrollRead", allow("s3:GetObject", f"{PAYROLL}/*"))
    analyst = role("analyst", trust({"AWS": ANA}), read)
    inv = inventory(account(users=(user("ana"),), roles=(analyst,), policies=(read,), stores=(bucket(),)))
    assert [str(s) for s in _grants(inv)[(ANA, PAYROLL, "read")].path] == [
        "role:analyst",
        "policy:PayrollRead",
    ]
    assert _levels(inv, analyst.arn) == {"read"}


def test_an_account_trust_needs_the_principals_own_assume_permission() -> None:
    read = policy("PayrollRead", allow("s3:GetObject", f"{PAYROLL}/*"))
    analyst = role("analyst", trust({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}), read)
    may_assume = policy("AssumeAnalyst", allow("sts:AssumeRole", analyst.arn))
    ana, ben = user("ana", policies=(may_assume,)), user("ben")
    inv = inventory(
        account(users=(ana, ben), roles=(analyst,), policies=(read, may_assume), stores=(bucket(),))
    )
    assert _levels(inv, ana.arn) == {"read"}
    assert _levels(inv, ben.arn) == set()


def test_role_chains_are_followed_and_loops_end() -> None:
    read = policy("PayrollRead", allow("s3:GetObject", f"{PAYROLL}/*"))
    first = role("first", trust({"AWS": [ANA, f"arn:aws:iam::{ACCOUNT}:role/second"]}))
    second = role("second", trust({"AWS": first.arn}), read)
    inv = inventory(
        account(users=(user("ana"),), roles=(first, second), policies=(read,), stores=(bucket(),))
    )
    assert [str(s) for s in _grants(inv)[(ANA, PAYROLL, "read")].path] == [
        "role:first",
        "role:second",
        "policy:PayrollRead",
    ]


def test_service_and_federated_trust_are_reported() -> None:
    lambda_role = role(
        "etl",
        doc(
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ),
    )
    evaluation = effective_access(inventory(account(roles=(lambda_role,), stores=(bucket(),))))
    assert [str(s) for s in evaluation.trusted[lambda_role.arn]] == ["service:lambda.amazonaws.com"]


def test_an_unreadable_policy_means_human_review_never_silence() -> None:
    grants = _grants(
        _one_account(
            allow("s3:GetObject", f"{PAYROLL}/*"),
            extra_policies=(policy("Broken", {"Action": "s3:*", "Resource": "*"}),),
        )
    )
    assert {lvl for (p, s, lvl), g in grants.items() if s == PAYROLL and g.needs_human_review} == {
        "read",
        "write",
        "admin",
    }
    assert grants[(ANA, PAYROLL, "write")].conditional is True  # possible, not certain


def test_an_unknown_condition_operator_is_reviewed() -> None:
    odd = {"Condition": {"StringEqualsPerhaps": {"aws:username": "ana"}}}
    grant = _grants(_one_account(allow("s3:GetObject", f"{PAYROLL}/*", **odd)))[(ANA, PAYROLL, "read")]
    assert grant.needs_human_review is True and grant.conditional is True


def test_a_policy_variable_in_a_resource_is_conditional() -> None:
    inv = _one_account(allow("s3:GetObject", "arn:aws:s3:::${aws:username}/*"))
    assert _grants(inv)[(ANA, PAYROLL, "read")].conditional is True


def test_identity_center_path_user_group_permission_set_role_policy() -> None:
    read = policy("PayrollRead", allow("s3:GetObject", f"{PAYROLL}/*"))
    sso_role = role(
        "AWSReservedSSO_PayrollAnalyst_0123456789abcdef",
        doc(
            {
                "Effect": "Allow",
                "Principal": {"Federated": f"arn:aws:iam::{ACCOUNT}:saml-provider/AWSSSO"},
                "Action": "sts:AssumeRoleWithSAML",
            }
        ),
        read,
    )
    ps = PermissionSet("arn:aws:sso:::permissionSet/ssoins-1/ps-1", "PayrollAnalyst", (), (), None, None)
    center = IdentityCenter(
        "arn:aws:sso:::instance/ssoins-1",
        "d-123",
        users=(IdentityStoreUser("u-1", "ana", "Ana", "ana@dept.example.gov"),),
        groups=(IdentityStoreGroup("g-1", "analysts", ("u-1",)),),
        permission_sets=(ps,),
        assignments=(AccountAssignment(ACCOUNT, ps.arn, "GROUP", "g-1"),),
    )
    inv = inventory(account(roles=(sso_role,), policies=(read,), stores=(bucket(),)), identity_center=center)
    grant = _grants(inv)[("u-1", PAYROLL, "read")]
    assert [str(s) for s in grant.path] == [
        "group:analysts",
        "permission_set:PayrollAnalyst",
        f"role:{sso_role.name}",
        "policy:PayrollRead",
    ]
