"""Who the audit chain names for what a sync recorded: every module of a sync appends as this actor."""

ACTOR = "system:sync"
