"""The organization digest: the bus every member's result arrives on, a queue collecting them, a daily function,
a report bucket."""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from cert_cleanup.aws.permissions import On
from cert_cleanup.config import names
from cert_cleanup.org import job as digest_job

from ..arns import ANY, arn
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
    On.DIGEST_STATE: "KeepStateBetweenDigests",
    On.REPORT_BUCKET: "TellMissingStateFromRefused",
    On.ORGANIZATION_UNITS: "ListTargetedAccounts",
    On.ANY: "FindManagementAccount",
}


class OrganizationDigest(ScheduledFunction):
    """Collects member results (the central bus, a rule, the queue) and emails one digest a day.

    Members' results arrive as EventBridge events, which carry the account that sent them: the digest believes
    that, not what a result says of itself. The bus takes results from the members' forwarding role, in an account
    of the organization, with cert-cleanup's source and detail-type; its one rule delivers them to the queue.

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
        organization_id: str,
        unit_ids: list[str],
        run_interval_minutes: int,
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
                    names.ENV_ORGANIZATIONAL_UNIT_IDS: ",".join(unit_ids),
                    names.ENV_RUN_INTERVAL_MINUTES: str(run_interval_minutes),
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
        self.bus = events.EventBus(self, "ResultsBus", description="cert-cleanup: every member's run result")
        forwarder_arn = arn("iam", f"role/{names.MEMBER_FORWARDER_ROLE_NAME}", account=ANY)
        self.bus.add_to_resource_policy(
            iam.PolicyStatement(
                sid="MembersForwardTheirResults",
                principals=[iam.AnyPrincipal()],
                actions=["events:PutEvents"],
                resources=[self.bus.event_bus_arn],
                conditions={
                    "StringEquals": {
                        "aws:PrincipalOrgID": organization_id,
                        "events:source": [names.RESULT_EVENT_SOURCE],
                        "events:detail-type": [names.RESULT_DETAIL_TYPE],
                    },
                    "ArnLike": {"aws:PrincipalArn": forwarder_arn},
                },
            )
        )
        self.rule = events.Rule(
            self,
            "ResultsToQueue",
            description="cert-cleanup: member results, to the digest's queue",
            event_bus=self.bus,
            event_pattern=events.EventPattern(
                source=[names.RESULT_EVENT_SOURCE], detail_type=[names.RESULT_DETAIL_TYPE]
            ),
            targets=[targets.SqsQueue(self.queue)],  # the queue's policy admits this rule only (aws:SourceArn)
        )

        # Exactly what the digest's modules declare (cert_cleanup.org.job.PERMISSIONS), one statement per resource.
        resources = {
            On.DIGEST_QUEUE: [self.queue.queue_arn],
            On.REPORTS: [self.bucket.arn_for_objects(f"{names.REPORT_PREFIX}*")],
            On.TOPIC: [topic.topic_arn],
            On.TOPIC_KEY: [topic_key_arn],
            On.DIGEST_STATE: [self.bucket.arn_for_objects(names.DIGEST_STATE_KEY)],
            On.REPORT_BUCKET: [self.bucket.bucket_arn],
            # This organization's root and OUs, whichever account manages it (the ARNs hold the management account)
            On.ORGANIZATION_UNITS: [
                arn("organizations", f"root/{organization_id}/*", account=ANY),
                arn("organizations", f"ou/{organization_id}/*", account=ANY),
            ],
            On.ANY: ["*"],
        }
        for on, sid in SIDS.items():
            actions = list(
                dict.fromkeys(permission.action for permission in digest_job.PERMISSIONS if permission.on is on)
            )
            self.grant(sid, actions, resources[on])
        self.grant_own_logs()
