"""apply and verify: one dispatch table from kind to primitive, the same order of reads and writes for all.

apply: confirming read → (already done: ALREADY_ABSENT) → (dry run: DRY_RUN, nothing written) → the write.
The write runs only after a read showed it is needed, and a write that meets "no such entity" reads again
before calling the target absent: IAM uses that one error for "no such user" and "not in that group" alike.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from connectors.aws.revoke import (
    bucket_acl,
    iam,
    identity_center,
    inline,
    public_access_block,
    resource_policies,
)
from connectors.aws.revoke.base import (
    DEFAULT_POLLING,
    Absent,
    AwsClients,
    AwsKind,
    Polling,
    Primitive,
    answers,
)
from reviews.entitlements import RevocationAction, RevocationResult, System
from reviews.errors import RevocationRefused

logger = logging.getLogger(__name__)

PRIMITIVES: Mapping[AwsKind, Primitive] = {
    **iam.PRIMITIVES,
    **inline.PRIMITIVES,
    **identity_center.PRIMITIVES,
    **resource_policies.PRIMITIVES,
    **bucket_acl.PRIMITIVES,
    **public_access_block.PRIMITIVES,
}


def apply(
    clients: AwsClients, action: RevocationAction, *, dry_run: bool, polling: Polling = DEFAULT_POLLING
) -> RevocationResult:
    """Make the action true at AWS, idempotently; with `dry_run`, read only and say what would happen."""
    primitive = _primitive(action)
    with answers(action):
        seen = primitive.observe(clients, action)
        if seen.conflict:
            raise RevocationRefused(f"{action.description}: {seen.conflict}")
        if seen.done:
            logger.info("already done, confirmed by a read: %s", action.description)
            return RevocationResult.ALREADY_ABSENT
        if dry_run:
            logger.info("dry run, not written: %s", action.description)
            return RevocationResult.DRY_RUN
        try:
            primitive.write(clients, action, polling)
        except Absent:
            if primitive.observe(clients, action).done:  # someone else got there between our read and write
                logger.info("already done, confirmed by a read after the write: %s", action.description)
                return RevocationResult.ALREADY_ABSENT
            raise
    logger.info("applied: %s", action.description)
    return RevocationResult.APPLIED


def verify(clients: AwsClients, action: RevocationAction) -> bool:
    """Read back: True when the action's end state holds (access gone; for an undo, access back)."""
    primitive = _primitive(action)
    with answers(action):
        return primitive.observe(clients, action).done


def _primitive(action: RevocationAction) -> Primitive:
    if action.system != System.AWS:
        raise RevocationRefused(f"{action.description}: a {action.system} action sent to the AWS connector")
    try:
        return PRIMITIVES[AwsKind(action.kind)]
    except ValueError:
        raise RevocationRefused(f"{action.description}: unknown AWS action kind {action.kind!r}") from None
