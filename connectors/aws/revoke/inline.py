"""Inline policies: deleting one destroys its document, so the inverse carries the document read at plan time.

The revocation carries a fingerprint of the same document: if someone changed the policy after we planned,
deleting it would destroy a document the undo cannot restore, so the write is refused until it is re-planned.
Likewise an undo never overwrites a different policy that has since appeared under the same name.

Documents travel as JSON text. botocore hands IAM's URL-encoded documents over parsed; `json.dumps` of that
object is the same policy (key order kept), which is what `put_*_policy` restores.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any
from urllib.parse import unquote

from connectors.aws.revoke.base import (
    DONE,
    PENDING,
    Absent,
    AwsClients,
    AwsKind,
    Observed,
    PlannedRevocation,
    Polling,
    Primitive,
    answers,
    aws_action,
    call,
    param,
)
from connectors.aws.revoke.iam import ROLE, USER, Holder, iam_client
from reviews.entitlements import RevocationAction
from reviews.errors import NotFound

Document = dict[str, Any] | str


def document_text(document: Document) -> str:
    return json.dumps(document) if isinstance(document, dict) else document


def fingerprint(document: Document) -> str:
    """The same for the same policy, however it is spaced or ordered."""
    parsed: object = document
    if isinstance(document, str):
        try:
            parsed = json.loads(document)
        except ValueError:
            return hashlib.sha256(document.encode()).hexdigest()
    canonical = json.dumps(parsed, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _names(holder: Holder, action: RevocationAction) -> dict[str, str]:
    return {holder.api_name: param(action, holder.name_param), "PolicyName": param(action, "policy_name")}


def _read(holder: Holder, clients: AwsClients, action: RevocationAction) -> Document | None:
    """The current document; None when the policy (or its user or role) no longer exists."""
    try:
        answer = call(
            iam_client(clients, action), action, f"get_{holder.noun}_policy", **_names(holder, action)
        )
    except Absent:
        return None
    document: Document = answer["PolicyDocument"]
    # botocore leaves a document it could not parse URL-encoded, as IAM sent it.
    return unquote(document) if isinstance(document, str) else document


def _deletion(holder: Holder) -> Primitive:
    def observe(clients: AwsClients, action: RevocationAction) -> Observed:
        document = _read(holder, clients, action)
        if document is None:
            return DONE
        if fingerprint(document) != param(action, "document_sha256"):
            return Observed(
                done=False,
                conflict="the policy changed after it was planned; plan again so that undo restores it",
            )
        return PENDING

    def write(clients: AwsClients, action: RevocationAction, polling: Polling) -> None:
        call(iam_client(clients, action), action, f"delete_{holder.noun}_policy", **_names(holder, action))

    return Primitive(observe=observe, write=write)


def _restoration(holder: Holder) -> Primitive:
    def observe(clients: AwsClients, action: RevocationAction) -> Observed:
        document = _read(holder, clients, action)
        if document is None:
            return PENDING
        if fingerprint(document) != fingerprint(param(action, "policy_document")):
            return Observed(
                done=False, conflict="a different policy of that name exists now: not overwritten"
            )
        return DONE

    def write(clients: AwsClients, action: RevocationAction, polling: Polling) -> None:
        document = param(action, "policy_document")
        method = f"put_{holder.noun}_policy"
        call(iam_client(clients, action), action, method, **_names(holder, action), PolicyDocument=document)

    return Primitive(observe=observe, write=write)


def _plan(
    clients: AwsClients,
    holder: Holder,
    kinds: tuple[AwsKind, AwsKind],
    account_id: str,
    name: str,
    policy: str,
) -> PlannedRevocation:
    keys = {"account_id": account_id, holder.name_param: name, "policy_name": policy}
    subject = f"inline policy {policy} of IAM {holder.noun} {name} in account {account_id}"
    probe = aws_action(kinds[0], f"delete {subject}", **keys)
    with answers(probe):
        document = _read(holder, clients, probe)
    if document is None:
        raise NotFound(f"delete {subject}: nothing to revoke, a read shows it is already absent")
    action = aws_action(kinds[0], f"delete {subject}", **keys, document_sha256=fingerprint(document))
    inverse = aws_action(
        kinds[1], f"restore {subject} as it was planned", **keys, policy_document=document_text(document)
    )
    return PlannedRevocation(action=action, inverse=inverse)


def plan_delete_user_policy(
    clients: AwsClients, *, account_id: str, user_name: str, policy_name: str
) -> PlannedRevocation:
    kinds = (AwsKind.DELETE_USER_POLICY, AwsKind.PUT_USER_POLICY)
    return _plan(clients, USER, kinds, account_id, user_name, policy_name)


def plan_delete_role_policy(
    clients: AwsClients, *, account_id: str, role_name: str, policy_name: str
) -> PlannedRevocation:
    kinds = (AwsKind.DELETE_ROLE_POLICY, AwsKind.PUT_ROLE_POLICY)
    return _plan(clients, ROLE, kinds, account_id, role_name, policy_name)


PRIMITIVES: dict[AwsKind, Primitive] = {
    AwsKind.DELETE_USER_POLICY: _deletion(USER),
    AwsKind.PUT_USER_POLICY: _restoration(USER),
    AwsKind.DELETE_ROLE_POLICY: _deletion(ROLE),
    AwsKind.PUT_ROLE_POLICY: _restoration(ROLE),
}
