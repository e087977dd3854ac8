"""The department running: moto (AWS), the Graph simulator (Entra), the ARM simulator (Azure, over HTTPS
with its own self-signed certificate: `arm.ca_bundle`) and the Slack simulator, in this process, on
127.0.0.1, seeded.

AWS: a moto server on a free port; while it runs the process environment names it (`AWS_ENDPOINT_URL`)
with dummy credentials and no profile, config file or instance metadata, so boto3 can reach nothing else,
and no proxy stands between the clients and 127.0.0.1. Every variable is restored when the block ends, and
moto's state (global to the process) is reset before and after.
"""

from __future__ import annotations

import logging
import os
import tempfile
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from simulators.arm import ArmSimulator
from simulators.department import aws, azure
from simulators.department.aws import principal_arn, seed_aws
from simulators.department.entra import EntraDepartment, build_tenant
from simulators.department.last_accessed import service_last_accessed
from simulators.department.people import PEOPLE
from simulators.department.slack import TEAM_ID, build_workspace
from simulators.department.stores import REGION, STORES, store
from simulators.graph import GraphSimulator
from simulators.slack import SlackSimulator, SlackWorkspace

# The simulators' own credentials, not secrets: they guard nothing but a local simulator.
GRAPH_TOKEN = "demo-graph-token"  # noqa: S105
ARM_TOKEN = "demo-arm-token"  # noqa: S105
BOT_TOKEN = "xoxb-demo-bot-token"  # noqa: S105
SIGNING_SECRET = "demo-signing-secret-0123456789abcdef"  # noqa: S105
APP_TOKEN = "xapp-demo-app-token"  # noqa: S105  (the app-level token of Socket Mode)


class SimulatorUnavailable(Exception):
    """A simulator cannot start here (moto is a development extra)."""


@dataclass
class RunningDepartment:
    start: datetime
    moto_url: str
    graph: GraphSimulator
    arm: ArmSimulator
    slack: SlackSimulator
    entra: EntraDepartment
    workspace: SlackWorkspace
    slack_users: dict[str, str]  # person key → Slack user id
    team_id: str = TEAM_ID

    def still_has_access(self, store_name: str, principal_name: str) -> bool:
        """Whether the path that gave this principal (by the name Recertify shows) access to this store is
        still there, read from moto, the Graph or the ARM simulator, not from Recertify."""
        spec = store(store_name)
        if spec.system == "aws":
            return aws.has_access(spec, principal_name)
        (key,) = [p.key for p in PEOPLE if p.name == principal_name]
        if spec.system == "azure":
            return azure.has_access(self.arm.state, self.entra, spec, key)
        return self.entra.has_access(spec, key)


@contextmanager
def running_department(start: datetime, *, socket_mode: bool = False) -> Iterator[RunningDepartment]:
    """Start the four simulators and seed the department into them; stop and forget everything after.
    `socket_mode`: Slack also accepts a Socket Mode connection (app-level token APP_TOKEN)."""
    with ExitStack() as stack:
        moto_url = stack.enter_context(moto_server())
        stack.enter_context(service_last_accessed(last_used(start), now=start))
        seed_aws()
        entra = build_tenant(start)
        graph = stack.enter_context(GraphSimulator(entra.tenant, token=GRAPH_TOKEN, page_size=50))
        arm = stack.enter_context(ArmSimulator(azure.build_estate(entra), token=ARM_TOKEN))
        workspace, users = build_workspace()
        slack = stack.enter_context(
            SlackSimulator(workspace, bot_token=BOT_TOKEN, app_token=APP_TOKEN, socket_mode=socket_mode)
        )
        yield RunningDepartment(start, moto_url, graph, arm, slack, entra, workspace, users)


def last_used(start: datetime) -> dict[str, dict[str, datetime]]:
    """Principal ARN → service namespace → when IAM last saw it used, from the stores' holdings."""
    answers: dict[str, dict[str, datetime]] = {}
    for spec in STORES:
        for held in spec.holdings:
            if spec.system == "aws" and held.last_used_days is not None:
                at = start - timedelta(days=held.last_used_days, hours=5)
                answers.setdefault(principal_arn(held.holder), {})[spec.kind] = at
    return answers


@contextmanager
def moto_server() -> Iterator[str]:
    """moto's server on a free port, the only AWS the process can reach while the block runs."""
    try:
        from moto.server import ThreadedMotoServer
    except ImportError as exc:
        raise SimulatorUnavailable(
            f"moto is not installed ({exc.name}): install the development extras, pip install -e '.[dev]'"
        ) from None
    with local_environment():
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        requests_log = logging.getLogger("werkzeug")  # moto's server logs every request at INFO
        level = requests_log.level
        requests_log.setLevel(logging.ERROR)
        try:
            server.start()
            host, port = server.get_host_and_port()
            url = f"http://{host}:{port}"
            os.environ["AWS_ENDPOINT_URL"] = url
            _reset(url)  # moto's state is per process: start from none…
            try:
                yield url
            finally:
                _reset(url)  # …and leave none behind
        finally:
            server.stop()
            requests_log.setLevel(level)


@contextmanager
def local_environment() -> Iterator[None]:
    """Dummy AWS credentials and no profile, config file or instance metadata (every `AWS_*` variable of the
    caller set aside), and no proxy for 127.0.0.1, where every simulator listens. All restored after."""
    names = [n for n in os.environ if n.startswith("AWS_")] + ["NO_PROXY", "no_proxy"]
    saved = {name: os.environ[name] for name in names if name in os.environ}
    local = ",".join(filter(None, ["127.0.0.1,localhost", saved.get("NO_PROXY") or saved.get("no_proxy")]))
    with tempfile.TemporaryDirectory(prefix="recertify-aws-") as tmp:
        empty = Path(tmp) / "none"
        empty.write_text("")
        for name in saved:
            del os.environ[name]
        os.environ.update(
            {
                "AWS_ACCESS_KEY_ID": "demo",
                "AWS_SECRET_ACCESS_KEY": "demo",  # noqa: S105  (moto's, not a secret)
                "AWS_DEFAULT_REGION": REGION,
                "AWS_CONFIG_FILE": str(empty),  # never a developer's profiles
                "AWS_SHARED_CREDENTIALS_FILE": str(empty),
                "AWS_EC2_METADATA_DISABLED": "true",  # never the instance metadata service
                "NO_PROXY": local,
                "no_proxy": local,
            }
        )
        try:
            yield
        finally:
            for name in [n for n in os.environ if n.startswith("AWS_")] + ["NO_PROXY", "no_proxy"]:
                os.environ.pop(name, None)
            os.environ.update(saved)


def _reset(url: str) -> None:
    request = urllib.request.Request(f"{url}/moto-api/reset", method="POST")  # noqa: S310  (http://127.0.0.1)
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
        answer.read()
