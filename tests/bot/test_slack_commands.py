"""`/recertify` for admins and auditors: each question answered privately, by the same use cases as the CLI,
and refused for anyone without the role (TESTING.md "Authorization": the role × action matrix)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from reviews.storage.models import Campaign
from tests.bot.conftest import Conversation, eventually
from tests.campaigns.world import email


def ask(conversation: Conversation, name: str, text: str) -> str:
    user = conversation.users[name]
    before = len(_answers(conversation, user))
    command = conversation.sim.payloads().slash_command(user, "/recertify", text)
    assert conversation.slack.send(command).status == 200

    def answered() -> str:
        answers = _answers(conversation, user)
        assert len(answers) > before
        return answers[-1]

    return eventually(answered)


def _answers(conversation: Conversation, user: str) -> list[str]:
    return [f"{m.text} {m.blocks}" for m in conversation.ws.ephemeral_messages(user)]


def campaigns(conversation: Conversation) -> int:
    with Session(conversation.engine) as session:
        return len(session.exec(select(Campaign)).all())


def test_an_admin_starts_a_campaign_and_nobody_else_can(conversation: Conversation) -> None:
    assert campaigns(conversation) == 1
    assert "Not done: only an admin" in ask(conversation, "eve", "start quarterly")
    assert "Not done: only an admin" in ask(conversation, "aud", "start quarterly")
    assert campaigns(conversation) == 1
    conversation.clock.advance(
        timedelta(minutes=1)
    )  # manual starts are one per second: a double click starts one
    answer = ask(conversation, "adm", "start quarterly")
    assert "started" in answer and "Not done" not in answer, answer
    assert campaigns(conversation) == 2


@pytest.mark.parametrize("who", ["eve", "olu", "aud"])
def test_a_refused_start_does_not_tell_which_cycles_exist(conversation: Conversation, who: str) -> None:
    refusal = (
        f"Not done: only an admin starts a campaign by hand (slack:{conversation.users[who]} is not one)"
    )
    existing = ask(conversation, who, "start quarterly")
    unknown = ask(conversation, who, "start nosuchcycle")
    assert existing == unknown and existing.startswith(refusal + " "), (existing, unknown)
    assert "quarterly" not in unknown and "known" not in unknown
    assert campaigns(conversation) == 1


@pytest.mark.parametrize(
    ("existing", "unknown"),
    [
        ("start quarterly", "start nosuchcycle"),
        ("who-can-access payroll", "who-can-access nosuchstore"),
        ("exposure payroll", "exposure nosuchstore"),
        ("history payroll", "history nosuchstore"),
        (f"history {email('ana')}", "history nobody@example.gov"),
        ("status {campaign}", "status 999"),
    ],
)
def test_a_refusal_is_the_same_whether_the_name_exists_or_not(
    conversation: Conversation, existing: str, unknown: str
) -> None:
    with Session(conversation.engine) as session:
        campaign = session.exec(select(Campaign.id)).one()
    answers = {ask(conversation, "eve", text.format(campaign=campaign)) for text in (existing, unknown)}
    assert len(answers) == 1, answers
    assert next(iter(answers)).startswith("Not done: only ")


def test_an_admin_starting_an_unknown_cycle_is_told_the_known_ones(conversation: Conversation) -> None:
    answer = ask(conversation, "adm", "start nosuchcycle")
    assert answer.startswith("Not done: no review cycle named 'nosuchcycle' (known: quarterly) "), answer
    assert campaigns(conversation) == 1


@pytest.mark.parametrize(("who", "allowed"), [("aud", True), ("adm", True), ("olu", False), ("eve", False)])
def test_who_can_access_is_for_auditors_and_admins(
    conversation: Conversation, who: str, allowed: bool
) -> None:
    answer = ask(conversation, who, "who-can-access payroll")
    if allowed:
        assert "ana" in answer and "ben" in answer
    else:
        assert "Not done: only auditors" in answer and "ana" not in answer


@pytest.mark.parametrize(("who", "allowed"), [("aud", True), ("adm", True), ("eve", False)])
def test_status_is_for_auditors_and_admins(conversation: Conversation, who: str, allowed: bool) -> None:
    answer = ask(conversation, who, "status")
    assert ("quarterly" in answer) is allowed


def test_held_revocations_are_for_admins_only(conversation: Conversation) -> None:
    assert "Not done: only admins" in ask(conversation, "aud", "held")
    assert "Not done" not in ask(conversation, "adm", "held")


def test_help_for_anything_else(conversation: Conversation) -> None:
    assert "who-can-access" in ask(conversation, "eve", "")


@pytest.mark.parametrize(("who", "allowed"), [("aud", True), ("adm", True), ("olu", False), ("eve", False)])
def test_history_of_a_store_is_for_auditors_and_admins(
    conversation: Conversation, who: str, allowed: bool
) -> None:
    answer = ask(conversation, who, "history payroll")
    if allowed:
        assert "History of payroll" in answer and "review opened" in answer and "*granted*" in answer
        assert "ana" in answer and "ben" in answer and "Not done" not in answer
    else:
        assert "Not done: only auditors and admins may read history" in answer and "ana" not in answer


def test_history_of_a_person_shows_only_their_access_and_names_what_it_cannot_find(
    conversation: Conversation,
) -> None:
    answer = ask(conversation, "aud", f"history {email('ana')} since 2020-01-01")
    assert f"History of {email('ana')}" in answer and "ana" in answer and "ben" not in answer
    assert "Not done: no principal has the id, name or email 'nope'" in ask(
        conversation, "aud", "history nope"
    )
    assert "Not done: no person has the email" in ask(conversation, "aud", "history nobody@example.gov")


def test_who_can_access_an_unknown_store_says_so_rather_than_nobody(conversation: Conversation) -> None:
    answer = ask(conversation, "aud", "who-can-access payrol")
    assert "Not done: no store has the id or name 'payrol'" in answer


def test_who_can_access_before_the_first_sync_or_in_the_future_says_why_rather_than_nobody(
    conversation: Conversation,
) -> None:
    before = ask(conversation, "aud", "who-can-access payroll at 2020-01-01")
    assert "Not done: at '2020-01-01' is before the first sync (it finished " in before
    assert "Not done: at '2999-01-01' is in the future" in ask(conversation, "aud", "exposure at 2999-01-01")
