"""Review campaigns: start (freeze the population, assign reviewers, recommend), decide, remind and escalate,
close (apply the no-response policy) and plan revocations inside the safety envelope (DESIGN §3)."""
