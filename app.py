"""Recertify's entry point and composition root.

Only this module wires the parts together: settings → engine → connectors, chat directory, scheduler → use
cases. The commands live in `cli/`, one module per group; each receives a `Context` as `ctx.obj` and asks it
for what it needs, so no command builds an adapter itself. Every command prints a clear error and exits
non-zero on failure; exit status 2 means the configuration or the arguments are wrong, 1 that the work itself
failed.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import timedelta
from importlib.metadata import version as package_version
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from cli import (  # noqa: F401  (register on audit)
    access,
    admin,
    attest,
    campaigns,
    cycles,
    demo,
    doctor,
    export,
    history,
    inventory,
    revocations,
)
from cli.argv import hoist_global_options
from cli.common import err, out, worker_name
from config import LoadedConfig, config_path, load_settings
from config_logging import LogFormat, LogLevel, configure_logging, configured_secrets
from reviews import audit, checkpoints
from reviews.actors import SCHEDULER, Actor, Role, cli_operator
from reviews.campaigns.protection import Protection
from reviews.campaigns.revoked_notice import tell_revoked
from reviews.campaigns.start import start_scheduled
from reviews.campaigns.survived_notice import tell_survived
from reviews.campaigns.tick import TickSummary, run_tick
from reviews.campaigns.triggered import latest_cycles
from reviews.clock import SystemClock
from reviews.db import (
    create_db_engine,
    is_permission_refusal,
    is_read_only_refusal,
    require_current_schema,
    session_scope,
)
from reviews.entitlements import Snapshot, System
from reviews.errors import (
    CampaignRefused,
    ConfigurationError,
    InvalidArgument,
    Misconfigured,
    NotAuthorized,
    RecertifyError,
)
from reviews.health import CheckResult, Health
from reviews.operations.manage_cycles import latest_cycle
from reviews.operations.outbox import ExecutionSummary, execute
from reviews.ports import AttestationSigner, ChatDirectory, CheckpointSink, Clock, Connector, Notifier
from reviews.state import DatabaseStateStore
from scheduler import JobContext, Leadership, LeadershipLost, ScheduledJob, build_scheduler

if TYPE_CHECKING:  # imported on use: most commands never talk to Slack
    from slack_bolt import App
    from slack_sdk import WebClient

    from bot.http import BotServer

logger = logging.getLogger("recertify.serve")
TICK_EVERY = timedelta(minutes=5)
CHECKPOINT_EVERY = timedelta(minutes=60)  # [audit] checkpoint_every_minutes
MISFIRE_GRACE = timedelta(hours=6)  # a start missed while no replica ran is made up this late, and no later

cli = typer.Typer(
    help="Access reviews for personal-data stores in AWS and Microsoft Entra ID, decided in Slack.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
for name, group in (
    ("permissions", admin.permissions_cli),
    ("config", admin.config_cli),
    ("db", admin.db_cli),
    ("audit", admin.audit_cli),
    ("cycles", cycles.cycles_cli),
    ("campaign", campaigns.campaign_cli),
    ("revocations", revocations.revocations_cli),
    ("attest", attest.attest_cli),
):
    cli.add_typer(group, name=name)
cli.command("sync")(inventory.sync)
cli.command("doctor")(doctor.doctor)
cli.command("access")(access.access)


@dataclass(frozen=True)
class Wiring:
    """The adapters, built from the settings on demand. Commands get it from the Context; scheduled jobs
    get it as their JobContext's services."""

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
        discarding its stored delta links (AWS always reads in full)."""
        # Imported on use: boto3, msgraph and the IAM catalogue are heavy; most commands need none of them.
        if source == "aws":
            from connectors.aws.connector import AwsConnector

            return AwsConnector(self.config.settings.aws, clock=clock, progress=progress)
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
        executed = execute(
            self.engine,
            connectors,
            settings=enforcement,
            clock=clock,
            worker=worker_name(),
            protection=self.protection(),
        )
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


@dataclass
class Context:
    """What one command needs, built on first use and closed when the command ends."""

    config_file: Path | None
    role: Role = Role.ADMIN
    _config: LoadedConfig | None = None
    _engine: Engine | None = None

    def actor(self, *, writes: str | None = None) -> Actor:
        """Who runs this command. `writes` names a command that changes something: an auditor is refused
        here, before any work (the use cases and the read-only connection refuse it too)."""
        actor = cli_operator(self.role)
        if writes is not None and not actor.is_admin:
            raise NotAuthorized(
                f"auditors only read: `recertify {writes}` changes things (run it as an admin)"
            )
        return actor

    def config(self) -> LoadedConfig:
        if self._config is None:
            self._config = load_settings(config_path(self.config_file, os.environ))
        return self._config

    def engine(self, *, require_schema: bool = True) -> Engine:
        if self._engine is None:
            read_only = self.role is Role.AUDITOR
            self._engine = create_db_engine(self.config().settings.database.url, read_only=read_only)
        if require_schema:
            require_current_schema(self._engine)
        return self._engine

    def wiring(self) -> Wiring:
        return Wiring(self.config(), self.engine())

    def attestation_signer(self) -> AttestationSigner:
        return attestation_signer(self.config())

    def attest_keygen(self, out: Path) -> tuple[Path, Path]:
        return attest_keygen(out)

    def live_checks(self) -> list[CheckResult]:
        """`recertify doctor`: no database needed, only the settings and the secrets."""
        return live_checks(self.config())

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()


def _print_version(asked: bool) -> None:
    if asked:
        out.print(f"recertify {package_version('recertify')}", markup=False)
        raise typer.Exit()


@cli.callback()
def _root(
    ctx: typer.Context,
    config: Annotated[
        Path | None, typer.Option("--config", help="recertify.toml (or RECERTIFY_CONFIG)")
    ] = None,
    role: Annotated[
        Role,
        typer.Option(
            "--role",
            envvar="RECERTIFY_ROLE",
            help="auditor: read every answer, change nothing (the database connection is read-only)",
        ),
    ] = Role.ADMIN,
    _version: Annotated[
        bool,
        typer.Option(
            "--version", is_eager=True, callback=_print_version, help="print the installed version and exit"
        ),
    ] = False,
) -> None:
    ctx.obj = Context(config, role)
    ctx.call_on_close(ctx.obj.close)


# --- the scheduler: `serve` runs it ------------------------------------------------------------------------


def scheduled_jobs(engine: Engine, *, checkpoint_every: timedelta = CHECKPOINT_EVERY) -> list[ScheduledJob]:
    """One job per scheduled cycle (its cron, its zone), the tick and the audit checkpoint."""
    with session_scope(engine) as session:
        applied = latest_cycles(session)
    jobs = [
        ScheduledJob(
            id=f"cycle:{row.name}",
            target="app:scheduled_cycle",
            kwargs={"cycle": row.name},
            cron=definition.schedule,
            catch_up=True,  # a start lost with a killed leader is made up at takeover (idempotent by period)
        )
        for row, definition in applied
        if definition.schedule is not None
    ]
    return [
        *jobs,
        # At takeover too: revocations a dead leader claimed, and reminders, need not wait a whole interval.
        ScheduledJob(id="tick", target="app:scheduled_tick", every=TICK_EVERY, catch_up=True),
        ScheduledJob(id="audit:checkpoint", target="app:scheduled_checkpoint", every=checkpoint_every),
    ]


def scheduled_cycle(context: JobContext, /, *, cycle: str) -> None:
    """A cycle's start: idempotent by period; a refusal (stale or failed sync) is recorded, not retried."""
    wiring: Wiring = context.services
    clock = SystemClock()
    try:
        with context.fenced_session() as session:
            row, definition = latest_cycle(session, cycle)
            started = start_scheduled(
                session,
                row,
                definition,
                actor=SCHEDULER,
                clock=clock,
                protection=wiring.protection(),
                grace=MISFIRE_GRACE,
            )
            outcome = None
            if started is not None:
                outcome = (started.campaign.period_key, started.campaign.id, started.created)
    except CampaignRefused as exc:
        with context.fenced_session() as session:
            event = audit.NewEvent(SCHEDULER.id, "campaign.refused", f"cycle:{cycle}", {"reason": str(exc)})
            audit.append(session, event, clock=clock)
        logger.warning("scheduler: %s", exc, extra={"job": f"cycle:{cycle}"})  # stderr carries the logs
        return
    if outcome is not None:  # committed: a repeat (a catch-up, a takeover) finds the period's campaign
        period, campaign_id, created = outcome
        logger.info(
            "scheduler: cycle %s, period %s: campaign %s %s",
            *(cycle, period, campaign_id, "started" if created else "already started"),
            extra={"job": f"cycle:{cycle}"},
        )


def scheduled_tick(context: JobContext, /) -> None:
    wiring: Wiring = context.services
    campaigns.report_tick(*wiring.tick(context.fenced_session))


def scheduled_checkpoint(context: JobContext, /) -> None:
    """Record the audit chain's head (and its write-once copy) when it moved since the last checkpoint.
    A failure is logged and retried at the next run; a chain that no longer checks out is never
    checkpointed over."""
    wiring: Wiring = context.services
    try:
        sink = wiring.checkpoint_sink()
        with context.fenced_session() as session:
            recorded = checkpoints.record_checkpoint(session, sink, clock=SystemClock())
    except LeadershipLost:
        raise
    except RecertifyError as exc:
        logger.warning("scheduler: audit checkpoint failed: %s", exc, extra={"job": "audit:checkpoint"})
        return
    if recorded is not None:
        out.print(f"scheduler: audit checkpoint {recorded.head} recorded", markup=False)


@cli.command("serve")
def serve(
    ctx: typer.Context,
    http: Annotated[int | None, typer.Option(help="serve HTTP on this port instead of Socket Mode")] = None,
    host: Annotated[str, typer.Option(help="address to bind the HTTP and metrics ports")] = "127.0.0.1",
    metrics_port: Annotated[
        int | None,
        typer.Option(help="serve /healthz and /metrics on this port (with --http: moves /metrics here)"),
    ] = None,
    log_format: Annotated[
        LogFormat, typer.Option(help="json: one object per line; auto: text on a terminal, json otherwise")
    ] = LogFormat.auto,
    log_level: Annotated[LogLevel, typer.Option(help="the least severe level written")] = LogLevel.info,
) -> None:
    """The Slack bot (Socket Mode, or HTTP with --http) and the scheduler. One replica schedules at a time."""
    ctx.obj.actor(writes="serve")
    configure_logging(log_format, level=log_level, secrets=configured_secrets(ctx.obj.config()))
    from bot.metrics import count_graph_throttled, metrics_endpoint

    wiring: Wiring = replace(ctx.obj.wiring(), graph_throttled=count_graph_throttled)
    engine = wiring.engine
    stop, started = threading.Event(), threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    wiring.checkpoint_sink()  # a checkpoint bucket without Object Lock stops serve now, not an hour later
    health = start_checks(wiring.config, "http" if http is not None else "socket", stop)
    every = timedelta(minutes=wiring.config.settings.audit.checkpoint_every_minutes)
    scheduler = build_scheduler(
        engine,
        jobs=scheduled_jobs(engine, checkpoint_every=every),
        leadership=Leadership(engine, holder=worker_name()),
        misfire_grace=MISFIRE_GRACE,
        services=wiring,
    )
    metrics = metrics_endpoint(engine, leading=lambda: scheduler.leading)
    ops = None
    if metrics_port is not None:
        from bot.http import OpsServer

        ops = OpsServer(
            host=host, port=metrics_port, ready=started.is_set, metrics=metrics, health=health.report
        ).start()
    bot = _start_bot(wiring, http, host, None if ops else metrics, started.is_set, health)
    scheduler.start()
    started.set()
    state = "leading" if scheduler.leading else "standing by"
    ops_line = f"; /healthz and /metrics on {ops.url}" if ops is not None else ""
    out.print(f"scheduler started ({state}); {bot}{ops_line}")
    logger.info("serve started", extra={"scheduler": state, "mode": "http" if http is not None else "socket"})
    stop.wait()
    logger.info("serve stopping")
    scheduler.shutdown()
    if ops is not None:
        ops.stop()


def start_checks(
    config: LoadedConfig, slack_mode: str, stop: threading.Event, *, every: float | None = None
) -> Health:
    """Run `recertify doctor`'s checks once, say what fails (ERROR, or WARNING when a degraded start is
    allowed), and re-run them every `[serve] recheck_minutes` (`every` seconds, tests) while one fails, in a
    daemon thread until `stop`, so a fixed credential turns /healthz healthy without a restart."""
    serve_settings = config.settings.serve
    health = Health(allow_degraded=serve_settings.allow_degraded_start)
    _record_checks(health, live_checks(config, slack_mode=slack_mode))
    interval = every if every is not None else serve_settings.recheck_minutes * 60

    def recheck() -> None:
        while not stop.wait(interval):
            if health.failing():
                _record_checks(health, live_checks(config, slack_mode=slack_mode))

    threading.Thread(target=recheck, name="recertify-recheck", daemon=True).start()
    return health


def _record_checks(health: Health, results: list[CheckResult]) -> None:
    was_failing = bool(health.failing())
    health.update(results)
    failing = health.failing()
    names = "; ".join(f"{r.label}: {r.detail} (fix: {r.fix})" for r in failing)
    if failing and health.allow_degraded:
        logger.warning(
            "DEGRADED START ([serve] allow_degraded_start): %d check(s) fail: %s", len(failing), names
        )
    elif failing:
        logger.error("not healthy: /healthz answers 503 while %d check(s) fail: %s", len(failing), names)
    elif was_failing:
        logger.info("every live check passes again: healthy")


def _start_bot(
    wiring: Wiring,
    http: int | None,
    host: str,
    metrics: Callable[[], tuple[int, str, bytes]] | None,
    ready: Callable[[], bool],
    health: Health,
) -> str:
    """`metrics`: served on the Slack port in HTTP mode (None when --metrics-port has them)."""
    secrets = wiring.config.secrets
    if http is not None:
        server = wiring.http_bot(host=host, port=http, ready=ready, metrics=metrics, health=health)
        return f"Slack HTTP mode on {server.url}/slack/events"
    if secrets.slack_app_token is not None and wiring.slack_client() is not None:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        SocketModeHandler(wiring.bolt_app(), secrets.slack_app_token.get_secret_value()).connect()
        return "Slack Socket Mode connected"
    return "Slack is not configured (no SLACK_APP_TOKEN for Socket Mode; use --http for HTTP mode)"


cli.command("demo")(demo.demo)


def main() -> None:
    try:
        cli(args=hoist_global_options(sys.argv[1:]), prog_name="recertify")
    except (ConfigurationError, InvalidArgument) as exc:
        err.print(f"error: {exc}", markup=False)
        raise SystemExit(2) from None
    except RecertifyError as exc:
        err.print(f"error: {exc}", markup=False)
        raise SystemExit(1) from None
    except DBAPIError as exc:
        if is_read_only_refusal(exc):
            err.print(
                "error: the database refused a write: this command changes things, and --role auditor only "
                "reads"
            )
        elif is_permission_refusal(exc):
            first_line = str(exc.orig).splitlines()[0]
            err.print(
                f"error: the database refused: {first_line}. This connection's database role lacks the "
                "privilege (an auditor's SELECT-only role cannot run commands that change things)",
                markup=False,
            )
        else:
            raise
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
