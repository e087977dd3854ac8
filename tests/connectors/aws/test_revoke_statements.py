"""The pure statement editing behind the resource-policy primitives (connectors/aws/revoke/statements.py).

IAM (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html):
"For anonymous users, the following elements are equivalent: "Principal": "*" / "Principal" : { "AWS" :
"*" }"; "When you specify an AWS account, you can use the account ARN (arn:aws:iam::account-ID:root), or a
shortened form that consists of the "AWS": prefix followed by the account ID."
"""

from __future__ import annotations

import pytest

from connectors.aws.revoke.statements import (
    inserted,
    naming,
    parse_document,
    positions,
    reached_through,
    replaced,
    same,
    without,
)
from reviews.errors import RevocationRefused

PARTNER = "arn:aws:iam::999988887777:root"
ROLE = "arn:aws:iam::123456789012:role/data/etl"


def _statement(principal: object, **more: object) -> dict[str, object]:
    return {"Effect": "Allow", "Principal": principal, "Action": "s3:GetObject", "Resource": "*", **more}


@pytest.mark.parametrize("principal", ["*", {"AWS": "*"}, {"AWS": ["*", PARTNER]}])
def test_both_spellings_of_everyone_name_the_public(principal: object) -> None:
    assert naming(_statement(principal), "*")


def test_an_account_is_named_by_its_id_or_its_root() -> None:
    statement = _statement({"AWS": ["999988887777", PARTNER, ROLE]})
    assert naming(statement, PARTNER) == [("AWS", "999988887777"), ("AWS", PARTNER)]
    assert naming(statement, ROLE) == [("AWS", ROLE)]
    assert naming(statement, "cloudtrail.amazonaws.com") == []
    assert naming(_statement({"Service": ["cloudtrail.amazonaws.com"]}), "cloudtrail.amazonaws.com")


def test_without_keeps_the_other_principals_in_their_form() -> None:
    statement = _statement({"AWS": [PARTNER, ROLE], "Service": "logs.amazonaws.com"})
    assert without(statement, [("AWS", PARTNER)]) == {
        **statement,
        "Principal": {"AWS": [ROLE], "Service": "logs.amazonaws.com"},
    }
    assert without(_statement({"AWS": PARTNER}), [("AWS", PARTNER)]) is None
    assert without(_statement("*"), [("*", "*")]) is None


def test_reached_through_says_how_a_statement_reaches_a_principal_it_does_not_name() -> None:
    assert reached_through(_statement({"AWS": "*"}), ROLE) == "everyone ('*')"
    assert reached_through(_statement({"AWS": "123456789012"}), ROLE) == "its account 123456789012"
    session = "arn:aws:sts::123456789012:assumed-role/etl/nightly"
    assert reached_through(_statement({"AWS": session}), ROLE) == f"a session of it ({session})"
    assert reached_through(_statement({"AWS": PARTNER}), ROLE) is None


def test_statements_compare_as_policies_not_as_text() -> None:
    assert same(_statement({"AWS": [PARTNER]}), _statement({"AWS": PARTNER}))
    assert same(_statement({"AWS": [PARTNER, ROLE]}), _statement({"AWS": [ROLE, PARTNER]}))
    assert not same(_statement({"AWS": PARTNER}), _statement({"AWS": ROLE}))


def test_a_single_statement_object_keeps_its_form_and_the_document_its_fields() -> None:
    one, two = _statement({"AWS": PARTNER}), _statement({"AWS": ROLE})
    document = {"Version": "2012-10-17", "Id": "x", "Statement": one}
    assert positions(document, one) == [0]
    assert replaced(document, 0, None) is None  # its last statement: the policy goes
    assert replaced(document, 0, two) == {"Version": "2012-10-17", "Id": "x", "Statement": two}
    assert inserted({**document, "Statement": [two]}, 0, one)["Statement"] == [one, two]
    assert inserted({**document, "Statement": [two]}, 5, one)["Statement"] == [two, one]


@pytest.mark.parametrize("text", ["{not json", "[]", '{"Version": "2012-10-17"}', '{"Statement": "x"}'])
def test_a_policy_that_is_not_a_policy_is_refused(text: str) -> None:
    with pytest.raises(RevocationRefused, match="a person must edit it"):
        parse_document(text, "the bucket policy of x")
