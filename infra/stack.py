"""The single-account stack: notifications, archive, function + schedule, monitoring."""

from __future__ import annotations

from typing import Any

from aws_cdk import Aws, CfnOutput, Stack
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from constructs import Construct

from cert_cleanup.config import names
from cert_cleanup.config.settings import Settings
from infra.components.archive import Archive
from infra.components.function import CleanupFunction
from infra.components.monitoring import Monitoring, alarm_arn_pattern
from infra.components.notifications import Notifications
from infra.config import DeployConfig

LOG_RETENTION = {
    1: logs.RetentionDays.ONE_DAY,
    3: logs.RetentionDays.THREE_DAYS,
    5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    120: logs.RetentionDays.FOUR_MONTHS,
    150: logs.RetentionDays.FIVE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
    400: logs.RetentionDays.THIRTEEN_MONTHS,
    545: logs.RetentionDays.EIGHTEEN_MONTHS,
    731: logs.RetentionDays.TWO_YEARS,
    1096: logs.RetentionDays.THREE_YEARS,
    1827: logs.RetentionDays.FIVE_YEARS,
    2192: logs.RetentionDays.SIX_YEARS,
    2557: logs.RetentionDays.SEVEN_YEARS,
    2922: logs.RetentionDays.EIGHT_YEARS,
    3288: logs.RetentionDays.NINE_YEARS,
    3653: logs.RetentionDays.TEN_YEARS,
}


def function_environment(config: DeployConfig, *, tell_people: str = "on-change") -> dict[str, str]:
    """The function's settings as environment variables, checked by the function's own rules.

    ``tell_people`` is the default when the context does not set ``tellPeople``.
    """
    environment = {
        names.ENV_DRY_RUN: str(config.dry_run).lower(),
        names.ENV_GRACE_DAYS: str(config.grace_days),
        names.ENV_EXPIRY_WARNING_DAYS: str(config.expiry_warning_days),
        names.ENV_EXEMPT_TAG_KEY: config.exempt_tag_key,
        names.ENV_ARCHIVE_PREFIX: names.DEFAULT_ARCHIVE_PREFIX,
        names.ENV_TELL_PEOPLE: config.tell_people or tell_people,
        names.ENV_REMINDER_DAYS: ",".join(str(days) for days in config.reminder_days),
        names.ENV_RUN_INTERVAL_MINUTES: str(config.interval_minutes),
        names.ENV_REEVALUATE_CONFIG_RULE: str(config.reevaluate_config_rule).lower(),
    }
    if config.account_label:
        environment[names.ENV_ACCOUNT_LABEL] = config.account_label
    Settings.build(**environment)  # the function would refuse what this refuses
    return environment


def add_cleanup(
    scope: Construct,
    config: DeployConfig,
    *,
    topic: sns.ITopic,
    alarm_topic: sns.ITopic,
    topic_key_arn: str,
    queue_key: kms.IKey | None,
    read_account_alias: bool = False,
    role_name: str | None = None,
    tell_people: str = "on-change",
) -> tuple[CleanupFunction, Archive | None]:
    """The function stack's body, shared by one account and every organization member:
    the archive (if on), the function with its role, queue and schedule, and its alarms."""
    archive = Archive(scope, "Archive", prefix=names.DEFAULT_ARCHIVE_PREFIX) if config.archive else None
    environment = function_environment(config, tell_people=tell_people)
    if archive:
        environment[names.ENV_ARCHIVE_BUCKET] = archive.bucket.bucket_name
    if read_account_alias:
        environment[names.ENV_READ_ACCOUNT_ALIAS] = "true"
    cleanup = CleanupFunction(
        scope,
        "Cleanup",
        environment=environment,
        topic=topic,
        topic_key_arn=topic_key_arn,
        queue_key=queue_key,
        archive_objects_arn=archive.objects_arn() if archive else None,
        schedule=config.schedule,
        log_retention=LOG_RETENTION[config.log_retention_days],
        exempt_tag_key=config.exempt_tag_key,
        read_account_alias=read_account_alias,
        reserved_concurrency=config.reserved_concurrency,
        role_name=role_name,
        reevaluate_config_rule=config.reevaluate_config_rule,
    )
    Monitoring(scope, "Monitoring", function=cleanup.function, queue=cleanup.failure_queue, topic=alarm_topic)
    return cleanup, archive


class CertCleanupStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, config: DeployConfig, **kwargs: Any) -> None:
        super().__init__(
            scope,
            construct_id,
            description="cert-cleanup: removes expired unused IAM server certificates (CIS 1.19)",
            **kwargs,
        )
        notifications = Notifications(self, "Notifications", emails=config.notification_emails)
        # The stack's own alarms (named with the alarm prefix) in this account and region may publish.
        notifications.allow_alarms(alarm_arn_pattern(), account=Aws.ACCOUNT_ID)
        cleanup, archive = add_cleanup(
            self,
            config,
            topic=notifications.topic,
            alarm_topic=notifications.alarm_topic,
            topic_key_arn=notifications.key.key_arn,
            queue_key=notifications.key,
        )

        self.notifications = notifications
        self.archive = archive
        self.cleanup = cleanup

        CfnOutput(self, "TopicArn", value=notifications.topic.topic_arn, description="Every run's result")
        CfnOutput(self, "AlarmTopicArn", value=notifications.alarm_topic.topic_arn, description="Alarms")
        CfnOutput(
            self,
            "FunctionName",
            value=cleanup.function.function_name,
            description="Run it by hand with aws lambda invoke",
        )
        if archive:
            CfnOutput(
                self,
                "ArchiveBucketName",
                value=archive.bucket.bucket_name,
                description="Certificates archived before deletion",
            )
