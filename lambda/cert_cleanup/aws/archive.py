"""S3: keep a copy of each certificate (body, chain, tags, evidence) before it is deleted."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from cert_cleanup.aws.permissions import On, Permission
from cert_cleanup.config import names
from cert_cleanup.models import Certificate

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


PERMISSIONS = (Permission("s3:PutObject", On.ARCHIVE),)


def object_key(account: str, cert: Certificate, run_id: str) -> str:
    """``cert-cleanup/<account>/<certificate name>/<run id>.json``: one object per certificate per run."""
    return f"{names.ARCHIVE_PREFIX}{account}/{cert.name}/{run_id}.json"


def archive_certificate(
    s3: S3Client,
    *,
    bucket: str,
    key: str,
    account: str,
    run_id: str,
    cert: Certificate,
    material: dict[str, Any],
    evidence: dict[str, Any],
    now: datetime,
) -> str:
    """Write one JSON object describing ``cert``; return its ``s3://`` address.

    ``ExpectedBucketOwner`` makes S3 refuse the write if the bucket is not the account's own, and
    ``IfNoneMatch="*"`` makes it refuse to replace an object that exists (412 PreconditionFailed):
    an archive, once written, is never overwritten. The bucket policy denies any write without it.
    """
    document = {
        "schema": "cert-cleanup/archive/v1",
        "run_id": run_id,
        "archived_at": now.isoformat(),
        "account": account,
        "metadata": {
            "name": cert.name,
            "id": cert.id,
            "arn": cert.arn,
            "path": cert.path,
            "expiration": cert.expiration.isoformat(),
            "upload_date": cert.upload_date.isoformat() if cert.upload_date else None,
        },
        "certificate_body": material["body"],
        "certificate_chain": material.get("chain"),
        "tags": material.get("tags", {}),
        "evidence": evidence,
        "note": "IAM never returns the private key; it is not in this archive.",
    }
    s3.put_object(
        Bucket=bucket,
        Key=key,
        Body=json.dumps(document, indent=2).encode(),
        ContentType="application/json",
        ExpectedBucketOwner=account,
        IfNoneMatch="*",
    )
    return f"s3://{bucket}/{key}"
