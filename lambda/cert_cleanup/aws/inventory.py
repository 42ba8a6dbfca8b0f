"""IAM: list every server certificate, read exemption tags and archive material, delete; the account's alias."""

from __future__ import annotations

from datetime import UTC, datetime
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from cert_cleanup.aws.clients import every, lookup
from cert_cleanup.aws.permissions import On, Permission
from cert_cleanup.models import Certificate

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient

SERVICE = "iam"
GLOBAL = "global"
PERMISSIONS = (
    Permission("iam:ListServerCertificates"),
    Permission("iam:GetServerCertificate", On.SERVER_CERTIFICATES),
    Permission("iam:DeleteServerCertificate", On.SERVER_CERTIFICATES),
)
# Tags alone, when not archiving (archiving reads them with the material, in GetServerCertificate).
TAG_PERMISSIONS = (Permission("iam:ListServerCertificateTags", On.SERVER_CERTIFICATES),)
# Only when the account is named by its alias (organization members).
ALIAS_PERMISSIONS = (Permission("iam:ListAccountAliases"),)
PAGE_SIZE = 1000  # IAM's maximum MaxItems; IAM may still return fewer, the paginator follows IsTruncated


def list_certificates(iam: IAMClient) -> list[Certificate]:
    """Every IAM server certificate in the account, following every page."""

    def fetch() -> list[Certificate]:
        items = every(iam, "list_server_certificates", itemgetter("ServerCertificateMetadataList"), page_size=PAGE_SIZE)
        return [_certificate(item) for item in items]

    return lookup(SERVICE, GLOBAL, "ListServerCertificates", fetch)


def list_tags(iam: IAMClient, name: str) -> dict[str, str]:
    """The tags of one certificate (IAM has no batch form)."""

    def fetch() -> dict[str, str]:
        tags = every(iam, "list_server_certificate_tags", itemgetter("Tags"), ServerCertificateName=name)
        return {tag["Key"]: tag["Value"] for tag in tags}

    return lookup(SERVICE, GLOBAL, "ListServerCertificateTags", fetch)


def is_exempt(tags: dict[str, str], exempt_tag_key: str) -> bool:
    """Exempt when a tag whose key matches ``exempt_tag_key`` in any case has the value ``true`` in any case.

    The key is matched as IAM matches it: the role's Deny on deleting an exempt certificate names
    ``aws:ResourceTag/<key>``, and IAM's condition key names are case-insensitive, so ``Cert-Cleanup:Exempt=true``
    is exempt for IAM; the code must agree, or it would try a delete that only the Deny stops.
    """
    wanted = exempt_tag_key.lower()
    return any(key.lower() == wanted and value.strip().lower() == "true" for key, value in tags.items())


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

    return lookup(SERVICE, GLOBAL, "GetServerCertificate", fetch)


def current_id(iam: IAMClient, name: str) -> str:
    """The ServerCertificateId the name holds now (raises LookupFailed; NoSuchEntity once it is gone)."""

    def fetch() -> str:
        metadata = iam.get_server_certificate(ServerCertificateName=name)["ServerCertificate"]
        return str(metadata["ServerCertificateMetadata"]["ServerCertificateId"])

    return lookup(SERVICE, GLOBAL, "GetServerCertificate", fetch)


def delete_certificate(iam: IAMClient, name: str) -> None:
    iam.delete_server_certificate(ServerCertificateName=name)


def account_alias(iam: IAMClient) -> str | None:
    """The account's IAM alias, if it has one (raises the AWS error if it cannot be read)."""
    aliases = iam.list_account_aliases()["AccountAliases"]
    return str(aliases[0]) if aliases else None


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
