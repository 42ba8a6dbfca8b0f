"""AppSync custom domain names: ``certificateArn`` may be an ACM or an IAM server certificate."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cert_cleanup.aws.clients import lookup
from cert_cleanup.models import Use
from cert_cleanup.usage.scope import Scope

if TYPE_CHECKING:
    from mypy_boto3_appsync import AppSyncClient

SERVICE = "appsync"
REGIONAL = True
PAGE_SIZE = 25  # ListDomainNames' maximum maxResults


def find_uses(client: AppSyncClient, scope: Scope) -> list[Use]:
    def fetch() -> list[Use]:
        uses = []
        paginator = client.get_paginator("list_domain_names")
        for page in paginator.paginate(PaginationConfig={"PageSize": PAGE_SIZE}):
            for config in page["domainNameConfigs"]:
                certificate_arn = config.get("certificateArn")
                if not certificate_arn:
                    continue
                domain_arn = config.get("domainNameArn") or (
                    f"arn:{scope.partition}:appsync:{scope.region}:{scope.account}:domainnames/{config['domainName']}"
                )
                uses.append(Use(SERVICE, scope.region, domain_arn, certificate_arn=certificate_arn))
        return uses

    result: list[Use] = lookup(SERVICE, scope.region, "ListDomainNames", fetch)
    return result
