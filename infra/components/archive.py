"""The archive bucket: a copy of each certificate before it is deleted, kept when the stack goes."""

from __future__ import annotations

from typing import Any

from aws_cdk import Aws, Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from cert_cleanup.config import names

NONCURRENT_VERSION_DAYS = 90
EXPIRE_AFTER_DAYS = 3 * 365


def private_bucket(scope: Construct, construct_id: str, **extra: Any) -> s3.Bucket:
    """A bucket no one outside the account reaches by accident: public access blocked, SSE-S3,
    TLS only, versioned, owner-enforced objects; kept when the stack is deleted unless ``extra`` says otherwise."""
    settings: dict[str, Any] = {"removal_policy": RemovalPolicy.RETAIN, **extra}
    return s3.Bucket(
        scope,
        construct_id,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        encryption=s3.BucketEncryption.S3_MANAGED,
        enforce_ssl=True,
        versioned=True,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        **settings,
    )


class Archive(Construct):
    """Private, encrypted, TLS-only, versioned, write-once objects that expire after three years.

    Objects stay in S3 Standard: they are a few KB each, S3 does not transition objects under
    128 KB by default, and the colder classes bill at least 128 KB per object.
    """

    def __init__(self, scope: Construct, construct_id: str, *, bucket: s3.IBucket | None = None) -> None:
        """``bucket``: the user's own, used as it is. Its policy is theirs: the write-once Deny below would refuse
        their other writers' plain PutObject, so it is added only to the bucket made here (the function writes
        with If-None-Match either way)."""
        super().__init__(scope, construct_id)
        self.bucket: s3.IBucket
        if bucket is not None:
            self.bucket = bucket
            return
        self.bucket = private_bucket(
            self,
            "Bucket",
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="archive-retention",
                    expiration=Duration.days(EXPIRE_AFTER_DAYS),
                    noncurrent_version_expiration=Duration.days(NONCURRENT_VERSION_DAYS),
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                )
            ],
        )
        # Write-once: S3 refuses any object write without If-None-Match (so an existing archive is
        # never replaced); multipart parts, which cannot carry the header, are exempt.
        self.bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="DenyOverwritingArchives",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=["s3:PutObject"],
                resources=[self.bucket.arn_for_objects("*")],
                conditions={
                    "Null": {"s3:if-none-match": "true"},
                    "Bool": {"s3:ObjectCreationOperation": "true"},
                },
            )
        )

    def objects_arn(self) -> str:
        """The objects the function may write: only under ``cert-cleanup/<this account>/``, where it writes them."""
        return self.bucket.arn_for_objects(f"{names.ARCHIVE_PREFIX}{Aws.ACCOUNT_ID}/*")
