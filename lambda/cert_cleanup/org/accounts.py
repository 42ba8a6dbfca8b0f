"""AWS Organizations: the active accounts of the OUs the StackSet targets, which should all report.

A service-managed StackSet deploys to every account of a target OU and of the OUs below it, never to the
management account (CloudFormation User Guide, StackSets with service-managed permissions); so do these lists.
Organizations answers these calls only in the management account or a delegated administrator (Organizations
API Reference, ListAccountsForParent), which is where the organization stack is deployed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from cert_cleanup.aws.permissions import On, Permission

if TYPE_CHECKING:
    from mypy_boto3_organizations import OrganizationsClient

PERMISSIONS = (
    Permission("organizations:DescribeOrganization"),  # the management account's id (no resource type: "*")
    Permission("organizations:ListAccountsForParent", On.ORGANIZATION_UNITS),
    Permission("organizations:ListChildren", On.ORGANIZATION_UNITS),
)
# Accounts whose stack can run: Organizations' newer State field, or the older Status.
ACTIVE = "ACTIVE"


class ListingIncomplete(Exception):
    """The listing ran out of time before every OU was read."""


def expected_accounts(
    organizations: OrganizationsClient, unit_ids: Iterable[str], *, keep_going: Callable[[], bool]
) -> set[str]:
    """Every active account in ``unit_ids`` and the OUs below them, except the management account."""
    management = organizations.describe_organization()["Organization"]["MasterAccountId"]
    accounts: set[str] = set()
    pending, seen = list(unit_ids), set(unit_ids)
    accounts_pages = organizations.get_paginator("list_accounts_for_parent")
    children_pages = organizations.get_paginator("list_children")
    while pending:
        if not keep_going():
            raise ListingIncomplete(f"{len(pending)} OUs not read in time")
        parent = pending.pop()
        for page in accounts_pages.paginate(ParentId=parent):
            for account in page["Accounts"]:
                state = account.get("State") or account.get("Status")
                if state == ACTIVE:
                    accounts.add(account["Id"])
        for children in children_pages.paginate(ParentId=parent, ChildType="ORGANIZATIONAL_UNIT"):
            for child in children["Children"]:
                if child["Id"] not in seen:
                    seen.add(child["Id"])
                    pending.append(child["Id"])
    accounts.discard(management)
    return accounts
