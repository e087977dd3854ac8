"""The one place where azure-core's errors become Recertify's (STYLE: one façade per provider SDK).

Every read runs inside `azure_call(where, operation)`, `where` naming the subscription or scope; a pager is
consumed inside it, since the SDK's paging reads lazily. ARM's errors have the shape
{"error": {"code", "message"}} and the SDK keeps both (`HttpResponseError.error`). A 403
`AuthorizationFailed` says which action was refused over which scope ("The client '…' with object id '…'
does not have authorization to perform action '…' over scope '…' or the scope is invalid."): the message
names both, so the admin knows which permission the read (or write) role lacks; the whole message is
searched, since a role assignment's scope is long. The SDK has already retried 408, 429 and 5xx
(client.py): what comes through retries only on a later sync. A wrong token is the configuration's
fault (Misconfigured), as is a certificate the transport cannot verify.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager

from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    DecodeError,
    HttpResponseError,
    ServiceRequestError,
    ServiceResponseError,
)

from reviews.errors import Misconfigured, SourceUnavailable

logger = logging.getLogger(__name__)

SOURCE = "azure"
_MAX_DETAIL = 300
_DENIED = re.compile(r"perform action '(?P<action>[^']+)' over scope '(?P<scope>[^']+)'", re.IGNORECASE)
_TRANSIENT_STATUS = frozenset({408, 429, 500, 502, 503, 504})


class AzureApiError(SourceUnavailable):
    """ARM answered with an error: its code and HTTP status are kept, so a caller can read an expected
    absence (a SQL server without an Entra admin) as an answer; anything else propagates."""

    def __init__(self, reason: str, *, code: str, status: int, retryable: bool) -> None:
        super().__init__(SOURCE, reason, retryable=retryable)
        self.code = code
        self.status = status


def is_not_found(error: AzureApiError) -> bool:
    return error.status == 404


@contextmanager
def azure_call(where: str, operation: str) -> Iterator[None]:
    """Run ARM reads, translating azure-core's errors into ours; the message names `where` (a subscription
    or a scope) and `operation` (what was being read)."""
    context = f"{where}: {operation}"
    try:
        yield
    except ClientAuthenticationError as exc:
        code, message = _parts(exc)
        raise Misconfigured(
            f"{context}: Azure refused the credentials ({code or exc.status_code}: {message}); check the "
            "[entra] app registration or RECERTIFY_AZURE_TOKEN"
        ) from exc
    except DecodeError as exc:
        logger.warning("Azure sent an unparseable answer for %s", context)
        reason = f"{context}: Azure sent an answer that could not be parsed"
        raise SourceUnavailable(SOURCE, reason, retryable=True) from exc
    except HttpResponseError as exc:
        raise _from_response(exc, context) from exc
    except ServiceRequestError as exc:
        if "CERTIFICATE_VERIFY_FAILED" in str(exc):
            raise Misconfigured(
                f"{context}: the ARM endpoint's TLS certificate is not trusted; for a simulator, point "
                "[azure] ca_bundle (or REQUESTS_CA_BUNDLE) at its certificate"
            ) from exc
        logger.warning("Azure Resource Manager unreachable for %s: %s", context, type(exc).__name__)
        raise SourceUnavailable(
            SOURCE, f"{context}: Azure Resource Manager unreachable ({one_line(exc)})", retryable=True
        ) from exc
    except ServiceResponseError as exc:
        raise SourceUnavailable(
            SOURCE, f"{context}: the answer was cut off ({one_line(exc)})", retryable=True
        ) from exc
    except AzureError as exc:
        raise SourceUnavailable(SOURCE, f"{context}: {one_line(exc)}", retryable=False) from exc


@contextmanager
def parsing(where: str, operation: str) -> Iterator[None]:
    """An answer without a field ARM always sends is a malformed answer, never a default value."""
    try:
        yield
    except KeyError as exc:
        raise malformed(where, operation, f"the answer lacks {exc}") from exc
    except (TypeError, AttributeError) as exc:
        raise malformed(where, operation, "the answer has an unexpected shape") from exc


def malformed(where: str, operation: str, problem: str) -> SourceUnavailable:
    return SourceUnavailable(SOURCE, f"{where}: {operation}: {problem}", retryable=True)


def one_line(text: object, limit: int = _MAX_DETAIL) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else f"{flat[: limit - 1]}…"


def _parts(exc: HttpResponseError, limit: int = _MAX_DETAIL) -> tuple[str, str]:
    """ARM's error code and message, on one line (the reason phrase when the body named no error)."""
    error = exc.error
    code = str(error.code) if error is not None and error.code else ""
    message = str(error.message) if error is not None and error.message else str(exc.reason or exc.message)
    return code, one_line(message, limit)


def _from_response(exc: HttpResponseError, context: str) -> AzureApiError:
    status = int(exc.status_code or 0)
    code, message = _parts(exc)
    if status == 403:
        denied = _DENIED.search(_parts(exc, limit=10_000)[1])  # whole: a role assignment's scope is long
        if denied is not None:
            role = "read" if denied["action"].lower().endswith("/read") else "write"
            lacks = f"the {role} role lacks {denied['action']} over {denied['scope']}"
        else:
            lacks = f"the read role lacks a permission this read needs ({message})"
        reason = f"{context}: access denied ({code or 403}); {lacks}"
        return AzureApiError(reason, code=code, status=status, retryable=False)
    retryable = status in _TRANSIENT_STATUS or status >= 500
    if not code:
        reason = f"{context}: an unexpected answer from Azure (HTTP {status}: {message})"
    else:
        reason = f"{context}: {code}: {message}"
    return AzureApiError(reason, code=code, status=status, retryable=retryable)
