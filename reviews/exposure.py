"""Exposure: access held by anyone, or by an account nobody here reviews (`EXPOSURE_TYPES`), said in words a
non-specialist understands. Pure.

    public          anyone (anonymous included) can use the access
    external        an account outside the organisation (or whose membership could not be read)
    other-account   an account of the organisation that Recertify does not read
    tenant          every user of an Entra tenant (members, or guests), as an app that does not require
                    assignment lets them all sign in

Such principals are nobody's identity: no person, no manager, no sign-in, and nobody reviews "their own"
access through them (`PERSONLESS_TYPES`, which adds service principals). A store owner who means a store to
be exposed says so with the tag `EXPOSURE_TAG` = `EXPOSURE_INTENDED`; the review then recommends keeping the
exposure, and says why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from reviews.entitlements import AccessLevel, PrincipalType

EXPOSURE_TAG = "recertify:exposure"
EXPOSURE_INTENDED = "intended"

# Principals that stand for someone beyond the organisation's identities: nobody *is* them.
PERSONLESS_TYPES = frozenset(
    {PrincipalType.PUBLIC, PrincipalType.AWS_ACCOUNT, PrincipalType.AWS_SERVICE, PrincipalType.ENTRA_TENANT}
)


class Exposure(StrEnum):
    PUBLIC = "public"
    EXTERNAL = "external"
    OTHER_ACCOUNT = "other-account"
    TENANT = "tenant"


# Public first: the order a data-protection officer reads them in.
EXPOSURE_ORDER = {Exposure.PUBLIC: 0, Exposure.EXTERNAL: 1, Exposure.TENANT: 2, Exposure.OTHER_ACCOUNT: 3}

_VERB: dict[str, str] = {
    AccessLevel.READ: "read",
    AccessLevel.WRITE: "write to",
    AccessLevel.ADMIN: "administer",
}
_WHERE = {
    Exposure.PUBLIC: "",
    Exposure.EXTERNAL: ", outside the organisation,",
    Exposure.OTHER_ACCOUNT: ", in the organisation but not read by Recertify,",
    Exposure.TENANT: "",
}


def exposure_of(principal_type: str, guest: bool) -> Exposure | None:
    """What kind of exposure a grant held by this principal is, or None when it is no exposure."""
    if principal_type == PrincipalType.PUBLIC:
        return Exposure.PUBLIC
    if principal_type == PrincipalType.AWS_ACCOUNT:
        return Exposure.EXTERNAL if guest else Exposure.OTHER_ACCOUNT
    if principal_type == PrincipalType.ENTRA_TENANT:
        return Exposure.TENANT
    return None


def kind_label(principal_type: str, guest: bool) -> str | None:
    """A short label shown beside the name of a principal that is nobody's identity; None for the others."""
    if principal_type == PrincipalType.PUBLIC:
        return "public"
    if principal_type == PrincipalType.AWS_ACCOUNT:
        return "external account" if guest else "account not read"
    if principal_type == PrincipalType.AWS_SERVICE:
        return "service"
    if principal_type == PrincipalType.ENTRA_TENANT:
        return "whole tenant"
    return None


def is_personless(principal_type: str) -> bool:
    return principal_type in PERSONLESS_TYPES


@dataclass(frozen=True, slots=True)
class Exposed:
    """One exposure grant, said as a sentence ("anyone on the internet can read benefit-claims")."""

    kind: Exposure
    sentence: str
    intended: bool  # the store carries EXPOSURE_TAG = EXPOSURE_INTENDED


def exposed(
    *,
    principal_type: str,
    principal_provider_id: str,
    principal_name: str,
    guest: bool,
    store_name: str,
    store_tags: Mapping[str, str],
    access: str,
    conditional: bool,
    path: Sequence[Mapping[str, str]],
) -> Exposed | None:
    """The exposure this grant is, or None when its holder is no exposure principal."""
    kind = exposure_of(principal_type, guest)
    if kind is None:
        return None
    through = path[-1]["name"] if path else None
    return Exposed(
        kind,
        sentence(kind, principal_provider_id, principal_name, store_name, access, conditional, through),
        store_tags.get(EXPOSURE_TAG) == EXPOSURE_INTENDED,
    )


def sentence(
    kind: Exposure,
    principal_provider_id: str,
    principal_name: str,
    store_name: str,
    access: str,
    conditional: bool,
    through: str | None,
) -> str:
    """ "anyone on the internet can read benefit-claims"; "account Partner Ltd (999988887777), outside the
    organisation, can write to benefit-claims"; a conditional grant adds the step that carries the
    condition ("…, but only under a condition: bucket policy statement S (if aws:SourceVpce = …)")."""
    # "All 1,204 members of the tenant can read Casework": a tenant principal's name says who it is.
    named = kind in (Exposure.PUBLIC, Exposure.TENANT)
    who = principal_name if named else _account(principal_provider_id, principal_name)
    said = f"{who}{_WHERE[kind]} can {_VERB.get(access, access)} {store_name}"
    if conditional:
        said += f", but only under a condition: {through}" if through else ", but only under a condition"
    return said


def _account(principal_provider_id: str, name: str) -> str:
    """The account itself ("account Partner Ltd (999988887777)"), or one principal of it, named as such.
    An account is held by its root ARN (`arn:aws:iam::<account>:root`, the id the kind documents)."""
    return f"account {name}" if principal_provider_id.endswith(":root") else name
