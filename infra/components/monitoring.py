"""Alarms that email people when a run fails or is sent to the failure queue.

Each alarm notifies on ALARM only. A new alarm starts in INSUFFICIENT_DATA and goes to OK as soon as it
is evaluated: an OK action would email every address for every alarm at every deploy (two emails per
account of an organization rollout). Each alarm watches a count per period, not a level, so it goes back
to OK by itself when a period passes without failure, and the next failure alarms (and emails) again.
"""

from __future__ import annotations

from aws_cdk import Aws, Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from cert_cleanup.config import names
from infra.arns import arn

PERIOD = Duration.minutes(5)


def alarm_arn_pattern(*, region: str = Aws.REGION, account: str = Aws.ACCOUNT_ID) -> str:
    """The ARNs of cert-cleanup's alarms (by name prefix); ``"*"`` for any region or account."""
    return arn("cloudwatch", f"alarm:{names.ALARM_NAME_PREFIX}*", region=region, account=account)


def count_alarm(
    scope: Construct, construct_id: str, *, name: str, description: str, metric: cloudwatch.IMetric, topic: sns.ITopic
) -> cloudwatch.Alarm:
    """An alarm on a count per period (at least one: ALARM; a period without any: OK), notifying ``topic`` on
    ALARM only. ``name`` follows the alarm prefix, which the topic's policy binds CloudWatch to."""
    alarm = cloudwatch.Alarm(
        scope,
        construct_id,
        alarm_name=f"{names.ALARM_NAME_PREFIX}{Aws.STACK_NAME}-{name}",
        alarm_description=description,
        metric=metric,
        threshold=1,
        evaluation_periods=1,
        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
    )
    alarm.add_alarm_action(actions.SnsAction(topic))
    return alarm


class Monitoring(Construct):
    """The function's errors, and every failed invocation sent to its failure queue."""

    def __init__(
        self, scope: Construct, construct_id: str, *, function: lambda_.IFunction, queue: sqs.IQueue, topic: sns.ITopic
    ) -> None:
        super().__init__(scope, construct_id)
        self.errors = count_alarm(
            self,
            "FunctionErrors",
            name="function-errors",
            description="cert-cleanup run failed: a lookup, a delete or the summary failed. See the email or the logs.",
            metric=function.metric_errors(period=PERIOD, statistic="Sum"),
            topic=topic,
        )
        # Messages sent, not messages visible: nothing consumes the queue, so its depth stays up for the
        # 14 days it keeps them, and an alarm on it would stay in ALARM and be silent for every later failure.
        self.failed_runs = count_alarm(
            self,
            "FailedRunsQueued",
            name="failed-runs-queued",
            description="cert-cleanup: a failed invocation was sent to the failure queue.",
            metric=queue.metric_number_of_messages_sent(period=PERIOD, statistic="Sum"),
            topic=topic,
        )
