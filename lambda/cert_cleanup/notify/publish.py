"""SNS: publish the run's summary."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from cert_cleanup.aws.permissions import On, Permission
from cert_cleanup.config import names
from cert_cleanup.models import RunResult
from cert_cleanup.notify import message

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient


# Publishing to an encrypted topic needs these on its key too (SNS Developer Guide, key management): the function
# and, in the key policy, the services that publish alarms and events.
TOPIC_KEY_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey*")
PERMISSIONS = (
    Permission("sns:Publish", On.TOPIC),
    *(Permission(action, On.TOPIC_KEY) for action in TOPIC_KEY_ACTIONS),
)


# The chat topic is encrypted with the same key.
CHAT_PERMISSIONS = (Permission("sns:Publish", On.CHAT_TOPIC),)


def topic_region(topic_arn: str) -> str:
    """SNS takes a Publish only in the topic's own region: the region field of its ARN."""
    return topic_arn.split(":")[3]


def publish_summary(sns: SNSClient, topic_arn: str, result: RunResult) -> str:
    """Publish the summary with a text per protocol; return the SNS message id.

    The ``audience`` attribute says whether a person should read it: email subscriptions filter on it.
    """
    response = sns.publish(
        TopicArn=topic_arn,
        Subject=message.subject(result),
        Message=message.sns_message(result),
        MessageStructure="json",
        MessageAttributes={
            names.AUDIENCE_ATTRIBUTE: {"DataType": "String", "StringValue": result.audience},
            names.KIND_ATTRIBUTE: {"DataType": "String", "StringValue": names.KIND_RUN_RESULT},
        },
    )
    return response["MessageId"]


def publish_chat(sns: SNSClient, topic_arn: str, result: RunResult) -> str:
    """Publish what people are told to the chat channel's topic: the custom notification alone (the channel
    drops anything that is not a notification it knows), so machines' JSON never reaches chat."""
    response = sns.publish(TopicArn=topic_arn, Message=json.dumps(message.chat_notification(result)))
    return response["MessageId"]


def publish_digest(sns: SNSClient, topic_arn: str, subject: str, text: str) -> str:
    """Publish the organization's digest: one email for people, the same text for every protocol."""
    response = sns.publish(
        TopicArn=topic_arn,
        Subject=subject,
        Message=text,
        MessageAttributes={
            names.AUDIENCE_ATTRIBUTE: {"DataType": "String", "StringValue": names.AUDIENCE_PEOPLE},
            names.KIND_ATTRIBUTE: {"DataType": "String", "StringValue": names.KIND_DIGEST},
        },
    )
    return response["MessageId"]
