"""Customer managed KMS keys that encrypt stores: which key a store names, and each key's policy and grants.

Reading a store's data encrypted with a customer managed key needs kms:Decrypt on that key, which its key
policy and grants decide; AWS owned and AWS managed keys are out of the customer's hands and are not kept.
A key that cannot be read (its account is not read by Recertify, or the read role is denied) is still
recorded, as unreadable with the reason, never skipped: whoever needs it then holds the data only
conditionally. GetKeyPolicy cannot be called across accounts (API reference: "Cross-account use: No"), so a
key is read with the credentials of the account that owns it.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from connectors.aws.accounts import AwsAccount
from connectors.aws.documents import decode
from connectors.aws.errors import ACCESS_DENIED, AwsApiError, aws_call, malformed, parsing
from connectors.aws.inventory import AccountInventory, KmsGrant, KmsKey

logger = logging.getLogger(__name__)

# DescribeKey in the store's account (which key, and who manages it); the rest in the key's own account.
PERMISSIONS = ("kms:DescribeKey", "kms:GetKeyPolicy", "kms:ListGrants", "kms:ListAliases")
CUSTOMER = "CUSTOMER"  # KeyMetadata.KeyManager of a customer managed key (the other value is AWS)
# A key that cannot be described or read: denied by its key policy or the read role, or gone. Anything else
# (throttling past the retries, a 500) is a failure of the read and raises.
_UNREADABLE = ACCESS_DENIED | {"NotFoundException", "InvalidArnException", "KMSInvalidStateException"}


def customer_managed_key(account: AwsAccount, region: str, key_id: str, where: str) -> str | None:
    """The ARN of the key `key_id` names when it is customer managed, None when AWS manages it. `key_id` is
    what S3 default encryption or DynamoDB names: a key id, key ARN, alias name or alias ARN, resolved in the
    store's account and region (an ARN in its own region). `where` names the store, for the error message.

    A key that cannot be described (one of another account whose key policy does not let this account see
    it, or one that no longer exists) keeps an ARN, so that `attach_kms_keys` records why it is unreadable.
    """
    key_region = _arn_part(key_id, 3) or region
    operation = f"kms:DescribeKey {key_id} for {where} in {key_region}"
    try:
        with aws_call(account.account_id, operation):
            answer = account.client("kms", key_region).describe_key(KeyId=key_id)
    except AwsApiError as exc:
        if exc.code not in _UNREADABLE:
            raise
        logger.info("%s: %s cannot be described (%s); kept as unreadable", where, key_id, exc.code)
        return _as_arn(key_id, account, key_region)
    with parsing(account.account_id, operation):
        metadata = answer["KeyMetadata"]
        return str(metadata["Arn"]) if metadata["KeyManager"] == CUSTOMER else None


def attach_kms_keys(
    accounts: Sequence[AwsAccount], inventories: Sequence[AccountInventory]
) -> tuple[AccountInventory, ...]:
    """Every key a store names, read once, in its own account's `kms_keys` when that account is read; a key
    of an account that is not read goes to the (first, by id) account whose store it encrypts."""
    sessions = {account.account_id: account for account in accounts}
    users: dict[str, set[str]] = defaultdict(set)  # key ARN → accounts of the stores it encrypts
    for inventory in inventories:
        for store in inventory.stores:
            if store.kms_key_arn:
                users[store.kms_key_arn].add(inventory.account_id)
    homes: dict[str, list[KmsKey]] = defaultdict(list)
    for arn in sorted(users):
        owner = _arn_part(arn, 4)
        if owner in sessions:
            homes[owner].append(_read_key(sessions[owner], arn))
        else:
            reason = f"its account {owner or '(unknown)'} is not one Recertify reads"
            homes[min(users[arn])].append(_unreadable(arn, reason))
    return tuple(
        replace(inventory, kms_keys=tuple(homes.get(inventory.account_id, ()))) for inventory in inventories
    )


def _read_key(account: AwsAccount, arn: str) -> KmsKey:
    region = _arn_part(arn, 3)
    client = account.client("kms", region)
    me = account.account_id
    step = "kms:GetKeyPolicy"
    try:
        operation = f"{step} {arn} in {region}"
        with aws_call(me, operation):
            answer = client.get_key_policy(KeyId=arn, PolicyName="default")
        with parsing(me, operation):
            policy = decode(answer["Policy"])
        step = "kms:ListGrants"
        listed = _pages(me, f"{step} {arn} in {region}", client.list_grants, "Grants", KeyId=arn)
        grants = [_grant(me, item) for item in listed]
        step = "kms:ListAliases"
        listed = _pages(me, f"{step} {arn} in {region}", client.list_aliases, "Aliases", KeyId=arn)
        with parsing(me, step):
            aliases = [item["AliasName"] for item in listed]
    except AwsApiError as exc:
        if exc.code not in _UNREADABLE:
            raise
        logger.info("KMS key %s not readable: %s", arn, exc.code)
        return _unreadable(arn, f"account {me} answered {exc.code} to {step}")
    return KmsKey(
        arn=arn,
        account_id=me,
        region=region,
        policy=policy,
        grants=tuple(sorted(grants, key=lambda g: (g.grantee, g.operations, g.constrained))),
        aliases=tuple(sorted(aliases)),
    )


def _grant(account_id: str, item: dict[str, Any]) -> KmsGrant:
    with parsing(account_id, "kms:ListGrants"):
        constraints = item.get("Constraints") or {}
        return KmsGrant(
            grantee=item["GranteePrincipal"],
            operations=tuple(sorted(item["Operations"])),
            # EncryptionContextSubset/Equals: the grant holds only for requests with that encryption context.
            constrained=any(constraints.values()),
        )


def _pages(
    account_id: str, operation: str, call: Callable[..., dict[str, Any]], key: str, **kwargs: str
) -> list[dict[str, Any]]:
    """Every page of a KMS list: KMS answers Truncated with NextMarker; a truncated page without a marker, or
    a marker seen before, is a broken answer (botocore's paginator would stop quietly on the first)."""
    items: list[dict[str, Any]] = []
    seen: set[str] = set()
    marker: str | None = None
    while True:
        with aws_call(account_id, operation):
            page = call(**kwargs, **({"Marker": marker} if marker else {}))
        with parsing(account_id, operation):
            items.extend(page[key])
            if not page.get("Truncated"):
                return items
            marker = page.get("NextMarker")
        if not marker:
            raise malformed(account_id, operation, "a page says Truncated but gives no NextMarker")
        if marker in seen:
            raise malformed(account_id, operation, "the same NextMarker came back twice")
        seen.add(marker)


def _unreadable(arn: str, reason: str) -> KmsKey:
    return KmsKey(
        arn=arn,
        account_id=_arn_part(arn, 4),
        region=_arn_part(arn, 3),
        policy=None,
        grants=(),
        unreadable=reason,
    )


def _as_arn(key_id: str, account: AwsAccount, region: str) -> str:
    if key_id.startswith("arn:"):
        return key_id
    kind = "" if key_id.startswith("alias/") else "key/"  # "alias/name" already carries its resource type
    return f"arn:{account.partition}:kms:{region}:{account.account_id}:{kind}{key_id}"


def _arn_part(arn: str, index: int) -> str:
    parts = arn.split(":")
    return parts[index] if arn.startswith("arn:") and len(parts) > index else ""
