"""Properties of AWS's evaluation logic that hold for every policy (hypothesis, derandomized so the run is
reproducible): an explicit Deny only takes away, and the order of statements or of principals changes
nothing.

R1.1: "If the enforcement code finds even one explicit deny that applies, the enforcement code returns a
final decision of Deny. If there is no explicit deny, the enforcement code evaluation continues." —
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html
Nothing in the evaluation logic depends on the position of a statement in a policy or of a user in an
account: "AWS evaluates all the permissions granted by the identity-based and resource-based policies" —
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.connectors.aws.rules_support import decide, evaluate
from tests.data.aws.inventory import (
    ACCOUNT,
    ANA_ARN,
    OTHER,
    PAYROLL,
    account,
    allow,
    bucket,
    doc,
    inventory,
    policy,
    role,
    root,
    session_arn,
    trust,
    user,
)

BEN_ARN = f"arn:aws:iam::{ACCOUNT}:user/ben"
EVE_ARN = f"arn:aws:iam::{OTHER}:user/eve"
ANALYST = f"arn:aws:iam::{ACCOUNT}:role/analyst"
PRINCIPALS: list[Any] = [
    "*",
    {"AWS": ANA_ARN},
    {"AWS": BEN_ARN},
    {"AWS": root()},
    {"AWS": ANALYST},
    {"AWS": session_arn("analyst", "ana")},
    {"AWS": EVE_ARN},
    {"AWS": OTHER},
    {"AWS": "999988887777"},
    {"Service": "cloudtrail.amazonaws.com"},
]
ACTIONS = ["s3:GetObject", "s3:ListBucket", "s3:PutObject", "s3:*", "s3:Get*", "s3:PutBucketPolicy"]
RESOURCES = [PAYROLL, f"{PAYROLL}/*", f"{PAYROLL}/private/*", f"{PAYROLL}/public/*"]
CONDITIONS: list[dict[str, Any] | None] = [
    None,
    {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}},
    {"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}},
]
REQUESTS = [
    (principal, action, resource)
    for principal in (ANA_ARN, BEN_ARN, EVE_ARN, session_arn("analyst", "ana"), "*", root("999988887777"))
    for action, resource in (
        ("s3:GetObject", f"{PAYROLL}/private/a"),
        ("s3:GetObject", f"{PAYROLL}/public/a"),
        ("s3:ListBucket", PAYROLL),
        ("s3:PutObject", f"{PAYROLL}/x"),
    )
]


def _statement(
    effect: str, principal: Any, not_principal: bool, actions, resources, condition
) -> dict[str, Any]:
    found = {"Effect": effect, "NotPrincipal" if not_principal else "Principal": principal}
    found |= {"Action": actions, "Resource": resources}
    if condition is not None:
        found["Condition"] = condition
    return found


def _statements(effects: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.builds(
        _statement,
        st.sampled_from(effects),
        st.sampled_from(PRINCIPALS),
        st.just(False),
        st.lists(st.sampled_from(ACTIONS), min_size=1, max_size=2, unique=True),
        st.lists(st.sampled_from(RESOURCES), min_size=1, max_size=2, unique=True),
        st.sampled_from(CONDITIONS),
    )


statements = _statements(["Allow", "Allow", "Deny"])
denies = _statements(["Deny"])
identity = st.lists(st.sampled_from(ACTIONS), max_size=2, unique=True)


def _world(bucket_statements, ana_may, ben_may, eve_may, *, ben_first=False):
    reads = {
        name: policy(f"{name}-reads", allow(actions, "*"), account=acct)
        for name, actions, acct in (
            ("ana", ana_may, ACCOUNT),
            ("ben", ben_may, ACCOUNT),
            ("eve", eve_may, OTHER),
        )
        if actions
    }
    mine = tuple(p for n, p in reads.items() if n != "eve")
    ana = user("ana", policies=tuple(p for n, p in reads.items() if n == "ana"))
    ben = user("ben", policies=tuple(p for n, p in reads.items() if n == "ben"))
    eve_policies = tuple(p for n, p in reads.items() if n == "eve")
    analyst = role("analyst", trust({"AWS": root()}), *(p for n, p in reads.items() if n == "ana"))
    store = bucket(policy_doc=doc(*bucket_statements) if bucket_statements else None)
    return inventory(
        account(
            users=(ben, ana) if ben_first else (ana, ben), roles=(analyst,), policies=mine, stores=(store,)
        ),
        account(
            users=(user("eve", policies=eve_policies, account=OTHER),),
            policies=eve_policies,
            account_id=OTHER,
        ),
    )


def _held(inv) -> dict[tuple[str, str, str], bool]:
    """(principal, store, level) -> held unconditionally."""
    return {
        (g.principal_provider_id, g.store_provider_id, str(g.access)): not g.conditional
        for g in evaluate(inv).grants
    }


def _decisions(inv) -> list[tuple[bool, bool]]:
    return [tuple(decide(inv, *request)[:2]) for request in REQUESTS]  # type: ignore[misc]


PROPERTY = settings(
    max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
DENY_BEN = {
    "Effect": "Deny",
    "Principal": {"AWS": BEN_ARN},
    "Action": "s3:*",
    "Resource": [PAYROLL, f"{PAYROLL}/*"],
}


@PROPERTY
@given(st.lists(statements, min_size=1, max_size=4), identity, identity, identity, st.data())
def test_adding_a_deny_never_adds_access(policy_statements, ana_may, ben_may, eve_may, data) -> None:
    """R1.1: a Deny can only turn an Allow into a Deny. Whatever the policy, adding a Deny statement to it
    gives nobody a level they did not hold, nor makes a conditional level certain, nor allows a request."""
    extra = data.draw(denies)
    before = _world(policy_statements, ana_may, ben_may, eve_may)
    after = _world([*policy_statements, extra], ana_may, ben_may, eve_may)
    held_before, held_after = _held(before), _held(after)
    for key, certain in held_after.items():
        assert key in held_before, key
        assert held_before[key] or not certain, key
    for request, (was, now) in zip(
        REQUESTS, zip(_decisions(before), _decisions(after), strict=True), strict=True
    ):
        assert was[0] or not now[0], request


@PROPERTY
@given(st.lists(statements, min_size=2, max_size=4), identity, identity, identity, st.randoms())
def test_the_order_of_statements_changes_nothing(policy_statements, ana_may, ben_may, eve_may, rng) -> None:
    """Statements are evaluated all together, never in order: shuffling a bucket policy's statements changes
    no level held and no decision (paths may name another statement that grants the same)."""
    shuffled = list(policy_statements)
    rng.shuffle(shuffled)
    first = _world(policy_statements, ana_may, ben_may, eve_may)
    second = _world(shuffled, ana_may, ben_may, eve_may)
    assert _held(first) == _held(second)
    assert _decisions(first) == _decisions(second)


@PROPERTY
@example([DENY_BEN], ["s3:*"], ["s3:*"], [])
@given(st.lists(statements, min_size=1, max_size=4), identity, identity, identity)
def test_the_order_of_users_in_an_account_changes_nothing(
    policy_statements, ana_may, ben_may, eve_may
) -> None:
    """Who holds what cannot depend on the order in which an account lists its users. The explicit example is
    the minimal counterexample found: a bucket policy Deny naming Ben, both users allowed s3:* by IAM."""
    assert _held(_world(policy_statements, ana_may, ben_may, eve_may)) == _held(
        _world(policy_statements, ana_may, ben_may, eve_may, ben_first=True)
    )
