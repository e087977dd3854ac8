"""Service control policies that bound each account, one tuple per level from the root down to the account.

Only the management account (or a delegated administrator) may read them, so they are read with the caller's
credentials, not the account's. When they cannot be read, or do not apply, the account gets no levels and a
note saying why: the evaluator then assumes no SCP limit, which can only overstate access, never hide it.
"""

from __future__ import annotations

import logging
from typing import Any

from connectors.aws.accounts import AwsAccount
from connectors.aws.documents import decode
from connectors.aws.errors import AwsApiError, aws_call, is_access_denied, malformed, parsing
from connectors.aws.inventory import PolicyDocument

logger = logging.getLogger(__name__)

SCP = "SERVICE_CONTROL_POLICY"
PERMISSIONS = (
    "organizations:DescribeOrganization",
    "organizations:ListRoots",
    "organizations:ListParents",
    "organizations:ListPoliciesForTarget",
    "organizations:DescribePolicy",
)
_NOT_READABLE = frozenset({"AWSOrganizationsNotInUseException", "PolicyTypeNotEnabledException"})
_MAX_DEPTH = 8  # OUs nest at most five deep under the root

Levels = tuple[tuple[PolicyDocument, ...], ...]


class ScpReader:
    """Reads SCPs for accounts of one organization, reading each OU and each policy once."""

    def __init__(self, caller: AwsAccount) -> None:
        self._caller = caller.account_id
        self._client: Any = caller.client("organizations")
        self._management: str | None = None
        self._unreadable: str | None = None  # why no account has levels, once known
        self._targets: dict[str, tuple[PolicyDocument, ...]] = {}
        self._documents: dict[str, PolicyDocument] = {}
        self._started = False

    def levels(self, account_id: str) -> tuple[Levels, str | None]:
        """The account's SCP levels, root first, and a note when there are none."""
        try:
            self._start()
            if self._unreadable is not None:
                return (), f"account {account_id}: no SCPs considered: {self._unreadable}"
            if account_id == self._management:
                return (
                    (),
                    f"account {account_id}: the organization's management account; SCPs do not apply to it",
                )
            chain = [*reversed(self._parents(account_id)), account_id]
            return tuple(self._policies(target) for target in chain), None
        except AwsApiError as exc:
            if not (is_access_denied(exc) or exc.code in _NOT_READABLE):
                raise
            logger.info("SCPs of account %s not readable: %s", account_id, exc.code)
            why = f"Organizations answered {exc.code} to account {self._caller}, so access may be overstated"
            return (), f"account {account_id}: no SCPs considered: {why}"

    def _start(self) -> None:
        if self._started:
            return
        self._started = True
        operation = "organizations:DescribeOrganization and ListRoots"
        try:
            with aws_call(self._caller, operation), parsing(self._caller, operation):
                self._management = self._client.describe_organization()["Organization"]["MasterAccountId"]
                pages = self._client.get_paginator("list_roots").paginate()
                roots = [root for page in pages for root in page["Roots"]]
        except AwsApiError as exc:
            if exc.code != "AWSOrganizationsNotInUseException":
                raise
            self._unreadable = f"account {self._caller} is not in an organization"
            return
        with parsing(self._caller, operation):
            enabled = any(
                kind["Type"] == SCP and kind["Status"] == "ENABLED"
                for root in roots
                for kind in root.get("PolicyTypes", ())
            )
        if not enabled:
            self._unreadable = "service control policies are not enabled in the organization"

    def _parents(self, account_id: str) -> list[str]:
        """The OUs and root above the account, nearest first."""
        chain: list[str] = []
        child = account_id
        while len(chain) < _MAX_DEPTH:
            operation = f"organizations:ListParents {child}"
            with aws_call(self._caller, operation), parsing(self._caller, operation):
                pages = self._client.get_paginator("list_parents").paginate(ChildId=child)
                parents = [parent for page in pages for parent in page["Parents"]]
                if len(parents) != 1:
                    raise malformed(account_id, operation, f"expected one parent, got {len(parents)}")
                chain.append(parents[0]["Id"])
                if parents[0]["Type"] == "ROOT":
                    return chain
                child = parents[0]["Id"]
        raise malformed(account_id, "organizations:ListParents", f"no root within {_MAX_DEPTH} levels")

    def _policies(self, target: str) -> tuple[PolicyDocument, ...]:
        if target not in self._targets:
            operation = f"organizations:ListPoliciesForTarget {target}"
            with aws_call(self._caller, operation), parsing(self._caller, operation):
                pages = self._client.get_paginator("list_policies_for_target").paginate(
                    TargetId=target, Filter=SCP
                )
                ids = sorted(policy["Id"] for page in pages for policy in page["Policies"])
            self._targets[target] = tuple(self._document(policy_id) for policy_id in ids)
        return self._targets[target]

    def _document(self, policy_id: str) -> PolicyDocument:
        if policy_id not in self._documents:
            operation = f"organizations:DescribePolicy {policy_id}"
            with aws_call(self._caller, operation), parsing(self._caller, operation):
                content = self._client.describe_policy(PolicyId=policy_id)["Policy"]["Content"]
            self._documents[policy_id] = decode(content)
        return self._documents[policy_id]
