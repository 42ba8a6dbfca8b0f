"""A chat channel (Slack or Microsoft Teams) through Amazon Q Developer in chat applications (formerly AWS Chatbot;
CloudFormation types ``AWS::Chatbot::*``), from the context keys named after their properties.

The channel is subscribed to two topics:

- the **chat topic**, where the function posts what people are told, as a custom notification (the service's
  documented event schema). A topic of its own because the service makes its subscriptions itself, with no
  filter policy: subscribed to the results topic, it would receive every run, the machines-only ones too;
- the **alarm topic**: CloudWatch alarm notifications, which the service formats itself.

The channel's role has no permission at all and its guardrail is AWS's ``AWSDenyAll`` managed policy: the channel
shows notifications, and nobody can run an AWS command from it.
"""

from __future__ import annotations

from aws_cdk import Aws
from aws_cdk import aws_chatbot as chatbot
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from constructs import Construct

from ..config import DeployConfig

DENY_ALL = "arn:{partition}:iam::aws:policy/AWSDenyAll"


class ChatChannels(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, config: DeployConfig, key: kms.IKey, alarm_topic: sns.ITopic
    ) -> None:
        super().__init__(scope, construct_id)
        self.topic = sns.Topic(self, "Topic", display_name="cert-cleanup chat", master_key=key, enforce_ssl=True)
        role = iam.Role(
            self,
            "ChannelRole",
            assumed_by=iam.ServicePrincipal("chatbot.amazonaws.com"),
            description="cert-cleanup's chat channel: notifications only, no permission",
        )
        topics = [self.topic.topic_arn, alarm_topic.topic_arn]
        guardrails = [DENY_ALL.format(partition=Aws.PARTITION)]
        name = f"cert-cleanup-{Aws.STACK_NAME}"  # configuration names are unique per account: one per platform
        if config.slack_workspace_id and config.slack_channel_id:
            chatbot.CfnSlackChannelConfiguration(
                self,
                "Slack",
                configuration_name=f"{name}-slack",
                iam_role_arn=role.role_arn,
                slack_workspace_id=config.slack_workspace_id,
                slack_channel_id=config.slack_channel_id,
                sns_topic_arns=topics,
                guardrail_policies=guardrails,
                logging_level="ERROR",
                user_role_required=False,
            )
        if config.teams_tenant_id and config.teams_team_id and config.teams_channel_id:
            chatbot.CfnMicrosoftTeamsChannelConfiguration(
                self,
                "Teams",
                configuration_name=f"{name}-teams",
                iam_role_arn=role.role_arn,
                teams_tenant_id=config.teams_tenant_id,
                team_id=config.teams_team_id,
                teams_channel_id=config.teams_channel_id,
                sns_topic_arns=topics,
                guardrail_policies=guardrails,
                logging_level="ERROR",
                user_role_required=False,
            )
