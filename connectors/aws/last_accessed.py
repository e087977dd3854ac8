"""IAM's service-last-accessed report: when each principal last used each service.

Last use is evidence, not access: when a call for it fails (denied, an error, a FAILED job, a job that does
not finish in time), last use stays unknown for the principals concerned, the reason is kept, and the sync
goes on. Unknown is never "unused": the transform gives such a principal no last-use date at all.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from connectors.aws.accounts import AwsAccount
from connectors.aws.documents import utc
from connectors.aws.errors import AwsApiError, aws_call, malformed, parsing
from connectors.aws.inventory import ServiceLastAccessed
from reviews.errors import SourceUnavailable

logger = logging.getLogger(__name__)

GENERATE = "iam:GenerateServiceLastAccessedDetails"
GET = "iam:GetServiceLastAccessedDetails"
PERMISSIONS = (GENERATE, GET)


@dataclass(frozen=True, slots=True)
class LastAccessedRead:
    """What one account's report gave, and for which principals last use stays unknown, and why."""

    account_id: str
    entries: tuple[ServiceLastAccessed, ...]
    unknown: tuple[tuple[str, str], ...] = ()  # (principal ARN, why its last use is unknown)

    def notes(self) -> tuple[str, ...]:
        """One note per reason, naming the account and how many principals it leaves unknown."""
        counts = Counter(why for _, why in self.unknown)
        return tuple(
            f"account {self.account_id}: last use unknown for {count} principal(s): {why}"
            for why, count in sorted(counts.items())
        )


class _JobUnfinished(Exception):
    """A job that ended without an answer (FAILED, or a status AWS does not document)."""


def fetch_last_accessed(
    account: AwsAccount,
    principal_arns: Sequence[str],
    services: Collection[str],
    *,
    poll_interval: float = 2.0,
    timeout: float = 300.0,
) -> LastAccessedRead:
    """When each principal last used each service namespace in `services` (s3, dynamodb, rds, …).

    One IAM job per principal; all are started, then polled together until done or until `timeout`.
    """
    iam: Any = account.client("iam")
    me = account.account_id
    jobs: dict[str, str] = {}
    unknown: list[tuple[str, str]] = []
    for arn in dict.fromkeys(principal_arns):
        operation = f"{GENERATE} {arn}"
        try:
            with aws_call(me, operation), parsing(me, operation):
                jobs[arn] = iam.generate_service_last_accessed_details(Arn=arn, Granularity="SERVICE_LEVEL")[
                    "JobId"
                ]
        except SourceUnavailable as exc:
            unknown.append((arn, _why(GENERATE, operation, me, exc)))
    deadline = time.monotonic() + timeout
    results: list[ServiceLastAccessed] = []
    while jobs:
        for arn, job_id in list(jobs.items()):
            try:
                entries = _job_result(iam, me, arn, job_id)
            except (SourceUnavailable, _JobUnfinished) as exc:
                unknown.append((arn, _why(GET, f"{GET} {arn}", me, exc)))
                del jobs[arn]
                continue
            if entries is not None:
                results.extend(entry for entry in entries if entry.service in services)
                del jobs[arn]
        if jobs and time.monotonic() >= deadline:
            unknown += [(arn, f"the {GENERATE} job did not finish within {timeout:g} s") for arn in jobs]
            break
        if jobs:
            time.sleep(poll_interval)
    for arn, why in unknown:
        logger.warning("last use of %s unknown: %s", arn, why)
    return LastAccessedRead(me, tuple(results), tuple(unknown))


def _job_result(iam: Any, account_id: str, arn: str, job_id: str) -> list[ServiceLastAccessed] | None:
    """The job's entries, every page of them; None while it is still running."""
    operation = f"{GET} {arn}"
    entries: list[ServiceLastAccessed] = []
    marker: str | None = None
    while True:
        with aws_call(account_id, operation), parsing(account_id, operation):
            more = {"Marker": marker} if marker else {}
            page = iam.get_service_last_accessed_details(JobId=job_id, **more)
            status = page["JobStatus"]
            if status == "IN_PROGRESS":
                return None
            if status == "FAILED":
                raise _JobUnfinished(
                    f"the job failed: {(page.get('Error') or {}).get('Message', 'no reason given')}"
                )
            if status != "COMPLETED":
                raise _JobUnfinished(f"the job has an unknown JobStatus {status!r}")
            entries.extend(_entry(arn, item) for item in page["ServicesLastAccessed"])
        if not page.get("IsTruncated"):
            return entries
        marker = page.get("Marker")
        if not marker:
            raise malformed(account_id, operation, "a page says IsTruncated but gives no Marker")


def _why(call: str, operation: str, account_id: str, exc: Exception) -> str:
    """The reason without the principal, so that one reason groups every principal it concerns."""
    if isinstance(exc, AwsApiError) and exc.code:
        return f"{call} answered {f'HTTP {exc.code}' if exc.code.isdigit() else exc.code}"
    if isinstance(exc, SourceUnavailable):
        return f"{call}: {exc.reason.removeprefix(f'account {account_id}: {operation}: ')}"
    return f"{call}: {exc}"


def _entry(arn: str, item: dict[str, Any]) -> ServiceLastAccessed:
    return ServiceLastAccessed(
        principal_arn=arn,
        service=item["ServiceNamespace"],
        last_authenticated=utc(item.get("LastAuthenticated")),
        # The answer states no tracking window (AWS documents a rolling 400 days): unknown, not guessed.
        tracking_start=None,
    )
