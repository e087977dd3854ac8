"""The values that cross package lines: what a connector reads and what the domain stores.

Frozen, slotted dataclasses with no behaviour beyond validating themselves. Connectors build them from
SDK objects (which never leave the connector); `reviews.inventory.apply` turns them into rows.
A `Snapshot` checks on construction that it is internally whole, because a tool that removes access must
never act on half an answer.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from reviews.errors import IncompleteSnapshot


class System(StrEnum):
    AWS = "aws"
    ENTRA = "entra"
    AZURE = "azure"


class StoreKind(StrEnum):
    S3_BUCKET = "s3_bucket"
    DYNAMODB_TABLE = "dynamodb_table"
    RDS_DB = "rds_db"
    ENTRA_GROUP = "entra_group"
    ENTRA_APP = "entra_app"
    AZURE_STORAGE_ACCOUNT = "azure_storage_account"
    AZURE_SQL_SERVER = "azure_sql_server"
    AZURE_SQL_DATABASE = "azure_sql_database"
    AZURE_COSMOSDB_ACCOUNT = "azure_cosmosdb_account"
    AZURE_KEY_VAULT = "azure_key_vault"


class PrincipalType(StrEnum):
    """Identities that act. Groups and permission sets appear in paths, never as principals (DESIGN §4).

    Three kinds stand for who lies beyond what Recertify reads, as resource policies and ACLs name them:
    `public` is anyone, anonymous included (one principal per system, id `*`); `aws_account` is an account
    Recertify does not read (id `arn:aws:iam::<account>:root`), or one principal of such an account named by
    its own ARN (a partner's role); `aws_service` is an AWS service principal (id its name, e.g.
    `cloudtrail.amazonaws.com`); `entra_tenant` is every user of an Entra tenant of one kind, as an
    enterprise app that does not require assignment lets them all sign in (ids `tenant:members` and
    `tenant:guests`, the count in the name: "All 1,204 members of the tenant")."""

    IAM_USER = "iam_user"
    IAM_ROLE = "iam_role"
    IDENTITY_CENTER_USER = "identity_center_user"
    ENTRA_USER = "entra_user"
    ENTRA_SERVICE_PRINCIPAL = "entra_service_principal"
    PUBLIC = "public"
    AWS_ACCOUNT = "aws_account"
    AWS_SERVICE = "aws_service"
    ENTRA_TENANT = "entra_tenant"


HUMAN_TYPES = frozenset(
    {PrincipalType.IAM_USER, PrincipalType.IDENTITY_CENTER_USER, PrincipalType.ENTRA_USER}
)
# Access that reaches beyond the identities anyone reviews one by one: anyone, an account nobody here reviews,
# or every user of a tenant. Such a grant is an exposure: reviewed by the store's owner, changed only with an
# admin's approval (or, where the connector cannot name one change, left to a person with the fix).
EXPOSURE_TYPES = frozenset({PrincipalType.PUBLIC, PrincipalType.AWS_ACCOUNT, PrincipalType.ENTRA_TENANT})
PUBLIC_PRINCIPAL_ID = "*"


class AccessLevel(StrEnum):
    READ = "read"
    WRITE = "write"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class PathStep:
    """One hop of the path that grants access: a group, a policy, a role, a permission set, an app role…"""

    kind: str
    id: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.name}"


def stored_path_steps(path: list[dict[str, str]] | None) -> tuple[str, ...]:
    """A path as stored with a grant (a list of {kind, id, name}), each step in the words PathStep prints."""
    return tuple(f"{step.get('kind')}:{step.get('name')}" for step in path or [] if isinstance(step, dict))


def stored_path_text(path: list[dict[str, str]] | None) -> str:
    return " → ".join(stored_path_steps(path)) or "direct"


@dataclass(frozen=True, slots=True)
class LastUse:
    """When access was last used, and how we know. `at=None` means unknown, never "inactive".

    On a principal's `last_sign_in`, `covers_all_use` says the source records every way that principal can
    authenticate, so nothing it holds can have been used since: an upper bound on the use of each grant
    (`at=None` then means it never signed in). Only a connector that knows this sets it: Entra's
    `signInActivity` with non-interactive sign-ins, for a cloud-only user, does; IAM's password and
    access-key last used do not (session credentials outlive them; service-specific credentials and signing
    certificates are not tracked). That bound holds only up to when the source observed, `window_end` (for
    Entra, when sign-in activity was last read): a sign-in after it is not in `at`."""

    at: datetime | None
    source: str
    window_start: datetime | None = None
    window_end: datetime | None = None
    covers_all_use: bool = False


ENTRA_CLASSIFICATION = "personal"  # every Entra group and app reviewed is a personal-data store


@dataclass(frozen=True, slots=True)
class Store:
    system: System
    kind: StoreKind
    provider_id: str  # ARN for AWS, object id for Entra, ARM resource id for Azure
    name: str
    owners: tuple[str, ...] = ()  # owners' emails, as tagged or read from the directory
    classification: str = ""
    tags: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Person:
    """A human across systems, keyed by canonical (lower-case) email."""

    email: str
    display_name: str = ""
    entra_object_id: str | None = None
    slack_user_id: str | None = None
    manager_email: str | None = None

    def __post_init__(self) -> None:
        if self.email != self.email.strip().lower() or "@" not in self.email:
            raise IncompleteSnapshot(f"person email must be canonical (lower-case, trimmed): {self.email!r}")


@dataclass(frozen=True, slots=True)
class Principal:
    system: System
    type: PrincipalType
    provider_id: str  # IAM ARN, Identity Center user id or Entra object id (Entra's and Azure's)
    name: str
    email: str | None = None
    enabled: bool | None = None  # None: the source did not say
    # From outside the organisation: an Entra guest (B2B); an AWS account outside the AWS organisation (or
    # whose membership Recertify could not read: the worse case is assumed).
    guest: bool = False
    created_at: datetime | None = None
    last_sign_in: LastUse | None = None
    person_email: str | None = None  # link to a Person, when the connector could make it


@dataclass(frozen=True, slots=True)
class Grant:
    """Effective access of one principal to one store at one level, by its shortest path."""

    store_provider_id: str
    principal_provider_id: str
    access: AccessLevel
    path: tuple[PathStep, ...]
    conditional: bool = False
    needs_human_review: bool = False  # a policy we could not fully understand: never auto-revoked
    last_used: LastUse | None = None
    # Names for what people read (a planned change's description): set when Recertify asks a connector to
    # plan a revocation; a snapshot may leave them empty. Never part of the grant's identity.
    store_name: str = ""
    principal_name: str = ""

    @property
    def key(self) -> tuple[str, str, AccessLevel]:
        return (self.store_provider_id, self.principal_provider_id, self.access)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything one system says at one moment. Complete by construction, or it raises.

    A snapshot covers its whole system (every configured account or tenant): whatever it does not contain
    is gone. That is why a connector that cannot read one account must raise instead of returning less.
    """

    system: System
    taken_at: datetime
    stores: tuple[Store, ...]
    principals: tuple[Principal, ...]
    grants: tuple[Grant, ...]
    people: tuple[Person, ...] = field(default=())
    notes: tuple[str, ...] = field(default=())  # what was not read or matched, and why that is safe
    # How the source was read, counted into the sync run (Entra: full_sync 0/1, delta_resets 0/1).
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def unmatched(self) -> tuple[Principal, ...]:
        """Human principals (not roles or service principals) linked to no person: reported, never guessed."""
        return tuple(p for p in self.principals if p.type in HUMAN_TYPES and p.person_email is None)

    def __post_init__(self) -> None:
        if self.taken_at.tzinfo is None:
            raise IncompleteSnapshot(f"{self.system}: snapshot time must be timezone-aware")
        _refuse_duplicates(self.system, "store", [s.provider_id for s in self.stores])
        _refuse_duplicates(self.system, "principal", [p.provider_id for p in self.principals])
        _refuse_duplicates(self.system, "person", [p.email for p in self.people])
        _refuse_duplicates(self.system, "grant", [g.key for g in self.grants])
        store_provider_ids = {s.provider_id for s in self.stores}
        principal_provider_ids = {p.provider_id for p in self.principals}
        for grant in self.grants:
            if grant.store_provider_id not in store_provider_ids:
                raise IncompleteSnapshot(f"{self.system}: grant to unknown store {grant.store_provider_id}")
            if grant.principal_provider_id not in principal_provider_ids:
                raise IncompleteSnapshot(
                    f"{self.system}: grant held by unknown principal {grant.principal_provider_id}"
                )
            if not grant.path:
                raise IncompleteSnapshot(f"{self.system}: grant {grant.key} has no path")
        people = {p.email for p in self.people}
        for principal in self.principals:
            if principal.person_email is not None and principal.person_email not in people:
                raise IncompleteSnapshot(
                    f"{self.system}: principal {principal.provider_id} links to unknown person"
                )


def _refuse_duplicates(source: str, what: str, keys: list[object]) -> None:
    repeated = [key for key, count in Counter(keys).items() if count > 1]
    if repeated:
        raise IncompleteSnapshot(f"{source}: duplicate {what} {repeated[0]!r} in one snapshot")


@dataclass(frozen=True, slots=True)
class RevocationAction:
    """A typed change at a provider, and (for undo) the change that reverses it.

    `kind` names the provider operation (e.g. "detach_user_policy", "remove_group_member"); `params` are
    its arguments. Connectors own the meaning of each kind; the domain only plans, records and orders them.
    """

    system: System
    kind: str
    params: tuple[tuple[str, str], ...]
    description: str

    def param(self, name: str) -> str:
        for key, value in self.params:
            if key == name:
                return value
        raise KeyError(name)


@dataclass(frozen=True, slots=True)
class PlannedChange:
    """The provider change that ends one grant, and the change that undoes it (None: nothing to restore).

    `approval`: why an admin must approve this change before it runs, whatever the cycle's policy says (a
    shared resource policy, a public-access setting): such a change is planned held, never automatic."""

    action: RevocationAction
    inverse: RevocationAction | None
    approval: str | None = None


def action_to_json(action: RevocationAction) -> dict[str, object]:
    """How an action is kept in the outbox (revocation.action / .inverse)."""
    return {
        "system": action.system.value,
        "kind": action.kind,
        "params": [list(pair) for pair in action.params],
        "description": action.description,
    }


def action_from_json(data: dict[str, object]) -> RevocationAction:
    """The stored action back, or IncompleteSnapshot-style refusal when the row was damaged."""
    try:
        params = data["params"]
        if not isinstance(params, list) or not all(isinstance(p, list) and len(p) == 2 for p in params):
            raise ValueError("params must be [name, value] pairs")
        return RevocationAction(
            system=System(str(data["system"])),
            kind=str(data["kind"]),
            params=tuple((str(k), str(v)) for k, v in params),
            description=str(data["description"]),
        )
    except (KeyError, ValueError) as exc:
        raise IncompleteSnapshot(f"a stored revocation action is damaged: {exc}") from None


class RevocationResult(StrEnum):
    APPLIED = "applied"
    ALREADY_ABSENT = "already_absent"
    DRY_RUN = "dry_run"
