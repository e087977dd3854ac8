"""KMS: reading data that a customer managed key encrypts needs kms:Decrypt on that key. Pure.

Amazon S3 User Guide, SSE-KMS: "To download an object encrypted with an AWS KMS key, you need kms:Decrypt
permissions." DynamoDB encrypts a table with its key and, on access, "sends a Decrypt request to AWS KMS that
specifies the KMS key for the table", on behalf of "the principal in your AWS account who is accessing the
table" (DynamoDB Developer Guide, encryption usage notes): its reads need the caller's kms:Decrypt too. RDS
decrypts "transparently" for database clients, so its readers need none.

AWS KMS Developer Guide, "Key policies": "Unless the key policy explicitly allows it, you cannot use IAM
policies to allow access to a KMS key": a key policy statement naming the principal lets it use the key;
one naming its account lets the account's IAM policies decide; grants let their grantee use the key.
"Cross-account access requires permission in the key policy of the KMS key and in an IAM policy in the
external user's account." Key policies often allow only through a service (kms:ViaService) or for callers
of one account (kms:CallerAccount): both are known for a read through the store, and decided.

Without kms:Decrypt there is no effective read of the encrypted data (listing stays read); when it cannot be
known (the key policy could not be read, a condition, a constrained grant) the read is conditional, and the
path names the key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from connectors.aws.combine import Decision
from connectors.aws.inventory import AwsInventory, KmsKey
from connectors.aws.matching import action_matches, resource_matches
from connectors.aws.policy import Effect, Statement, parse_policy
from connectors.aws.principals import EXEMPT, NOT_EXEMPT, Named, RefSet, Requester, parse
from connectors.aws.single import decide_statements, denies, guards_allow
from reviews.entitlements import PathStep, StoreKind

if TYPE_CHECKING:
    from connectors.aws.evaluate import Evaluator

DECRYPT = "kms:Decrypt"
# The reads that return the data itself, per store kind, and the service a key policy sees them come through.
_ENCRYPTED_READS = {
    StoreKind.S3_BUCKET: (("s3:GetObject", "s3:GetObjectVersion"), "s3"),
    StoreKind.DYNAMODB_TABLE: (
        (
            "dynamodb:GetItem",
            "dynamodb:BatchGetItem",
            "dynamodb:Query",
            "dynamodb:Scan",
            "dynamodb:PartiQLSelect",
            "dynamodb:GetRecords",
        ),
        "dynamodb",
    ),
}
Answer = bool | None  # True: may decrypt; False: may not; None: may, under conditions


@dataclass(frozen=True, slots=True)
class _Keyed:
    key_arn: str
    reads: int  # the action bits that decrypt
    via: str  # kms:ViaService for reads through the store
    # The key encrypts all the data (a DynamoDB table's key), or only what was stored without its own
    # encryption (S3 default encryption "is applied" only "If a PUT Object request doesn't specify any
    # server-side encryption": objects stored otherwise, or before, may be readable without the key).
    everything: bool


class KeyAccess:
    def __init__(self, inventory: AwsInventory, evaluator: Evaluator) -> None:
        self._ev = evaluator
        self._keys = {key.arn: key for account in inventory.accounts for key in account.kms_keys}
        self._answers: dict[tuple[str, str, str, str], tuple[Answer, str]] = {}
        self._statements: dict[str, list[tuple[Statement, RefSet]]] = {}
        self._stores: dict[int, _Keyed] = {}
        self._keys_seen: dict[tuple[str, str, str], dict[str, str | None]] = {}
        for i, store in enumerate(evaluator.stores):
            reads = _ENCRYPTED_READS.get(StoreKind(store.kind))
            if store.kms_key_arn and reads:
                actions, service = reads
                bits = 0
                for action in actions:
                    bits |= evaluator.catalog.mask(action)
                region = store.kms_key_arn.split(":")[3]
                via = f"{service}.{region}.amazonaws.com"
                self._stores[i] = _Keyed(store.kms_key_arn, bits, via, store.kind != StoreKind.S3_BUCKET)

    def key_of(self, store: int) -> str | None:
        keyed = self._stores.get(store)
        return keyed.key_arn if keyed else None

    def decrypt_for(self, store: int, who: Requester) -> Answer | str:
        """What the store's key answers `who` ("" when the store has no key that matters)."""
        keyed = self._stores.get(store)
        return "" if keyed is None else self.decrypt(keyed, who)[0]

    def limit(self, store: int, slot: int, who: Requester, decision: Decision) -> Decision:
        """The decision once the key is taken into account for the reads that decrypt."""
        keyed = self._stores.get(store)
        if keyed is None or not decision.allow & keyed.reads:
            return decision
        answer, _ = self.decrypt(keyed, who)
        if answer is True:
            return decision
        if answer is None or not keyed.everything:
            certain = decision.certain & ~keyed.reads
            return Decision(decision.allow, certain, decision.unknown, decision.by_identity)
        keep = ~keyed.reads
        return Decision(
            decision.allow & keep,
            decision.certain & keep,
            decision.unknown & keep,
            decision.by_identity & keep,
        )

    def step(self, store: int, who: Requester, bits: int) -> PathStep | None:
        """The key, for a path whose read (`bits`) depends on it: kms:Decrypt only under a condition."""
        keyed = self._stores.get(store)
        if keyed is None or not bits & keyed.reads:
            return None
        answer, why = self.decrypt(keyed, who)
        if answer is True or (answer is False and keyed.everything):
            return None
        if answer is False:
            why = f"{why}: only objects stored without this key are readable"
        key = self._keys.get(keyed.key_arn)
        name = key.aliases[0] if key is not None and key.aliases else keyed.key_arn.rsplit("/", 1)[-1]
        return PathStep("kms_key", keyed.key_arn, f"KMS key {name} ({why})")

    def decrypt(self, keyed: _Keyed, who: Requester) -> tuple[Answer, str]:
        """Whether `who` may use the key to decrypt reads through the store, and why not when it may not."""
        cache_key = (keyed.key_arn, keyed.via, who.kind, who.arn)
        found = self._answers.get(cache_key)
        if found is None:
            found = self._answers[cache_key] = self._decrypt(keyed, who)
        return found

    def _decrypt(self, keyed: _Keyed, who: Requester) -> tuple[Answer, str]:
        if who.kind in ("public", "anonymous"):
            return False, "KMS refuses anonymous requests"
        key = self._keys.get(keyed.key_arn)
        if key is None or key.policy is None:
            why = key.unreadable if key is not None and key.unreadable else "its key policy was not read"
            return None, f"kms:Decrypt unknown: {why}"
        ways = self._by_policy(key, keyed.via, who)
        answer = _both(_either(_by_grant(key, who), ways.allowed), _negate(ways.denied))
        if who.kind not in ("account", "service"):  # an outsider's own guards are its business
            answer = _both(answer, self._guards(key, who))
        why = "" if answer else "kms:Decrypt only under a condition" if answer is None else "no kms:Decrypt"
        return answer, why

    def _by_policy(self, key: KmsKey, via: str, who: Requester) -> _Ways:
        """What the key policy says: whether it lets `who` decrypt (with its IAM policies where it delegates
        to the account), and whether it denies it."""
        keys = self._request_keys(via, who.account_id, key.account_id)
        direct: Answer = False  # names it: a user or session alone; a role within its boundary
        account: Answer = False
        denied: Answer = False
        for statement, refs in self._about_decrypt(key):
            applies = _applies(statement, refs, who)
            if applies is False:
                continue
            outcome, _ = self._ev.conditions.check(statement, who, keys)
            holds = _both(applies, outcome)
            if holds is False:
                continue
            how = refs.naming(who).how
            if statement.effect is Effect.DENY:
                denied = _either(denied, holds)
            elif how is Named.AS_ACCOUNT and not statement.not_principal:
                account = _either(account, holds)
            elif how is Named.AS_ROLE:  # "limited by an implicit deny in a permissions boundary"
                direct = _either(direct, _both(holds, self._boundary_allows(key, who)))
            else:
                direct = _either(direct, holds)
        if who.kind in ("account", "service"):  # the outsider's own policies decide the rest
            return _Ways(_either(direct, account), denied)
        identity = self._identity(key, who)
        first = direct if key.account_id == who.account_id else _both(direct, identity)
        return _Ways(
            _either(first, _both(account, identity)), _either(denied, self._identity_denies(key, who))
        )

    def _request_keys(self, via: str, caller: str, owner: str) -> dict[str, str | None]:
        """The keys a read through the store sets for KMS (one shared dict per combination)."""
        found = self._keys_seen.get((via, caller, owner))
        if found is None:
            found = self._keys_seen[(via, caller, owner)] = {
                "kms:viaservice": via,
                "kms:calleraccount": caller or None,
                "aws:resourceaccount": owner,
            }
        return found

    def _about_decrypt(self, key: KmsKey) -> list[tuple[Statement, RefSet]]:
        found = self._statements.get(key.arn)
        if found is None:
            found = self._statements[key.arn] = [
                (s, RefSet(frozenset(parse(kind, value) for kind, value in s.principals or frozenset())))
                for s in parse_policy(key.policy).statements  # type: ignore[arg-type]
                if any(action_matches(p, DECRYPT) for p in s.actions) != s.not_action
                and any(resource_matches(p, key.arn) for p in s.resources) != s.not_resource
            ]
        return found

    def _identity(self, key: KmsKey, who: Requester) -> Answer:
        """Its IAM policies allow kms:Decrypt on the key, within its permissions boundary."""
        actor = self._ev.actors.get(who.arn)
        if actor is None:
            return False
        statements = [s for _, _, parsed in actor.sources for s in parsed.statements]
        allowed, conditional = decide_statements(statements, DECRYPT, key.arn)
        if allowed and actor.boundary is not None:
            inside, maybe = decide_statements(list(actor.boundary[1].statements), DECRYPT, key.arn)
            allowed, conditional = inside, conditional or maybe
        return (None if conditional else True) if allowed else False

    def _identity_denies(self, key: KmsKey, who: Requester) -> Answer:
        """An explicit Deny in its own policies stops it whoever allows it ("You can use an IAM policy to
        deny a permission to a KMS key without permission from a key policy")."""
        actor = self._ev.actors.get(who.arn)
        if actor is None:
            return False
        statements = [s for _, _, parsed in actor.sources for s in parsed.statements]
        always, maybe = denies(statements, DECRYPT, key.arn)
        return True if always else None if maybe else False

    def _boundary_allows(self, key: KmsKey, who: Requester) -> Answer:
        actor = self._ev.actors.get(who.arn)
        if actor is None or actor.boundary is None:
            return True
        inside, maybe = decide_statements(list(actor.boundary[1].statements), DECRYPT, key.arn)
        return (None if maybe else True) if inside else False

    def _guards(self, key: KmsKey, who: Requester) -> Answer:
        """The caller's SCPs and the key account's RCPs (KMS is governed by RCPs), at every level; neither
        applies to a service-linked role."""
        actor = self._ev.actors.get(who.arn)
        if actor is not None and actor.service_linked:
            return True
        answer: Answer = True
        for kind, account in (("scp", who.account_id), ("rcp", key.account_id)):
            levels = self._ev.guards.levels(kind, account)
            if levels:
                allowed, maybe = guards_allow(levels, DECRYPT, key.arn)
                answer = _both(answer, (None if maybe else True) if allowed else False)
        return answer


@dataclass(frozen=True, slots=True)
class _Ways:
    allowed: Answer
    denied: Answer


def _by_grant(key: KmsKey, who: Requester) -> Answer:
    """True: a grant lets it decrypt; None: only a constrained grant (encryption context); False: none."""
    found: Answer = False
    for grant in key.grants:
        if grant.grantee == who.arn and "Decrypt" in grant.operations:
            if not grant.constrained:
                return True
            found = None
    return found


def _applies(statement: Statement, refs: RefSet, who: Requester) -> Answer:
    if not statement.not_principal:
        return refs.naming(who).how is not None
    exemption = refs.exemption(who)
    return False if exemption == EXEMPT else True if exemption == NOT_EXEMPT else None


def _either(first: Answer, second: Answer) -> Answer:
    """Three-valued OR."""
    if first is True or second is True:
        return True
    return None if first is None or second is None else False


def _both(first: Answer, second: Answer) -> Answer:
    """Three-valued AND."""
    if first is False or second is False:
        return False
    return None if first is None or second is None else True


def _negate(value: Answer) -> Answer:
    return None if value is None else not value
