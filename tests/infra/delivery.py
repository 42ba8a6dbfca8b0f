"""Follow a message from its publisher to its subscribers through synthesized templates, as AWS would.

1. SNS authorizes the Publish with the topic's policy (a service principal needs an Allow there).
2. For a topic encrypted with a customer-managed key, SNS calls KMS for the publisher
   (``kms:GenerateDataKey*``, ``kms:Decrypt``): the key policy must allow them, evaluated with the condition
   keys AWS documents for that KMS request, which may be fewer than the Publish carried.
3. SNS delivers to each subscription whose filter policy matches: moto's matcher, with the emulator's
   patch for messages without attributes (``emulator.aws_fakes``).

Templates are resolved with :class:`tests.infra.policy.Resolver`; a member stack's parameters are bound
to the values the organization stack passes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from moto.sns.utils import FilterPolicyMatcher

from emulator import aws_fakes
from tests.infra.policy import Request, Resolver, allowed, denied

aws_fakes.install()  # SNS's filter matching for messages without attributes


@dataclass(frozen=True)
class Publisher:
    """Who publishes, with the request context of its Publish and of the KMS calls SNS makes for it."""

    principal: dict[str, str]
    publish_context: dict[str, str]
    kms_context: dict[str, str]
    attributes: dict[str, Any]
    # A principal of the topic's own account whose identity policy allows the publish: resource policies
    # need not allow it, only must not deny it.
    own_account: bool = False


def resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {key: value for key, value in template["Resources"].items() if value["Type"] == kind}


def topic_logical_id(template: dict[str, Any], resolve: Resolver, topic_arn: str) -> str:
    [topic_id] = [key for key in resources(template, "AWS::SNS::Topic") if resolve({"Ref": key}) == topic_arn]
    return topic_id


def deliveries(template: dict[str, Any], resolve: Resolver, topic_arn: str, publisher: Publisher) -> list[str]:
    """The ``protocol:endpoint`` of every subscription of ``topic_arn`` (a topic of ``template``) that
    receives what ``publisher`` publishes; empty when a policy refuses the publish."""
    topic_id = topic_logical_id(template, resolve, topic_arn)
    topic_ref = {"Ref": topic_id}
    statements = [
        statement
        for policy in resources(template, "AWS::SNS::TopicPolicy").values()
        if topic_ref in policy["Properties"]["Topics"]
        for statement in resolve(policy["Properties"]["PolicyDocument"]["Statement"])
    ]
    if not _permitted(
        statements, Request("sns:Publish", topic_arn, publisher.principal, publisher.publish_context), publisher
    ):
        return []
    key_reference = template["Resources"][topic_id]["Properties"].get("KmsMasterKeyId")
    if key_reference is not None:
        key = template["Resources"][key_reference["Fn::GetAtt"][0]]
        key_statements = resolve(key["Properties"]["KeyPolicy"]["Statement"])
        for action in ("kms:GenerateDataKey", "kms:Decrypt"):
            if not _permitted(
                key_statements, Request(action, "*", publisher.principal, publisher.kms_context), publisher
            ):
                return []
    received = []
    for subscription in resources(template, "AWS::SNS::Subscription").values():
        properties = subscription["Properties"]
        if resolve(properties["TopicArn"]) != topic_arn:
            continue
        matcher = FilterPolicyMatcher(properties.get("FilterPolicy") or {}, properties.get("FilterPolicyScope"))
        if matcher.matches(publisher.attributes, "{}"):
            received.append(f"{properties['Protocol']}:{resolve(properties['Endpoint'])}")
    return sorted(received)


def _permitted(statements: list[dict[str, Any]], request: Request, publisher: Publisher) -> bool:
    return not denied(statements, request) if publisher.own_account else allowed(statements, request)


def alarm_publisher(resolve: Resolver, alarm: dict[str, Any], *, organization_id: str | None = None) -> Publisher:
    """CloudWatch publishing ``alarm``'s notification: no message attribute. The Publish carries the source
    keys the CloudWatch User Guide names for resource policies; the KMS request, the two the SNS Developer
    Guide says to use in a key policy (aws:SourceArn, aws:SourceAccount)."""
    name = resolve(alarm["Properties"]["AlarmName"])
    source = {
        "aws:SourceArn": f"arn:{resolve.partition}:cloudwatch:{resolve.region}:{resolve.account}:alarm:{name}",
        "aws:SourceAccount": resolve.account,
    }
    publish = {**source, "aws:SecureTransport": "true"}
    if organization_id:
        publish["aws:SourceOrgID"] = organization_id
    return Publisher({"Service": "cloudwatch.amazonaws.com"}, publish, source, {})


def function_publisher(audience: str) -> Publisher:
    """The function's result, published by a role of the topic's own account (its identity policy allows it)."""
    context = {"aws:SecureTransport": "true"}
    attributes = {"audience": {"Type": "String", "Value": audience}}
    return Publisher(
        {"AWS": "arn:aws:iam::123456789012:role/cert-cleanup"}, context, context, attributes, own_account=True
    )
