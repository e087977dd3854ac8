"""Telling one audit event as history: the words for what the event recorded, and nothing else.

History is the audit chain read aloud (issue 16): each entry is one event, told from its own payload, so a
later state is never shown as an earlier event (a revocation planned says what was planned, not "state now
verified"). A kind this table does not know is still told, as its kind and payload, never dropped: a
history that silently skips what it does not understand is the false assurance an audit must not give.

Pure: an event and a way to name people in, `(event name, detail)` out.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from reviews.entitlements import stored_path_text

Names = Callable[[Any], str]  # a person id (as recorded) → their email, or a placeholder
Teller = Callable[[Mapping[str, Any], Names], tuple[str, str]]

# Notifications: what each kind of message asked of the person it reached.
_MESSAGES = {"digest": "asked", "reminder": "reminded", "escalation": "escalation_sent"}


def tell(kind: str, payload: Any, names: Names) -> tuple[str, str]:
    if not isinstance(payload, Mapping):  # a row edited by hand: `audit verify` names it; history shows it
        return kind.replace(".", "_"), f"(payload is not an object: {str(payload)[:200]})"
    teller = TELLERS.get(kind)
    if teller is None and kind.startswith("notification."):
        return _notification(kind.removeprefix("notification."), payload, names)
    if teller is None:
        return kind.replace(".", "_"), _raw(payload)
    try:
        return teller(payload, names)
    except (TypeError, ValueError, AttributeError) as exc:  # a payload shaped unlike what this kind records
        return kind.replace(".", "_"), f"(not told in words: {exc}) {_raw(payload)}"


def _raw(payload: Mapping[str, Any]) -> str:
    return json.dumps(dict(payload), sort_keys=True, ensure_ascii=False, default=str)[:500]


def _grant_opened(p: Mapping[str, Any], _names: Names) -> tuple[str, str]:
    return "granted", stored_path_text(p.get("path"))


def _grant_closed(p: Mapping[str, Any], _names: Names) -> tuple[str, str]:
    return "access_ended", f"no longer found by the sync (was through {stored_path_text(p.get('path'))})"


def _grant_path_changed(p: Mapping[str, Any], _names: Names) -> tuple[str, str]:
    before, after = stored_path_text(p.get("previous_path")), stored_path_text(p.get("path"))
    return "path_changed", f"now through {after} (was {before})"


def _grant_reappeared(p: Mapping[str, Any], _names: Names) -> tuple[str, str]:
    return "granted_again", f"granted again after revocation {p.get('revocation')}: reviewed again"


def _item_opened(p: Mapping[str, Any], names: Names) -> tuple[str, str]:
    reviewer = names(p.get("reviewer")) if p.get("reviewer") is not None else "nobody (no reviewer found)"
    source = f" ({p['reviewer_source']})" if p.get("reviewer_source") else ""
    detail = f"reviewer {reviewer}{source}; recommendation {p.get('recommendation') or 'none'}"
    reason = p.get("recommendation_reason")
    return "review_opened", detail + (f" ({reason})" if reason else "")


def _notification(kind: str, p: Mapping[str, Any], names: Names) -> tuple[str, str]:
    to, reviewer = p.get("person"), p.get("reviewer")
    whom = names(to) + (f" (delegate of {names(reviewer)})" if reviewer not in (None, to) else "")
    word = _MESSAGES.get(kind, f"notified ({kind})")
    if p.get("delivered"):
        return word, f"{kind} delivered to {whom}"
    return f"{word}_failed", f"{kind} to {whom} not delivered: {p.get('error') or 'no reason recorded'}"


def _item_escalated(p: Mapping[str, Any], names: Names) -> tuple[str, str]:
    source = f"from {names(p['from'])} " if p.get("from") is not None else ""
    why = p.get("reason") or (
        f"silent {p['silent_days']} days after delivery" if p.get("silent_days") else "no reason recorded"
    )
    return "escalated", f"{source}to {names(p.get('to'))}: {why}"


def _item_rerouted(p: Mapping[str, Any], names: Names) -> tuple[str, str]:
    source = f" ({p['source']})" if p.get("source") else ""
    why = p.get("reason") or "no reason recorded"
    return "rerouted", f"from {names(p.get('from'))} to {names(p.get('to'))}{source}: {why}"


def _decided(p: Mapping[str, Any], names: Names) -> tuple[str, str]:
    detail = f"{p.get('outcome')} via {p.get('via')}, stage {p.get('stage')}"
    if p.get("on_behalf_of") is not None:
        detail += f", as delegate of {names(p['on_behalf_of'])}"
    if p.get("justification"):
        detail += f": {p['justification']}"
    if p.get("next_stage") is not None:
        nxt = names(p["next_reviewer"]) if p.get("next_reviewer") is not None else "the next stage's reviewer"
        detail += f"; passed to stage {p['next_stage']}, reviewer {nxt}"
    return "decided", detail


def _superseded(p: Mapping[str, Any], _names: Names) -> tuple[str, str]:
    return "decision_superseded", f"{p.get('outcome')} not recorded: {p.get('reason')}"


def _decision_refused(p: Mapping[str, Any], names: Names) -> tuple[str, str]:
    return "decision_refused", f"{p.get('outcome')} via {p.get('via')} refused: {p.get('reason')}"


def _closed_without_response(p: Mapping[str, Any], _names: Names) -> tuple[str, str]:
    status = p.get("status")
    if status in ("revoked", "kept"):
        outcome = "revoke" if status == "revoked" else "keep"
        return "decided", f"{outcome} via policy: {p.get('reason')}"
    return "closed_without_decision", f"{status}: {p.get('reason')}"


def _planned(state: str) -> Teller:
    def told(p: Mapping[str, Any], _names: Names) -> tuple[str, str]:
        action = p.get("action") or "no action recorded"
        if state == "held":
            return "revocation_held", f"{action}; held: {p.get('hold_reason') or p.get('reason')}"
        approval = "; needs an admin's approval" if p.get("needs_approval") else ""
        return "revocation_planned", f"{action}{approval}"

    return told


def _held_at_apply(p: Mapping[str, Any], names: Names) -> tuple[str, str]:
    if "reason" in p and "action" not in p:  # the outbox stopped it before any provider call
        return "revocation_held", f"held before applying: {p['reason']}"
    return _planned("held")(p, names)


def _refused(p: Mapping[str, Any], _names: Names) -> tuple[str, str]:
    return "revocation_refused", f"refused, left to a person: {p.get('reason')}"


def _approved(p: Mapping[str, Any], _names: Names) -> tuple[str, str]:
    if "was" not in p:  # planned already approved: the cycle applies its decisions without an admin
        return (
            "revocation_approved",
            f"{p.get('action')}; approved as planned (the cycle applies automatically)",
        )
    detail = f"approved from {p['was']}"
    if p.get("hold"):
        detail += f" (it was held: {p['hold']})"
    return "revocation_approved", detail


def _linked(p: Mapping[str, Any], _names: Names) -> tuple[str, str]:
    return (
        "revocation_linked",
        f"the same change also ends item(s) {p.get('added')} (it ends {p.get('items')})",
    )


def _claimed(p: Mapping[str, Any], _names: Names) -> tuple[str, str]:
    what = "to verify only" if p.get("verify_only") else "to apply"
    return "revocation_claimed", f"worker {p.get('worker')}, attempt {p.get('attempt')}, {what}"


def _applied(p: Mapping[str, Any], _names: Names) -> tuple[str, str]:
    return "revocation_applied", f"applied (live): {p.get('action')}"


def _absent(p: Mapping[str, Any], _names: Names) -> tuple[str, str]:
    if "worker" in p:  # the outbox's apply: the provider had nothing to remove
        return "revocation_found_absent", f"nothing to remove at the provider: {p.get('action')}"
    return "revocation_planned", str(p.get("action") or "nothing to revoke")  # the plan found it gone


def _dry_run(p: Mapping[str, Any], _names: Names) -> tuple[str, str]:
    said = str(p.get("result") or "").replace("_", " ")
    error = f" ({p['error']})" if p.get("error") else ""
    return "revocation_dry_run", "dry run, nothing changed" + (f": {said}{error}" if said else error)


def _read_back(p: Mapping[str, Any], _names: Names) -> tuple[str, str]:
    if p.get("state") == "applied":
        return "revocation_read_back", "read back: the change is in place"
    return "revocation_read_back", "read back: nothing to remove"


def _failed(kind: str) -> Teller:
    def told(p: Mapping[str, Any], _names: Names) -> tuple[str, str]:
        error = p.get("error") or "no error recorded"
        if kind == "retry":
            return "revocation_failed", f"failed, retried at {p.get('next_attempt_at')}: {error}"
        return "revocation_failed", f"failed for good ({kind.replace('_', ' ')}): {error}"

    return told


def _verified(p: Mapping[str, Any], _names: Names) -> tuple[str, str]:
    return "revocation_verified", f"the access is gone at the source ({p.get('how') or 'sync'})"


def _survived(p: Mapping[str, Any], _names: Names) -> tuple[str, str]:
    path = p.get("path")
    return "revocation_survived", f"the access survived: still reached through {stored_path_text(path)}"


def _retried(p: Mapping[str, Any], _names: Names) -> tuple[str, str]:
    return "revocation_retried", f"an admin asked for another attempt (after: {p.get('last_error')})"


def _undo(event: str, detail: Callable[[Mapping[str, Any]], str]) -> Teller:
    return lambda p, _names: (event, detail(p))


def _told_holder(p: Mapping[str, Any], _names: Names) -> tuple[str, str]:
    return "holder_told", f"{p.get('to') or 'the holder'} was told the access was removed" + _delivery(p)


def _told_survival(p: Mapping[str, Any], _names: Names) -> tuple[str, str]:
    return "survival_told", f"{p.get('to') or 'an admin'} was told the access survived" + _delivery(p)


def _delivery(p: Mapping[str, Any]) -> str:
    if p.get("delivered") is False:
        return f" (not delivered: {p.get('error') or 'no reason recorded'})"
    return ""


TELLERS: dict[str, Teller] = {
    "grant.opened": _grant_opened,
    "grant.closed": _grant_closed,
    "grant.path_changed": _grant_path_changed,
    "grant.reappeared": _grant_reappeared,
    "item.opened": _item_opened,
    "item.escalated": _item_escalated,
    "item.rerouted": _item_rerouted,
    "item.closed_without_response": _closed_without_response,
    "decision.recorded": _decided,
    "decision.superseded": _superseded,
    "security.decision_refused": _decision_refused,
    "revocation.planned": _planned("planned"),
    "revocation.approved": _approved,
    "revocation.held": _held_at_apply,
    "revocation.already_absent": _absent,
    "revocation.refused": _refused,
    "revocation.claimed": _claimed,
    "revocation.linked": _linked,
    "revocation.applied": _applied,
    "revocation.dry_run": _dry_run,
    "revocation.read_back": _read_back,
    "revocation.retry_scheduled": _failed("retry"),
    "revocation.failed": _failed("failed"),
    "revocation.dead_lettered": _failed("dead_lettered"),
    "revocation.retried": _retried,
    "revocation.verified": _verified,
    "revocation.survived": _survived,
    "revocation.undo_started": _undo("revocation_undo_started", lambda p: f"undoing: {p.get('inverse')}"),
    "revocation.undone": _undo("revocation_undone", lambda p: "restored from the recorded inverse"),
    "revocation.undo_dry_run": _undo("revocation_undo_dry_run", lambda p: "undo, dry run: nothing changed"),
    "revocation.undo_failed": _undo("revocation_undo_failed", lambda p: f"undo failed: {p.get('error')}"),
    "revocation.holder_told": _told_holder,
    "revocation.survival_told": _told_survival,
}
