"""Review cycles as code: what a cycle says, reading it from YAML or TOML, applying it as a new version."""
