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
from connectors.aws.guards import Slots as GuardSlots
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

    def on(self, store: int) -> tuple[list[tuple[PathStep, ...]], list[Slots]]:
        """The paths of its sources that say something on one store (shortest first), and what each says."""
        paths, says = [], []
        for path, summary, _ in self.sources:
            slots = summary.get(store)
            if slots is not None:
                paths.append(path)
                says.append(slots)
        return paths, says

    def touching(self, store: int) -> tuple[Slots, ...]:
        """Its sources' say on one store, one entry per source that says anything."""
        return tuple(self.on(store)[1])


class Held(NamedTuple):
    """How a level of a store is held. A tuple: millions are made in a large account."""

    path: tuple[PathStep, ...]
    conditional: bool
    needs_review: bool
    rank: tuple[bool, int]  # lower is better: unconditional first, then the shortest path


def held(path: tuple[PathStep, ...], conditional: bool, needs_review: bool) -> Held:
    return Held(path, conditional, needs_review, (conditional, len(path)))


Access = dict[tuple[int, AccessLevel], Held]  # (store index, level) -> how it is held


class _Level(NamedTuple):
    """How one level of a store is held, up to the identity policy that opens the path: the same for every
    principal with the same decisions and the same view of the store, whichever of its policies grants."""

    level: AccessLevel
    slot: int
    bits: int  # the level's actions allowed on the slot
    by_identity: int  # those its identity side allows: a policy that allows them opens the path
    tail: tuple[PathStep, ...]  # what follows that policy: the access point, the key
    conditional: bool
    needs_review: bool
    views: Views  # where the path starts when no identity policy allows the bits (a resource policy's rule)


class _Facts(NamedTuple):
    """What a policy's summary says about stores at all (shared by every holder of the policy)."""

    mentions: frozenset[int]  # stores it says anything about
    allows: frozenset[int]  # stores it allows something on, maybe under a condition


class Evaluator:
    def __init__(self, inventory: AwsInventory, catalog: ActionCatalog | None = None) -> None:
        self.catalog = catalog or ActionCatalog()
        self.inventory = inventory
        self.stores = [store for account in inventory.accounts for store in account.stores]
        self.spaces = [StoreSpace(store, self.catalog) for store in self.stores]
        self.index = StoreIndex(self.spaces)
        self.conditions = Conditions.of(inventory)
        self._parsed: dict[tuple[str, str], ParsedPolicy] = {}
        self._by_content: dict[tuple[tuple[int, ...], ...], Slots] = {}
        self._facts: dict[int, _Facts] = {}  # id(summary) -> its facts (summaries live as long as we do)
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
        self._open_keyed = sorted(self._open_to_all & self._keyed)
        self._foreign_points = {  # stores with an access point of another account: no identity-only shortcut
            i
            for i, store in enumerate(self.stores)
            if any(point.account_id != store.account_id for point in store.access_points)
        }
        self._single = _SingleRequests(self)
        self._merged: dict[frozenset[int], Slots] = {}
        self._decided: dict[tuple[object, ...], list[tuple[int, Decision]]] = {}
        self._public: dict[tuple[int, bool], dict[int, int]] = {}
        self._levels: dict[tuple[object, ...], tuple[list[tuple[int, Decision]], list[_Level]]] = {}
        self._opened: dict[tuple[int, int], Held] = {}  # (id(_Level), id(path)) -> that policy's Held
        self._by_views: dict[int, Held] = {}  # id(_Level) -> the Held from the resource side
        self._allowing: dict[int, tuple[Views, bool]] = {}
        self._alike: dict[tuple[object, ...], dict[int, list[tuple[AccessLevel, Held]]]] = {}
        self._all_reads = tuple(
            sorted(
                {key for side in self.sides for key in side.reads}
                | {key for s in self.guards.conditional_statements() for key in self.conditions.reads(s)}
            )
        )
        self._profiles: dict[tuple[str, str], tuple[int, frozenset[int]]] = {}
        self._profile_numbers: dict[tuple[object, ...], int] = {}
        self._outsides: dict[tuple[int, int], tuple[Views, GuardSlots | None, GuardSlots | None]] = {}

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
            found = {
                store: self._canonical(slots)
                for store, slots in summarize(parsed, self.index, self.catalog).items()
            }
            self._summaries[cache_key] = found
            self._facts[id(found)] = _Facts(
                frozenset(found),
                frozenset(
                    store
                    for store, slots in found.items()
                    if any(m.allow | m.allow_cond for m in slots.values())
                ),
            )
        return found, parsed

    def _canonical(self, slots: Slots) -> Slots:
        """One shared object per distinct content: the policies that say the same on a store (a Deny of
        bucket deletion everywhere, say) then share every merge and decision about it."""
        value = tuple(
            (slot, m.allow, m.allow_cond, m.deny, m.deny_cond, m.unknown) for slot, m in sorted(slots.items())
        )
        return self._by_content.setdefault(value, slots)

    def facts(self, summary: Summary) -> _Facts:
        return self._facts[id(summary)]

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
        facts = [self._facts[id(summary)] for _, summary, _ in actor.sources]
        mentioned = frozenset().union(*(f.mentions for f in facts))
        own = (
            frozenset().union(*(f.allows for f in facts))
            | self._naming(actor)
            | (mentioned & self._open_to_all)
        )
        for store in sorted(own):
            self._evaluate_store(actor, store, session, access)
        alike = self._alike_class(actor, session)
        for store in self._open_to_all - own:
            fragment = alike.get(store)
            if fragment is None:
                decisions, views = self.actor_decisions(actor, store, session)
                fragment = alike[store] = [
                    (entry.level, self._resolve(entry, store, [], []))
                    for entry in self._templates(store, decisions, views, actor.requester)
                ]
            for level, candidate in fragment:
                current = access.get((store, level))
                if current is None or candidate.rank < current.rank:
                    access[(store, level)] = candidate
        return access

    def _alike_class(self, actor: Actor, session: str) -> dict[int, list[tuple[AccessLevel, Held]]]:
        """What the actor holds on the stores open to all that neither its policies nor their resource
        policies (in person) mention: what every actor holds there with the same profile, boundary and key
        answers. Worked out once per store for each such class: in an account of thousands of principals, a
        handful of evaluations for each public bucket instead of thousands."""
        key = (
            self._profile(actor, session)[0],
            id(actor.boundary[1]) if actor.boundary else 0,
            tuple(self.keys.decrypt_for(store, actor.requester) for store in self._open_keyed),
        )
        return self._alike.setdefault(key, {})

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
        paths, says = actor.on(store)
        decisions, views = self.actor_decisions(actor, store, session, touching=says)
        if not decisions:
            return
        for entry in self._templates(store, decisions, views, actor.requester):
            candidate = self._resolve(entry, store, paths, says)
            key = (store, entry.level)
            current = access.get(key)
            if current is None or candidate.rank < current.rank:
                access[key] = candidate

    def actor_decisions(
        self,
        actor: Actor,
        store: int,
        session: str = "",
        *,
        beyond_public: bool = True,
        touching: list[Slots] | tuple[Slots, ...] | None = None,
    ) -> tuple[list[tuple[int, Decision]], Views]:
        """The slots of `store` where the actor (in `session`, when known) is allowed something, and what
        the store's resource side says to it. `beyond_public`: leave out what anyone holds whatever the
        conditions (the public row says it once; a single request asks for everything). `touching`: what
        its sources say on the store, when the caller has it already."""
        if touching is None:
            touching = actor.touching(store)
        bounded = actor.boundary is not None
        views, scp, rcp = self._outside(actor, store, session)
        if not self._views_allow(views) and not any(
            m.allow | m.allow_cond for slots in touching for m in slots.values()
        ):
            return [], views  # nothing here allows it anything (a Deny alone grants nothing)
        identity = self._identity(touching)
        boundary = actor.boundary[0].get(store, _NO_SLOTS) if actor.boundary else _NO_SLOTS
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

    def _outside(
        self, actor: Actor, store: int, session: str
    ) -> tuple[Views, GuardSlots | None, GuardSlots | None]:
        """What the store's resource side says to the actor, and the SCPs and RCPs that limit it there.
        Shared by every actor of the same profile that no rule of the store names in person."""
        profile, named = self._profile(actor, session)
        key = (store, profile)
        found = None if store in named else self._outsides.get(key)
        if found is None:
            who = actor.requester
            exempt = actor.service_linked  # SCPs and RCPs do not apply to service-linked roles
            found = (
                self.views_for(store, who, bounded=actor.boundary is not None, session=session),
                None if exempt else self.guards.scp(actor.account_id, store, who),
                None if exempt else self.guards.rcp(store, who),
            )
            if store not in named:
                self._outsides[key] = found
        return found

    def _profile(self, actor: Actor, session: str) -> tuple[int, frozenset[int]]:
        """(a number for what resource policies, SCPs and RCPs can tell of the actor unless they name it in
        person, the stores whose resource policies name it in person)."""
        found = self._profiles.get((actor.arn, session))
        if found is None:
            who = actor.requester
            value = (
                who.kind,
                who.account_id,
                actor.boundary is not None,
                actor.service_linked,
                session,
                who.canonical_ids,
                self.conditions.values(who, self._all_reads) if self._all_reads else (),
            )
            number = self._profile_numbers.setdefault(value, len(self._profile_numbers))
            found = self._profiles[(actor.arn, session)] = (number, frozenset(self._naming(actor)))
        return found

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

    def _identity(self, touching: list[Slots] | tuple[Slots, ...]) -> Slots:
        """The identity side on one store: the sources' slots merged, once per distinct set of them (each
        canonical: one object per content), as one shared object per distinct content, which keys the memo
        of decisions. Merging is a union: neither order nor repetition matters."""
        if not touching:
            return _NO_SLOTS
        if len(touching) == 1:
            return touching[0]
        key = frozenset(map(id, touching))  # canonical slots live as long as the evaluator: stable ids
        merged = self._merged.get(key)
        if merged is None:
            content: Slots = {}
            for slots in touching:
                for slot, masks in slots.items():
                    content.setdefault(slot, Masks()).merge(masks)
            merged = self._merged[key] = self._canonical(content)
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
        access: Access,
        who: Requester,
    ) -> None:
        """Keep, per level, the better of what `access` holds and what the decisions of a requester without
        identity policies (an outsider) give."""
        for entry in self._templates(store, decisions, views, who):
            candidate = self._resolve(entry, store, [], [])
            key = (store, entry.level)
            current = access.get(key)
            if current is None or candidate.rank < current.rank:
                access[key] = candidate

    def _templates(
        self, store: int, decisions: list[tuple[int, Decision]], views: Views, who: Requester
    ) -> list[_Level]:
        """One _Level per level: from a slot that allows one of its actions whatever the conditions if any
        does, else from the first that allows one at all. Decisions and views are shared objects (memos):
        whoever has the same has the same levels, up to the policy that opens the path."""
        key_answer = self.keys.decrypt_for(store, who)
        memo = (store, id(decisions), id(views), key_answer)
        found = self._levels.get(memo)
        if found is None:  # the memo keeps the decisions (views live in their store's side): ids stay unique
            found = self._levels[memo] = (decisions, self._level_templates(store, decisions, views, who))
        return found[1]

    def _level_templates(
        self, store: int, decisions: list[tuple[int, Decision]], views: Views, who: Requester
    ) -> list[_Level]:
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
            tail = self._closing(store, slot)
            if not decision.certain & level_bits and (kms := self.keys.step(store, who, bits)) is not None:
                tail = (*tail, kms)  # held only if the key lets it decrypt: say so
            conditional = approximate or not decision.certain & level_bits
            found.append(
                _Level(
                    level,
                    slot,
                    bits,
                    bits & decision.by_identity,
                    tail,
                    conditional,
                    approximate or unknown,
                    views,
                )
            )
        return found

    def _resolve(
        self, entry: _Level, store: int, paths: list[tuple[PathStep, ...]], says: list[Slots]
    ) -> Held:
        """The Held of a level for a principal whose sources on the store are `paths` (what each says:
        `says`): the shortest that allows the level's bits opens the path; else the resource side's rule."""
        if entry.by_identity:
            for path, slots in zip(paths, says, strict=True):
                masks = slots.get(entry.slot)
                if masks is not None and (masks.allow | masks.allow_cond) & entry.by_identity:
                    memo = (id(entry), id(path))  # both live as long as the evaluator
                    found = self._opened.get(memo)
                    if found is None:
                        found = self._opened[memo] = held(
                            (*path, *entry.tail), entry.conditional, entry.needs_review
                        )
                    return found
        found = self._by_views.get(id(entry))
        if found is None:
            found = self._by_views[id(entry)] = held(
                (self._rule_step(store, entry), *entry.tail), entry.conditional, entry.needs_review
            )
        return found

    def _closing(self, store: int, slot: int) -> tuple[PathStep, ...]:
        """Through an access point, the access point closes the path."""
        space = self.spaces[store]
        point = space.targets[space.slots[slot].target].access_point
        if point is None:
            return ()
        found = self.stores[store].access_points[point]
        return (PathStep("access_point", found.arn, found.name),)

    def _rule_step(self, store: int, entry: _Level) -> PathStep:
        """The resource policy statement (or ACL grant) that grants the level's bits on the slot."""
        space = self.spaces[store]
        target = space.targets[space.slots[entry.slot].target]
        for form, _ in target.views:
            view = entry.views.get((entry.slot, form))
            for rule, detail in view.rules if view else ():
                if rule.actions & entry.bits:
                    return _with_detail(rule.step, detail)
        raise RuntimeError(f"no source grants {entry.level} on slot {entry.slot} of {self.stores[store].arn}")


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
