"""Exposures in words a non-specialist understands, and what the review recommends for them (pure)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from reviews.campaigns.recommend import SignIn, Usage, recommend
from reviews.cycles.definition import Recommendations
from reviews.entitlements import PrincipalType
from reviews.exposure import EXPOSURE_INTENDED, EXPOSURE_TAG, Exposure, exposed, kind_label
from tests.helpers import T0, run_cli

PARTNER = "arn:aws:iam::999988887777:root"
STEP = {"kind": "resource_policy", "id": "arn:aws:s3:::benefit-claims#statement/1/PublicRead"}


def said(
    principal_type: PrincipalType,
    *,
    principal_provider_id: str = "*",
    name: str = "anyone on the internet",
    guest: bool = False,
    access: str = "read",
    conditional: bool = False,
    tags: dict[str, str] | None = None,
    statement: str = "bucket policy statement PublicRead",
):  # noqa: ANN201
    return exposed(
        principal_type=principal_type,
        principal_provider_id=principal_provider_id,
        principal_name=name,
        guest=guest,
        store_name="benefit-claims",
        store_tags=tags or {},
        access=access,
        conditional=conditional,
        path=[{**STEP, "name": statement}],
    )


def test_public_access_reads_as_a_sentence() -> None:
    found = said(PrincipalType.PUBLIC)
    assert found is not None and found.kind is Exposure.PUBLIC
    assert found.sentence == "anyone on the internet can read benefit-claims"
    assert not found.intended


def test_an_account_outside_the_organisation_is_named_as_such() -> None:
    found = said(
        PrincipalType.AWS_ACCOUNT,
        principal_provider_id=PARTNER,
        name="Partner Ltd (999988887777)",
        guest=True,
        access="write",
    )
    assert found is not None and found.kind is Exposure.EXTERNAL
    assert found.sentence == (
        "account Partner Ltd (999988887777), outside the organisation, can write to benefit-claims"
    )


def test_an_account_of_the_organisation_that_is_not_read_is_other_account() -> None:
    found = said(
        PrincipalType.AWS_ACCOUNT,
        principal_provider_id="arn:aws:iam::444455556666:root",
        name="Payments (444455556666)",
    )
    assert found is not None and found.kind is Exposure.OTHER_ACCOUNT
    assert found.sentence == (
        "account Payments (444455556666), in the organisation but not read by Recertify, "
        "can read benefit-claims"
    )


def test_one_principal_of_an_outside_account_keeps_its_own_name() -> None:
    role = "arn:aws:iam::999988887777:role/ClaimsExport"
    found = said(PrincipalType.AWS_ACCOUNT, principal_provider_id=role, name=role, guest=True, access="admin")
    assert found is not None
    assert found.sentence == f"{role}, outside the organisation, can administer benefit-claims"


def test_a_conditional_exposure_says_only_under_which_condition() -> None:
    statement = "bucket policy statement PublicRead (if aws:PrincipalOrgID = o-abc)"
    found = said(PrincipalType.PUBLIC, conditional=True, statement=statement)
    assert found is not None
    assert found.sentence == (
        "anyone on the internet can read benefit-claims, but only under a condition: "
        "bucket policy statement PublicRead (if aws:PrincipalOrgID = o-abc)"
    )


@pytest.mark.parametrize(
    "kind",
    [PrincipalType.AWS_SERVICE, PrincipalType.IAM_ROLE, PrincipalType.IAM_USER, PrincipalType.ENTRA_USER],
)
def test_services_and_the_organisations_identities_are_no_exposure(kind: PrincipalType) -> None:
    assert (
        said(kind, principal_provider_id="cloudtrail.amazonaws.com", name="cloudtrail.amazonaws.com") is None
    )


def test_labels_name_what_a_principal_nobody_is_stands_for() -> None:
    assert kind_label("public", False) == "public"
    assert kind_label("aws_account", True) == "external account"
    assert kind_label("aws_account", False) == "account not read"
    assert kind_label("aws_service", False) == "service"
    assert kind_label("iam_user", False) is None


RULES = Recommendations(inactive_days=90)
UNMEASURED = Usage(None, None)


def test_an_exposure_is_recommended_revoke_unless_the_owner_marked_it_intended() -> None:
    found = said(PrincipalType.PUBLIC)
    rec = recommend(enabled=None, guest=False, usage=UNMEASURED, rules=RULES, now=T0, exposure=found)
    assert rec.action == "revoke"
    assert rec.reason == (
        "anyone on the internet can read benefit-claims, and nobody marked the store as meant to be exposed "
        "(tag recertify:exposure = intended)"
    )
    assert rec.evidence["exposure"] == "public"
    assert rec.evidence["exposure_sentence"] == "anyone on the internet can read benefit-claims"
    assert rec.evidence["intended"] is False and rec.inactive is False


def test_an_exposure_the_owner_marked_intended_is_recommended_keep_and_says_why() -> None:
    found = said(PrincipalType.PUBLIC, tags={EXPOSURE_TAG: EXPOSURE_INTENDED})
    rec = recommend(enabled=None, guest=False, usage=UNMEASURED, rules=RULES, now=T0, exposure=found)
    assert rec.action == "keep"
    assert rec.reason == (
        "anyone on the internet can read benefit-claims; the store's owner marked this as intended "
        "(tag recertify:exposure = intended)"
    )
    assert rec.evidence["intended"] is True


def test_another_value_of_the_tag_is_not_intended() -> None:
    found = said(PrincipalType.PUBLIC, tags={EXPOSURE_TAG: "yes"})
    assert found is not None and not found.intended


def test_an_external_account_is_judged_as_an_exposure_not_as_a_guest() -> None:
    found = said(
        PrincipalType.AWS_ACCOUNT,
        principal_provider_id=PARTNER,
        name="Partner Ltd (999988887777)",
        guest=True,
    )
    used = Usage(T0 - timedelta(days=1), "s3:server-access-logs", T0 - timedelta(days=400), T0)
    rec = recommend(enabled=None, guest=True, usage=used, rules=RULES, now=T0, exposure=found)
    assert rec.action == "revoke" and rec.reason.startswith("account Partner Ltd (999988887777), outside")
    assert rec.evidence["source"] == "s3:server-access-logs"  # the measured use stays in the evidence


def test_other_grants_keep_the_rules_they_had() -> None:
    """A service principal is no exposure: the usual rules apply (here: nobody measured its use)."""
    rec = recommend(enabled=None, guest=False, usage=UNMEASURED, rules=RULES, now=T0, exposure=None)
    assert rec.action is None and rec.reason == "usage unknown: no source measures it, so no recommendation"
    guest = recommend(enabled=True, guest=True, usage=UNMEASURED, rules=RULES, now=T0)
    assert (guest.action, guest.reason) == ("revoke", "a guest account")
    signed = SignIn(T0 - timedelta(days=2), "entra:signInActivity", covers_all_use=True, observed_until=T0)
    kept = recommend(enabled=True, guest=False, usage=UNMEASURED, rules=RULES, now=T0, sign_in=signed)
    assert kept.action == "keep"


def test_a_cycle_may_scope_the_new_kinds_and_a_wrong_one_is_named(tmp_path, capsys, monkeypatch) -> None:  # noqa: ANN001
    good = tmp_path / "exposure.yaml"
    good.write_text(
        "name: exposure-review\nreviewers:\n  fallback: dpo@dept.example.gov\n"
        "scope:\n  principal_types: [public, aws_account, aws_service]\n",
        encoding="utf-8",
    )
    assert run_cli(capsys, monkeypatch, "cycles", "validate", str(good)).code == 0
    bad = tmp_path / "typo.yaml"
    bad.write_text(good.read_text(encoding="utf-8").replace("aws_service", "anyone"), encoding="utf-8")
    result = run_cli(capsys, monkeypatch, "cycles", "validate", str(bad))
    assert result.code == 2
    assert "typo.yaml:5: scope.principal_types[2]" in result.stderr
    assert "'aws_account', 'aws_service' or 'entra_tenant' (got \"anyone\")" in result.stderr
