"""A campaign's items for grants whose use nobody measures (Entra memberships): the holder's last sign-in,
when the connector says it covers every way in, bounds use and gives a recommendation with its evidence;
any other sign-in (AWS password and access-key last used) does not."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from sqlmodel import Session, select

from bot.blocks_items import item_text
from connectors.aws.access import Evaluation
from connectors.aws.inventory import AccessKey, AccountInventory, AwsInventory
from connectors.aws.settings import AwsSettings
from connectors.aws.transform import to_snapshot
from reviews.campaigns.notify import item_view
from reviews.clock import FrozenClock
from reviews.entitlements import AccessLevel, LastUse, System
from reviews.storage.models import Principal, ReviewItem
from tests.campaigns.test_start import items_by_holder, started
from tests.campaigns.world import Department, object_id, used
from tests.data.aws.inventory import ACCOUNT, user
from tests.helpers import T0

ENTRA = "entra:signInActivity"
READ = T0 - timedelta(days=1)  # sign-in activity is reread once a day: the last read was the day before


def signed_in(days: int | None, *, read: datetime | None = READ) -> LastUse:
    """As the Entra connector reports a sign-in it read at `read` (`days`: before T0; `None`: never)."""
    at = T0 - timedelta(days=days) if days is not None else None
    return LastUse(at, ENTRA, window_end=read, covers_all_use=True)


def entra_department() -> Department:
    old = T0 - timedelta(days=400)
    return (
        Department(system=System.ENTRA)
        .store("benefit-claims", "olu")
        .user("olu", created=old, sign_in=signed_in(1))
        .user("ida", created=old, sign_in=signed_in(200))  # idle
        .user("ray", created=old, sign_in=signed_in(3))  # recent
        .user("nia", created=T0 - timedelta(days=200), sign_in=signed_in(None))  # never, old account
        .user("ned", created=T0 - timedelta(days=10), sign_in=signed_in(None))  # never, new account
        .user("una", sign_in=signed_in(None))  # never, creation unknown
        .user("pat", created=old, sign_in=LastUse(None, f"{ENTRA} (not permitted: AuditLog.Read.All)"))
        .user("mel", created=old, sign_in=signed_in(200))  # idle, but the grant's use is measured
        .user("dee", enabled=False, created=old, sign_in=signed_in(1))
        .user("gia", guest=True, created=old, sign_in=signed_in(1))
        .user("break-glass-2", created=old, sign_in=signed_in(300))
        .grant("ida", "benefit-claims")
        .grant("ray", "benefit-claims")
        .grant("nia", "benefit-claims")
        .grant("ned", "benefit-claims")
        .grant("una", "benefit-claims")
        .grant("pat", "benefit-claims")
        .grant("mel", "benefit-claims", used=used(T0 - timedelta(days=2), "test:measured"))
        .grant("dee", "benefit-claims")
        .grant("gia", "benefit-claims")
        .grant("break-glass-2", "benefit-claims", AccessLevel.ADMIN)
    )


def entra_items(session: Session, **cycle: object) -> dict[str, ReviewItem]:
    """The department synced, a campaign started on it at T0: its items by holder."""
    clock = FrozenClock(T0)
    entra_department().sync(session, clock)
    return items_by_holder(session, started(session, clock, **cycle))


def test_sync_stores_whether_the_sign_in_covers_all_use(session: Session) -> None:
    clock = FrozenClock(T0)
    entra_department().sync(session, clock)
    rows = {p.name: p for p in session.exec(select(Principal))}
    assert rows["ida"].provider_id == object_id("ida")
    assert rows["ida"].last_sign_in_covers_all_use is True
    assert rows["ida"].last_sign_in_at == T0 - timedelta(days=200)
    assert rows["ida"].last_sign_in_observed_until == READ
    assert rows["pat"].last_sign_in_covers_all_use is False
    assert rows["pat"].last_sign_in_observed_until is None


def test_entra_items_are_recommended_from_the_holders_last_sign_in(session: Session) -> None:
    items = entra_items(session)

    idle = items["ida"]
    assert idle.recommendation == "revoke"
    assert idle.recommendation_evidence["reason"] == (
        "no sign-in from 2025-08-13 to 2026-02-28 (when sign-ins were last read): 199 days (limit 90): "
        "this access cannot have been used"
    )
    assert idle.recommendation_evidence["inactive"] is True
    assert idle.recommendation_evidence["source"] == ENTRA
    assert idle.recommendation_evidence["bound"] == "last_sign_in"
    assert idle.recommendation_evidence["last_sign_in_at"] == (T0 - timedelta(days=200)).isoformat()
    assert idle.recommendation_evidence["observed_until"] == READ.isoformat()
    assert idle.recommendation_evidence["last_used_at"] is None
    assert idle.frozen_grant["last_used"] is None  # the grant's own use stays unknown

    recent = items["ray"]
    assert recent.recommendation == "keep"
    assert recent.recommendation_evidence["reason"] == (
        "signed in on 2026-02-26, 3 days before the review (any sign-in: use of this access itself is not "
        "measured)"
    )
    assert recent.recommendation_evidence["inactive"] is False

    never = items["nia"]
    assert never.recommendation == "revoke" and never.recommendation_evidence["inactive"] is True
    assert never.recommendation_evidence["reason"] == (
        "never signed in from the account's creation on 2025-08-13 to 2026-02-28 (when sign-ins were last "
        "read): 199 days (limit 90): this access cannot have been used"
    )
    assert never.recommendation_evidence["account_created_at"] == (T0 - timedelta(days=200)).isoformat()

    assert items["ned"].recommendation is None and "too new" in items["ned"].recommendation_evidence["reason"]
    assert items["una"].recommendation is None
    assert "creation date is unknown" in items["una"].recommendation_evidence["reason"]


def test_unread_sign_in_data_gives_no_recommendation_and_says_why(session: Session) -> None:
    unread = entra_items(session)["pat"]
    assert unread.recommendation is None
    assert "not permitted: AuditLog.Read.All" in unread.recommendation_evidence["reason"]
    assert "bound" not in unread.recommendation_evidence


def test_measured_use_disabled_guests_and_protection_come_before_the_sign_in(session: Session) -> None:
    items = entra_items(session)
    measured = items["mel"]
    assert measured.recommendation == "keep"
    assert measured.recommendation_evidence["reason"] == "used on 2026-02-27, 2 days before the review"
    assert measured.recommendation_evidence["source"] == "test:measured"
    assert items["dee"].recommendation_evidence["reason"] == "the account is disabled"
    assert items["gia"].recommendation_evidence["reason"] == "a guest account"
    glass = items["break-glass-2"]
    assert glass.recommendation is None  # 300 days without a sign-in, but protected
    assert glass.recommendation_evidence["protected"] is True
    assert glass.recommendation_evidence["bound"] == "last_sign_in"


def test_inactive_only_reviews_take_the_accounts_that_have_not_signed_in(session: Session) -> None:
    assert set(entra_items(session, scope={"inactive_only": True})) == {"ida", "nia", "break-glass-2"}


def test_an_aws_users_password_and_access_key_last_use_is_never_a_bound(session: Session) -> None:
    """IAM's PasswordLastUsed and AccessKeyLastUsed do not see session credentials or other credential
    kinds: however long ago, they never make an unmeasured grant "inactive"."""
    iam_user = replace(
        user("sam"),
        password_last_used=T0 - timedelta(days=300),
        access_keys=(
            AccessKey("AKIASAM", "Active", T0 - timedelta(days=400), T0 - timedelta(days=250), "s3"),
        ),
    )
    inventory = AwsInventory(T0, (AccountInventory(ACCOUNT, (iam_user,), (), (), (), ()),))
    (principal,) = to_snapshot(inventory, Evaluation((), {}, ()), AwsSettings()).principals
    sign_in = principal.last_sign_in
    assert sign_in is not None and sign_in.at == T0 - timedelta(days=250)
    assert sign_in.covers_all_use is False

    clock = FrozenClock(T0)
    (
        Department()
        .store("payroll", "olu")
        .user("sam", created=T0 - timedelta(days=400), sign_in=sign_in)
        .grant("sam", "payroll")  # nobody measured this grant's use
        .sync(session, clock)
    )
    item = items_by_holder(session, started(session, clock))["sam"]
    assert item.recommendation is None
    assert item.recommendation_evidence["inactive"] is False
    assert "does not bound it" in item.recommendation_evidence["reason"]
    assert "bound" not in item.recommendation_evidence
    assert session.exec(select(Principal).where(Principal.name == "sam")).one().last_sign_in_at == (
        T0 - timedelta(days=250)
    )


def test_the_digest_shows_the_sign_in_as_the_reason_never_as_a_last_use(session: Session) -> None:
    items = entra_items(session)
    idle, recent = item_text(item_view(items["ida"])), item_text(item_view(items["ray"]))
    assert "Last use unknown" in idle and "Last use unknown" in recent
    assert "Recommendation: *revoke*: no sign-in from 2025-08-13 to 2026-02-28 (when sign-ins were" in idle
    assert "Recommendation: *keep*: signed in on 2026-02-26, 3 days before the review (any sign-in" in recent


def test_idle_time_runs_to_when_sign_ins_were_read_not_to_the_campaign_start(session: Session) -> None:
    """Sign-in activity read two days before the campaign: a last sign-in 89 days before that read is 91
    days before the start, but a sign-in in those two days would not be in it. Nothing proves 90 idle days,
    so no revoke, and `inactive_only` does not take it."""
    clock = FrozenClock(T0)
    read = T0 - timedelta(days=2)
    (
        Department(system=System.ENTRA)
        .store("benefit-claims", "olu")
        .user("olu", created=T0 - timedelta(days=400), sign_in=signed_in(1))
        .user("lee", created=T0 - timedelta(days=400), sign_in=signed_in(91, read=read))
        .user("ada", created=T0 - timedelta(days=400), sign_in=signed_in(92, read=read))
        .user("kit", created=T0 - timedelta(days=400), sign_in=signed_in(200, read=None))
        .grant("lee", "benefit-claims")
        .grant("ada", "benefit-claims")
        .grant("kit", "benefit-claims")
        .sync(session, clock)
    )
    items = items_by_holder(session, started(session, clock))
    lee = items["lee"]
    assert lee.recommendation is None and lee.recommendation_evidence["inactive"] is False
    assert lee.recommendation_evidence["reason"] == (
        "signed in on 2025-11-30, 91 days before the review, but only 89 days before sign-ins were last "
        "read on 2026-02-27 (limit 90): too soon to tell"
    )
    assert lee.recommendation_evidence["observed_until"] == read.isoformat()
    assert items["ada"].recommendation == "revoke"  # 90 days to the read: proven
    assert (
        items["ada"]
        .recommendation_evidence["reason"]
        .startswith(
            "no sign-in from 2025-11-29 to 2026-02-27 (when sign-ins were last read): 90 days (limit 90)"
        )
    )
    unread = items["kit"]  # a bound with no read time proves nothing
    assert unread.recommendation is None and "bound" not in unread.recommendation_evidence
    assert "does not say when it was read" in unread.recommendation_evidence["reason"]
