"""The read-only questions people ask in chat, behind the role that may ask them (DESIGN §3.10): auditors
and admins read access and campaigns; everyone else is refused here, not in a handler."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from reviews.actors import Actor, Role
from reviews.campaigns.views import CampaignSummary, list_campaigns, show_campaign
from reviews.cycles.manage import CycleSummary, list_cycles
from reviews.errors import NotAuthorized
from reviews.ports import Clock
from reviews.queries.access import AccessRow, effective_access
from reviews.storage.models import Revocation, RevocationState


def require(actor: Actor, role: Role, what: str) -> None:
    if role not in actor.roles:
        raise NotAuthorized(f"only {role.value}s may {what} ({actor.id} is not one)")


def who_can_access(
    session: Session, actor: Actor, *, store: str, start: datetime, end: datetime
) -> list[AccessRow]:
    require(actor, Role.AUDITOR, "ask who can access a store")
    return effective_access(session=session, start=start, end=end, store=store)


def exposed_access(
    session: Session, actor: Actor, *, store: str | None, start: datetime, end: datetime
) -> list[AccessRow]:
    """Every grant held by anyone on the internet or by an outside account (one store's, or all)."""
    require(actor, Role.AUDITOR, "list public and external access")
    return effective_access(session=session, start=start, end=end, store=store, exposure_only=True)


def campaign_status(session: Session, actor: Actor, campaign_id: int | None) -> list[CampaignSummary]:
    require(actor, Role.AUDITOR, "see campaign status")
    if campaign_id is None:
        return list_campaigns(session, status="open")
    summary, _lines = show_campaign(session, campaign_id)
    return [summary]


def cycles_overview(session: Session, actor: Actor, *, clock: Clock) -> list[CycleSummary]:
    require(actor, Role.AUDITOR, "list review cycles")
    return list_cycles(session, clock=clock)


def held_revocations(session: Session, actor: Actor) -> list[Revocation]:
    require(actor, Role.ADMIN, "see revocations held for approval")
    held = select(Revocation).where(Revocation.state == RevocationState.HELD).order_by(col(Revocation.id))
    return list(session.exec(held).all())
