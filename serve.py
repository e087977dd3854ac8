"""`recertify serve`: the Slack bot (Socket Mode, or HTTP) and the scheduler in one process, with serve's
live checks behind /healthz. One replica schedules at a time; every replica answers Slack."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated

import typer

from cli.common import out, worker_name
from config import LoadedConfig
from config_logging import LogFormat, LogLevel, configure_logging, configured_secrets
from jobs import MISFIRE_GRACE, scheduled_jobs
from reviews.health import CheckResult, Health
from scheduler import Leadership, RecertifyScheduler, build_scheduler
from wiring import Wiring, live_checks

if TYPE_CHECKING:
    from bot.http import Metrics, OpsServer

logger = logging.getLogger("recertify.serve")


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
    from ops.metrics import count_graph_throttled

    wiring = Wiring(ctx.obj.config(), ctx.obj.engine(), graph_throttled=count_graph_throttled)
    stop, started = _stopped_by_signals(), threading.Event()
    wiring.checkpoint_sink()  # a checkpoint bucket without Object Lock stops serve now, not an hour later
    mode = "http" if http is not None else "socket"
    health = start_checks(wiring.config, mode, stop)
    scheduler = _scheduler(wiring)
    metrics = _metrics(wiring, scheduler)
    ops = _start_ops_server(host, metrics_port, ready=started.is_set, metrics=metrics, health=health)
    bot = _start_bot(wiring, http, host, None if ops else metrics, started.is_set, health)
    scheduler.start()
    started.set()
    _announce_start(scheduler, bot, ops, mode)
    stop.wait()
    logger.info("serve stopping")
    scheduler.shutdown()
    if ops is not None:
        ops.stop()


def _stopped_by_signals() -> threading.Event:
    """Set by SIGINT or SIGTERM: serve then stops its scheduler and ops server before it exits."""
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    return stop


def _metrics(wiring: Wiring, scheduler: RecertifyScheduler) -> Metrics:
    """What /metrics answers, including whether this replica leads the scheduler."""
    from ops.metrics import metrics_endpoint

    return metrics_endpoint(wiring.engine, leading=lambda: scheduler.leading)


def _start_ops_server(
    host: str, port: int | None, *, ready: Callable[[], bool], metrics: Metrics, health: Health
) -> OpsServer | None:
    """/healthz and /metrics on their own port, when --metrics-port asks for one."""
    if port is None:
        return None
    from bot.http import OpsServer

    return OpsServer(host=host, port=port, ready=ready, metrics=metrics, health=health.report).start()


def _announce_start(scheduler: RecertifyScheduler, bot: str, ops: OpsServer | None, mode: str) -> None:
    """One line for the operator's terminal, one event for the logs."""
    state = "leading" if scheduler.leading else "standing by"
    ops_line = f"; /healthz and /metrics on {ops.url}" if ops is not None else ""
    out.print(f"scheduler started ({state}); {bot}{ops_line}")
    logger.info("serve started", extra={"scheduler": state, "mode": mode})


def _scheduler(wiring: Wiring) -> RecertifyScheduler:
    """Built on every replica; only the one holding the lease runs the jobs."""
    engine = wiring.engine
    every = timedelta(minutes=wiring.config.settings.audit.checkpoint_every_minutes)
    return build_scheduler(
        engine,
        jobs=scheduled_jobs(engine, checkpoint_every=every),
        leadership=Leadership(engine, holder=worker_name()),
        misfire_grace=MISFIRE_GRACE,
        services=wiring,
    )


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
    metrics: Metrics | None,
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
