"""What a policy's Principal element names, and whether it names a given requester. Pure.

IAM's rules (IAM User Guide, "AWS JSON policy elements: Principal"):
- `"*"` and `{"AWS": "*"}` are everyone, anonymous requests included;
- an account id or `arn:aws:iam::<account>:root` is the account: it delegates to the account's own policies
  (its principals need their identity policies to allow, too), and a Deny naming it applies to all of them;
- a user or role ARN names that identity; `arn:aws:sts::<account>:assumed-role/<role>/<session>` one session
  of a role (the role's path is not part of it); a role ARN also names every session of that role;
- a service principal (`{"Service": "cloudtrail.amazonaws.com"}`) names that service;
- wildcards are not allowed anywhere else in a principal, so an ARN with one names nobody we can identify.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum

_ACCOUNT_ID = re.compile(r"^\d{12}$")


class Named(Enum):
    """How a statement's principal names a requester (strongest first)."""

    EXACTLY = "exactly"  # its own ARN (a user; a role session by its session ARN) or "*"
    AS_ROLE = "as_role"  # a session, named through its role's ARN: limited by the role's boundary
    AS_ACCOUNT = "as_account"  # its account: delegation to the account's own policies


@dataclass(frozen=True, slots=True)
class Ref:
    """One principal a policy names. `kind`: everyone | account | user | role | session | federated_user |
    service | canonical | federated | unique_id | unknown; and, from S3 ACLs, authenticated (any AWS account)
    and anyone_unread (whoever an unread object ACL may name: reported for the public only)."""

    kind: str
    value: str  # as written
    account_id: str = ""
    role_name: str = ""  # role and session refs
    session_name: str = ""  # session refs


@dataclass(frozen=True, slots=True)
class Requester:
    """Who makes a request, as principal matching needs to know it."""

    kind: str  # user | role | public (anyone, anonymous included) | anonymous | account | service
    arn: str  # user or role ARN; account root; service name; "*" for anonymous
    account_id: str = ""
    unique_id: str = ""  # AIDA… / AROA…
    role_name: str = ""
    canonical_ids: frozenset[str] = frozenset()
    name: str = ""  # a user's name (aws:username)
    tags: tuple[tuple[str, str], ...] = ()  # its IAM tags (aws:PrincipalTag/…)

    # How a policy may name it in person: its ARN, its unique id, and for a role "{account}/{name}" (the key
    # of its sessions' ARNs). Derived once: asked for every store a requester may reach.
    personal: frozenset[str] = field(default=frozenset(), compare=False)

    def __post_init__(self) -> None:
        keys = {self.arn, self.unique_id} - {""}
        if self.kind == "role":
            keys.add(f"{self.account_id}/{self.role_name}")
        object.__setattr__(self, "personal", frozenset(keys))


def parse(kind: str, value: str) -> Ref:
    if value == "*" and kind in ("*", "AWS"):
        return Ref("everyone", value)
    if kind == "Service":
        return Ref("service", value)
    if kind == "CanonicalUser":
        return Ref("canonical", value)
    if kind == "Federated":
        return Ref("federated", value)
    if kind != "AWS":
        return Ref("unknown", value)
    if _ACCOUNT_ID.match(value):
        return Ref("account", value, value)
    if re.match(r"^A[A-Z]{3}[A-Z0-9]{12,}$", value):  # AIDA…/AROA…: a deleted principal's unique id
        return Ref("unique_id", value)
    parts = value.split(":", 5)
    if (
        len(parts) != 6
        or parts[0] != "arn"
        or "*" in value
        or "?" in value
        or not _ACCOUNT_ID.match(parts[4])
    ):
        return Ref("unknown", value)
    service, account, resource = parts[2], parts[4], parts[5]
    if service == "iam" and resource == "root":
        return Ref("account", value, account)
    if service == "iam" and resource.startswith("user/"):
        return Ref("user", value, account)
    if service == "iam" and resource.startswith("role/"):
        return Ref("role", value, account, role_name=resource.rsplit("/", 1)[-1])
    if service == "sts" and resource.startswith("assumed-role/") and resource.count("/") == 2:
        _, role, session = resource.split("/")
        return Ref("session", value, account, role_name=role, session_name=session)
    if service == "sts" and resource.startswith("federated-user/"):
        return Ref("federated_user", value, account)
    return Ref("unknown", value)


@dataclass(frozen=True, slots=True)
class Naming:
    """How one statement names one requester: the strongest way, and the session names it is limited to
    (a statement naming only some sessions of a role holds for those sessions alone)."""

    how: Named | None
    sessions: frozenset[str] = frozenset()


NOT_NAMED = Naming(None)
EXEMPT, MAYBE_EXEMPT, NOT_EXEMPT = "exempt", "maybe", "not exempt"
_ARN_KINDS = frozenset({"user", "role", "federated_user", "session"})


class RefSet:
    """One statement's principals, indexed for matching many requesters quickly."""

    __slots__ = (
        "refs",
        "everyone",
        "authenticated",
        "anyone_unread",
        "arns",
        "accounts",
        "services",
        "canonical",
        "ids",
        "sessions",
    )

    def __init__(self, refs: frozenset[Ref]) -> None:
        self.refs = refs
        self.everyone = any(r.kind == "everyone" for r in refs)
        self.authenticated = any(r.kind == "authenticated" for r in refs)
        self.anyone_unread = any(r.kind == "anyone_unread" for r in refs)  # only anyone we know nothing of
        self.arns = frozenset(r.value for r in refs if r.kind in _ARN_KINDS)
        self.accounts = frozenset(r.account_id for r in refs if r.kind == "account")
        self.services = frozenset(r.value for r in refs if r.kind == "service")
        self.canonical = frozenset(r.value for r in refs if r.kind == "canonical")
        self.ids = frozenset(r.value for r in refs if r.kind == "unique_id")
        sessions: dict[tuple[str, str], set[str]] = {}
        for r in refs:
            if r.kind == "session":
                sessions.setdefault((r.account_id, r.role_name), set()).add(r.session_name)
        self.sessions = {key: frozenset(names) for key, names in sessions.items()}

    def naming(self, who: Requester) -> Naming:
        """How these principals name `who` (Principal element)."""
        kind = who.kind
        if self.everyone:
            return _EXACTLY
        if kind == "public":  # someone we know nothing of: what names anyone with an AWS account names it
            return _EXACTLY if self.authenticated or self.anyone_unread else NOT_NAMED
        if kind == "anonymous":
            return _EXACTLY if self.anyone_unread else NOT_NAMED
        if self.authenticated:  # S3's AuthenticatedUsers group: any AWS account, never anonymous
            return _EXACTLY
        if kind == "service":
            return _EXACTLY if who.arn in self.services else NOT_NAMED
        if who.arn in self.arns or (who.unique_id and who.unique_id in self.ids):
            return _AS_ROLE if kind == "role" else _EXACTLY
        if kind == "role":
            limited = self.sessions.get((who.account_id, who.role_name))
            if limited:
                return Naming(Named.EXACTLY, limited)
        if who.account_id in self.accounts or (self.canonical and who.canonical_ids & self.canonical):
            return _AS_ACCOUNT
        return NOT_NAMED

    def exemption(self, who: Requester, session: str = "") -> str:
        """Whether a NotPrincipal list exempts `who` (IAM User Guide, NotPrincipal): only the principals named
        are; naming the account exempts none of its users and roles, and naming a user or role without its
        account "might deny access to the entire account containing the principal" (MAYBE_EXEMPT)."""
        if self.everyone:
            return EXEMPT
        if who.kind in ("public", "anonymous"):
            return NOT_EXEMPT
        if who.kind == "service":
            return EXEMPT if who.arn in self.services else NOT_EXEMPT
        if who.kind == "account":  # an unread account, or one of its principals, named as itself
            return EXEMPT if who.arn in self.arns or who.account_id in self.accounts else NOT_EXEMPT
        own = who.arn in self.arns or (bool(who.unique_id) and who.unique_id in self.ids)
        if not own and who.kind == "role":
            own = session in self.sessions.get((who.account_id, who.role_name), frozenset())
            if not own and (who.account_id, who.role_name) in self.sessions:
                return MAYBE_EXEMPT  # some sessions of the role are exempt; which one is used is not known
        if not own:
            return NOT_EXEMPT
        return EXEMPT if who.account_id in self.accounts else MAYBE_EXEMPT


_EXACTLY, _AS_ROLE, _AS_ACCOUNT = Naming(Named.EXACTLY), Naming(Named.AS_ROLE), Naming(Named.AS_ACCOUNT)


def naming(refs: frozenset[Ref], who: Requester) -> Naming:
    """How the principals `refs` name `who` (see RefSet.naming; for one-off questions)."""
    return RefSet(refs).naming(who)
