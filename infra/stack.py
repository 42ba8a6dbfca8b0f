"""The single-account stack: the CertCleanup construct (infra/account.py) and the outputs ``cdk deploy`` prints."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from cert_cleanup.config import names

from .account import ARGUMENTS, CertCleanup
from .config import DeployConfig


class CertCleanupStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, config: DeployConfig, **kwargs: Any) -> None:
        super().__init__(
            scope,
            construct_id,
            description="cert-cleanup: removes expired unused IAM server certificates (CIS 1.19)",
            **kwargs,
        )
        # Added as "Default": the CDK leaves that id out of logical IDs, so every resource keeps the logical ID it
        # had when this stack built them itself (a changed ID would replace it: topics lose their confirmed
        # subscriptions, a new archive bucket is made and the old one kept).
        self.cert_cleanup = built = CertCleanup(self, "Default", **config.model_dump(include=set(ARGUMENTS)))
        notifications = built.notifications
        cleanup = built.cleanup
        self.notifications = notifications
        self.archive = archive = cleanup.archive
        self.cleanup = cleanup.function
        self.security_hub = cleanup.security_hub

        CfnOutput(self, "TopicArn", value=notifications.topic.topic_arn, description="Every run's result")
        CfnOutput(self, "AlarmTopicArn", value=notifications.alarm_topic.topic_arn, description="Alarms")
        assert cleanup.dashboard is not None  # only organization members may go without one
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
        CfnOutput(
            self,
            names.LEASE_TABLE_OUTPUT,
            value=cleanup.lease_table.table_name,
            description="The run lease: one run at a time (the command line finds it here)",
        )
        if archive:
            CfnOutput(
                self,
                "ArchiveBucketName",
                value=archive.bucket.bucket_name,
                description="Certificates archived before deletion",
            )
