"""Exposures in a campaign's evidence: CSV and JSON carry the kind and the sentence the owner reviewed; the
HTML report lists each exposure as that sentence, with what became of it (held for an admin, then
revoked)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session

from reviews.actors import cli_operator
from reviews.enforcement.outbox import approve
from reviews.entitlements import AccessLevel, PrincipalType
from reviews.evidence.export import export_campaign
from reviews.evidence.model import columns
from tests.campaigns.test_exposure_enforce import APPROVAL, PAYROLL, exposure_row, plan, with_public_read
from tests.evidence.test_export import ALL, load_csv, load_json, parse_html

PARTNER = "arn:aws:iam::999988887777:root"
PUBLIC_SENTENCE = "anyone on the internet can read payroll"
PARTNER_SENTENCE = "account Partner Ltd (999988887777), outside the organisation, can write to payroll"


def exported(session: Session, engine: Engine, out: Path) -> int:
    """payroll readable by anyone and writable by Partner Ltd: the campaign revokes both by its policy,
    the plan holds both for an admin, who approves the public one only; it is removed and verified."""
    loop = with_public_read(session, engine, 0)
    loop.provider.add_statement(
        "s-partner", store_provider_id=PAYROLL, name="bucket policy statement PartnerUpload",
        access=AccessLevel.WRITE, approval=APPROVAL,
    )  # fmt: skip
    loop.provider.add_principal(
        PARTNER, name="Partner Ltd (999988887777)", type=PrincipalType.AWS_ACCOUNT, guest=True, last_used=None
    )
    loop.provider.add_member("s-partner", PARTNER)
    loop.sync()
    campaign = loop.closed_by_silence()
    plan(loop, campaign, auto_apply=False)
    public = exposure_row(loop)
    assert public.id is not None
    approve(session, [public.id], campaign_id=None, actor=cli_operator(), clock=loop.clock)
    session.commit()
    loop.execute()
    loop.sync()  # the next reading of the source no longer finds it: verified
    assert campaign.id is not None
    export_campaign(engine, cli_operator(), campaign.id, formats=ALL, out_dir=out, clock=loop.clock)
    return campaign.id


def test_csv_and_json_carry_the_exposure_and_its_sentence(
    engine: Engine, session: Session, tmp_path: Path
) -> None:
    campaign_id = exported(session, engine, tmp_path)
    header, *rows = load_csv(tmp_path, campaign_id)
    assert header == columns() and "exposure" in header and "exposure_sentence" in header
    records = {r["principal_name"]: r for r in (dict(zip(header, row, strict=True)) for row in rows)}
    anyone = records["anyone on the internet"]
    assert (anyone["exposure"], anyone["exposure_sentence"]) == ("public", PUBLIC_SENTENCE)
    assert records["Partner Ltd (999988887777)"]["exposure"] == "external"
    assert records["olu"]["exposure"] == "" and records["olu"]["exposure_sentence"] == ""
    assert anyone["person"] == ""  # nobody's access
    items = {i["principal_name"]: i for i in load_json(tmp_path, campaign_id)["items"]}
    public, partner = items["anyone on the internet"], items["Partner Ltd (999988887777)"]
    assert (public["exposure"], public["exposure_sentence"]) == ("public", PUBLIC_SENTENCE)
    assert (partner["exposure"], partner["exposure_sentence"]) == ("external", PARTNER_SENTENCE)
    assert public["revocation_state"] == "verified" and partner["revocation_state"] == "held"
    assert partner["revocation_hold_reason"] == APPROVAL
    assert public["recommendation_reason"].startswith(PUBLIC_SENTENCE + ", and nobody marked the store")


def test_the_html_report_reads_each_exposure_as_a_sentence(
    engine: Engine, session: Session, tmp_path: Path
) -> None:
    campaign_id = exported(session, engine, tmp_path)
    _text, cells = parse_html(tmp_path, campaign_id)
    rows = [row for row in cells.sections["exposure"] if row]
    assert [(row[1], row[2], row[3], row[4], row[6], row[7]) for row in rows] == [
        ("public", PUBLIC_SENTENCE, "revoke", "revoke", "verified", APPROVAL),
        ("external", PARTNER_SENTENCE, "revoke", "revoke", "held", APPROVAL),
    ]
    items = [row for row in cells.sections["items"] if row]
    public = next(row for row in items if row[2] == "anyone on the internet")
    assert public[6].startswith(f"revoke: {PUBLIC_SENTENCE}")  # the recommendation reads as the sentence
