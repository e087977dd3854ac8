"""A snapshot is whole by construction: a contradiction raises instead of reaching the database."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest

from reviews.entitlements import AccessLevel, Person, Snapshot, System
from reviews.errors import IncompleteSnapshot
from tests.data.snapshots import PAYROLL, aws_snapshot, grant, user
from tests.helpers import T0


def test_a_consistent_snapshot_is_accepted() -> None:
    snapshot = aws_snapshot(T0, ("ana", PAYROLL, AccessLevel.READ), ("ana", PAYROLL, AccessLevel.WRITE))
    assert len(snapshot.grants) == 2


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: replace(s, grants=(*s.grants, s.grants[0])), "duplicate grant"),
        (lambda s: replace(s, principals=(*s.principals, s.principals[0])), "duplicate principal"),
        (lambda s: replace(s, stores=s.stores[1:]), "grant to unknown store arn:aws:s3:::payroll"),
        (lambda s: replace(s, grants=(grant(PAYROLL, user("ghost")),)), "held by unknown principal"),
        (lambda s: replace(s, grants=(replace(s.grants[0], path=()),)), "has no path"),
        (lambda s: replace(s, people=()), "links to unknown person"),
        (lambda s: replace(s, taken_at=datetime(2026, 3, 1)), "timezone-aware"),  # noqa: DTZ001
    ],
    ids=[
        "dup-grant",
        "dup-principal",
        "unknown-store",
        "unknown-principal",
        "no-path",
        "unknown-person",
        "naive",
    ],
)
def test_a_contradictory_snapshot_raises(change, message: str) -> None:
    good = aws_snapshot(T0, ("ana", PAYROLL, AccessLevel.READ))
    with pytest.raises(IncompleteSnapshot, match=message):
        change(good)


def test_people_are_keyed_by_canonical_email() -> None:
    with pytest.raises(IncompleteSnapshot, match="canonical"):
        Person("Ana@Dept.example.gov")


def test_an_empty_snapshot_is_representable_but_says_so() -> None:
    # Emptiness is not a contradiction; whether it is believable is the population-sanity rule's call.
    empty = Snapshot(System.AWS, T0, stores=(), principals=(), grants=())
    assert empty.grants == ()
