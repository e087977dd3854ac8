"""The command line as people type it.

`--config` and `--role` belong to `recertify` itself, but people put them after the command
(`recertify access --config recertify.toml`), as most tools they use allow. Click would answer "No such
option"; they are moved in front of the command instead, which is the only place they mean anything.
"""

from __future__ import annotations

from collections.abc import Sequence

GLOBAL_OPTIONS = ("--config", "--role")


def hoist_global_options(argv: Sequence[str]) -> list[str]:
    """`argv` with every global option (and its value) moved to the front, in the order given. Nothing after
    a `--` is touched: what follows it is an argument, whatever it looks like."""
    hoisted: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            rest.extend(argv[i:])
            break
        if arg in GLOBAL_OPTIONS and i + 1 < len(argv):
            hoisted += [arg, argv[i + 1]]
            i += 2
            continue
        if arg.startswith(tuple(f"{name}=" for name in GLOBAL_OPTIONS)):
            hoisted.append(arg)
        else:
            rest.append(arg)
        i += 1
    return hoisted + rest
