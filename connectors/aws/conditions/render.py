"""Conditions in words, so a reader sees under which condition a grant holds
("aws:SourceIp is in 10.0.0.0/8").

Values are sorted so that the same condition always reads the same, whatever order the policy lists them in.
"""

from __future__ import annotations

from collections.abc import Iterable

from connectors.aws.conditions.operators import Family, Operator

# (family, comparison) -> (one value, several values), positive then negated
_PHRASES: dict[tuple[Family, str], tuple[tuple[str, str], tuple[str, str]]] = {
    (Family.STRING, "eq"): (("is {}", "is one of {}"), ("is not {}", "is none of {}")),
    (Family.STRING, "ieq"): (
        ("is {} (ignoring case)", "is one of {} (ignoring case)"),
        ("is not {} (ignoring case)", "is none of {} (ignoring case)"),
    ),
    (Family.STRING, "like"): (
        ("matches {}", "matches one of {}"),
        ("does not match {}", "matches none of {}"),
    ),
    (Family.NUMERIC, "eq"): (("equals {}", "equals one of {}"), ("does not equal {}", "equals none of {}")),
    (Family.NUMERIC, "lt"): (("is less than {}", "is less than one of {}"), ("", "")),
    (Family.NUMERIC, "le"): (("is at most {}", "is at most one of {}"), ("", "")),
    (Family.NUMERIC, "gt"): (("is greater than {}", "is greater than one of {}"), ("", "")),
    (Family.NUMERIC, "ge"): (("is at least {}", "is at least one of {}"), ("", "")),
    (Family.DATE, "eq"): (("is {}", "is one of {}"), ("is not {}", "is none of {}")),
    (Family.DATE, "lt"): (("is before {}", "is before one of {}"), ("", "")),
    (Family.DATE, "le"): (("is at or before {}", "is at or before one of {}"), ("", "")),
    (Family.DATE, "gt"): (("is after {}", "is after one of {}"), ("", "")),
    (Family.DATE, "ge"): (("is at or after {}", "is at or after one of {}"), ("", "")),
    (Family.BOOL, "eq"): (("is {}", "is one of {}"), ("", "")),
    (Family.BINARY, "eq"): (("is {} (base64)", "is one of {} (base64)"), ("", "")),
    (Family.IP, "in"): (("is in {}", "is in one of {}"), ("is not in {}", "is in none of {}")),
    (Family.ARN, "like"): (("matches {}", "matches one of {}"), ("does not match {}", "matches none of {}")),
}


def clause(op: Operator, key: str, texts: Iterable[str]) -> str:
    """`key` compared with the policy values `texts` by `op`, e.g. "aws:PrincipalOrgID is not o-abc"."""
    ordered = sorted(set(texts))
    if op.spec.family is Family.NULL:
        states = {"true": "absent", "false": "present"}
        return f"{key} is " + " or ".join(sorted({states.get(t.lower(), t) for t in ordered}))
    positive, negated = _PHRASES[(op.spec.family, op.spec.comparison)]
    one, several = negated if op.spec.negated else positive
    phrase = (one if len(ordered) == 1 else several).format(", ".join(ordered))
    subject = {"ForAnyValue": f"some value of {key}", "ForAllValues": f"every value of {key}"}.get(
        op.qualifier or "", key
    )
    return f"{subject} {phrase}" + (" (if present)" if op.if_exists else "")


def presence(key: str, present: bool) -> str:
    return f"{key} is present" if present else f"{key} is absent"
