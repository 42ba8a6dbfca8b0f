"""Chat: what people are told reaches a Slack or Teams channel as a custom notification of Amazon Q Developer in
chat applications, validated against the service's documented event schema; machines' JSON never does.

The schema below is the documented one ("Custom notifications using Amazon Q Developer in chat applications",
Event schema and Parameter details): ``version`` must be ``1.0`` and ``source`` ``custom`` (both required);
``content.description`` is required; ``textType`` is only ``client-markdown``; the rest optional, as typed there.
Unknown fields are refused, so a notification the channel would drop fails here.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import timedelta
from typing import Any, Literal

import pytest
from botocore.awsrequest import AWSResponse, HTTPHeaders
from pydantic import BaseModel, ConfigDict

from cert_cleanup import job
from cert_cleanup.models import FailedLookup, RunResult
from cert_cleanup.notify import message
from emulator import seed
from tests.support import CONTEXT, SCHEDULED, Fake, summary_settings
from tests.unit.test_message import KINDS
from tests.unit.test_run import published

# What people are told also reaches their chat: the invocation's wiring of it is mutated by `make mutate`.
pytestmark = pytest.mark.safety


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Content(_Strict):
    textType: Literal["client-markdown"] | None = None
    title: str | None = None
    description: str
    nextSteps: list[str] | None = None
    keywords: list[str] | None = None


class Metadata(_Strict):
    threadId: str | None = None
    summary: str | None = None
    eventType: str | None = None
    relatedResources: list[str] | None = None
    additionalContext: dict[str, str] | None = None


class CustomNotification(_Strict):
    version: Literal["1.0"]
    source: Literal["custom"]
    id: str | None = None
    content: Content
    metadata: Metadata | None = None


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_of_run_makes_a_notification_the_channel_accepts(kind: str) -> None:
    make, subject, _ = KINDS[kind]
    run = make()
    notification = CustomNotification.model_validate(message.chat_notification(run))
    assert notification.content.title is not None
    assert notification.content.title.endswith(subject)
    incident = kind == "incident"
    assert notification.content.title.startswith(message.INCIDENT_MARK + "INCIDENT:") is incident
    assert notification.metadata is not None
    assert (notification.metadata.eventType == "cert-cleanup-incident") is incident
    assert ("INCIDENT" in (notification.content.keywords or [])) is incident


# Markup Slack's mrkdwn renders and Teams shows as typed: *bold*, _italic_, ~strike~, :emoji: codes, <url|text>
SLACK_ONLY = re.compile(
    r"(?<![\w*])\*[^*\s][^*\n]*\*(?!\w)|(?<!\w)_[^_\s][^_\n]*_(?!\w)|~[^~\s][^~\n]*~|(?<![\w:]):[a-z0-9_+-]+:(?![\w:])|<[^>|]+\|[^>]+>"
)


def _text_of(notification: dict[str, Any]) -> list[str]:
    content = notification["content"]
    return [content.get("title", ""), content["description"], *content.get("nextSteps", [])]


@pytest.mark.parametrize("platform", ["Slack", "Microsoft Teams"])
@pytest.mark.parametrize("kind", KINDS)
def test_the_one_payload_renders_alike_in_slack_and_teams(platform: str, kind: str) -> None:
    # Both channels subscribe to the one chat topic: the payload each receives is the same, and must hold nothing
    # that only Slack renders.
    make, _, _ = KINDS[kind]
    run = make()
    run.errors = [FailedLookup("elb", "eu-west-1", "DescribeLoadBalancers", "Throttling", "slow down")]
    notification = message.chat_notification(run)
    CustomNotification.model_validate(notification)
    for text in _text_of(notification):
        assert not SLACK_ONLY.search(text), (platform, text)


def test_the_slack_only_markup_check_catches_what_it_is_for() -> None:
    for text in ("*1 EXPIRED*", ":rotating_light: INCIDENT", "_dry_ run", "<https://x|link>"):
        assert SLACK_ONLY.search(text), text
    for text in ("`old`, `new`", "arn:aws:elasticloadbalancing:eu-west-1:123:loadbalancer/app/a/b", "a_b_c"):
        assert not SLACK_ONLY.search(text), text


def test_a_day_s_runs_share_a_thread_and_the_next_day_starts_another() -> None:
    make, _, _ = KINDS["deleted"]
    morning, evening, tomorrow = make(), make(), make()
    evening.started_at = morning.started_at.replace(hour=23, minute=59)
    tomorrow.started_at = morning.started_at + timedelta(days=1)
    assert message.chat_thread(morning) == message.chat_thread(evening)
    assert message.chat_thread(tomorrow) != message.chat_thread(morning)
    assert message.chat_thread(morning).startswith("cert-cleanup-123456789012-")


def test_an_incident_and_its_follow_ups_share_a_thread_of_their_own() -> None:
    make, _, _ = KINDS["incident"]
    incident, reminder, day = make(), make(), KINDS["deleted"][0]()
    reminder.started_at = incident.started_at + timedelta(days=3)
    thread = message.chat_thread(incident)
    assert message.chat_thread(reminder) == thread  # the same certificates still in use: the same thread
    assert thread != message.chat_thread(day)
    another = make()
    first = another.certificates[0]
    other = replace(first.certificate, arn="arn:aws:iam::123456789012:server-certificate/other")
    another.certificates = [*another.certificates, replace(first, certificate=other)]
    assert message.chat_thread(another) != thread  # another incident: another thread
    posted = message.chat_notification(incident)["metadata"]
    assert isinstance(posted, dict)
    assert posted["threadId"] == thread


def _chat_inbox(aws: Fake) -> tuple[str, Any]:
    """The chat topic and a queue subscribed to it with raw delivery: what the channel's subscription receives."""
    sns, sqs = aws.session.client("sns"), aws.session.client("sqs")
    topic = sns.create_topic(Name="chat")["TopicArn"]
    url = sqs.create_queue(QueueName="chat-inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})

    def received() -> list[dict[str, Any]]:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        for item in messages:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=item["ReceiptHandle"])
        return [json.loads(item["Body"]) for item in messages]

    return topic, received


def test_a_run_people_are_told_of_reaches_chat_and_a_machines_only_run_does_not(aws: Fake) -> None:
    topic, received = _chat_inbox(aws)
    used = aws.certificate("shop", days=-30)["Arn"]
    seed.classic_elb(aws.session, "eu-west-1", "shop-elb", used)
    aws.certificate("old", days=-30)
    settings = summary_settings(aws.session, CHAT_TOPIC_ARN=topic, UPDATE_FINDINGS="false")

    first = job.handle(SCHEDULED, CONTEXT, settings=settings, clients=aws.clients)
    [posted] = received()
    notification = CustomNotification.model_validate(posted)
    assert first["told_because"]
    assert notification.content.title == message.INCIDENT_MARK + message.subject(RunResult.from_dict(first))
    assert "`shop` used by arn:aws:elasticloadbalancing:eu-west-1" in notification.content.description
    assert "Deleted (1): `old`" in notification.content.description
    assert "certificates" not in posted  # the run's JSON is the machines', never the channel's

    quiet = job.handle(SCHEDULED, CONTEXT, settings=settings, clients=aws.clients)  # nothing new: machines only
    assert quiet["told_because"] == []
    assert received() == []


def test_a_chat_that_cannot_be_told_is_a_warning_and_the_email_still_goes(aws: Fake) -> None:
    results = summary_settings(aws.session, UPDATE_FINDINGS="false")  # the results topic first: published() reads it
    topic, received = _chat_inbox(aws)
    aws.certificate("old", days=-30)
    settings = results.model_copy(update={"chat_topic_arn": topic})

    def refuse_chat(params: dict[str, Any], **_: Any) -> Any:
        body = params.get("body")
        if isinstance(body, dict) and body.get("TopicArn") == topic:
            return AWSResponse("https://fake", 403, HTTPHeaders(), None), {
                "Error": {"Code": "AuthorizationError", "Message": "no"}
            }
        return None

    aws.hook("before-call.sns.Publish", refuse_chat)
    document = job.handle(SCHEDULED, CONTEXT, settings=settings, clients=aws.clients)  # does not fail the run

    assert document["counts"]["deleted"] == 1
    assert "chat post failed (AuthorizationError: no)" in document["warnings"]
    [email] = [sent["message"]["email"] for sent in published(aws) if sent["audience"] == "people"]
    assert "Warning: chat post failed (AuthorizationError: no)." in email
    assert received() == []
