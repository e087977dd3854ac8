"""AWS test fixtures: moto in-process or as a server, over the root conftest's `aws_env` (dummy credentials
only). Nothing here can reach real AWS."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from moto import mock_aws
from moto.server import ThreadedMotoServer


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
