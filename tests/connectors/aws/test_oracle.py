"""The oracle of the differential tests, checked before it is trusted: it is wired the way we think (a
misspelt input key would be ignored silently, e.g. a boundary that never applies), it gives AWS's documented
answer on the rules the differential tests lean on, and the requests we ask it cover every class of action
and key the generators can tell apart."""

from __future__ import annotations

import pytest

from connectors.aws.catalog import ActionCatalog
from tests.connectors.aws import differential_cases as dc
from tests.connectors.aws.oracle import IamOracle, OracleError
from tests.connectors.aws.oracle_levels import action_classes, glob, sample_keys, uncovered_classes
from tests.connectors.aws.oracle_requests import Caller, anonymous, documented_not_principal, simulation
from tests.data.aws.inventory import PAYROLL, account, bucket, doc, inventory

OBJECT = f"{PAYROLL}/report.csv"
ONLY_EC2 = doc({"Effect": "Allow", "Action": "ec2:*", "Resource": "*"})
READ_ALL = doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"})


def _grant(principal: object, effect: str = "Allow") -> dict:
    return doc(
        {"Effect": effect, "Principal": principal, "Action": "s3:GetObject", "Resource": f"{PAYROLL}/*"}
    )


def _decide(oracle: IamOracle, caller: Caller, policy: dict | None, owner: str = dc.A) -> str:
    inv = inventory(account(stores=(bucket(policy_doc=policy, account=owner),), account_id=owner))
    return oracle.decide(simulation(inv, caller, inv.accounts[0].stores[0], "s3:GetObject", OBJECT))


def _session(boundary: dict | None = None, identity: tuple[dict, ...] = ()) -> Caller:
    return Caller(dc.ALICE, dc.A, identity, boundary, (), (dc.root(dc.A), dc.CLERK, dc.ALICE))


def test_a_boundary_cuts_a_grant_to_the_role_but_not_to_its_session(iam_oracle: IamOracle) -> None:
    """AWS: "IAM role – Resource-based policies that grant permissions to an IAM role ARN are limited by an
    implicit deny in a permissions boundary or session policy." "Permissions granted directly to a session
    are not limited by an implicit deny in an identity-based policy, a permissions boundary, or session
    policy." (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-basics.html)"""
    assert _decide(iam_oracle, _session(), _grant({"AWS": dc.CLERK})) == "Allowed"
    assert _decide(iam_oracle, _session(ONLY_EC2), _grant({"AWS": dc.CLERK})) == "ImplicitlyDenied"
    assert _decide(iam_oracle, _session(ONLY_EC2), _grant({"AWS": dc.ALICE})) == "Allowed"


def test_across_accounts_both_sides_must_allow(iam_oracle: IamOracle) -> None:
    """AWS: "The request is allowed only if both evaluations return a decision of Allow."
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html)"""
    bob = Caller(dc.BOB, dc.B, (), None, (), (dc.root(dc.B), dc.BOB))
    reader = Caller(dc.BOB, dc.B, (READ_ALL,), None, (), (dc.root(dc.B), dc.BOB))
    assert _decide(iam_oracle, bob, _grant({"AWS": dc.BOB})) == "ImplicitlyDenied"
    assert _decide(iam_oracle, reader, None) == "ImplicitlyDenied"
    assert _decide(iam_oracle, reader, _grant({"AWS": dc.root(dc.B)})) == "Allowed"


def test_anyone_means_anonymous_callers_in_both_spellings(iam_oracle: IamOracle) -> None:
    """AWS: "For anonymous users, the following elements are equivalent: "Principal": "*" / "Principal" :
    { "AWS" : "*" }" (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html)"""
    assert _decide(iam_oracle, anonymous(), _grant("*")) == "Allowed"
    assert _decide(iam_oracle, anonymous(), _grant({"AWS": "*"})) == "Allowed"
    assert _decide(iam_oracle, anonymous(), _grant({"AWS": dc.root(dc.A)})) == "ImplicitlyDenied"


def test_a_not_principal_deny_always_denies_a_principal_with_a_boundary(iam_oracle: IamOracle) -> None:
    """AWS: "The NotPrincipal element with a Deny effect will always deny any IAM principal that has a
    permissions boundary policy attached, regardless of the values specified in the NotPrincipal element."
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html)"""
    deny = {"Effect": "Deny", "NotPrincipal": {"AWS": [dc.root(dc.A), dc.CLERK]}, "Action": "s3:*"}
    policy = doc({**deny, "Resource": f"{PAYROLL}/*"})
    assert _decide(iam_oracle, _session(identity=(READ_ALL,)), policy) == "Allowed"
    everything = doc({"Effect": "Allow", "Action": "*", "Resource": "*"})
    assert _decide(iam_oracle, _session(everything, (READ_ALL,)), policy) == "ExplicitlyDenied"


def test_naming_only_the_account_in_not_principal_exempts_nobody_of_it() -> None:
    """The documentation decides where iam-simulate does not: "When you use NotPrincipal, you must also
    specify the account ARN of the not-denied principal." (reference_policies_elements_notprincipal.html)"""
    policy = doc({"Effect": "Deny", "NotPrincipal": {"AWS": dc.A}, "Action": "s3:*", "Resource": "*"})
    rewritten = documented_not_principal(policy, _session())
    assert rewritten["Statement"][0]["NotPrincipal"] == {"AWS": ["arn:aws:iam::000000000000:root"]}
    listed = doc(
        {"Effect": "Deny", "NotPrincipal": {"AWS": [dc.A, dc.CLERK]}, "Action": "s3:*", "Resource": "*"}
    )
    assert documented_not_principal(listed, _session()) == listed


def test_a_refused_simulation_raises_with_the_oracle_reason(iam_oracle: IamOracle) -> None:
    caller = Caller(
        dc.ANA, dc.A, (doc({"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}),)
    )
    with pytest.raises(OracleError, match="Principal is not allowed in an identity policy"):
        _decide(iam_oracle, caller, None)


@pytest.mark.parametrize(
    "patterns",
    [dc.IDENTITY_RESOURCES, dc.PREFIX_RESOURCES + dc.BUCKET_RESOURCES, dc.SIMPLE_RESOURCES],
    ids=["identity", "prefixes", "simple"],
)
def test_sample_keys_cover_every_class_of_key_the_patterns_tell_apart(patterns: tuple[str, ...]) -> None:
    prefix = PAYROLL + "/"
    assert uncovered_classes(prefix, patterns) == set()
    keys = sample_keys(prefix, patterns)
    signatures = {frozenset(p for p in patterns if glob(p, prefix + k, ignore_case=False)) for k in keys}
    assert len(signatures) == len(keys)  # one key per class
    for key in ("report.csv", "private/a", "private/secrets/x", "public/a", "secrets/x", "xprivate/a"):
        assert frozenset(p for p in patterns if glob(p, prefix + key, ignore_case=False)) in signatures


def test_the_prefix_family_asks_about_each_kind_of_key() -> None:
    """Outside every prefix ("x"), in private/ (any depth, exactly one character deeper), under a secrets/
    level at the top, below private/ or deeper, and in a one-character variant of public/ ("?ublic")."""
    assert sample_keys(PAYROLL + "/", dc.PREFIX_RESOURCES + dc.BUCKET_RESOURCES) == (
        "a/secrets/",
        "private/",
        "private/secrets/",
        "private/x",
        "secrets/",
        "x",
        "xublic/",
        "xublic/secrets/",
    )


def test_actions_of_one_class_are_matched_alike_by_every_pattern() -> None:
    catalog = ActionCatalog()
    names = [n for n in catalog.actions if n.startswith("s3:")]
    representatives = action_classes(names, dc.ACTIONS)
    assert "s3:getobject" in representatives and "s3:putobject" in representatives
    by_signature = {frozenset(p for p in dc.ACTIONS if glob(p, n, ignore_case=True)) for n in names}
    assert len(representatives) == len(by_signature)
