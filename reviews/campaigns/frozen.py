"""The grant as a campaign froze it: what a review item is about, kept unchanged after the grant changes.

Stored as JSON on `ReviewItem.frozen_grant`; every reader goes through `frozen_grant_of(item)`, never through
string keys. Version 1 is the shape every campaign has written since the first one; rows written before the
version was stored carry the same keys without `"version"` and are read by the same reader (`_read_v1`),
never rewritten: frozen grants are evidence, and evidence is not edited after the fact. A row that lacks a
required field fails loudly, naming the item: a default here would decide who reviews the next stage.

One name for the store's provider id (the ARN, the Graph object id, the Azure resource id) in code:
`provider_id`, as on `Store` and the sync's rows. The stored JSON key stays `"id"` (existing rows, exports).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from reviews.entitlements import stored_path_steps
from reviews.errors import MalformedRecord
from reviews.storage.models import ReviewItem

VERSION = 1
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class FrozenStore:
    provider_id: str  # stored as "id"
    name: str
    system: str
    kind: str
    owners: tuple[str, ...]
    classification: str


@dataclass(frozen=True, slots=True)
class FrozenPrincipal:
    provider_id: str  # stored as "id"
    type: str
    name: str
    email: str | None
    enabled: bool | None
    guest: bool


@dataclass(frozen=True, slots=True)
class FrozenGrant:
    store: FrozenStore
    principal: FrozenPrincipal
    access: str
    path: tuple[Mapping[str, str], ...]  # each step as the sync stored it: {kind, id, name}
    conditional: bool
    needs_human_review: bool
    last_used: str | None  # ISO 8601, as frozen; None: unknown, never "unused"
    last_used_source: str | None
    version: int = VERSION

    @property
    def key(self) -> str:
        """The line the campaign's population hash is made of (store, principal, access)."""
        return f"{self.store.provider_id}\t{self.principal.provider_id}\t{self.access}"

    @property
    def path_steps(self) -> tuple[str, ...]:
        return stored_path_steps([dict(step) for step in self.path])

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "store": {
                "id": self.store.provider_id,
                "name": self.store.name,
                "system": self.store.system,
                "kind": self.store.kind,
                "owners": list(self.store.owners),
                "classification": self.store.classification,
            },
            "principal": {
                "id": self.principal.provider_id,
                "type": self.principal.type,
                "name": self.principal.name,
                "email": self.principal.email,
                "enabled": self.principal.enabled,
                "guest": self.principal.guest,
            },
            "access": self.access,
            "path": [dict(step) for step in self.path],
            "conditional": self.conditional,
            "needs_human_review": self.needs_human_review,
            "last_used": self.last_used,
            "last_used_source": self.last_used_source,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], *, item: str) -> FrozenGrant:
        """`item` names the row in the error ("review item 12")."""
        version = data.get("version", VERSION) if isinstance(data, Mapping) else None
        if version != VERSION:
            raise MalformedRecord(f"{item}: its frozen grant has an unknown version {version!r}")
        try:
            return _read_v1(data)
        except (KeyError, TypeError, ValueError) as exc:
            raise MalformedRecord(f"{item}: its frozen grant is malformed ({_problem(exc)})") from exc


def frozen_grant_of(item: ReviewItem) -> FrozenGrant:
    return FrozenGrant.from_json(item.frozen_grant, item=f"review item {item.id}")


def _read_v1(data: Mapping[str, Any]) -> FrozenGrant:
    """Version 1, with or without its `"version"` key (rows from before it was stored have the same keys)."""
    store, principal = data["store"], data["principal"]
    return FrozenGrant(
        store=FrozenStore(
            provider_id=_text(store, "id"),
            name=_text(store, "name"),
            system=_text(store, "system"),
            kind=_text(store, "kind"),
            owners=tuple(_texts(store, "owners")),
            classification=_text(store, "classification"),
        ),
        principal=FrozenPrincipal(
            provider_id=_text(principal, "id"),
            type=_text(principal, "type"),
            name=_text(principal, "name"),
            email=_optional_text(principal, "email"),
            enabled=_optional_bool(principal, "enabled"),
            guest=_bool(principal, "guest"),
        ),
        access=_text(data, "access"),
        path=tuple(_step(step) for step in _list(data, "path")),
        conditional=_bool(data, "conditional"),
        needs_human_review=_bool(data, "needs_human_review"),
        last_used=_optional_text(data, "last_used"),
        last_used_source=_optional_text(data, "last_used_source"),
    )


def _problem(exc: Exception) -> str:
    return f"no {exc}" if isinstance(exc, KeyError) else str(exc)


def _typed(data: Mapping[str, Any], key: str, kind: type[T], what: str) -> T:
    value = data[key]
    if not isinstance(value, kind):
        raise ValueError(f"{key} is not {what}")
    return value


def _text(data: Mapping[str, Any], key: str) -> str:
    return _typed(data, key, str, "text")


def _optional_text(data: Mapping[str, Any], key: str) -> str | None:
    return None if data[key] is None else _text(data, key)


def _bool(data: Mapping[str, Any], key: str) -> bool:
    return _typed(data, key, bool, "true or false")


def _optional_bool(data: Mapping[str, Any], key: str) -> bool | None:
    return None if data[key] is None else _bool(data, key)


def _list(data: Mapping[str, Any], key: str) -> list[Any]:
    return _typed(data, key, list, "a list")


def _texts(data: Mapping[str, Any], key: str) -> list[str]:
    values = _list(data, key)
    if not all(isinstance(value, str) for value in values):
        raise ValueError(f"{key} holds something other than text")
    return values


def _step(step: Any) -> Mapping[str, str]:
    if (
        not isinstance(step, dict)
        or not isinstance(step.get("kind"), str)
        or not isinstance(step.get("name"), str)
    ):
        raise ValueError("a path step without a kind and a name")
    return dict(step)
