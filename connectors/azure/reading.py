"""What one Azure read returns to the connector, and how it is put together: ARM's answer (the inventory and
the stores' tags) completed with the Entra objects it names (directory_read.py).

An assignment to a deleted principal ("Identity not found" in the portal) reaches no one: Graph answers 404
for its object, and it is dropped here with a note rather than failing every sync until someone cleans it up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from connectors.azure.directory_read import EntraObject, Graph, named_objects, read_directory
from connectors.azure.model import (
    AzureInventory,
    AzureStore,
    CosmosFacts,
    KeyVaultFacts,
    PrincipalType,
    SqlFacts,
)
from connectors.azure.sign_ins import SignIns, read_sign_ins


@dataclass(frozen=True, slots=True)
class ArmRead:
    """What the ARM read (fetch) gives: the inventory with its directory still empty, and every store's
    tags (resource id -> tags; a list filtered by tag comes back without them, so fetch reads them apart)."""

    inventory: AzureInventory
    tags: dict[str, dict[str, str]]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SourceRead:
    """Everything the transform needs: the inventory with its directory, who each object is, the tags."""

    inventory: AzureInventory
    objects: dict[str, EntraObject]  # lower-case object id -> what it is
    tags: dict[str, dict[str, str]]
    taken_at: datetime
    notes: tuple[str, ...] = ()
    sign_ins: SignIns | None = None  # the users' last sign-in (sign_ins.py); None: not read


def read_all(arm: Callable[[], ArmRead], graph: Graph, *, now: datetime) -> SourceRead:
    """ARM first, then the Entra objects it names; assignments to deleted principals dropped with a note."""
    found = arm()
    inventory = found.inventory
    # A foreign group is another tenant's: this tenant's Graph does not have it, and it is its own holder.
    held = (*inventory.role_assignments, *inventory.eligible_assignments)
    foreign = {a.principal_id for a in held if a.principal_type is PrincipalType.FOREIGN_GROUP}
    directory = read_directory(graph, named_objects(inventory) - foreign)
    notes = list(found.notes)
    if directory.deleted:
        inventory, dropped = without_deleted(inventory, directory.deleted)
        notes.append(
            f"{dropped} assignment(s) or policies name {len(directory.deleted)} deleted principal(s) "
            "(Identity not found): they reach no one and were left out: "
            + ", ".join(sorted(directory.deleted))
        )
    users = [o.id for o in directory.objects.values() if o.type is PrincipalType.USER]
    sign_ins = read_sign_ins(graph, users, now=now)
    if sign_ins.unread is not None:
        notes.append(f"sign-in activity {sign_ins.unread}: last sign-in is unknown, never 'inactive'")
    return SourceRead(
        replace(inventory, directory=directory.directory),
        directory.objects,
        found.tags,
        now,
        tuple(notes),
        sign_ins,
    )


def without_deleted(inventory: AzureInventory, deleted: frozenset[str]) -> tuple[AzureInventory, int]:
    """The inventory without what names only deleted objects, and how many entries were left out."""
    gone = {i.lower() for i in deleted}
    kept = tuple(a for a in inventory.role_assignments if a.principal_id.lower() not in gone)
    dropped = len(inventory.role_assignments) - len(kept)
    eligible = tuple(a for a in inventory.eligible_assignments if a.principal_id.lower() not in gone)
    dropped += len(inventory.eligible_assignments) - len(eligible)
    denies = tuple(
        replace(
            d,
            principals=tuple(p for p in d.principals if p.lower() not in gone),
            exclude_principals=tuple(p for p in d.exclude_principals if p.lower() not in gone),
        )
        for d in inventory.deny_assignments
    )
    stores = []
    for store in inventory.stores:
        cleaned, count = _store_without(store, gone)
        stores.append(cleaned)
        dropped += count
    trimmed = replace(inventory, role_assignments=kept, eligible_assignments=eligible)
    trimmed = replace(trimmed, deny_assignments=denies)
    return replace(trimmed, stores=tuple(stores)), dropped


def _store_without(store: AzureStore, gone: set[str]) -> tuple[AzureStore, int]:
    facts = store.facts
    if isinstance(facts, KeyVaultFacts):
        policies = tuple(p for p in facts.access_policies if p.object_id.lower() not in gone)
        count = len(facts.access_policies) - len(policies)
        return replace(store, facts=replace(facts, access_policies=policies)), count
    if isinstance(facts, CosmosFacts):
        kept = tuple(a for a in facts.role_assignments if a.principal_id.lower() not in gone)
        count = len(facts.role_assignments) - len(kept)
        return replace(store, facts=replace(facts, role_assignments=kept)), count
    if isinstance(facts, SqlFacts) and facts.entra_admin and facts.entra_admin.object_id.lower() in gone:
        return replace(store, facts=SqlFacts(None)), 1
    return store, 0
