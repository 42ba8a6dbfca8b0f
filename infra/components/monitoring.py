"""Alarms that notify the topic when a run fails or lands in the failure queue."""

from __future__ import annotations

from aws_cdk import Aws, Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from cert_cleanup import names


def alarm_arn_pattern(scope: Construct, *, region: str | None = None, account: str | None = None) -> str:
    """The ARNs of cert-cleanup's alarms (by name prefix); ``"*"`` for any region or account."""
    stack = Stack.of(scope)
    return (
        f"arn:{stack.partition}:cloudwatch:{region or stack.region}:{account or stack.account}:"
        f"alarm:{names.ALARM_NAME_PREFIX}*"
    )


class Monitoring(Construct):
    """Every alarm here notifies the topic on ALARM and on OK; every name starts with the alarm prefix."""

    def __init__(
        self, scope: Construct, construct_id: str, *, function: lambda_.IFunction, queue: sqs.IQueue, topic: sns.ITopic
    ) -> None:
        super().__init__(scope, construct_id)
        prefix = f"{names.ALARM_NAME_PREFIX}{Aws.STACK_NAME}"
        self.errors = cloudwatch.Alarm(
            self,
            "FunctionErrors",
            alarm_name=f"{prefix}-function-errors",
            alarm_description=(
                "cert-cleanup run failed: a lookup, a delete or the summary failed. See the email or the logs."
            ),
            metric=function.metric_errors(period=Duration.minutes(5), statistic="Sum"),
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self.failed_runs = cloudwatch.Alarm(
            self,
            "FailedRunsQueued",
            alarm_name=f"{prefix}-failed-runs-queued",
            alarm_description="cert-cleanup: a failed invocation was sent to the failure queue.",
            metric=queue.metric_approximate_number_of_messages_visible(period=Duration.minutes(5), statistic="Maximum"),
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        for alarm in (self.errors, self.failed_runs):
            alarm.add_alarm_action(actions.SnsAction(topic))
            alarm.add_ok_action(actions.SnsAction(topic))
