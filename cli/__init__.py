"""The command line, one module per command group. `app.py` is the entry point: it builds the `Context`
every command receives as `ctx.obj` (`cli.context.CommandContext`: settings, engine, and the services
`wiring.py` wires: connectors, protection, the chat directory), so these modules never construct an adapter
themselves, nor import the modules that do."""
