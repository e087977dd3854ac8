"""IAM service-last-accessed for moto, answered from the department's data.

moto 5 has no `GenerateServiceLastAccessedDetails` / `GetServiceLastAccessedDetails` (DESIGN §6), and
without them nothing in AWS says a grant is unused. For the duration of the `with` block the two calls are
added to moto's IAM responses, so Recertify's own reader (its jobs, polling and pages) runs unchanged
against the in-process moto server: a job completes at once and lists, for each service namespace the
department says the principal used, when it last authenticated. Principals the answers do not name get an
empty list (nothing seen), which Recertify records as unknown, never as unused.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any

SERVICE_NAMES = {"s3": "Amazon S3", "dynamodb": "Amazon DynamoDB", "rds": "Amazon RDS"}
_CALLS = ("generate_service_last_accessed_details", "get_service_last_accessed_details")


@contextmanager
def service_last_accessed(answers: Mapping[str, Mapping[str, datetime]], *, now: datetime) -> Iterator[None]:
    """`answers`: principal ARN → service namespace → last authenticated. Restores moto on exit."""
    from moto.core.responses import ActionResult
    from moto.iam.exceptions import NoSuchEntity
    from moto.iam.responses import IamResponse

    jobs: dict[str, str] = {}

    def generate(self: Any) -> ActionResult:
        job_id = str(uuid.uuid4())
        jobs[job_id] = self._get_param("Arn")
        return ActionResult({"JobId": job_id})

    def get(self: Any) -> ActionResult:
        job_id = self._get_param("JobId")
        if job_id not in jobs:  # IAM API Reference, GetServiceLastAccessedDetails errors: NoSuchEntity (404)
            raise NoSuchEntity(f"No such job: {job_id}")
        arn = jobs[job_id]
        entries = [
            {
                "ServiceName": SERVICE_NAMES.get(namespace, namespace),
                "ServiceNamespace": namespace,
                "LastAuthenticated": at,
                "LastAuthenticatedEntity": arn,
                "LastAuthenticatedRegion": "eu-west-2",
                "TotalAuthenticatedEntities": 1,
            }
            for namespace, at in sorted(answers.get(arn, {}).items())
        ]
        return ActionResult(
            {
                "JobStatus": "COMPLETED",
                "JobType": "SERVICE_LEVEL",
                "JobCreationDate": now,
                "JobCompletionDate": now,
                "ServicesLastAccessed": entries,
                "IsTruncated": False,
            }
        )

    saved = {name: IamResponse.__dict__.get(name) for name in _CALLS}
    IamResponse.generate_service_last_accessed_details = generate  # type: ignore[attr-defined]
    IamResponse.get_service_last_accessed_details = get  # type: ignore[attr-defined]
    try:
        yield
    finally:
        for name, original in saved.items():
            if original is None:
                delattr(IamResponse, name)
            else:
                setattr(IamResponse, name, original)
