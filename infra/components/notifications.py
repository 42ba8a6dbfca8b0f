"""The summary topic: encrypted with a customer-managed key, TLS only, email subscriptions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from cert_cleanup import names

# What a publisher to the encrypted topic needs of its key (SNS documents both).
KEY_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey*")
CLOUDWATCH = "cloudwatch.amazonaws.com"


class Notifications(Construct):
    """The topic people and machines subscribe to, and the key that encrypts it (and the failure queue).

    A CloudFormation topic policy replaces SNS's default one, so every publisher other than the
    function's own role must be allowed here, in the topic policy and in the key policy.
    """

    def __init__(self, scope: Construct, construct_id: str, *, emails: Sequence[str]) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "Key",
            description="cert-cleanup: encrypts the summary topic and the failed-run queue",
            enable_key_rotation=True,
            pending_window=Duration.days(30),
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.topic = sns.Topic(
            self,
            "Topic",
            display_name="cert-cleanup",
            master_key=self.key,
            enforce_ssl=True,
        )
        # A mailbox receives what a person should read (and alarms), never the machines-only summaries.
        for email in emails:
            subscription = self.topic.add_subscription(subscriptions.EmailSubscription(email))
            cfn = subscription.node.default_child
            assert isinstance(cfn, sns.CfnSubscription)
            cfn.filter_policy = names.PEOPLE_FILTER_POLICY

    def allow_publishers(
        self,
        sid: str,
        principal: iam.IPrincipal,
        conditions: Mapping[str, Mapping[str, Any]],
        *,
        key_conditions: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        """Let ``principal`` publish under ``conditions``: one statement in the topic policy, its twin in the
        key's, which also holds ``key_conditions`` (keys that only a KMS request carries, e.g. kms:ViaService)."""
        key_only = key_conditions or {}
        combined = {
            operator: {**conditions.get(operator, {}), **key_only.get(operator, {})}
            for operator in dict.fromkeys([*conditions, *key_only])
        }
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid=f"{sid}Publish",
                principals=[principal],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions=dict(conditions),
            )
        )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid=f"{sid}EncryptForTheTopic",
                principals=[principal],
                actions=list(KEY_ACTIONS),
                resources=["*"],
                conditions=combined,
            )
        )

    def allow_alarms(self, alarm_arn_pattern: str, conditions: Mapping[str, Mapping[str, Any]]) -> None:
        """CloudWatch publishes alarm actions as its service principal, bound to the named alarms."""
        self.allow_publishers(
            "Alarms",
            iam.ServicePrincipal(CLOUDWATCH),
            {"ArnLike": {"aws:SourceArn": alarm_arn_pattern}, **conditions},
        )
