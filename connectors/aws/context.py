"""What Recertify knows of a request's context, and the conditions decided against it.

A condition is decided only on keys Recertify knows for the requester (its ARN, account, organisation, type,
tags) and for the slot (the resource's account; whether the request comes through an access point, and
which). Every other key (source IP, VPC endpoint, MFA, time…) stays unknown, and so does a condition that
depends on it: the grant is then conditional, shown with what it depends on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from connectors.aws.inventory import AwsInventory
from connectors.aws.policy import Statement
from connectors.aws.principals import Requester
from connectors.aws.resource_policy import Outcome


@dataclass(frozen=True, slots=True)
class Conditions:
    """Decides conditions for one inventory (its organisation is part of every principal's context)."""

    org_id: str | None
    org_accounts: frozenset[str]
    _answers: dict[object, tuple[Outcome, str]] = field(default_factory=dict)

    @classmethod
    def of(cls, inventory: AwsInventory) -> Conditions:
        org = inventory.organization
        if org is None:
            return cls(None, frozenset())
        return cls(org.org_id, frozenset(account for account, _ in org.accounts))

    def check(
        self, statement: Statement, who: Requester, slot_keys: dict[str, str | None]
    ) -> tuple[Outcome, str]:
        """(True: the condition holds; False: it cannot; None: it may), and the unknown part in words."""
        if not statement.conditional:
            return True, ""
        found = self._answers.get(statement.condition)
        if found is None:
            found = self._answers[statement.condition] = (
                (None, describe(json.loads(statement.condition))) if statement.condition else (None, "")
            )
        return found


def describe(condition: Any) -> str:
    """A condition block in words, e.g. "aws:PrincipalOrgID StringEquals o-abc"."""
    parts = []
    if isinstance(condition, dict):
        for operator, keys in sorted(condition.items()):
            for key, values in sorted(keys.items()) if isinstance(keys, dict) else ():
                shown = values if isinstance(values, list) else [values]
                parts.append(f"{key} {operator} {', '.join(map(str, shown))}")
    return "if " + " and ".join(parts) if parts else "under a condition"
