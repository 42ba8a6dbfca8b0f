"""The single-account stack: the topics and their key, and the clean-up (archive, function, schedule, alarms)."""

from __future__ import annotations

from typing import Any

from aws_cdk import Aws, CfnOutput, Stack
from constructs import Construct

from infra.components.chat import ChatChannels
from infra.components.cleanup import add_cleanup
from infra.components.monitoring import alarm_arn_pattern
from infra.components.notifications import Notifications
from infra.config import DeployConfig


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
        chat = (
            ChatChannels(self, "Chat", config=config, key=notifications.key, alarm_topic=notifications.alarm_topic)
            if config.chat
            else None
        )
        cleanup = add_cleanup(
            self,
            config,
            topic=notifications.topic,
            alarm_topic=notifications.alarm_topic,
            topic_key_arn=notifications.key.key_arn,
            queue_key=notifications.key,
            chat_topic=chat.topic if chat else None,
        )

        self.notifications = notifications
        self.archive = archive = cleanup.archive
        self.cleanup = cleanup.function
        self.security_hub = cleanup.security_hub

        CfnOutput(self, "TopicArn", value=notifications.topic.topic_arn, description="Every run's result")
        CfnOutput(self, "AlarmTopicArn", value=notifications.alarm_topic.topic_arn, description="Alarms")
        CfnOutput(
            self,
            "DashboardName",
            value=cleanup.dashboard.dashboard_name,
            description="CloudWatch dashboard: certificates by state, runs, failed lookups, alarms",
        )
        CfnOutput(
            self,
            "FunctionName",
            value=cleanup.function.function.function_name,
            description="Run it by hand with aws lambda invoke",
        )
        if archive:
            CfnOutput(
                self,
                "ArchiveBucketName",
                value=archive.bucket.bucket_name,
                description="Certificates archived before deletion",
            )
