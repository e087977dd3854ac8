"""One rule of a store's resource side: a resource-policy statement or an ACL grant, over its slots."""

from __future__ import annotations

from dataclasses import dataclass, field

from connectors.aws.policy import Statement
from connectors.aws.principals import Ref, RefSet
from reviews.entitlements import PathStep


@dataclass(frozen=True, slots=True)
class Rule:
    """One statement of one resource policy, or one ACL grant, over the store's slots."""

    form: str  # which policy: BUCKET, TABLE, STREAM or an access point's key
    statement: Statement
    refs: frozenset[Ref]
    actions: int  # the catalogue's actions it names (before each slot's own restriction)
    slots: int  # the slots its resources name
    step: PathStep  # how a path names it
    public_acl: bool = False  # an ACL grant to everyone: ignored under IgnorePublicAcls
    principals: RefSet = field(init=False, compare=False)  # `refs`, indexed

    def __post_init__(self) -> None:
        object.__setattr__(self, "principals", RefSet(self.refs))
