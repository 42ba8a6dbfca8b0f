"""Organization mode: the central topic, the StackSet, and members that get the same function stack."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Match, Template

import app as cdk_app
from cert_cleanup.config import names
from infra.components.cleanup import finding_field_denials, function_environment
from infra.config import ContextError, DeployConfig
from infra.organization import OrganizationStack
from tests.infra import stacksets
from tests.infra.conftest import ORG
from tests.infra.policy import Request, Resolver, allowed, role_statements


def test_stack_set_is_service_managed_auto_deploying_to_the_ous(central: Template) -> None:
    central.has_resource_properties(
        "AWS::CloudFormation::StackSet",
        {
            "PermissionModel": "SERVICE_MANAGED",
            "AutoDeployment": {"Enabled": True, "RetainStacksOnAccountRemoval": False},
            "CallAs": "DELEGATED_ADMIN",
            "Capabilities": ["CAPABILITY_NAMED_IAM"],
            "ManagedExecution": {"Active": True},
            "OperationPreferences": {
                "ConcurrencyMode": "SOFT_FAILURE_TOLERANCE",
                "MaxConcurrentPercentage": 100,
                "FailureTolerancePercentage": 10,
                "RegionConcurrencyType": "PARALLEL",
            },
            "StackInstancesGroup": [
                {
                    "DeploymentTargets": {"OrganizationalUnitIds": ["ou-ab12-11111111", "ou-ab12-22222222"]},
                    "Regions": ["eu-west-1"],
                }
            ],
            "Parameters": Match.array_with([Match.object_like({"ParameterKey": "CentralTopicArn"})]),
        },
    )


def _central_statements(central: Template) -> tuple[Resolver, list[dict[str, Any]], list[dict[str, Any]], str]:
    template = dict(central.to_json())
    resolve = Resolver(template, account="999999999999", region="eu-west-1", stack_name="CertCleanupOrganization")
    [topic_id] = [
        key
        for key, value in template["Resources"].items()
        if value["Type"] == "AWS::SNS::Topic" and not key.startswith("NotificationsAlarmTopic")
    ]
    [policy] = [
        value
        for value in template["Resources"].values()
        if value["Type"] == "AWS::SNS::TopicPolicy" and {"Ref": topic_id} in value["Properties"]["Topics"]
    ]
    [key] = [value for value in template["Resources"].values() if value["Type"] == "AWS::KMS::Key"]
    topic = resolve(policy["Properties"]["PolicyDocument"]["Statement"])
    key_statements = resolve(key["Properties"]["KeyPolicy"]["Statement"])
    return resolve, topic, key_statements, resolve({"Ref": topic_id})


def _member_publish(topic_arn: str, principal_arn: str, org: str = "o-a1b2c3d4e5") -> Request:
    return Request(
        "sns:Publish",
        topic_arn,
        {"AWS": principal_arn},
        {"aws:PrincipalOrgID": org, "aws:PrincipalArn": principal_arn, "aws:SecureTransport": "true"},
    )


def _as_kms(request: Request, action: str) -> Request:
    return Request(action, "*", request.principal, {**request.context, "kms:ViaService": "sns.eu-west-1.amazonaws.com"})


def test_members_publish_nothing_to_the_central_topic_unless_they_tell_people(central: Template) -> None:
    # By default members tell no one (the digest does): nobody outside the central account publishes to the topic
    _, topic, key, topic_arn = _central_statements(central)
    member_role = f"arn:aws:iam::111122223333:role/{names.MEMBER_ROLE_NAME}"
    request = _member_publish(topic_arn, member_role)
    assert not allowed(topic, request)
    assert not allowed(key, _as_kms(request, "kms:GenerateDataKey"))


def test_only_the_member_role_of_the_organization_publishes_to_the_central_topic() -> None:
    # Given members that email people again (tellPeople=on-change)
    stack = cdk_app.build(cdk.App(context={**ORG, "tellPeople": "on-change"}))
    _, topic, key, topic_arn = _central_statements(Template.from_stack(stack))
    member_role = f"arn:aws:iam::111122223333:role/{names.MEMBER_ROLE_NAME}"
    request = _member_publish(topic_arn, member_role)
    assert allowed(topic, request)
    assert allowed(key, _as_kms(request, "kms:GenerateDataKey"))
    assert allowed(key, _as_kms(request, "kms:Decrypt"))
    # The key is usable only through SNS in the topic's region
    assert not allowed(key, Request("kms:Decrypt", "*", request.principal, request.context))
    # Any other principal of the organization is refused, and so is the same role name outside it
    for other in (
        _member_publish(topic_arn, "arn:aws:iam::111122223333:role/developer"),
        _member_publish(topic_arn, "arn:aws:iam::111122223333:user/alice"),
        _member_publish(topic_arn, member_role, org="o-otherorg00"),
    ):
        assert not allowed(topic, other), other
        assert not allowed(key, _as_kms(other, "kms:GenerateDataKey")), other
    # Plain HTTP is refused
    assert not allowed(
        topic,
        Request(request.action, topic_arn, request.principal, {**request.context, "aws:SecureTransport": "false"}),
    )


def test_member_roles_have_the_names_the_central_policies_require(member: dict[str, Any]) -> None:
    roles = [r["Properties"]["RoleName"] for r in member["Resources"].values() if r["Type"] == "AWS::IAM::Role"]
    assert sorted(roles) == sorted([names.MEMBER_ROLE_NAME, names.MEMBER_FORWARDER_ROLE_NAME])


def test_key_use_is_bound_to_sns_in_the_partition_url_suffix() -> None:
    central = Template.from_stack(cdk_app.build(cdk.App(context={**ORG, "tellPeople": "on-change"})))
    [key] = central.find_resources("AWS::KMS::Key").values()
    text = json.dumps(key["Properties"]["KeyPolicy"])
    assert (
        '"kms:ViaService": {"Fn::Join": ["", ["sns.", {"Ref": "AWS::Region"}, ".", {"Ref": "AWS::URLSuffix"}]]}' in text
    )
    assert "amazonaws.com" not in text.replace("cloudwatch.amazonaws.com", "")
    china = Resolver(dict(central.to_json()), region="cn-north-1", partition="aws-cn", url_suffix="amazonaws.com.cn")
    assert "sns.cn-north-1.amazonaws.com.cn" in json.dumps(china(key["Properties"]["KeyPolicy"]))


def test_asset_bucket_is_named_for_the_region_and_readable_by_the_organization_only(central: Template) -> None:
    central.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "BucketName": "cert-cleanup-assets-a1b2c3d4e5-eu-west-1",
            "PublicAccessBlockConfiguration": Match.object_like({"BlockPublicPolicy": True}),
        },
    )
    central.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Action": "s3:GetObject",
                                "Principal": {"AWS": "*"},
                                "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}},
                            }
                        )
                    ]
                )
            }
        },
    )


def _role_id(template: dict[str, Any], name: str) -> str:
    [role] = [
        key
        for key, value in template["Resources"].items()
        if value["Type"] == "AWS::IAM::Role" and value["Properties"].get("RoleName") == name
    ]
    return str(role)


def _policy(template: dict[str, Any]) -> list[dict[str, Any]]:
    """The member function's role's statements."""
    return role_statements(template, _role_id(template, names.MEMBER_ROLE_NAME))


def test_member_is_the_same_least_privilege_function(member: dict[str, Any]) -> None:
    statements = {statement.get("Sid", "xray"): statement for statement in _policy(member)}
    assert set(statements) == {
        "DiscoverCertificatesAndTheirUsers",
        "ReadArchiveAndDeleteServerCertificates",
        "OneRunAtATime",
        "WriteOwnLogs",
        "PutResultOnOwnBus",  # its result goes on its own default bus (forwarded to the central one)
        "ReportFailedRun",
        "ArchiveBeforeDelete",
        "NeverDeleteExemptCertificates",
        "FindComplianceRule",
        "RefreshComplianceAfterDelete",
        "NoteRunOnIam26Findings",  # each member writes onto its own IAM.26 finding
        "ReadAcmCertificatesToNameSuccessors",  # the successor of an expired certificate in use
        *(sid for sid, _ in finding_field_denials()),
        "xray",
    }
    # Members tell no one by default: no publish to the central topic, no use of its key
    assert Resolver(member, account="111122223333")(statements["PutResultOnOwnBus"]) == {
        "Sid": "PutResultOnOwnBus",
        "Effect": "Allow",
        "Action": "events:PutEvents",
        "Resource": "arn:aws:events:eu-west-1:111122223333:event-bus/default",
    }
    # members name their account by its alias: one more read-only call, on "*" like the other discovery calls
    assert "iam:ListAccountAliases" in statements["DiscoverCertificatesAndTheirUsers"]["Action"]
    # (in any order: cdk.json's @aws-cdk/aws-iam:minimizePolicies sorts them)
    assert sorted(statements["ReadArchiveAndDeleteServerCertificates"]["Action"]) == [
        "iam:DeleteServerCertificate",
        "iam:GetServerCertificate",
    ]
    functions = [r for r in member["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    [function] = functions
    variables = function["Properties"]["Environment"]["Variables"]
    assert variables[names.ENV_SNS_TOPIC_ARN] == {"Ref": "CentralTopicArn"}
    assert Resolver(member, account="111122223333")(variables[names.ENV_RESULTS_BUS_ARN]) == (
        "arn:aws:events:eu-west-1:111122223333:event-bus/default"
    )
    assert variables[names.ENV_READ_ACCOUNT_ALIAS] == "true"
    assert "ReservedConcurrentExecutions" not in function["Properties"]
    types = sorted({r["Type"] for r in member["Resources"].values()})
    assert "AWS::SNS::Topic" not in types
    assert "AWS::KMS::Key" not in types
    [queue] = [r for r in member["Resources"].values() if r["Type"] == "AWS::SQS::Queue"]
    assert queue["Properties"]["SqsManagedSseEnabled"] is True
    alarms = [r for r in member["Resources"].values() if r["Type"] == "AWS::CloudWatch::Alarm"]
    assert len(alarms) == 2
    assert all(alarm["Properties"]["AlarmActions"] == [{"Ref": "CentralAlarmTopicArn"}] for alarm in alarms)
    # the code comes from the organization's asset bucket for the member's region
    code = function["Properties"]["Code"]
    assert "cert-cleanup-assets-a1b2c3d4e5" in json.dumps(code)


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"mode": "organization", "organizationalUnitIds": "ou-ab12-11111111"}, "context 'organizationId': required"),
        ({"mode": "organization", "organizationId": "o-a1b2c3d4e5"}, "context 'organizationalUnitIds': required"),
        (
            {"mode": "organization", "organizationId": "org-1", "organizationalUnitIds": "ou-ab12-11111111"},
            "context 'organizationId': must be an AWS Organizations id",
        ),
        (
            {"mode": "organization", "organizationId": "o-a1b2c3d4e5", "organizationalUnitIds": "sales"},
            "context 'organizationalUnitIds': must be an OU or root id",
        ),
        ({"mode": "galaxy"}, "context 'mode': Input should be 'account' or 'organization', got 'galaxy'"),
        (
            {
                "mode": "organization",
                "organizationId": "o-a1b2c3d4e5",
                "organizationalUnitIds": "r-ab12",
                "maxConcurrentPercentage": 0,
            },
            "context 'maxConcurrentPercentage'",
        ),
    ],
)
def test_bad_organization_context_is_named(context: dict[str, Any], message: str) -> None:
    with pytest.raises(ContextError) as raised:
        cdk_app.build(cdk.App(context=context))
    assert message in str(raised.value)


def test_member_region_decides_where_the_organization_stack_goes(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a deployer whose default region is not the members' region
    monkeypatch.setenv("CDK_DEFAULT_REGION", "us-east-1")
    stack = cdk_app.build(cdk.App(context={**ORG, "memberRegion": "ap-southeast-2"}))
    # Then the topic, the code bucket and the StackSet's instances are all in the members' region
    assert stack.region == "ap-southeast-2"
    template = Template.from_stack(stack)
    template.has_resource_properties("AWS::S3::Bucket", {"BucketName": "cert-cleanup-assets-a1b2c3d4e5-ap-southeast-2"})
    template.has_resource_properties(
        "AWS::CloudFormation::StackSet",
        {"StackInstancesGroup": [Match.object_like({"Regions": ["ap-southeast-2"]})]},
    )


def test_an_organization_stack_outside_the_member_region_is_refused() -> None:
    config = DeployConfig.from_values({**ORG, "memberRegion": "eu-west-1"})
    with pytest.raises(ContextError, match="context 'memberRegion': 'eu-west-1' differs"):
        OrganizationStack(cdk.App(), "Org", config=config, env=cdk.Environment(region="us-east-1"))


def test_member_asset_bucket_goes_with_the_stack_emptied(central: Template) -> None:
    [(bucket_id, bucket)] = [
        item for item in central.find_resources("AWS::S3::Bucket").items() if item[0].startswith("MemberAssets")
    ]
    assert bucket["DeletionPolicy"] == "Delete"
    assert bucket["UpdateReplacePolicy"] == "Delete"
    central.has_resource_properties("Custom::S3AutoDeleteObjects", {"BucketName": {"Ref": bucket_id}})


def test_stack_set_waits_for_the_bucket_policy_that_lets_members_read_their_code(central: Template) -> None:
    [policy_id] = [key for key in central.find_resources("AWS::S3::BucketPolicy") if key.startswith("MemberAssets")]
    [stack_set] = [  # the function's StackSet (cert-cleanup-findings holds the finding rules)
        s
        for s in central.find_resources("AWS::CloudFormation::StackSet").values()
        if s["Properties"]["StackSetName"] == "cert-cleanup"
    ]
    assert policy_id in stack_set["DependsOn"]


def _member_environment(member: dict[str, Any]) -> dict[str, Any]:
    [function] = [r for r in member["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    environment: dict[str, Any] = function["Properties"]["Environment"]["Variables"]
    return environment


def test_members_email_no_one_the_digest_does(member: dict[str, Any], central: Template) -> None:
    assert _member_environment(member)[names.ENV_TELL_PEOPLE] == "never"
    functions = central.find_resources("AWS::Lambda::Function", {"Properties": {"Handler": names.DIGEST_HANDLER}})
    assert len(functions) == 1
    central.has_resource_properties(
        "AWS::Events::Rule", {"ScheduleExpression": "cron(0 8 * * ? *)", "State": "ENABLED"}
    )


def test_member_emails_can_be_turned_back_on() -> None:
    config = DeployConfig.from_values({**ORG, "tellPeople": "on-change"})
    assert function_environment(config, tell_people="never")[names.ENV_TELL_PEOPLE] == "on-change"
    assert function_environment(DeployConfig.from_values(ORG), tell_people="never")[names.ENV_TELL_PEOPLE] == "never"


def test_results_reach_the_digest_queue_from_the_bus_and_nothing_else_does(central: Template) -> None:
    # The queue no longer subscribes to the topic: SNS does not say who published
    assert central.find_resources("AWS::SNS::Subscription", {"Properties": {"Protocol": "sqs"}}) == {}
    # The bus's one rule matches cert-cleanup's results and delivers them, whole, to the queue
    [(bus_id, _)] = central.find_resources("AWS::Events::EventBus").items()
    [queue_id] = [
        key for key, r in central.find_resources("AWS::SQS::Queue").items() if key.startswith("DigestResults")
    ]
    [rule] = central.find_resources("AWS::Events::Rule", {"Properties": {"EventBusName": {"Ref": bus_id}}}).values()
    assert rule["Properties"]["EventPattern"] == names.RESULT_EVENT_PATTERN
    [target] = rule["Properties"]["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [queue_id, "Arn"]}
    assert "Input" not in target  # the whole event: its account included
    assert "InputTransformer" not in target
    # The queue keeps results longer than a missed digest or two, and hides a message longer than a digest runs
    queue = central.find_resources("AWS::SQS::Queue")[queue_id]
    assert queue["Properties"]["MessageRetentionPeriod"] == 14 * 24 * 3600
    [digest_function] = central.find_resources(
        "AWS::Lambda::Function", {"Properties": {"Handler": names.DIGEST_HANDLER}}
    ).values()
    assert queue["Properties"]["VisibilityTimeout"] > digest_function["Properties"]["Timeout"]


def _bus_and_queue_policies(central: Template) -> tuple[list[dict[str, Any]], list[dict[str, Any]], str, str, str]:
    template = dict(central.to_json())
    resolve = Resolver(template, account="999999999999", region="eu-west-1", stack_name="CertCleanupOrganization")
    [(bus_id, _)] = central.find_resources("AWS::Events::EventBus").items()
    bus = [
        r["Properties"]["Statement"]
        for r in central.find_resources("AWS::Events::EventBusPolicy").values()
        if r["Properties"]["EventBusName"] == {"Ref": bus_id}
    ]
    bus_arn = f"arn:aws:events:eu-west-1:999999999999:event-bus/{bus_id}"
    resolve.physical[bus_id] = bus_arn
    [(rule_id, _)] = central.find_resources(
        "AWS::Events::Rule", {"Properties": {"EventBusName": {"Ref": bus_id}}}
    ).items()
    rule_arn = f"arn:aws:events:eu-west-1:999999999999:rule/{bus_id}/{rule_id}"
    resolve.physical[rule_id] = rule_arn
    [queue_id] = [key for key in central.find_resources("AWS::SQS::Queue") if key.startswith("DigestResults")]
    queue_arn = resolve({"Fn::GetAtt": [queue_id, "Arn"]})
    [queue_policy] = [
        r
        for r in central.find_resources("AWS::SQS::QueuePolicy").values()
        if {"Ref": queue_id} in r["Properties"]["Queues"]
    ]
    bus_statements = resolve(bus)
    queue_statements = resolve(queue_policy["Properties"]["PolicyDocument"]["Statement"])
    return bus_statements, queue_statements, bus_arn, queue_arn, rule_arn


def _put_events(
    bus_arn: str, principal_arn: str, *, org: str = "o-a1b2c3d4e5", source: str = "cert-cleanup"
) -> Request:
    """A PutEvents onto the central bus as its policy sees it (EventBridge User Guide, "Using IAM policy conditions":
    events:source and events:detail-type are the entry's)."""
    return Request(
        "events:PutEvents",
        bus_arn,
        {"AWS": principal_arn},
        {
            "aws:PrincipalOrgID": org,
            "aws:PrincipalArn": principal_arn,
            "events:source": source,
            "events:detail-type": names.RESULT_DETAIL_TYPE,
        },
    )


def test_only_the_members_forwarding_role_in_the_organization_puts_results_on_the_bus(central: Template) -> None:
    bus, _, bus_arn, _, _ = _bus_and_queue_policies(central)
    forwarder = f"arn:aws:iam::111122223333:role/{names.MEMBER_FORWARDER_ROLE_NAME}"
    assert allowed(bus, _put_events(bus_arn, forwarder))
    # The same role name in another organization, another principal of the organization (the member function's
    # own role included: it puts its result on its own bus), and another kind of event are refused
    for other in (
        _put_events(bus_arn, forwarder, org="o-otherorg00"),
        _put_events(bus_arn, "arn:aws:iam::111122223333:role/developer"),
        _put_events(bus_arn, f"arn:aws:iam::111122223333:role/{names.MEMBER_ROLE_NAME}"),
        _put_events(bus_arn, forwarder, source="aws.securityhub"),
    ):
        assert not allowed(bus, other), other
    # Nobody outside the central account may add a rule or a target to the bus (a rule could rewrite events)
    for action in ("events:PutRule", "events:PutTargets"):
        request = _put_events(bus_arn, forwarder)
        assert not allowed(bus, Request(action, bus_arn, request.principal, request.context))


def test_a_member_cannot_write_to_the_digest_queue_for_another_account(central: Template) -> None:
    # What a member's administrator could try instead of the bus: send a made-up event straight to the queue,
    # or have a rule of their own (cross-account SQS targets exist) deliver one there
    _, queue, _, queue_arn, rule_arn = _bus_and_queue_policies(central)

    def send(principal: dict[str, str], context: dict[str, str]) -> Request:
        return Request("sqs:SendMessage", queue_arn, principal, {"aws:SecureTransport": "true", **context})

    events = {"Service": "events.amazonaws.com"}
    assert allowed(queue, send(events, {"aws:SourceArn": rule_arn}))
    member_rule = "arn:aws:events:eu-west-1:111122223333:rule/forge"
    assert not allowed(queue, send(events, {"aws:SourceArn": member_rule}))
    forwarder = f"arn:aws:iam::111122223333:role/{names.MEMBER_FORWARDER_ROLE_NAME}"
    assert not allowed(
        queue, send({"AWS": forwarder}, {"aws:PrincipalOrgID": "o-a1b2c3d4e5", "aws:PrincipalArn": forwarder})
    )


def test_each_member_forwards_its_results_to_the_central_bus_through_its_own_role(member: dict[str, Any]) -> None:
    resolve = Resolver(
        member,
        account="111122223333",
        parameters={"CentralResultsBusArn": "arn:aws:events:eu-west-1:999999999999:event-bus/central"},
    )
    [rule] = [
        r
        for r in member["Resources"].values()
        if r["Type"] == "AWS::Events::Rule" and r["Properties"].get("EventPattern") == names.RESULT_EVENT_PATTERN
    ]
    properties = resolve(rule["Properties"])
    assert properties["EventBusName"] == "default"  # where the function puts its result
    assert properties["EventPattern"] == names.RESULT_EVENT_PATTERN
    [target] = properties["Targets"]
    forwarder_id = _role_id(member, names.MEMBER_FORWARDER_ROLE_NAME)
    assert target["Arn"] == "arn:aws:events:eu-west-1:999999999999:event-bus/central"
    assert target["RoleArn"] == resolve({"Fn::GetAtt": [forwarder_id, "Arn"]})
    # The role: EventBridge of this account only may assume it, and it may put events on the central bus only
    trust = resolve(member["Resources"][forwarder_id]["Properties"]["AssumeRolePolicyDocument"]["Statement"])
    assume = Request("sts:AssumeRole", "*", {"Service": "events.amazonaws.com"}, {"aws:SourceAccount": "111122223333"})
    assert allowed(trust, assume)
    assert not allowed(trust, Request(assume.action, "*", assume.principal, {"aws:SourceAccount": "222233334444"}))
    statements = resolve(role_statements(member, forwarder_id))
    principal = {"AWS": f"arn:aws:iam::111122223333:role/{names.MEMBER_FORWARDER_ROLE_NAME}"}
    assert allowed(statements, Request("events:PutEvents", target["Arn"], principal, {}))
    own_bus = "arn:aws:events:eu-west-1:111122223333:event-bus/default"
    assert not allowed(statements, Request("events:PutEvents", own_bus, principal, {}))
    assert {a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])} == {
        "events:PutEvents"
    }


def test_the_digest_role_reads_its_queue_writes_its_reports_and_emails_only(central: Template) -> None:
    resolve = Resolver(dict(central.to_json()))
    roles = central.find_resources("AWS::IAM::Role")
    [digest_role] = [key for key in roles if key.startswith("DigestRole")]
    [policy] = [
        p
        for p in central.find_resources("AWS::IAM::Policy").values()
        if p["Properties"]["Roles"] == [{"Ref": digest_role}]
    ]
    statements = resolve(policy["Properties"]["PolicyDocument"]["Statement"])
    actions = {
        action
        for statement in statements
        for action in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
    }
    assert actions == {
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:ChangeMessageVisibility",
        "sqs:GetQueueAttributes",  # how many results a digest short of time leaves queued
        "s3:PutObject",
        "sns:Publish",
        "kms:Decrypt",
        "kms:GenerateDataKey*",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "s3:GetObject",  # its state between digests, one object
        "s3:ListBucket",  # so that a missing state object reads as missing, not refused
        "organizations:DescribeOrganization",  # the accounts that should report: the management account is not one
        "organizations:ListAccountsForParent",
        "organizations:ListChildren",
    }
    role = {"AWS": "arn:aws:iam::123456789012:role/digest"}
    [bucket] = [key for key in central.find_resources("AWS::S3::Bucket") if key.startswith("DigestReports")]
    bucket_arn = resolve({"Fn::GetAtt": [bucket, "Arn"]})
    assert allowed(statements, Request("s3:PutObject", f"{bucket_arn}/digests/2026/11/28/r.csv", role, {}))
    assert not allowed(statements, Request("s3:PutObject", f"{bucket_arn}/other.csv", role, {}))
    for action in ("s3:GetObject", "s3:PutObject"):
        assert allowed(statements, Request(action, f"{bucket_arn}/{names.DIGEST_STATE_KEY}", role, {}))
    assert not allowed(statements, Request("s3:GetObject", f"{bucket_arn}/digests/2026/11/28/r.csv", role, {}))
    # The organization's OUs, not another organization's
    ou = "arn:aws:organizations::555555555555:ou/o-a1b2c3d4e5/ou-ab12-11111111"
    assert allowed(statements, Request("organizations:ListAccountsForParent", ou, role, {}))
    other = "arn:aws:organizations::555555555555:ou/o-otherorg00/ou-ab12-11111111"
    assert not allowed(statements, Request("organizations:ListAccountsForParent", other, role, {}))


def test_a_rollout_deploys_several_accounts_at_once_and_one_failure_stops_no_other(central: Template) -> None:
    [stack_set] = [  # the function's StackSet (cert-cleanup-findings holds the finding rules)
        s
        for s in central.find_resources("AWS::CloudFormation::StackSet").values()
        if s["Properties"]["StackSetName"] == "cert-cleanup"
    ]
    preferences = stack_set["Properties"]["OperationPreferences"]
    for accounts in (2, 3, 8, 50, 1000):
        # Given one account that fails (an SCP that denies CloudFormation there, say)
        outcome = stacksets.run(preferences, accounts, failing={0})
        # Then several accounts deploy at once, and every other account is deployed
        assert outcome.concurrency >= min(accounts, 8), (accounts, outcome.concurrency)
        assert outcome.failed == [0]
        assert outcome.deployed == list(range(1, accounts)), accounts
    # And a template that fails everywhere stops a large rollout before it reaches every account
    everywhere = stacksets.run(preferences, 1000, failing=set(range(1000)))
    assert everywhere.not_started


def test_rollout_percentages_come_from_the_context() -> None:
    stack = cdk_app.build(cdk.App(context={**ORG, "maxConcurrentPercentage": "20", "failureTolerancePercentage": "5"}))
    Template.from_stack(stack).has_resource_properties(
        "AWS::CloudFormation::StackSet",
        {
            "OperationPreferences": Match.object_like(
                {
                    "ConcurrencyMode": "SOFT_FAILURE_TOLERANCE",
                    "MaxConcurrentPercentage": 20,
                    "FailureTolerancePercentage": 5,
                }
            )
        },
    )


def _member_template(context: dict[str, Any]) -> dict[str, Any]:
    from pathlib import Path

    app = cdk.App(context=context)
    cdk_app.build(app)
    [path] = list(Path(app.synth().directory).glob("*Member*.stackset.template.json"))
    template: dict[str, Any] = json.loads(path.read_text())
    return template


def test_members_dashboards_can_be_left_off_where_the_central_view_serves(member: dict[str, Any]) -> None:
    # Given the default: every member gets its dashboard ($3 a month each beyond the organization's free three)
    def dashboards(template: dict[str, Any]) -> list[str]:
        return [key for key, value in template["Resources"].items() if value["Type"] == "AWS::CloudWatch::Dashboard"]

    assert len(dashboards(member)) == 1
    # When memberDashboards is false: no member dashboard; the member's function and alarms are all still there
    without = _member_template({**ORG, "memberDashboards": "false"})
    assert dashboards(without) == []
    kinds = {value["Type"] for value in member["Resources"].values()} - {"AWS::CloudWatch::Dashboard"}
    assert {value["Type"] for value in without["Resources"].values()} == kinds
    # And the key belongs to organization mode only
    with pytest.raises(ContextError, match="context 'memberDashboards': used only with -c mode=organization"):
        DeployConfig.from_values({"notificationEmails": ["secops@example.com"], "memberDashboards": "false"})
