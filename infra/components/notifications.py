"""Two topics under one customer-managed key: run results, and alarms. TLS only, email subscriptions.

Alarms have a topic of their own because an email subscription to the results topic filters on the
``audience`` message attribute, and a CloudWatch alarm notification carries no attribute at all:
SNS never matches a MessageAttributes-scoped filter policy against a message without attributes
(SNS Developer Guide, "Key matching"). The alarm topic has no filter, so every alarm reaches every
address.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from cert_cleanup.config import names
from cert_cleanup.notify import publish

CLOUDWATCH = "cloudwatch.amazonaws.com"


class Notifications(Construct):
    """``topic``: every run's result, for people (``audience=people``, emailed) and machines (all of them).
    ``alarm_topic``: CloudWatch alarms, emailed to every address unfiltered. ``key`` encrypts both (and,
    in one account, the failure queue).

    A CloudFormation topic policy replaces SNS's default one, so every publisher other than the
    deploying account's own principals must be allowed here, in the topic policy and in the key policy.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        emails: Sequence[str],
        key: kms.IKey | None = None,
        topic: sns.ITopic | None = None,
        alarm_topic: sns.ITopic | None = None,
    ) -> None:
        """``key``, ``topic``, ``alarm_topic``: the user's own, used instead of creating them (a construct library's
        "bring your own"); a topic given is the user's to encrypt, ``key`` encrypts what is created here."""
        super().__init__(scope, construct_id)
        self.key = key or kms.Key(
            self,
            "Key",
            description="cert-cleanup: encrypts the result and alarm topics and the failed-run queue",
            enable_key_rotation=True,
            pending_window=Duration.days(30),
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.topic = topic or sns.Topic(
            self, "Topic", display_name="cert-cleanup", master_key=self.key, enforce_ssl=True
        )
        self.alarm_topic = alarm_topic or sns.Topic(
            self, "AlarmTopic", display_name="cert-cleanup alarms", master_key=self.key, enforce_ssl=True
        )
        for email in emails:
            # A mailbox receives the results a person should read, never the machines-only ones...
            results = self.topic.add_subscription(subscriptions.EmailSubscription(email))
            cfn = results.node.default_child
            assert isinstance(cfn, sns.CfnSubscription)
            cfn.filter_policy = names.PEOPLE_FILTER_POLICY
            # ...and every alarm.
            self.alarm_topic.add_subscription(subscriptions.EmailSubscription(email))

    def allow_publishers(
        self,
        sid: str,
        principal: iam.IPrincipal,
        conditions: Mapping[str, Mapping[str, Any]],
        *,
        key_conditions: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        """Let ``principal`` publish results under ``conditions``: one statement in the results topic's policy,
        its twin in the key's, which also holds ``key_conditions`` (keys only a KMS request carries, e.g.
        kms:ViaService)."""
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid=f"{sid}Publish",
                principals=[principal],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions=dict(conditions),
            )
        )
        key_only = key_conditions or {}
        combined = {
            operator: {**conditions.get(operator, {}), **key_only.get(operator, {})}
            for operator in dict.fromkeys([*conditions, *key_only])
        }
        self._allow_key(f"{sid}EncryptForTheTopic", principal, combined)

    def allow_alarms(
        self, alarm_arn_pattern: str, *, account: str | None = None, organization_id: str | None = None
    ) -> None:
        """CloudWatch publishes alarm notifications as its service principal, for the alarms named
        ``alarm_arn_pattern`` (``aws:SourceArn``), of ``account`` or of any account of ``organization_id``.

        Topic policy: ``aws:SourceArn`` with ``aws:SourceAccount`` or ``aws:SourceOrgID``, the keys the CloudWatch
        User Guide recommends in resource policies ("Preventing confused deputy security issues"). Key policy:
        the statement the SNS Developer Guide documents for a service publishing to an encrypted topic
        (``kms:GenerateDataKey*`` and ``kms:Decrypt``), bound with ``aws:SourceArn`` and ``aws:SourceAccount``, the
        keys that page says to add to the key policy. No AWS page documents ``aws:SourceOrgID`` in a key policy, so
        across an organization the key is bound by ``aws:SourceArn`` alone.
        """
        source = {"ArnLike": {"aws:SourceArn": alarm_arn_pattern}}
        topic_conditions: dict[str, Any] = dict(source)
        key_conditions: dict[str, Any] = dict(source)
        if account is not None:
            topic_conditions["StringEquals"] = key_conditions["StringEquals"] = {"aws:SourceAccount": account}
        if organization_id is not None:
            topic_conditions["StringEquals"] = {"aws:SourceOrgID": organization_id}
        principal = iam.ServicePrincipal(CLOUDWATCH)
        self.alarm_topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AlarmsPublish",
                principals=[principal],
                actions=["sns:Publish"],
                resources=[self.alarm_topic.topic_arn],
                conditions=topic_conditions,
            )
        )
        self._allow_key("AlarmsEncryptForTheTopic", principal, key_conditions)

    def _allow_key(self, sid: str, principal: iam.IPrincipal, conditions: Mapping[str, Mapping[str, Any]]) -> None:
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid=sid,
                principals=[principal],
                actions=list(publish.TOPIC_KEY_ACTIONS),
                resources=["*"],
                conditions=dict(conditions),
            )
        )
