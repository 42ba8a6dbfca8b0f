"""IAM: list every server certificate, read exemption tags, archive material, delete."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from cert_cleanup.aws.clients import lookup
from cert_cleanup.models import Certificate

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient

SERVICE = "iam"
GLOBAL = "global"
PAGE_SIZE = 1000  # IAM's maximum MaxItems; IAM may still return fewer, the paginator follows IsTruncated


def list_certificates(iam: IAMClient) -> list[Certificate]:
    """Every IAM server certificate in the account, following every page."""

    def fetch() -> list[Certificate]:
        paginator = iam.get_paginator("list_server_certificates")
        certificates = []
        for page in paginator.paginate(PaginationConfig={"PageSize": PAGE_SIZE}):
            for item in page["ServerCertificateMetadataList"]:
                certificates.append(_certificate(item))
        return certificates

    result: list[Certificate] = lookup(SERVICE, GLOBAL, "ListServerCertificates", fetch)
    return result


def list_tags(iam: IAMClient, name: str) -> dict[str, str]:
    """The tags of one certificate (IAM has no batch form)."""

    def fetch() -> dict[str, str]:
        paginator = iam.get_paginator("list_server_certificate_tags")
        tags: dict[str, str] = {}
        for page in paginator.paginate(ServerCertificateName=name):
            for tag in page["Tags"]:
                tags[tag["Key"]] = tag["Value"]
        return tags

    result: dict[str, str] = lookup(SERVICE, GLOBAL, "ListServerCertificateTags", fetch)
    return result


def is_exempt(tags: dict[str, str], exempt_tag_key: str) -> bool:
    """Exempt when the tag is present with the value ``true`` in any case."""
    value = tags.get(exempt_tag_key)
    return value is not None and value.strip().lower() == "true"


def get_material(iam: IAMClient, name: str) -> dict[str, Any]:
    """Body, chain and tags of a certificate in one call: the archive's material and the exemption's
    tags (IAM never returns the private key)."""

    def fetch() -> dict[str, Any]:
        server_certificate = iam.get_server_certificate(ServerCertificateName=name)["ServerCertificate"]
        return {
            "body": server_certificate["CertificateBody"],
            "chain": server_certificate.get("CertificateChain"),
            "tags": {tag["Key"]: tag["Value"] for tag in server_certificate.get("Tags", [])},
        }

    result: dict[str, Any] = lookup(SERVICE, GLOBAL, "GetServerCertificate", fetch)
    return result


def delete_certificate(iam: IAMClient, name: str) -> None:
    iam.delete_server_certificate(ServerCertificateName=name)


def _certificate(item: Any) -> Certificate:
    return Certificate(
        name=item["ServerCertificateName"],
        id=item["ServerCertificateId"],
        arn=item["Arn"],
        path=item["Path"],
        expiration=_utc(item["Expiration"]),
        upload_date=_utc(item["UploadDate"]) if item.get("UploadDate") else None,
    )


def _utc(value: datetime) -> datetime:
    """botocore parses IAM's ISO 8601 timestamps into aware datetimes; anything else is not understood."""
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise TypeError(f"expected a timestamp with its time zone, got {value!r}")
    return value.astimezone(UTC)
