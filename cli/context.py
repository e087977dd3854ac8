"""What a command receives as `ctx.obj`, as Protocols: the composition root (app.py, wiring.py) implements
them, so commands use adapters without importing the module that builds them."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol

from sqlalchemy import Engine
from sqlmodel import Session

from config import LoadedConfig
from reviews.actors import Actor
from reviews.enforcement.outbox import ExecutionSummary
from reviews.enforcement.tick import TickSummary
from reviews.entitlements import Snapshot
from reviews.health import CheckResult
from reviews.ports import AttestationSigner, ChatDirectory, CheckpointSink, Clock, Connector, Notifier
from reviews.protection import Protection


class RunningServer(Protocol):
    """A started HTTP server (the demo's bot)."""

    @property
    def url(self) -> str: ...

    def stop(self) -> None: ...


class Services(Protocol):
    """The adapters a command uses, built from the settings on demand (wiring.Wiring)."""

    @property
    def config(self) -> LoadedConfig: ...

    @property
    def engine(self) -> Engine: ...

    def snapshot_reader(
        self, source: str, clock: Clock, progress: Callable[[str], None], *, full: bool = False
    ) -> Callable[[Callable[[int], None]], Snapshot]: ...

    def connectors(self, clock: Clock) -> dict[str, Connector]: ...

    def protection(self) -> Protection: ...

    def chat_directory(self) -> ChatDirectory | str: ...

    def slack_client(self) -> object | None: ...

    def notifier(self) -> Notifier | None: ...

    def http_bot(
        self, *, host: str, port: int, ready: Callable[[], bool], clock: Clock | None = None
    ) -> RunningServer: ...

    def checkpoint_sink(self) -> CheckpointSink | None: ...

    def key_file_signer(self, path: Path) -> AttestationSigner: ...

    def execute_outbox(
        self, connectors: dict[str, Connector], clock: Clock, *, dry_run: bool = False
    ) -> ExecutionSummary: ...

    def tick(
        self, unit_of_work: Callable[[], AbstractContextManager[Session]]
    ) -> tuple[TickSummary, ExecutionSummary]: ...


class CommandContext(Protocol):
    """`ctx.obj`: who runs the command, its settings and database, and the services wired from them."""

    def actor(self, *, writes: str | None = None) -> Actor: ...

    def config(self) -> LoadedConfig: ...

    def engine(self, *, require_schema: bool = True) -> Engine: ...

    def wiring(self) -> Services: ...

    def wiring_for(self, config: LoadedConfig, engine: Engine) -> Services: ...

    def attestation_signer(self) -> AttestationSigner: ...

    def attest_keygen(self, out: Path) -> tuple[Path, Path]: ...

    def live_checks(self) -> list[CheckResult]: ...
