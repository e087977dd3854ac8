"""AWS test fixtures: moto in-process, over the root conftest's `aws_env` (dummy credentials only; moto as a
server, `moto_server`, is there too: replica tests use it). Nothing here can reach real AWS."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from moto import mock_aws

from tests.connectors.aws.oracle import IamOracle, OracleUnavailable


@pytest.fixture
def aws(aws_env: None) -> Iterator[None]:
    with mock_aws():
        yield


@pytest.fixture(scope="session")
def iam_oracle() -> Iterator[IamOracle]:
    """The independent IAM evaluator of the differential tests (installed on first use, see oracle.py)."""
    try:
        oracle = IamOracle()
    except OracleUnavailable as exc:
        pytest.fail(str(exc), pytrace=False)
    yield oracle
    oracle.close()
