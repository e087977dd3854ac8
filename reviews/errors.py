"""One error tree for Recertify.

Connectors translate their SDK's errors into these at one choke point, so the domain, the CLI and the
bot never see a boto3, Graph or Slack exception. Every error carries a message written for the person who
will read it (an admin at a terminal, an owner in Slack), not for the programmer.
"""

from __future__ import annotations


class RecertifyError(Exception):
    """Base of every error Recertify raises on purpose."""


class ConfigurationError(RecertifyError):
    """The configuration is invalid; the message names the key and what is expected."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        if len(problems) == 1:  # one problem, one line
            super().__init__(f"invalid configuration: {problems[0]}")
        else:
            super().__init__("invalid configuration:\n" + "\n".join(f"  - {p}" for p in problems))


class InvalidArgument(RecertifyError):
    """A command-line argument or API parameter that cannot be understood."""


class Misconfigured(RecertifyError):
    """A source or the bot is set up in a way that makes the requested work impossible."""


class SourceUnavailable(RecertifyError):
    """A source could not be read completely. Nothing partial is ever returned instead."""

    def __init__(self, source: str, reason: str, *, retryable: bool) -> None:
        self.source = source
        self.reason = reason
        self.retryable = retryable
        super().__init__(f"{source}: {reason}" + (" (will retry)" if retryable else ""))


class IncompleteSnapshot(RecertifyError):
    """A snapshot contradicts itself (a grant to an unknown store, a duplicate key, …)."""


class RevocationRefused(RecertifyError):
    """The provider or the safety envelope refused a revocation."""


class NotAuthorized(RecertifyError):
    """The actor may not do this. Raised by use cases, never decided in a handler."""


class NotFound(RecertifyError):
    """The named object does not exist."""


class DatabaseError(RecertifyError):
    """The database cannot be used as it is."""


class MalformedRecord(DatabaseError):
    """A stored row lacks what every writer of its kind has always written: read, it would be a guess."""


class SchemaOutOfDate(DatabaseError):
    """The database schema is behind (or ahead of) what this version needs."""


class AuditChainBroken(RecertifyError):
    """`audit verify` found a tampered, missing, reordered or inserted event. `row` names the row instead of
    a sequence number when the break is in the chain's head or base row (`seq` is then 0)."""

    def __init__(self, seq: int, reason: str, *, row: str | None = None) -> None:
        self.seq = seq
        self.reason = reason
        self.row = row
        super().__init__(f"audit chain broken at {row or f'sequence {seq}'}: {reason}")

    def with_consequence(self, consequence: str) -> AuditChainBroken:
        """The same break, saying what was not done because of it."""
        return AuditChainBroken(self.seq, f"{self.reason}; {consequence}", row=self.row)


class InvalidAuditPayload(RecertifyError):
    """An audit payload that cannot be encoded canonically (NaN, bytes, objects…)."""


class CampaignRefused(RecertifyError):
    """A campaign cannot start or close safely now (stale or failed sync, nothing to review…)."""


class PopulationDropped(RecertifyError):
    """A sync whose population fell sharply without explanation: not applied (DESIGN §3.5)."""
