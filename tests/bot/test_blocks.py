"""The Block Kit builders, pure: Slack's limits hold whatever the data, and clicks parse back to items."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from bot.blocks import (
    APPROVE_HELD,
    BULK_ACCEPT,
    BULK_KEEP,
    CLEAR_DELEGATE,
    DELEGATE_DAYS,
    ITEM_KEEP,
    ITEM_REVOKE,
    SET_DELEGATE,
    PageRef,
    SlackMessage,
    access_blocks,
    campaigns_list_blocks,
    digest_pages,
    held_revocations_blocks,
    home_view,
    item_ids,
    justification_modal,
    parse_bulk_value,
    parse_item_value,
    parse_revocation_value,
    status_blocks,
    updated_page,
)
from bot.blocks_items import item_id_from_block_id
from bot.blocks_kit import safe, text_length
from bot.blocks_views import delegate_days, justification_text
from reviews.campaigns.views import CampaignSummary
from reviews.ports import ItemView, ReviewerMessage
from reviews.queries.access import AccessRow

DUE = datetime(2026, 4, 1, 17, 0, tzinfo=UTC)
HOSTILE = ("<!channel>", "<https://evil.example|click>", "<@U0ADMIN>", "&amp; <!here>")


def item(item_id: int, **changes: Any) -> ItemView:
    view = ItemView(
        item_id=item_id,
        store=f"store-{item_id % 3}",
        store_system="aws",
        store_kind="s3_bucket",
        holder=f"Person {item_id}",
        holder_email=f"p{item_id}@example.org",
        access="read-write",
        path=("group:Finance", "policy:S3FullAccess"),
        last_used="2026-03-01T08:30:00+00:00",
        last_used_source="iam:service-last-accessed",
        recommendation="revoke" if item_id % 2 else "keep",
        recommendation_reason="no use in 120 days" if item_id % 2 else "used this month",
        justification_required=item_id % 5 == 0,
        status="pending",
    )
    return dataclasses.replace(view, **changes)


def message(
    items: list[ItemView], kind: str = "digest", campaign: str = "quarterly 2026-Q1"
) -> ReviewerMessage:
    return ReviewerMessage(kind, 7, campaign, DUE, "reviewer@example.org", "U0REVIEW", tuple(items))


# ---- a Block Kit checker: every documented limit, on any surface


def walk(node: Any) -> Iterator[Mapping[str, Any]]:
    if isinstance(node, Mapping):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def check_text(obj: Mapping[str, Any], limit: int) -> None:
    assert obj["type"] in ("plain_text", "mrkdwn")
    assert 1 <= len(obj["text"]) <= limit, (len(obj["text"]), limit, obj["text"][:80])
    if obj["type"] == "mrkdwn":
        assert obj["verbatim"] is True


def check_element(element: Mapping[str, Any]) -> None:
    assert len(element["action_id"]) <= 255
    if element["type"] == "button":
        check_text(element["text"], 75)
        assert element["text"]["type"] == "plain_text"
        assert len(element["value"]) <= 2_000
        assert len(element.get("accessibility_label", "")) <= 75
        assert element.get("style") in (None, "primary", "danger")
    for option in element.get("options", []):
        check_text(option["text"], 75)
        assert len(option["value"]) <= 150
    assert len(element.get("options", [])) <= 100
    if "placeholder" in element:
        check_text(element["placeholder"], 150)
    if "confirm" in element:
        dialog = element["confirm"]
        check_text(dialog["title"], 100)
        check_text(dialog["text"], 300)
        check_text(dialog["confirm"], 30)
        check_text(dialog["deny"], 30)


def check_blocks(blocks: list[dict[str, Any]], max_blocks: int) -> None:
    assert 1 <= len(blocks) <= max_blocks
    block_ids = [block["block_id"] for block in blocks if "block_id" in block]
    assert len(block_ids) == len(set(block_ids)), "block ids are unique within a surface"
    for block in blocks:
        assert len(block.get("block_id", "")) <= 255
        kind = block["type"]
        if kind == "header":
            check_text(block["text"], 150)
        elif kind == "section":
            if "text" in block:
                check_text(block["text"], 3_000)
            assert len(block.get("fields", [])) <= 10
            for field in block.get("fields", []):
                check_text(field, 2_000)
            if "accessory" in block:
                check_element(block["accessory"])
        elif kind == "context":
            assert 1 <= len(block["elements"]) <= 10
            for element in block["elements"]:
                check_text(element, 3_000)
        elif kind == "actions":
            assert 1 <= len(block["elements"]) <= 25
            action_ids = [element["action_id"] for element in block["elements"]]
            assert len(action_ids) == len(set(action_ids)), "action ids are unique within a block"
            for element in block["elements"]:
                check_element(element)
        elif kind == "input":
            check_text(block["label"], 2_000)
            check_text(block["hint"], 2_000)
            check_element(block["element"])
        else:
            assert kind == "divider", kind


def check_message(page: SlackMessage | list[dict[str, Any]]) -> None:
    blocks = page.blocks if isinstance(page, SlackMessage) else page
    check_blocks(blocks, 50)
    assert text_length(blocks) <= 12_000
    if isinstance(page, SlackMessage):
        assert 1 <= len(page.text) <= 3_000


def mrkdwn_texts(node: Any) -> list[str]:
    return [obj["text"] for obj in walk(node) if obj.get("type") == "mrkdwn"]


def buttons(blocks: list[dict[str, Any]], action_id: str) -> list[Mapping[str, Any]]:
    return [obj for obj in walk(blocks) if obj.get("type") == "button" and obj["action_id"] == action_id]


# ---- the reviewer digest


def mixed(count: int) -> list[ItemView]:
    return [item(i, status="kept" if i % 7 == 0 else "pending") for i in range(1, count + 1)]


def huge(count: int) -> list[ItemView]:
    """Every user-controlled field far over any limit, half of it characters that grow when escaped."""
    long = ("&<>" * 500 + "x" * 1_500)[:3_000]
    return [
        item(
            i,
            store=f"{i % 2}{long}",
            store_kind=long,
            holder=long,
            holder_email=long,
            access=long,
            path=(long, long, long),
            last_used=long,
            last_used_source=long,
            recommendation_reason=long,
            justification_required=True,
        )
        for i in range(1, count + 1)
    ]


def posted(page: SlackMessage, number: int, pages: int) -> PageRef:
    """The page as the notifier reports posting it (its items), numbered as it was posted."""
    return PageRef(7, number, pages, tuple(item_ids(page.blocks)))


@pytest.mark.parametrize("count", [1, 49, 50, 51, 500])
@pytest.mark.parametrize("build", [mixed, huge], ids=["ordinary", "3000-char fields"])
def test_digest_pages_stay_within_slack_limits(count: int, build: Any) -> None:
    items = build(count)
    pages = digest_pages(message(items))

    for page in pages:
        check_message(page)
    shown = [item_id for page in pages for item_id in item_ids(page.blocks)]
    assert sorted(shown) == [view.item_id for view in items], "every item exactly once"
    bulk = [
        [b["block_id"] for b in page.blocks if b.get("block_id", "").startswith("bulk:")] for page in pages
    ]
    assert bulk == [[]] * (len(pages) - 1) + [["bulk:7"]], "bulk buttons on the last page only"
    assert buttons(pages[-1].blocks, BULK_ACCEPT)
    for number, page in enumerate(pages, 1):
        footer = [b["block_id"] for b in page.blocks if b.get("block_id", "").startswith("page:")]
        assert footer == [f"page:7:{number}:{len(pages)}"]
        assert f"Page {number} of {len(pages)}" in " ".join(mrkdwn_texts(page.blocks))


def test_many_items_need_several_pages_and_few_need_one() -> None:
    assert len(digest_pages(message(mixed(10)))) == 1
    assert len(digest_pages(message(mixed(500)))) >= 500 * 2 // 50


def test_a_page_rerendered_after_decisions_keeps_its_items_and_its_limits() -> None:
    items = huge(60)
    pages = digest_pages(message(items))
    longest_state = "needs_human_review"
    decided = message([dataclasses.replace(view, status=longest_state) for view in items])

    for number, page in enumerate(pages, 1):
        ref = posted(page, number, len(pages))
        again = updated_page(decided, ref)
        check_message(again)
        assert item_ids(again.blocks) == list(ref.item_ids)
        assert not buttons(again.blocks, ITEM_KEEP) and not buttons(again.blocks, BULK_KEEP)
    assert "All 60 items are decided" in " ".join(mrkdwn_texts(again.blocks))


def test_updated_page_shows_the_new_state_of_the_clicked_item_only() -> None:
    items = mixed(5)
    [page] = digest_pages(message(items))
    ref = posted(page, 1, 1)
    after = message([dataclasses.replace(items[0], status="revoked"), *items[1:]])

    again = updated_page(after, ref)

    decision = next(block for block in again.blocks if block.get("block_id") == f"item:{items[0].item_id}")
    assert decision["type"] == "context" and "Decided revoke" in decision["elements"][0]["text"]
    assert sorted(int(b["value"]) for b in buttons(again.blocks, ITEM_KEEP)) == [2, 3, 4, 5]
    assert item_ids(again.blocks) == item_ids(page.blocks)


def test_items_are_grouped_by_store_under_one_heading() -> None:
    items = [item(i, store=["zeta", "alpha", "mid"][i % 3]) for i in range(1, 13)]
    [page] = digest_pages(message(items))

    headings = [text for text in mrkdwn_texts(page.blocks) if text.startswith(":file_cabinet:")]
    assert [heading.split("*")[1] for heading in headings] == ["alpha", "mid", "zeta"]
    order = item_ids(page.blocks)
    stores = [next(view.store for view in items if view.item_id == item_id) for item_id in order]
    assert stores == sorted(stores), "a store's items are together"
    assert "aws s3_bucket" in headings[0]


def test_a_store_split_across_pages_is_named_again_as_continued() -> None:
    pages = digest_pages(message([item(i, store="only") for i in range(1, 60)]))
    assert len(pages) > 1
    heading = [text for text in mrkdwn_texts(pages[1].blocks) if text.startswith(":file_cabinet:")]
    assert heading == [":file_cabinet: *only* · aws s3_bucket (continued)"]


def test_an_item_shows_person_access_path_last_use_and_recommendation() -> None:
    view = item(5, recommendation="revoke", justification_required=True)
    [page] = digest_pages(
        message([view, item(6, last_used=None, last_used_source=None, recommendation=None)])
    )
    text = "\n".join(mrkdwn_texts(page.blocks))

    assert "*Person 5* (p5@example.org)" in text
    assert "Access: *read-write*" in text
    assert "group:Finance → policy:S3FullAccess" in text
    assert "Used 2026-03-01 (iam:service-last-accessed)" in text
    assert "Recommendation: *revoke*: no use in 120 days" in text
    assert "needs a written justification" in text
    assert "Last use unknown" in text
    assert "Recommendation: none, your call" in text
    [keep] = [b for b in buttons(page.blocks, ITEM_KEEP) if b["value"] == "5"]
    assert keep["text"]["text"] == "Keep (justify)"
    assert all(b["style"] == "danger" for b in buttons(page.blocks, ITEM_REVOKE))


def test_decided_items_show_their_state_instead_of_buttons() -> None:
    items = [item(1), item(2, status="kept"), item(3, status="revoked"), item(4, status="expired")]
    [page] = digest_pages(message(items))

    assert [b["value"] for b in buttons(page.blocks, ITEM_KEEP)] == ["1"]
    assert [b["value"] for b in buttons(page.blocks, ITEM_REVOKE)] == ["1"]
    states = {
        block["block_id"]: block["elements"][0]["text"] for block in page.blocks if block["type"] == "context"
    }
    assert (
        "Kept" in states["item:2"] and "Decided revoke" in states["item:3"] and "Expired" in states["item:4"]
    )


def test_bulk_buttons_confirm_how_many_items_they_decide() -> None:
    items = [
        item(1, recommendation="revoke"),
        item(2, recommendation="keep"),
        item(3, recommendation="keep", justification_required=True),
        item(4, recommendation=None),
        item(5, status="kept"),
    ]
    [page] = digest_pages(message(items))

    [accept] = buttons(page.blocks, BULK_ACCEPT)
    [keep] = buttons(page.blocks, BULK_KEEP)
    assert accept["confirm"]["text"]["text"].startswith(
        "This decides 2 items as recommended: 1 decided revoke, 1 kept."
    )
    assert accept["confirm"]["style"] == "danger"
    assert keep["confirm"]["text"]["text"].startswith("This keeps 3 items")
    assert parse_bulk_value(accept["value"]) == (7, "reviewer@example.org") == parse_bulk_value(keep["value"])


def test_no_bulk_buttons_when_nothing_can_be_decided_in_bulk() -> None:
    [page] = digest_pages(message([item(1, recommendation=None, justification_required=True)]))
    assert not buttons(page.blocks, BULK_ACCEPT) and not buttons(page.blocks, BULK_KEEP)


@pytest.mark.parametrize(
    ("kind", "first"),
    [
        ("digest", "Please review *3 items*"),
        ("reminder", "Reminder: *3 items* still wait"),
        ("escalation", "Escalated to you because the assigned reviewer did not answer"),
    ],
)
def test_reminders_and_escalations_say_so_first(kind: str, first: str) -> None:
    [page] = digest_pages(message(mixed(3), kind=kind))
    intro = page.blocks[1]["text"]["text"]
    assert intro.startswith(first)
    assert "2026-04-01 17:00 UTC" in intro
    assert ("Reminder" in page.text) == (kind == "reminder")


@pytest.mark.parametrize("hostile", HOSTILE)
def test_user_text_cannot_ping_link_or_mention(hostile: str) -> None:
    view = item(
        1,
        store=hostile,
        holder=hostile,
        holder_email=hostile,
        access=hostile,
        path=(hostile,),
        last_used_source=hostile,
        recommendation_reason=hostile,
    )
    pages = digest_pages(message([view], campaign=hostile))
    surfaces: list[Any] = [page.blocks for page in pages]
    surfaces.append(home_view([(hostile, [view])], hostile, True)["blocks"])
    surfaces.append(justification_modal(view, "keep", "{}")["blocks"])

    texts = [*mrkdwn_texts(surfaces), *(page.text for page in pages)]
    for text in texts:
        assert "<" not in text and ">" not in text, text  # no link, mention or quote can form
    shown = "\n".join(texts)
    assert shown.count(safe(hostile, 100)) >= 9, "shown escaped, not dropped"
    assert all(obj["verbatim"] for obj in walk(surfaces) if obj.get("type") == "mrkdwn")


def test_safe_escapes_then_clips_without_cutting_an_entity() -> None:
    assert safe("a<b>&c", 100) == "a&lt;b&gt;&amp;c"
    clipped = safe("ab<<<<", 6)
    assert clipped == "ab…" and len(clipped) <= 6
    assert safe("x" * 10, 5) == "xxxx…"


# ---- clicks parse back


def test_every_button_value_and_block_id_names_its_item() -> None:
    pages = digest_pages(message(mixed(120)))
    for page in pages:
        for block in page.blocks:
            if block["type"] == "actions" and block["block_id"].startswith("item:"):
                item_id = item_id_from_block_id(block["block_id"])
                assert item_id is not None
                assert {parse_item_value(element["value"]) for element in block["elements"]} == {item_id}
                assert {element["action_id"] for element in block["elements"]} == {ITEM_KEEP, ITEM_REVOKE}


@pytest.mark.parametrize("value", ["", "0", "-1", "01", "1.0", "1;2", " 1", "1" * 19, "abc"])
def test_malformed_item_values_are_refused(value: str) -> None:
    with pytest.raises(ValueError):
        parse_item_value(value)
    assert item_id_from_block_id(f"item:{value}") is None


@pytest.mark.parametrize("value", ["", "7", ":x", "0:x", "x:y"])
def test_malformed_bulk_values_are_refused(value: str) -> None:
    with pytest.raises(ValueError):
        parse_bulk_value(value)


# ---- the justification modal


@pytest.mark.parametrize("build", [mixed, huge], ids=["ordinary", "3000-char fields"])
def test_justification_modal(build: Any) -> None:
    view = build(5)[-1]
    modal = justification_modal(view, "keep", '{"item": 5}')

    assert modal["type"] == "modal" and modal["callback_id"] == "justify"
    for part in ("title", "submit", "close"):
        assert modal[part]["type"] == "plain_text" and len(modal[part]["text"]) <= 24
    check_blocks(modal["blocks"], 100)
    [field] = [block for block in modal["blocks"] if block["type"] == "input"]
    assert field["block_id"] == "justification"
    element = field["element"]
    assert (element["type"], element["action_id"], element["multiline"]) == ("plain_text_input", "text", True)
    assert (element["min_length"], element["max_length"]) == (10, 3_000)
    assert modal["private_metadata"] == '{"item": 5}'
    text = " ".join(mrkdwn_texts(modal["blocks"]))
    assert "*keep*" in text and "justification" in text and "audit trail" in text
    state = {"justification": {"text": {"type": "plain_text_input", "value": "Needed for payroll"}}}
    assert justification_text(state) == "Needed for payroll"


def test_justification_modal_refuses_what_slack_would() -> None:
    with pytest.raises(ValueError):
        justification_modal(item(1), "delete", "")
    with pytest.raises(ValueError):
        justification_modal(item(1), "keep", "x" * 3_001)


# ---- App Home


def test_home_view_lists_pending_items_by_campaign_within_100_blocks() -> None:
    pending = [("Q1 finance", mixed(200)), ("Q1 HR", huge(200)), ("Monthly admins", mixed(100))]
    home = home_view(pending, None, True)

    assert home["type"] == "home"
    check_blocks(home["blocks"], 100)
    shown = item_ids(home["blocks"])
    more = home["blocks"][-1]["elements"][0]["text"]
    assert more == f"…and {500 - len(shown)} more items: decide them from your review messages first."
    assert shown == [view.item_id for _, items in pending for view in items][: len(shown)]
    assert "Store: *store-1*" in " ".join(mrkdwn_texts(home["blocks"]))


def test_home_view_small_shows_everything_and_the_delegate_controls() -> None:
    home = home_view([("Q1 finance", mixed(3)), ("Q1 HR", [item(10)])], "Dana Delegate", True)

    check_blocks(home["blocks"], 100)
    assert item_ids(home["blocks"]) == [1, 2, 3, 10]
    [delegation] = [block for block in home["blocks"] if block.get("block_id") == "delegate"]
    days, user = delegation["elements"]
    assert (days["type"], days["action_id"]) == ("static_select", DELEGATE_DAYS)
    assert [option["value"] for option in days["options"]] == ["7", "14", "30"]
    assert (user["type"], user["action_id"]) == ("users_select", SET_DELEGATE)
    assert len(buttons(home["blocks"], CLEAR_DELEGATE)) == 1
    assert "*Dana Delegate*" in " ".join(mrkdwn_texts(home["blocks"]))


def test_home_view_without_delegate_or_delegation() -> None:
    home = home_view([], None, False)
    check_blocks(home["blocks"], 100)
    assert not buttons(home["blocks"], CLEAR_DELEGATE)
    assert not [obj for obj in walk(home["blocks"]) if obj.get("action_id") in (SET_DELEGATE, DELEGATE_DAYS)]
    assert "Nothing waits for your decision" in " ".join(mrkdwn_texts(home["blocks"]))


def test_delegate_days_from_the_view_state() -> None:
    chosen = {"delegate": {"delegate_days": {"selected_option": {"value": "30"}}}}
    assert delegate_days(chosen) == 30
    assert delegate_days({}) == 7
    with pytest.raises(ValueError):
        delegate_days({"delegate": {"delegate_days": {"selected_option": {"value": "365"}}}})


# ---- admins and auditors


def summary(campaign_id: int, cycle: str = "quarterly") -> CampaignSummary:
    return CampaignSummary(
        id=campaign_id,
        cycle=cycle,
        cycle_version=2,
        period="2026-Q1",
        kind="scheduled",
        status="open",
        started_at=datetime(2026, 3, 1, tzinfo=UTC),
        due_at=DUE,
        closed_at=None,
        population_count=1_234,
        population_sha256="ab" * 32,
        items={"kept": 3, "pending": 40, "revoked": 2},
    )


def test_status_blocks() -> None:
    blocks = status_blocks(summary(7, cycle="<!channel> quarterly"))
    check_message(blocks)
    text = " ".join(mrkdwn_texts(blocks))
    assert "40 pending" in text and "2026-04-01 17:00 UTC" in text and "1,234 grants" in text
    assert (
        blocks[0]["text"]["text"] == "Campaign 7: <!channel> quarterly 2026-Q1"
    )  # plain text: shown, not parsed


def test_campaign_list_is_capped_with_and_n_more() -> None:
    blocks = campaigns_list_blocks([summary(i, cycle="x" * 3_000) for i in range(1, 201)])
    check_message(blocks)
    shown = sum(1 for block in blocks if block["type"] == "section")
    assert blocks[-1]["elements"][0]["text"].startswith(f"…and {200 - shown} more")
    assert campaigns_list_blocks([])[-1]["text"]["text"] == "No campaigns yet."


def access_row(index: int, name: str = "") -> AccessRow:
    return AccessRow(
        store={"id": "arn:aws:s3:::finance", "name": "finance", "system": "aws", "kind": "s3_bucket"},
        principal={"id": f"AIDA{index}", "type": "user", "name": name or f"user{index}", "email": None},
        access="read",
        path=["group:Finance"],
        conditional=index % 2 == 0,
        needs_human_review=False,
        last_used=None,
        last_used_source=None,
        valid_from="2026-01-01T00:00:00+00:00",
        valid_to=None,
    )


@pytest.mark.parametrize("name", ["", "<!channel>" * 300])
def test_who_can_access_is_capped_and_points_to_the_cli(name: str) -> None:
    rows = [access_row(i, name) for i in range(500)]
    blocks = access_blocks(rows, title="Who can access finance")
    check_message(blocks)
    assert blocks[-1]["elements"][0]["text"].endswith("more; use the CLI for the full list.")
    assert all("<!channel>" not in text for text in mrkdwn_texts(blocks))
    few = access_blocks(rows[:3])
    check_message(few)
    assert "use the CLI" not in str(few) and "conditional" in str(few)


def test_held_revocations_have_a_confirmed_approve_button() -> None:
    rows = [
        SimpleNamespace(
            id=i,
            system="entra",
            action={"description": f"remove <!channel> from group {i}"},
            hold_reason="over the blast-radius limit (25 per run)",
            campaign_id=7,
            review_item_id=100 + i,
        )
        for i in range(1, 80)
    ]
    blocks = held_revocations_blocks(rows)
    check_message(blocks)
    approve = buttons(blocks, APPROVE_HELD)
    assert approve and all("confirm" in button for button in approve)
    assert [parse_revocation_value(button["value"]) for button in approve] == list(range(1, len(approve) + 1))
    assert blocks[-1]["elements"][0]["text"].startswith(f"…and {79 - len(approve)} more")
    assert all("<!channel>" not in text for text in mrkdwn_texts(blocks))
    assert held_revocations_blocks([])[-1]["text"]["text"] == "Nothing is held."
    # One change ending two items (read and write from one membership) names both.
    (shared,) = [b for b in held_revocations_blocks(rows[:1], {1: [101, 102]}) if b.get("block_id")]
    assert "campaign 7, items 101, 102" in shared["text"]["text"]
    with pytest.raises(ValueError):
        parse_revocation_value("1 OR 1=1")
