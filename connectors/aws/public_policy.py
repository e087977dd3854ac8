"""Amazon S3's own test of a "public" bucket or access point policy, the one RestrictPublicBuckets acts on.

Amazon S3 User Guide, "Blocking public access to your Amazon S3 storage", "The meaning of "public""
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html#access-control-block-public-access-policy-status):
"When evaluating a bucket policy, Amazon S3 begins by assuming that the policy is public. It then evaluates
the policy to determine whether it qualifies as non-public. To be considered non-public, a bucket policy must
grant access only to fixed values (values that don't contain a wildcard or an AWS Identity and Access
Management Policy Variable) for one or more of the following:" a principal, aws:SourceIp CIDRs,
aws:SourceArn, aws:SourceVpc, aws:SourceVpce, aws:SourceOwner, aws:SourceAccount,
s3:x-amz-server-side-encryption-aws-kms-key-id, aws:userid outside "AROLEID:*", s3:DataAccessPointArn,
s3:DataAccessPointAccount.

So a statement is public unless it is a Deny (a Deny grants nothing) or proves, through its Principal or one
of those condition keys, that only fixed values get in. What this module cannot read stays public, as S3
"begins by assuming that the policy is public". Pure: no boto3.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from connectors.aws.inventory import PolicyDocument

# "An AWS principal, user, role, or service principal (e.g. aws:PrincipalOrgID)": the condition keys that name
# the caller. Federated principals are not in the list (the guide's first public example is
# {"Federated": "graph.facebook.com"}).
_PRINCIPAL_KEYS = (
    "aws:principalorgid",
    "aws:principalaccount",
    "aws:principalarn",
    "aws:principalservicename",
)
_LISTED_KEYS = frozenset(
    {
        *_PRINCIPAL_KEYS,
        "aws:sourcearn",
        "aws:sourcevpc",
        "aws:sourcevpce",
        "aws:sourceowner",
        "aws:sourceaccount",
        "s3:x-amz-server-side-encryption-aws-kms-key-id",
        "aws:userid",
        "s3:dataaccesspointarn",
        "s3:dataaccesspointaccount",
    }
)
# Operators that admit only the listed values. Negated ones admit everything else; ...IfExists admits requests
# without the key; ForAllValues admits requests without the key ("It also returns true if there are no keys").
_RESTRICTING = {"StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnEquals", "ArnLike"}
_RESTRICTING_IP = "IpAddress"
# "This includes values broader than /8 for IPv4 and /32 for IPv6 (excluding RFC1918 private ranges)."
_RFC1918 = tuple(ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
_ROLE_SESSIONS = re.compile(r"^AROA[A-Z0-9]+:\*$")  # "aws:userid, outside the pattern "AROLEID:*""
_ACCESS_POINT_ARN = re.compile(r"^arn:[^:*?$]+:s3:[^:]*:(?P<account>\d{12}):accesspoint/.+$")


@dataclass(frozen=True, slots=True)
class StatementVerdict:
    index: int  # position in the Statement list
    sid: str
    public: bool
    reason: (
        str  # why, for a reader: "Deny", "fixed principal", "aws:SourceVpce is fixed", "Principal "*" ..."
    )


def is_public(
    document: PolicyDocument, *, access_point: bool = False, network_origin: str | None = None
) -> bool:
    """S3's verdict for a bucket policy, or for an access point policy when `access_point` is true.

    "An access point that has a VPC network origin is always considered non-public, regardless of the contents
    of its access point policy."
    """
    if access_point and network_origin == "VPC":
        return False
    return any(verdict.public for verdict in statement_verdicts(document, access_point=access_point))


def statement_verdicts(
    document: PolicyDocument, *, access_point: bool = False
) -> tuple[StatementVerdict, ...]:
    if not isinstance(document, dict) or "Statement" not in document:
        return (
            StatementVerdict(0, "", True, "the policy cannot be read, and S3 assumes a policy is public"),
        )
    raw = document["Statement"]
    statements = raw if isinstance(raw, list) else [raw]
    return tuple(_verdict(index, statement, access_point) for index, statement in enumerate(statements))


def statement_is_public(statement: object, *, access_point: bool = False) -> bool:
    return _verdict(0, statement, access_point).public


def _verdict(index: int, statement: object, access_point: bool) -> StatementVerdict:
    if not isinstance(statement, dict):
        return StatementVerdict(index, "", True, "the statement is not an object")
    raw_sid = statement.get("Sid")
    sid = raw_sid if isinstance(raw_sid, str) else ""
    effect = statement.get("Effect")
    if effect == "Deny":
        return StatementVerdict(index, sid, False, "Deny grants nothing")
    if effect != "Allow":
        return StatementVerdict(index, sid, True, f"Effect {effect!r} is neither Allow nor Deny")
    if (principal := _fixed_principal(statement)) is not None:
        return StatementVerdict(index, sid, False, principal)
    if (limit := _fixed_condition(statement.get("Condition"), access_point)) is not None:
        return StatementVerdict(index, sid, False, limit)
    return StatementVerdict(
        index, sid, True, "no fixed principal and no condition limiting it to fixed values"
    )


def _fixed(value: object) -> bool:
    """ "fixed values (values that don't contain a wildcard or an AWS Identity and Access Management Policy
    Variable)"."""
    return isinstance(value, str) and value != "" and not any(mark in value for mark in ("*", "?", "${"))


def _strings(value: object) -> list[object]:
    return value if isinstance(value, list) and value else [value]


def _fixed_principal(statement: dict[str, object]) -> str | None:
    """A Principal naming only fixed AWS principals (accounts, users, roles, sessions, canonical users) or
    service principals. NotPrincipal in an Allow grants to everyone else, so it never counts."""
    principal = statement.get("Principal")
    if not isinstance(principal, dict) or not principal:
        return None  # "*", absent, or unreadable
    for kind, names in principal.items():
        if kind not in ("AWS", "Service", "CanonicalUser"):
            return None
        if not all(_fixed(name) for name in _strings(names)):
            return None
    return "grants only to fixed principals"


def _fixed_condition(condition: object, access_point: bool) -> str | None:
    if not isinstance(condition, dict):
        return None
    for operator, body in condition.items():
        if not isinstance(body, dict):
            continue
        base = str(operator).removeprefix("ForAnyValue:")  # ForAnyValue: on a single-valued key is equality
        for key, values in body.items():
            lowered = str(key).lower()
            if base == _RESTRICTING_IP and lowered == "aws:sourceip":
                if all(_narrow_cidr(value) for value in _strings(values)):
                    return f"{key} is limited to narrow CIDR blocks"
            elif base in _RESTRICTING and lowered in _LISTED_KEYS:
                if all(_fixed_value(lowered, value, access_point) for value in _strings(values)):
                    return f"{key} is fixed ({operator})"
    return None


def _fixed_value(key: str, value: object, access_point: bool) -> bool:
    if key == "aws:userid" and isinstance(value, str) and _ROLE_SESSIONS.match(value):
        return False
    if key == "s3:dataaccesspointarn" and not access_point and isinstance(value, str):
        # "When used in a bucket policy, this value can contain a wildcard for the access point name without
        # rendering the policy public, as long as the account id is fixed." Not so in an access point policy:
        # "An access point policy that grants access to a set of access points using s3:DataAccessPointArn is
        # considered public."
        match = _ACCESS_POINT_ARN.match(value)
        return match is not None and "${" not in value
    return _fixed(value)


def _narrow_cidr(value: object) -> bool:
    """A fixed CIDR no broader than /8 (IPv4) or /32 (IPv6). We read "excluding RFC1918 private ranges" as:
    private addresses do not count towards the breadth, so 10.0.0.0/7 (10/8 private plus 11/8) is as broad
    as a /8, hence not public."""
    if not _fixed(value):
        return False
    try:
        network = ipaddress.ip_network(str(value).strip(), strict=False)
    except ValueError:
        return False
    if isinstance(network, ipaddress.IPv6Network):
        return network.prefixlen >= 32
    private = sum(overlap.num_addresses for overlap in _overlaps(network))
    return network.num_addresses - private <= 2**24


def _overlaps(network: ipaddress.IPv4Network) -> list[ipaddress.IPv4Network]:
    found = []
    for block in _RFC1918:
        if network.overlaps(block):
            found.append(block if network.supernet_of(block) else network)
    return found
