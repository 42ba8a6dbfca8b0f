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
from aws_cdk import aws_sns as sns
from constructs import Construct

from cert_cleanup.config import names

from ..arns import arn

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
