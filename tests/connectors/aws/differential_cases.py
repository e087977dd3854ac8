"""Hypothesis strategies for the differential test: policies drawn from small alphabets of actions,
resources and principals, so that the oracle's answer can be read off one request per class of action and of
object key (see oracle_levels). Every alphabet a family draws from is also what its LevelProbe is built from.

Three accounts: A (111122223333, owns the bucket `payroll`) and B (444455556666) are both read; X
(999988887777) is not, and appears only as named in the bucket policy.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from connectors.aws.inventory import ManagedPolicy
from tests.connectors.aws.oracle_requests import session_arn
from tests.data.aws.inventory import ACCOUNT, ANA_ARN, OTHER, PAYROLL, doc, policy

A, B, X = ACCOUNT, OTHER, "999988887777"
ANA = ANA_ARN
BOB = f"arn:aws:iam::{B}:user/bob"
CLERK = f"arn:aws:iam::{A}:role/clerk"
ALICE = session_arn(CLERK, "alice")  # the session name a bucket policy may name
AUDITOR = f"arn:aws:iam::{B}:role/auditor"
CAROL = session_arn(AUDITOR, "carol")
PARTNER = f"arn:aws:iam::{X}:role/partner"
OTHER_SESSION = "someone-else"  # a session name no policy names


def root(account: str) -> str:
    return f"arn:aws:iam::{account}:root"


# --- alphabets --------------------------------------------------------------------------------------------

ACTIONS = (
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
)
S3_ACTIONS = tuple(a for a in ACTIONS if a.lower().startswith("s3:"))
IDENTITY_RESOURCES = (
    "*",
    PAYROLL,
    f"{PAYROLL}/*",
    "arn:aws:s3:::pay*",
    "arn:aws:s3:::other/*",
    "arn:aws:s3:::*/*",
    "arn:aws:s3:::payrol?",
)
# Prefixes: a Deny that covers part of the bucket, patterns across buckets, `?` standing for one character.
PREFIX_RESOURCES = (
    "*",
    PAYROLL,
    f"{PAYROLL}/*",
    f"{PAYROLL}/private/*",
    "arn:aws:s3:::*/secrets/*",
    f"{PAYROLL}/?ublic/*",
    f"{PAYROLL}/private/?",
)
BUCKET_RESOURCES = (  # a bucket policy may only name its own bucket
    PAYROLL,
    f"{PAYROLL}/*",
    f"{PAYROLL}/private/*",
    f"{PAYROLL}/?ublic/*",
    f"{PAYROLL}/private/?",
    f"{PAYROLL}/*/secrets/*",
)
SIMPLE_RESOURCES = ("*", PAYROLL, f"{PAYROLL}/*", f"{PAYROLL}/private/*")
SIMPLE_BUCKET_RESOURCES = (PAYROLL, f"{PAYROLL}/*", f"{PAYROLL}/private/*")

# --- statements and documents -----------------------------------------------------------------------------


def identity_statement(actions: tuple[str, ...], resources: tuple[str, ...]) -> st.SearchStrategy[dict]:
    return st.builds(
        lambda effect, action_key, acts, resource_key, res: {
            "Effect": effect,
            action_key: acts,
            resource_key: res,
        },
        st.sampled_from(["Allow", "Allow", "Deny"]),
        st.sampled_from(["Action", "Action", "NotAction"]),
        st.lists(st.sampled_from(actions), min_size=1, max_size=3, unique=True),
        st.sampled_from(["Resource", "Resource", "NotResource"]),
        st.lists(st.sampled_from(resources), min_size=1, max_size=2, unique=True),
    )


def documents(
    actions: tuple[str, ...], resources: tuple[str, ...], max_statements: int = 3
) -> st.SearchStrategy[dict]:
    return st.lists(identity_statement(actions, resources), min_size=1, max_size=max_statements).map(
        lambda statements: doc(*statements)
    )


def resource_statement(
    principals: list[Any],
    actions: tuple[str, ...] = S3_ACTIONS,
    resources: tuple[str, ...] = BUCKET_RESOURCES,
    effects: tuple[str, ...] = ("Allow", "Allow", "Deny"),
) -> st.SearchStrategy[dict]:
    return st.builds(
        lambda effect, principal, acts, resource_key, res: {
            "Effect": effect,
            "Principal": principal,
            "Action": acts,
            resource_key: res,
        },
        st.sampled_from(effects),
        st.sampled_from(principals),
        st.lists(st.sampled_from(actions), min_size=1, max_size=2, unique=True),
        st.sampled_from(["Resource", "Resource", "Resource", "NotResource"]),
        st.lists(st.sampled_from(resources), min_size=1, max_size=2, unique=True),
    )


def bucket_policy(statement: st.SearchStrategy[dict], max_size: int = 3) -> st.SearchStrategy[dict | None]:
    return st.none() | st.lists(statement, min_size=1, max_size=max_size).map(lambda s: doc(*s))


def not_principal_list() -> st.SearchStrategy[dict]:
    """A NotPrincipal element as the documentation asks it to be written: a principal is listed with its
    account (and a session with its role); listing an account alone is allowed (it exempts nobody)."""

    def close(names: set[str]) -> dict[str, list[str]]:
        names = set(names)
        if ALICE in names:
            names.add(CLERK)
        for name in list(names):
            if not name.endswith(":root"):
                names.add(root(name.split(":")[4]))
        return {"AWS": sorted(names)}

    options = [ANA, CLERK, ALICE, BOB, root(A), root(B)]
    return st.sets(st.sampled_from(options), min_size=1, max_size=3).map(close)


# --- control policies ---------------------------------------------------------------------------------


def managed(name: str, document: dict, account: str = A) -> ManagedPolicy:
    return policy(name, *document["Statement"], account=account)


SCP_FULL = doc({"Effect": "Allow", "Action": "*", "Resource": "*"})
SCP_DOCUMENTS = (
    SCP_FULL,
    doc({"Effect": "Allow", "Action": ["s3:Get*", "s3:List*"], "Resource": "*"}),
    doc({"Effect": "Deny", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::*/secrets/*"}),
    doc({"Effect": "Deny", "Action": "s3:Put*", "Resource": "*"}),
    doc({"Effect": "Allow", "Action": "s3:*", "NotResource": f"{PAYROLL}/private/*"}),
)
RCP_DENIALS = (
    doc({"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": f"{PAYROLL}/private/*"}),
    doc({"Effect": "Deny", "Principal": "*", "Action": "s3:Put*", "Resource": "*"}),
    doc({"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::*/secrets/*"}),
)
SCP_RESOURCES = ("*", "arn:aws:s3:::*/secrets/*", f"{PAYROLL}/private/*")
RCP_RESOURCES = (f"{PAYROLL}/private/*", "*", "arn:aws:s3:::*/secrets/*")


def scp_levels() -> st.SearchStrategy[tuple[tuple[dict, ...], ...]]:
    """Root first; each level one or two SCPs (an empty tuple: Organizations not in use)."""
    level = st.lists(st.sampled_from(SCP_DOCUMENTS), min_size=1, max_size=2, unique_by=id).map(tuple)
    return st.just(()) | st.lists(level, min_size=1, max_size=3).map(tuple)


def rcp_levels() -> st.SearchStrategy[tuple[tuple[dict, ...], ...]]:
    level = st.lists(st.sampled_from(RCP_DENIALS), max_size=1, unique_by=id).map(tuple)
    return st.just(()) | st.lists(level, min_size=1, max_size=2).map(tuple)
