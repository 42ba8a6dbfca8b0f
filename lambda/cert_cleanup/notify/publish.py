"""Send the run's summary: SNS (people and machines), and in an organization member the central event bus
(the digest's source); the chat notification; the organization's digest."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from cert_cleanup.aws.clients import AWS_ERRORS, AwsClients, failure_of
from cert_cleanup.aws.permissions import On, Permission
from cert_cleanup.config import names
from cert_cleanup.config.observability import logger
from cert_cleanup.config.settings import Settings
from cert_cleanup.models import FailedLookup, RunResult
from cert_cleanup.notify import message

if TYPE_CHECKING:
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_sns import SNSClient


# Publishing to an encrypted topic needs these on its key too (SNS Developer Guide, key management): the function
# and, in the key policy, the services that publish alarms and events.
TOPIC_KEY_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey*")
PERMISSIONS = (
    Permission("sns:Publish", On.TOPIC),
    *(Permission(action, On.TOPIC_KEY) for action in TOPIC_KEY_ACTIONS),
)


# An organization member puts its result on the central bus (the bus's policy lets the member role do so).
RESULT_PERMISSIONS = (Permission("events:PutEvents", On.RESULTS_BUS),)


def permissions(*, results_bus: bool, tell_people: str) -> tuple[Permission, ...]:
    """What sending a summary needs: the topic; a member, the bus, and the topic only if it ever tells people."""
    if not results_bus:
        return PERMISSIONS
    return RESULT_PERMISSIONS + (() if tell_people == "never" else PERMISSIONS)


# The chat topic is encrypted with the same key.
CHAT_PERMISSIONS = (Permission("sns:Publish", On.CHAT_TOPIC),)


def topic_region(topic_arn: str) -> str:
    """SNS takes a Publish only in the topic's own region (EventBridge a PutEvents in the bus's): the region field
    of its ARN."""
    return topic_arn.split(":")[3]


class EventRefused(Exception):
    """EventBridge answered PutEvents but did not take the entry (``FailedEntryCount``: the call itself succeeds)."""

    def __init__(self, code: str, text: str) -> None:
        super().__init__(f"{code}: {text}")
        self.code, self.text = code, text


def send_summary(clients: AwsClients, settings: Settings, result: RunResult) -> list[FailedLookup]:
    """Send the run's summary where the settings say; return what failed (the run then fails: nobody heard).

    One account: the topic, for people and machines alike. An organization member (``RESULTS_BUS_ARN``): its
    result goes to the central bus, where EventBridge stamps it with this account as the sender, which the
    digest believes; the topic then only carries what people are told (none by default in a member). The
    topic's result is the account's own word, which no digest reads.
    """
    failures = []
    if settings.results_bus_arn:
        region = topic_region(settings.results_bus_arn)
        try:
            event_id = put_result(clients.client("events", region), settings.results_bus_arn, result)
            logger.info("result put on the organization's bus", event_id=event_id)
        except AWS_ERRORS as exc:
            failures.append(failure_of("events", region, "PutEvents", exc))
        except EventRefused as exc:
            failures.append(FailedLookup("events", region, "PutEvents", exc.code, exc.text))
        if not result.told_because:
            return failures
    if settings.sns_topic_arn:
        region = topic_region(settings.sns_topic_arn)
        try:
            message_id = publish_summary(clients.client("sns", region), settings.sns_topic_arn, result)
            logger.info("summary published", message_id=message_id, audience=result.audience)
        except AWS_ERRORS as exc:
            failures.append(failure_of("sns", region, "Publish", exc))
    return failures


def put_result(events: EventBridgeClient, bus_arn: str, result: RunResult) -> str:
    """Put the run's result on the organization's bus (``message.event_detail``: within EventBridge's 256 KB);
    return the event id. EventBridge sets the event's ``account`` to this account: the caller cannot choose it."""
    response = events.put_events(
        Entries=[
            {
                "EventBusName": bus_arn,
                "Source": names.RESULT_EVENT_SOURCE,
                "DetailType": names.RESULT_DETAIL_TYPE,
                "Detail": message.event_detail(result),
            }
        ]
    )
    [entry] = response["Entries"]
    if response.get("FailedEntryCount") or "EventId" not in entry:
        raise EventRefused(entry.get("ErrorCode", "Unknown"), entry.get("ErrorMessage", "entry not taken"))
    return entry["EventId"]


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
