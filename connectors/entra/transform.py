"""Entra inventory + grants → the domain's `Snapshot`.

People are linked by email: a user's `mail`, else its user principal name (a guest's `#EXT#` name is not
an address). Two users claiming one address are not guessed between: neither is linked, and the sync says
so. Stores whose membership cannot be changed through Graph (dynamic, synchronized from on-premises) carry
the reason in the tag `recertify:unchangeable`, so no revocation is ever planned against them.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from connectors.entra.inventory import EntraInventory
from connectors.entra.tenant_wide import is_tenant_wide, tenant_principal
from reviews.entitlements import (
    ENTRA_CLASSIFICATION,
    Grant,
    LastUse,
    Person,
    Principal,
    PrincipalType,
    Snapshot,
    Store,
    StoreKind,
    System,
)

SIGN_IN_SOURCE = "entra:signInActivity"


def to_snapshot(inventory: EntraInventory, grants: list[Grant]) -> Snapshot:
    directory = inventory.directory
    emails = _emails(inventory)
    notes = list(inventory.notes)
    holders = {g.principal_provider_id for g in grants}
    principals = [_principal(inventory, object_id, emails) for object_id in sorted(holders)]
    people = _people(inventory, holders, emails)
    unmatched = sorted(
        p.name for p in principals if p.type is PrincipalType.ENTRA_USER and p.person_email is None
    )
    if unmatched:
        notes.append(
            f"{len(unmatched)} user(s) holding access could not be matched to a person by email: "
            + ", ".join(unmatched[:10])
            + (" …" if len(unmatched) > 10 else "")
        )
    stores = [
        *(_group_store(inventory, group_id, emails) for group_id in inventory.groups),
        *(
            Store(
                System.ENTRA,
                StoreKind.ENTRA_APP,
                app.id,
                app.display_name,
                owners=_owner_emails(app.owners, emails),
                classification=ENTRA_CLASSIFICATION,
            )
            for app in inventory.apps
        ),
    ]
    if directory.quarantined:
        notes.append(
            f"{len(directory.quarantined)} member object(s) of unknown type were quarantined (not principals)"
        )
    return Snapshot(
        System.ENTRA,
        inventory.taken_at,
        tuple(stores),
        tuple(principals),
        tuple(grants),
        tuple(people),
        tuple(notes),
        dict(inventory.counts),
    )


def _emails(inventory: EntraInventory) -> dict[str, str]:
    """User id -> canonical email, for addresses that belong to exactly one user."""
    candidates = {}
    for user_id, user in inventory.directory.users.items():
        address = user.get("mail") or (
            "" if "#EXT#" in (user.get("userPrincipalName") or "") else user.get("userPrincipalName")
        )
        if address and "@" in address:
            candidates[user_id] = address.strip().lower()
    counts = Counter(candidates.values())
    return {user_id: email for user_id, email in candidates.items() if counts[email] == 1}


def _principal(inventory: EntraInventory, object_id: str, emails: dict[str, str]) -> Principal:
    if is_tenant_wide(object_id):
        return tenant_principal(inventory, object_id)
    user = inventory.directory.users.get(object_id)
    if user is None:
        sp = inventory.service_principals[object_id]
        return Principal(
            System.ENTRA,
            PrincipalType.ENTRA_SERVICE_PRINCIPAL,
            object_id,
            sp.display_name,
            enabled=sp.enabled,
        )
    email = emails.get(object_id)
    return Principal(
        System.ENTRA,
        PrincipalType.ENTRA_USER,
        object_id,
        user.get("displayName") or object_id,
        email=email,
        enabled=user.get("accountEnabled"),
        guest=user.get("userType") == "Guest",
        created_at=_time(user.get("createdDateTime")),
        last_sign_in=_sign_in(inventory, object_id),
        person_email=email,
    )


def _sign_in(inventory: EntraInventory, user_id: str) -> LastUse:
    """What Entra grants (a group's membership, an app's role) is used only with tokens Entra issues, and
    `fetch._last_sign_in` takes the later of the interactive and non-interactive sign-ins (token refreshes
    included): the last sign-in bounds the use of everything the user holds here. That holds for a user
    synced from on-premises too: their Kerberos sign-ins to Active Directory reach no Entra-held access
    (a group written back to AD would, and is not told apart: README, Entra ID). It bounds use only up to
    when sign-in activity was read (`window_end`; reread once a day): a sign-in since is not in it (Graph's
    own delay in recording one is not subtracted). No bound when it was not read (no permission, or the user
    is newer than the last read)."""
    if inventory.sign_ins is None:
        return LastUse(None, f"{SIGN_IN_SOURCE} ({inventory.sign_ins_unread or 'not read'})")
    if user_id not in inventory.sign_ins:
        return LastUse(None, f"{SIGN_IN_SOURCE} (not read yet for this user)")
    return LastUse(
        inventory.sign_ins[user_id],
        SIGN_IN_SOURCE,
        window_end=inventory.sign_ins_read_at,
        covers_all_use=True,
    )


def _people(inventory: EntraInventory, holders: set[str], emails: dict[str, str]) -> list[Person]:
    users = inventory.directory.users
    wanted = {h for h in holders if h in emails}
    wanted |= {users[h]["managerId"] for h in list(wanted) if users[h].get("managerId") in emails}
    people = []
    for user_id in sorted(wanted):
        manager = users[user_id].get("managerId")
        people.append(
            Person(
                emails[user_id],
                display_name=users[user_id].get("displayName") or "",
                entra_object_id=user_id,
                manager_email=emails.get(manager) if manager else None,
            )
        )
    return people


def _group_store(inventory: EntraInventory, group_id: str, emails: dict[str, str]) -> Store:
    group = inventory.directory.groups[group_id]
    reason = inventory.directory.changeable(group_id)
    tags = (("recertify:unchangeable", reason),) if reason else ()
    owners = _owner_emails(inventory.group_owners.get(group_id, ()), emails)
    return Store(
        System.ENTRA,
        StoreKind.ENTRA_GROUP,
        group_id,
        group["displayName"],
        owners=owners,
        classification=ENTRA_CLASSIFICATION,
        tags=tags,
    )


def _owner_emails(owner_ids: tuple[str, ...], emails: dict[str, str]) -> tuple[str, ...]:
    return tuple(sorted({emails[o] for o in owner_ids if o in emails}))


def _time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
