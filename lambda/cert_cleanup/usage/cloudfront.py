"""CloudFront (global): ``ViewerCertificate.IAMCertificateId`` is the certificate's ServerCertificateId."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cert_cleanup.aws.clients import every, lookup
from cert_cleanup.aws.permissions import Permission
from cert_cleanup.models import Use
from cert_cleanup.usage.scope import Scope

if TYPE_CHECKING:
    from mypy_boto3_cloudfront import CloudFrontClient

SERVICE = "cloudfront"
PERMISSIONS = (Permission("cloudfront:ListDistributions"),)
REGIONAL = False
PAGE_SIZE = 1000  # ListDistributions' maximum MaxItems


def find_uses(client: CloudFrontClient, scope: Scope) -> list[Use]:
    def fetch() -> list[Use]:
        # DistributionList is required; its Items is absent when there are none. ViewerCertificate is required.
        summaries = every(
            client, "list_distributions", lambda page: page["DistributionList"].get("Items", []), page_size=PAGE_SIZE
        )
        return [
            Use(SERVICE, "global", summary["ARN"], certificate_id=summary["ViewerCertificate"]["IAMCertificateId"])
            for summary in summaries
            if summary["ViewerCertificate"].get("IAMCertificateId")
        ]

    return lookup(SERVICE, "global", "ListDistributions", fetch)
