"""One request, decided: can this principal perform this action on this resource? Pure.

The evaluator answers for whole stores (some action of a level on some part of the store); this answers a
single request with the same rules, for checking the evaluator against an independent simulator and for
explaining one decision. The principal is an IAM user or role ARN, a role session ARN
(`arn:aws:sts::<account>:assumed-role/<role>/<session>`), "*" for an anonymous request, a service principal
(`cloudtrail.amazonaws.com`), or any principal of an account the inventory does not hold. The resource must
lie in one of the inventory's stores (the bucket, an object, a table, an index, an access point…).
"""

from __future__ import annotations

from typing import NamedTuple

from connectors.aws.catalog import ActionCatalog
from connectors.aws.combine import ACCOUNT, EXTERNAL, IAM, PUBLIC, SERVICE, Decision
from connectors.aws.evaluate import Evaluator
from connectors.aws.inventory import AwsInventory
from connectors.aws.principals import Requester, parse


class RequestDecision(NamedTuple):
    allowed: bool
    conditional: bool  # allowed only if conditions Recertify cannot know hold
    needs_review: bool  # a statement on the way could not be fully read


class Requests:
    """Decides single requests against one inventory (the evaluator is built once)."""

    def __init__(self, inventory: AwsInventory, catalog: ActionCatalog | None = None) -> None:
        self.evaluator = Evaluator(inventory, catalog)

    def decide(self, principal: str, action: str, resource: str) -> RequestDecision:
        ev = self.evaluator
        bit = ev.catalog.mask(action)
        if bit == 0 or bit & (bit - 1):
            raise ValueError(f"{action!r} is not one action of the catalogue")
        store, slot = self._slot(resource)
        decisions = self._decisions(principal, store)
        found = next((d for position, d in decisions if position == slot), None)
        if found is None or not found.allow & bit:
            return RequestDecision(False, False, False)
        approximate = bool(ev.spaces[store].approximate >> slot & 1)
        return RequestDecision(
            True, approximate or not found.certain & bit, approximate or bool(found.unknown & bit)
        )

    def _slot(self, resource: str) -> tuple[int, int]:
        for store, space in enumerate(self.evaluator.spaces):
            slot = space.slot_of(resource)
            if slot is not None:
                return store, slot
        raise ValueError(f"{resource} lies in none of the inventory's stores")

    def _decisions(self, principal: str, store: int) -> list[tuple[int, Decision]]:
        ev = self.evaluator
        role, session = _session(principal)
        arn = role_arn(ev, role) if role else principal
        actor = ev.actors.get(arn) if arn else None
        if actor is not None:
            return ev.actor_decisions(actor, store, session, beyond_public=False)[0]
        who, kind = _outsider(principal)
        views = ev.views_for(store, who, bounded=False)
        return ev.decisions(store, who, kind, views, rcp=ev.guards.rcp(store, who)) if views else []


def _session(principal: str) -> tuple[tuple[str, str] | None, str]:
    """((account, role name), session name) for an assumed-role ARN, else (None, "")."""
    ref = parse("AWS", principal) if principal.startswith("arn:") else None
    if ref is not None and ref.kind == "session":
        return (ref.account_id, ref.role_name), ref.session_name
    return None, ""


def role_arn(evaluator: Evaluator, role: tuple[str, str]) -> str | None:
    """The ARN of the role a session ARN names (session ARNs leave the role's path out)."""
    account, name = role
    return next(
        (
            a.arn
            for a in evaluator.actors.values()
            if a.account_id == account and a.requester.role_name == name
        ),
        None,
    )


def _outsider(principal: str) -> tuple[Requester, str]:
    if principal in ("*", "anonymous"):
        return Requester("anonymous", "*"), PUBLIC
    if not principal.startswith("arn:"):
        return Requester("service", principal), SERVICE
    account = principal.split(":")[4]
    if principal.endswith(":root"):
        return Requester("account", principal, account), ACCOUNT
    return Requester("account", principal, account), EXTERNAL


__all__ = ["IAM", "RequestDecision", "Requests", "decide_request"]


def decide_request(
    inventory: AwsInventory, principal: str, action: str, resource: str, catalog: ActionCatalog | None = None
) -> RequestDecision:
    """One request against one inventory (builds the evaluator each time: use `Requests` for many)."""
    return Requests(inventory, catalog).decide(principal, action, resource)
