"""`/recertify …` for admins and auditors (approving a held revocation is a button: actions.py). Every
answer is ephemeral (only the asker sees it); every question goes to the same use cases and queries as the
CLI, which decide whether this person may ask it."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt import App
from sqlmodel import Session

from bot.blocks import (
    access_blocks,
    campaigns_list_blocks,
    held_revocations_blocks,
    history_blocks,
    status_blocks,
)
from bot.services import BotServices
from reviews.actors import Actor
from reviews.campaigns.start import start_by_hand
from reviews.errors import NotFound, RecertifyError
from reviews.queries.access import access_window, known_access
from reviews.queries.chat_reads import (
    campaign_status,
    cycles_overview,
    exposed_access,
    held_revocations,
    who_can_access,
)
from reviews.queries.history import HistoryFilter, history, history_window
from reviews.storage.revocation_links import items_of

USAGE = (
    "*/recertify* commands:\n"
    "• `status [CAMPAIGN]`: open campaigns, or one (auditors, admins)\n"
    "• `cycles`: the review cycles in force (auditors, admins)\n"
    "• `who-can-access STORE [at YYYY-MM-DD]`: effective access, now or on a past day (auditors, admins)\n"
    "• `exposure [STORE] [at YYYY-MM-DD]`: what anyone on the internet or an outside account can access"
    " (auditors, admins)\n"
    "• `history STORE|EMAIL [since YYYY-MM-DD]`: granted, reviewed, decided, revoked (auditors, admins)\n"
    "• `start CYCLE`: start a campaign now (admins)\n"
    "• `held`: revocations waiting for an admin (blast-radius limit, exposure changes), to approve (admins)"
)
Respond = Callable[..., Any]


def register(app: App, services: BotServices) -> None:
    def on_command(ack: Callable[..., None], command: dict[str, Any], respond: Respond) -> None:
        ack()
        try:
            words = shlex.split(command.get("text", ""))
        except ValueError:
            words = []
        actor = services.actor(str(command.get("user_id", "")))
        try:
            _answer(services, actor, words, respond)
        except RecertifyError as exc:  # refusals (NotAuthorized), unknown names: the asker is told why
            respond(text=f"Not done: {exc}", response_type="ephemeral")

    app.command("/recertify")(on_command)


Answer = list[dict[str, Any]] | str  # blocks, or one line of text


@dataclass(frozen=True, slots=True)
class _Verb:
    run: Callable[[Session, BotServices, Actor, list[str]], Answer]
    needs_args: bool = False


def _answer(services: BotServices, actor: Actor, words: list[str], respond: Respond) -> None:
    name, args = (words[0].lower(), words[1:]) if words else ("help", [])
    verb = _VERBS.get(name)
    if verb is None or (verb.needs_args and not args):
        respond(text=USAGE, response_type="ephemeral")
        return
    with Session(services.engine) as session:
        answer = verb.run(session, services, actor, args)
    if isinstance(answer, str):
        respond(text=answer, response_type="ephemeral")
    else:
        respond(blocks=answer, text="Recertify", response_type="ephemeral")


def _status(session: Session, services: BotServices, actor: Actor, args: list[str]) -> Answer:
    campaign = int(args[0]) if args and args[0].isdigit() else None
    summaries = campaign_status(session, actor, campaign)
    return status_blocks(summaries[0]) if campaign is not None else campaigns_list_blocks(summaries)


def _cycles(session: Session, services: BotServices, actor: Actor, args: list[str]) -> Answer:
    cycles = cycles_overview(session, actor, clock=services.clock)
    lines = [f"• *{c.name}* v{c.version}: {c.schedule}" for c in cycles] or ["No cycle is applied yet."]
    return [{"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)[:2900]}}]


def _who_can_access(session: Session, services: BotServices, actor: Actor, args: list[str]) -> Answer:
    at = args[2] if len(args) >= 3 and args[1].lower() == "at" else None
    start, end = access_window(at, now=services.clock.now())
    rows = who_can_access(session, actor, store=args[0], start=start, end=end)
    known_access(session, end=end, at=at)  # after the role check: no answer before the first sync
    return access_blocks(rows)


def _start(session: Session, services: BotServices, actor: Actor, args: list[str]) -> Answer:
    result = start_by_hand(
        session, args[0], actor=actor, clock=services.clock, protection=services.protection
    )
    session.commit()
    started, said = result.campaign, "started" if result.created else "was already started just now"
    return f"Campaign {started.id} {said}: {started.population_count} items."


def _held(session: Session, services: BotServices, actor: Actor, args: list[str]) -> Answer:
    held = held_revocations(session, actor)
    ended = items_of(session, [r.id for r in held if r.id is not None])
    return held_revocations_blocks(held, ended)


def _exposure(session: Session, services: BotServices, actor: Actor, args: list[str]) -> Answer:
    """`exposure [STORE] [at DAY]`: public first, then by store (the CLI's `access --exposure`)."""
    store = args[0] if args and args[0].lower() != "at" else None
    rest = args[1:] if store is not None else args
    at = rest[1] if len(rest) >= 2 and rest[0].lower() == "at" else None
    start, end = access_window(at, now=services.clock.now())
    rows = exposed_access(session, actor, store=store, start=start, end=end)
    known_access(session, end=end, at=at)  # after the role check: no answer before the first sync
    return access_blocks(rows, title="Public and external access")


def _history(session: Session, services: BotServices, actor: Actor, args: list[str]) -> Answer:
    """An email is a person (all their accounts); anything else a store, else a principal (an ARN, a name)."""
    subject, now = args[0], services.clock.now()
    since = (
        history_window(args[2], None, now=now)[0] if len(args) >= 3 and args[1].lower() == "since" else None
    )
    option = f" --since {args[2]}" if since else ""
    if "@" in subject:
        entries = history(session, actor, HistoryFilter(person=subject, since=since))
        cli = f"recertify audit history --person {subject}{option}"
    else:
        try:
            entries = history(session, actor, HistoryFilter(store=subject, since=since))
            cli = f"recertify audit history --store {subject}{option}"
        except NotFound:
            entries = history(session, actor, HistoryFilter(principal=subject, since=since))
            cli = f"recertify audit history --principal {subject}{option}"
    return history_blocks(entries, subject=subject, cli=cli)


_VERBS = {
    "status": _Verb(_status),
    "cycles": _Verb(_cycles),
    "who-can-access": _Verb(_who_can_access, needs_args=True),
    "exposure": _Verb(_exposure),
    "history": _Verb(_history, needs_args=True),
    "start": _Verb(_start, needs_args=True),
    "held": _Verb(_held),
}
