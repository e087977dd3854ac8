"""Stand-ins for remote services, for tests only (simulators shared with the demo live in the product)."""
