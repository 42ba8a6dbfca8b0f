"""The organization digest: a queue collecting every member's result, a daily function, a report bucket."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from cert_cleanup.config import names
from infra.bundling import ARCHITECTURE, RUNTIME, function_code
from infra.components.archive import private_bucket
from infra.components.monitoring import PERIOD, count_alarm

TIMEOUT = Duration.minutes(15)
# Longer than the function's timeout: a message a running digest holds is not read by the next one.
VISIBILITY = Duration.minutes(20)
MEMORY_MB = 1024
REPORT_DAYS = 400


class OrganizationDigest(Construct):
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
        super().__init__(scope, construct_id)
        self.queue = sqs.Queue(
            self,
            "Results",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
            visibility_timeout=VISIBILITY,
        )
        subscription = topic.add_subscription(subscriptions.SqsSubscription(self.queue, raw_message_delivery=True))
        cfn = subscription.node.default_child
        assert isinstance(cfn, sns.CfnSubscription)
        cfn.filter_policy = names.RESULTS_FILTER_POLICY  # run results only: not alarms, not the digest itself

        self.bucket = private_bucket(
            self,
            "Reports",
            lifecycle_rules=[
                s3.LifecycleRule(
                    expiration=Duration.days(REPORT_DAYS),
                    noncurrent_version_expiration=Duration.days(30),
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                )
            ],
        )
        self.log_group = logs.LogGroup(self, "Logs", retention=log_retention)
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="cert-cleanup digest: read member results, write the report, email the organization",
        )
        statements = [
            iam.PolicyStatement(
                sid="ReadAndRemoveResults",
                actions=["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility"],
                resources=[self.queue.queue_arn],
            ),
            iam.PolicyStatement(
                sid="WriteReports", actions=["s3:PutObject"], resources=[self.bucket.arn_for_objects("digests/*")]
            ),
            iam.PolicyStatement(sid="EmailDigest", actions=["sns:Publish"], resources=[topic.topic_arn]),
            iam.PolicyStatement(
                sid="EncryptForTopic", actions=["kms:Decrypt", "kms:GenerateDataKey*"], resources=[topic_key_arn]
            ),
            iam.PolicyStatement(
                sid="WriteOwnLogs",
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[self.log_group.log_group_arn],
            ),
        ]
        for statement in statements:
            self.role.add_to_policy(statement)

        self.function = lambda_.Function(
            self,
            "Function",
            description="cert-cleanup organization digest: one email and one report a day for every member",
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            handler=names.DIGEST_HANDLER,
            code=function_code(),
            timeout=TIMEOUT,
            memory_size=MEMORY_MB,
            role=self.role,
            retry_attempts=0,
            log_group=self.log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            environment={
                names.ENV_DIGEST_QUEUE_URL: self.queue.queue_url,
                names.ENV_REPORT_BUCKET: self.bucket.bucket_name,
                names.ENV_SNS_TOPIC_ARN: topic.topic_arn,
                "POWERTOOLS_SERVICE_NAME": f"{names.SERVICE_NAME}-digest",
            },
        )
        self.rule = events.Rule(
            self,
            "Schedule",
            description="Sends the cert-cleanup organization digest",
            schedule=events.Schedule.expression(schedule),
            targets=[targets.LambdaFunction(self.function, retry_attempts=0)],
        )
        self.errors = count_alarm(
            self,
            "DigestErrors",
            name="digest-errors",
            description="cert-cleanup digest failed: member results stay queued for the next digest.",
            metric=self.function.metric_errors(period=PERIOD, statistic="Sum"),
            topic=alarm_topic,
        )
