"""The least Microsoft Graph application permissions Recertify needs, per operation (for the README, the
app registration, and `recertify permissions entra`)."""

from __future__ import annotations

READ: dict[str, tuple[str, ...]] = {
    "users and their managers (delta)": ("User.Read.All",),
    "groups and their members (delta), owners": ("GroupMember.Read.All",),
    "personal-data apps: app roles, assignments, owners": ("Application.Read.All",),
    "sign-in activity (optional: without it last sign-in is unknown)": ("AuditLog.Read.All",),
    "PIM for Groups eligible members and owners (off with entra.pim_for_groups = false)": (
        "PrivilegedEligibilitySchedule.Read.AzureADGroup",
    ),
}
WRITE: dict[str, tuple[str, ...]] = {
    "remove and restore a direct group membership": ("GroupMember.ReadWrite.All",),
    "remove and restore an app role assignment (only when app revocation is enabled)": (
        "AppRoleAssignment.ReadWrite.All",
    ),
    "revoke a user's sign-in sessions (optional)": ("User.RevokeSessions.All",),
    "end and restore a PIM for Groups eligibility": ("PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup",),
}


def all_permissions() -> dict[str, dict[str, tuple[str, ...]]]:
    return {"read": READ, "write": WRITE}
