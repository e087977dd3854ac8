"""One use case per module, shared by the CLI, the scheduler and the Slack bot. Each takes a keyword-only
session and clock; none commits (the caller owns the unit of work), so a use case and its audit events
land together or not at all."""
