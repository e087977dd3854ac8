"""How fast the Graph simulator builds a tenant and serves it.

    .venv/bin/python -m bench.graph_simulator [--users 100000 --groups 20000 --memberships 1000000]

Builds the tenant (timed, with peak memory), then serves it from a child process while this process pages
through it over HTTP with one keep-alive connection, as a client would: every user (`$top=999`,
`$select`), every membership (`/groups/delta` with `members`), and small per-object reads (`/groups/{id}/
members`), printing pages/s, objects/s and requests/s. Target (issue "Graph simulator"): a client reads
100k users and 1M memberships in well under a minute.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import time
from multiprocessing.connection import Connection
from typing import Any

import httpx

TOKEN = "bench-token"  # noqa: S105  (the simulator's own)


def serve(shape_args: dict[str, Any], pipe: Connection) -> None:
    from simulators.graph import GraphSimulator, TenantShape, generate_tenant

    started = time.perf_counter()
    tenant, _ = generate_tenant(TenantShape(**shape_args))
    built = time.perf_counter() - started
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with GraphSimulator(tenant, token=TOKEN, page_size=999) as sim:
        pipe.send({"url": sim.url, "built_s": built, "rss_mb": rss, "groups": tenant.group_ids()[:2000]})
        pipe.recv()  # "stop"


def _walk(http: httpx.Client, url: str, params: dict[str, str]) -> tuple[int, int, int]:
    """(pages, objects, member references) of a whole collection or delta round."""
    pages = objects = refs = 0
    response = http.get(url, params=params)
    while True:
        page = response.json()
        pages += 1
        objects += len(page["value"])
        refs += sum(len(item.get("members@delta", ())) for item in page["value"])
        if "@odata.nextLink" not in page:
            return pages, objects, refs
        response = http.get(page["@odata.nextLink"])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--groups", type=int, default=20_000)
    parser.add_argument("--memberships", type=int, default=1_000_000)
    args = parser.parse_args()
    shape = {"users": args.users, "groups": args.groups, "memberships": args.memberships,
             "pd_groups": 200, "pd_apps": 50, "seed": 7}  # fmt: skip
    parent, child = mp.Pipe()
    server = mp.get_context("spawn").Process(target=serve, args=(shape, child), daemon=True)
    server.start()
    hello = parent.recv()
    print(f"generated {args.users:,} users, {args.groups:,} groups, {args.memberships:,} memberships "
          f"in {hello['built_s']:.2f} s, simulator peak RSS {hello['rss_mb']:,.0f} MB")  # fmt: skip
    with httpx.Client(
        base_url=hello["url"], headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60
    ) as http:
        started = time.perf_counter()
        pages, users, _ = _walk(
            http, "/users", {"$top": "999", "$select": "id,displayName,accountEnabled,userType"}
        )
        took = time.perf_counter() - started
        print(
            f"users: {users:,} in {pages} pages, {took:.2f} s ({pages / took:.0f} pages/s, {users / took:,.0f} users/s)"
        )
        started = time.perf_counter()
        pages, groups, refs = _walk(http, "/groups/delta", {"$select": "displayName,members"})
        took = time.perf_counter() - started
        print(f"groups delta: {groups:,} group entries, {refs:,} member refs in {pages} pages, {took:.2f} s "
              f"({pages / took:.0f} pages/s, {refs / took:,.0f} memberships/s)")  # fmt: skip
        started = time.perf_counter()
        for gid in hello["groups"]:
            http.get(f"/groups/{gid}/members", params={"$select": "id"}).raise_for_status()
        took = time.perf_counter() - started
        print(f"small reads: {len(hello['groups']):,} GET /groups/{{id}}/members in {took:.2f} s "
              f"({len(hello['groups']) / took:,.0f} requests/s)")  # fmt: skip
    parent.send("stop")
    server.join(timeout=30)


if __name__ == "__main__":
    main()
