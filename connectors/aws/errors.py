"""The one place where botocore's errors become Recertify's (STYLE: one façade per provider SDK).

`botocore_errors(where, client_error)` is the translator; what differs between reading and writing is only
what an AWS error code means, which the caller passes as `client_error`. Every read in the connector
runs inside `aws_call(account_id, operation)`; every revocation write inside `revoke.base.translated`
(where access denied refuses the action and "no such entity" is an answer); the audit checkpoint store
(checkpoints.py: a bucket it cannot reach is misconfigured) and the attestation signer
(connectors/signing/kms.py: every KMS code is the key's problem) pass their own meanings too. The message
an admin reads names the account, bucket or key and the operation that failed (a regional operation names
its region too). Whatever AWS sends, the message is one line: an HTML error page or a body botocore cannot
parse never reaches the admin as a traceback or a wall of markup. Retries are not decided here: the clients
retry throttling and transient faults themselves (accounts.RETRY_CONFIG); an error that reaches this module
has already been retried, and `retryable` tells the caller whether a later sync may succeed without anyone
changing anything.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    CredentialRetrievalError,
    HTTPClientError,
    NoCredentialsError,
    NoRegionError,
    ParamValidationError,
    PartialCredentialsError,
    ProfileNotFound,
)
from botocore.exceptions import ConnectionError as BotoConnectionError
from botocore.parsers import ResponseParserError

from reviews.errors import Misconfigured, RecertifyError, SourceUnavailable

logger = logging.getLogger(__name__)

SOURCE = "aws"

THROTTLING = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottled",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "SlowDown",
        "BandwidthLimitExceeded",
        "PriorRequestNotComplete",
        "ConcurrentModificationException",
    }
)
TRANSIENT = frozenset(
    {
        "InternalError",
        "InternalFailure",
        "InternalServerError",
        "InternalServerException",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "ServiceException",
        "RequestTimeout",
        "RequestTimeoutException",
        "IDPCommunicationError",
    }
)
# The credentials themselves were refused: nothing will work until someone fixes them.
BAD_CREDENTIALS = frozenset(
    {
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "SignatureDoesNotMatch",
        "AuthFailure",
        "InvalidAccessKeyId",
        "ExpiredToken",
        "ExpiredTokenException",
    }
)
ACCESS_DENIED = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedException"}
)
_MAX_DETAIL = 300  # characters of AWS's own words kept in a message


class AwsApiError(SourceUnavailable):
    """AWS answered with an error code. The code is kept so that a caller can treat an expected absence
    (NoSuchBucketPolicy, PolicyNotFoundException, …) as an answer; anything else propagates as is."""

    def __init__(self, reason: str, *, code: str, retryable: bool) -> None:
        super().__init__(SOURCE, reason, retryable=retryable)
        self.code = code


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def error_parts(exc: ClientError) -> tuple[str, str, int]:
    """The error's code, its message on one line (the code when AWS gave none) and the HTTP status."""
    code = error_code(exc)
    message = one_line(exc.response.get("Error", {}).get("Message", "")) or code
    status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    return code, message, status


def is_access_denied(exc: AwsApiError) -> bool:
    return exc.code in ACCESS_DENIED


@contextmanager
def aws_call(account_id: str, operation: str) -> Iterator[None]:
    """Run AWS reads, translating botocore's errors into ours; `operation` says what was being read."""
    with botocore_errors(f"account {account_id or '(unknown)'}: {operation}", _from_client_error):
        yield


@contextmanager
def botocore_errors(
    where: str,
    client_error: Callable[[ClientError, str], RecertifyError],
    *,
    invalid_parameters: Callable[[ParamValidationError, str], RecertifyError] | None = None,
) -> Iterator[None]:
    """botocore's errors as ours, each naming `where`. `client_error` says what AWS's error codes mean to
    the caller; `invalid_parameters`, what a request AWS's model rejects means (by default our bug, raised
    as is)."""
    try:
        yield
    except ClientError as exc:
        raise client_error(exc, where) from exc
    except (NoCredentialsError, PartialCredentialsError, CredentialRetrievalError, ProfileNotFound) as exc:
        raise Misconfigured(
            f"{where}: no usable AWS credentials ({exc}); set AWS_PROFILE or the standard AWS_* variables"
        ) from exc
    except NoRegionError as exc:
        raise Misconfigured(f"{where}: no AWS region; set aws.regions or AWS_DEFAULT_REGION") from exc
    except (BotoConnectionError, HTTPClientError) as exc:
        # EndpointConnectionError and ConnectTimeoutError are botocore ConnectionErrors; ConnectionClosedError
        # and ReadTimeoutError are HTTPClientErrors. The client has already retried them.
        logger.warning("AWS unreachable for %s: %s", where, type(exc).__name__)
        raise SourceUnavailable(
            SOURCE, f"{where}: AWS unreachable ({one_line(exc)})", retryable=True
        ) from exc
    except ResponseParserError as exc:
        # Not a BotoCoreError: a body that is not the protocol's XML or JSON (a proxy's HTML page, a cut-off
        # answer). Its text holds the raw body, so only its kind is shown; botocore says a retry may succeed.
        logger.warning("AWS sent an unparseable answer for %s", where)
        reason = f"{where}: AWS sent an answer that could not be parsed"
        raise SourceUnavailable(SOURCE, reason, retryable=True) from exc
    except ParamValidationError as exc:
        if invalid_parameters is None:
            raise  # our bug, not AWS's answer: let it surface as one
        raise invalid_parameters(exc, where) from exc
    except BotoCoreError as exc:
        raise SourceUnavailable(SOURCE, f"{where}: {one_line(exc)}", retryable=False) from exc


@contextmanager
def parsing(account_id: str, operation: str) -> Iterator[None]:
    """An answer without a field AWS always sends is a malformed answer, never a default value; so is one
    whose fields have the wrong shape (a list where an object belongs)."""
    try:
        yield
    except KeyError as exc:
        raise SourceUnavailable(
            SOURCE, f"account {account_id}: {operation}: the answer lacks {exc}", retryable=True
        ) from exc
    except TypeError as exc:
        raise SourceUnavailable(
            SOURCE, f"account {account_id}: {operation}: the answer has an unexpected shape", retryable=True
        ) from exc


def malformed(account_id: str, operation: str, problem: str) -> SourceUnavailable:
    return SourceUnavailable(SOURCE, f"account {account_id}: {operation}: {problem}", retryable=True)


def one_line(text: object, limit: int = _MAX_DETAIL) -> str:
    """`text` on one line, at most `limit` characters: what AWS (or a proxy before it) says is shown, never
    pasted whole."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else f"{flat[: limit - 1]}…"


def _from_client_error(exc: ClientError, where: str) -> Misconfigured | AwsApiError:
    code, message, status = error_parts(exc)
    if code in BAD_CREDENTIALS:
        return Misconfigured(f"{where}: AWS refused the credentials ({code}: {message})")
    if code in ACCESS_DENIED:
        reason = f"{where}: access denied ({code}); the read role lacks this permission: {message}"
        return AwsApiError(reason, code=code, retryable=False)
    retryable = code in THROTTLING or code in TRANSIENT or status >= 500
    if not code or code.isdigit():
        # botocore's stand-in when the body names no error (an HTML page from a proxy or a load balancer):
        # the code is the HTTP status and the message its reason phrase.
        reason = f"{where}: an unexpected answer from AWS (HTTP {status or code}: {message})"
        return AwsApiError(reason, code=code, retryable=retryable)
    return AwsApiError(f"{where}: {code}: {message}", code=code, retryable=retryable)
