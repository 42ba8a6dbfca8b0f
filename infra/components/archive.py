"""The archive bucket: a copy of each certificate before it is deleted, kept when the stack goes."""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_s3 as s3
from constructs import Construct

NONCURRENT_VERSION_DAYS = 90
TRANSITION_TO_GLACIER_DAYS = 30
EXPIRE_AFTER_DAYS = 3 * 365


def private_bucket(scope: Construct, construct_id: str, **extra: Any) -> s3.Bucket:
    """A bucket no one outside the account reaches by accident: public access blocked, SSE-S3,
    TLS only, versioned, owner-enforced objects, kept when the stack is deleted."""
    return s3.Bucket(
        scope,
        construct_id,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        encryption=s3.BucketEncryption.S3_MANAGED,
        enforce_ssl=True,
        versioned=True,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        removal_policy=RemovalPolicy.RETAIN,
        **extra,
    )


class Archive(Construct):
    """Private, encrypted, TLS-only, versioned; objects move to Glacier, then expire."""

    def __init__(self, scope: Construct, construct_id: str, *, prefix: str) -> None:
        super().__init__(scope, construct_id)
        self.prefix = prefix
        self.bucket = private_bucket(
            self,
            "Bucket",
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="archive-retention",
                    transitions=[
                        s3.Transition(
                            storage_class=s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
                            transition_after=Duration.days(TRANSITION_TO_GLACIER_DAYS),
                        )
                    ],
                    expiration=Duration.days(EXPIRE_AFTER_DAYS),
                    noncurrent_version_expiration=Duration.days(NONCURRENT_VERSION_DAYS),
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                )
            ],
        )

    def objects_arn(self) -> str:
        """The ARN pattern of the objects the function may write: only under its prefix."""
        return self.bucket.arn_for_objects(f"{self.prefix}*")
