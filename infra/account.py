"""``CertCleanup``: the single-account clean-up as a construct for any stack, the user's or this repository's.

One account's topics and their key, the archive, the scheduled function with its role, queue and alarms, the
Security Hub rules and the dashboard. Configured by typed keyword arguments, checked by DeployConfig (the one
definition of each setting, which also reads this repository's context keys); it reads no context and changes
nothing of the stack it is added to (no output, no stack setting). Its cdk-nag acknowledgements are scoped to its
own resources.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Aws
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from cert_cleanup.config.types import TellPeopleChoice

from . import nag
from .arguments import from_arguments
from .components.chat import ChatChannels
from .components.cleanup import add_cleanup
from .components.monitoring import alarm_arn_pattern
from .components.notifications import Notifications
from .config import ORGANIZATION_ONLY, DeployConfig

# The DeployConfig fields that are CertCleanup's keyword arguments (a test holds the signature to this).
ARGUMENTS = tuple(name for name in DeployConfig.model_fields if name != "mode" and name not in ORGANIZATION_ONLY)


class CertCleanup(Construct):
    """Deletes the account's expired IAM server certificates that nothing uses (CIS AWS 1.19, Security Hub IAM.26).

    Every setting defaults to DeployConfig's default when left ``None`` (docs/construct.md lists them). A wrong
    value raises ``ArgumentError`` naming the argument. ``topic``, ``alarm_topic``, ``key`` and ``archive_bucket``
    take the user's own resources instead of creating them.

    Attributes: ``function``, ``topic``, ``alarm_topic``, ``key``, ``archive_bucket`` (``None`` when
    ``archive=False``), ``dashboard``, ``failure_queue``, ``chat_topic`` (``None`` without a chat channel) and
    ``config`` (the checked settings).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        notification_emails: Sequence[str] | None = None,
        no_subscribers: bool | None = None,
        schedule: str | None = None,
        dry_run: bool | None = None,
        grace_days: int | None = None,
        expiry_warning_days: int | None = None,
        exempt_tag_key: str | None = None,
        archive: bool | None = None,
        log_retention_days: int | None = None,
        account_label: str | None = None,
        reserved_concurrency: bool | None = None,
        tell_people: TellPeopleChoice | None = None,
        reminder_days: Sequence[int] | None = None,
        run_interval_minutes: int | None = None,
        reevaluate_config_rule: bool | None = None,
        findings_start_runs: bool | None = None,
        update_findings: bool | None = None,
        security_hub_custom_action: bool | None = None,
        security_hub_aggregation_region: str | None = None,
        slack_workspace_id: str | None = None,
        slack_channel_id: str | None = None,
        teams_tenant_id: str | None = None,
        teams_team_id: str | None = None,
        teams_channel_id: str | None = None,
        topic: sns.ITopic | None = None,
        alarm_topic: sns.ITopic | None = None,
        key: kms.IKey | None = None,
        archive_bucket: s3.IBucket | None = None,
    ) -> None:
        """``topic``: every run's result (people's emails filter on ``audience=people``); ``alarm_topic``: the
        alarms (CloudWatch must be allowed to publish to it: added to its policy when it is a topic of this app);
        ``key``: the function publishes with it (by default the key of ``topic`` when the CDK knows it), and, given,
        it encrypts the topics and failure queue created here (else a key is made for them); ``archive_bucket``:
        where certificates are archived before deletion, under ``cert-cleanup/<account id>/`` (its policy is left as
        it is)."""
        super().__init__(scope, construct_id)
        settings = {name: value for name, value in locals().items() if name in ARGUMENTS}
        config = from_arguments("CertCleanup", {**settings, "mode": "account"}, allowed=ARGUMENTS)
        if archive_bucket is not None and not config.archive:
            raise ValueError("CertCleanup: argument 'archive_bucket' is given but archive=False: give one or the other")
        self.config = config

        notifications = Notifications(
            self, "Notifications", emails=config.notification_emails, key=key, topic=topic, alarm_topic=alarm_topic
        )
        # The stack's own alarms (named with the alarm prefix) in this account and region may publish.
        notifications.allow_alarms(alarm_arn_pattern(), account=Aws.ACCOUNT_ID)
        # The key the function encrypts its results with: ``key``, else the key of the topic given (so that a
        # topic encrypted with a key of the user's works without saying it twice), else the construct's own.
        topic_key = key or (topic.master_key if topic is not None else None) or notifications.key
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
            topic_key_arn=topic_key.key_arn,
            queue_key=notifications.key,
            chat_topic=chat.topic if chat else None,
            archive_bucket=archive_bucket,
        )
        self.notifications = notifications
        self.cleanup = cleanup
        self.function: lambda_.Function = cleanup.function.function
        self.failure_queue: sqs.Queue = cleanup.function.failure_queue
        self.topic: sns.ITopic = notifications.topic
        self.alarm_topic: sns.ITopic = notifications.alarm_topic
        self.key: kms.IKey = notifications.key
        self.archive_bucket: s3.IBucket | None = cleanup.archive.bucket if cleanup.archive else None
        self.dashboard: cloudwatch.Dashboard | None = cleanup.dashboard
        self.lease_table: dynamodb.Table = cleanup.lease_table  # the run lease (one run at a time)
        self.chat_topic: sns.ITopic | None = chat.topic if chat else None
        nag.acknowledge_cleanup(self, archive_bucket=self.archive_bucket)
