"""The simulated Slack workspace: its team, its users and the bot user the app is installed as.

Ids are deterministic (derived from the team id and a counter) and look like Slack's ("U0…", 11
characters), so two runs of a test or of `recertify demo` see the same ids. Emails are unique per
workspace and matched case-insensitively. All reads and writes hold `lock`, which the simulator also holds
while it serves a call, so a test may change users while a client is talking to the simulator.
"""

from __future__ import annotations

import base64
import hashlib
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass
class SlackUser:
    id: str
    name: str  # the legacy username (handle), unique in the workspace
    email: str | None
    real_name: str
    display_name: str
    deleted: bool
    is_bot: bool
    updated: int  # unix seconds of the last change

    def to_api(self, team_id: str) -> dict[str, Any]:
        """The user object as users.info and users.lookupByEmail return it."""
        profile: dict[str, Any] = {
            "real_name": self.real_name,
            "real_name_normalized": self.real_name,
            "display_name": self.display_name,
            "display_name_normalized": self.display_name,
            "team": team_id,
        }
        if self.email is not None:
            profile["email"] = self.email
        return {
            "id": self.id,
            "team_id": team_id,
            "name": self.name,
            "deleted": self.deleted,
            "real_name": self.real_name,
            "is_bot": self.is_bot,
            "is_app_user": False,
            "profile": profile,
            "updated": self.updated,
        }


class SlackWorkspace:
    def __init__(
        self,
        team_id: str = "T0001",
        team_name: str = "Department",
        *,
        domain: str | None = None,
        bot_name: str = "recertify",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.team_id = team_id
        self.team_name = team_name
        self.domain = domain or (re.sub(r"[^a-z0-9-]+", "-", team_name.lower()).strip("-") or "workspace")
        self.lock = threading.RLock()
        self._clock = clock
        self._serial = 0
        self._users: dict[str, SlackUser] = {}
        self._by_email: dict[str, str] = {}  # lower-cased email → user id
        self.bot_id = self._new_id("B")
        self.bot_user_id = self.add_user(None, bot_name, is_bot=True, name=bot_name)

    @property
    def url(self) -> str:
        return f"https://{self.domain}.slack.com/"

    def add_user(
        self,
        email: str | None,
        real_name: str,
        *,
        deleted: bool = False,
        is_bot: bool = False,
        user_id: str | None = None,
        display_name: str = "",
        name: str | None = None,
    ) -> str:
        with self.lock:
            uid = user_id or self._new_id("U")
            if uid in self._users:
                raise ValueError(f"user id {uid} already exists")
            self._claim_email(email, uid)
            handle = self._unique_name(name or (email.split("@")[0] if email else real_name))
            self._users[uid] = SlackUser(
                uid, handle, email, real_name, display_name, deleted, is_bot, int(self._clock())
            )
            return uid

    def update_user(
        self,
        user_id: str,
        *,
        email: str | None = None,
        real_name: str | None = None,
        display_name: str | None = None,
        deleted: bool | None = None,
    ) -> None:
        """Change a user as Slack would after a profile edit or a (re)activation; None leaves a field."""
        with self.lock:
            user = self._users[user_id]
            if email is not None and email.lower() != (user.email or "").lower():
                self._claim_email(email, user_id)
                if user.email is not None:
                    del self._by_email[user.email.lower()]
            if email is not None:
                user.email = email
            if real_name is not None:
                user.real_name = real_name
            if display_name is not None:
                user.display_name = display_name
            if deleted is not None:
                user.deleted = deleted
            user.updated = int(self._clock())

    def user(self, user_id: str) -> SlackUser | None:
        with self.lock:
            return self._users.get(user_id)

    def user_by_email(self, email: str) -> SlackUser | None:
        with self.lock:
            uid = self._by_email.get(email.lower())
            return None if uid is None else self._users[uid]

    def users(self) -> list[SlackUser]:
        with self.lock:
            return list(self._users.values())

    # ---- internals --------------------------------------------------------------------------------
    def _new_id(self, prefix: str) -> str:
        while True:
            self._serial += 1
            digest = hashlib.sha256(f"{self.team_id}:{self._serial}".encode()).digest()
            candidate = prefix + "0" + base64.b32encode(digest).decode()[:9]
            if candidate not in self._users and candidate != getattr(self, "bot_id", None):
                return candidate

    def _claim_email(self, email: str | None, uid: str) -> None:
        if email is None:
            return
        if email.lower() in self._by_email:
            raise ValueError(f"email {email} is already taken in this workspace")
        self._by_email[email.lower()] = uid

    def _unique_name(self, wanted: str) -> str:
        base = re.sub(r"[^a-z0-9._-]+", ".", wanted.lower()).strip(".") or "user"
        taken = {u.name for u in self._users.values()}
        name, n = base, 1
        while name in taken:
            n += 1
            name = f"{base}{n}"
        return name
