"""Effective access of every IAM user and role to every personal-data store. Pure: no boto3 in here.

For one principal and one store, slot by slot (space.py: the bucket, each region of its objects, each access
point…), combine.py applies AWS's evaluation logic to action bit masks:
    identity  = what its own and its groups' policies allow, within its permissions boundary
    resource  = what the store's resource policies and ACLs say to it (resource_policy.py)
    guards    = the SCPs of its account and the RCPs of the store's account
A level is held when some action of the level is allowed on some slot; it is conditional when no slot allows
one of its actions whatever the conditions. Statements we could not read make the grant "needs human review".
The path reported is the shortest source that allows it: the policy itself, group → policy, or the resource
policy statement that grants it; through an access point, the access point closes the path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from connectors.aws.catalog import ActionCatalog
from connectors.aws.combine import IAM, PUBLIC, Decision, Guard, decide
from connectors.aws.context import Conditions
from connectors.aws.guards import Guards
from connectors.aws.inventory import (
    AccountInventory,
    AwsInventory,
    IamGroup,
    IamRole,
    IamUser,
    InlinePolicy,
    ManagedPolicy,
    PolicyDocument,
)
from connectors.aws.key_access import KeyAccess
from connectors.aws.policy import ParsedPolicy, Statement, parse_policy
from connectors.aws.principals import Requester
from connectors.aws.resource_policy import ResourceSide, Views, registered_patterns
from connectors.aws.single import about, decide_statements, denies, guards_allow
from connectors.aws.space import StoreIndex, StoreSpace
from connectors.aws.summary import Masks, Slots, Summary, summarize
from connectors.aws.targets import BUCKET, IDENTITY
from reviews.entitlements import PUBLIC_PRINCIPAL_ID, AccessLevel, PathStep

Source = tuple[tuple[PathStep, ...], Summary, ParsedPolicy]
PUBLIC_REQUESTER = Requester("public", PUBLIC_PRINCIPAL_ID)
_NO_SLOTS: Slots = {}  # shared empties: their ids key the memo of decisions
_NO_VIEWS: Views = {}
SERVICE_LINKED = "/aws-service-role/"


@dataclass
class Actor:
    """An IAM user or role with everything that decides what it may do."""

    arn: str
    name: str
    account_id: str
    requester: Requester
    sources: list[Source] = field(default_factory=list)  # identity policies, shortest path first
    boundary: tuple[Summary, ParsedPolicy] | None = None
    service_linked: bool = False  # SCPs do not apply to service-linked roles
    _by_store: dict[int, tuple[tuple[Slots, ...], tuple[int, ...]]] | None = None

    def touching(self, store: int) -> tuple[Slots, ...]:
        """Its sources' say on one store, one entry per source that says anything."""
        return self._on(store)[0]

    def _on(self, store: int) -> tuple[tuple[Slots, ...], tuple[int, ...]]:
        """(its sources' say on one store, the ids of those sources' (interned) paths)."""
        if self._by_store is None:
            found: dict[int, tuple[list[Slots], list[int]]] = {}
            for path, summary, _ in self.sources:
                for position, slots in summary.items():
                    says, paths = found.setdefault(position, ([], []))
                    says.append(slots)
                    paths.append(id(path))
            self._by_store = {position: (tuple(a), tuple(b)) for position, (a, b) in found.items()}
        return self._by_store.get(store, ((), ()))

    def stores(self) -> set[int]:
        """The stores its policies say anything about."""
        self._on(-1)
        assert self._by_store is not None  # noqa: S101
        return set(self._by_store)

    def allowing(self, evaluator: Evaluator) -> set[int]:
        """The stores its policies allow something on (maybe under a condition)."""
        self._on(-1)
        assert self._by_store is not None  # noqa: S101
        return {store for store, (says, _) in self._by_store.items() if any(map(evaluator.allows_any, says))}


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
        self.inventory = inventory
        self.stores = [store for account in inventory.accounts for store in account.stores]
        self.spaces = [StoreSpace(store, self.catalog) for store in self.stores]
        self.index = StoreIndex(self.spaces)
        self.conditions = Conditions.of(inventory)
        self._parsed: dict[tuple[str, str], ParsedPolicy] = {}
        self._summaries: dict[tuple[str, str], Summary] = {}
        self._documents: dict[tuple[str, str], PolicyDocument] = {}
        for account in inventory.accounts:
            self._collect(account)
        for position, store in enumerate(self.stores):  # resource policies name only their own store
            for form, pattern in registered_patterns(store):
                for target in range(len(self.spaces[position].targets)):
                    self.spaces[position].register(form, pattern, target)
        for space in self.spaces:
            space.seal()
        accounts = {account.account_id: account for account in inventory.accounts}
        self.sides = [
            ResourceSide(
                store,
                space,
                self.catalog,
                accounts[store.account_id].public_access_block,
                accounts[store.account_id].canonical_id,
            )
            for store, space in zip(self.stores, self.spaces, strict=True)
        ]
        for side in self.sides:
            side.read_by(self.conditions)
        self.guards = Guards(inventory, self)
        self.keys = KeyAccess(inventory, self)
        self._level_masks = [(level, self.catalog.level_mask(level)) for level in AccessLevel]
        self.canonical_accounts = {a.canonical_id: a.account_id for a in inventory.accounts if a.canonical_id}
        self.actors: dict[str, Actor] = {}
        self._paths: dict[tuple[PathStep, ...], tuple[PathStep, ...]] = {}
        for account in inventory.accounts:
            self._add_actors(account)
        self._open_to_all = {i for i, side in enumerate(self.sides) if side.open_to_all}
        self._named: dict[str, set[int]] = {}  # ARN, unique id or account/role -> stores naming it
        for i, side in enumerate(self.sides):
            for key in side.named_keys():
                self._named.setdefault(key, set()).add(i)
        self._keyed = {i for i, store in enumerate(self.stores) if self.keys.key_of(i)}
        self._foreign_points = {  # stores with an access point of another account: no identity-only shortcut
            i
            for i, store in enumerate(self.stores)
            if any(point.account_id != store.account_id for point in store.access_points)
        }
        self._single = _SingleRequests(self)
        self._merged: dict[tuple[int, ...], Slots] = {}
        self._by_content: dict[tuple[tuple[int, ...], ...], Slots] = {}
        self._decided: dict[tuple[object, ...], list[tuple[int, Decision]]] = {}
        self._public: dict[tuple[int, bool], dict[int, int]] = {}
        self._fragments: dict[tuple[object, ...], list[tuple[AccessLevel, Held]]] = {}
        self._allowing: dict[int, tuple[Views, bool]] = {}
        self._allowing_slots: dict[int, tuple[Slots, bool]] = {}
        self._alike_fragments: dict[tuple[object, ...], list[tuple[AccessLevel, Held]]] = {}

    def allows(self, actor: Actor, action: str, resource: str, *, identity: bool = True) -> tuple[bool, bool]:
        """(allowed, conditional) for an action outside the store catalogue, such as sts:AssumeRole: its
        identity policies (unless `identity` is False: a resource policy names it) within a role's
        boundary, within its account's SCPs."""
        return self._single.allows(actor, action, resource, identity=identity)

    # --- documents -----------------------------------------------------------------------------------

    def _collect(self, account: AccountInventory) -> None:
        """Parse every identity-side document once and register its resource patterns (before sealing)."""
        me = account.account_id
        for managed in account.policies:
            self._parse(me, managed.arn, managed.document)
        holders: tuple[IamUser | IamGroup | IamRole, ...] = (*account.users, *account.groups, *account.roles)
        for holder in holders:
            for inline in holder.inline:
                self._parse(me, _inline_key(holder.arn, inline), inline.document)
        for kind, levels in (("scp", account.scp_levels), ("rcp", account.rcp_levels)):
            for i, level in enumerate(levels):
                for j, document in enumerate(level):
                    self._parse(me, f"{kind}:{i}:{j}", document)

    def _parse(self, account_id: str, key: str, document: PolicyDocument) -> ParsedPolicy:
        cache_key = (account_id, key)
        parsed = self._parsed.get(cache_key)
        if parsed is None:
            parsed = self._parsed[cache_key] = parse_policy(document)
            self._documents[cache_key] = document
            for statement in parsed.statements:
                for pattern in statement.resources:
                    for store, target in self.index.candidates(pattern):
                        self.spaces[store].register(IDENTITY, pattern, target)
        return parsed

    def summary(self, account_id: str, key: str) -> tuple[Summary, ParsedPolicy]:
        cache_key = (account_id, key)
        parsed = self._parsed[cache_key]
        found = self._summaries.get(cache_key)
        if found is None:
            found = self._summaries[cache_key] = summarize(parsed, self.index, self.catalog)
        return found, parsed

    # --- actors --------------------------------------------------------------------------------------

    def _add_actors(self, account: AccountInventory) -> None:
        me = account.account_id
        policies = {p.arn: p for p in account.policies}
        groups = {g.name: g for g in account.groups}
        canonical = frozenset({account.canonical_id} if account.canonical_id else ())
        for user in account.users:
            who = Requester("user", user.arn, me, user.user_id, canonical_ids=canonical)
            actor = Actor(user.arn, user.name, me, who)
            actor.sources += self._sources(me, (), user.attached, user.inline, policies, user.arn)
            for group_name in user.groups:
                group = groups[group_name]
                step = (PathStep("group", group.arn, group.name),)
                actor.sources += self._sources(me, step, group.attached, group.inline, policies, group.arn)
            actor.sources.sort(key=lambda source: len(source[0]))
            actor.boundary = self._boundary(me, user.boundary, policies)
            self.actors[user.arn] = actor
        for role in account.roles:
            who = Requester("role", role.arn, me, role.role_id, role.name, canonical)
            actor = Actor(role.arn, role.name, me, who, service_linked=SERVICE_LINKED in role.arn)
            actor.sources += self._sources(me, (), role.attached, role.inline, policies, role.arn)
            actor.boundary = self._boundary(me, role.boundary, policies)
            self.actors[role.arn] = actor

    def _sources(
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
            summary, parsed = self.summary(account_id, arn)
            path = self._interned((*prefix, PathStep("policy", arn, managed.name)))
            sources.append((path, summary, parsed))
        for policy in inline:
            key = _inline_key(owner_arn, policy)
            summary, parsed = self.summary(account_id, key)
            sources.append(
                (self._interned((*prefix, PathStep("inline_policy", key, policy.name))), summary, parsed)
            )
        return sources

    def _interned(self, path: tuple[PathStep, ...]) -> tuple[PathStep, ...]:
        """One object per distinct path (group → policy is shared by every member): its id keys memos."""
        return self._paths.setdefault(path, path)

    def _boundary(
        self, account_id: str, arn: str | None, policies: dict[str, ManagedPolicy]
    ) -> tuple[Summary, ParsedPolicy] | None:
        if arn is None:
            return None
        if arn not in policies:
            raise KeyError(f"permissions boundary {arn} missing from the inventory")
        return self.summary(account_id, arn)

    # --- evaluating ----------------------------------------------------------------------------------

    def direct_access(self, actor: Actor, session: str = "") -> Access:
        """What the actor's own policies, and the resource policies that name it, give before it assumes
        any role. `session`: a role's session name when it is known (Identity Center users)."""
        access: Access = {}
        # Evaluated for this actor: where its policies allow something, where a resource policy names it,
        # and the stores open to all its policies mention (their denies count). A store its policies only
        # deny on, that names it nowhere and is open to none, cannot give it anything: a Deny alone grants
        # nothing, and an account-wide grant needs an Allow of its own.
        own = actor.allowing(self) | self._naming(actor) | (actor.stores() & self._open_to_all)
        for store in sorted(own):
            self._evaluate_store(actor, store, session, access)
        for store in self._open_to_all - own:
            self._alike(actor, store, session, access)
        return access

    def _alike(self, actor: Actor, store: int, session: str, access: Access) -> None:
        """A store open to all that neither the actor's policies nor its resource policies (in person)
        mention: what it holds there is what every requester of its kind, account and boundary holds whose
        context the store's conditions read alike, worked out once (in an account of thousands of principals,
        a handful of evaluations for each public bucket instead of one per principal)."""
        who = actor.requester
        side = self.sides[store]
        key = (
            store,
            who.kind,
            who.account_id,
            actor.boundary is not None,
            actor.service_linked,
            session,
            not who.canonical_ids.isdisjoint(side.canonical),
            self.conditions.values(who, side.reads) if side.reads else (),
            self.keys.decrypt_for(store, who),
        )
        fragment = self._alike_fragments.get(key)
        if fragment is None:
            decisions, views = self.actor_decisions(actor, store, session)
            fragment = self._alike_fragments[key] = self._held(store, decisions, views, [], who)
        for level, candidate in fragment:
            current = access.get((store, level))
            if current is None or candidate.rank < current.rank:
                access[(store, level)] = candidate

    def _naming(self, actor: Actor) -> set[int]:
        """Stores whose resource policies name the actor itself (its ARN, its role, its sessions)."""
        who = actor.requester
        keys = (who.arn, who.unique_id, f"{who.account_id}/{who.role_name}" if who.kind == "role" else "")
        return {i for key in keys if key for i in self._named.get(key, ())}

    def sessions_named(self, role_arn: str) -> frozenset[str]:
        """Session names the resource policies grant to by name for this role (`assumed-role/<role>/<s>`)."""
        actor = self.actors[role_arn]
        return frozenset(name for side in self.sides for name in side.sessions_of(actor.requester))

    def _evaluate_store(self, actor: Actor, store: int, session: str, access: Access) -> None:
        decisions, views = self.actor_decisions(actor, store, session)
        if decisions:
            paths = actor._on(store)[1]
            self.record(store, decisions, views, actor.sources, access, actor.requester, shared=paths)

    def actor_decisions(
        self, actor: Actor, store: int, session: str = "", *, beyond_public: bool = True
    ) -> tuple[list[tuple[int, Decision]], Views]:
        """The slots of `store` where the actor (in `session`, when known) is allowed something, and what
        the store's resource side says to it. `beyond_public`: leave out what anyone holds whatever the
        conditions (the public row says it once; a single request asks for everything)."""
        touching = actor.touching(store)
        bounded = actor.boundary is not None
        views = self.views_for(store, actor.requester, bounded=bounded, session=session)
        if not self._views_allow(views) and not any(
            m.allow | m.allow_cond for slots in touching for m in slots.values()
        ):
            return [], views  # nothing here allows it anything (a Deny alone grants nothing)
        identity = self._identity(touching)
        boundary = actor.boundary[0].get(store, _NO_SLOTS) if actor.boundary else _NO_SLOTS
        exempt = actor.service_linked  # SCPs and RCPs do not apply to service-linked roles
        scp = None if exempt else self.guards.scp(actor.account_id, store, actor.requester)
        rcp = None if exempt else self.guards.rcp(store, actor.requester)
        same = self.stores[store].account_id == actor.account_id
        key_answer = self.keys.decrypt_for(store, actor.requester)
        # Everything below depends only on these (shared, cached) objects: principals that share them share
        # the answer, as thousands do in a large account.
        shared = (id(identity), id(boundary), id(views), id(scp), id(rcp))
        memo = (store, *shared, same, bounded, key_answer, beyond_public)
        decisions = self._decided.get(memo)
        if decisions is None:
            decisions = self.decisions(
                store,
                actor.requester,
                IAM,
                views,
                identity=identity,
                boundary=boundary,
                bounded=bounded,
                same_account=same,
                scp=scp,
                rcp=rcp,
            )
            if beyond_public and store in self._open_to_all:
                decisions = beyond(decisions, self.public_certain(store))
            self._decided[memo] = decisions
        return decisions, views

    def public_certain(self, store: int, *, unrestricted: bool = False) -> dict[int, int]:
        """Per slot, what anyone (principal "*") holds on `store` whatever the conditions. `unrestricted`:
        as if RestrictPublicBuckets were off (what a grant to everyone gives the AWS services it lets by)."""
        key = (store, unrestricted)
        found = self._public.get(key)
        if found is None:
            who = PUBLIC_REQUESTER
            views = self.views_for(store, who, bounded=False)
            decisions = (
                self.decisions(
                    store, who, PUBLIC, views, rcp=self.guards.rcp(store, who), unrestricted=unrestricted
                )
                if views
                else []
            )
            found = self._public[key] = {slot: decision.certain for slot, decision in decisions}
        return found

    def _identity(self, touching: tuple[Slots, ...]) -> Slots:
        """The identity side on one store: the sources' slots merged, once per distinct set of sources, and
        then one shared object per distinct content. Principals whose policies differ but say the same on a
        store (a Deny of bucket deletion everywhere, say) then share every decision about it."""
        if not touching:
            return _NO_SLOTS
        key = tuple(map(id, touching))  # summaries live as long as the evaluator: their ids are stable
        merged = self._merged.get(key)
        if merged is None:
            if len(touching) == 1:
                content = touching[0]
            else:
                content = {}
                for slots in touching:
                    for slot, masks in slots.items():
                        content.setdefault(slot, Masks()).merge(masks)
            value = tuple(
                (slot, m.allow, m.allow_cond, m.deny, m.deny_cond, m.unknown)
                for slot, m in sorted(content.items())
            )
            merged = self._merged[key] = self._by_content.setdefault(value, content)
        return merged

    def decisions(
        self,
        store: int,
        who: Requester,
        kind: str,
        views: Views,
        *,
        identity: Slots | None = None,
        boundary: Slots | None = None,
        bounded: bool = False,
        same_account: bool = False,
        scp: dict[int, Guard] | None = None,
        rcp: dict[int, Guard] | None = None,
        unrestricted: bool = False,
    ) -> list[tuple[int, Decision]]:
        """The slots of `store` where `who` is allowed something, with what (combine.decide).
        `unrestricted`: as if Block Public Access's RestrictPublicBuckets were off."""
        identity, boundary = identity or {}, boundary or {}
        if kind == IAM and not views and store not in self._keyed and store not in self._foreign_points:
            return _identity_only(identity, boundary, bounded, same_account, scp, rcp)
        space, side = self.spaces[store], self.sides[store]
        viewed = {slot for slot, _ in views}
        found = []
        for slot, spec in enumerate(space.slots):
            if slot not in identity and slot not in viewed:
                continue
            target = space.targets[spec.target]
            point = target.access_point
            through = point is not None
            point_account = self.stores[store].access_points[point].account_id if point is not None else ""
            decision = decide(
                kind,
                everything=self.catalog.all,
                identity=identity.get(slot),
                boundary=boundary.get(slot),
                bounded=bounded,
                primary=views.get((slot, target.views[0][0])) if target.views else None,
                bucket=views.get((slot, BUCKET)) if through else None,
                through_access_point=through,
                same_account=(point_account == who.account_id) if through else same_account,
                bucket_same_account=same_account if through else None,
                scp=scp.get(slot) if scp else None,
                rcp=rcp.get(slot) if rcp else None,
                restricted=not unrestricted and side.restricted(spec.target),
            )
            decision = self.keys.limit(store, slot, who, decision)
            if decision.allow:
                found.append((slot, decision))
        return found

    def allows_any(self, slots: Slots) -> bool:
        """Whether a policy's say on a store (shared by every holder of the policy) allows anything."""
        found = self._allowing_slots.get(id(slots))
        if found is None or found[0] is not slots:
            found = self._allowing_slots[id(slots)] = (
                slots,
                any(m.allow | m.allow_cond for m in slots.values()),
            )
        return found[1]

    def _views_allow(self, views: Views) -> bool:
        """Whether a (shared) view allows anything on any slot."""
        found = self._allowing.get(id(views))
        if found is None or found[0] is not views:
            allows = any(
                v.direct | v.direct_cond | v.role | v.role_cond | v.account | v.account_cond
                for v in views.values()
            )
            found = self._allowing[id(views)] = (views, allows)
        return found[1]

    def views_for(self, store: int, who: Requester, *, bounded: bool, session: str = "") -> Views:
        """What the store's resource side says to `who`, slot by slot (empty: it says nothing)."""
        side = self.sides[store]
        if not side.rules:
            return _NO_VIEWS
        return side.views(who, self.conditions, bounded=bounded, session=session)

    def check(self, statement: Statement, who: Requester, store: int, slot: int) -> tuple[bool | None, str]:
        return self.conditions.check(statement, who, self.spaces[store].slot_keys(slot))

    def record(
        self,
        store: int,
        decisions: list[tuple[int, Decision]],
        views: Views,
        sources: list[Source],
        access: Access,
        who: Requester,
        *,
        shared: tuple[int, ...] | None = None,
    ) -> None:
        """Keep, per level, the better of what `access` holds and what the decisions give. `shared`: the
        decisions come from the memo, and these are the ids of the (interned) paths of the sources that say
        something here: what they give is then the same for every requester with the same, and is kept."""
        if shared is not None:
            # The paths depend on which of its sources (interned paths) say something here, nothing else.
            memo = (id(decisions), id(views), shared, self.keys.decrypt_for(store, who))
            fragment = self._fragments.get(memo)
            if fragment is None:
                fragment = self._fragments[memo] = self._held(store, decisions, views, sources, who)
        else:
            fragment = self._held(store, decisions, views, sources, who)
        for level, candidate in fragment:
            key = (store, level)
            current = access.get(key)
            if current is None or candidate.rank < current.rank:
                access[key] = candidate

    def _held(
        self,
        store: int,
        decisions: list[tuple[int, Decision]],
        views: Views,
        sources: list[Source],
        who: Requester,
    ) -> list[tuple[AccessLevel, Held]]:
        """One Held per level: from a slot that allows one of its actions whatever the conditions if any
        does, else from the first that allows one at all."""
        approximate_slots = self.spaces[store].approximate
        found = []
        for level, level_bits in self._level_masks:
            chosen: tuple[int, Decision] | None = None
            unknown = False
            for slot, decision in decisions:
                if not decision.allow & level_bits:
                    continue
                unknown = unknown or bool(decision.unknown & level_bits)
                if chosen is None or (
                    not chosen[1].certain & level_bits
                    and decision.certain & level_bits
                    and not approximate_slots >> slot & 1
                ):
                    chosen = (slot, decision)
            if chosen is None:
                continue
            slot, decision = chosen
            bits = decision.allow & level_bits
            approximate = bool(approximate_slots >> slot & 1)
            path = self._path(store, slot, bits & decision.by_identity, bits, views, sources)
            if not decision.certain & level_bits and (kms := self.keys.step(store, who, bits)) is not None:
                path = (*path, kms)  # held only if the key lets it decrypt: say so
            conditional = approximate or not decision.certain & level_bits
            found.append((level, held(path, conditional, approximate or unknown)))
        return found

    def _path(
        self, store: int, slot: int, by_identity: int, bits: int, views: Views, sources: list[Source]
    ) -> tuple[PathStep, ...]:
        space = self.spaces[store]
        target = space.targets[space.slots[slot].target]
        closing: tuple[PathStep, ...] = ()
        if target.access_point is not None:
            point = self.stores[store].access_points[target.access_point]
            closing = (PathStep("access_point", point.arn, point.name),)
        if by_identity:
            for path, summary, _ in sources:
                masks = summary.get(store, {}).get(slot)
                if masks is not None and (masks.allow | masks.allow_cond) & by_identity:
                    return (*path, *closing)
        for form, _ in target.views:
            view = views.get((slot, form))
            for rule, detail in view.rules if view else ():
                if rule.actions & bits:
                    return (_with_detail(rule.step, detail), *closing)
        raise RuntimeError(f"no source grants {bits:#x} on slot {slot} of {self.stores[store].arn}")


class _SingleRequests:
    """Actions outside the store catalogue (sts:AssumeRole), for one actor on one ARN: its identity policies
    within its boundary, and its account's SCPs. Decided once per distinct set of statements (thousands of
    principals share a few hundred sets)."""

    def __init__(self, evaluator: Evaluator) -> None:
        self._ev = evaluator
        self._about: dict[tuple[str, str], tuple[list[Statement], tuple[object, ...]]] = {}
        self._answers: dict[tuple[object, ...], tuple[bool, bool]] = {}

    def allows(self, actor: Actor, action: str, resource: str, *, identity: bool = True) -> tuple[bool, bool]:
        statements, signature = self._about_action(actor, action)
        # A user named by a resource policy passes its boundary; a role named so does not.
        bounded = actor.boundary is not None and (identity or actor.requester.kind == "role")
        key = (signature, identity, bounded, resource)
        found = self._answers.get(key)
        if found is None:
            found = self._answers[key] = self._decide(actor, statements, action, resource, identity, bounded)
        return found

    def _about_action(self, actor: Actor, action: str) -> tuple[list[Statement], tuple[object, ...]]:
        """Its statements about `action`, and what decides their answers: those statements, its boundary
        and the account whose SCPs apply (one signature per actor, asked for every role it may assume)."""
        key_about = (actor.arn, action)
        found = self._about.get(key_about)
        if found is None:
            statements = about([s for _, _, p in actor.sources for s in p.statements], action)
            boundary = id(actor.boundary[1]) if actor.boundary else 0
            scp_account = "" if actor.service_linked else actor.account_id
            signature = (tuple(map(id, statements)), boundary, scp_account, action)
            found = self._about[key_about] = (statements, signature)
        return found

    def _decide(
        self,
        actor: Actor,
        statements: list[Statement],
        action: str,
        resource: str,
        identity: bool,
        bounded: bool,
    ) -> tuple[bool, bool]:
        if identity:
            allowed, conditional = decide_statements(statements, action, resource)
        else:  # let in by name: only an explicit Deny in its own policies stops it
            always, maybe = denies(statements, action, resource)
            allowed, conditional = not always, maybe
        if allowed and bounded and actor.boundary is not None:
            inside, maybe = decide_statements(list(actor.boundary[1].statements), action, resource)
            allowed, conditional = inside, conditional or maybe
        scps = None if actor.service_linked else self._ev.guards.levels("scp", actor.account_id)
        if allowed and scps:
            inside, maybe = guards_allow(scps, action, resource)
            allowed, conditional = inside, conditional or maybe
        return allowed, allowed and conditional


def beyond(decisions: list[tuple[int, Decision]], common: dict[int, int]) -> list[tuple[int, Decision]]:
    """What the decisions allow beyond `common` (per slot, bits anyone holds whatever the conditions): a
    grant to everyone is reported once, as public, not again for every principal it also reaches."""
    kept = []
    for slot, decision in decisions:
        shared = common.get(slot, 0)
        if shared:
            keep = ~shared
            decision = Decision(
                decision.allow & keep,
                decision.certain & keep,
                decision.unknown & keep,
                decision.by_identity & keep,
            )
        if decision.allow:
            kept.append((slot, decision))
    return kept


def _identity_only(
    identity: Slots,
    boundary: Slots,
    bounded: bool,
    same_account: bool,
    scp: dict[int, Guard] | None,
    rcp: dict[int, Guard] | None,
) -> list[tuple[int, Decision]]:
    """combine.decide for an IAM principal on a store with no resource policy nor key: its identity side
    within its boundary, within the guards; across accounts that grants nothing. The hot path, inlined."""
    if not same_account:
        return []
    found = []
    for slot, masks in identity.items():
        allow, certain = masks.allow | masks.allow_cond, masks.allow
        if not allow:
            continue
        deny, deny_cond, unknown = masks.deny, masks.deny_cond, masks.unknown
        if bounded:
            limit = boundary.get(slot)
            if limit is None:
                continue
            allow &= limit.allow | limit.allow_cond
            certain &= limit.allow
            deny, deny_cond, unknown = deny | limit.deny, deny_cond | limit.deny_cond, unknown | limit.unknown
        for guards in (scp, rcp):
            guard = guards.get(slot) if guards else None
            if guard is not None:
                allow &= guard.allow | guard.allow_cond
                certain &= guard.allow
                deny, deny_cond, unknown = (
                    deny | guard.deny,
                    deny_cond | guard.deny_cond,
                    unknown | guard.unknown,
                )
        allow &= ~deny
        if allow:
            certain &= allow & ~deny_cond
            found.append((slot, Decision(allow, certain, unknown & allow, allow)))
    return found


def _with_detail(step: PathStep, detail: str) -> PathStep:
    return PathStep(step.kind, step.id, f"{step.name} ({detail})") if detail else step


def _inline_key(owner_arn: str, policy: InlinePolicy) -> str:
    return f"{owner_arn}#inline:{policy.name}"
