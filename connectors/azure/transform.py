"""The evaluator's answer → the domain's `Snapshot`: stores, principals, people, grants with paths. Pure.

A store is its ARM resource id (system `azure`), its owners the owner tag's emails and its classification the
personal-data tag's value, both tag names matched without case as Azure does. A principal is its Entra object
id: users `entra_user`, service principals and managed identities `entra_service_principal`; groups appear
only in paths (principal → groups → role assignment (role, scope) → store). A foreign group (another
tenant's, which this tenant cannot expand) is an exposure: `entra_tenant`, reviewed by the store's owner.
A device cannot sign in to Azure Resource Manager: its grants are left out, with a note.
"""

from __future__ import annotations

from collections import Counter

from connectors.azure.directory_read import EntraObject
from connectors.azure.grants import AzureGrant
from connectors.azure.model import AzureStore
from connectors.azure.model import PrincipalType as AzureType
from connectors.azure.reading import SourceRead
from connectors.azure.settings import AzureSettings, classification
from connectors.azure.sign_ins import SignIns
from connectors.entra.transform import SIGN_IN_SOURCE
from reviews.entitlements import Grant, LastUse, Person, Principal, PrincipalType, Snapshot, Store, System
from reviews.errors import IncompleteSnapshot

_TYPES = {
    AzureType.USER: PrincipalType.ENTRA_USER,
    AzureType.SERVICE_PRINCIPAL: PrincipalType.ENTRA_SERVICE_PRINCIPAL,
    AzureType.FOREIGN_GROUP: PrincipalType.ENTRA_TENANT,
}


def to_snapshot(read: SourceRead, grants: tuple[AzureGrant, ...], settings: AzureSettings) -> Snapshot:
    stores = tuple(_store(store, read.tags, settings) for store in read.inventory.stores)
    kept = [g for g in grants if g.principal_type in _TYPES]
    devices = {g.principal_id.lower() for g in grants if g.principal_type not in _TYPES}
    emails = _emails(read.objects)
    principals: dict[str, Principal] = {}
    out = []
    for grant in kept:
        principal = principals.get(grant.principal_id.lower())
        if principal is None:
            principal = _principal(grant, read.objects, emails, read.sign_ins)
            principals[grant.principal_id.lower()] = principal
        out.append(
            Grant(
                store_provider_id=grant.store_id,
                principal_provider_id=principal.provider_id,
                access=grant.level,
                path=grant.path,
                conditional=grant.conditional,
            )
        )
    people = {
        p.person_email: Person(p.person_email, display_name=p.name)
        for p in principals.values()
        if p.person_email is not None
    }
    notes = list(read.notes)
    if devices:
        notes.append(
            f"{len(devices)} device(s) reached through groups were left out: a device cannot sign in"
        )
    ambiguous = sorted(
        e for e, n in Counter(_address(o) for o in read.objects.values()).items() if e and n > 1
    )
    if ambiguous:
        notes.append(f"email(s) shared by several users, linked to no person: {', '.join(ambiguous)}")
    return Snapshot(
        System.AZURE,
        read.taken_at,
        stores,
        tuple(sorted(principals.values(), key=lambda p: p.provider_id)),
        tuple(out),
        tuple(sorted(people.values(), key=lambda p: p.email)),
        tuple(notes),
    )


def _store(store: AzureStore, tags: dict[str, dict[str, str]], settings: AzureSettings) -> Store:
    own = tags.get(store.resource_id)
    if own is None:
        raise IncompleteSnapshot(f"azure: the tags of {store.resource_id} were not read")
    return Store(
        System.AZURE,
        store.kind.domain,
        store.resource_id,
        store.name,
        owners=settings.owners(own),
        classification=classification(own, settings.personal_data_tag) or "",
        tags=tuple(sorted(own.items())),
    )


def _principal(
    grant: AzureGrant, objects: dict[str, EntraObject], emails: dict[str, str], sign_ins: SignIns | None
) -> Principal:
    kind = _TYPES[grant.principal_type]
    if grant.principal_type is AzureType.FOREIGN_GROUP:
        name = f"Members of group {grant.principal_id} of another tenant"
        return Principal(System.AZURE, kind, grant.principal_id, name, guest=True)
    entra = objects.get(grant.principal_id.lower())
    if entra is None:
        raise IncompleteSnapshot(f"azure: principal {grant.principal_id} holds access but was not read")
    email = emails.get(entra.id.lower()) if kind is PrincipalType.ENTRA_USER else None
    return Principal(
        System.AZURE,
        kind,
        entra.id,
        entra.name,
        email=email,
        enabled=entra.enabled,
        guest=entra.guest,
        last_sign_in=_sign_in(sign_ins, entra.id) if kind is PrincipalType.ENTRA_USER else None,
        person_email=email,
    )


def _sign_in(sign_ins: SignIns | None, user_id: str) -> LastUse:
    """Role assignments are used only with tokens Entra issues: the user's last sign-in (interactive or not)
    bounds the use of all they hold, up to when it was read (`window_end`). Unknown when it was not read
    (no AuditLog.Read.All, no P1/P2 licence) or not for this user; never "inactive"."""
    if sign_ins is None or sign_ins.by_user is None:
        why = "not read" if sign_ins is None else sign_ins.unread
        return LastUse(None, f"{SIGN_IN_SOURCE} ({why})")
    if user_id.lower() not in sign_ins.by_user:
        return LastUse(None, f"{SIGN_IN_SOURCE} (not read for this user)")
    return LastUse(
        sign_ins.by_user[user_id.lower()], SIGN_IN_SOURCE, window_end=sign_ins.read_at, covers_all_use=True
    )


def _address(entra: EntraObject) -> str | None:
    """A user's email as the Entra connector reads it: `mail`, else the user principal name (a guest's
    `#EXT#` name is not an address)."""
    if entra.type is not AzureType.USER:
        return None
    for candidate in (entra.mail, entra.user_principal_name):
        if candidate and "#EXT#" not in candidate.upper() and "@" in candidate:
            return candidate.strip().lower()
    return None


def _emails(objects: dict[str, EntraObject]) -> dict[str, str]:
    """User id -> canonical email, for addresses that belong to exactly one user."""
    counts = Counter(_address(o) for o in objects.values())
    return {
        key: address
        for key, entra in objects.items()
        if (address := _address(entra)) is not None and counts[address] == 1
    }
