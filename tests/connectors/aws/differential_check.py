"""The comparison behind the differential tests (test_differential*.py): our grants on the bucket against
the levels the oracle allows, per principal. See test_differential.py for the method."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

from connectors.aws.access import effective_access
from connectors.aws.catalog import ActionCatalog
from connectors.aws.inventory import AwsInventory, IamRole, ManagedPolicy
from reviews.entitlements import AccessLevel
from tests.connectors.aws import differential_cases as dc
from tests.connectors.aws.oracle import IamOracle
from tests.connectors.aws.oracle_levels import LevelProbe, oracle_levels
from tests.connectors.aws.oracle_requests import Caller, anonymous, role_callers, user_caller
from tests.data.aws.inventory import PAYROLL, role, trust

CATALOG = ActionCatalog()
PUBLIC = "*"
FAMILY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Families that fail on the evaluator issue 14 replaces. While they are expected to fail they run the same
# examples every time (a strict xfail must not pass by chance) and skip shrinking (half a minute per family
# for a failure we expect). When the rewrite lands, remove both marks: `@FAMILY` alone.
EVALUATOR_REWRITE = pytest.mark.xfail(strict=True, reason="issue 14: evaluator rewrite")
PENDING = settings(FAMILY, derandomize=True, phases=(Phase.explicit, Phase.generate))

BOUNDARIES = st.none() | st.sampled_from(
    [
        dc.doc({"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}),
        dc.doc({"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}),
        dc.doc({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}),
    ]
)


@dataclass(frozen=True, slots=True)
class Subject:
    principal_provider_id: str  # as our grants name it
    callers: tuple[Caller, ...]
    covered_by: tuple[str, ...] | None = None  # None: compared exactly; else who may hold its access for it


def _disagreements(
    oracle: IamOracle, probe: LevelProbe, inv: AwsInventory, subjects: list[Subject]
) -> list[str]:
    store = next(s for a in inv.accounts for s in a.stores if s.arn == PAYROLL)
    ours = {
        (g.principal_provider_id, g.access): g
        for g in effective_access(inv, CATALOG).grants
        if g.store_provider_id == PAYROLL
    }
    callers = [c for s in subjects for c in s.callers]
    answers = iter(oracle_levels(oracle, probe, inv, store, callers))
    problems = [
        f"we list {pid} ({level}), which is none of the subjects"
        for pid, level in ours
        if pid not in {s.principal_provider_id for s in subjects}
    ]
    for subject in subjects:
        held = [next(answers) for _ in subject.callers]
        some, every = set.union(*held), set.intersection(*held)
        for level in AccessLevel:
            grant = ours.get((subject.principal_provider_id, level))
            public = ours.get((PUBLIC, level))
            if subject.covered_by is None and public is not None and not public.conditional:
                # A grant to everyone is listed once, as public: what anyone holds whatever the conditions
                # is not listed again for each principal it also reaches.
                if grant is not None and level not in some:
                    problems.append(
                        f"{subject.principal_provider_id} {level}: we list it, the oracle denies it"
                    )
                continue
            if subject.covered_by is None:
                if (grant is not None) != (level in some):
                    problems.append(
                        f"{subject.principal_provider_id} {level}: ours {grant is not None}, oracle "
                        f"{[c.principal for c, h in zip(subject.callers, held, strict=True) if level in h]}"
                    )
                elif grant is not None and grant.conditional != (level not in every):
                    problems.append(
                        f"{subject.principal_provider_id} {level}: ours conditional={grant.conditional}, "
                        f"oracle allows {len([h for h in held if level in h])} of "
                        f"{len(held)} sessions"
                    )
            elif grant is not None and level not in some:
                problems.append(f"{subject.principal_provider_id} {level}: we list it, the oracle denies it")
            elif level in some and grant is None and not any((p, level) in ours for p in subject.covered_by):
                problems.append(
                    f"{subject.principal_provider_id} {level}: the oracle allows it, we list neither it "
                    f"nor {list(subject.covered_by)}"
                )
    return problems


def check(oracle: IamOracle, probe: LevelProbe, inv: AwsInventory, subjects: list[Subject]) -> None:
    problems = _disagreements(oracle, probe, inv, subjects)
    assert not problems, "\n".join(problems)


def user_subject(inv: AwsInventory, arn: str) -> Subject:
    return Subject(arn, (user_caller(inv, arn),))


def role_subject(inv: AwsInventory, arn: str, *sessions: str) -> Subject:
    return Subject(arn, role_callers(inv, arn, sessions or (dc.OTHER_SESSION,)))


def public_subject() -> Subject:
    return Subject(PUBLIC, (anonymous(),))


def clerk(*policies: ManagedPolicy, boundary: ManagedPolicy | None = None) -> IamRole:
    found = role("clerk", trust({"Service": "lambda.amazonaws.com"}), *policies)
    return replace(found, boundary=boundary.arn if boundary else None)


def attached(*documents: Any, account_id: str = dc.A, prefix: str = "p") -> tuple[ManagedPolicy, ...]:
    return tuple(dc.managed(f"{prefix}{i}", d, account_id) for i, d in enumerate(documents) if d is not None)
