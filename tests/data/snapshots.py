"""Builders for small, readable snapshots (what a connector would return)."""

from __future__ import annotations

from datetime import datetime

from reviews.entitlements import (
    AccessLevel,
    Grant,
    LastUse,
    PathStep,
    Person,
    Principal,
    PrincipalType,
    Snapshot,
    Store,
    StoreKind,
    System,
)

PAYROLL = Store(
    System.AWS,
    StoreKind.S3_BUCKET,
    "arn:aws:s3:::payroll",
    "payroll",
    owners=("olu@dept.example.gov",),
    classification="personal",
    tags=(("data-classification", "personal"),),
)
CASES = Store(
    System.AWS,
    StoreKind.DYNAMODB_TABLE,
    "arn:aws:dynamodb:eu-west-2:111122223333:table/cases",
    "cases",
    owners=("olu@dept.example.gov",),
    classification="special-category",
)


def user(name: str) -> Principal:
    return Principal(
        System.AWS,
        PrincipalType.IAM_USER,
        f"arn:aws:iam::111122223333:user/{name}",
        name,
        email=f"{name}@dept.example.gov",
        enabled=True,
        person_email=f"{name}@dept.example.gov",
    )


def person(name: str) -> Person:
    return Person(f"{name}@dept.example.gov", display_name=name.title())


def grant(
    store: Store,
    principal: Principal,
    access: AccessLevel = AccessLevel.READ,
    via: str = "PayrollRead",
    last_used: datetime | None = None,
) -> Grant:
    return Grant(
        store.provider_id,
        principal.provider_id,
        access,
        path=(PathStep("group", f"g-{via}", f"{via}Group"), PathStep("policy", f"p-{via}", via)),
        last_used=LastUse(last_used, "iam:service-last-accessed") if last_used else None,
    )


def aws_snapshot(at: datetime, *grants_by_user: tuple[str, Store, AccessLevel]) -> Snapshot:
    names = sorted({name for name, _, _ in grants_by_user} | {"ana"})
    principals = {name: user(name) for name in names}
    return Snapshot(
        system=System.AWS,
        taken_at=at,
        stores=(PAYROLL, CASES),
        principals=tuple(principals.values()),
        people=tuple(person(name) for name in names),
        grants=tuple(grant(store, principals[name], access) for name, store, access in grants_by_user),
    )


# Exposures: principals nobody is (anyone, accounts Recertify does not read, a service), as the AWS connector
# names them, holding grants through a bucket policy statement (reviews.exposure).
BENEFIT_CLAIMS = Store(
    System.AWS,
    StoreKind.S3_BUCKET,
    "arn:aws:s3:::benefit-claims",
    "benefit-claims",
    owners=("olu@dept.example.gov",),
    classification="personal",
)
ANYONE = Principal(System.AWS, PrincipalType.PUBLIC, "*", "anyone on the internet")
PARTNER = Principal(
    System.AWS,
    PrincipalType.AWS_ACCOUNT,
    "arn:aws:iam::999988887777:root",
    "Partner Ltd (999988887777)",
    guest=True,
)
PAYMENTS = Principal(
    System.AWS, PrincipalType.AWS_ACCOUNT, "arn:aws:iam::444455556666:root", "Payments (444455556666)"
)
CLOUDTRAIL = Principal(
    System.AWS, PrincipalType.AWS_SERVICE, "cloudtrail.amazonaws.com", "cloudtrail.amazonaws.com"
)


def statement_grant(
    store: Store, principal: Principal, access: AccessLevel, sid: str, condition: str = ""
) -> Grant:
    """A grant by one statement of the store's bucket policy; a condition makes it conditional."""
    name = f"bucket policy statement {sid}" + (f" (if {condition})" if condition else "")
    step = PathStep("resource_policy", f"{store.provider_id}#statement/1/{sid}", name)
    return Grant(store.provider_id, principal.provider_id, access, path=(step,), conditional=bool(condition))


def exposure_snapshot(
    at: datetime, *, public: bool = True, tags: tuple[tuple[str, str], ...] = ()
) -> Snapshot:
    """ana reads payroll; anyone reads benefit-claims (and cases, only from one VPC endpoint); Partner Ltd,
    outside the organisation, writes payroll; Payments, an account of the organisation not read, reads
    benefit-claims; CloudTrail writes payroll. `public=False`: the public statements are gone. `tags`: on
    benefit-claims."""
    claims = Store(
        System.AWS,
        StoreKind.S3_BUCKET,
        BENEFIT_CLAIMS.provider_id,
        BENEFIT_CLAIMS.name,
        owners=BENEFIT_CLAIMS.owners,
        classification=BENEFIT_CLAIMS.classification,
        tags=tags,
    )
    ana = user("ana")
    grants = [
        grant(PAYROLL, ana),
        statement_grant(PAYROLL, PARTNER, AccessLevel.WRITE, "PartnerUpload"),
        statement_grant(claims, PAYMENTS, AccessLevel.READ, "PaymentsRead"),
        statement_grant(PAYROLL, CLOUDTRAIL, AccessLevel.WRITE, "CloudTrailLogs"),
    ]
    if public:
        grants += [
            statement_grant(claims, ANYONE, AccessLevel.READ, "PublicRead"),
            statement_grant(CASES, ANYONE, AccessLevel.READ, "VpcRead", "aws:SourceVpce = vpce-1a2b"),
        ]
    return Snapshot(
        system=System.AWS,
        taken_at=at,
        stores=(PAYROLL, CASES, claims),
        principals=(ana, ANYONE, PARTNER, PAYMENTS, CLOUDTRAIL),
        people=(person("ana"),),
        grants=tuple(grants),
    )
