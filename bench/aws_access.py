"""Effective-access computation at department scale, and the oracle's speed on the same data.

    .venv/bin/python -m bench.aws_access [--seed 7] [--oracle-sample 3000] [--no-baseline] [--worst-case]

Builds a synthetic account as `fetch` would return it (5,000 principals: 4,000 users and 1,000 roles, a third
of them trusting the whole account; 500 groups; 2,000 customer policies; 300 personal-data stores, half of the
buckets with bucket policies; two SCP levels) and, since issue 14, 20 % of the stores with exposure policies
and access points (bench/aws_exposure.py), then times the full computation from authorization details to
grants. Target (issue 14): at most 20 s and a peak resident size under 1 GB on the 2-core machine, and at least
as many decisions per second as the evaluator had before: that one (bench/baseline.py, taken from the
repository's history) is run on the same data in its own process, and both are printed. The oracle of the
differential tests (iam-simulate, run by Node.js) is timed on a sample of single decisions (one principal, one
action, one resource) of the same data.
"""

from __future__ import annotations

import argparse
import random
import resource
import time
from typing import Any

from bench import baseline
from bench.aws_exposure import EXTERNAL_ACCOUNTS, ORG_ID, enrich
from connectors.aws.access import effective_access
from connectors.aws.catalog import ActionCatalog
from connectors.aws.inventory import (
    AccountInventory,
    AwsInventory,
    IamGroup,
    IamRole,
    IamUser,
    ManagedPolicy,
    Organization,
    StoreResource,
)
from reviews.clock import SystemClock

ACCOUNT = "111122223333"
TAGS = (("data-classification", "personal"), ("data-owner", "owner@dept.example.gov"))


# Policy mix: (share, kind). The default is a department where broad policies are rare; --worst-case makes
# 15% of policies broad (admin-like NotAction, s3:* on *), so almost every principal reaches almost every store.
REALISTIC = {
    "read_bucket": 0.40,
    "write_table": 0.22,
    "prefix_read": 0.08,
    "s3_all": 0.01,
    "deny_mix": 0.10,
    "conditional": 0.07,
    "not_action": 0.01,
    "assume": 0.05,
    "unrelated": 0.06,
}
WORST_CASE = {
    "read_bucket": 0.35,
    "write_table": 0.20,
    "prefix_read": 0.10,
    "s3_all": 0.05,
    "deny_mix": 0.10,
    "conditional": 0.05,
    "not_action": 0.05,
    "assume": 0.05,
    "unrelated": 0.05,
}


def build(seed: int, mix: dict[str, float] = REALISTIC) -> AwsInventory:
    rng = random.Random(seed)
    buckets = [f"dept-{rng.choice('abcde')}-data-{i}" for i in range(200)]
    tables = [f"cases-{i}" for i in range(100)]
    stores = [
        StoreResource(f"arn:aws:s3:::{b}", "s3_bucket", b, ACCOUNT, "", TAGS, _bucket_policy(rng, b))
        for b in buckets
    ]
    stores += [
        StoreResource(
            f"arn:aws:dynamodb:eu-west-2:{ACCOUNT}:table/{t}",
            "dynamodb_table",
            t,
            ACCOUNT,
            "eu-west-2",
            TAGS,
            None,
        )
        for t in tables
    ]
    kinds = list(mix)
    policies = [
        _policy(rng, i, rng.choices(kinds, weights=[mix[k] for k in kinds])[0], buckets, tables)
        for i in range(2_000)
    ]
    arns = [p.arn for p in policies]
    groups = [
        IamGroup(
            f"arn:aws:iam::{ACCOUNT}:group/g{i}", f"g{i}", tuple(rng.sample(arns, rng.randint(1, 4))), ()
        )
        for i in range(500)
    ]
    users = [
        IamUser(
            f"arn:aws:iam::{ACCOUNT}:user/u{i}",
            f"u{i}",
            f"AIDU{i}",
            None,
            tuple(g.name for g in rng.sample(groups, rng.randint(1, 3))),
            tuple(rng.sample(arns, rng.randint(0, 2))),
            (),
            arns[i % 50] if i % 10 == 0 else None,
            (),
            None,
            (),
        )
        for i in range(4_000)
    ]
    roles = [
        IamRole(
            f"arn:aws:iam::{ACCOUNT}:role/r{i}",
            f"r{i}",
            None,
            _trust(rng, i),
            tuple(rng.sample(arns, rng.randint(1, 3))),
            (),
            None,
            (),
            None,
            None,
        )
        for i in range(1_000)
    ]
    scp = ({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]},)
    guard = ({"Statement": [{"Effect": "Deny", "Action": "s3:PutBucketPublicAccessBlock", "Resource": "*"}]},)
    stores = enrich(random.Random(seed + 1), stores, ACCOUNT)  # its own generator: the rest stays as before
    account = AccountInventory(
        ACCOUNT, tuple(users), tuple(groups), tuple(roles), tuple(policies), tuple(stores), (scp, scp + guard)
    )
    organization = Organization(ORG_ID, ACCOUNT, ((ACCOUNT, "department"),))
    return AwsInventory(SystemClock().now(), (account,), organization=organization)


def _policy(rng: random.Random, i: int, kind: str, buckets: list[str], tables: list[str]) -> ManagedPolicy:
    bucket, table = rng.choice(buckets), rng.choice(tables)
    table_arn = f"arn:aws:dynamodb:eu-west-2:{ACCOUNT}:table/{table}"
    statements = {
        "read_bucket": lambda: [
            _s(
                "Allow",
                ["s3:GetObject", "s3:ListBucket"],
                [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
            )
        ],
        "write_table": lambda: [
            _s(
                "Allow",
                ["dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem"],
                [table_arn, f"{table_arn}/index/*"],
            )
        ],
        "prefix_read": lambda: [_s("Allow", "s3:Get*", f"arn:aws:s3:::dept-{rng.choice('abcde')}-*")],
        "s3_all": lambda: [_s("Allow", "s3:*", "*")],
        "deny_mix": lambda: [
            _s("Allow", "s3:*", f"arn:aws:s3:::{bucket}/*"),
            _s("Deny", "s3:DeleteObject", "*"),
        ],
        "conditional": lambda: [
            _s("Allow", "dynamodb:*", table_arn, Condition={"Bool": {"aws:SecureTransport": "true"}})
        ],
        "not_action": lambda: [
            {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*"], "Resource": "*"}
        ],
        "assume": lambda: [
            _s("Allow", "sts:AssumeRole", f"arn:aws:iam::{ACCOUNT}:role/r{rng.randint(0, 999)}")
        ],
        "unrelated": lambda: [_s("Allow", ["ec2:Describe*", "logs:*"], "*")],
    }[kind]()
    name = f"p{i}"
    return ManagedPolicy(
        f"arn:aws:iam::{ACCOUNT}:policy/{name}",
        name,
        {"Version": "2012-10-17", "Statement": statements},
        False,
    )


def _s(effect: str, action: Any, resource: Any, **extra: Any) -> dict[str, Any]:
    return {"Effect": effect, "Action": action, "Resource": resource, **extra}


def _trust(rng: random.Random, i: int) -> dict[str, Any]:
    if i % 3 == 0:
        principal: dict[str, Any] = {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
    elif i % 3 == 1:
        principal = {"AWS": [f"arn:aws:iam::{ACCOUNT}:user/u{rng.randint(0, 3999)}" for _ in range(3)]}
    else:
        principal = {"Service": "lambda.amazonaws.com"}
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}],
    }


def _bucket_policy(rng: random.Random, bucket: str) -> dict[str, Any] | None:
    if rng.random() < 0.5:
        return None
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/r{rng.randint(0, 999)}"},
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket}/*",
            },
        ],
    }


def time_oracle(inventory: AwsInventory, sample: int, seed: int) -> float:
    """Single (caller, action, resource) decisions/s of the oracle on requests drawn from the same account:
    users (with their groups and boundaries), role sessions, an anonymous caller and outside principals,
    half of them against the exposed buckets (resource policies with prefixes, public and external
    statements). Access-point requests are left out: iam-simulate has no access-point logic."""
    from tests.connectors.aws.oracle import (
        IamOracle,  # test-only dependency (Node.js; installed on first use)
    )
    from tests.connectors.aws.oracle_requests import (
        anonymous,
        outsider,
        partner_session,
        role_callers,
        simulation,
        user_caller,
    )

    account = inventory.accounts[0]
    rng = random.Random(seed)
    callers = [user_caller(inventory, u.arn) for u in rng.sample(list(account.users), 200)]
    callers += [
        c for r in rng.sample(list(account.roles), 50) for c in role_callers(inventory, r.arn, ("alice",))
    ]
    callers += [
        anonymous(),
        outsider(EXTERNAL_ACCOUNTS[0]),
        partner_session(f"arn:aws:iam::{EXTERNAL_ACCOUNTS[1]}:role/partner-3"),
    ]
    exposed = [s for s in account.stores if s.access_points]
    requests = []
    for _ in range(sample + WARM_UP):
        store = rng.choice(exposed) if rng.random() < 0.5 else rng.choice(account.stores)
        action, resource = _request(rng, store)
        requests.append(simulation(inventory, rng.choice(callers), store, action, resource))
    oracle = IamOracle()
    try:
        oracle.decide_many(requests[:WARM_UP])  # Node.js loads the action catalogue on first use
        started = time.perf_counter()
        oracle.decide_many(requests[WARM_UP:])
        return sample / (time.perf_counter() - started)
    finally:
        oracle.close()


WARM_UP = 50
KEYS = ("report.csv", "private/a.csv", "reports/q1.csv", "shared/x", "public/a.pdf", "incoming/upload")


def _request(rng: random.Random, store: StoreResource) -> tuple[str, str]:
    if store.kind == "s3_bucket":
        key = rng.choice(KEYS)
        return rng.choice(
            [
                ("s3:GetObject", f"{store.arn}/{key}"),
                ("s3:PutObject", f"{store.arn}/{key}"),
                ("s3:PutObjectAcl", f"{store.arn}/{key}"),
                ("s3:ListBucket", store.arn),
                ("s3:PutBucketPolicy", store.arn),
            ]
        )
    return rng.choice(
        [
            ("dynamodb:GetItem", store.arn),
            ("dynamodb:PutItem", store.arn),
            ("dynamodb:Query", f"{store.arn}/index/i"),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--oracle-sample", type=int, default=3_000, help="single decisions the oracle times (0: none)"
    )
    parser.add_argument("--worst-case", action="store_true", help="15%% broad policies instead of 2%%")
    parser.add_argument("--no-baseline", action="store_true", help="skip the evaluator of before issue 14")
    args = parser.parse_args()
    inventory = build(args.seed, WORST_CASE if args.worst_case else REALISTIC)
    account = inventory.accounts[0]
    catalog = ActionCatalog()  # loaded once per process in production too; not part of the timed work
    started = time.perf_counter()
    evaluation = effective_access(inventory, catalog)
    elapsed = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    principals = len(account.users) + len(account.roles)
    decisions = principals * len(account.stores) * 3
    print(
        f"inventory: {principals:,} principals, {len(account.groups)} groups, {len(account.policies):,} policies, "
        f"{len(account.stores)} stores"
    )
    print(
        f"effective access: {len(evaluation.grants):,} grants in {elapsed:.2f} s; peak RSS {peak_mb:,.0f} MB"
    )
    print(f"ours: {decisions / elapsed:,.0f} (principal, store, level) decisions/s")
    if not args.no_baseline:
        before = baseline.run(inventory)
        print(
            f"before issue 14 ({baseline.REVISION}), same data, own process: {before.grants:,} grants in "
            f"{before.seconds:.2f} s; peak RSS {before.peak_mb:,.0f} MB; {decisions / before.seconds:,.0f} "
            f"decisions/s (ours: {before.seconds / elapsed:.2f}× as many)"
        )
    if args.oracle_sample:
        from tests.connectors.aws.oracle import pinned_version

        rate = time_oracle(inventory, args.oracle_sample, args.seed)
        print(
            f"oracle (iam-simulate {pinned_version()}): {rate:,.0f} single (principal, action, resource) "
            f"decisions/s on {args.oracle_sample:,} requests of the same data; one of our decisions covers every "
            "action of a level on every ARN of a store"
        )


if __name__ == "__main__":
    main()
