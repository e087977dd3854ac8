"""Differential test: our evaluator (`effective_access`) against an independent one, iam-simulate (see
oracle.py for why that one), on hypothesis-generated policies, one test per family of IAM rules.

For every principal and level we hold it exactly when the oracle allows some action of that level on some
resource of the bucket (one request per class of action and of key: oracle_levels). A role acts through
sessions: it holds a level when some session may use it, and holds it conditionally (on the session name)
when not every session may: the oracle is asked for the session a policy may name and for one none names.
Principals beyond the accounts we read (anyone, an account we do not read, a partner's role) are compared
one way each: what we list must be allowed, and what the oracle allows must be listed, for the principal
itself or for one that includes it (the account of a partner's role; anyone). Conditions are left out: their
answer is "conditional", which the oracle has no notion of without a request context.

Families marked EVALUATOR_REWRITE fail on the evaluator issue 14 replaces (the lead removes the marks).
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tests.connectors.aws import differential_cases as dc
from tests.connectors.aws.differential_check import (
    BOUNDARIES,
    CATALOG,
    FAMILY,
    attached,
    check,
    clerk,
    public_subject,
    role_subject,
    user_subject,
)
from tests.connectors.aws.oracle import IamOracle
from tests.connectors.aws.oracle_levels import LevelProbe
from tests.data.aws.inventory import account, bucket, inventory, role, trust, user

# --- identity policies and permissions boundaries ---------------------------------------------------------

IDENTITY_PROBE = LevelProbe(CATALOG, dc.ACTIONS, dc.IDENTITY_RESOURCES)


@FAMILY
@given(
    st.lists(dc.documents(dc.ACTIONS, dc.IDENTITY_RESOURCES), min_size=1, max_size=3),
    st.none() | dc.documents(dc.ACTIONS, dc.IDENTITY_RESOURCES),
)
def test_identity_policies_and_boundaries(iam_oracle: IamOracle, policies, boundary) -> None:
    """AWS: "An entity's permissions boundary allows it to perform only the actions that are allowed by
    both its identity-based policies and its permissions boundaries."
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html)"""
    own = attached(*policies)
    bound = attached(boundary, prefix="boundary")
    ana = user("ana", policies=own, boundary=bound[0] if bound else None)
    inv = inventory(account(users=(ana,), policies=(*own, *bound), stores=(bucket(),)))
    check(iam_oracle, IDENTITY_PROBE, inv, [user_subject(inv, dc.ANA)])


# --- prefixes: bucket policies and Denies that cover part of the bucket -------------------------------------

PREFIX_PROBE = LevelProbe(CATALOG, dc.ACTIONS, dc.PREFIX_RESOURCES + dc.BUCKET_RESOURCES)
PREFIX_PRINCIPALS = [{"AWS": dc.ANA}, {"AWS": dc.root(dc.A)}, "*"]


@FAMILY
@given(
    st.lists(dc.documents(dc.ACTIONS, dc.PREFIX_RESOURCES), min_size=1, max_size=2),
    dc.bucket_policy(dc.resource_statement(PREFIX_PRINCIPALS)),
    st.sampled_from([(), ((dc.SCP_FULL, dc.SCP_DOCUMENTS[2]),)]),
)
def test_prefixes_and_partial_denies(iam_oracle: IamOracle, policies, bucket_doc, scps) -> None:
    """AWS: "If the enforcement code finds even one explicit deny that applies, the enforcement code
    returns a final decision of Deny." A Deny applies to the requests it matches, so a Deny on
    `payroll/private/*` leaves the rest of the bucket readable.
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html)"""
    own = attached(*policies)
    ana = user("ana", policies=own)
    inv = inventory(
        account(users=(ana,), policies=own, stores=(bucket(policy_doc=bucket_doc),), scp_levels=scps)
    )
    check(iam_oracle, PREFIX_PROBE, inv, [user_subject(inv, dc.ANA), public_subject()])


# --- across the two accounts we read ----------------------------------------------------------------------

CROSS_PROBE = LevelProbe(CATALOG, dc.S3_ACTIONS, dc.SIMPLE_RESOURCES)
CROSS_PRINCIPALS = [
    {"AWS": dc.root(dc.B)},
    {"AWS": dc.B},
    {"AWS": dc.BOB},
    {"AWS": dc.AUDITOR},
    {"AWS": dc.CAROL},
    {"AWS": dc.root(dc.A)},
    "*",
]


@FAMILY
@given(
    dc.documents(dc.S3_ACTIONS, dc.SIMPLE_RESOURCES, max_statements=2),
    dc.documents(dc.S3_ACTIONS, dc.SIMPLE_RESOURCES, max_statements=2),
    dc.bucket_policy(dc.resource_statement(CROSS_PRINCIPALS, resources=dc.SIMPLE_BUCKET_RESOURCES)),
    dc.scp_levels(),
)
def test_across_accounts_both_sides_must_allow(iam_oracle: IamOracle, bob_doc, auditor_doc, bucket_doc, scps):
    """AWS: "When you make a cross-account request, AWS performs two evaluations. AWS evaluates the request
    in the trusting account and the trusted account. [...] The request is allowed only if both
    evaluations return a decision of Allow."
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html)"""
    bob_policies = attached(bob_doc, account_id=dc.B, prefix="bob")
    auditor_policies = attached(auditor_doc, account_id=dc.B, prefix="auditor")
    auditor = role("auditor", trust({"Service": "lambda.amazonaws.com"}), *auditor_policies, account=dc.B)
    other = account(
        users=(user("bob", policies=bob_policies, account=dc.B),),
        roles=(auditor,),
        policies=(*bob_policies, *auditor_policies),
        scp_levels=scps,
        account_id=dc.B,
    )
    inv = inventory(account(stores=(bucket(policy_doc=bucket_doc),)), other)
    subjects = [
        user_subject(inv, dc.BOB),
        role_subject(inv, dc.AUDITOR, "carol", dc.OTHER_SESSION),
        public_subject(),
    ]
    check(iam_oracle, CROSS_PROBE, inv, subjects)


# --- users, roles and sessions named by a bucket policy, with and without a boundary ------------------------

KINDS_PROBE = LevelProbe(CATALOG, dc.S3_ACTIONS, dc.SIMPLE_RESOURCES)
KIND_PRINCIPALS = [{"AWS": dc.ANA}, {"AWS": dc.CLERK}, {"AWS": dc.ALICE}, {"AWS": dc.root(dc.A)}, "*"]


@FAMILY
@given(
    st.none() | dc.documents(dc.S3_ACTIONS, dc.SIMPLE_RESOURCES, max_statements=2),
    st.none() | dc.documents(dc.S3_ACTIONS, dc.SIMPLE_RESOURCES, max_statements=2),
    BOUNDARIES,
    BOUNDARIES,
    dc.bucket_policy(
        dc.resource_statement(
            KIND_PRINCIPALS, resources=dc.SIMPLE_BUCKET_RESOURCES, effects=("Allow", "Allow", "Allow", "Deny")
        )
    ),
)
def test_user_role_and_session_grants_against_boundaries(
    iam_oracle: IamOracle, ana_doc, clerk_doc, ana_boundary, clerk_boundary, bucket_doc
) -> None:
    """AWS: "Within the same account, resource-based policies that grant permissions to an IAM user ARN
    (that is not a federated user session) are not limited by an implicit deny in an identity-based
    policy or permissions boundary." "IAM role – Resource-based policies that grant permissions to an
    IAM role ARN are limited by an implicit deny in a permissions boundary or session policy." "Within
    the same account, resource-based policies that grant permissions to an IAM role session ARN grant
    permissions directly to the assumed role session. Permissions granted directly to a session are not
    limited by an implicit deny in an identity-based policy, a permissions boundary, or session policy."
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-basics.html)"""
    ana_policies = attached(ana_doc, prefix="ana")
    clerk_policies = attached(clerk_doc, prefix="clerk")
    bounds = attached(ana_boundary, prefix="ana-boundary") + attached(clerk_boundary, prefix="clerk-boundary")
    ana_bound = next((b for b in bounds if b.name.startswith("ana")), None)
    clerk_bound = next((b for b in bounds if b.name.startswith("clerk")), None)
    inv = inventory(
        account(
            users=(user("ana", policies=ana_policies, boundary=ana_bound),),
            roles=(clerk(*clerk_policies, boundary=clerk_bound),),
            policies=(*ana_policies, *clerk_policies, *bounds),
            stores=(bucket(policy_doc=bucket_doc),),
        )
    )
    subjects = [
        user_subject(inv, dc.ANA),
        role_subject(inv, dc.CLERK, "alice", dc.OTHER_SESSION),
        public_subject(),
    ]
    check(iam_oracle, KINDS_PROBE, inv, subjects)
