"""Inventory + evaluation → the domain's `Snapshot`: stores, principals, people, grants with last use.

Last use is reported with its source and window and stays unknown when AWS does not say: "not accessed in
the tracking window" is a fact with a window; "no data" is never turned into "inactive".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from connectors.aws.access import Evaluation
from connectors.aws.inventory import AwsInventory, IamRole, IamUser, ServiceLastAccessed, StoreResource
from connectors.aws.settings import AwsSettings
from reviews.entitlements import (
    Grant,
    LastUse,
    PathStep,
    Person,
    Principal,
    PrincipalType,
    Snapshot,
    Store,
    StoreKind,
    System,
)

EMAIL_TAGS = ("email", "Email", "mail", "EmailAddress")
SERVICE_OF_KIND = {StoreKind.S3_BUCKET: "s3", StoreKind.DYNAMODB_TABLE: "dynamodb", StoreKind.RDS_DB: "rds"}


def to_snapshot(
    inventory: AwsInventory,
    evaluation: Evaluation,
    settings: AwsSettings,
    last_accessed: Iterable[ServiceLastAccessed] = (),
) -> Snapshot:
    stores = [_store(s, settings) for account in inventory.accounts for s in account.stores]
    principals: list[Principal] = []
    people: dict[str, Person] = {}
    for account in inventory.accounts:
        for user in account.users:
            principals.append(_user(user, people))
        for role in account.roles:
            principals.append(_role(role))
    if inventory.identity_center is not None:
        for ic_user in inventory.identity_center.users:
            email = ic_user.email.strip().lower() if ic_user.email else None
            if email:
                people.setdefault(email, Person(email, display_name=ic_user.display_name))
            principals.append(
                Principal(
                    System.AWS,
                    PrincipalType.IDENTITY_CENTER_USER,
                    ic_user.user_id,
                    ic_user.user_name,
                    email=email,
                    person_email=email,
                )
            )
    principals.extend(
        Principal(System.AWS, outsider.type, outsider.id, outsider.name, guest=outsider.external)
        for outsider in evaluation.outsiders
    )
    kinds = {s.provider_id: s.kind for s in stores}
    used = {(a.principal_arn, a.service): a for a in last_accessed}
    grants = tuple(
        _with_context(g, kinds[g.store_provider_id], used, evaluation.trusted, inventory)
        for g in evaluation.grants
    )
    notes = (*inventory.notes, *evaluation.notes)
    return Snapshot(
        System.AWS,
        inventory.taken_at,
        tuple(stores),
        tuple(principals),
        grants,
        tuple(people.values()),
        notes,
    )


def _store(store: StoreResource, settings: AwsSettings) -> Store:
    tags = dict(store.tags)
    owners = tuple(
        o.strip().lower() for o in tags.get(settings.owner_tag, "").replace(";", ",").split(",") if o.strip()
    )
    return Store(
        System.AWS,
        StoreKind(store.kind),
        store.arn,
        store.name,
        owners=owners,
        classification=tags.get(settings.personal_data_tag, ""),
        tags=tuple(sorted(store.tags)),
    )


def _email(tags: tuple[tuple[str, str], ...]) -> str | None:
    values = dict(tags)
    for key in EMAIL_TAGS:
        if values.get(key, "").strip():
            return values[key].strip().lower()
    return None


def _user(user: IamUser, people: dict[str, Person]) -> Principal:
    email = _email(user.tags)
    if email:
        people.setdefault(email, Person(email, display_name=user.name))
    uses = [u for u in (user.password_last_used, *(k.last_used for k in user.access_keys)) if u is not None]
    sign_in = LastUse(max(uses) if uses else None, "iam:password-last-used+access-key-last-used")
    return Principal(
        System.AWS,
        PrincipalType.IAM_USER,
        user.arn,
        user.name,
        email=email,
        enabled=None,
        created_at=user.created,
        last_sign_in=sign_in,
        person_email=email,
    )


def _role(role: IamRole) -> Principal:
    return Principal(
        System.AWS,
        PrincipalType.IAM_ROLE,
        role.arn,
        role.name,
        enabled=None,
        created_at=role.created,
        last_sign_in=LastUse(role.last_used, "iam:role-last-used"),
    )


def _with_context(
    grant: Grant,
    kind: StoreKind,
    used: dict[tuple[str, str], ServiceLastAccessed],
    trusted: dict[str, tuple[PathStep, ...]],
    inventory: AwsInventory,
) -> Grant:
    """Last use for the store's service, and, for a role's own grants, who can act as that role."""
    seen = used.get((grant.principal_provider_id, SERVICE_OF_KIND[kind]))
    last = (
        LastUse(seen.last_authenticated, "iam:service-last-accessed", seen.tracking_start, inventory.taken_at)
        if seen is not None
        else None
    )
    path = grant.path
    if trusted.get(grant.principal_provider_id) and not any(step.kind == "role" for step in path):
        path = (*trusted[grant.principal_provider_id], *path)
    return replace(grant, last_used=last, path=path)
