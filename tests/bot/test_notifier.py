"""The Slack notifier against the simulator: 429s with Retry-After during a fan-out are waited out, an
outage is a recorded failure (retried later), and someone Slack cannot reach is escalated."""

from __future__ import annotations

from datetime import datetime

from bot.directory import slack_client
from bot.notifier import SlackNotifier
from reviews.ports import ItemView, ReviewerMessage, RevocationNotice, SurvivalNotice
from simulators.slack import SlackSimulator, SlackWorkspace
from tests.bot.conftest import TOKEN
from tests.helpers import T0


def message(chat_id: str | None, email: str = "olu@x.gov") -> ReviewerMessage:
    item = ItemView(
        1,
        "payroll",
        "aws",
        "s3_bucket",
        "ana",
        "ana@x.gov",
        "read",
        ("group:payroll",),
        None,
        None,
        "revoke",
        "not used for 200 days",
        False,
        "pending",
    )
    return ReviewerMessage(
        "digest", 7, "quarterly (2026-Q1)", datetime(2026, 3, 15, tzinfo=T0.tzinfo), email, chat_id, (item,)
    )


def test_429s_during_a_fan_out_are_waited_out_and_every_message_arrives() -> None:
    ws = SlackWorkspace(team_id="T0001", team_name="Department")
    users = [ws.add_user(f"u{i}@x.gov", f"U {i}") for i in range(5)]
    with SlackSimulator(ws, bot_token=TOKEN) as sim:
        sim.faults.rate_limit_next("chat.postMessage", times=2, retry_after=1)
        notifier = SlackNotifier(slack_client(TOKEN, sim.api_url), pace_seconds=0)
        deliveries = [notifier.notify(message(user, f"u{i}@x.gov")) for i, user in enumerate(users)]
        statuses = [call.status for call in sim.calls_to("chat.postMessage")]
    assert all(d.delivered for d in deliveries)
    assert statuses.count(429) == 2 and statuses.count(200) == 5
    assert all(ws.dm_messages(user) for user in users)


def test_an_outage_is_a_recorded_failure_not_an_exception() -> None:
    ws = SlackWorkspace(team_id="T0001", team_name="Department")
    olu = ws.add_user("olu@x.gov", "Olu")
    with SlackSimulator(ws, bot_token=TOKEN) as sim:
        sim.faults.outage()
        delivery = SlackNotifier(slack_client(TOKEN, sim.api_url), pace_seconds=0).notify(message(olu))
    assert not delivery.delivered and not delivery.unreachable and delivery.error


def test_a_reviewer_without_a_slack_account_is_unreachable() -> None:
    ws = SlackWorkspace(team_id="T0001", team_name="Department")
    with SlackSimulator(ws, bot_token=TOKEN) as sim:
        notifier = SlackNotifier(slack_client(TOKEN, sim.api_url), pace_seconds=0)
        unlinked = notifier.notify(message(None))
        unknown = notifier.notify(message("U0NOSUCHUSER"))
    assert unlinked.unreachable and not unlinked.delivered
    assert unknown.unreachable and unknown.error == "channel_not_found"


def notice(chat_id: str | None) -> RevocationNotice:
    return RevocationNotice(
        person_email="ana@x.gov",
        person_chat_id=chat_id,
        principal="ana-iam",
        store="payroll <prod>",
        store_system="aws",
        access="read",
        path=("group:payroll-read",),
        decided_by="olu@x.gov",
        reason="left the payroll team in <March>",
        campaign="quarterly 2026-Q1",
        revoked_at=datetime(2026, 3, 16, 9, tzinfo=T0.tzinfo),
    )


def test_the_person_whose_access_was_removed_is_told_what_why_and_by_whom() -> None:
    ws = SlackWorkspace(team_id="T0001", team_name="Department")
    ana = ws.add_user("ana@x.gov", "Ana")
    with SlackSimulator(ws, bot_token=TOKEN) as sim:
        notifier = SlackNotifier(slack_client(TOKEN, sim.api_url), pace_seconds=0)
        delivery = notifier.tell_revoked(notice(ana))
        unlinked = notifier.tell_revoked(notice(None))
    assert delivery.delivered and delivery.message_ts
    (dm,) = ws.dm_messages(ana)
    shown = str(dm.blocks)
    assert "payroll &lt;prod&gt;" in shown and "ana-iam" in shown and "group:payroll-read" in shown
    assert "olu@x.gov" in shown and "left the payroll team in &lt;March&gt;" in shown
    assert "2026-03-16" in shown
    assert not unlinked.delivered and unlinked.unreachable


def survival(review_opened: bool) -> SurvivalNotice:
    return SurvivalNotice(
        revocation_id=7,
        store="payroll <prod>",
        store_system="aws",
        principal="eve",
        access="read",
        surviving_path=("group:payroll-team-2",),
        change="remove eve from group payroll-team",
        campaign="quarterly 2026-Q1",
        survived_at=datetime(2026, 3, 17, 2, tzinfo=T0.tzinfo),
        review_opened=review_opened,
    )


def test_a_survived_revocation_reaches_the_admin_channel_and_the_owner() -> None:
    """Issue 15: survived "shown in … Slack (to the admin channel and the store's owner)"."""
    ws = SlackWorkspace(team_id="T0001", team_name="Department")
    olu = ws.add_user("olu@x.gov", "Olu")
    admins = ws.add_channel("recertify-admins", members=[])
    with SlackSimulator(ws, bot_token=TOKEN) as sim:
        notifier = SlackNotifier(slack_client(TOKEN, sim.api_url), pace_seconds=0)
        to_channel = notifier.tell_survived(survival(True), admins)
        to_owner = notifier.tell_survived(survival(False), olu)
    assert to_channel.delivered and to_owner.delivered
    (posted,) = ws.messages(admins)
    shown = str(posted.blocks)
    assert "did not remove the access" in shown and "eve" in shown and "payroll &lt;prod&gt;" in shown
    assert "group:payroll-team-2" in shown and "remove eve from group payroll-team" in shown
    assert "A new review of this path was opened" in shown
    (dm,) = ws.dm_messages(olu)
    assert "an admin must decide it" in str(dm.blocks)
