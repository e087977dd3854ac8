"""Effective access of every IAM user and role to every personal-data store. Pure: no boto3 in here.

For one principal and one store, per action (bit masks, see summary.py):
    identity  = what its own and its groups' policies allow, cut by its permissions boundary
    resource  = what the store's resource policy allows naming this principal directly (same account: that
                alone grants; it is not cut by the boundary)
    allowed   = (identity [needs the resource policy's consent across accounts] | resource) & SCPs & ~deny
and any Deny (identity, boundary, resource policy, SCP) wins. A level is held when one of its actions is
allowed; it is conditional when no action of the level is allowed without a condition (an Allow that needs a
condition, or a Deny that may not hold). Statements we could not read make the grant "needs human review".
The path reported is the shortest source that allows it: the policy itself, then group → policy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from connectors.aws.catalog import ActionCatalog, targets
from connectors.aws.inventory import (
    AccountInventory,
    AwsInventory,
    InlinePolicy,
    ManagedPolicy,
    PolicyDocument,
)
from connectors.aws.matching import action_matches, has_variable, resource_matches
from connectors.aws.policy import Effect, ParsedPolicy, Statement, parse_policy
from connectors.aws.resource_policy import ResourcePolicies
from connectors.aws.summary import Masks, StoreIndex, Summary, summarize
from reviews.entitlements import AccessLevel, PathStep

Source = tuple[tuple[PathStep, ...], Summary, ParsedPolicy]


@dataclass
class Actor:
    """An IAM user or role with everything that decides what it may do."""

    arn: str
    name: str
    account_id: str
    sources: list[Source] = field(default_factory=list)  # identity policies, shortest path first
    boundary: tuple[Summary, ParsedPolicy] | None = None


class Held(NamedTuple):
    """How a level of a store is held. A tuple: millions are made in a large account."""

    path: tuple[PathStep, ...]
    conditional: bool
    needs_review: bool
    rank: tuple[bool, int]  # lower is better: unconditional first, then the shortest path


def held(path: tuple[PathStep, ...], conditional: bool, needs_review: bool) -> Held:
    return Held(path, conditional, needs_review, (conditional, len(path)))


Access = dict[tuple[int, AccessLevel], Held]  # (store index, level) -> how it is held


class Evaluator:
    def __init__(self, inventory: AwsInventory, catalog: ActionCatalog | None = None) -> None:
        self.catalog = catalog or ActionCatalog()
        self.stores = [store for account in inventory.accounts for store in account.stores]
        self.index = StoreIndex(self.catalog, [targets(s.kind, s.arn, s.data_arns) for s in self.stores])
        self.resource_policies = ResourcePolicies(self.stores, self.index)
        self._summaries: dict[tuple[str, str], tuple[Summary, ParsedPolicy]] = {}
        self.actors: dict[str, Actor] = {}
        self._scp: dict[str, list[Summary] | None] = {}
        self._about: dict[tuple[str, str], list[Statement]] = {}
        self._scp_cache: dict[tuple[str, int], Masks | None] = {}
        self._level_masks = [(level, self.catalog.level_mask(level)) for level in AccessLevel]
        self._decisions: dict[tuple[tuple[int, ...], int, str, str], tuple[bool, bool]] = {}
        for account in inventory.accounts:
            self._add_account(account)

    # --- building actors -----------------------------------------------------------------------------

    def _add_account(self, account: AccountInventory) -> None:
        policies = {p.arn: p for p in account.policies}
        groups = {g.name: g for g in account.groups}
        self._scp[account.account_id] = (
            [
                self._merged(
                    [self._summary(account.account_id, f"scp:{i}:{j}", d) for j, d in enumerate(level)]
                )
                for i, level in enumerate(account.scp_levels)
            ]
            if account.scp_levels
            else None
        )
        for user in account.users:
            actor = Actor(user.arn, user.name, account.account_id)
            actor.sources += self._policies(
                account.account_id, (), user.attached, user.inline, policies, user.arn
            )
            for group_name in user.groups:
                group = groups[group_name]
                step = (PathStep("group", group.arn, group.name),)
                actor.sources += self._policies(
                    account.account_id, step, group.attached, group.inline, policies, group.arn
                )
            actor.sources.sort(key=lambda source: len(source[0]))
            actor.boundary = self._boundary(account.account_id, user.boundary, policies)
            self.actors[user.arn] = actor
        for role in account.roles:
            actor = Actor(role.arn, role.name, account.account_id)
            actor.sources += self._policies(
                account.account_id, (), role.attached, role.inline, policies, role.arn
            )
            actor.boundary = self._boundary(account.account_id, role.boundary, policies)
            self.actors[role.arn] = actor

    def _policies(
        self,
        account_id: str,
        prefix: tuple[PathStep, ...],
        attached: tuple[str, ...],
        inline: tuple[InlinePolicy, ...],
        policies: dict[str, ManagedPolicy],
        owner_arn: str,
    ) -> list[Source]:
        sources: list[Source] = []
        for arn in attached:
            managed = policies.get(arn)
            if managed is None:  # fetch promises every attached policy; a gap is a bug, never "no access"
                raise KeyError(f"{owner_arn}: attached policy {arn} missing from the inventory")
            summary, parsed = self._summary(account_id, arn, managed.document)
            sources.append(((*prefix, PathStep("policy", arn, managed.name)), summary, parsed))
        for policy in inline:
            key = f"{owner_arn}#inline:{policy.name}"
            summary, parsed = self._summary(account_id, key, policy.document)
            sources.append(((*prefix, PathStep("inline_policy", key, policy.name)), summary, parsed))
        return sources

    def _boundary(
        self, account_id: str, arn: str | None, policies: dict[str, ManagedPolicy]
    ) -> tuple[Summary, ParsedPolicy] | None:
        if arn is None:
            return None
        managed = policies.get(arn)
        if managed is None:
            raise KeyError(f"permissions boundary {arn} missing from the inventory")
        return self._summary(account_id, arn, managed.document)

    def _summary(self, account_id: str, key: str, document: PolicyDocument) -> tuple[Summary, ParsedPolicy]:
        cache_key = (account_id, key)
        if cache_key not in self._summaries:
            parsed = parse_policy(document)
            self._summaries[cache_key] = (summarize(parsed, self.index), parsed)
        return self._summaries[cache_key]

    @staticmethod
    def _merged(summaries: list[tuple[Summary, ParsedPolicy]]) -> Summary:
        merged: Summary = {}
        for summary, _ in summaries:
            for store, masks in summary.items():
                merged.setdefault(store, Masks()).merge(masks)
        return merged

    # --- evaluating ----------------------------------------------------------------------------------

    def direct_access(self, actor: Actor) -> Access:
        """What the actor's own policies (and resource policies naming it) give, before assuming roles."""
        access: Access = {}
        stores = {
            s for _, summary, _ in actor.sources for s in summary
        } | self.resource_policies.stores_naming(actor)
        for store in stores:
            self._evaluate_store(actor, store, access)
        return access

    def _evaluate_store(self, actor: Actor, store: int, access: Access) -> None:
        identity = Masks()
        for _, summary, _ in actor.sources:
            if store in summary:
                identity.merge(summary[store])
        allow, uncond = identity.allow | identity.allow_cond, identity.allow
        deny, deny_cond, unknown = identity.deny, identity.deny_cond, identity.unknown
        if actor.boundary is not None:
            b = actor.boundary[0].get(store, Masks())
            allow &= (b.allow | b.allow_cond) & ~b.deny
            uncond &= b.allow & ~b.deny & ~b.deny_cond
            deny, deny_cond, unknown = deny | b.deny, deny_cond | b.deny_cond, unknown | b.unknown
        rp = self.resource_policies.for_actor(store, actor)
        if self.stores[store].account_id != actor.account_id:
            allow &= rp.account_allow | rp.account_allow_cond  # across accounts both sides must agree
            uncond &= rp.account_allow
        allow |= rp.masks.allow | rp.masks.allow_cond
        uncond |= rp.masks.allow
        deny, deny_cond, unknown = (
            deny | rp.masks.deny,
            deny_cond | rp.masks.deny_cond,
            unknown | rp.masks.unknown,
        )
        scp = self._scp_masks(actor.account_id, store)
        if scp is not None:
            allow &= scp.allow | scp.allow_cond
            uncond &= scp.allow
            deny, deny_cond, unknown = deny | scp.deny, deny_cond | scp.deny_cond, unknown | scp.unknown
        allow &= ~deny
        uncond &= ~deny & ~deny_cond
        if allow:
            self._record_levels(actor, store, allow, uncond, unknown, rp.path, access)

    def _record_levels(
        self,
        actor: Actor,
        store: int,
        allow: int,
        uncond: int,
        unknown: int,
        rp_path: tuple[PathStep, ...],
        access: Access,
    ) -> None:
        for level, level_bits in self._level_masks:
            bits = allow & level_bits
            if not bits:
                continue
            path = next(
                (
                    p
                    for p, summary, _ in actor.sources
                    if store in summary and (summary[store].allow | summary[store].allow_cond) & bits
                ),
                rp_path,
            )
            access[(store, level)] = held(path, not uncond & level_bits, bool(unknown & level_bits))

    def _scp_masks(self, account_id: str, store: int) -> Masks | None:
        """SCPs depend on the account and the store only: combined once per pair."""
        key = (account_id, store)
        if key in self._scp_cache:
            return self._scp_cache[key]
        levels = self._scp.get(account_id)
        combined = None
        if levels is not None:
            combined = Masks(allow=self.catalog.all, allow_cond=self.catalog.all)
            for level in levels:  # every level from the root down must allow
                masks = level.get(store, Masks())
                combined.allow &= masks.allow & ~masks.deny
                combined.allow_cond &= (masks.allow | masks.allow_cond) & ~masks.deny
                combined.deny |= masks.deny
                combined.deny_cond |= masks.deny_cond
                combined.unknown |= masks.unknown
        self._scp_cache[key] = combined
        return combined

    def _statements_about(self, actor: Actor, action: str) -> list[Statement]:
        """The actor's identity statements that name `action` at all (cached: asked once per role)."""
        key = (actor.arn, action)
        if key not in self._about:
            self._about[key] = [
                s
                for _, _, parsed in actor.sources
                for s in parsed.statements
                if any(action_matches(p, action) for p in s.actions) != s.not_action
            ]
        return self._about[key]

    def allows(self, actor: Actor, action: str, resource: str) -> tuple[bool, bool]:
        """Whether the actor's identity policies (and boundary) allow one action on one ARN, for actions
        outside the store catalogue (sts:AssumeRole). Returns (allowed, conditional)."""
        statements = self._statements_about(actor, action)
        # Principals sharing policies share statements: decide once per distinct set (large accounts have
        # thousands of principals but a few hundred distinct sets).
        key = (tuple(map(id, statements)), id(actor.boundary[1]) if actor.boundary else 0, action, resource)
        if key not in self._decisions:
            allowed, conditional = _decide(statements, action, resource)
            if allowed and actor.boundary is not None:
                in_boundary, boundary_conditional = _decide(
                    list(actor.boundary[1].statements), action, resource
                )
                allowed, conditional = in_boundary, conditional or boundary_conditional
            self._decisions[key] = (allowed, conditional)
        return self._decisions[key]


def _decide(statements: list[Statement], action: str, resource: str) -> tuple[bool, bool]:
    """(allowed, conditional) for one action on one ARN under these statements."""
    allow = allow_always = deny_always = deny_maybe = False
    for statement in statements:
        acts = any(action_matches(p, action) for p in statement.actions) != statement.not_action
        names = any(resource_matches(p, resource) for p in statement.resources) != statement.not_resource
        if not (acts and names):
            continue
        maybe = (
            statement.conditional
            or statement.problem is not None
            or any(map(has_variable, statement.resources))
        )
        if statement.effect in (Effect.ALLOW, Effect.UNKNOWN):
            allow, allow_always = True, allow_always or not maybe
        if statement.effect in (Effect.DENY, Effect.UNKNOWN):
            deny_always, deny_maybe = deny_always or not maybe, deny_maybe or maybe
    allowed = allow and not deny_always
    return allowed, allowed and (not allow_always or deny_maybe)
