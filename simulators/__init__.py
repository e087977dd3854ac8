"""Local simulators of the remote services Recertify talks to (tests, `recertify demo`, benchmarks)."""
