"""An exposure item in Block Kit: it leads with its sentence, within Slack's limits, escaped like any text."""

from __future__ import annotations

from bot.blocks import digest_pages, item_text, justification_modal
from tests.bot.test_blocks import HOSTILE, check_message, item, message, mrkdwn_texts

SENTENCE = "anyone on the internet can read benefit-claims"
REASON = f"{SENTENCE}, and nobody marked the store as meant to be exposed (tag recertify:exposure = intended)"


def exposure(item_id: int, sentence: str = SENTENCE, reason: str = REASON):  # noqa: ANN201
    return item(
        item_id,
        holder="anyone on the internet",
        holder_email=None,
        access="read",
        path=("resource_policy:bucket policy statement PublicRead",),
        last_used=None,
        recommendation="revoke",
        recommendation_reason=reason,
        justification_required=False,
        exposure=sentence,
    )


def test_an_exposure_leads_with_its_sentence_and_says_the_reason_once() -> None:
    lines = item_text(exposure(1)).splitlines()
    assert lines[0] == f":globe_with_meridians: *{SENTENCE}*"
    assert not any(line.startswith("Access:") for line in lines)  # the sentence says who and what
    assert "Through: resource_policy:bucket policy statement PublicRead" in lines
    assert lines[-1] == (
        "Recommendation: *revoke*: nobody marked the store as meant to be exposed (tag recertify:exposure = "
        "intended)"
    )
    kept = exposure(2, reason=f"{SENTENCE}; the store's owner marked this as intended (tag …)")
    assert item_text(kept).splitlines()[-1] == (
        "Recommendation: *revoke*: the store's owner marked this as intended (tag …)"
    )
    assert item_text(item(3)).splitlines()[0] == "*Person 3* (p3@example.org)"  # other items as before


def test_digests_of_long_hostile_sentences_stay_within_slack_s_limits() -> None:
    hostile = " ".join(HOSTILE) * 40 + " can read " + "x" * 500
    pages = digest_pages(
        message([exposure(i, sentence=hostile, reason=hostile + ", and") for i in range(1, 60)])
    )
    assert len(pages) > 1
    for page in pages:
        check_message(page)
        assert all(
            "<!channel>" not in text and "<@U0ADMIN>" not in text for text in mrkdwn_texts(page.blocks)
        )


def test_keeping_an_exposure_asks_why_it_must_stay_open() -> None:
    modal = justification_modal(exposure(1), "keep", "{}")
    assert "Why must this stay open?" in str(modal)
    assert "Why does anyone on the internet" not in str(modal)
