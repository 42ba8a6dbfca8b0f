"""The organization digest: a queue collecting every member's result, a daily function, a report bucket."""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from cert_cleanup.aws.permissions import On
from cert_cleanup.config import names
from cert_cleanup.org import job as digest_job

from .archive import private_bucket
from .scheduled_function import ScheduledFunction

TIMEOUT = Duration.minutes(15)
VISIBILITY = Duration.minutes(names.DIGEST_QUEUE_VISIBILITY_MINUTES)  # longer than TIMEOUT
# Measured (docs/benchmarks.md, "The organization digest"): 104 MB peak and 6.8 s of CPU at 5,000 accounts.
MEMORY_MB = 512
REPORT_DAYS = 400
SIDS = {
    On.DIGEST_QUEUE: "ReadAndRemoveResults",
    On.REPORTS: "WriteReports",
    On.TOPIC: "EmailDigest",
    On.TOPIC_KEY: "EncryptForTopic",
}


class OrganizationDigest(ScheduledFunction):
    """Collects member results (SQS, raw delivery, results only) and emails one digest a day.

    Messages leave the queue only after the digest wrote its report and published its email; a
    failed digest releases them and the next one includes them (the queue keeps them 14 days).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        topic: sns.ITopic,
        alarm_topic: sns.ITopic,
        topic_key_arn: str,
        schedule: str,
        log_retention: logs.RetentionDays,
    ) -> None:
        owned: dict[str, Any] = {}

        def queue_and_bucket(owner: Construct) -> dict[str, Any]:
            owned["queue"] = sqs.Queue(
                owner,
                "Results",
                encryption=sqs.QueueEncryption.SQS_MANAGED,
                enforce_ssl=True,
                retention_period=Duration.days(names.DIGEST_QUEUE_RETENTION_DAYS),
                visibility_timeout=VISIBILITY,
            )
            owned["bucket"] = private_bucket(
                owner,
                "Reports",
                lifecycle_rules=[
                    s3.LifecycleRule(
                        expiration=Duration.days(REPORT_DAYS),
                        noncurrent_version_expiration=Duration.days(30),
                        abort_incomplete_multipart_upload_after=Duration.days(1),
                    )
                ],
            )
            return {
                "environment": {
                    names.ENV_DIGEST_QUEUE_URL: owned["queue"].queue_url,
                    names.ENV_REPORT_BUCKET: owned["bucket"].bucket_name,
                    names.ENV_SNS_TOPIC_ARN: topic.topic_arn,
                    "POWERTOOLS_SERVICE_NAME": names.DIGEST_SERVICE_NAME,
                }
            }

        super().__init__(
            scope,
            construct_id,
            description="cert-cleanup organization digest: one email and one report a day for every member",
            role_description="cert-cleanup digest: read member results, write the report, email the organization",
            handler=names.DIGEST_HANDLER,
            timeout=TIMEOUT,
            memory_mb=MEMORY_MB,
            environment={},
            schedule=schedule,
            log_retention=log_retention,
            alarm_topic=alarm_topic,
            alarm_name="digest-errors",
            alarm_description="cert-cleanup digest failed: member results stay queued for the next digest.",
            alarm_id="DigestErrors",
            owned_options=queue_and_bucket,
        )
        self.queue: sqs.Queue = owned["queue"]
        self.bucket: s3.Bucket = owned["bucket"]
        subscription = topic.add_subscription(subscriptions.SqsSubscription(self.queue, raw_message_delivery=True))
        cfn = subscription.node.default_child
        assert isinstance(cfn, sns.CfnSubscription)
        cfn.filter_policy = names.RESULTS_FILTER_POLICY  # run results only: not alarms, not the digest itself

        # Exactly what the digest's modules declare (cert_cleanup.org.job.PERMISSIONS), one statement per resource.
        resources = {
            On.DIGEST_QUEUE: [self.queue.queue_arn],
            On.REPORTS: [self.bucket.arn_for_objects(f"{names.REPORT_PREFIX}*")],
            On.TOPIC: [topic.topic_arn],
            On.TOPIC_KEY: [topic_key_arn],
        }
        for on, sid in SIDS.items():
            self.grant(
                sid, [permission.action for permission in digest_job.PERMISSIONS if permission.on is on], resources[on]
            )
        self.grant_own_logs()
