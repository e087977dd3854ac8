"""End to end through the CLI: `recertify sync --source aws` against moto's server (AWS_ENDPOINT_URL), then
`recertify access` answers who can reach each store, how, and on both databases."""

from __future__ import annotations

import json

import boto3
from sqlmodel import Session, select

from reviews.storage.db import create_db_engine
from reviews.storage.models import SyncRun
from tests.data.aws.world import make_bucket
from tests.helpers import run_cli

BUCKET_TAGS = [
    {"Key": "data-classification", "Value": "personal"},
    {"Key": "data-owner", "Value": "Olu@Dept.example.gov"},
]


def _seed_department() -> None:
    iam = boto3.client("iam")
    for name, tags in (("payroll", BUCKET_TAGS), ("public-site", [])):
        make_bucket(name, tag_set=tags)  # as AWS creates them today: ACLs disabled
    read = iam.create_policy(
        PolicyName="PayrollRead",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": ["s3:GetObject", "s3:ListBucket"],
                        "Resource": ["arn:aws:s3:::payroll", "arn:aws:s3:::payroll/*"],
                    }
                ],
            }
        ),
    )["Policy"]["Arn"]
    iam.create_group(GroupName="payroll-team")
    iam.attach_group_policy(GroupName="payroll-team", PolicyArn=read)
    iam.create_user(UserName="ana", Tags=[{"Key": "email", "Value": "ana@dept.example.gov"}])
    iam.add_user_to_group(GroupName="payroll-team", UserName="ana")
    iam.create_user(UserName="ben")  # no access to anything


def test_sync_then_access_through_the_cli(moto_server: str, database_url: str, capsys, monkeypatch) -> None:
    _seed_department()
    env = {
        "RECERTIFY_DATABASE_URL": database_url,
        "RECERTIFY_AWS_IDENTITY_CENTER": "false",  # moto's sso-admin lacks calls the reader needs
        "RECERTIFY_AWS_LAST_ACCESSED": "false",  # moto has no service-last-accessed jobs
        "RECERTIFY_ENTRA_ENABLED": "false",
    }
    synced = run_cli(capsys, monkeypatch, "sync", "--source", "aws", env=env)
    assert synced.code == 0, synced.stderr
    assert "aws: 1 stores" in synced.stdout

    result = run_cli(capsys, monkeypatch, "access", "--store", "payroll", "--format", "json", env=env)
    assert result.code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [(r["principal"]["name"], r["access"]) for r in rows] == [("ana", "read")]
    [ana] = rows
    assert ana["store"]["id"] == "arn:aws:s3:::payroll"
    assert ana["store"]["owner"] == "olu@dept.example.gov"
    assert ana["principal"]["email"] == "ana@dept.example.gov"
    assert ana["path"] == ["group:payroll-team", "policy:PayrollRead"]
    assert ana["last_used"] is None and ana["conditional"] is False

    everything = json.loads(run_cli(capsys, monkeypatch, "access", "--format", "json", env=env).stdout)
    assert {r["store"]["name"] for r in everything} == {"payroll"}  # untagged buckets are not stores


def test_an_unreachable_aws_fails_loudly_and_is_recorded(
    aws_env: None, database_url: str, capsys, monkeypatch
) -> None:
    env = {
        "RECERTIFY_DATABASE_URL": database_url,
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
        "AWS_MAX_ATTEMPTS": "1",
        "RECERTIFY_ENTRA_ENABLED": "false",
    }
    result = run_cli(capsys, monkeypatch, "sync", env=env)
    assert result.code == 1
    assert result.stderr.startswith("error: aws:")
    engine = create_db_engine(database_url)
    with Session(engine) as session:
        [run] = session.exec(select(SyncRun)).all()
    engine.dispose()
    assert run.status == "failed" and run.error
