"""Differential test: our evaluator against PMapper on generated identity policies (with and without a
permissions boundary). For every level, we hold it exactly when PMapper allows one of that level's actions
on the bucket or on an object in it. Conditions are left out: PMapper needs a request context for them,
and our answer to a condition is "conditional", which it has no notion of.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.aws.access import effective_access
from connectors.aws.catalog import ActionCatalog, targets
from reviews.entitlements import AccessLevel
from tests.connectors.aws.oracle import oracle_allows, oracle_node
from tests.data.aws.inventory import ANA_ARN, PAYROLL, account, bucket, inventory, policy, user

CATALOG = ActionCatalog()
ACTIONS = [
    "s3:GetObject",
    "s3:Get*",
    "s3:*",
    "s3:List*",
    "s3:PutObject",
    "s3:Put*",
    "*",
    "s3:?etObject",
    "dynamodb:*",
    "s3:DeleteBucketPolicy",
    "iam:*",
    "s3:*Acl",
    "S3:getobject",
]
RESOURCES = [
    "*",
    PAYROLL,
    f"{PAYROLL}/*",
    "arn:aws:s3:::pay*",
    "arn:aws:s3:::other/*",
    "arn:aws:s3:::*/*",
    "arn:aws:s3:::payrol?",
]

statement = st.builds(
    lambda effect, action_key, actions, resource_key, resources: {
        "Effect": effect,
        action_key: actions,
        resource_key: resources,
    },
    st.sampled_from(["Allow", "Allow", "Deny"]),
    st.sampled_from(["Action", "Action", "NotAction"]),
    st.lists(st.sampled_from(ACTIONS), min_size=1, max_size=3, unique=True),
    st.sampled_from(["Resource", "Resource", "NotResource"]),
    st.lists(st.sampled_from(RESOURCES), min_size=1, max_size=2, unique=True),
)
document = st.lists(statement, min_size=1, max_size=3).map(
    lambda s: {"Version": "2012-10-17", "Statement": s}
)


def _oracle_levels(policies: list[dict[str, Any]], boundary: dict[str, Any] | None) -> set[str]:
    node = oracle_node(ANA_ARN, policies, boundary)
    held = set()
    for target in targets("s3_bucket", PAYROLL):
        resource = target.arn + "report.csv" if target.children else target.arn
        relevant = CATALOG.target_mask(target.service, target.resource_types)
        for level in AccessLevel:
            if level in held:
                continue
            for action in CATALOG.names(relevant & CATALOG.level_mask(level)):
                if oracle_allows(node, action, resource):
                    held.add(level)
                    break
    return {str(level) for level in held}


def _our_levels(policies: list[dict[str, Any]], boundary: dict[str, Any] | None) -> set[str]:
    managed = tuple(policy(f"p{i}", *doc["Statement"]) for i, doc in enumerate(policies))
    bound = policy("boundary", *boundary["Statement"]) if boundary else None
    inv = inventory(
        account(
            users=(user("ana", policies=managed, boundary=bound),),
            policies=(*managed, *((bound,) if bound else ())),
            stores=(bucket(),),
        )
    )
    return {str(g.access) for g in effective_access(inv, CATALOG).grants if g.principal_id == ANA_ARN}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(document, min_size=1, max_size=3), st.none() | document)
def test_levels_agree_with_principalmapper(
    policies: list[dict[str, Any]], boundary: dict[str, Any] | None
) -> None:
    assert _our_levels(policies, boundary) == _oracle_levels(policies, boundary)
