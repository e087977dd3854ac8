"""Our inventory, as the single requests the oracle (iam-simulate) answers.

A caller is who signs a request: an IAM user, a session of a role, an anonymous caller, or a principal of an
account Recertify does not read. `simulation` turns (caller, store, action, resource) into iam-simulate's
`Simulation`, with exactly the documents AWS would evaluate:

- identity policies: the principal's own (attached and inline) and, for a user, its groups';
- its permissions boundary; the SCPs of its account, root first (none for anonymous or outside callers:
  "SCPs ... don't affect users or roles from accounts outside the organization", organizations
  orgs_manage_policies_scps.html);
- the store's resource policy and the RCPs of the store's account ("If a resource is specified in the
  'Resource type' column, then the RCPs of the resource owner's account are applied",
  orgs_manage_policies_rcps.html).
  iam-simulate adds RCPFullAWSAccess to every level itself and refuses any other Allow in an RCP, so our
  copy of it (every level has it: "You cannot detach this policy") is not sent twice.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from connectors.aws.inventory import AccountInventory, AwsInventory, PolicyDocument, StoreResource

ANONYMOUS = "anonymous"  # tests/oracle/runner.mjs turns it into iam-simulate's anonymousPrincipal
ALLOW_EVERYTHING = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}
RCP_FULL_ACCESS = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}],
}


@dataclass(frozen=True, slots=True)
class Caller:
    principal: str  # the ARN that signs the request (a session ARN for a role), or ANONYMOUS
    account_id: str | None  # None: anonymous
    identity: tuple[PolicyDocument, ...] = ()
    boundary: PolicyDocument | None = None
    scp_levels: tuple[tuple[PolicyDocument, ...], ...] = ()
    chain: tuple[str, ...] = ()  # what names it in NotPrincipal: its account root, its role, itself


def _account(inventory: AwsInventory, account_id: str) -> AccountInventory:
    for account in inventory.accounts:
        if account.account_id == account_id:
            return account
    raise KeyError(f"account {account_id} is not in the inventory")


def _documents(account: AccountInventory, attached: tuple[str, ...]) -> list[PolicyDocument]:
    policies = {p.arn: p.document for p in account.policies}
    return [policies[arn] for arn in attached]


def user_caller(inventory: AwsInventory, arn: str) -> Caller:
    account = _account(inventory, arn.split(":")[4])
    user = next(u for u in account.users if u.arn == arn)
    groups = {g.name: g for g in account.groups}
    identity = _documents(account, user.attached) + [p.document for p in user.inline]
    for name in user.groups:
        identity += _documents(account, groups[name].attached) + [p.document for p in groups[name].inline]
    boundary = _documents(account, (user.boundary,))[0] if user.boundary else None
    root = f"arn:aws:iam::{account.account_id}:root"
    return Caller(arn, account.account_id, tuple(identity), boundary, account.scp_levels, (root, arn))


def role_callers(inventory: AwsInventory, arn: str, sessions: tuple[str, ...]) -> tuple[Caller, ...]:
    """One caller per session name: a role acts only through sessions, `arn:aws:sts::ACCOUNT:assumed-role/
    ROLE/SESSION` (the role's path is not part of it)."""
    account = _account(inventory, arn.split(":")[4])
    role = next(r for r in account.roles if r.arn == arn)
    identity = tuple(_documents(account, role.attached) + [p.document for p in role.inline])
    boundary = _documents(account, (role.boundary,))[0] if role.boundary else None
    root = f"arn:aws:iam::{account.account_id}:root"
    return tuple(
        Caller(
            session_arn(arn, session),
            account.account_id,
            identity,
            boundary,
            account.scp_levels,
            (root, arn, session_arn(arn, session)),
        )
        for session in sessions
    )


def session_arn(role_arn: str, session: str) -> str:
    account, name = role_arn.split(":")[4], role_arn.rsplit("/", 1)[1]
    return f"arn:aws:sts::{account}:assumed-role/{name}/{session}"


def outsider(account_id: str) -> Caller:
    """Some principal of an account Recertify does not read, whose own policies allow everything: the most
    that account can do with what the store's policies give it."""
    arn = f"arn:aws:iam::{account_id}:user/outsider"
    return Caller(arn, account_id, (ALLOW_EVERYTHING,), chain=(f"arn:aws:iam::{account_id}:root", arn))


def partner_session(role_arn: str) -> Caller:
    """A session of another organisation's role, whose own policies allow everything."""
    account = role_arn.split(":")[4]
    arn = session_arn(role_arn, "partner-session")
    return Caller(arn, account, (ALLOW_EVERYTHING,), chain=(f"arn:aws:iam::{account}:root", role_arn, arn))


def anonymous() -> Caller:
    return Caller(ANONYMOUS, None)


def simulation(
    inventory: AwsInventory, caller: Caller, store: StoreResource, action: str, resource: str
) -> dict[str, Any]:
    owner = _account(inventory, store.account_id)
    resource_policy = store.resource_policy
    if isinstance(resource_policy, str):
        raise ValueError(f"{store.arn}: the oracle needs a parsed resource policy, not {resource_policy!r}")
    if resource_policy is not None:
        resource_policy = documented_not_principal(resource_policy, caller)
    sim: dict[str, Any] = {
        "request": {
            "principal": caller.principal,
            "action": action,
            "resource": {"resource": resource, "accountId": store.account_id},
            "contextVariables": {},
        },
        "identityPolicies": [{"name": f"identity-{i}", "policy": d} for i, d in enumerate(caller.identity)],
        "serviceControlPolicies": _levels("scp", caller.scp_levels),
        "resourceControlPolicies": _levels("rcp", _without_full_access(owner.rcp_levels)),
    }
    if caller.boundary is not None:
        sim["permissionBoundaryPolicies"] = [{"name": "boundary", "policy": caller.boundary}]
    if resource_policy is not None:
        sim["resourcePolicy"] = resource_policy
    blocks = [b for b in (owner.public_access_block, store.public_access_block) if b is not None]
    if store.kind == "s3_bucket" and any(b.restrict_public_buckets for b in blocks):
        sim["additionalSettings"] = {"s3": {"blockPublicAccess": True}}
    return sim


def _levels(kind: str, levels: tuple[tuple[PolicyDocument, ...], ...]) -> list[dict[str, Any]]:
    return [
        {
            "orgIdentifier": f"{kind}-level-{i}",
            "policies": [{"name": f"{kind}-{i}-{j}", "policy": d} for j, d in enumerate(level)],
        }
        for i, level in enumerate(levels)
    ]


def _without_full_access(
    levels: tuple[tuple[PolicyDocument, ...], ...],
) -> tuple[tuple[PolicyDocument, ...], ...]:
    kept = []
    for i, level in enumerate(levels):
        if RCP_FULL_ACCESS not in level:
            raise ValueError(f"RCP level {i} lacks RCPFullAWSAccess, which AWS attaches everywhere for good")
        kept.append(tuple(d for d in level if d != RCP_FULL_ACCESS))
    return tuple(kept)


def documented_not_principal(policy: dict[str, Any], caller: Caller) -> dict[str, Any]:
    """Where iam-simulate departs from AWS's documentation, the documentation decides: a Deny whose
    NotPrincipal names the caller's account but not the caller itself (a user; for a session, its role)
    denies the caller. "When you use NotPrincipal, you must also specify the account ARN of the not-denied
    principal. ... If an assumed-role user (someone who is using a role) is being evaluated, AWS might
    validate the account first, then the role, and then the assumed-role user."
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html).
    iam-simulate exempts whoever matches any one entry, the account alone included. For such a caller the
    entries naming its chain are dropped, so that iam-simulate applies the Deny; the generators never name a
    principal without its account (the documentation's "might" leaves that case open)."""
    statements = policy["Statement"]
    if isinstance(statements, dict):
        statements = [statements]
    changed = []
    for statement in statements:
        names = _aws_names(statement.get("NotPrincipal"))
        exempt = bool(caller.chain) and caller.chain[0] in names and caller.chain[1] in names
        if statement.get("Effect") == "Deny" and names and not exempt and names & set(caller.chain):
            kept = sorted(names - set(caller.chain)) or ["arn:aws:iam::000000000000:root"]
            statement = {**statement, "NotPrincipal": {"AWS": kept}}
        changed.append(statement)
    return {**policy, "Statement": changed}


def _aws_names(element: Any) -> set[str]:
    """AWS principal names of a Principal/NotPrincipal element, account ids as account root ARNs."""
    if not isinstance(element, dict):
        return set()
    values = element.get("AWS", [])
    values = [values] if isinstance(values, str) else values
    return {f"arn:aws:iam::{v}:root" if v.isdigit() else v for v in values}


def with_rcps(account: AccountInventory, *levels: tuple[PolicyDocument, ...]) -> AccountInventory:
    """The account with RCP levels as AWS holds them: RCPFullAWSAccess at every level, then ours."""
    return replace(account, rcp_levels=tuple((RCP_FULL_ACCESS, *level) for level in levels))
