"""A store's resource-side say: its resource policies (bucket, table, stream, access point policies) and,
for S3, its ACL grants, Object Ownership and Block Public Access, turned into rules over the store's slots.

`views(requester)` says, slot by slot and policy by policy, what those rules grant or deny that requester,
and how it is named (principals.py): by its own ARN or "*" (a grant that passes the permissions boundary of a
user or session), as a role (a grant its boundary still cuts), or through its account (only the consent a
cross-account request needs). Conditions are decided against what is known of the requester and the slot
(connectors/aws/conditions/); what stays unknown makes the bits conditional.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from connectors.aws.acl import acl_rules
from connectors.aws.catalog import ActionCatalog
from connectors.aws.context import Conditions, Outcome
from connectors.aws.inventory import PolicyDocument, PublicAccessBlock, StoreResource
from connectors.aws.policy import Effect, ParsedPolicy, Statement, parse_policy
from connectors.aws.principals import EXEMPT, NOT_EXEMPT, Named, Requester, parse
from connectors.aws.public_policy import is_public
from connectors.aws.rules import Rule
from connectors.aws.space import StoreSpace
from connectors.aws.steps import StatementRef, statement_step
from connectors.aws.summary import action_bits, iter_bits
from connectors.aws.targets import BUCKET, STREAM, TABLE, access_point_policy


@dataclass(slots=True)
class View:
    """One policy's say on one slot for one requester."""

    direct: int = 0  # named exactly (own ARN, session ARN, "*"): passes a user's or session's boundary
    direct_cond: int = 0
    role: int = 0  # named by its role's ARN: a grant the role's permissions boundary still cuts
    role_cond: int = 0
    account: int = 0  # named through its account: consent for the account's own policies
    account_cond: int = 0
    deny: int = 0
    deny_cond: int = 0
    unknown: int = 0
    rules: list[tuple[Rule, str]] = field(default_factory=list)  # granting rules in order, with any detail


Views = dict[tuple[int, str], View]  # (slot, policy form) -> view


class ResourceSide:
    def __init__(
        self,
        store: StoreResource,
        space: StoreSpace,
        catalog: ActionCatalog,
        account_block: PublicAccessBlock | None,
        owner_canonical_id: str | None,
    ) -> None:
        self.store = store
        self.space = space
        self.rules: list[Rule] = []
        self.public_forms: set[str] = set()  # policies that S3 counts as public (RestrictPublicBuckets)
        self.block = _block(account_block, store.public_access_block)
        self.ap_blocks = [self.block | point.public_access_block for point in store.access_points]
        for form, label, arn, document in _policies(store):
            parsed = parse_policy(document)
            if form == BUCKET and is_public(document):
                self.public_forms.add(form)
            if form.startswith("ap:"):
                point = store.access_points[int(form.removeprefix("ap:"))]
                if is_public(document, access_point=True, network_origin=point.network_origin):
                    self.public_forms.add(form)
            self._add_policy(form, label, arn, parsed, catalog)
        self.rules.extend(acl_rules(store, space, catalog, owner_canonical_id, self.block.ignore_public_acls))
        self._views: dict[object, Views] = {}
        # Who any rule names in person (Allow, Deny or NotPrincipal): such a requester's view is its own.
        self._named = {
            key for rule in self.rules for key in (*rule.principals.arns, *rule.principals.ids)
        } | {f"{account}/{role}" for rule in self.rules for account, role in rule.principals.sessions}
        self.canonical = frozenset(
            ref.value for rule in self.rules for ref in rule.refs if ref.kind == "canonical"
        )
        self.reads: tuple[str, ...] = ()  # what its conditions read of a requester: set by `read_by`
        self.session_names = frozenset(
            ref.session_name for rule in self.rules for ref in rule.refs if ref.kind == "session"
        )

    def _add_policy(
        self, form: str, label: str, arn: str, parsed: ParsedPolicy, catalog: ActionCatalog
    ) -> None:
        for position, statement in enumerate(parsed.statements):
            actions = action_bits(statement, catalog)
            slots = _statement_slots(self.space, form, statement)
            if not actions or not slots:
                continue
            refs = frozenset(parse(kind, value) for kind, value in statement.principals or frozenset())
            step = statement_step(StatementRef(arn, position, statement.sid), label)
            self.rules.append(Rule(form, statement, refs, actions, slots, step))

    @property
    def open_to_all(self) -> bool:
        """Some Allow names everyone (or everyone but a few): every requester must be evaluated here."""
        return any(
            rule.statement.effect is not Effect.DENY
            and (
                rule.statement.not_principal
                or any(r.kind in ("everyone", "authenticated") for r in rule.refs)
            )
            for rule in self.rules
        )

    def named_keys(self) -> set[str]:
        """How rules (Allow, Deny, NotPrincipal) name principals in person: their ARNs, unique ids, and
        "{account}/{role name}" for the roles some of whose sessions they name. Whoever matches none is
        reached here only through everyone, or through its account, like every other requester of its kind
        and account: its view, and what it gets when its own policies say nothing here, are theirs."""
        return set(self._named)

    def sessions_of(self, who: Requester) -> set[str]:
        """The session names of `who` (a role) that some statement names."""
        return {
            ref.session_name
            for rule in self.rules
            for ref in rule.refs
            if ref.kind == "session" and ref.account_id == who.account_id and ref.role_name == who.role_name
        }

    def restricted(self, target: int) -> bool:
        """RestrictPublicBuckets is on and the policy governing `target` is public: only service principals
        and the owner's account get through (Amazon S3 User Guide, "Blocking public access")."""
        spot = self.space.targets[target]
        if spot.access_point is None:
            return self.block.restrict_public_buckets and BUCKET in self.public_forms
        block = self.ap_blocks[spot.access_point]
        forms = {key for key, _ in spot.views}
        return block.restrict_public_buckets and bool(forms & self.public_forms)

    def read_by(self, conditions: Conditions) -> None:
        """Learn which requester keys the rules' conditions read (once, before any `views`)."""
        self.reads = tuple(sorted({key for rule in self.rules for key in conditions.reads(rule.statement)}))

    def views(self, who: Requester, conditions: Conditions, *, bounded: bool, session: str = "") -> Views:
        """What the rules say to `who`, per (slot, policy). `bounded`: it has a permissions boundary (a Deny
        with NotPrincipal then always applies to it); `session`: the session name, when known.

        Shared by every requester the rules treat alike: same kind, account, boundary and session, not named
        by any rule in person, and the same signature for every condition (what it reads of the request).
        In an account of thousands of principals, most are named by no rule at all."""
        own = who.kind not in ("user", "role") or not self._named.isdisjoint(who.personal)
        key = (
            who.kind,
            who.account_id,
            bounded,
            session,
            who.arn if own else "",
            bool(who.canonical_ids & self.canonical),
            conditions.values(who, self.reads) if self.reads else (),
        )
        found = self._views.get(key)
        if found is None:
            applies = [_applies(rule, who, bounded, session) for rule in self.rules]
            outcomes = tuple(
                conditions.check(rule.statement, who, self.space.slot_keys(slot))
                for rule, (how, _, _) in zip(self.rules, applies, strict=True)
                if how is not None
                for slot in iter_bits(rule.slots)
            )
            found = self._views[key] = self._compute(applies, outcomes, session)
        return found

    def _compute(
        self,
        applies: list[Applies],
        outcomes: tuple[tuple[Outcome, str], ...],
        session: str,
    ) -> Views:
        found: Views = {}
        checked = iter(outcomes)
        for rule, (how, sessions, uncertain) in zip(self.rules, applies, strict=True):
            if how is None:
                continue
            exact_session = bool(sessions) and session in sessions
            # It names other sessions of the role, and the session is known: it is not this one.
            other_session = bool(sessions) and bool(session) and not exact_session
            only = "" if not sessions or exact_session else f"only for session {', '.join(sorted(sessions))}"
            for slot in iter_bits(rule.slots):
                outcome, detail = next(checked)  # one per (rule, slot): consumed even when skipped
                bits = rule.actions & self.space.slots[slot].actions
                if not bits or other_session:
                    continue
                if outcome is False:
                    continue
                maybe = (
                    uncertain
                    or outcome is None
                    or rule.statement.problem is not None
                    or (bool(sessions) and not exact_session)
                )
                view = found.setdefault((slot, rule.form), View())
                if rule.statement.problem:
                    view.unknown |= bits
                _record(view, rule, how, bits, maybe, "; ".join(d for d in (only, detail) if d))
        return found


# How a rule names a requester, the sessions it is limited to, and whether that is uncertain.
Applies = tuple[Named | None, frozenset[str], bool]
_NOT: Applies = (None, frozenset(), False)


def _applies(rule: Rule, who: Requester, bounded: bool, session: str) -> Applies:
    statement = rule.statement
    if statement.not_principal:
        if statement.effect is not Effect.ALLOW and bounded:
            return Named.EXACTLY, frozenset(), False  # Deny + NotPrincipal always denies one with a boundary
        exemption = rule.principals.exemption(who, session)
        if exemption == EXEMPT:
            return _NOT
        return Named.EXACTLY, frozenset(), exemption != NOT_EXEMPT
    named = rule.principals.naming(who)
    return named.how, named.sessions, False


def _record(view: View, rule: Rule, how: Named, bits: int, maybe: bool, detail: str) -> None:
    effect = rule.statement.effect
    if effect in (Effect.DENY, Effect.UNKNOWN):
        if maybe:
            view.deny_cond |= bits
        else:
            view.deny |= bits
    if effect in (Effect.ALLOW, Effect.UNKNOWN):
        if how is Named.EXACTLY:
            view.direct_cond, view.direct = _add(view.direct_cond, view.direct, bits, maybe)
        elif how is Named.AS_ROLE:
            view.role_cond, view.role = _add(view.role_cond, view.role, bits, maybe)
        else:
            view.account_cond, view.account = _add(view.account_cond, view.account, bits, maybe)
        view.rules.append((rule, detail))


def _add(conditional: int, certain: int, bits: int, maybe: bool) -> tuple[int, int]:
    return (conditional | bits, certain) if maybe else (conditional, certain | bits)


def _statement_slots(space: StoreSpace, form: str, statement: Statement) -> int:
    hits = 0
    for target in range(len(space.targets)):
        for pattern in statement.resources:
            hits |= space.match(form, pattern, target)
    if statement.not_resource:
        governed = sum(
            space.target_slots(t)
            for t, spot in enumerate(space.targets)
            if any(k == form for k, _ in spot.views)
        )
        return governed & ~hits
    return hits


def _policies(store: StoreResource) -> list[tuple[str, str, str, PolicyDocument]]:
    """(form, label, the policy's resource ARN, document) for each resource policy the store has."""
    found: list[tuple[str, str, str, PolicyDocument]] = []
    if store.resource_policy is not None:
        own = (BUCKET, "bucket policy") if store.kind == "s3_bucket" else (TABLE, "table policy")
        found.append((*own, store.arn, store.resource_policy))
    if store.stream_policy is not None and store.stream_arn:
        found.append((STREAM, "stream policy", store.stream_arn, store.stream_policy))
    for index, point in enumerate(store.access_points):
        if point.policy is not None:
            found.append(
                (access_point_policy(index), f"access point {point.name} policy", point.arn, point.policy)
            )
    return found


def registered_patterns(store: StoreResource) -> list[tuple[str, str]]:
    """(form, pattern) of every resource pattern the store's own policies write: registered before sealing."""
    found: list[tuple[str, str]] = []
    for form, _, _, document in _policies(store):
        for statement in parse_policy(document).statements:
            found.extend((form, pattern) for pattern in statement.resources)
    return found


_NO_BLOCK = PublicAccessBlock(False, False, False, False)


def _block(account: PublicAccessBlock | None, bucket: PublicAccessBlock | None) -> PublicAccessBlock:
    return (account or _NO_BLOCK) | bucket
