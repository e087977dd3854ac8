"""How a grant's path names the part of a resource policy or ACL that grants it. The evaluator writes these
steps; revocation planning reads them back to find the statement or grant to change. Pure.

    resource_policy  {policy resource ARN}#statement/{1-based index}[/{Sid}]   bucket, table, stream or
                                                                              access point policy
    bucket_acl       {bucket ARN}#acl/{grantee}                                one grant of the bucket ACL
    object_acl       {bucket ARN}#object-acls                                  objects' own ACLs (not read)
"""

from __future__ import annotations

from dataclasses import dataclass

from reviews.entitlements import PathStep

RESOURCE_POLICY = "resource_policy"
BUCKET_ACL = "bucket_acl"
OBJECT_ACL = "object_acl"
_STATEMENT = "#statement/"
_ACL = "#acl/"
_OBJECT_ACLS = "#object-acls"


@dataclass(frozen=True, slots=True)
class StatementRef:
    """One statement of one resource policy: where it is, its position (0-based) and its Sid ("" if none)."""

    resource_arn: str
    index: int
    sid: str


def statement_step(ref: StatementRef, label: str, detail: str = "") -> PathStep:
    """`label` names the policy ("bucket policy", "access point reports policy"); `detail` adds what a reader
    needs to judge it (a condition, a session name), in parentheses."""
    suffix = f"/{ref.sid}" if ref.sid else ""
    which = ref.sid or f"#{ref.index + 1}"
    name = f"{label} statement {which}" + (f" ({detail})" if detail else "")
    return PathStep(RESOURCE_POLICY, f"{ref.resource_arn}{_STATEMENT}{ref.index + 1}{suffix}", name)


def parse_statement_step(step: PathStep) -> StatementRef | None:
    """The statement a `resource_policy` step names, or None when the step is not one."""
    if step.kind != RESOURCE_POLICY or _STATEMENT not in step.id:
        return None
    arn, _, rest = step.id.rpartition(_STATEMENT)
    position, _, sid = rest.partition("/")
    if not arn or not position.isdigit() or int(position) < 1:
        return None
    return StatementRef(arn, int(position) - 1, sid)


def acl_step(bucket_arn: str, grantee: str, name: str) -> PathStep:
    return PathStep(BUCKET_ACL, f"{bucket_arn}{_ACL}{grantee}", name)


def parse_acl_step(step: PathStep) -> tuple[str, str] | None:
    """(bucket ARN, grantee) of a `bucket_acl` step, or None."""
    if step.kind != BUCKET_ACL or _ACL not in step.id:
        return None
    bucket, _, grantee = step.id.partition(_ACL)
    return (bucket, grantee) if bucket and grantee else None


def object_acls_step(bucket_arn: str) -> PathStep:
    return PathStep(
        OBJECT_ACL,
        f"{bucket_arn}{_OBJECT_ACLS}",
        "object ACLs (not read: ACLs are enabled and Block Public Access does not ignore public ACLs)",
    )


def parse_object_acls_step(step: PathStep) -> str | None:
    """The bucket ARN of an `object_acl` step, or None."""
    if step.kind != OBJECT_ACL or not step.id.endswith(_OBJECT_ACLS):
        return None
    return step.id.removesuffix(_OBJECT_ACLS) or None
