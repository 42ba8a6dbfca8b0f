"""Organization mode: the central topic, the StackSet, and members that get the same function stack."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Match, Template

import app as cdk_app
from cert_cleanup import names
from infra.config import ContextError
from infra.organization import OrganizationStack

ORG = {
    "mode": "organization",
    "organizationId": "o-a1b2c3d4e5",
    "organizationalUnitIds": ["ou-ab12-11111111", "ou-ab12-22222222"],
    "memberRegion": "eu-west-1",
    "notificationEmails": ["secops@example.com"],
    "maxConcurrentPercentage": 20,
    "failureTolerancePercentage": 5,
}


@pytest.fixture(scope="module")
def built() -> tuple[cdk.App, OrganizationStack]:
    app = cdk.App(context=ORG)
    stack = cdk_app.build(app)
    assert isinstance(stack, OrganizationStack)
    return app, stack


@pytest.fixture(scope="module")
def central(built: tuple[cdk.App, OrganizationStack]) -> Template:
    return Template.from_stack(built[1])


@pytest.fixture(scope="module")
def member(built: tuple[cdk.App, OrganizationStack]) -> dict[str, Any]:
    app, stack = built
    assembly = app.synth()  # cdk-nag runs here too: any unacknowledged finding fails it
    directory = Path(assembly.directory)
    [path] = [
        p for p in directory.glob("*.json") if "Member" in p.name and p.name.endswith(".stackset.template.json")
    ] or list(directory.glob("**/*Member*.json"))
    template: dict[str, Any] = json.loads(path.read_text())
    assert stack.member is not None
    return template


def test_stack_set_is_service_managed_auto_deploying_to_the_ous(central: Template) -> None:
    central.has_resource_properties(
        "AWS::CloudFormation::StackSet",
        {
            "PermissionModel": "SERVICE_MANAGED",
            "AutoDeployment": {"Enabled": True, "RetainStacksOnAccountRemoval": False},
            "CallAs": "DELEGATED_ADMIN",
            "Capabilities": ["CAPABILITY_IAM"],
            "ManagedExecution": {"Active": True},
            "OperationPreferences": Match.object_like(
                {"MaxConcurrentPercentage": 20, "FailureTolerancePercentage": 5, "RegionConcurrencyType": "PARALLEL"}
            ),
            "StackInstancesGroup": [
                {
                    "DeploymentTargets": {"OrganizationalUnitIds": ["ou-ab12-11111111", "ou-ab12-22222222"]},
                    "Regions": ["eu-west-1"],
                }
            ],
            "Parameters": Match.array_with([Match.object_like({"ParameterKey": "CentralTopicArn"})]),
        },
    )


def test_central_topic_lets_only_the_organization_publish(central: Template) -> None:
    central.has_resource_properties(
        "AWS::SNS::TopicPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like({"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}),
                        Match.object_like(
                            {
                                "Sid": "MemberFunctionsPublish",
                                "Action": "sns:Publish",
                                "Principal": {"AWS": "*"},
                                "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}},
                            }
                        ),
                        Match.object_like(
                            {
                                "Sid": "MemberAlarmsPublish",
                                "Principal": {"Service": "cloudwatch.amazonaws.com"},
                                "Condition": {"StringEquals": {"aws:SourceOrgID": "o-a1b2c3d4e5"}},
                            }
                        ),
                    ]
                )
            }
        },
    )
    central.has_resource_properties(
        "AWS::KMS::Key",
        {
            "EnableKeyRotation": True,
            "KeyPolicy": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Sid": "MemberFunctionsEncryptForTheTopic",
                                "Condition": {
                                    "StringEquals": {
                                        "aws:PrincipalOrgID": "o-a1b2c3d4e5",
                                        "kms:ViaService": {
                                            "Fn::Join": ["", ["sns.", {"Ref": "AWS::Region"}, ".amazonaws.com"]]
                                        },
                                    }
                                },
                            }
                        )
                    ]
                )
            },
        },
    )
    endpoints = [r["Properties"]["Endpoint"] for r in central.find_resources("AWS::SNS::Subscription").values()]
    assert endpoints == ["secops@example.com"]


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


def _policy(template: dict[str, Any]) -> list[dict[str, Any]]:
    [policy] = [r for r in template["Resources"].values() if r["Type"] == "AWS::IAM::Policy"]
    statements: list[dict[str, Any]] = policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


def test_member_is_the_same_least_privilege_function(member: dict[str, Any]) -> None:
    statements = {statement.get("Sid", "xray"): statement for statement in _policy(member)}
    assert set(statements) == {
        "DiscoverCertificatesAndTheirUsers",
        "ReadArchiveAndDeleteServerCertificates",
        "WriteOwnLogs",
        "PublishSummary",
        "ReportFailedRun",
        "EncryptForTopicAndQueue",
        "ArchiveBeforeDelete",
        "NameTheAccount",
        "xray",
    }
    assert statements["PublishSummary"]["Resource"] == {"Ref": "CentralTopicArn"}
    assert statements["EncryptForTopicAndQueue"]["Resource"] == {"Ref": "CentralKeyArn"}
    assert statements["NameTheAccount"] == {
        "Sid": "NameTheAccount",
        "Effect": "Allow",
        "Action": "iam:ListAccountAliases",
        "Resource": "*",
    }
    assert statements["ReadArchiveAndDeleteServerCertificates"]["Action"] == [
        "iam:GetServerCertificate",
        "iam:ListServerCertificateTags",
        "iam:DeleteServerCertificate",
    ]
    functions = [r for r in member["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    [function] = functions
    variables = function["Properties"]["Environment"]["Variables"]
    assert variables[names.ENV_SNS_TOPIC_ARN] == {"Ref": "CentralTopicArn"}
    assert variables[names.ENV_READ_ACCOUNT_ALIAS] == "true"
    assert function["Properties"]["ReservedConcurrentExecutions"] == 1
    types = sorted({r["Type"] for r in member["Resources"].values()})
    assert "AWS::SNS::Topic" not in types
    assert "AWS::KMS::Key" not in types
    [queue] = [r for r in member["Resources"].values() if r["Type"] == "AWS::SQS::Queue"]
    assert queue["Properties"]["SqsManagedSseEnabled"] is True
    alarms = [r for r in member["Resources"].values() if r["Type"] == "AWS::CloudWatch::Alarm"]
    assert len(alarms) == 2
    assert all(alarm["Properties"]["AlarmActions"] == [{"Ref": "CentralTopicArn"}] for alarm in alarms)
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
            "context 'organizationalUnitIds': not an OU or root id",
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
