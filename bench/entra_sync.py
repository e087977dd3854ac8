"""Entra ID full and incremental sync at department scale, against the Graph simulator.

    .venv/bin/python -m bench.entra_sync [--users 100000 --groups 20000 --memberships 1000000]

Targets (issue "Entra"): full sync ≤ 120 s and peak memory < 1.5 GB on the 2-core machine; Graph requests
within 1.2× of the minimum the data needs; a delta sync after 1 % of memberships changed uses ≤ 10 % of the
full sync's requests. The simulator runs in a child process, so the peak resident size printed is
Recertify's own (the real GraphServiceClient, the mirror, the snapshot).
"""

from __future__ import annotations

import argparse
import math
import multiprocessing as mp
import resource
import time
from multiprocessing.connection import Connection
from typing import Any

from connectors.entra.connector import EntraConnector
from connectors.entra.settings import EntraSecrets, EntraSettings
from reviews.clock import SystemClock

TOKEN = "bench-token"  # noqa: S105  (the simulator's, never a real one)


def serve(shape_args: dict[str, Any], page_size: int, pipe: Connection) -> None:
    """The child: a generated tenant behind the simulator, answering the parent's commands."""
    from simulators.graph import GraphSimulator, TenantShape, generate_tenant

    started = time.perf_counter()
    tenant, names = generate_tenant(TenantShape(**shape_args))
    generated = time.perf_counter() - started
    with GraphSimulator(tenant, token=TOKEN, page_size=page_size) as sim:
        pipe.send({"url": sim.url, "names": names, "generated_s": generated})
        while True:
            command = pipe.recv()
            if command == "count":
                pipe.send(sim.request_count(include_batch_items=False))
            elif command == "minimum":
                pipe.send(_minimum_pages(tenant, page_size))
            elif command == "breakdown":
                pipe.send(_breakdown(sim.requests))
            elif command == "change":
                pipe.send(_change_memberships(tenant, shape_args["memberships"] // 100, shape_args["seed"]))
            elif command == "stop":
                return


def _minimum_pages(tenant: Any, page_size: int, chunk: int = 500) -> dict[str, int]:
    """Lower bounds on the pages this tenant's data needs at the server's limits: users once for identity and
    once for sign-in activity; groups delta, where a group appears once per `chunk` members and every
    appearance but a group's last ends a page (the simulator's rule, as Graph does with large groups)."""
    users = len(tenant.user_ids())
    appearances = breaks = 0
    for group in tenant.group_ids():
        parts = max(1, math.ceil(len(tenant.direct_members(group)) / chunk))
        appearances += parts
        breaks += parts - 1
    return {
        "users": math.ceil(users / page_size),
        "sign_ins": math.ceil(users / page_size),
        "groups_delta": max(breaks + 1, math.ceil(appearances / page_size)),
    }


def _breakdown(requests: list[Any]) -> dict[str, int]:
    """Requests per endpoint, ids folded: where the requests go."""
    import re
    from collections import Counter

    guid = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
    return dict(Counter(f"{r.method} {guid.sub('{id}', r.path)}" for r in requests))


def _change_memberships(tenant: Any, count: int, seed: int) -> int:
    """Remove half as many memberships as asked and add the other half, across random groups."""
    import random

    rng = random.Random(seed + 1)
    groups = list(tenant.group_ids())
    users = list(tenant.user_ids())
    changed = 0
    while changed < count:
        group = rng.choice(groups)
        members = list(tenant.direct_members(group))
        if changed % 2 == 0 and members:
            tenant.remove_member(group, rng.choice(members))
        else:
            tenant.add_member(group, rng.choice(users))
        changed += 1
    return changed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--groups", type=int, default=20_000)
    parser.add_argument("--memberships", type=int, default=1_000_000)
    parser.add_argument("--pd-groups", type=int, default=200)
    parser.add_argument("--pd-apps", type=int, default=50)
    parser.add_argument("--page-size", type=int, default=999, help="the server's page size (Graph's maximum)")
    args = parser.parse_args()
    shape = {
        "users": args.users,
        "groups": args.groups,
        "memberships": args.memberships,
        "pd_groups": args.pd_groups,
        "pd_apps": args.pd_apps,
        "seed": 7,
    }
    parent, child = mp.Pipe()
    server = mp.get_context("spawn").Process(target=serve, args=(shape, args.page_size, child), daemon=True)
    server.start()
    hello = parent.recv()
    names = hello["names"]
    settings = EntraSettings(
        graph_url=hello["url"],
        personal_data_groups=list(names["groups"].values()),
        personal_data_apps=list(names["apps"].values()),
    )
    secrets = EntraSecrets.model_validate({"RECERTIFY_GRAPH_TOKEN": TOKEN})
    state = _MemoryState()
    connector = EntraConnector(settings, secrets, clock=SystemClock(), state=state)

    started = time.perf_counter()
    snapshot = connector.snapshot()
    full_s = time.perf_counter() - started
    parent.send("count")
    full_requests = parent.recv()
    apply_s = _apply(snapshot)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    parent.send("minimum")
    pages = parent.recv()
    minimum = sum(pages.values()) + _batches(len(names["groups"]), len(names["apps"]))

    parent.send("breakdown")
    full_breakdown = parent.recv()
    parent.send("change")
    changed = parent.recv()
    started = time.perf_counter()
    connector.snapshot()
    delta_s = time.perf_counter() - started
    parent.send("count")
    delta_requests = parent.recv() - full_requests
    parent.send("breakdown")
    delta_breakdown = {k: v - full_breakdown.get(k, 0) for k, v in parent.recv().items()}
    parent.send("stop")
    server.join(timeout=30)

    print(
        f"tenant: {args.users:,} users, {args.groups:,} groups, {args.memberships:,} memberships, "
        f"{args.pd_groups} personal-data groups, {args.pd_apps} apps (generated in {hello['generated_s']:.1f} s)"
    )
    print(
        f"full sync: {full_s:.1f} s, {full_requests:,} Graph requests (minimum the data needs: {minimum:,}; "
        f"{full_requests / minimum:.2f}×); {len(snapshot.grants):,} grants, {len(snapshot.principals):,} "
        f"principals; peak RSS {peak_mb:,.0f} MB; stored mirror {len(state.blob or b'') / 1e6:.1f} MB"
    )
    print(f"applying that snapshot to a new SQLite database (what `recertify sync` adds): {apply_s:.1f} s")
    print("full sync requests by endpoint:", dict(sorted(full_breakdown.items())))
    print("delta sync requests by endpoint:", {k: v for k, v in sorted(delta_breakdown.items()) if v})
    print(
        f"delta sync after {changed:,} membership changes (1 %): {delta_s:.1f} s, {delta_requests:,} requests "
        f"({delta_requests / full_requests:.1%} of the full sync)"
    )


def _apply(snapshot: Any) -> float:
    import tempfile
    from pathlib import Path

    from reviews.inventory.apply import apply_snapshot
    from reviews.storage.db import create_db_engine, session_scope, upgrade

    with tempfile.TemporaryDirectory() as tmp:
        engine = create_db_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        upgrade(engine)
        started = time.perf_counter()
        with session_scope(engine) as session:
            apply_snapshot(snapshot, session=session, clock=SystemClock())
        elapsed = time.perf_counter() - started
        engine.dispose()
    return elapsed


def _batches(pd_groups: int, pd_apps: int) -> int:
    """$batch calls of 20 for the per-object reads: owners of each group; each app, its assignments and its
    owners. (Service principals that hold access add a few more; left out, so the bound stays a bound.)"""
    return math.ceil(pd_groups / 20) + 3 * math.ceil(pd_apps / 20)


class _MemoryState:
    def __init__(self) -> None:
        self.blob: bytes | None = None

    def load(self, key: str) -> bytes | None:
        return self.blob

    def save(self, key: str, value: bytes) -> None:
        self.blob = value


if __name__ == "__main__":
    main()
