"""The scheduler adapter: APScheduler as a clock, run by the one replica that holds the lease (DESIGN §5, §6).

`reviews` does the work (idempotent use cases); this package only decides when, and who.
"""

from scheduler.jobs import JobContext, ScheduledJob
from scheduler.leadership import Leadership, LeadershipLost, LeadershipUnavailable
from scheduler.service import RecertifyScheduler, build_scheduler

__all__ = [
    "JobContext",
    "Leadership",
    "LeadershipLost",
    "LeadershipUnavailable",
    "RecertifyScheduler",
    "ScheduledJob",
    "build_scheduler",
]
