"""Removing one principal from one statement of a resource policy (bucket, table, stream, access point), and
putting it back.

The action carries the statement exactly as read when it was planned, and the principal entries to remove.
It edits that statement and nothing else: if the statement changed since (an out-of-band edit), the write is
refused until someone plans again, so no statement is edited that nobody reviewed. The statement is found by
its content, not its position: another planned removal from the same policy may have moved it. Removing the
statement's last principal (or its "*") removes the statement; removing the last statement deletes the
policy. The undo carries the policy as it was read, and puts back exactly what went: the principal into the
statement, the statement at its position, or the policy.

End states, read back: revoked when the statement no longer stands as planned, either edited as planned or
gone (an edit of it that still names the principal is a conflict, not done); restored when it stands again.
"""

from __future__ import annotations

import json
from typing import Any

from connectors.aws.revoke.base import (
    DONE,
    PENDING,
    AwsClients,
    AwsKind,
    Observed,
    PlannedRevocation,
    Polling,
    Primitive,
    answers,
    aws_action,
    json_param,
    param,
    planned,
)
from connectors.aws.revoke.policy_stores import (
    Current,
    PolicyHome,
    account_of,
    bucket_owner,
    home_of,
)
from connectors.aws.revoke.statements import (
    Document,
    Entry,
    Statement,
    entries,
    inserted,
    naming,
    parse_document,
    positions,
    reached_through,
    replaced,
    same,
    statements_of,
    to_text,
    without,
)
from reviews.entitlements import RevocationAction
from reviews.errors import NotFound, RevocationRefused

# Per policy home: the revocation and its undo.
KINDS: dict[str, tuple[AwsKind, AwsKind]] = {
    "bucket policy": (AwsKind.REMOVE_FROM_BUCKET_POLICY, AwsKind.RESTORE_TO_BUCKET_POLICY),
    "table policy": (AwsKind.REMOVE_FROM_DYNAMODB_POLICY, AwsKind.RESTORE_TO_DYNAMODB_POLICY),
    "stream policy": (AwsKind.REMOVE_FROM_DYNAMODB_POLICY, AwsKind.RESTORE_TO_DYNAMODB_POLICY),
    "access point policy": (AwsKind.REMOVE_FROM_ACCESS_POINT_POLICY, AwsKind.RESTORE_TO_ACCESS_POINT_POLICY),
}


class _Edit:
    """What an action says: where, which statement (before), without which entries (after: None when the
    statement goes), and the whole policy as planned (what an undo restores if the policy was deleted)."""

    def __init__(self, action: RevocationAction) -> None:
        self.home = home_of(param(action, "resource_arn"), param(action, "account_id"))
        if AwsKind(action.kind) not in KINDS[self.home.label]:
            raise RevocationRefused(f"{action.description}: {action.kind} does not apply to {self.home.name}")
        position, before, removed = (
            param(action, "position"),
            json_param(action, "statement"),
            json_param(action, "principals"),
        )
        if not position.isdigit() or not isinstance(before, dict) or not isinstance(removed, list):
            raise RevocationRefused(f"{action.description}: the stored action is malformed")
        self.position = int(position) - 1
        self.before: Statement = before
        self.removed: list[Entry] = [(str(key), str(value)) for key, value in removed]
        self.after = without(self.before, self.removed)

    def document(
        self, clients: AwsClients, action: RevocationAction
    ) -> tuple[Document | None, Current | None]:
        seen = self.home.read(clients, action)
        return (None, None) if seen is None else (parse_document(seen.text, action.description), seen)


def _observe_removed(clients: AwsClients, action: RevocationAction) -> Observed:
    edit = _Edit(action)
    document, _ = edit.document(clients, action)
    found = len(positions(document, edit.before))
    if found == 1:
        return PENDING
    if found > 1:
        return Observed(done=False, conflict="the policy holds that statement twice: a person must edit it")
    if edit.after is not None and positions(document, edit.after):
        return DONE
    if any(_edited(edit.before, statement, edit.removed) for statement in statements_of(document)):
        return Observed(
            done=False,
            conflict="the statement changed after it was planned and still names the principal: plan again "
            "(a statement nobody reviewed is never edited)",
        )
    return DONE  # the statement, or the principal in it, is gone


def _edited(before: Statement, statement: Statement, removed: list[Entry]) -> bool:
    """The planned statement, edited since: it still names a removed entry, with the same Sid or the same
    everything but its principals."""
    if not any(entry in removed for entry in entries(statement)):
        return False
    sid = before.get("Sid")
    if sid and statement.get("Sid") == sid:
        return True
    return same({**before, "Principal": None}, {**statement, "Principal": None})


def _write_removed(clients: AwsClients, action: RevocationAction, polling: Polling) -> None:
    edit = _Edit(action)
    document, seen = edit.document(clients, action)
    found = positions(document, edit.before)
    if document is None or seen is None or len(found) != 1:
        raise RevocationRefused(f"{action.description}: the statement changed while it was being edited")
    edited = replaced(document, found[0], edit.after)
    if edited is None:
        edit.home.delete(clients, action, seen)
    else:
        edit.home.put(clients, action, to_text(edited), seen)


def _observe_restored(clients: AwsClients, action: RevocationAction) -> Observed:
    edit = _Edit(action)
    document, _ = edit.document(clients, action)
    if positions(document, edit.before):
        return DONE
    if edit.after is None or len(positions(document, edit.after)) == 1:
        return PENDING
    return Observed(
        done=False,
        conflict="the statement changed after the revocation: not overwritten; put it back by hand: "
        + json.dumps(edit.before),
    )


def _write_restored(clients: AwsClients, action: RevocationAction, polling: Polling) -> None:
    edit = _Edit(action)
    document, seen = edit.document(clients, action)
    planned_document = parse_document(param(action, "document"), action.description)
    if document is None:  # our removal deleted the policy (or someone did since): bring it back
        if same(statements_of(planned_document), [edit.before]):
            edit.home.put(clients, action, param(action, "document"), None)
            return
        document = {**planned_document, "Statement": []}
    found = positions(document, edit.after) if edit.after is not None else []
    # Into the statement it was removed from; or the statement back at its position.
    restored = replaced(document, found[0], edit.before) if found else None
    restored = restored or inserted(document, edit.position, edit.before)
    edit.home.put(clients, action, to_text(restored), seen)


def _primitive(*, restore: bool) -> Primitive:
    if restore:
        return Primitive(observe=_observe_restored, write=_write_restored)
    return Primitive(observe=_observe_removed, write=_write_removed)


PRIMITIVES: dict[AwsKind, Primitive] = {
    kind: _primitive(restore=index == 1) for pair in KINDS.values() for index, kind in enumerate(pair)
}


# --- planning ---------------------------------------------------------------------------------------------


def plan_remove_from_statement(
    clients: AwsClients, *, resource_arn: str, index: int, sid: str, principal_id: str, approval: str
) -> PlannedRevocation:
    """Remove `principal_id` from statement `index` (0-based; `sid` as the path step names it) of the policy
    of `resource_arn`. Reads the policy: NotFound when no statement names the principal any more;
    RevocationRefused when the statement only reaches it through "*" or its account, or is not an Allow
    that names principals."""
    kind = KINDS[home_of(resource_arn, "").label][0]  # refuses, before any call, a resource it cannot edit
    probe = aws_action(kind, f"plan removing {principal_id} from {resource_arn}")
    with answers(probe):
        owner = account_of(resource_arn) or bucket_owner(clients, probe, resource_arn.rsplit(":", 1)[-1])
        if owner not in clients.account_ids():
            raise RevocationRefused(
                f"{resource_arn} belongs to account {owner}, which Recertify does not read: its owner must "
                "change the policy"
            )
        home = home_of(resource_arn, owner)
        seen = home.read(clients, probe)
    document = parse_document(seen.text, home.name) if seen is not None else None
    statements = statements_of(document)
    position = _statement_index(statements, index, sid)
    which = f"statement {sid or index + 1} of {home.name}"
    if position is None or not naming(statements[position], principal_id):
        allows = [s for s in statements if s.get("Effect") == "Allow"]
        if position is not None and statements[position] in allows:
            if how := reached_through(statements[position], principal_id):
                raise _not_by_name(principal_id, which, how, resource_arn)
        if not any(naming(s, principal_id) or reached_through(s, principal_id) for s in allows):
            raise NotFound(f"remove {principal_id} from {which}: a read shows no statement grants it now")
        raise RevocationRefused(
            f"remove {principal_id} from {which}: the policy changed after the last sync; sync again"
        )
    statement = statements[position]
    _refuse_unless_plain_allow(statement, which)
    return _plan(
        clients, home, document or {}, position, statement, naming(statement, principal_id), approval
    )


def _statement_index(statements: list[Statement], index: int, sid: str) -> int | None:
    """The statement the step names: at its position with its Sid, or (moved since) the one with its Sid."""
    if index < len(statements) and (not sid or statements[index].get("Sid") == sid):
        return index
    matches = [i for i, s in enumerate(statements) if sid and s.get("Sid") == sid]
    return matches[0] if len(matches) == 1 else None


def _refuse_unless_plain_allow(statement: Statement, which: str) -> None:
    # Removing a principal from a Deny would widen access; NotPrincipal names who is left out, not who is in.
    if statement.get("Effect") != "Allow" or "NotPrincipal" in statement:
        raise RevocationRefused(f"{which} is not an Allow that names its principals: a person must edit it")


def _not_by_name(principal_id: str, which: str, how: str, resource_arn: str) -> RevocationRefused:
    if how.startswith("everyone"):
        where = f"act on the public exposure of {resource_arn} instead (removing '*' ends it for everyone)"
    elif how.startswith("its account"):
        where = f"change {principal_id}'s own policies (the statement lets its account's policies decide)"
    else:
        where = "a person must remove that session from the statement"
    return RevocationRefused(f"{which} reaches {principal_id} through {how}, not by name: {where}")


def _plan(
    clients: AwsClients,
    home: PolicyHome,
    document: Document,
    position: int,
    statement: Statement,
    removed: list[Entry],
    approval: str,
) -> PlannedRevocation:
    kinds = KINDS[home.label]
    who = ", ".join(value for _, value in removed)
    which = f"statement {statement.get('Sid') or position + 1} of {home.name}"
    if without(statement, removed) is not None:
        description, undo = f"remove {who} from {which}", f"put {who} back into {which}"
    elif len(statements_of(document)) > 1:
        description, undo = f"remove {which}, which grants {who} alone", f"put back {which}"
    else:
        description = f"delete {home.name}: its only statement grants {who} alone"
        undo = f"restore {home.name}"
    params: dict[str, Any] = {
        "account_id": home.account_id,
        "resource_arn": home.resource_arn,
        "position": str(position + 1),
        "statement": json.dumps(statement),
        "principals": json.dumps([list(entry) for entry in removed]),
    }
    action = aws_action(kinds[0], description, **params)
    inverse = aws_action(kinds[1], f"{undo} as it was planned", **params, document=to_text(document))
    return planned(clients, PRIMITIVES[kinds[0]], action, inverse, approval)
