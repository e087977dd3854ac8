"""Enterprise apps that do not require assignment: every user of the tenant can sign in. Pure.

Microsoft Entra, "Properties of an enterprise application", Assignment required?: "If this option is set to
**No**, then all users are able to sign in, and other applications and services are able to obtain an access
token to the application. This option also allows any external users that may have been invited into your
organization to sign in." Graph's `appRoleAssignmentRequired` "Specifies whether users or other service
principals need to be granted an app role assignment for this service principal before users can sign in
or apps can get tokens" (servicePrincipal resource type).

Such an app is the Entra twin of a public bucket. Its users are reported as two principals that stand for
everyone of a kind (PrincipalType.ENTRA_TENANT, an exposure: reviewed by the app's owner, never revoked
automatically): `tenant:members`, every enabled member user, and `tenant:guests`, every enabled guest user,
only when the directory holds one. The count is in the name ("All 1,204 members of the tenant"), as the
directory mirror read it at this sync. The path says why: `app_setting` "assignment not required: every
user of the tenant can sign in". Users assigned to the app are listed as well, as always.
"""

from __future__ import annotations

from collections.abc import Iterator

from connectors.entra.inventory import EntraInventory
from reviews.entitlements import AccessLevel, Grant, PathStep, Principal, PrincipalType, System

MEMBERS, GUESTS = "tenant:members", "tenant:guests"
STEP_KIND = "app_setting"
STEP_NAME = "assignment not required: every user of the tenant can sign in"


def tenant_counts(inventory: EntraInventory) -> dict[str, int]:
    """Enabled users of each kind (a disabled account cannot sign in); guests only when there is one."""
    users = [u for u in inventory.directory.users.values() if u.get("accountEnabled") is not False]
    guests = sum(1 for u in users if u.get("userType") == "Guest")
    counts = {MEMBERS: len(users) - guests}
    if guests:
        counts[GUESTS] = guests
    return counts


def tenant_wide_grants(inventory: EntraInventory, level: AccessLevel) -> Iterator[Grant]:
    open_apps = [app for app in inventory.apps if not app.assignment_required]
    if not open_apps:
        return
    holders = tenant_counts(inventory)
    for app in open_apps:
        step = PathStep(STEP_KIND, app.id, STEP_NAME)
        for holder in holders:
            yield Grant(app.id, holder, level, (step,))


def is_tenant_wide(object_id: str) -> bool:
    return object_id in (MEMBERS, GUESTS)


def tenant_principal(inventory: EntraInventory, object_id: str) -> Principal:
    count = tenant_counts(inventory)[object_id]
    kind = "member" if object_id == MEMBERS else "guest"
    name = f"All {count:,} {kind}s of the tenant" if count != 1 else f"The 1 {kind} of the tenant"
    return Principal(
        System.ENTRA,
        PrincipalType.ENTRA_TENANT,
        object_id,
        name,
        guest=object_id == GUESTS,
    )
