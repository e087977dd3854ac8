"""A synthetic tenant of any size, deterministic by seed, built straight into the tenant's dicts.

Memberships are picked by strided slices over the user id list (C-speed, no per-member random calls), so
100k users / 20k groups / 1M memberships build in a few seconds. The total of direct memberships (users,
nested groups, service principals and unknown objects together) equals `shape.memberships` exactly.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from simulators.graph.tenant import Tenant

FIRST = ("Ada Alan Amara Bo Carla Dev Elif Femi Grace Hugo Ines Jon Kemal Lena Mo Nia Olaf Priya Quinn Rosa "
         "Sami Tara Uma Vik Wen Xiu Yara Zed").split()  # fmt: skip
LAST = ("Adams Baker Chen Diaz Evans Fischer Garcia Haddad Ito Jones Khan Lopez Mensah Novak Okafor Patel "
        "Quist Rossi Silva Tanaka Ueda Varga Weber Xu Young Zhou").split()  # fmt: skip
DATASETS = (
    "Payroll HR-Cases Patients Customers Benefits Recruiting Pensions Health Students Members"
).split()


@dataclass(frozen=True, slots=True)
class TenantShape:
    users: int = 1_000
    groups: int = 200
    memberships: int = 10_000  # direct memberships of every kind, exactly
    pd_groups: int = 20  # personal-data groups (the first groups)
    pd_apps: int = 5  # personal-data apps (service principals with Reader/Writer/Admin roles)
    guests: float = 0.03
    disabled: float = 0.02
    on_premises: float = 0.3  # share of users synced from on-premises AD
    never_signed_in: float = 0.05
    nesting_depth: int = 3  # chains of nested groups under some personal-data groups
    loop: bool = False  # close the first chain into a loop back to its personal-data group
    other_apps: int = 5
    assignments_per_app: int = 50
    unknown_members: int = 0  # objects of an unknown @odata.type added to personal-data groups
    seed: int = 7
    now: datetime = datetime(2026, 1, 1, tzinfo=UTC)
    domain: str = "contoso.example"


@dataclass(frozen=True, slots=True)
class TenantNames:
    """What a configuration needs to point at: names and ids of the personal-data groups and apps.

    Readable as attributes or by key (`names["groups"]`), e.g. across a process boundary.
    """

    groups: dict[str, str]  # personal-data group display name → group id
    apps: dict[str, str]  # personal-data app display name → service principal id
    app_ids: dict[str, str]  # personal-data app display name → appId
    dynamic_group: str | None = None
    on_premises_group: str | None = None
    nested_groups: list[str] = field(default_factory=list)  # nested (at any depth) under pd groups
    loop_groups: list[str] = field(default_factory=list)
    unknown_objects: list[str] = field(default_factory=list)

    def __getitem__(self, key: str) -> Any:
        if key not in self.__slots__:
            raise KeyError(key)
        return getattr(self, key)


def _stamp(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def _users(tenant: Tenant, shape: TenantShape, rng: random.Random) -> list[str]:
    now = shape.now.timestamp()
    ids = [tenant.new_id() for _ in range(shape.users)]
    for i, uid in enumerate(ids):
        first, last = FIRST[i % len(FIRST)], LAST[(i // len(FIRST)) % len(LAST)]
        handle = f"{first.lower()}.{last.lower()}{i}"
        guest = i > 0 and rng.random() < shape.guests
        seen = rng.random() >= shape.never_signed_in
        tenant.users[uid] = {
            "id": uid,
            "displayName": f"{first} {last} {i}",
            "userPrincipalName": f"{handle}_partner.example#EXT#@{shape.domain}"
            if guest
            else f"{handle}@{shape.domain}",
            "mail": f"{handle}@partner.example" if guest else f"{handle}@{shape.domain}",
            "accountEnabled": i == 0 or rng.random() >= shape.disabled,
            "userType": "Guest" if guest else "Member",
            "createdDateTime": _stamp(now - rng.randrange(400, 5 * 365) * 86400),
            "onPremisesSyncEnabled": True if not guest and rng.random() < shape.on_premises else None,
            # Exponential ages: most users signed in lately, a tail has been inactive for months.
            "_signIn": _stamp(now - rng.expovariate(1 / 25) * 86400) if seen else None,
            "_nonInteractive": _stamp(now - rng.expovariate(1 / 5) * 86400) if seen else None,
        }
        if i > 0 and not guest and rng.random() < 0.95:  # managers come earlier: a tree, never a cycle
            tenant.managers[uid] = ids[rng.randrange(0, max(1, i // 8))]
    return ids


def _groups(tenant: Tenant, shape: TenantShape, rng: random.Random) -> list[str]:
    ids = []
    for i in range(shape.groups):
        pd = i < shape.pd_groups
        name = f"PD {DATASETS[i % len(DATASETS)]} {i:03d}" if pd else f"Team {i:05d}"
        gid = tenant.add_group(name, security=pd or rng.random() >= 0.1)
        ids.append(gid)
    return ids


def _sizes(total: int, weights: list[float], cap: int) -> list[int]:
    scale = total / sum(weights)
    sizes = [min(cap, int(w * scale)) for w in weights]
    deficit, i = total - sum(sizes), 0
    while deficit > 0:
        room = min(cap - sizes[i % len(sizes)], deficit)
        sizes[i % len(sizes)] += room
        deficit -= room
        i += 1
    return sizes


def generate_tenant(shape: TenantShape) -> tuple[Tenant, TenantNames]:
    rng = random.Random(shape.seed)  # noqa: S311 - synthetic data, reproducible by seed
    tenant = Tenant(seed=shape.seed, clock=lambda: shape.now)
    with tenant.lock:
        users = _users(tenant, shape, rng)
        groups = _groups(tenant, shape, rng)
        pd, rest = groups[: shape.pd_groups], groups[shape.pd_groups :]
        special = (pd[1:3] if len(pd) >= 3 else rest[:2]) + [None, None]
        dynamic, on_prem = special[0], special[1]
        if dynamic:
            rule = '(user.department -eq "Sales")'
            tenant.groups[dynamic].update(
                groupTypes=["DynamicMembership"], membershipRuleProcessingState="On", membershipRule=rule
            )
        if on_prem:
            tenant.groups[on_prem]["onPremisesSyncEnabled"] = True
        names = _nest_and_fill(tenant, shape, rng, users, pd, rest, dynamic, on_prem)
        tenant.log.clear()  # the generated state is the starting point, not a change
        tenant._sorted.clear()
    return tenant, names


def _nest_and_fill(
    tenant: Tenant,
    shape: TenantShape,
    rng: random.Random,
    users: list[str],
    pd: list[str],
    rest: list[str],
    dynamic: str | None,
    on_prem: str | None,
) -> TenantNames:
    pool = [g for g in rest if g not in (dynamic, on_prem)]
    heads = (
        [g for g in pd if g not in (dynamic, on_prem)][: max(1, len(pd) // 4)] if shape.nesting_depth else []
    )
    nested: list[str] = []
    loop: list[str] = []
    edges = 0
    for head in heads:
        chain = [head]
        for _ in range(shape.nesting_depth):
            if not pool:
                break
            chain.append(pool.pop())
        for parent, child in zip(chain, chain[1:], strict=False):
            tenant.members[parent].add(child)
            edges += 1
        nested += chain[1:]
        if shape.loop and not loop and len(chain) > 1:
            tenant.members[chain[-1]].add(head)  # the chain's last group contains its head again
            loop, edges = chain, edges + 1
    unknown = [tenant.add_unknown_object() for _ in range(shape.unknown_members)]
    for k, oid in enumerate(unknown):
        tenant.members[pd[k % len(pd)] if pd else rest[0]].add(oid)
    pd_apps, other_apps = _apps(tenant, shape, rng, users, pd)
    edges += len(unknown)
    if pd and other_apps:
        tenant.members[pd[0]].add(other_apps[0])  # a service principal as a member
        edges += 1
    member_groups = list(tenant.groups)
    weights = [6.0 if g in pd else min(rng.paretovariate(1.3), 40.0) for g in member_groups]
    total = shape.memberships - edges
    if total < 0 or total > len(users) * len(member_groups):
        raise ValueError("memberships does not fit this many users and groups")
    doubled = users + users
    for gid, size in zip(member_groups, _sizes(total, weights, len(users)), strict=True):
        step = rng.randrange(1, max(2, len(users) // max(size, 1) + 1))
        start = rng.randrange(len(users)) if users else 0
        tenant.members[gid].update(doubled[start : start + size * step : step])
    for gid in member_groups:
        tenant.owners[gid] = set(rng.sample(users, min(len(users), 2 if gid in pd else 1)))
    return TenantNames(
        groups={tenant.groups[g]["displayName"]: g for g in pd},
        apps=pd_apps,
        app_ids={name: tenant.service_principals[s]["appId"] for name, s in pd_apps.items()},
        dynamic_group=dynamic,
        on_premises_group=on_prem,
        nested_groups=nested,
        loop_groups=loop,
        unknown_objects=unknown,
    )


def _apps(
    tenant: Tenant, shape: TenantShape, rng: random.Random, users: list[str], pd: list[str]
) -> tuple[dict[str, str], list[str]]:
    pd_apps: dict[str, str] = {}
    others = []
    for i in range(shape.pd_apps + shape.other_apps):
        is_pd = i < shape.pd_apps
        roles = [(tenant.new_id(), v) for v in ("Reader", "Writer", "Admin")] if is_pd else None
        name = f"PD App {DATASETS[i % len(DATASETS)]} {i:02d}" if is_pd else f"Tool {i:02d}"
        spid = tenant.add_service_principal(name, app_roles=roles)
        if users:
            tenant.owners[spid] = {rng.choice(users)}
        if is_pd:
            pd_apps[name] = spid
        else:
            others.append(spid)
    for spid in pd_apps.values():
        role_ids = [r["id"] for r in tenant.service_principals[spid]["appRoles"]]
        count = min(shape.assignments_per_app, len(users))
        principals = rng.sample(users, count)
        groups = rng.sample(pd, min(len(pd), max(1, count // 20))) if pd else []
        for principal in principals[: count - len(groups)] + groups + others[:1]:
            tenant.assign_app_role(spid, principal, rng.choice(role_ids))
    return pd_apps, others
