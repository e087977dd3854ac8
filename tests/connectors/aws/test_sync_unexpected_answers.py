"""End to end through the CLI: `recertify sync --source aws` when AWS answers something unexpected halfway
through the read (a 500 whose body is an HTML page; a 200 whose body is not XML). The command prints one
line naming the call, the account and the region, exits 1 without a traceback, records a failed sync, and
changes no grant: nothing partial is applied.

moto's server plays AWS; the proxy of throttling.py sits in front of it and answers one operation wrongly,
so that botocore's own parsers meet the bad body. AWS_MAX_ATTEMPTS keeps the client's retries of a 500 short.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from sqlmodel import Session, select

from reviews.storage.db import create_db_engine
from reviews.storage.models import AccessGrant, SyncRun
from tests.connectors.aws.test_fetch_unexpected_answers import GARBAGE_200, HTML_500
from tests.connectors.aws.throttling import Answer, ThrottlingProxy
from tests.data.aws import world
from tests.data.aws.world import CALLER, REGION
from tests.helpers import run_cli

READ = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObject", "dynamodb:GetItem"], "Resource": "*"},
    ],
}


def _seed() -> None:
    world.make_bucket("payroll-data", tag_set=world.tags())
    world.make_table("cases", world.tags())
    iam = boto3.client("iam")
    iam.create_user(UserName="ana")
    iam.put_user_policy(UserName="ana", PolicyName="read", PolicyDocument=json.dumps(READ))


def _rows(database_url: str) -> tuple[list[dict[str, Any]], list[SyncRun]]:
    engine = create_db_engine(database_url)
    with Session(engine) as session:
        grants = [row.model_dump() for row in session.exec(select(AccessGrant).order_by(AccessGrant.id))]
        runs = list(session.exec(select(SyncRun).order_by(SyncRun.id)))
    engine.dispose()
    return grants, runs


@pytest.mark.parametrize(
    ("operation", "answer", "line"),
    [
        (
            "DescribeTable",
            HTML_500,
            f"error: aws: account {CALLER}: dynamodb:DescribeTable cases in {REGION}: an unexpected answer "
            "from AWS (HTTP 500: Internal Server Error) (will retry)",
        ),
        (
            "GET /v20180820/configuration/publicAccessBlock",
            GARBAGE_200,
            f"error: aws: account {CALLER}: s3:GetAccountPublicAccessBlock in {REGION}: AWS sent an answer "
            "that could not be parsed (will retry)",
        ),
    ],
    ids=["500 with an HTML page", "200 with a body that is not XML"],
)
def test_a_sync_meeting_an_unexpected_answer_prints_one_line_and_applies_nothing(
    moto_server: str, database_url: str, capsys, monkeypatch, operation: str, answer: Answer, line: str
) -> None:
    _seed()
    env = {
        "RECERTIFY_DATABASE_URL": database_url,
        "RECERTIFY_AWS_REGIONS": json.dumps([REGION]),
        "RECERTIFY_AWS_IDENTITY_CENTER": "false",
        "RECERTIFY_AWS_LAST_ACCESSED": "false",
        "RECERTIFY_ENTRA_ENABLED": "false",
        "AWS_MAX_ATTEMPTS": "2",
    }
    first = run_cli(capsys, monkeypatch, "sync", "--source", "aws", env=env)
    assert first.code == 0, first.stderr
    grants_before, _ = _rows(database_url)
    assert len(grants_before) == 2  # ana reads the bucket and the table

    boto3.client("iam").delete_user_policy(UserName="ana", PolicyName="read")  # a sync would close both
    with ThrottlingProxy(moto_server, answers={operation: answer}) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
        failed = run_cli(capsys, monkeypatch, "sync", "--source", "aws", env=env)

    assert proxy.answered[operation] >= 1
    assert failed.code == 1
    assert failed.stderr.splitlines() == [line]
    assert "Traceback" not in failed.stdout + failed.stderr
    grants_after, runs = _rows(database_url)
    assert grants_after == grants_before  # nothing partial applied: ana's grants are still open
    assert [run.status for run in runs] == ["succeeded", "failed"]
    assert runs[1].error is not None and line.removeprefix("error: ") in runs[1].error
