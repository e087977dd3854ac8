"""Organization policies that bound each account, one tuple per level from the root down to the account:
service control policies (what the account's principals may do) and resource control policies (what may be
done to the account's resources, whoever asks). Both are read the same way, the RCPs with the
RESOURCE_CONTROL_POLICY filter.

Only the management account (or a delegated administrator) may read them, so they are read with the caller's
credentials, not the account's. When they cannot be read, or do not apply (the management account; a policy
type not enabled at the root), the account gets no levels and a note saying why: the evaluator then assumes
no limit, which can only overstate access, never hide it. A reason that holds for the whole organization is
noted once, not once per account.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from connectors.aws.accounts import AwsAccount
from connectors.aws.documents import decode
from connectors.aws.errors import AwsApiError, aws_call, is_access_denied, malformed, parsing
from connectors.aws.inventory import PolicyDocument

logger = logging.getLogger(__name__)

SCP = "SERVICE_CONTROL_POLICY"
RCP = "RESOURCE_CONTROL_POLICY"
_KINDS = {SCP: ("SCPs", "service control policies"), RCP: ("RCPs", "resource control policies")}
PERMISSIONS = (
    "organizations:DescribeOrganization",
    "organizations:ListRoots",
    "organizations:ListParents",
    "organizations:ListPoliciesForTarget",
    "organizations:DescribePolicy",
)
_NOT_READABLE = frozenset({"AWSOrganizationsNotInUseException", "PolicyTypeNotEnabledException"})
# ListParents' answer for an account outside the organization: "We can't find an organizational unit (OU) or
# Amazon Web Services account with the ChildId that you specified."
_NOT_A_MEMBER = "ChildNotFoundException"
_MAX_DEPTH = 8  # OUs nest at most five deep under the root

Levels = tuple[tuple[PolicyDocument, ...], ...]


@dataclass(frozen=True, slots=True)
class AccountPolicies:
    scp_levels: Levels
    rcp_levels: Levels
    notes: tuple[str, ...]


class OrganizationPolicies:
    """Reads SCPs and RCPs for accounts of one organization, reading each OU and each policy once."""

    def __init__(self, caller: AwsAccount) -> None:
        self._caller = caller.account_id
        self._client: Any = caller.client("organizations")
        self._management: str | None = None
        self._unreadable: str | None = None  # why no account has levels, once known
        self._enabled: dict[str, bool] = {}
        self._targets: dict[tuple[str, str], tuple[PolicyDocument, ...]] = {}
        self._documents: dict[str, PolicyDocument] = {}
        self._noted: set[str] = set()
        self._started = False

    def levels(self, account_id: str) -> AccountPolicies:
        """The account's SCP and RCP levels, root first, and notes on what is not there and why."""
        try:
            self._start()
            if self._unreadable is not None:
                return AccountPolicies((), (), self._once(f"no SCPs or RCPs considered: {self._unreadable}"))
            if account_id == self._management:
                why = "the organization's management account; SCPs and RCPs do not apply to it"
                return AccountPolicies((), (), (f"account {account_id}: {why}",))
            chain = [*reversed(self._parents(account_id)), account_id]
            levels: dict[str, Levels] = {}
            notes: list[str] = []
            for kind, (short, long) in _KINDS.items():
                if self._enabled[kind]:
                    levels[kind] = tuple(self._policies(target, kind) for target in chain)
                else:
                    levels[kind] = ()
                    notes += self._once(f"no {short} considered: {long} are not enabled in the organization")
            return AccountPolicies(levels[SCP], levels[RCP], tuple(notes))
        except AwsApiError as exc:
            if exc.code == _NOT_A_MEMBER:  # an account listed in aws.accounts from outside the organization
                why = (
                    f"it is not in the organization of account {self._caller}, and its own organization's "
                    "policies, if any, cannot be read from there, so access may be overstated"
                )
            elif is_access_denied(exc) or exc.code in _NOT_READABLE:
                why = _overstated(exc, self._caller)
            else:
                raise
            logger.info("organization policies of account %s not readable: %s", account_id, exc.code)
            return AccountPolicies((), (), (f"account {account_id}: no SCPs or RCPs considered: {why}",))

    def _once(self, note: str) -> tuple[str, ...]:
        """An organization-wide note, given with the first account it concerns only."""
        if note in self._noted:
            return ()
        self._noted.add(note)
        return (note,)

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
            if exc.code == "AWSOrganizationsNotInUseException":
                self._unreadable = f"account {self._caller} is not in an organization"
                return
            if is_access_denied(exc):
                self._unreadable = _overstated(exc, self._caller)
                return
            raise
        with parsing(self._caller, operation):
            # A type is in force when the root lists it ENABLED (Root.PolicyTypes; DescribeOrganization's
            # AvailablePolicyTypes is deprecated and says nothing about the root).
            for kind in _KINDS:
                self._enabled[kind] = any(
                    item["Type"] == kind and item["Status"] == "ENABLED"
                    for root in roots
                    for item in root.get("PolicyTypes", ())
                )

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

    def _policies(self, target: str, kind: str) -> tuple[PolicyDocument, ...]:
        if (target, kind) not in self._targets:
            operation = f"organizations:ListPoliciesForTarget {target} ({kind})"
            with aws_call(self._caller, operation), parsing(self._caller, operation):
                pages = self._client.get_paginator("list_policies_for_target").paginate(
                    TargetId=target, Filter=kind
                )
                ids = sorted(policy["Id"] for page in pages for policy in page["Policies"])
            self._targets[(target, kind)] = tuple(self._document(policy_id) for policy_id in ids)
        return self._targets[(target, kind)]

    def _document(self, policy_id: str) -> PolicyDocument:
        if policy_id not in self._documents:
            operation = f"organizations:DescribePolicy {policy_id}"
            with aws_call(self._caller, operation), parsing(self._caller, operation):
                content = self._client.describe_policy(PolicyId=policy_id)["Policy"]["Content"]
            self._documents[policy_id] = decode(content)
        return self._documents[policy_id]


def _overstated(exc: AwsApiError, caller: str) -> str:
    return f"Organizations answered {exc.code} to account {caller}, so access may be overstated"
