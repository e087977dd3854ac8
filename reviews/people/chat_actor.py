"""Who a chat (Slack) user is, as the use cases see it: a person bound by the account's immutable id, and
the roles the configuration gives them (DESIGN §3.10).

The binding is made by the people sync (reviews.people.link) or, for someone not yet linked, here: the
account's email (Slack's, unique in a workspace) finds the person, once. After that only the id counts: a
later change of the account's email or display name grants nothing, and an account can never take over a
person already bound to another. Roles come from `[slack] admins` / `auditors` (emails or user ids), matched
against the bound person's own email, never against what the chat account says now.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, select

from reviews import audit
from reviews.actors import Actor, Role
from reviews.ports import ChatDirectory, Clock
from reviews.storage.models import Person


def chat_actor(
    session: Session,
    user_id: str,
    *,
    directory: ChatDirectory | None,
    admins: list[str],
    auditors: list[str],
    clock: Clock,
    admin_groups: Sequence[str] = (),
    auditor_groups: Sequence[str] = (),
) -> Actor:
    person = session.exec(select(Person).where(Person.slack_user_id == user_id)).first()
    if person is None and directory is not None:
        person = _bind(session, user_id, directory, clock)
    email = person.email if person else None
    roles: set[Role] = set()
    if _listed(admins, user_id, email) or _in_groups(directory, admin_groups, user_id):
        roles |= {Role.ADMIN, Role.AUDITOR}  # admins read everything auditors read
    if _listed(auditors, user_id, email) or _in_groups(directory, auditor_groups, user_id):
        roles.add(Role.AUDITOR)
    return Actor(f"slack:{user_id}", person.id if person else None, frozenset(roles))


def _bind(session: Session, user_id: str, directory: ChatDirectory, clock: Clock) -> Person | None:
    identity = directory.account(user_id)
    if identity is None or identity.deleted or not identity.email:
        return None
    person = session.exec(select(Person).where(Person.email == identity.email.strip().lower())).first()
    if person is None or person.slack_user_id is not None:
        return None  # unknown, or bound to another account: an email never moves a binding here
    person.slack_user_id = user_id
    session.add(person)
    session.flush()
    audit.append(
        session,
        audit.NewEvent(
            "system:people", "person.chat_linked", f"person:{person.email}", {"slack_user_id": user_id}
        ),
        clock=clock,
    )
    return person


def _in_groups(directory: ChatDirectory | None, groups: Sequence[str], user_id: str) -> bool:
    return directory is not None and any(user_id in directory.group_members(group) for group in groups)


def _listed(entries: list[str], user_id: str, email: str | None) -> bool:
    wanted = {entry.lower() for entry in entries}
    return user_id.lower() in wanted or (email is not None and email in wanted)
