"""What Recertify knows of a request's context, and the conditions decided against it (conditions/).

A condition is decided only on keys Recertify knows for the requester (its ARN, account, organisation, type,
tags) and for the slot (the resource's account and organisation; whether the request comes through an access
point, and which). Every other key (source IP, VPC endpoint, MFA, time…) stays unknown, and so does a
condition that depends on it: the grant is then conditional, shown with what it depends on.

Which keys are present for which requester follows the IAM User Guide, "AWS global condition context keys":
aws:PrincipalOrgID "is included in the request context only if the principal is a member of an
organization"; aws:PrincipalArn, aws:PrincipalAccount and aws:PrincipalType for signed requests;
aws:username for IAM users; aws:PrincipalIsAWSService on every request; aws:SourceAccount and aws:SourceArn
only when a service calls on another resource's behalf (so never for a principal's own request).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from connectors.aws.conditions import ABSENT, UNKNOWN, ContextValue, RequestContext, Truth, evaluate, known
from connectors.aws.conditions import not_any_of as excluding
from connectors.aws.inventory import AwsInventory
from connectors.aws.policy import Statement
from connectors.aws.principals import Requester

Outcome = bool | None  # a condition holds (True), cannot hold (False), or may hold (None)
SlotKeys = dict[str, str | None]  # resource-side keys a slot decides (None: absent from its requests)
_VARIABLE = re.compile(r"\$\{([^}]+)\}")
# Keys the slot decides (space.StoreSpace.slot_keys, with the resource's organisation added here).
RESOURCE_KEYS = frozenset(
    {
        "aws:resourceaccount",
        "aws:resourceorgid",
        "s3:dataaccesspointaccount",
        "s3:dataaccesspointarn",
        "s3:accesspointnetworkorigin",
        "kms:viaservice",
        "kms:calleraccount",
    }
)


@dataclass
class Conditions:
    """Decides conditions for one inventory; answers are shared by every requester whose context agrees on
    the keys a condition reads (its signature), so thousands of principals cost a handful of evaluations."""

    org_id: str | None
    org_accounts: frozenset[str]
    read_accounts: frozenset[str] = frozenset()
    _contexts: dict[tuple[str, str], RequestContext] = field(default_factory=dict)
    _keys: dict[str, tuple[str, ...]] = field(default_factory=dict)
    _parsed: dict[str, Any] = field(default_factory=dict)
    _answers: dict[tuple[str, tuple[ContextValue, ...]], tuple[Outcome, str]] = field(default_factory=dict)
    _resources: dict[int, tuple[SlotKeys, dict[str, ContextValue]]] = field(default_factory=dict)
    _values: dict[tuple[str, str, tuple[str, ...]], tuple[ContextValue, ...]] = field(default_factory=dict)

    @classmethod
    def of(cls, inventory: AwsInventory) -> Conditions:
        read = frozenset(account.account_id for account in inventory.accounts)
        org = inventory.organization
        if org is None:
            return cls(None, frozenset(), read)
        return cls(org.org_id, frozenset(account for account, _ in org.accounts), read)

    def check(self, statement: Statement, who: Requester, slot_keys: SlotKeys) -> tuple[Outcome, str]:
        """(True: the condition holds; False: it cannot; None: it may), and the unknown part in words."""
        if not statement.condition:
            return (True, "") if not statement.conditional else (None, "")
        signature = self.signature(statement, who, slot_keys)
        key = (statement.condition, signature)
        found = self._answers.get(key)
        if found is None:
            found = self._answers[key] = self._decide(statement.condition, who, slot_keys)
        return found

    def signature(
        self, statement: Statement, who: Requester, slot_keys: SlotKeys
    ) -> tuple[ContextValue, ...]:
        """What the condition reads of this request: the same signature gets the same answer."""
        if not statement.condition:
            return ()
        context = self.context(who)
        resource = self._resource(slot_keys)
        return tuple(
            resource[key] if key in resource else context.value(key)
            for key in self._keys_of(statement.condition)
        )

    def reads(self, statement: Statement) -> tuple[str, ...]:
        """The condition keys a statement reads of the requester (not of the resource)."""
        return (
            tuple(k for k in self._keys_of(statement.condition) if k not in RESOURCE_KEYS)
            if statement.condition
            else ()
        )

    def values(self, who: Requester, keys: tuple[str, ...]) -> tuple[ContextValue, ...]:
        """What `who`'s context says for these keys: requesters alike in them are alike to the conditions.
        (Asked for every store a requester may reach, with a handful of distinct key sets: kept.)"""
        cache_key = (who.kind, who.arn, keys)
        found = self._values.get(cache_key)
        if found is None:
            context = self.context(who)
            found = self._values[cache_key] = tuple(context.value(key) for key in keys)
        return found

    def _resource(self, slot_keys: SlotKeys) -> dict[str, ContextValue]:
        """The slot's keys as context values, with the resource's organisation (aws:ResourceOrgID). Slots
        share their keys' dict (one per way in), so it is converted once."""
        found = self._resources.get(id(slot_keys))
        if found is None or found[0] is not slot_keys:
            values = {key: _slot_value(value) for key, value in slot_keys.items()}
            account = slot_keys.get("aws:resourceaccount")
            if account is not None:
                values["aws:resourceorgid"] = self._org_of(account)
            found = self._resources[id(slot_keys)] = (slot_keys, values)
        return found[1]

    def _decide(self, condition: str, who: Requester, slot_keys: SlotKeys) -> tuple[Outcome, str]:
        resource = RequestContext(self._resource(slot_keys))
        outcome = evaluate(self._parse(condition), self.context(who).merged(resource))
        if outcome.truth is Truth.TRUE:
            return True, ""
        if outcome.truth is Truth.FALSE:
            return False, ""
        return None, f"if {outcome.text}" if outcome.text else "under a condition"

    def context(self, who: Requester) -> RequestContext:
        key = (who.kind, who.arn)
        found = self._contexts.get(key)
        if found is None:
            found = self._contexts[key] = self._context(who)
        return found

    def _context(self, who: Requester) -> RequestContext:
        if who.kind == "public":
            # Anyone Recertify does not read principal by principal: none of the read accounts, and outside
            # the organisation when every account of it is read.
            anyone: dict[str, ContextValue] = {"aws:PrincipalAccount": excluding(*self.read_accounts)}
            if self.org_id is not None and self.org_accounts <= self.read_accounts:
                anyone["aws:PrincipalOrgID"] = excluding(self.org_id)
            return RequestContext(anyone)
        if who.kind == "anonymous":  # an unsigned request carries no principal keys at all
            return RequestContext(
                dict.fromkeys(("aws:PrincipalArn", "aws:PrincipalAccount", "aws:PrincipalOrgID"), ABSENT)
                | {"aws:PrincipalIsAWSService": known("false"), "aws:username": ABSENT, "aws:userid": ABSENT},
                closed=["aws:PrincipalTag/"],
            )
        if who.kind == "service":
            return RequestContext(
                {"aws:PrincipalIsAWSService": known("true"), "aws:PrincipalServiceName": known(who.arn)}
            )
        values: dict[str, ContextValue] = {
            "aws:PrincipalAccount": known(who.account_id) if who.account_id else UNKNOWN,
            "aws:PrincipalOrgID": self._org_of(who.account_id),
            "aws:PrincipalIsAWSService": known("false"),
            "aws:SourceAccount": ABSENT,
            "aws:SourceArn": ABSENT,
        }
        if who.kind == "user":
            values |= {
                "aws:PrincipalArn": known(who.arn),
                "aws:PrincipalType": known("User"),
                "aws:username": known(who.name),
                "aws:userid": known(who.unique_id) if who.unique_id else UNKNOWN,
            }
            tags = {f"aws:PrincipalTag/{k}": known(v) for k, v in who.tags}
            return RequestContext(values | tags, closed=["aws:PrincipalTag/"])
        if who.kind == "role":  # a session of the role; session tags may change its tags, so they stay open
            values |= {"aws:PrincipalArn": known(who.arn), "aws:PrincipalType": known("AssumedRole")}
            values["aws:username"] = ABSENT
            return RequestContext(values)
        if who.arn.endswith(":root") or who.arn.startswith("canonical-user:"):
            return RequestContext(values)  # an unread account: anyone in it
        return RequestContext(values | {"aws:PrincipalArn": known(who.arn)})

    def _org_of(self, account_id: str) -> ContextValue:
        if self.org_id is None or not account_id:
            return UNKNOWN
        if account_id in self.org_accounts:
            return known(self.org_id)
        return excluding(self.org_id)  # another organisation's, or none: never ours

    def _keys_of(self, condition: str) -> tuple[str, ...]:
        found = self._keys.get(condition)
        if found is None:
            keys: set[str] = set()
            parsed = self._parse(condition)
            for body in parsed.values() if isinstance(parsed, dict) else ():
                for key, values in body.items() if isinstance(body, dict) else ():
                    keys.add(str(key).lower())
                    keys.update(v.lower() for v in _VARIABLE.findall(json.dumps(values)))
            found = self._keys[condition] = tuple(sorted(keys))
        return found

    def _parse(self, condition: str) -> Any:
        found = self._parsed.get(condition)
        if found is None:
            found = self._parsed[condition] = json.loads(condition)
        return found


def _slot_value(value: str | None) -> ContextValue:
    return ABSENT if value is None else known(value)
