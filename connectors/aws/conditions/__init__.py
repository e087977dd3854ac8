"""Three-valued evaluation of IAM `Condition` blocks against what Recertify knows of a request.

    from connectors.aws.conditions import ABSENT, RequestContext, Truth, evaluate, known, not_any_of

    outsider = RequestContext({"aws:PrincipalOrgID": not_any_of("o-abc")})
    evaluate({"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-abc"}}, outsider).truth  # Truth.TRUE

Pure: no boto3, no I/O. See context.py for the request-context values, evaluate.py for the logic.
"""

from connectors.aws.conditions.context import (
    ABSENT,
    UNKNOWN,
    ContextValue,
    Known,
    RequestContext,
    Truth,
    Unknown,
    all_of,
    any_of,
    known,
    not_any_of,
)
from connectors.aws.conditions.evaluate import Outcome, Part, evaluate
from connectors.aws.conditions.operators import OPERATORS, SET_QUALIFIERS

__all__ = [
    "ABSENT",
    "OPERATORS",
    "SET_QUALIFIERS",
    "UNKNOWN",
    "ContextValue",
    "Known",
    "Outcome",
    "Part",
    "RequestContext",
    "Truth",
    "Unknown",
    "all_of",
    "any_of",
    "evaluate",
    "known",
    "not_any_of",
]
