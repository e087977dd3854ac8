"""The directory part of the Entra fetch: users and groups (with their direct members) by delta query into
the mirror (directory.py), which is stored between syncs so the next sync asks only for changes.

A stored delta link Graph refuses (400 `syncStateNotFound`, or 410 Gone: graph/errors.py `DeltaExpired`), a
stored mirror this version cannot read, or a full sync asked for: the directory is read from empty. Slower,
never different.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from connectors.entra.client import DeltaExpired, GraphClient
from connectors.entra.directory import GROUP_FIELDS, USER_FIELDS, Directory
from reviews.errors import SourceUnavailable
from reviews.ports import StateStore

logger = logging.getLogger(__name__)

STATE_KEY = "entra:directory"
# The mirror's fields, as selected. `manager` is a tracked navigation property of users delta: its changes
# arrive as `manager@delta`.
USER_SELECT = ",".join(("id", *(f for f in USER_FIELDS if f != "managerId"), "manager"))
GROUP_SELECT = ",".join(("id", *GROUP_FIELDS, "members"))


@dataclass(frozen=True, slots=True)
class DirectoryRead:
    directory: Directory
    full: bool  # read from empty (no usable stored mirror, a refused delta link, or asked for)
    reset: bool  # Graph refused a stored delta link (expired or reset): it was discarded


def read_directory(client: GraphClient, state: StateStore | None, notes: list[str]) -> DirectoryRead:
    stored = _stored(state, notes)
    reset = False
    if stored is not None:
        try:
            _follow(client, stored.delta_links["users"], None, stored.apply_user, stored, "users")
            _follow(client, stored.delta_links["groups"], None, stored.apply_group, stored, "groups")
            notes.append("incremental sync (delta links)")
            return DirectoryRead(stored, full=False, reset=False)
        except DeltaExpired as exc:
            # Graph: "To fix that error, simply start a full synchronization again". The refused link is
            # dropped with the half-updated mirror; the full read below stores new links.
            reset = True
            notes.append(f"a stored delta link was refused (HTTP {exc.status} {exc.code}): full sync")
            logger.warning("entra: %s; discarding the stored delta links and reading in full", exc)
    directory = Directory()
    _follow(
        client,
        "/users/delta",
        {"$select": USER_SELECT},
        directory.apply_user,
        directory,
        "users",
    )
    _follow(client, "/groups/delta", {"$select": GROUP_SELECT}, directory.apply_group, directory, "groups")
    notes.append("full sync")
    return DirectoryRead(directory, full=True, reset=reset)


def _stored(state: StateStore | None, notes: list[str]) -> Directory | None:
    blob = state.load(STATE_KEY) if state is not None else None
    if blob is None:
        return None
    try:
        stored = Directory.load(blob)
    except (ValueError, KeyError, TypeError) as exc:  # zlib.error and json errors are ValueErrors
        notes.append(f"the stored directory mirror could not be read ({exc}): full sync")
        return None
    if not {"users", "groups"} <= set(stored.delta_links):
        return None
    return stored


def _follow(
    client: GraphClient,
    start: str,
    params: dict[str, str] | None,
    apply: Callable[[dict[str, Any]], None],
    directory: Directory,
    key: str,
) -> None:
    delta_link = None
    for page in client.pages(start, params):
        for item in page["value"]:
            apply(item)
        delta_link = page.get("@odata.deltaLink", delta_link)
    if delta_link is None:  # the last page of a delta round always carries one
        raise SourceUnavailable("entra", f"{key} delta ended without an @odata.deltaLink", retryable=True)
    directory.delta_links[key] = delta_link
