"""The command line, one module per command group. `app.py` is the entry point and the composition root: it
builds the `Context` every command receives as `ctx.obj` (settings, engine, and the wiring of connectors,
protection and the chat directory), so these modules never construct an adapter themselves."""
