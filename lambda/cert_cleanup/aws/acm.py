"""ACM, read only: the issued certificates of one region, as candidates to replace an expired IAM certificate."""

from __future__ import annotations

from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

from cert_cleanup.aws.clients import every, lookup
from cert_cleanup.aws.permissions import On, Permission
from cert_cleanup.successor import ACM, Candidate, normalize

SERVICE = "acm"
PERMISSIONS = (
    Permission("acm:ListCertificates"),
    # Only for a certificate with more than 100 names: ListCertificates gives the first 100.
    Permission("acm:DescribeCertificate", On.ACM_CERTIFICATES),
)
PAGE_SIZE = 1000  # ListCertificates' maximum MaxItems
# ListCertificates returns only RSA_1024 and RSA_2048 certificates unless Includes.keyTypes names others (ACM API
# reference, Filters: "Default filtering returns only RSA_1024 and RSA_2048 certificates"): ask for every type.
KEY_TYPES = ("RSA_1024", "RSA_2048", "RSA_3072", "RSA_4096", "EC_prime256v1", "EC_secp384r1", "EC_secp521r1")


def issued_certificates(acm: Any, region: str) -> list[Candidate]:
    """Every ISSUED certificate of ``region`` with every name it covers (raises LookupFailed)."""

    def fetch() -> list[Candidate]:
        summaries = every(
            acm,
            "list_certificates",
            itemgetter("CertificateSummaryList"),
            page_size=PAGE_SIZE,
            CertificateStatuses=["ISSUED"],
            Includes={"keyTypes": list(KEY_TYPES)},
        )
        return [_candidate(acm, region, summary) for summary in summaries if summary.get("NotAfter")]

    return lookup(SERVICE, region, "ListCertificates", fetch)


def _candidate(acm: Any, region: str, summary: Any) -> Candidate:
    arn = summary["CertificateArn"]
    names = [summary["DomainName"], *summary.get("SubjectAlternativeNameSummaries", [])]
    if summary.get("HasAdditionalSubjectAlternativeNames"):
        names = [summary["DomainName"], *_all_names(acm, region, arn)]
    return Candidate(
        arn=arn,
        source=ACM,
        names=normalize(names),
        not_after=_utc(summary["NotAfter"]),
        region=region,
        key_algorithm=summary.get("KeyAlgorithm"),
    )


def _all_names(acm: Any, region: str, arn: str) -> list[str]:
    def fetch() -> list[str]:
        return list(acm.describe_certificate(CertificateArn=arn)["Certificate"]["SubjectAlternativeNames"])

    return lookup(SERVICE, region, "DescribeCertificate", fetch)


def _utc(value: datetime) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise TypeError(f"expected a timestamp with its time zone, got {value!r}")
    return value.astimezone(UTC)
