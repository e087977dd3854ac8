"""`recertify demo`: the whole review loop, end to end, on a fictional department, in under a minute.

moto (AWS), the Graph simulator (Entra ID), the ARM simulator (Azure, HTTPS with its own certificate, trusted
through `[azure] ca_bundle`) and the Slack simulator run in this process on 127.0.0.1, seeded with the
department of `simulators/department/`. Recertify is configured for them through its environment, as
a deployment is (`wiring.Wiring` builds the connectors, the notifier, the protected list and the bot from it),
and the demo runs the product's own code one step at a time: the connectors sync, the department's cycle (a
YAML file) is applied and starts a campaign, the SlackNotifier delivers the digests, the owners press buttons
that reach the Bolt app behind `bot/http.py` as signed HTTP requests, the scheduler's tick runs while the
clock moves past the escalation, the reminders and the deadline, the plan passes through the safety envelope,
an admin approves, revocations run live against the simulators and are read back from them, the audit chain is
verified and the evidence report is written. The demo decides nothing the product decides; it checks that each
step produced what it should and stops, exit status 1, naming the step, when one did not.

Time is one `FrozenClock`, shared by the use cases and the bot. The simulated fortnight ends just before now,
so what the database says afterwards (`recertify access`, `audit history`) reads as the present.

Where it writes: `--out DIR` (default ./recertify-demo/): the SQLite database demo.db, the cycle file, the
evidence files and a recertify.toml for the next commands. An existing demo.db is replaced only with
`--fresh`, so the paths the summary prints stay the same from run to run. With RECERTIFY_DATABASE_URL set
(PostgreSQL, say) the demo migrates that database instead, and refuses one that already holds Recertify
data: it never deletes anything there.

The package: target.py (where it writes), narrator.py (what it prints), loop.py (the steps in order, and the
simulators' configuration), whose steps are in sync.py, review.py and enforcement.py over the shared state.py;
waiting.py waits for the bot's work, errors.py names a failed step.
"""

from __future__ import annotations

from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer

from cli.demo.loop import Loop
from cli.demo.narrator import Narrator
from cli.demo.target import prepare
from reviews.clock import FrozenClock, SystemClock
from reviews.storage.db import create_db_engine

DAYS_AGO = 16  # the simulated fortnight starts this many days ago, at 09:00 UTC, and ends before now


def demo(
    ctx: typer.Context,
    out_dir: Annotated[
        Path, typer.Option("--out", help="where the database, the report and a recertify.toml go")
    ] = Path("recertify-demo"),
    fresh: Annotated[bool, typer.Option("--fresh", help="replace a demo database already in --out")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", help="print the closing summary only")] = False,
) -> None:
    """The whole review loop on a fictional department, against local simulators of AWS, Entra ID, Azure and
    Slack:
    sync, who can access what, a campaign decided in Slack, reminders, escalation, the deadline, safe
    revocation, verification, the audit chain and the evidence report."""
    actor = ctx.obj.actor(writes="demo")
    narrator = Narrator(quiet)
    target = prepare(out_dir.resolve(), fresh)
    start = (SystemClock().now() - timedelta(days=DAYS_AGO)).replace(
        hour=9, minute=0, second=0, microsecond=0
    )
    engine = create_db_engine(target.url)
    try:
        with ExitStack() as stack:
            loop = Loop(narrator, actor, FrozenClock(start), engine, target, ctx.obj.wiring_for)
            loop.run(stack)
    finally:
        engine.dispose()
    narrator.summary(loop)
