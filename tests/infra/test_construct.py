"""The constructs as a user's app adds them: arguments checked by DeployConfig, their own resources, cdk-nag scoped
to the construct, and this repository's stacks unchanged by being built from them."""

from __future__ import annotations

import inspect
import json
import re
import tomllib
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Match, Template

import app as cdk_app
from cert_cleanup.config import names
from infra import account, nag, organization
from infra.account import CertCleanup
from infra.arguments import ArgumentError
from infra.config import DeployConfig
from infra.organization import CertCleanupOrganization
from scripts import construct_table

ROOT = Path(__file__).resolve().parents[2]
LOGICAL_IDS = json.loads((Path(__file__).parent / "data" / "logical_ids.json").read_text())
# Bundling skipped (the CDK's own context key): these tests read templates, not the asset.
NO_BUNDLING: dict[str, Any] = {"aws:cdk:bundling-stacks": []}
RESOURCES = {"topic", "alarm_topic", "key", "archive_bucket"}


def user_stack(**context: Any) -> tuple[cdk.App, cdk.Stack]:
    app = cdk.App(context={**NO_BUNDLING, **context})
    return app, cdk.Stack(app, "SecurityBaseline", env=cdk.Environment(region="eu-west-1"))


def keyword_arguments(construct: type[CertCleanup] | type[CertCleanupOrganization]) -> set[str]:
    signature = inspect.signature(construct.__dict__["__init__"])
    return {name for name, parameter in signature.parameters.items() if parameter.kind is parameter.KEYWORD_ONLY}


def test_every_setting_is_a_keyword_argument_of_a_construct() -> None:
    # Given DeployConfig, the one definition of the settings
    settings = set(DeployConfig.model_fields) - {"mode"}
    # Then CertCleanup takes every single-account setting and the user's resources, by the same names...
    assert keyword_arguments(CertCleanup) == set(account.ARGUMENTS) | RESOURCES
    # ...CertCleanupOrganization every organization and member setting, and together they take them all.
    assert keyword_arguments(CertCleanupOrganization) == set(organization.ARGUMENTS)
    assert set(account.ARGUMENTS) | set(organization.ARGUMENTS) == settings


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"grace_days": -1, "no_subscribers": True}, "invalid CertCleanup arguments: argument 'grace_days': "),
        (
            {"notification_emails": ["ops@example.com", "not-an-email"]},
            "argument 'notification_emails': must be an email address, got 'not-an-email'",
        ),
        ({"schedule": "every day", "no_subscribers": True}, "argument 'schedule': must be 'rate(N unit)'"),
        (
            {"schedule": "cron(0 6 ? * MON-FRI *)", "no_subscribers": True},
            "argument 'run_interval_minutes': required when the schedule 'cron(0 6 ? * MON-FRI *)' does not run",
        ),
        ({}, "argument 'notification_emails': required: a stack that deletes must tell someone"),
        ({}, "or no_subscribers=True if you subscribe"),
        (
            {"slack_workspace_id": "T0123ABC", "no_subscribers": True},
            "argument 'slack_channel_id': Slack needs slack_workspace_id, slack_channel_id together",
        ),
        ({"log_retention_days": 10, "no_subscribers": True}, "argument 'log_retention_days': must be one of"),
    ],
)
def test_a_wrong_argument_fails_at_synth_naming_the_argument(arguments: dict[str, Any], message: str) -> None:
    _, stack = user_stack()
    with pytest.raises(ArgumentError) as raised:
        CertCleanup(stack, "CertCleanup", **arguments)
    assert message in str(raised.value)
    assert not re.search(r"context '|[a-z][A-Z]\w*Id\b|-c ", str(raised.value)), "context keys leak into the message"


def test_the_construct_reads_no_context() -> None:
    # Given a context that would make the app's stack refuse to build (an unknown key, a bad schedule)
    _, stack = user_stack(graceDays="-5", schedule="never", notificationEmail="x")
    # When the construct is added with its arguments, then the context plays no part
    built = CertCleanup(stack, "CertCleanup", notification_emails=["secops@example.com"], grace_days=3)
    assert built.config.grace_days == 3
    assert built.config.schedule == "rate(1 day)"


def test_own_topic_key_and_bucket_are_used_and_left_as_they_are() -> None:
    # Given a user's stack with a topic, a key and a bucket of its own
    _, stack = user_stack()
    key = kms.Key(stack, "TeamKey", enable_key_rotation=True)
    topic = sns.Topic(stack, "SecurityFindings", master_key=key, enforce_ssl=True)
    alarms = sns.Topic.from_topic_arn(stack, "PagerTopic", "arn:aws:sns:eu-west-1:111122223333:pager")
    bucket = s3.Bucket.from_bucket_name(stack, "Evidence", "team-evidence")
    # When the construct is given them
    built = CertCleanup(
        stack,
        "CertCleanup",
        notification_emails=["secops@example.com"],
        topic=topic,
        alarm_topic=alarms,
        key=key,
        archive_bucket=bucket,
    )
    template = Template.from_stack(stack)
    # Then it creates no topic, key or bucket of its own, and its function publishes to and archives in theirs
    assert built.topic is topic
    assert built.alarm_topic is alarms
    assert built.key is key
    assert built.archive_bucket is bucket
    template.resource_count_is("AWS::SNS::Topic", 1)
    template.resource_count_is("AWS::KMS::Key", 1)
    template.resource_count_is("AWS::S3::Bucket", 0)
    template.resource_count_is("AWS::S3::BucketPolicy", 0)  # the user's bucket policy is theirs
    topic_id = stack.get_logical_id(topic.node.default_child)  # type: ignore[arg-type]
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Environment": {
                "Variables": Match.object_like({"SNS_TOPIC_ARN": {"Ref": topic_id}, "ARCHIVE_BUCKET": "team-evidence"})
            }
        },
    )
    # ...and the alarms notify the user's alarm topic
    template.has_resource_properties("AWS::CloudWatch::Alarm", {"AlarmActions": [alarms.topic_arn]})


def test_the_key_of_a_topic_given_is_the_one_the_function_may_publish_with() -> None:
    # Given a user's topic encrypted with a key of the user's, passed without its key
    _, stack = user_stack()
    team_key = kms.Key(stack, "TeamKey", enable_key_rotation=True)
    topic = sns.Topic(stack, "SecurityFindings", master_key=team_key, enforce_ssl=True)
    CertCleanup(stack, "CertCleanup", no_subscribers=True, topic=topic)
    template = Template.from_stack(stack)
    team_key_id = stack.get_logical_id(team_key.node.default_child)  # type: ignore[arg-type]
    # Then the function may encrypt for that key (else every summary it publishes would fail)
    template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Sid": "EncryptForTopicAndQueue",
                                "Resource": Match.array_with([{"Fn::GetAtt": [team_key_id, "Arn"]}]),
                            }
                        )
                    ]
                )
            }
        },
    )


def test_attributes_users_wire_to() -> None:
    _, stack = user_stack()
    built = CertCleanup(stack, "CertCleanup", no_subscribers=True, archive=False)
    assert built.archive_bucket is None
    assert built.chat_topic is None
    assert built.function.runtime.name == "python3.14"
    assert built.dashboard is not None
    assert built.dashboard.dashboard_name
    with pytest.raises(ValueError, match="argument 'archive_bucket' is given but archive=False"):
        CertCleanup(stack, "Other", no_subscribers=True, archive=False, archive_bucket=s3.Bucket(stack, "B"))


def test_cdk_nag_in_a_users_app_reports_the_users_finding_and_none_of_the_constructs() -> None:
    # Given a user's app that runs AwsSolutions, with the construct and a bucket of the user's own without access
    # logs (AwsSolutions-S1, a rule the construct acknowledges for its own archive bucket)
    app, stack = user_stack()
    nag.apply(app)
    s3.Bucket(stack, "UserLogs", enforce_ssl=True)
    CertCleanup(stack, "CertCleanup", notification_emails=["secops@example.com"])
    # When the app synthesizes, then synth fails on the user's finding...
    with pytest.raises(RuntimeError, match="ValidationFailed") as raised:
        app.synth()
    report = json.loads((Path(app.outdir) / "validation-report.json").read_text())

    def found(kind: str) -> list[tuple[str, str]]:
        return [
            (violation["ruleName"], resource["constructPath"])
            for plugin in report["pluginReports"]
            for violation in plugin[kind]
            for resource in violation["violatingConstructs"]
        ]

    # ...and on nothing of the construct's
    assert found("violations") == [("AwsSolutions-S1", "SecurityBaseline/UserLogs/Resource")], raised.value
    # ...whose acknowledged findings (the same rule among them) are its own resources only
    acknowledged = found("suppressedViolations")
    assert ("AwsSolutions-S1", "SecurityBaseline/CertCleanup/Archive/Bucket/Resource") in acknowledged
    assert all(path.startswith("SecurityBaseline/CertCleanup/") for _, path in acknowledged), acknowledged


def test_repository_stacks_keep_every_logical_id_and_output() -> None:
    # Given the templates this repository's app synthesized before its stacks were built from the constructs
    cases = {
        "account_with_slack": {"notificationEmails": "secops@example.com", "slackWorkspaceId": "T0123ABC",
                               "slackChannelId": "C0123ABCDEF"},
        "account_without_archive_with_custom_action": {"notificationEmails": "secops@example.com", "archive": "false",
                                                       "securityHubCustomAction": "true"},
        "organization": {"mode": "organization", "organizationId": "o-exampleorg1",
                         "organizationalUnitIds": "ou-abcd-11111111", "memberRegion": "us-east-1",
                         "notificationEmails": "secops@example.com"},
    }  # fmt: skip
    for case, context in cases.items():
        app = cdk.App(context={**NO_BUNDLING, **context})
        stack = cdk_app.build(app)
        templates = {case: Template.from_stack(stack).to_json()}
        if case == "organization":
            assert isinstance(stack, organization.OrganizationStack)
            [member] = Path(app.synth().directory).glob("*Member*.stackset.template.json")
            templates["member"] = json.loads(member.read_text())
        for name, template in templates.items():
            resources = {key: value["Type"] for key, value in template["Resources"].items() if key != "CDKMetadata"}
            # Then every resource keeps its logical ID and type (a changed ID replaces the resource), and each output;
            # resources added since (the run lease, the results bus, the findings relay) are new, never renamed
            recorded = LOGICAL_IDS[name]["resources"]
            assert {key: resources.get(key) for key in recorded} == recorded, name
            assert set(LOGICAL_IDS[name]["outputs"]) <= set(template.get("Outputs", {})), name


def test_stack_set_waits_for_its_asset_copy_wherever_the_construct_is() -> None:
    # Given the organization construct in a user's stack, one level down
    _, stack = user_stack()
    CertCleanupOrganization(
        stack, "Org", organization_id="o-a1b2c3d4e5", organizational_unit_ids=["ou-ab12-11111111"], no_subscribers=True
    )
    template = Template.from_stack(stack).to_json()
    [stack_set] = [
        r
        for r in template["Resources"].values()
        if r["Type"] == "AWS::CloudFormation::StackSet" and r["Properties"]["StackSetName"] == "cert-cleanup"
    ]
    copies = [k for k, r in template["Resources"].items() if r["Type"] == "Custom::CDKBucketDeployment"]
    # Then the StackSet deploys only after the member function's code is copied where members read it
    assert copies
    assert set(copies) <= set(stack_set["DependsOn"])


def test_organization_argument_errors_name_the_argument() -> None:
    _, stack = user_stack()
    with pytest.raises(ArgumentError, match="argument 'organizational_unit_ids': required when mode=organization"):
        CertCleanupOrganization(stack, "Org", organization_id="o-a1b2c3d4e5", organizational_unit_ids=[])


def test_wheel_lists_every_package_of_the_source() -> None:
    # Given the packages the wheel is built from (listed, not found, so that infra/ installs as cert_cleanup_cdk)
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    folders = {
        "cert_cleanup": "lambda/cert_cleanup",
        "cert_cleanup_cli": "cli/cert_cleanup_cli",
        "cert_cleanup_cdk": "infra",
    }
    assert setuptools["package-dir"] == folders
    found = {
        ".".join([top, *init.parent.relative_to(ROOT / folder).parts])
        for top, folder in folders.items()
        for init in (ROOT / folder).rglob("__init__.py")
    }
    # Then a new subpackage cannot be left out of the wheel
    assert set(setuptools["packages"]) == found
    assert (ROOT / "infra" / "requirements.lock").resolve() == (ROOT / "lambda" / "requirements.lock").resolve()


def test_docs_arguments_tables_are_generated_from_the_settings() -> None:
    # Given docs/construct.md, when its tables are generated again from the signatures and DeployConfig
    page = construct_table.PAGE.read_text()
    # Then nothing changes (run `python scripts/construct_table.py` after changing a setting)
    assert construct_table.render(page) == page
    assert "| `grace_days` | `int` | `0` | `graceDays` |" in page


def test_infra_imports_itself_relatively_so_it_works_as_cert_cleanup_cdk() -> None:
    # The wheel installs infra/ as cert_cleanup_cdk: an absolute "infra." import would fail in a user's app
    absolute = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in (ROOT / "infra").rglob("*.py")
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if re.match(r"\s*(from infra\b|import infra\b)", line)
    ]
    assert not absolute


def test_the_lease_table_is_tagged_so_the_command_line_finds_it_in_any_stack() -> None:
    # Given the construct in a user's stack (not the CertCleanup stack, whose output the command line reads first)
    _, stack = user_stack()
    built = CertCleanup(stack, "Certs", notification_emails=["secops@example.com"])
    template = Template.from_stack(stack)
    # Then its one table carries the tag the command line looks for, and its logical ID holds the name it filters on
    [(logical, table)] = template.find_resources("AWS::DynamoDB::Table").items()
    assert {"Key": names.LEASE_TABLE_TAG_KEY, "Value": names.LEASE_TABLE_TAG_VALUE} in table["Properties"]["Tags"]
    assert names.LEASE_TABLE_ID in logical  # CloudFormation names the table <stack>-<logical id>-<suffix>
    assert built.lease_table.node.id == names.LEASE_TABLE_ID
