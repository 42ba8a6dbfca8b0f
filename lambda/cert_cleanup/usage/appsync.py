"""AppSync custom domain names: ``certificateArn`` may be an ACM or an IAM server certificate."""

from __future__ import annotations

from operator import itemgetter
from typing import TYPE_CHECKING, Any

from cert_cleanup.aws.clients import every, lookup
from cert_cleanup.aws.permissions import Permission
from cert_cleanup.models import Use
from cert_cleanup.usage.scope import Scope

if TYPE_CHECKING:
    from mypy_boto3_appsync import AppSyncClient

SERVICE = "appsync"
PERMISSIONS = (Permission("appsync:ListDomainNames"),)
REGIONAL = True
PAGE_SIZE = 25  # ListDomainNames' maximum maxResults


def find_uses(client: AppSyncClient, scope: Scope) -> list[Use]:
    def fetch() -> list[Use]:
        configs = every(client, "list_domain_names", itemgetter("domainNameConfigs"), page_size=PAGE_SIZE)
        return [
            Use(SERVICE, scope.region, _domain_arn(config, scope), certificate_arn=config["certificateArn"])
            for config in configs
            if config.get("certificateArn")
        ]

    return lookup(SERVICE, scope.region, "ListDomainNames", fetch)


def _domain_arn(config: Any, scope: Scope) -> str:
    return str(
        config.get("domainNameArn")
        or f"arn:{scope.partition}:appsync:{scope.region}:{scope.account}:domainnames/{config['domainName']}"
    )
