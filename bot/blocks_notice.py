"""Notices: to a person whose access Recertify removed (`[slack] notify_revoked`); to admins and a store's
owner when a revocation did not remove the access (it survived through another path)."""

from __future__ import annotations

from bot.blocks_items import safe_path
from bot.blocks_kit import SlackMessage, context, escape, safe, section, utc
from reviews.ports import RevocationNotice, SurvivalNotice


def revoked_notice(notice: RevocationNotice) -> SlackMessage:
    what = (
        f"*{safe(notice.access, 20)}* access to *{safe(notice.store, 200)}* "
        f"({safe(notice.store_system, 20)}) through your account {safe(notice.principal, 200)}"
    )
    text = f"Your {what} was removed on {utc(notice.revoked_at)}."
    blocks = [
        section(text),
        section(f"*Decided by* {safe(notice.decided_by, 200)}\n*Why:* {safe(notice.reason, 1500)}"),
        context(
            f"Through: {safe_path(list(notice.path))} · review: {safe(notice.campaign, 200)}",
            "If you still need it, ask the store's owner: access is granted again through the usual request.",
        ),
    ]
    return SlackMessage(
        text=escape(f"Your {notice.access} access to {notice.store} was removed."), blocks=blocks
    )


def survived_notice(notice: SurvivalNotice) -> SlackMessage:
    who = (
        f"{safe(notice.principal, 200)} still has *{safe(notice.access, 20)}* access to "
        f"*{safe(notice.store, 200)}*"
    )
    text = (
        f":warning: Revocation {notice.revocation_id} did not remove the access: {who} "
        f"({safe(notice.store_system, 20)}), seen by the sync of {utc(notice.survived_at)}."
    )
    then = (
        "A new review of this path was opened: its owner decides it in Slack."
        if notice.review_opened
        else "No review could be opened for it: an admin must decide it."
    )
    blocks = [
        section(text),
        section(
            f"*Still reached through* {safe_path(list(notice.surviving_path))}\n*The revocation:* "
            f"{safe(notice.change, 500)}"
        ),
        context(f"Decided in: {safe(notice.campaign, 200)} · {then}"),
    ]
    plain = (
        f"Revocation {notice.revocation_id} did not remove {notice.principal}'s {notice.access} access to "
        f"{notice.store}."
    )
    return SlackMessage(text=escape(plain), blocks=blocks)
