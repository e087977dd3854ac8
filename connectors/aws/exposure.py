"""Who beyond the principals Recertify reads can reach a store: anyone ("public"), accounts it does not read,
and AWS services, as the stores' resource policies and ACLs name them. Pure.

Each is evaluated like any requester (combine.py), with what is known of it: anyone has no identity side
and no known context (a condition that narrows a public grant, such as aws:PrincipalOrgID, leaves it
conditional and shown); an unread account holds whatever names it, its own policies then decide who inside
it uses that; a service, what names the service. RCPs apply to all of them; SCPs to none (they are not
principals of the organisation's accounts). A grant to everyone is reported once, as public, not again for
every account or service it also reaches.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from connectors.aws.combine import ACCOUNT, EXTERNAL, PUBLIC, SERVICE, Decision
from connectors.aws.evaluate import beyond
from connectors.aws.policy import Effect
from connectors.aws.principals import Ref, Requester
from reviews.entitlements import PUBLIC_PRINCIPAL_ID, PrincipalType

if TYPE_CHECKING:
    from connectors.aws.evaluate import Access, Evaluator

PUBLIC_NAME = "anyone on the internet"


@dataclass(frozen=True, slots=True)
class Outsider:
    type: PrincipalType
    id: str
    name: str
    external: bool  # outside the organisation, or its membership unknown (the worse case)


def outsiders(evaluator: Evaluator) -> tuple[tuple[Outsider, ...], dict[str, Access]]:
    """Every outsider some store names, and what each can reach beyond what anyone can."""
    read = {account.account_id for account in evaluator.inventory.accounts}
    found: dict[str, tuple[Outsider, Requester, str]] = {}
    anyone = _outsider(Ref("everyone", "*"), read, evaluator)
    assert anyone is not None  # noqa: S101
    for side in evaluator.sides:
        for rule in side.rules:
            if rule.statement.not_principal and rule.statement.effect is not Effect.DENY:
                found.setdefault(PUBLIC_PRINCIPAL_ID, anyone)  # everyone but a few: anonymous included
            for ref in rule.refs:
                entry = _outsider(ref, read, evaluator)
                if entry is not None and entry[0].id not in found:
                    found[entry[0].id] = entry

    access: dict[str, Access] = {}
    for outsider, who, kind in found.values():
        reached: Access = {}
        for store, side in enumerate(evaluator.sides):
            if not side.rules:
                continue
            decisions = _decisions(evaluator, store, who, kind)
            if kind != PUBLIC:  # even where Block Public Access keeps the public out (AWS services pass)
                decisions = beyond(decisions, evaluator.public_certain(store, unrestricted=True))
            if decisions:
                evaluator.record(
                    store, decisions, evaluator.views_for(store, who, bounded=False), reached, who
                )
        if reached:
            access[outsider.id] = reached
    return tuple(entry[0] for entry in found.values() if entry[0].id in access), access


def _decisions(evaluator: Evaluator, store: int, who: Requester, kind: str) -> list[tuple[int, Decision]]:
    views = evaluator.views_for(store, who, bounded=False)
    if not views:
        return []
    return evaluator.decisions(store, who, kind, views, rcp=evaluator.guards.rcp(store, who))


def _outsider(ref: Ref, read: set[str], evaluator: Evaluator) -> tuple[Outsider, Requester, str] | None:
    organisation = evaluator.inventory.organization
    if ref.kind in ("everyone", "authenticated", "anyone_unread"):
        who = Requester("public", PUBLIC_PRINCIPAL_ID)
        return Outsider(PrincipalType.PUBLIC, PUBLIC_PRINCIPAL_ID, PUBLIC_NAME, True), who, PUBLIC
    if ref.kind == "service":
        return (
            Outsider(PrincipalType.AWS_SERVICE, ref.value, ref.value, False),
            Requester("service", ref.value),
            SERVICE,
        )
    if ref.kind == "canonical" and ref.value not in evaluator.canonical_accounts:
        arn = f"canonical-user:{ref.value}"
        name = f"S3 canonical user {ref.value[:12]}… (account unknown)"
        who = Requester("account", arn, "", canonical_ids=frozenset({ref.value}))
        return Outsider(PrincipalType.AWS_ACCOUNT, arn, name, True), who, ACCOUNT
    if not ref.account_id or ref.account_id in read:
        return None
    names = dict(organisation.accounts) if organisation else {}
    account = ref.account_id
    label = f"{names[account]} ({account})" if account in names else account
    external = organisation is None or account not in names
    if ref.kind == "account":
        root = f"arn:aws:iam::{account}:root"
        return Outsider(PrincipalType.AWS_ACCOUNT, root, label, external), _someone(root, account), ACCOUNT
    if ref.kind in ("user", "role", "session", "federated_user"):
        what = ref.value.split(":", 5)[5].replace("assumed-role/", "session ").replace("/", " ", 1)
        name = f"{what} in {label}"
        return (
            Outsider(PrincipalType.AWS_ACCOUNT, ref.value, name, external),
            _someone(ref.value, account),
            EXTERNAL,
        )
    return None


def _someone(arn: str, account: str) -> Requester:
    return Requester("account", arn, account)
