"""The department's nine personal-data stores, who holds access to each and how, and when they last used it.

Three stores live in AWS (two S3 buckets, one DynamoDB table, tagged `data-classification` and `data-owner`
as Recertify reads them), three in Entra ID (two security groups and an enterprise application), three in
Azure (a storage account, a Key Vault in RBAC mode, a SQL server with an Entra admin; tagged like AWS's).
Access runs through the paths real departments have: IAM groups with managed policies, a policy attached
straight to a break-glass user, a role a Lambda function assumes, nested groups, direct app role
assignments, Azure role assignments to people and to an Entra group, and Contributor on the subscription.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from simulators.department.people import person

ACCOUNT = "123456789012"  # moto's default account
SUBSCRIPTION = "5b1d0c2e-7a4f-4c1e-9d3a-0d1e2a3b4c5d"  # the department's Azure subscription
PLATFORM_ADMIN = "ivan.petrov"  # Contributor on the whole subscription: full access through the keys
REGION = "eu-west-2"
BREAK_GLASS = "break-glass-admin"  # an IAM user without a person: the account for when SSO is down
EXPORT_ROLE = "payroll-export-job"  # the role the nightly payroll export (a Lambda function) assumes
# An outside claims-audit bureau that reads benefit-claims through the table's own resource policy: an
# account Recertify does not read, so its access is an exposure the owner reviews.
PARTNER_ACCOUNT = "999988887777"
PARTNER_TABLE = "benefit-claims"


@dataclass(frozen=True, slots=True)
class Holding:
    """One identity's access to a store. `holder` is a person's key, or an IAM name for identities that are
    not people (BREAK_GLASS, EXPORT_ROLE). `last_used_days`: days before the demo starts that IAM last saw
    the store's service used by this identity (AWS only); None: never, or not measured (Entra)."""

    holder: str
    # AWS: group:<name> | user-policy:<name> | role; Entra: member | nested:<group> | app-role; Azure:
    # role:<role> (assigned at the store) | group:<Entra group>:<role> (the group, at the store) |
    # subscription:<role> (assigned at the subscription) | sql-admin (the SQL server's Entra admin)
    via: str
    last_used_days: int | None = None


@dataclass(frozen=True, slots=True)
class StoreSpec:
    name: str
    system: Literal["aws", "entra", "azure"]
    kind: Literal["s3", "dynamodb", "group", "app", "storage", "keyvault", "sql"]
    owner: str  # a person's key
    classification: Literal["personal", "special-category"]
    holdings: tuple[Holding, ...]
    access: tuple[str, ...] = ("read",)  # what members hold (AWS: what the group's policy allows)
    description: str = ""
    extra: dict[str, str] = field(default_factory=dict)  # kind-specific: the app role's name


def _members(via: str, *keys_and_days: tuple[str, int | None]) -> tuple[Holding, ...]:
    return tuple(Holding(key, via, days) for key, days in keys_and_days)


STORES: tuple[StoreSpec, ...] = (
    StoreSpec(
        "payroll-exports",
        "aws",
        "s3",
        "priya.patel",
        "personal",
        (
            *_members(
                "group:payroll-readers",
                ("amara.diaz", 1),
                ("bo.chen", 3),
                ("carla.evans", 6),
                ("dev.khan", 12),
                ("olaf.novak", 212),  # moved to Digital seven months ago
            ),
            Holding(EXPORT_ROLE, "role", 1),
        ),
        description="Monthly payroll exports for HMRC: names, salaries, bank details",
    ),
    StoreSpec(
        "benefit-claims",
        "aws",
        "dynamodb",
        "marcus.okafor",
        "personal",
        _members(
            "group:claims-processing",
            ("elif.garcia", 1),
            ("femi.haddad", 2),
            ("ines.lopez", 4),
            ("jon.silva", 9),
            ("kemal.tanaka", 30),
        ),
        access=("read", "write"),
        description="Benefit claims: claimants, circumstances, payments",
    ),
    StoreSpec(
        "health-records",
        "aws",
        "s3",
        "hana.ito",
        "special-category",
        (
            *_members(
                "group:occupational-health",
                ("lena.young", 2),
                ("quinn.baker", 5),
                ("nia.varga", 61),  # moved to the policy team
            ),
            Holding(BREAK_GLASS, "user-policy:BreakGlassHealthRecords", 380),
        ),
        description="Occupational health referrals and fit notes (special-category data)",
    ),
    StoreSpec(
        "Casework-Readers",
        "entra",
        "group",
        "sam.rossi",
        "personal",
        (
            *_members(
                "member",
                ("sami.quist", None),
                ("tara.ueda", None),
                ("uma.varga", None),
                ("vik.xu", None),
                ("wen.zhou", None),
                ("jo.bloggs", None),  # the partner firm's auditor, a guest
            ),
            *_members("nested:Casework-Contractors", ("xiu.zhang", None), ("yara.adams", None)),
        ),
        description="Read access to the casework system's case files",
    ),
    StoreSpec(
        "HR-Case-Files",
        "entra",
        "group",
        "grace.mensah",
        "personal",
        _members(
            "member",
            ("zed.okafor", None),
            ("alan.baker", None),
            ("ines.haddad", None),
            ("dana.whitfield", None),
            ("ken.marsh", None),  # left in the spring: disabled, still a member
        ),
        description="Employee relations and grievance case files",
    ),
    StoreSpec(
        "Pensions Portal",
        "entra",
        "app",
        "tom.weber",
        "personal",
        _members(
            "app-role",
            ("mo.silva", None),
            ("rosa.chen", None),
            ("hugo.diaz", None),
            ("grace.evans", None),
            ("ada.fischer", None),
            ("leo.fischer", None),  # a contractor whose contract ended in January
        ),
        description="The pensions administration application (enterprise app, role Pensions.Caseworker)",
        extra={"app_role": "Pensions.Caseworker", "app_role_id": "6a1d6c0e-3f55-4f0b-9d55-2a4e7e0c1a10"},
    ),
    StoreSpec(
        "caseworkfiles",
        "azure",
        "storage",
        "sam.rossi",
        "personal",
        (
            # The nested group of Casework-Readers (its own contractors), assigned a role at the account.
            *_members(
                "group:Casework-Contractors:Storage Blob Data Reader",
                ("xiu.zhang", None),
                ("yara.adams", None),
            ),
            Holding("wen.zhou", "role:Storage Blob Data Contributor"),
            Holding(PLATFORM_ADMIN, "subscription:Contributor"),
        ),
        description="Scanned case files and correspondence (an Azure storage account, shared keys allowed)",
        extra={"resource_group": "rg-casework"},
    ),
    StoreSpec(
        "kv-pensions",
        "azure",
        "keyvault",
        "tom.weber",
        "personal",
        (
            Holding("mo.silva", "role:Key Vault Secrets User"),
            Holding("leo.fischer", "role:Key Vault Secrets User"),  # the contractor again
        ),
        description="Pension scheme members' bank details as secrets (a Key Vault in RBAC mode)",
        extra={"resource_group": "rg-pensions"},
    ),
    StoreSpec(
        "sql-pensions",
        "azure",
        "sql",
        "tom.weber",
        "personal",
        (Holding("kemal.novak", "sql-admin"),),  # the developer who migrated the pensions database
        description="The pensions database server (Azure SQL, with a Microsoft Entra admin)",
        extra={"resource_group": "rg-pensions"},
    ),
)

BY_NAME: dict[str, StoreSpec] = {store.name: store for store in STORES}


def store(name: str) -> StoreSpec:
    return BY_NAME[name]


def principal_name(spec: StoreSpec, holder: str) -> str:
    """The name Recertify shows for this holder of this store: the IAM user or role name in AWS, the
    display name in Entra (and in Azure, whose principals are Entra's)."""
    if spec.system == "aws":
        return holder
    return person(holder).name


def holding(spec: StoreSpec, holder: str) -> Holding:
    (found,) = [h for h in spec.holdings if h.holder == holder]
    return found
