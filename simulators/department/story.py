"""What the department's people do during a review: the presses each reviewer makes when their digest
arrives, who never answers, and the days on which the world checks in (the scheduler's ticks).

Reviewers press buttons on the message they see; nothing here decides for Recertify. Who reviews what is
Recertify's choice (owners review their stores; an owner's own access goes to their manager; escalations go
to the cycle's fallback, the Data Protection Officer).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Button = Literal["keep", "revoke", "accept_all", "keep_all"]


@dataclass(frozen=True, slots=True)
class Press:
    reviewer: str  # person key
    button: Button
    store: str | None = None  # keep / revoke: the item's store and holder (a person key or an IAM name)
    holder: str | None = None
    justification: str | None = None  # asked for in a modal when keeping special-category access
    why: str = ""


PRESSES: tuple[Press, ...] = (
    Press(
        "priya.patel",
        "accept_all",
        why="keep the four active readers and the export job, revoke Olaf "
        "(moved to Digital; unused for 212 days)",
    ),
    Press(
        "hana.ito",
        "keep",
        "health-records",
        "lena.young",
        justification="Occupational health adviser handling the open referrals",
    ),
    Press("hana.ito", "revoke", "health-records", "nia.varga", why="moved to the policy team in March"),
    Press("sam.rossi", "revoke", "Casework-Readers", "jo.bloggs", why="last year's audit is long finished"),
    Press("sam.rossi", "keep_all", why="the caseworkers and contractors still need it"),
    Press("grace.mensah", "revoke", "HR-Case-Files", "ken.marsh", why="left the department in the spring"),
    Press("grace.mensah", "keep", "HR-Case-Files", "zed.okafor"),
    Press("grace.mensah", "keep", "HR-Case-Files", "alan.baker"),
    Press("grace.mensah", "keep", "HR-Case-Files", "ines.haddad"),
    Press("grace.mensah", "keep", "HR-Case-Files", "dana.whitfield"),
    Press("tom.weber", "revoke", "Pensions Portal", "leo.fischer", why="the contract ended in January"),
    Press("tom.weber", "revoke", "kv-pensions", "leo.fischer", why="and the vault's secrets with it"),
    Press("tom.weber", "keep_all", why="the pensions officers still need it"),
    Press("ruth.adeyemi", "keep_all", why="the owners keep administering their own stores"),
)
# Marcus never opens his digest, and the Data Protection Officer, who gets his items when they are escalated,
# does not get to them either. Hana answers two of her five items and leaves the rest.
SILENT = ("marcus.okafor", "dana.whitfield")

ANSWER_DAY = 1  # reviewers answer the morning after the digests arrive
TICK_DAYS = (5, 7, 11, 13)  # the scheduler's ticks the demo shows: escalation, then the three reminders
