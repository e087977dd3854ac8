"""What every settings section is built from. The domain's own section, `[enforcement]`, is
reviews/enforcement/settings.py.

Each adapter owns its section (connectors/aws/settings.py, connectors/entra/settings.py, bot/settings.py);
config.py composes them into the whole configuration and loads it. A section forbids unknown keys and is
frozen; its validators say what is expected, and the loader adds the key and where its value came from.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict

GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Section(BaseModel):
    """One `[section]` of recertify.toml."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def http_url(value: str) -> str:
    if not re.match(r"^https?://[^\s/]+", value):
        raise ValueError("expected an http:// or https:// URL")
    return value


def each_matching(
    values: list[str], pattern: re.Pattern[str] | tuple[re.Pattern[str], ...], what: str
) -> list[str]:
    patterns = pattern if isinstance(pattern, tuple) else (pattern,)
    for value in values:
        if not any(p.match(value) for p in patterns):
            raise ValueError(f"{value!r} is not {what}")
    return values
