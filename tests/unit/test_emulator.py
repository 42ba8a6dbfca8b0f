"""The emulator answers as AWS documents where moto does not (each patch in emulator/aws_fakes.py)."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from cert_cleanup.config import names
from emulator import aws_fakes, seed
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


@pytest.mark.parametrize("refused", [False, True], ids=["default", "safety-net"])
def test_a_bound_certificate_is_deleted_unless_the_test_asks_for_iam_s_refusal(aws: Fake, refused: bool) -> None:
    # DeleteServerCertificate (IAM API Reference): "If Elastic Load Balancing doesn't detect the deletion of bound
    # certificates, it may continue to use the certificates". IAM's DeleteConflict is a net AWS does not promise:
    # off by default, so no test of the search can lean on it; on only where a test asks for it.
    aws_fakes.SETTINGS.refuse_bound_deletes = refused
    classic = aws.certificate("classic", days=-30)["Arn"]
    sni = aws.certificate("sni", days=-30)["Arn"]
    default = aws.certificate("default", days=200)["Arn"]
    seed.classic_elb(aws.session, "eu-west-1", "legacy", classic)
    seed.alb_with_certificates(aws.session, "ap-south-1", "shop", default, [sni])

    for name in ("classic", "sni"):
        if refused:
            with pytest.raises(ClientError, match=r"DeleteConflict.*currently in use by arn:aws:elasticloadbalancing"):
                aws.iam.delete_server_certificate(ServerCertificateName=name)
        else:
            aws.iam.delete_server_certificate(ServerCertificateName=name)

    assert aws.names_left() == ({"classic", "sni", "default"} if refused else {"default"})
