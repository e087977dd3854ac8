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
