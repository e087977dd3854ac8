"""KMS: reading an object that a customer managed key encrypts needs kms:Decrypt on that key. Pure.

Amazon S3 User Guide, SSE-KMS: to download an object encrypted with a KMS key, the requester needs
kms:Decrypt on the key. AWS KMS Developer Guide, "Key policies": "Unless the key policy explicitly allows it,
you cannot use IAM policies to allow access to a KMS key": a key policy statement naming the principal lets
it use the key; one naming its account lets the account's IAM policies decide; grants let their grantee use
the key. Across accounts, both the key policy and the caller's IAM policies must allow.

Without kms:Decrypt there is no effective read of the encrypted data (listing stays read); when whether it has
it cannot be known (the key policy could not be read, a condition, a constrained grant) the read is
conditional, and the path names the key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from connectors.aws.combine import Decision
from connectors.aws.inventory import AwsInventory, KmsKey
from connectors.aws.matching import action_matches
from connectors.aws.policy import Effect, parse_policy
from connectors.aws.principals import EXEMPT, NOT_EXEMPT, Named, RefSet, Requester, parse
from connectors.aws.single import decide_statements, guards_allow
from reviews.entitlements import PathStep, StoreKind

if TYPE_CHECKING:
    from connectors.aws.evaluate import Evaluator

DECRYPT = "kms:Decrypt"
_ENCRYPTED_READS = ("s3:GetObject", "s3:GetObjectVersion")  # the reads that return the object's data


class KeyAccess:
    def __init__(self, inventory: AwsInventory, evaluator: Evaluator) -> None:
        self._ev = evaluator
        self._keys = {key.arn: key for account in inventory.accounts for key in account.kms_keys}
        self._bits = 0
        for action in _ENCRYPTED_READS:
            self._bits |= evaluator.catalog.mask(action)
        self._answers: dict[tuple[str, str], tuple[bool | None, str]] = {}
        self._store_keys = {
            i: store.kms_key_arn
            for i, store in enumerate(evaluator.stores)
            if store.kms_key_arn and store.kind == StoreKind.S3_BUCKET
        }

    def key_of(self, store: int) -> str | None:
        return self._store_keys.get(store)

    def decrypt_for(self, store: int, who: Requester) -> bool | None | str:
        """What the store's key answers `who` ("" when the store has no key that matters)."""
        key_arn = self.key_of(store)
        return "" if key_arn is None else self.decrypt(key_arn, who)[0]

    def limit(self, store: int, slot: int, who: Requester, decision: Decision) -> Decision:
        """The decision once the key is taken into account for the reads that decrypt."""
        key_arn = self.key_of(store)
        if key_arn is None or not decision.allow & self._bits:
            return decision
        outcome, _ = self.decrypt(key_arn, who)
        if outcome is True:
            return decision
        if outcome is None:
            return Decision(
                decision.allow, decision.certain & ~self._bits, decision.unknown, decision.by_identity
            )
        keep = ~self._bits
        return Decision(
            decision.allow & keep,
            decision.certain & keep,
            decision.unknown & keep,
            decision.by_identity & keep,
        )

    def step(self, store: int, who: Requester) -> PathStep | None:
        """The key, for a path whose read depends on it (decrypt possible only conditionally)."""
        key_arn = self.key_of(store)
        if key_arn is None:
            return None
        outcome, why = self.decrypt(key_arn, who)
        return (
            None
            if outcome is not None
            else PathStep("kms_key", key_arn, f"KMS key {_name(self._keys.get(key_arn), key_arn)} ({why})")
        )

    def decrypt(self, key_arn: str, who: Requester) -> tuple[bool | None, str]:
        """Whether `who` may use the key to decrypt: True, False, or None (may), with why when not True."""
        cached = self._answers.get((key_arn, who.arn))
        if cached is None:
            cached = self._answers[(key_arn, who.arn)] = self._decrypt(key_arn, who)
        return cached

    def _decrypt(self, key_arn: str, who: Requester) -> tuple[bool | None, str]:
        if who.kind in ("public", "anonymous"):
            return False, "KMS refuses anonymous requests"
        key = self._keys.get(key_arn)
        if key is None or key.policy is None:
            why = key.unreadable if key is not None and key.unreadable else "its key policy was not read"
            return None, f"kms:Decrypt unknown: {why}"
        granted, by_policy = self._by_grant(key, who), self._by_policy(key, who)
        if by_policy is True or granted is True:
            return True, ""
        if by_policy is None or granted is None:
            return None, "kms:Decrypt only under a condition"
        return False, "no kms:Decrypt on the key"

    @staticmethod
    def _by_grant(key: KmsKey, who: Requester) -> bool | None:
        """True: a grant lets it decrypt; None: only a constrained grant (encryption context); False: none."""
        found: bool | None = False
        for grant in key.grants:
            if grant.grantee == who.arn and "Decrypt" in grant.operations:
                if not grant.constrained:
                    return True
                found = None
        return found

    def _by_policy(self, key: KmsKey, who: Requester) -> bool | None:
        statements = [
            s
            for s in parse_policy(key.policy).statements  # type: ignore[arg-type]
            if any(action_matches(p, DECRYPT) for p in s.actions) != s.not_action
        ]
        direct = account = maybe = False
        for statement in statements:
            refs = RefSet(
                frozenset(parse(kind, value) for kind, value in statement.principals or frozenset())
            )
            uncertain = False
            if statement.not_principal:
                exemption = refs.exemption(who)
                applies = None if exemption == EXEMPT else Named.EXACTLY
                uncertain = exemption not in (EXEMPT, NOT_EXEMPT)
            else:
                applies = refs.naming(who).how
            if applies is None:
                continue
            if statement.effect is Effect.DENY:
                if not statement.conditional and not uncertain:
                    return False
                maybe = True
                continue
            conditional = statement.conditional or statement.problem is not None
            maybe = maybe or conditional
            if applies is Named.AS_ACCOUNT:
                account = True
            else:
                direct = direct or not conditional
        if who.kind in ("account", "service"):
            return (
                True
                if (direct or account) and not maybe
                else (None if (direct or account or maybe) else False)
            )
        identity = self._identity(key, who)
        same = key.account_id == who.account_id
        allowed = (direct and (same or identity[0])) or (account and identity[0])
        if allowed and not maybe and not identity[1]:
            return True
        return None if (allowed or maybe) else False

    def _identity(self, key: KmsKey, who: Requester) -> tuple[bool, bool]:
        actor = self._ev.actors.get(who.arn)
        if actor is None:
            return False, False
        statements = [s for _, _, parsed in actor.sources for s in parsed.statements]
        allowed, conditional = decide_statements(statements, DECRYPT, key.arn)
        if allowed and actor.boundary is not None:
            inside, boundary_conditional = decide_statements(
                list(actor.boundary[1].statements), DECRYPT, key.arn
            )
            allowed, conditional = inside, conditional or boundary_conditional
        scps = self._ev.guards.levels("scp", who.account_id)
        if allowed and scps and not actor.service_linked:
            inside, guard_conditional = guards_allow(scps, DECRYPT, key.arn)
            allowed, conditional = inside, conditional or guard_conditional
        return allowed, conditional


def _name(key: KmsKey | None, arn: str) -> str:
    if key is not None and key.aliases:
        return key.aliases[0]
    return arn.rsplit("/", 1)[-1]
