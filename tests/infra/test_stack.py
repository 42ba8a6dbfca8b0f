"""The stack: every resource property that matters, and the function's exact permissions."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk.assertions import Capture, Match, Template

from cert_cleanup.config import names
from cert_cleanup.config.settings import Settings
from infra.components.archive import EXPIRE_AFTER_DAYS, NONCURRENT_VERSION_DAYS
from infra.components.cleanup import MEMORY_MB, TIMEOUT
from tests.infra.conftest import synthesize
from tests.infra.policy import role_statements


def logical_id(template: Template, resource_type: str) -> str:
    [resource_id] = template.find_resources(resource_type)
    return resource_id


def results_topic(template: Template) -> str:
    """The topic of run results (the other one is the alarm topic)."""
    [topic] = [
        key for key in template.find_resources("AWS::SNS::Topic") if not key.startswith("NotificationsAlarmTopic")
    ]
    return topic


def test_function_runtime_and_limits(template: Template) -> None:
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Runtime": "python3.14",
            "Architectures": ["arm64"],
            "Handler": names.HANDLER,
            "Timeout": TIMEOUT.to_seconds(),
            "MemorySize": MEMORY_MB,
            "ReservedConcurrentExecutions": Match.absent(),
            "TracingConfig": {"Mode": "Active"},
            "LoggingConfig": {"LogFormat": "JSON", "LogGroup": {"Ref": logical_id(template, "AWS::Logs::LogGroup")}},
        },
    )
    assert TIMEOUT.to_seconds() < 15 * 60


def test_asynchronous_retries_are_off_and_failures_go_to_the_queue(template: Template) -> None:
    template.has_resource_properties(
        "AWS::Lambda::EventInvokeConfig",
        {
            "MaximumRetryAttempts": 0,
            "DestinationConfig": {
                "OnFailure": {"Destination": {"Fn::GetAtt": [logical_id(template, "AWS::SQS::Queue"), "Arn"]}}
            },
        },
    )


def test_failure_queue_is_encrypted_with_the_key_and_tls_only(template: Template) -> None:
    key = logical_id(template, "AWS::KMS::Key")
    template.has_resource_properties(
        "AWS::SQS::Queue", {"KmsMasterKeyId": {"Fn::GetAtt": [key, "Arn"]}, "MessageRetentionPeriod": 14 * 86400}
    )
    template.has_resource_properties(
        "AWS::SQS::QueuePolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [Match.object_like({"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}})]
                )
            }
        },
    )


def test_log_group_has_retention(template: Template) -> None:
    template.has_resource_properties("AWS::Logs::LogGroup", {"RetentionInDays": 365})


def test_schedule_invokes_the_function(template: Template) -> None:
    template.has_resource_properties(
        "AWS::Events::Rule",
        {
            "ScheduleExpression": "cron(0 6 * * ? *)",
            "State": "ENABLED",
            "Targets": [
                Match.object_like(
                    {
                        "Arn": {"Fn::GetAtt": [logical_id(template, "AWS::Lambda::Function"), "Arn"]},
                        "RetryPolicy": {"MaximumRetryAttempts": 0},
                    }
                )
            ],
        },
    )
    template.has_resource_properties(
        "AWS::Lambda::Permission", {"Action": "lambda:InvokeFunction", "Principal": "events.amazonaws.com"}
    )


def test_both_topics_are_encrypted_tls_only_with_every_address_subscribed(template: Template) -> None:
    key = logical_id(template, "AWS::KMS::Key")
    template.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})
    topics = template.find_resources("AWS::SNS::Topic")
    assert len(topics) == 2  # run results, and alarms
    for topic, properties in topics.items():
        assert properties["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": [key, "Arn"]}
        template.has_resource_properties(
            "AWS::SNS::TopicPolicy",
            {
                "PolicyDocument": {
                    "Statement": Match.array_with(
                        [
                            Match.object_like(
                                {
                                    "Effect": "Deny",
                                    "Action": "sns:Publish",
                                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                                }
                            )
                        ]
                    )
                },
                "Topics": [{"Ref": topic}],
            },
        )
        endpoints = {
            resource["Properties"]["Endpoint"]
            for resource in template.find_resources(
                "AWS::SNS::Subscription", {"Properties": {"Protocol": "email", "TopicArn": {"Ref": topic}}}
            ).values()
        }
        assert endpoints == {"secops@example.com", "platform@example.com"}, topic


def test_archive_bucket_is_private_encrypted_versioned_retained(template: Template) -> None:
    template.has_resource(
        "AWS::S3::Bucket",
        {
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {
                "PublicAccessBlockConfiguration": {
                    "BlockPublicAcls": True,
                    "BlockPublicPolicy": True,
                    "IgnorePublicAcls": True,
                    "RestrictPublicBuckets": True,
                },
                "BucketEncryption": {
                    "ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
                },
                "VersioningConfiguration": {"Status": "Enabled"},
                "LifecycleConfiguration": {
                    "Rules": [
                        Match.object_like(
                            {
                                "Status": "Enabled",
                                "ExpirationInDays": EXPIRE_AFTER_DAYS,
                                "NoncurrentVersionExpiration": {"NoncurrentDays": NONCURRENT_VERSION_DAYS},
                            }
                        )
                    ]
                },
            },
        },
    )
    template.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [Match.object_like({"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}})]
                )
            }
        },
    )


def expected_statements(template: Template) -> list[dict[str, Any]]:
    """The role's statements, each statement's actions sorted as cdk.json's @aws-cdk/aws-iam:minimizePolicies
    writes them."""
    return [
        {**statement, "Action": sorted(statement["Action"])} if isinstance(statement["Action"], list) else statement
        for statement in _expected_statements(template)
    ]


def _expected_statements(template: Template) -> list[dict[str, Any]]:
    def ref(resource_type: str) -> str:
        return logical_id(template, resource_type)

    return [
        {"Effect": "Allow", "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], "Resource": "*"},
        {
            "Sid": "DiscoverCertificatesAndTheirUsers",
            "Effect": "Allow",
            "Action": [
                "iam:ListServerCertificates",
                "ec2:DescribeRegions",
                "elasticloadbalancing:DescribeLoadBalancers",
                "elasticloadbalancing:DescribeListeners",
                "elasticloadbalancing:DescribeListenerCertificates",
                "appsync:ListDomainNames",
                "cloudfront:ListDistributions",
                "acm:ListCertificates",
            ],
            "Resource": "*",
        },
        {
            "Sid": "ReadArchiveAndDeleteServerCertificates",
            "Effect": "Allow",
            "Action": ["iam:GetServerCertificate", "iam:DeleteServerCertificate"],
            "Resource": {
                "Fn::Join": [
                    "",
                    ["arn:", {"Ref": "AWS::Partition"}, ":iam::", {"Ref": "AWS::AccountId"}, ":server-certificate/*"],
                ]
            },
        },
        {
            "Sid": "OneRunAtATime",
            "Effect": "Allow",
            "Action": ["dynamodb:GetItem", "dynamodb:UpdateItem"],
            "Resource": {"Fn::GetAtt": [ref("AWS::DynamoDB::Table"), "Arn"]},
        },
        {
            "Sid": "PublishSummary",
            "Effect": "Allow",
            "Action": "sns:Publish",
            "Resource": {"Ref": results_topic(template)},
        },
        {
            "Sid": "EncryptForTopicAndQueue",
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
            "Resource": {"Fn::GetAtt": [ref("AWS::KMS::Key"), "Arn"]},
        },
        {
            "Sid": "ReadAcmCertificatesToNameSuccessors",
            "Effect": "Allow",
            "Action": "acm:DescribeCertificate",
            "Resource": {
                "Fn::Join": [
                    "",
                    ["arn:", {"Ref": "AWS::Partition"}, ":acm:*:", {"Ref": "AWS::AccountId"}, ":certificate/*"],
                ]
            },
        },
        {
            "Sid": "ArchiveBeforeDelete",
            "Effect": "Allow",
            "Action": "s3:PutObject",
            "Resource": {
                "Fn::Join": [
                    "",
                    [
                        {"Fn::GetAtt": [ref("AWS::S3::Bucket"), "Arn"]},
                        "/cert-cleanup/",
                        {"Ref": "AWS::AccountId"},
                        "/*",
                    ],
                ]
            },
        },
        {
            "Sid": "FindComplianceRule",
            "Effect": "Allow",
            "Action": "config:DescribeConfigRules",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:RequestedRegion": ["cn-north-1", "us-east-1"]}},
        },
        {
            "Sid": "RefreshComplianceAfterDelete",
            "Effect": "Allow",
            "Action": "config:StartConfigRulesEvaluation",
            "Resource": {
                "Fn::Join": [
                    "",
                    ["arn:", {"Ref": "AWS::Partition"}, ":config:*:", {"Ref": "AWS::AccountId"}, ":config-rule/*"],
                ]
            },
            "Condition": {"StringEquals": {"aws:RequestedRegion": ["cn-north-1", "us-east-1"]}},
        },
        {
            "Sid": "NoteRunOnIam26Findings",
            "Effect": "Allow",
            "Action": [
                "securityhub:DescribeSecurityHubV2",
                "securityhub:GetFindings",
                "securityhub:BatchUpdateFindings",
            ],
            "Resource": [
                {
                    "Fn::Join": [
                        "",
                        [
                            "arn:",
                            {"Ref": "AWS::Partition"},
                            ":securityhub:*:",
                            {"Ref": "AWS::AccountId"},
                            ":hub/default",
                        ],
                    ]
                },
                {
                    "Fn::Join": [
                        "",
                        ["arn:", {"Ref": "AWS::Partition"}, ":securityhub:*:", {"Ref": "AWS::AccountId"}, ":hubv2/*"],
                    ]
                },
            ],
            "Condition": {"StringEquals": {"aws:RequestedRegion": ["cn-north-1", "us-east-1"]}},
        },
        *[
            {
                "Sid": f"NeverWriteFinding{field.replace('.', '')}",
                "Effect": "Deny",
                "Action": "securityhub:BatchUpdateFindings",
                "Resource": "*",
                "Condition": {"Null": {f"securityhub:ASFFSyntaxPath/{field}": "false"}},
            }
            for field in (
                "Severity.Label",
                "Severity.Normalized",
                "Severity.Product",
                "VerificationState",
                "Confidence",
                "Criticality",
                "Types",
                "UserDefinedFields",
                "RelatedFindings",
            )
        ],
        {
            "Sid": "NeverWriteFindingV2SeverityId",
            "Effect": "Deny",
            "Action": "securityhub:BatchUpdateFindings",
            "Resource": "*",
            "Condition": {"Null": {"securityhub:OCSFSyntaxPath/SeverityId": "false"}},
        },
        {
            "Sid": "NeverSuppressFinding",
            "Effect": "Deny",
            "Action": "securityhub:BatchUpdateFindings",
            "Resource": "*",
            "Condition": {"StringEquals": {"securityhub:ASFFSyntaxPath/Workflow.Status": "SUPPRESSED"}},
        },
        {
            "Sid": "NeverSuppressFindingV2",
            "Effect": "Deny",
            "Action": "securityhub:BatchUpdateFindings",
            "Resource": "*",
            "Condition": {"StringEquals": {"securityhub:OCSFSyntaxPath/StatusId": "3"}},
        },
        {
            "Sid": "WriteOwnLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": {"Fn::GetAtt": [ref("AWS::Logs::LogGroup"), "Arn"]},
        },
        {
            "Sid": "ReportFailedRun",
            "Effect": "Allow",
            "Action": "sqs:SendMessage",
            "Resource": {"Fn::GetAtt": [ref("AWS::SQS::Queue"), "Arn"]},
        },
        {
            "Sid": "NeverDeleteExemptCertificates",
            "Effect": "Deny",
            "Action": "iam:DeleteServerCertificate",
            "Resource": "*",
            "Condition": {"StringEqualsIgnoreCase": {"aws:ResourceTag/cert-cleanup:exempt": "true"}},
        },
    ]


def test_function_role_has_exactly_the_least_privilege_policy(template: Template) -> None:
    role = logical_id(template, "AWS::IAM::Role")
    template.resource_count_is("AWS::IAM::Policy", 2)
    template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {"Version": "2012-10-17", "Statement": expected_statements(template)},
            "Roles": [{"Ref": role}],
        },
    )
    # The function reads its own LastModified (the first scheduled run after a deploy), on its own ARN only
    template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "ReadOwnDeploymentTime",
                        "Effect": "Allow",
                        "Action": "lambda:GetFunctionConfiguration",
                        "Resource": {"Fn::GetAtt": [logical_id(template, "AWS::Lambda::Function"), "Arn"]},
                    }
                ],
            },
            "Roles": [{"Ref": role}],
        },
    )
    template.has_resource_properties(
        "AWS::IAM::Role",
        {
            "AssumeRolePolicyDocument": {
                "Statement": [
                    {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}}
                ]
            },
            "ManagedPolicyArns": Match.absent(),
            "Policies": Match.absent(),
        },
    )


def test_only_the_archive_and_delete_statements_can_write_outside_logs_and_reports(template: Template) -> None:
    # Given every statement the template attaches to the function's role
    statements = role_statements(dict(template.to_json()))
    assert len(statements) == len(expected_statements(template)) + 1
    # Then every allowed action outside discovery is one of the listed writes
    writes = {
        action
        for statement in statements
        if statement["Effect"] == "Allow"
        for action in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
        if not action.split(":")[1].startswith(("List", "Describe", "Get"))
    }
    assert writes == {
        "iam:DeleteServerCertificate",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "sns:Publish",
        "sqs:SendMessage",
        "kms:Decrypt",
        "kms:GenerateDataKey*",
        "s3:PutObject",
        "config:StartConfigRulesEvaluation",
        "securityhub:BatchUpdateFindings",  # the note and workflow only: tests/infra/test_permissions.py
        "dynamodb:UpdateItem",  # the run lease's one item only
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
    }


def test_environment_comes_from_the_shared_names_and_the_function_accepts_it(template: Template) -> None:
    variables = Capture()
    template.has_resource_properties("AWS::Lambda::Function", {"Environment": {"Variables": variables}})
    environment = variables.as_object()
    assert environment[names.ENV_DRY_RUN] == "false"
    assert environment["PYDANTIC_DISABLE_PLUGINS"] == "__all__"  # no plugin scan at cold start
    assert environment[names.ENV_GRACE_DAYS] == "7"
    assert environment[names.ENV_EXPIRY_WARNING_DAYS] == "45"
    assert environment[names.ENV_EXEMPT_TAG_KEY] == "cert-cleanup:exempt"
    assert "REGIONS" not in environment
    assert environment[names.ENV_ACCOUNT_LABEL] == "prod-edge"
    assert "ARCHIVE_PREFIX" not in environment
    assert environment[names.ENV_SNS_TOPIC_ARN] == {"Ref": results_topic(template)}
    assert environment[names.ENV_ARCHIVE_BUCKET] == {"Ref": logical_id(template, "AWS::S3::Bucket")}
    assert environment[names.ENV_LEASE_TABLE] == {"Ref": logical_id(template, "AWS::DynamoDB::Table")}
    # What CloudFormation will resolve, the function's own settings rules accept
    resolved = {
        **{key: value for key, value in environment.items() if isinstance(value, str)},
        names.ENV_SNS_TOPIC_ARN: "arn:aws:sns:eu-west-1:123456789012:CertCleanup-Topic",
        names.ENV_ARCHIVE_BUCKET: "certcleanup-archivebucket-1a2b3c",
        names.ENV_LEASE_TABLE: "CertCleanup-RunLease1A2B3C-XYZ",
    }
    settings = Settings.from_env(resolved, require_topic=True)
    assert settings.grace_days == 7
    assert settings.tell_people == "on-change"
    assert settings.reminder_days == (30, 14, 7, 3, 1)
    assert settings.run_interval_minutes == 24 * 60
    assert settings.reevaluate_config_rule is True


def test_outputs(template: Template) -> None:
    outputs = template.find_outputs("*")
    assert set(outputs) == {
        "TopicArn",
        "AlarmTopicArn",
        "DashboardName",
        "FunctionName",
        "LeaseTableName",
        "ArchiveBucketName",
    }
    assert outputs["LeaseTableName"]["Value"] == {"Ref": logical_id(template, "AWS::DynamoDB::Table")}


def test_without_archive_there_is_no_bucket_and_no_s3_permission() -> None:
    _, stack = synthesize({"archive": "false"})
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::S3::Bucket", 0)
    statements = role_statements(dict(template.to_json()))
    assert {statement.get("Sid") for statement in statements} >= {"PublishSummary", "ReadOwnDeploymentTime"}
    assert all("s3:" not in str(statement["Action"]) for statement in statements)
    assert "ArchiveBucketName" not in template.find_outputs("*")
    variables = next(iter(template.find_resources("AWS::Lambda::Function").values()))["Properties"]["Environment"]
    assert names.ENV_ARCHIVE_BUCKET not in variables["Variables"]


def test_defaults_are_a_daily_deleting_run() -> None:
    _, default = synthesize({"noSubscribers": "true"})
    template = Template.from_stack(default)
    template.has_resource_properties("AWS::Events::Rule", {"ScheduleExpression": "rate(1 day)"})
    variables = next(iter(template.find_resources("AWS::Lambda::Function").values()))["Properties"]["Environment"]
    assert variables["Variables"][names.ENV_DRY_RUN] == "false"
    assert variables["Variables"][names.ENV_TELL_PEOPLE] == "on-change"
    template.resource_count_is("AWS::SNS::Subscription", 0)


@pytest.mark.parametrize("value", ["true", True])
def test_dry_run_context_reaches_the_function(value: object) -> None:
    _, stack = synthesize({"dryRun": value})
    variables = next(iter(Template.from_stack(stack).find_resources("AWS::Lambda::Function").values()))
    assert variables["Properties"]["Environment"]["Variables"][names.ENV_DRY_RUN] == "true"
