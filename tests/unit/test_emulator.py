"""The emulator answers as AWS documents where moto does not (each patch in emulator/aws_fakes.py)."""

from __future__ import annotations

import json

import pytest

from cert_cleanup.config import names
from tests.support import Fake


@pytest.mark.parametrize(
    ("policy", "attributes", "delivered"),
    [
        # SNS Developer Guide, key matching: "exists": false "only matches if at least one attribute is present"
        ({"audience": [{"exists": False}]}, {}, False),
        ({"audience": [{"exists": False}]}, {"kind": "run-result"}, True),
        # a value match needs its attribute: a message without attributes (a CloudWatch alarm) is filtered out
        (names.PEOPLE_FILTER_POLICY, {}, False),
        (names.PEOPLE_FILTER_POLICY, {"audience": names.AUDIENCE_PEOPLE}, True),
        (names.PEOPLE_FILTER_POLICY, {"audience": names.AUDIENCE_MACHINES}, False),
        (None, {}, True),  # no filter policy: everything
    ],
)
def test_sns_filter_policies_follow_the_documented_key_matching(
    aws: Fake, policy: dict[str, object] | None, attributes: dict[str, str], delivered: bool
) -> None:
    sns, sqs = aws.session.client("sns"), aws.session.client("sqs")
    topic = sns.create_topic(Name="t")["TopicArn"]
    queue = sqs.create_queue(QueueName="q")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    subscription = {"RawMessageDelivery": "true"} | ({"FilterPolicy": json.dumps(policy)} if policy else {})
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes=subscription)

    sns.publish(
        TopicArn=topic,
        Message="m",
        MessageAttributes={key: {"DataType": "String", "StringValue": value} for key, value in attributes.items()},
    )

    received = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
    assert len(received) == (1 if delivered else 0)
