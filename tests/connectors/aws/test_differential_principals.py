"""Differential test, continued (see test_differential.py for the method): NotPrincipal, principals beyond
the accounts we read, and service and resource control policies."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tests.connectors.aws import differential_cases as dc
from tests.connectors.aws.differential_check import (
    BOUNDARIES,
    CATALOG,
    FAMILY,
    PUBLIC,
    Subject,
    attached,
    check,
    clerk,
    public_subject,
    role_subject,
    user_subject,
)
from tests.connectors.aws.oracle import IamOracle
from tests.connectors.aws.oracle_levels import LevelProbe
from tests.connectors.aws.oracle_requests import outsider, partner_session, with_rcps
from tests.data.aws.inventory import PAYROLL, account, bucket, inventory, user

# --- NotPrincipal ------------------------------------------------------------------------------------------

NOT_PRINCIPAL_PROBE = LevelProbe(CATALOG, dc.S3_ACTIONS, dc.SIMPLE_RESOURCES)
GRANTEES = [{"AWS": dc.ANA}, {"AWS": dc.CLERK}, {"AWS": dc.root(dc.A)}, {"AWS": dc.root(dc.B)}, "*"]
_NOT_PRINCIPAL_DENY = st.builds(
    lambda names, actions, resources: {
        "Effect": "Deny",
        "NotPrincipal": names,
        "Action": actions,
        "Resource": resources,
    },
    dc.not_principal_list(),
    st.lists(st.sampled_from(dc.S3_ACTIONS), min_size=1, max_size=2, unique=True),
    st.lists(st.sampled_from(dc.SIMPLE_BUCKET_RESOURCES), min_size=1, max_size=2, unique=True),
)


@FAMILY
@given(
    dc.documents(dc.S3_ACTIONS, dc.SIMPLE_RESOURCES, max_statements=2),
    st.lists(
        dc.resource_statement(GRANTEES, resources=dc.SIMPLE_BUCKET_RESOURCES, effects=("Allow",)), max_size=2
    ),
    st.lists(_NOT_PRINCIPAL_DENY, min_size=1, max_size=2),
    BOUNDARIES,
    BOUNDARIES,
)
def test_not_principal_denies(iam_oracle: IamOracle, identity, grants, denials, ana_boundary, clerk_boundary):
    """AWS: "When you use NotPrincipal, you must also specify the account ARN of the not-denied principal.
    Otherwise, the policy might deny access to the entire account containing the principal." "The
    NotPrincipal element with a Deny effect will always deny any IAM principal that has a permissions
    boundary policy attached, regardless of the values specified in the NotPrincipal element."
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html)
    Where iam-simulate exempts a principal whose account alone is listed, the documentation decides
    (oracle_requests.documented_not_principal)."""
    ana_policies = attached(identity, prefix="ana")
    clerk_policies = attached(identity, prefix="clerk")
    bob_policies = attached(identity, account_id=dc.B, prefix="bob")
    ana_bound = attached(ana_boundary, prefix="ana-boundary")
    clerk_bound = attached(clerk_boundary, prefix="clerk-boundary")
    inv = inventory(
        account(
            users=(user("ana", policies=ana_policies, boundary=ana_bound[0] if ana_bound else None),),
            roles=(clerk(*clerk_policies, boundary=clerk_bound[0] if clerk_bound else None),),
            policies=(*ana_policies, *clerk_policies, *ana_bound, *clerk_bound),
            stores=(bucket(policy_doc=dc.doc(*grants, *denials)),),
        ),
        account(
            users=(user("bob", policies=bob_policies, account=dc.B),), policies=bob_policies, account_id=dc.B
        ),
    )
    subjects = [
        user_subject(inv, dc.ANA),
        role_subject(inv, dc.CLERK, "alice", dc.OTHER_SESSION),
        user_subject(inv, dc.BOB),
        public_subject(),
    ]
    check(iam_oracle, NOT_PRINCIPAL_PROBE, inv, subjects)


# --- anyone, and accounts we do not read ------------------------------------------------------------------

PUBLIC_PROBE = LevelProbe(CATALOG, dc.S3_ACTIONS, dc.SIMPLE_RESOURCES)
OUTSIDE_PRINCIPALS = [
    "*",
    {"AWS": "*"},
    {"AWS": dc.root(dc.X)},
    {"AWS": dc.X},
    {"AWS": dc.PARTNER},
    {"AWS": dc.root(dc.A)},
    {"AWS": [dc.root(dc.X), dc.ANA]},
]


@FAMILY
@given(
    st.none() | dc.documents(dc.S3_ACTIONS, dc.SIMPLE_RESOURCES, max_statements=2),
    st.lists(
        dc.resource_statement(OUTSIDE_PRINCIPALS, resources=dc.SIMPLE_BUCKET_RESOURCES),
        min_size=1,
        max_size=3,
    ),
)
def test_public_and_external_principals(iam_oracle: IamOracle, identity, statements) -> None:
    """AWS: "For resource-based policies, using a wildcard (*) with an Allow effect grants access to all
    users, including anonymous users (public access). [...] For anonymous users, the following elements
    are equivalent: "Principal": "*" / "Principal" : { "AWS" : "*" }" and an account principal
    "delegates authority to the account"
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html). An
    account we do not read is compared through one of its principals whose own policies allow
    everything: the most that account can do with what the bucket policy gives it."""
    ana_policies = attached(identity, prefix="ana")
    inv = inventory(
        account(
            users=(user("ana", policies=ana_policies),),
            policies=ana_policies,
            stores=(bucket(policy_doc=dc.doc(*statements)),),
        )
    )
    subjects = [
        user_subject(inv, dc.ANA),
        public_subject(),
        Subject(dc.root(dc.X), (outsider(dc.X),), covered_by=(PUBLIC,)),
        Subject(dc.PARTNER, (partner_session(dc.PARTNER),), covered_by=(dc.root(dc.X), PUBLIC)),
    ]
    check(iam_oracle, PUBLIC_PROBE, inv, subjects)


# --- service and resource control policies ----------------------------------------------------------------

CONTROL_PROBE = LevelProbe(CATALOG, dc.S3_ACTIONS, dc.SIMPLE_RESOURCES + dc.SCP_RESOURCES + dc.RCP_RESOURCES)
CONTROL_BUCKET_POLICY = dc.doc(
    {"Effect": "Allow", "Principal": {"AWS": dc.root(dc.B)}, "Action": "s3:*", "Resource": f"{PAYROLL}/*"},
    {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"{PAYROLL}/*"},
)


@FAMILY
@given(
    dc.documents(dc.S3_ACTIONS, dc.SIMPLE_RESOURCES, max_statements=2),
    dc.scp_levels(),
    dc.scp_levels(),
    dc.rcp_levels(),
    st.booleans(),
)
def test_service_and_resource_control_policies(iam_oracle: IamOracle, identity, scps_a, scps_b, rcps, shared):
    """AWS: "For a permission to be allowed for a specific account, there must be an explicit Allow
    statement at every level from the root through each OU in the direct path to the account (including
    the target account itself)."
    (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html)
    "That RCP applies to the S3 bucket in Account A even when accessed by users from Account B."
    (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html)"""
    ana_policies = attached(identity, prefix="ana")
    bob_policies = attached(identity, account_id=dc.B, prefix="bob")
    owner = account(
        users=(user("ana", policies=ana_policies),),
        policies=ana_policies,
        stores=(bucket(policy_doc=CONTROL_BUCKET_POLICY if shared else None),),
        scp_levels=scps_a,
    )
    other = account(
        users=(user("bob", policies=bob_policies, account=dc.B),),
        policies=bob_policies,
        scp_levels=scps_b,
        account_id=dc.B,
    )
    inv = inventory(with_rcps(owner, *rcps), other)
    check(
        iam_oracle,
        CONTROL_PROBE,
        inv,
        [user_subject(inv, dc.ANA), user_subject(inv, dc.BOB), public_subject()],
    )
