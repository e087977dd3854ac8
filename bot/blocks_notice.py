"""The message a person gets when Recertify removed their access (`[slack] notify_revoked`)."""

from __future__ import annotations

from bot.blocks_items import safe_path
from bot.blocks_kit import SlackMessage, context, escape, safe, section, utc
from reviews.ports import RevocationNotice


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
