"""The route table: delta first, since `/users/{id}` would otherwise swallow `/users/delta`."""

from __future__ import annotations

from simulators.graph.protocol import Context
from simulators.graph.routes import delta, directory, pim, writes


def register_all(ctx: Context) -> None:
    delta.register(ctx)
    writes.register(ctx)
    directory.register(ctx)
    pim.register(ctx)
