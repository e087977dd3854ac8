"""The AWS organization the accounts belong to: its id, its management account and every member account by
name. It tells a partner's account (external) from a sister account Recertify does not read (internal,
named), and it is what an aws:PrincipalOrgID condition compares against.

Read with the caller's credentials: DescribeOrganization works from any member account, ListAccounts only
from the management account or a delegated administrator. When either cannot be read, there is no
organization and a note says why; every account Recertify does not read then counts as external, which can
only overstate exposure, never hide it.
"""

from __future__ import annotations

import logging

from connectors.aws.accounts import AwsAccount
from connectors.aws.errors import AwsApiError, aws_call, is_access_denied, malformed, parsing
from connectors.aws.inventory import Organization

logger = logging.getLogger(__name__)

PERMISSIONS = ("organizations:DescribeOrganization", "organizations:ListAccounts")
_NOT_IN_USE = "AWSOrganizationsNotInUseException"


def read_organization(caller: AwsAccount) -> tuple[Organization | None, str | None]:
    """The organization, or None and a note saying why it is not known."""
    me = caller.account_id
    client = caller.client("organizations")
    try:
        operation = "organizations:DescribeOrganization"
        with aws_call(me, operation), parsing(me, operation):
            described = client.describe_organization()["Organization"]
            org_id, management = described["Id"], described["MasterAccountId"]
        operation = "organizations:ListAccounts"
        with aws_call(me, operation), parsing(me, operation):
            pages = client.get_paginator("list_accounts").paginate()
            accounts = {item["Id"]: item["Name"] for page in pages for item in page["Accounts"]}
    except AwsApiError as exc:
        if exc.code == _NOT_IN_USE:
            return None, f"organization: account {me} is not in an organization; other accounts are external"
        if is_access_denied(exc):
            logger.info("the organization is not readable from account %s: %s", me, exc.code)
            why = f"{operation} answered {exc.code} to account {me}"
            return None, f"organization: not known ({why}); every account not read counts as external"
        raise
    if management not in accounts:  # ListAccounts lists every account, the management account included
        raise malformed(
            me, "organizations:ListAccounts", f"the management account {management} is not listed"
        )
    return Organization(org_id, management, tuple(sorted(accounts.items()))), None
