"""SNS: publish the run's summary."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cert_cleanup import report
from cert_cleanup.models import RunResult

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient


def topic_region(topic_arn: str) -> str:
    """SNS takes a Publish only in the topic's own region: the region field of its ARN."""
    return topic_arn.split(":")[3]


def publish_summary(sns: SNSClient, topic_arn: str, result: RunResult) -> str:
    """Publish the summary with a text per protocol; return the SNS message id."""
    response = sns.publish(
        TopicArn=topic_arn,
        Subject=report.subject(result),
        Message=report.sns_message(result),
        MessageStructure="json",
    )
    return response["MessageId"]
