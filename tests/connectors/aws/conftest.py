"""AWS test fixtures: dummy credentials only, and moto in-process. Nothing here can reach real AWS."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from moto import mock_aws
from moto.server import ThreadedMotoServer


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    empty = tmp_path_factory.mktemp("aws") / "none"
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "eu-west-2",
        "AWS_CONFIG_FILE": str(empty),  # never a developer's profiles
        "AWS_SHARED_CREDENTIALS_FILE": str(empty),
        "AWS_EC2_METADATA_DISABLED": "true",  # never the instance metadata service
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def aws(aws_env: None) -> Iterator[None]:
    with mock_aws():
        yield


@pytest.fixture
def moto_server(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """moto as a real HTTP endpoint (AWS_ENDPOINT_URL), for code that builds its own clients."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    requests.post(f"{url}/moto-api/reset", timeout=10)  # moto's state is per process: start from none…
    try:
        yield url
    finally:
        requests.post(f"{url}/moto-api/reset", timeout=10)  # …and leave none behind
        server.stop()
