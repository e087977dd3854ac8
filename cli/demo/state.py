"""What the demo's steps share: the narrator, the one frozen clock, the database, the running simulators,
wiring.py's Wiring, and what earlier steps found (the campaign, the held revocations, the evidence). The steps
themselves live in sync.py, review.py and enforcement.py; loop.py runs them in order."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from cli.context import Services
from cli.demo.narrator import Narrator
from cli.demo.target import Target
from config import LoadedConfig
from reviews.actors import Actor
from reviews.campaigns.views import ItemLine, show_campaign
from reviews.clock import FrozenClock
from reviews.evidence.export import ExportResult
from reviews.storage.db import session_scope
from simulators import department


@dataclass
class LoopState:
    """What the steps share: `world` and `wiring` are set by the first step, `hands` by the bot's."""

    narrator: Narrator
    actor: Actor
    clock: FrozenClock
    engine: Engine
    target: Target
    wire: Callable[[LoadedConfig, Engine], Services]  # the composition root, for the simulators' settings
    day0: datetime = field(init=False)
    world: department.RunningDepartment = field(init=False)
    wiring: Services = field(init=False)
    hands: department.Hands = field(init=False)
    campaign_id: int = 0
    held: int = 0
    report: ExportResult | None = None
    attestation: Path | None = None  # the signed attestation the last step wrote and verified
    outcomes: dict[str, int] = field(default_factory=dict)  # the campaign's items by outcome, at the end

    def __post_init__(self) -> None:
        self.day0 = self.clock.now()

    def step(self, title: str) -> Any:
        return self.narrator.step(title, self.clock.now(), self.day0)

    def at(self, day: int, hour: int, minute: int = 0) -> None:
        when = self.day0.replace(hour=hour, minute=minute) + timedelta(days=day)
        self.clock.advance(when - self.clock.now())

    def _lines(self) -> list[ItemLine]:
        with session_scope(self.engine) as session:
            return show_campaign(session, self.campaign_id)[1]
