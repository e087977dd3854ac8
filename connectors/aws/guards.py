"""Service control policies and resource control policies as per-slot guards. Pure.

AWS Organizations User Guide: an SCP limits the principals of the accounts it applies to (not the
management account's, not service-linked roles); an RCP limits access to the resources of the accounts it
applies to (not the management account's), for the services that support RCPs. At every level from the root
down to the account an Allow is needed; a Deny anywhere wins. Their statements' conditions are decided against
the requester (an RCP that denies everyone outside the organisation does not apply to its members), so guards
are combined per store and per outcome of those conditions, and shared by every requester with that outcome.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from connectors.aws.combine import Guard
from connectors.aws.inventory import AwsInventory
from connectors.aws.policy import ParsedPolicy, Statement
from connectors.aws.principals import Requester
from connectors.aws.summary import Masks, action_bits, add_to_slots, statement_slots

if TYPE_CHECKING:
    from connectors.aws.evaluate import Evaluator

# Services whose resources RCPs govern (AWS Organizations User Guide, "Resource control policies (RCPs)":
# "RCPs apply to actions for the following AWS services"). Of what Recertify evaluates: S3, DynamoDB, KMS and
# STS; not RDS (rds, rds-db and rds-data are not on the list).
RCP_SERVICES = frozenset({"s3", "dynamodb", "kms", "sts", "sqs", "secretsmanager"})
Level = list[Statement]
Slots = dict[int, Guard]


class Guards:
    def __init__(self, inventory: AwsInventory, evaluator: Evaluator) -> None:
        self._ev = evaluator
        self._levels: dict[tuple[str, str], list[Level]] = {}
        for account in inventory.accounts:
            for kind, levels in (("scp", account.scp_levels), ("rcp", account.rcp_levels)):
                if levels:
                    self._levels[(kind, account.account_id)] = [
                        [
                            s
                            for j in range(len(level))
                            for s in self._parsed(account.account_id, f"{kind}:{i}:{j}").statements
                        ]
                        for i, level in enumerate(levels)
                    ]
        self._hits: dict[int, dict[int, int]] = {}  # id(statement) -> store -> slots
        self._cache: dict[tuple[str, str, int, tuple[bool | None, ...]], Slots] = {}
        self._conditional: dict[tuple[str, str], list[Statement]] = {}

    def _parsed(self, account_id: str, key: str) -> ParsedPolicy:
        return self._ev.summary(account_id, key)[1]

    def conditional_statements(self) -> list[Statement]:
        """Every SCP and RCP statement with a condition: what it reads of requesters tells them apart."""
        return [s for levels in self._levels.values() for level in levels for s in level if s.conditional]

    def levels(self, kind: str, account_id: str) -> list[Level] | None:
        return self._levels.get((kind, account_id))

    def scp(self, account_id: str, store: int, who: Requester) -> Slots | None:
        """The SCPs of the requester's account on this store's slots; None: no SCP limit."""
        return self._guard("scp", account_id, store, who)

    def rcp(self, store: int, who: Requester) -> Slots | None:
        """The RCPs of the store's account; None when none apply to its service. They apply to every caller,
        anonymous, other accounts' and AWS services' included; only service-linked roles escape them ("RCPs
        do not apply to calls made by service-linked roles"): the caller leaves those out."""
        spec = self._ev.stores[store]
        service = self._ev.spaces[store].targets[0].service
        if service not in RCP_SERVICES:
            return None
        return self._guard("rcp", spec.account_id, store, who)

    def _guard(self, kind: str, account_id: str, store: int, who: Requester) -> Slots | None:
        levels = self._levels.get((kind, account_id))
        if not levels:
            return None
        plain = self._cache.get((kind, account_id, store, ()))
        if plain is not None and not self._conditional.get((kind, account_id)):
            return plain  # no condition to decide: the same for every requester
        conditional = self._conditional.get((kind, account_id))
        if conditional is None:
            conditional = self._conditional[(kind, account_id)] = [
                s for level in levels for s in level if s.conditional
            ]
        outcomes = tuple(self._ev.check(s, who, store, 0)[0] for s in conditional) if conditional else ()
        key = (kind, account_id, store, outcomes)
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = self._combine(levels, store, iter(outcomes))
        return found

    def _combine(self, levels: list[Level], store: int, outcomes: object) -> Slots:
        count = len(self._ev.spaces[store].slots)
        everything = self._ev.catalog.all
        allow = [everything] * count
        possible = [everything] * count
        deny, deny_cond, unknown = [0] * count, [0] * count, [0] * count
        for level in levels:
            merged: dict[int, Masks] = {}
            for statement in level:
                outcome = next(outcomes) if statement.conditional else True  # type: ignore[call-overload]
                if outcome is False:
                    continue
                self._add(merged, statement, store, outcome is None)
            for slot in range(count):
                masks = merged.get(slot, Masks())
                allow[slot] &= masks.allow
                possible[slot] &= masks.allow | masks.allow_cond
                deny[slot] |= masks.deny
                deny_cond[slot] |= masks.deny_cond
                unknown[slot] |= masks.unknown
        return {
            slot: Guard(allow[slot], possible[slot], deny[slot], deny_cond[slot], unknown[slot])
            for slot in range(count)
        }

    def _add(self, merged: dict[int, Masks], statement: Statement, store: int, conditional: bool) -> None:
        hits = self._hits.get(id(statement))
        if hits is None:
            hits = self._hits[id(statement)] = dict(statement_slots(statement, self._ev.index))
        if store not in hits:
            return
        actions = action_bits(statement, self._ev.catalog)
        maybe = conditional or statement.problem is not None
        add_to_slots(merged, self._ev.index, store, hits[store], statement, actions, maybe)
