"""principalmapper (PMapper) as an independent oracle for IAM decisions, used offline (tests and bench only).

PMapper 1.1.5 still imports ABCs from `collections`, which Python 3.10 removed: the shim below restores the
aliases before it is imported. Nothing of ours is replaced; PMapper evaluates the same documents itself.
"""

from __future__ import annotations

import collections
import collections.abc
from typing import Any

for _name in ("Mapping", "MutableMapping", "Iterable", "Sequence", "Callable"):
    if not hasattr(collections, _name):
        setattr(collections, _name, getattr(collections.abc, _name))

from principalmapper.common import Node, Policy  # noqa: E402
from principalmapper.querying.query_interface import local_check_authorization  # noqa: E402


def oracle_node(arn: str, policies: list[dict[str, Any]], boundary: dict[str, Any] | None = None) -> Node:
    attached = [Policy(f"{arn}-policy-{i}", f"p{i}", doc) for i, doc in enumerate(policies)]
    bound = Policy(f"{arn}-boundary", "boundary", boundary) if boundary is not None else None
    return Node(arn, "AIDAEXAMPLE", attached, [], None, None, 0, True, False, bound, False, {})


def oracle_allows(node: Node, action: str, resource: str) -> bool:
    return bool(local_check_authorization(node, action, resource, {}))
