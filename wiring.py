"""The composition root: settings → engine → connectors, chat directory, checkpoint sink, signer → use cases.

Only this module (with `jobs.py` and `serve.py`, which run what it builds) builds adapters. `Wiring` is built
once per command or per `serve` and handed down: commands receive it as `cli.context.Services`, the
scheduled jobs as their JobContext's services. `live_checks` is `recertify doctor`'s and serve's start.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlmodel import Session

from cli.common import worker_name
from config import LoadedConfig
from reviews.actors import SCHEDULER
from reviews.clock import SystemClock
from reviews.enforcement.outbox import ExecutionSummary, execute
from reviews.enforcement.revoked_notice import tell_revoked
from reviews.enforcement.survived_notice import tell_survived
from reviews.enforcement.tick import TickSummary, run_tick
from reviews.entitlements import Snapshot, System
from reviews.errors import Misconfigured
from reviews.health import CheckResult, Health
from reviews.ports import AttestationSigner, ChatDirectory, CheckpointSink, Clock, Connector, Notifier
from reviews.protection import Protection
from reviews.storage.state import DatabaseStateStore

if TYPE_CHECKING:  # imported on use: most commands never talk to Slack
    from slack_bolt import App
    from slack_sdk import WebClient

    from bot.http import BotServer


@dataclass(frozen=True)
class Wiring:
    """The adapters, built from the settings on demand. Commands get it from the Context (typed as
    `cli.context.Services`); scheduled jobs get it as their JobContext's services."""

    config: LoadedConfig
    engine: Engine
    graph_throttled: Callable[[int], None] | None = None  # serve counts Graph's 429/503 for /metrics

    def connector(
        self,
        source: str,
        clock: Clock,
        progress: Callable[[str], None],
        on_throttled: Callable[[int], None] | None = None,
        *,
        full: bool = False,
    ) -> Connector:
        """`on_throttled` hears of each answer the source throttled (Graph reports them; AWS's retries stay
        inside botocore), besides serve's counter for /metrics. `full`: Entra reads the whole directory,
        discarding its stored delta links (AWS and Azure always read in full)."""
        # Imported on use: boto3, msgraph and the IAM catalogue are heavy; most commands need none of them.
        if source == "aws":
            from connectors.aws.connector import AwsConnector

            return AwsConnector(self.config.settings.aws, clock=clock, progress=progress)
        if source == "azure":
            return self._azure(clock, progress, on_throttled)
        from connectors.entra.connector import EntraConnector

        state = DatabaseStateStore(self.engine, clock)
        settings, secrets = self.config.settings.entra, self.config.secrets
        listeners = [listener for listener in (self.graph_throttled, on_throttled) if listener is not None]

        def throttled(status: int) -> None:
            for listener in listeners:
                listener(status)

        return EntraConnector(
            settings,
            secrets,
            clock=clock,
            state=state,
            progress=progress,
            on_throttled=throttled,
            full_sync=full,
        )

    def _azure(
        self, clock: Clock, progress: Callable[[str], None], on_throttled: Callable[[int], None] | None
    ) -> Connector:
        """ARM (fetch) and the Entra objects it names, through [entra]'s Graph settings and credentials."""
        from connectors.azure.connector import AzureConnector
        from connectors.azure.live import live_read, write_clients

        settings = self.config.settings
        read = live_read(
            settings.azure, settings.entra, self.config.secrets, clock=clock, on_throttled=on_throttled
        )
        arm, graph = write_clients(settings.azure, settings.entra, self.config.secrets)
        return AzureConnector(settings.azure, read, progress=progress, arm=arm, graph=graph)

    def snapshot_reader(
        self, source: str, clock: Clock, progress: Callable[[str], None], *, full: bool = False
    ) -> Callable[[Callable[[int], None]], Snapshot]:
        """What `sync_source` reads with: the source's snapshot, telling `on_throttled` of each throttle."""
        return lambda on_throttled: self.connector(
            source, clock, progress, on_throttled, full=full
        ).snapshot()

    def connectors(self, clock: Clock) -> dict[str, Connector]:
        """A connector per enabled source; they open no connection until used."""
        enabled = [s.value for s in System if getattr(self.config.settings, s.value).enabled]
        return {source: self.connector(source, clock, lambda _message: None) for source in enabled}

    def protection(self) -> Protection:
        """The configured protected principals and the bot's own identities (its AWS roles, its Entra app)."""
        settings = self.config.settings
        own = (settings.entra.client_id,) if settings.entra.client_id else ()
        patterns = [*settings.enforcement.protected_names, settings.aws.read_role, settings.aws.write_role]
        return Protection.of(settings.enforcement.protected, patterns, own)

    def chat_directory(self) -> ChatDirectory | str:
        """Slack's directory, or why there is none."""
        slack, token = self.config.settings.slack, self.config.secrets.slack_bot_token
        if not slack.enabled:
            return "Slack is disabled (slack.enabled = false)"
        if token is None:
            return "SLACK_BOT_TOKEN is not set"
        from bot.directory import SlackDirectory, slack_client

        return SlackDirectory(
            slack_client(token.get_secret_value(), slack.api_url), team_id=slack.team_id or None
        )

    def slack_client(self) -> WebClient | None:
        slack, token = self.config.settings.slack, self.config.secrets.slack_bot_token
        if not slack.enabled or token is None:
            return None
        from bot.directory import slack_client

        return slack_client(token.get_secret_value(), slack.api_url)

    def notifier(self) -> Notifier | None:
        """Slack, when it is configured. Without one nothing is delivered, so silence never revokes."""
        client = self.slack_client()
        if client is None:
            return None
        from bot.notifier import SlackNotifier

        return SlackNotifier(client)

    def bolt_app(self, clock: Clock | None = None) -> App:
        """The Slack app, for Socket Mode or HTTP mode; its handlers read the time from `clock` (the system's
        by default; the demo's is frozen)."""
        client, secrets = self.slack_client(), self.config.secrets
        if client is None:
            raise Misconfigured("the Slack bot needs slack.enabled = true and SLACK_BOT_TOKEN")
        from bot.app import BotServices, build_app

        directory = self.chat_directory()
        services = BotServices(
            engine=self.engine,
            clock=SystemClock() if clock is None else clock,
            slack=self.config.settings.slack,
            directory=None if isinstance(directory, str) else directory,
            protection=self.protection(),
        )
        secret = secrets.slack_signing_secret.get_secret_value() if secrets.slack_signing_secret else None
        return build_app(services, client=client, signing_secret=secret)

    def http_bot(
        self,
        *,
        host: str,
        port: int,
        ready: Callable[[], bool],
        metrics: Callable[[], tuple[int, str, bytes]] | None = None,
        clock: Clock | None = None,
        health: Health | None = None,
    ) -> BotServer:
        """The Slack app behind bot/http.py's server, started (`port=0`: a free one). Requests are verified
        with SLACK_SIGNING_SECRET; `metrics`, when given, are served on the same port; `health` is what
        /healthz reports (serve's live checks)."""
        signing_secret = self.config.secrets.slack_signing_secret
        if signing_secret is None:
            raise Misconfigured("HTTP mode needs SLACK_SIGNING_SECRET (requests are verified with it)")
        from bot.http import BotServer

        bolt, secret = self.bolt_app(clock), signing_secret.get_secret_value()
        report = None if health is None else health.report
        server = BotServer(
            bolt, signing_secret=secret, host=host, port=port, ready=ready, metrics=metrics, health=report
        )
        return server.start()

    def checkpoint_sink(self) -> CheckpointSink | None:
        """The write-once store for audit checkpoints (`[audit] checkpoint_bucket`), checked: a bucket
        without Object Lock is refused here, before anything is written. None when none is configured."""
        audit_settings = self.config.settings.audit
        if not audit_settings.checkpoint_bucket:
            return None
        from connectors.aws.checkpoints import open_checkpoint_sink

        return open_checkpoint_sink(
            audit_settings.checkpoint_bucket,
            prefix=audit_settings.checkpoint_prefix,
            retention_days=audit_settings.checkpoint_retention_days,
            region=self.config.settings.aws.regions[0],
        )

    def attestation_signer(self) -> AttestationSigner:
        """The operator's signing key for attestations: `[attest] key_file` (Ed25519) or `kms_key_id`."""
        return attestation_signer(self.config)

    def key_file_signer(self, path: Path) -> AttestationSigner:
        """An Ed25519 key file's signer, made (0600, its public key next to it) when it does not exist yet:
        the demo's own key."""
        from connectors.signing.key_file import KeyFileSigner

        if not path.exists():
            attest_keygen(path)
        return KeyFileSigner(path)

    def execute_outbox(
        self, connectors: dict[str, Connector], clock: Clock, *, dry_run: bool = False
    ) -> ExecutionSummary:
        """Execute approved revocations: live only when `[enforcement] mode = "live"` and not `dry_run`."""
        settings = self.config.settings.enforcement
        if dry_run:
            settings = settings.model_copy(update={"mode": "dry-run"})
        return execute(
            self.engine,
            connectors,
            settings=settings,
            clock=clock,
            worker=worker_name(),
            protection=self.protection(),
        )

    def tick(
        self, unit_of_work: Callable[[], AbstractContextManager[Session]]
    ) -> tuple[TickSummary, ExecutionSummary]:
        """The scheduler's tick: remind, escalate, close what is due, plan, execute the outbox."""
        clock = SystemClock()
        connectors = self.connectors(clock)
        enforcement, notifier = self.config.settings.enforcement, self.notifier()
        summary = run_tick(
            unit_of_work,
            notifier=notifier,
            connectors=connectors,
            settings=enforcement,
            protection=self.protection(),
            actor=SCHEDULER,
            clock=clock,
        )
        executed = self.execute_outbox(connectors, clock)
        slack = self.config.settings.slack
        if notifier is not None and slack.notify_revoked:
            with unit_of_work() as session:
                tell_revoked(session, notifier, clock=clock)
        if notifier is not None:  # always: a revocation that left the access in place must be heard of
            with unit_of_work() as session:
                tell_survived(
                    session, notifier, clock=clock, admin_channel=slack.admin_channel, admins=slack.admins
                )
        return summary, executed


def attestation_signer(config: LoadedConfig) -> AttestationSigner:
    """Built from the settings alone (no database): `recertify attest` checks the key before any work."""
    settings = config.settings.attest
    if settings.key_file:
        from connectors.signing.key_file import KeyFileSigner

        return KeyFileSigner(Path(settings.key_file).expanduser())
    if settings.kms_key_id:
        from connectors.signing.kms import KmsSigner

        return KmsSigner(settings.kms_key_id, region=config.settings.aws.regions[0])
    raise Misconfigured(
        "attestations are signed with a key you control: set [attest] key_file (or "
        "RECERTIFY_ATTEST_KEY_FILE; `recertify attest keygen --out KEY.pem` makes one) or "
        "[attest] kms_key_id (an AWS KMS ECC_NIST_P256 key)"
    )


def attest_keygen(out: Path) -> tuple[Path, Path]:
    """`recertify attest keygen`: a new Ed25519 key file (0600) and its public key next to it."""
    from connectors.signing.key_file import generate

    return generate(out)


def live_checks(config: LoadedConfig, *, slack_mode: str | None = None) -> list[CheckResult]:
    """`recertify doctor` and serve's start: each enabled source's and Slack's live, read-only checks, in
    that order (the checks live with each adapter). `slack_mode`: how serve connects to Slack ("socket" or
    "http"); None guesses from the secrets (an app-level token means Socket Mode)."""
    settings, secrets = config.settings, config.secrets
    results: list[CheckResult] = []
    if settings.aws.enabled:
        from connectors.aws.doctor import aws_checks

        results += aws_checks(settings.aws)
    if settings.entra.enabled:
        from connectors.entra.doctor import entra_checks

        results += entra_checks(settings.entra, secrets)
    if settings.azure.enabled:
        from connectors.azure.doctor import azure_checks

        results += azure_checks(settings.azure, settings.entra, secrets)
    if settings.slack.enabled:
        from bot.directory import slack_client
        from bot.doctor import slack_checks

        token = secrets.slack_bot_token
        client = slack_client(token.get_secret_value(), settings.slack.api_url) if token else None
        mode = slack_mode or ("socket" if secrets.slack_app_token is not None else "http")
        results += slack_checks(
            client,
            signing_secret=secrets.slack_signing_secret is not None,
            app_token=secrets.slack_app_token is not None,
            mode="socket" if mode == "socket" else "http",
        )
    return results
