"""A Slack user as the use cases see them: bound by immutable id; a changed email or name grants nothing."""

from __future__ import annotations

import os
import pwd

import pytest
from sqlmodel import Session, select

from reviews.actors import Role, cli_operator
from reviews.clock import FrozenClock
from reviews.people.chat_actor import chat_actor
from reviews.ports import ChatIdentity
from reviews.storage.models import Person
from tests.helpers import T0


class Directory:
    def __init__(self, accounts: dict[str, ChatIdentity], groups: dict[str, set[str]] | None = None) -> None:
        self.accounts = accounts
        self.groups = groups or {}

    def lookup_by_email(self, email: str) -> ChatIdentity | None:
        return next((a for a in self.accounts.values() if a.email == email), None)

    def account(self, user_id: str) -> ChatIdentity | None:
        return self.accounts.get(user_id)

    def group_members(self, group_id: str) -> frozenset[str]:
        return frozenset(self.groups.get(group_id, ()))


def people(session: Session, *emails: str) -> None:
    for address in emails:
        session.add(Person(email=address, first_seen_at=T0, updated_at=T0))
    session.commit()


def actor(session: Session, user_id: str, directory: Directory, **roles: list[str]):  # noqa: ANN201
    found = chat_actor(
        session,
        user_id,
        directory=directory,
        admins=roles.get("admins", []),
        auditors=roles.get("auditors", []),
        clock=FrozenClock(T0),
    )
    session.commit()
    return found


def test_an_unlinked_user_is_bound_once_by_their_slack_email(session: Session) -> None:
    people(session, "ana@x.gov")
    directory = Directory({"U1": ChatIdentity("U1", "ana@x.gov", False)})
    first = actor(session, "U1", directory)
    ana = session.exec(select(Person).where(Person.email == "ana@x.gov")).one()
    assert first.person_id == ana.id and ana.slack_user_id == "U1"


def test_a_changed_email_grants_nothing(session: Session) -> None:
    people(session, "ana@x.gov", "olu@x.gov")
    directory = Directory(
        {"U1": ChatIdentity("U1", "ana@x.gov", False), "U2": ChatIdentity("U2", "olu@x.gov", False)}
    )
    ana, olu = actor(session, "U1", directory), actor(session, "U2", directory)
    # Both change their Slack emails to the other's: the bindings do not move.
    directory.accounts = {
        "U1": ChatIdentity("U1", "olu@x.gov", False),
        "U2": ChatIdentity("U2", "ana@x.gov", False),
    }
    assert actor(session, "U1", directory).person_id == ana.person_id
    assert actor(session, "U2", directory).person_id == olu.person_id


def test_an_account_cannot_take_over_a_person_bound_to_another(session: Session) -> None:
    people(session, "ana@x.gov")
    directory = Directory({"U1": ChatIdentity("U1", "ana@x.gov", False)})
    actor(session, "U1", directory)
    directory.accounts["U9"] = ChatIdentity("U9", "ana@x.gov", False)
    assert actor(session, "U9", directory).person_id is None


def test_deactivated_or_unknown_accounts_are_nobody(session: Session) -> None:
    people(session, "ana@x.gov")
    assert actor(session, "U1", Directory({"U1": ChatIdentity("U1", "ana@x.gov", True)})).person_id is None
    assert actor(session, "U2", Directory({})).person_id is None


def test_roles_come_from_the_configuration_by_person_email_or_user_id(session: Session) -> None:
    people(session, "ana@x.gov", "aud@x.gov")
    directory = Directory(
        {"U1": ChatIdentity("U1", "ana@x.gov", False), "U2": ChatIdentity("U2", "aud@x.gov", False)}
    )
    admin = actor(session, "U1", directory, admins=["ana@x.gov"])
    auditor = actor(session, "U2", directory, auditors=["U2"])
    nobody = actor(session, "U3", directory)
    assert admin.roles == {Role.ADMIN, Role.AUDITOR}
    assert auditor.roles == {Role.AUDITOR}
    assert nobody.roles == frozenset() and nobody.person_id is None


def test_membership_of_a_configured_user_group_makes_an_admin_while_it_lasts(session: Session) -> None:
    people(session, "ana@x.gov")
    directory = Directory({"U1": ChatIdentity("U1", "ana@x.gov", False)}, groups={"S1": {"U1"}})
    clock = FrozenClock(T0)
    admin = chat_actor(
        session, "U1", directory=directory, admins=[], auditors=[], clock=clock, admin_groups=["S1"]
    )
    assert admin.is_admin
    directory.groups["S1"] = set()
    former = chat_actor(
        session, "U1", directory=directory, admins=[], auditors=[], clock=clock, admin_groups=["S1"]
    )
    assert not former.is_admin


def test_a_uid_without_a_passwd_entry_names_the_operator_by_number(monkeypatch: pytest.MonkeyPatch) -> None:
    """A container run with an arbitrary uid (OpenShift, `docker run --user 12345`): no name in the
    environment and none in /etc/passwd. Every command used to stop at start with getpwuid's KeyError."""
    for name in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        monkeypatch.delenv(name, raising=False)

    def no_entry(uid: int) -> pwd.struct_passwd:
        raise KeyError(f"getpwuid(): uid not found: {uid}")

    monkeypatch.setattr(pwd, "getpwuid", no_entry)
    assert cli_operator().id == f"cli:uid{os.getuid()}"
    monkeypatch.setenv("USER", "recertify")
    assert cli_operator().id == "cli:recertify"
