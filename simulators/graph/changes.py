"""Net changes between two positions of the tenant's change log, for incremental delta rounds.

Log entries are (op, id, detail): "u" user added/updated, "ud" user deleted, "mg" manager changed (detail =
previous manager), "g" group added/updated, "gd" group deleted, "m+"/"m-" member added/removed (id = group,
detail = member). A membership added then removed inside the window is no change at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from simulators.graph.state import LogEntry


@dataclass(frozen=True, slots=True)
class UserChanges:
    ids: list[str]  # sorted
    manager_before: dict[str, str | None]  # users whose manager link changed → manager at window start


@dataclass(frozen=True, slots=True)
class MemberChanges:
    ids: list[str]  # sorted member ids with a net change
    removed: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True, slots=True)
class GroupChanges:
    ids: list[str]  # sorted
    members: dict[str, MemberChanges]


def user_changes(log: list[LogEntry], start: int, end: int, *, track_manager: bool) -> UserChanges:
    changed: set[str] = set()
    before: dict[str, str | None] = {}
    for op, object_id, detail in log[start:end]:
        if op in ("u", "ud"):
            changed.add(object_id)
        elif op == "mg" and track_manager:
            changed.add(object_id)
            before.setdefault(object_id, detail)
    return UserChanges(sorted(changed), before)


def group_changes(log: list[LogEntry], start: int, end: int, *, track_members: bool) -> GroupChanges:
    changed: set[str] = set()
    net: dict[str, dict[str, tuple[bool, bool]]] = {}  # group → member → (present at start, present now)
    for op, object_id, detail in log[start:end]:
        if op in ("g", "gd"):
            changed.add(object_id)
        elif op in ("m+", "m-") and track_members and detail is not None:
            changed.add(object_id)
            per_group = net.setdefault(object_id, {})
            added = op == "m+"
            first = per_group[detail][0] if detail in per_group else not added
            per_group[detail] = (first, added)
    members = {}
    for gid, per_group in net.items():
        moved = sorted(m for m, (first, now) in per_group.items() if first != now)
        members[gid] = MemberChanges(moved, frozenset(m for m in moved if not per_group[m][1]))
    return GroupChanges(sorted(changed), members)
