"""A fictional department for `recertify demo` and the tests: its people, its nine personal-data stores and
who can reach them, seeded into moto, the Graph, ARM and Slack simulators running in this process.

    with running_department(start) as world:      # moto server + Graph, ARM and Slack simulators
        world.moto_url, world.graph.url, world.arm.url, world.arm.ca_bundle, world.slack.api_url
        world.still_has_access("payroll-exports", "olaf.novak")   # read back from moto
        world.still_has_access("HR-Case-Files", "Ken Marsh")      # read back from the Graph simulator

- `people.py`: sixty people, their managers, a guest, a disabled leaver, a contractor, movers;
- `stores.py`: three AWS stores, three Entra ones and three Azure ones, each holding's path and last use;
- `story.py`: what each owner does when their digest arrives (keep, revoke, or nothing at all);
- `cycle.py`: the review cycle the department's admins wrote (YAML);
- `aws.py`, `entra.py`, `azure.py`, `slack.py`: seeding each service, reading back what it says now, pressing
  buttons;
- `last_accessed.py`: IAM service-last-accessed, which moto lacks, answered from the data;
- `world.py`: starting and stopping it all.

Like every simulator, nothing here imports Recertify: it stands in for the outside world only.
"""

from simulators.department import cycle, slack
from simulators.department.people import PEOPLE, Person, person
from simulators.department.slack import Hands
from simulators.department.stores import (
    BREAK_GLASS,
    STORES,
    SUBSCRIPTION,
    Holding,
    StoreSpec,
    principal_name,
    store,
)
from simulators.department.story import ANSWER_DAY, PRESSES, SILENT, TICK_DAYS, Press
from simulators.department.world import (
    APP_TOKEN,
    ARM_TOKEN,
    BOT_TOKEN,
    GRAPH_TOKEN,
    SIGNING_SECRET,
    RunningDepartment,
    SimulatorUnavailable,
    running_department,
)

__all__ = [
    "ANSWER_DAY",
    "APP_TOKEN",
    "ARM_TOKEN",
    "BOT_TOKEN",
    "BREAK_GLASS",
    "GRAPH_TOKEN",
    "PEOPLE",
    "PRESSES",
    "SIGNING_SECRET",
    "SUBSCRIPTION",
    "SILENT",
    "STORES",
    "TICK_DAYS",
    "cycle",
    "Hands",
    "Holding",
    "Person",
    "Press",
    "RunningDepartment",
    "SimulatorUnavailable",
    "StoreSpec",
    "person",
    "principal_name",
    "running_department",
    "slack",
    "store",
]
