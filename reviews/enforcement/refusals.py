"""Why one revoked item cannot be revoked automatically, checked by the plan (reviews.enforcement.plan)
before it asks the connector for a change: the principal is protected; the grant was not fully understood;
the source's latest sync is not healthy (WAIT: not refused, a later run plans it); it is the store's last
admin. The connector may refuse too (`plan_revocation` raises RevocationRefused), and a change that would
also end a refused item's access is refused with it: `refused_change_key` names that change.
"""

from __future__ import annotations

from collections import Counter

from reviews.entitlements import AccessLevel, Grant, PathStep, action_to_json
from reviews.errors import NotFound, RevocationRefused
from reviews.exposure import is_personless
from reviews.ports import Connector
from reviews.protection import Protection
from reviews.storage.models import AccessGrant, Principal, Store
from reviews.storage.revocation_links import change_key

WAIT = "wait"  # not refused: the source is not healthy now; a later run plans it


def refusal_of(
    grant: AccessGrant,
    principal: Principal,
    store: Store,
    protection: Protection,
    health: dict[str, str | None],
    admins_left: Counter[int],
) -> str | None:
    """Why this grant must not be revoked automatically (WAIT: not now, try again later), or None."""
    reason = protection.reason(provider_id=principal.provider_id, name=principal.name, email=principal.email)
    if reason:
        return f"protected: {reason}"
    if grant.needs_human_review:
        return "a policy on this path could not be fully understood; a person must check it"
    if health.get(store.system):
        return WAIT
    last_admin = store.id is not None and admins_left[store.id] <= 1
    if grant.access == AccessLevel.ADMIN and last_admin and not is_personless(principal.type):
        return f"the last admin of {store.name}: never removed automatically"
    return None


def refused_change_key(
    connector: Connector, grant: AccessGrant, store: Store, principal: Principal
) -> str | None:
    """The change key of a grant the envelope refused, if the connector can name its change."""
    if grant.valid_to is not None:
        return None
    try:
        change = connector.plan_revocation(connector_grant(grant, store, principal))
    except (RevocationRefused, NotFound):
        return None
    return change_key(store.id or 0, principal.id or 0, action_to_json(change.action))


def connector_grant(grant: AccessGrant, store: Store, principal: Principal) -> Grant:
    """The stored grant as a connector is asked about it (`Connector.plan_revocation`)."""
    return Grant(
        store_provider_id=store.provider_id,
        principal_provider_id=principal.provider_id,
        access=AccessLevel(grant.access),
        path=tuple(PathStep(step["kind"], step["id"], step["name"]) for step in grant.path),
        conditional=grant.conditional,
        needs_human_review=grant.needs_human_review,
        store_name=store.name,
        principal_name=principal.name,
    )
