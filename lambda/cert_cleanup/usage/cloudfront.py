"""CloudFront (global): ``ViewerCertificate.IAMCertificateId`` is the certificate's ServerCertificateId."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cert_cleanup.aws.clients import lookup
from cert_cleanup.models import Use
from cert_cleanup.usage.scope import Scope

if TYPE_CHECKING:
    from mypy_boto3_cloudfront import CloudFrontClient

SERVICE = "cloudfront"
REGIONAL = False
PAGE_SIZE = 1000  # ListDistributions' maximum MaxItems


def find_uses(client: CloudFrontClient, scope: Scope) -> list[Use]:
    def fetch() -> list[Use]:
        uses = []
        paginator = client.get_paginator("list_distributions")
        for page in paginator.paginate(PaginationConfig={"PageSize": PAGE_SIZE}):
            distribution_list = page["DistributionList"]
            for summary in distribution_list.get("Items", []):  # absent when there are none
                certificate_id = summary["ViewerCertificate"].get("IAMCertificateId")  # required in a summary
                if certificate_id:
                    uses.append(Use(SERVICE, "global", summary["ARN"], certificate_id=certificate_id))
        return uses

    result: list[Use] = lookup(SERVICE, "global", "ListDistributions", fetch)
    return result
