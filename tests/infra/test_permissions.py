"""Every AWS call the function makes is allowed by the role the stack gives it, as IAM evaluates it; and the
role allows nothing the function does not call. moto enforces no IAM, so this is where a call without its
permission shows: the real invocation runs on the emulated account, configured with the environment the
template sets, and each call it made (action, resource ARN, region) is evaluated against the template's
policies (``tests/infra/policy.py``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Template

from cert_cleanup import job
from cert_cleanup.config import names
from cert_cleanup.config.settings import DigestSettings, Settings
from cert_cleanup.org import job as digest_job
from cert_cleanup.org.digest import event_body
from emulator import securityhub as fake_hub
from emulator import seed, seed_certs
from infra.stack import CertCleanupStack
from tests.infra.conftest import ORG, synthesize
from tests.infra.policy import Request, Resolver, allowed, denied, role_statements
from tests.support import ACCOUNT, CONTEXT, SCHEDULED, Fake, fake_aws

KEY_ARN = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
# What Lambda does with the function's role, not the code: its logs, X-Ray, the failure queue. KMS: SNS encrypts
# a publish with the publisher's permissions.
NOT_CALLED_BY_THE_CODE = {
    "logs:CreateLogStream",
    "logs:PutLogEvents",
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "sqs:SendMessage",
    "kms:Decrypt",
    "kms:GenerateDataKey*",
}


@pytest.fixture
def account() -> Iterator[Fake]:
    """Every kind of certificate, users in eu-west-1 (Classic ELB, ALB), an archive bucket, IAM.26's rule,
    the deployed function."""
    with fake_aws() as aws:
        aws.certificate("old", days=-30)
        aws.certificate("cdn-old", days=-30, path="/cloudfront/")
        aws.certificate("pinned", days=-30, tags={seed.EXEMPT_TAG: "true"})
        used = aws.certificate("used", days=-30)["Arn"]
        default = aws.certificate("soon", days=10)["Arn"]
        seed.classic_elb(aws.session, "eu-west-1", "legacy", used)
        seed.alb_with_certificates(aws.session, "eu-west-1", "shop", default, [used])
        # A successor for the certificate in use: ACM's issued certificates of eu-west-1, one with more names than
        # ListCertificates gives (DescribeCertificate reads them all)
        hosts = ("used.example.com", *(f"host{index}.example.com" for index in range(101)))
        seed_certs.import_to_acm(
            aws.session.client("acm", region_name="eu-west-1"), hosts, not_after=aws.now + timedelta(days=90)
        )
        aws.session.client("s3").create_bucket(Bucket="archive-bucket")
        aws.session.client("config").put_config_rule(
            ConfigRule={
                "ConfigRuleName": "securityhub-iam-server-certificate-expiration-check-1a2b3c",
                "Source": {"Owner": "AWS", "SourceIdentifier": names.CONFIG_RULE_IDENTIFIER},
            }
        )
        aws.iam.create_account_alias(AccountAlias="shop-prod")
        # Security Hub in both formats, with the account's open IAM.26 finding: the run writes back to each
        hub = aws.session.client("securityhub")
        hub.enable_security_hub()
        hub.batch_import_findings(Findings=[seed.iam26_finding(ACCOUNT)])  # type: ignore[list-item]
        fake_hub.add_ocsf_findings(ACCOUNT, "us-east-1", [seed.iam26_ocsf_finding(ACCOUNT)])
        yield aws


# The IAM action of each call, where it is not <service>:<Operation> (the Service Authorization Reference says which
# action authorizes an API call; a new consumer whose service names its actions otherwise adds them here).
# GetFindingsV2 and BatchUpdateFindingsV2 are authorized as securityhub:GetFindings and BatchUpdateFindings (AWS CLI
# reference, batch-update-findings-v2 and get-findings-v2: "both use securityhub:... in the Action element").
IAM_ACTIONS = {
    "securityhub:GetFindingsV2": "securityhub:GetFindings",
    "securityhub:BatchUpdateFindingsV2": "securityhub:BatchUpdateFindings",
}
HUB = f"arn:aws:securityhub:us-east-1:{ACCOUNT}:hub/default"
HUB_V2 = f"arn:aws:securityhub:us-east-1:{ACCOUNT}:hubv2/1a2b3c4d-example"


def _finding_fields(params: dict[str, Any]) -> dict[str, str]:
    """The request's securityhub:ASFFSyntaxPath/... and OCSFSyntaxPath/... keys: one per field it sets, with the
    field's value (Security Hub user guide, "Configuring access to BatchUpdateFindings")."""
    keys: dict[str, str] = {}
    for name, value in params.items():
        if name == "FindingIdentifiers":
            continue
        if name in {"Comment", "StatusId", "SeverityId"}:
            keys[f"securityhub:OCSFSyntaxPath/{name}"] = str(value)
        elif name in {"Note", "Severity", "Workflow"}:  # keyed per field inside; UserDefinedFields as a whole
            keys |= {f"securityhub:ASFFSyntaxPath/{name}.{field}": str(item) for field, item in value.items()}
        else:
            keys[f"securityhub:ASFFSyntaxPath/{name}"] = str(value)
    return keys


def _calls(aws: Fake) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []

    def record(model: Any, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        signing = model.service_model.signing_name
        action = f"{signing}:{model.name}"
        calls.append(
            {
                "action": IAM_ACTIONS.get(action, action),
                "operation": model.name,
                "params": dict(params),
                "region": context["client_region"],
            }
        )

    aws.hook("provide-client-params.*.*", record)
    return calls


def _resources(aws: Fake, call: dict[str, Any]) -> list[str]:
    """The ARNs IAM authorizes a call on, from its parameters."""
    params, action = call["params"], call["action"]
    if "ServerCertificateName" in params:
        name = params["ServerCertificateName"]
        paths = {
            item["ServerCertificateName"]: item["Path"]
            for item in aws.iam.list_server_certificates()["ServerCertificateMetadataList"]
        }
        return [f"arn:aws:iam::{ACCOUNT}:server-certificate{paths.get(name, '/')}{name}"]
    if action == "s3:PutObject":
        return [f"arn:aws:s3:::{params['Bucket']}/{params['Key']}"]
    if action == "sns:Publish":
        return [params["TopicArn"]]
    if action == "lambda:GetFunctionConfiguration":
        return [params["FunctionName"]]
    if action == "config:StartConfigRulesEvaluation":
        rules = aws.session.client("config").describe_config_rules()["ConfigRules"]
        arns = {rule["ConfigRuleName"]: rule["ConfigRuleArn"] for rule in rules}
        return [arns[name] for name in params["ConfigRuleNames"]]
    if action.startswith("securityhub:"):
        return [HUB_V2 if call["operation"].endswith("V2") else HUB]
    if action.startswith("dynamodb:"):
        return [f"arn:aws:dynamodb:{call['region']}:{ACCOUNT}:table/{params['TableName']}"]
    if action == "acm:DescribeCertificate":
        return [params["CertificateArn"]]
    if action == "events:PutEvents":
        return [entry["EventBusName"] for entry in params["Entries"]]
    return ["*"]


def _requests(aws: Fake, calls: list[dict[str, Any]], role_arn: str) -> Iterator[Request]:
    principal = {"AWS": role_arn}
    for call in calls:
        context = {"aws:RequestedRegion": call["region"], "aws:SecureTransport": "true"}
        if call["action"] == "securityhub:BatchUpdateFindings":
            context |= _finding_fields(call["params"])
        for resource in _resources(aws, call):
            yield Request(call["action"], resource, principal, context)
        if call["action"] == "sns:Publish":  # SNS encrypts with the publisher's permissions on the topic's key
            for action in ("kms:GenerateDataKey", "kms:Decrypt"):
                yield Request(action, KEY_ARN, principal, context)


def _allowed_actions(statements: list[dict[str, Any]]) -> set[str]:
    return {
        action
        for statement in statements
        if statement["Effect"] == "Allow"
        for action in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
    }


def _check(aws: Fake, template: dict[str, Any], resolve: Resolver, event: dict[str, Any], alias: bool) -> set[str]:
    [function] = [r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    environment = {
        key: str(resolve(value)) for key, value in function["Properties"]["Environment"]["Variables"].items()
    }
    settings = Settings.from_env(environment, require_topic=True)
    assert settings.read_account_alias is alias
    assert settings.lease_table is not None
    seed.lease_table(aws.session, settings.lease_table)  # the stack's table, named as the template resolves it
    calls = _calls(aws)

    job.handle(event, CONTEXT, settings=settings, clients=aws.clients)

    [role] = [
        key
        for key, value in template["Resources"].items()
        if value["Type"] == "AWS::IAM::Role" and value["Properties"].get("RoleName") != names.MEMBER_FORWARDER_ROLE_NAME
    ]
    statements = resolve(role_statements(template, role))
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/cert-cleanup"
    refused = [request for request in _requests(aws, calls, role_arn) if not allowed(statements, request)]
    assert refused == []
    return {call["action"] for call in calls}


def _topic(aws: Fake) -> str:
    return str(aws.session.client("sns").create_topic(Name="cert-cleanup")["TopicArn"])


def test_every_call_of_one_account_is_allowed_and_nothing_else_is(account: Fake, stack: CertCleanupStack) -> None:
    template = dict(Template.from_stack(stack).to_json())
    ids = {value["Type"]: key for key, value in template["Resources"].items()}
    [results_topic] = [
        k for k, v in template["Resources"].items() if v["Type"] == "AWS::SNS::Topic" and "Alarm" not in k
    ]
    resolve = Resolver(
        template,
        region="us-east-1",
        physical={
            results_topic: _topic(account),
            ids["AWS::S3::Bucket"]: "archive-bucket",
            ids["AWS::KMS::Key"]: KEY_ARN,
            ids["AWS::Lambda::Function"]: CONTEXT.invoked_function_arn,
        },
    )

    called = _check(account, template, resolve, SCHEDULED, alias=False)

    # Every call the code made is granted (above); and every grant is a call the code made
    expected = called | NOT_CALLED_BY_THE_CODE
    assert _allowed_actions(role_statements(template)) == expected - {"iam:ListAccountAliases"}
    assert {"iam:DeleteServerCertificate", "s3:PutObject", "config:StartConfigRulesEvaluation"} <= called
    assert "lambda:GetFunctionConfiguration" in called
    assert {"securityhub:GetFindings", "securityhub:BatchUpdateFindings"} <= called
    assert {"acm:ListCertificates", "acm:DescribeCertificate"} <= called


@pytest.mark.parametrize(
    ("fields", "refused"),
    [
        (
            {
                "Note": {"Text": "cert-cleanup: deleted 1", "UpdatedBy": "cert-cleanup"},
                "Workflow": {"Status": "RESOLVED"},
            },
            False,
        ),
        ({"Workflow": {"Status": "NOTIFIED"}}, False),
        ({"Comment": "cert-cleanup: deleted 1", "StatusId": 4}, False),
        ({"Workflow": {"Status": "SUPPRESSED"}}, True),
        ({"StatusId": 3}, True),
        ({"Severity": {"Label": "INFORMATIONAL"}}, True),
        ({"SeverityId": 1}, True),
        ({"VerificationState": "FALSE_POSITIVE"}, True),
        ({"Criticality": 0}, True),
        ({"Confidence": 0}, True),
        ({"Types": ["x"]}, True),
        ({"UserDefinedFields": {"owner": "me"}}, True),
        ({"RelatedFindings": "x"}, True),
    ],
)
def test_the_role_writes_the_note_and_workflow_of_a_finding_only_never_suppressed(
    template: Template, fields: dict[str, Any], refused: bool
) -> None:
    statements = Resolver(dict(template.to_json()), region="us-east-1")(role_statements(dict(template.to_json())))
    context = {"aws:RequestedRegion": "us-east-1", "aws:SecureTransport": "true", **_finding_fields(fields)}
    request = Request("securityhub:BatchUpdateFindings", HUB, {"AWS": f"arn:aws:iam::{ACCOUNT}:role/x"}, context)
    assert denied(statements, request) is refused
    assert allowed(statements, request) is not refused


def test_every_call_of_an_organization_member_is_allowed_and_nothing_else_is(
    account: Fake, member: dict[str, Any]
) -> None:
    ids = {value["Type"]: key for key, value in member["Resources"].items()}
    topic = _topic(account)
    resolve = Resolver(
        member,
        region="us-east-1",
        parameters={"CentralTopicArn": topic, "CentralAlarmTopicArn": topic, "CentralKeyArn": KEY_ARN},
        physical={ids["AWS::S3::Bucket"]: "archive-bucket", ids["AWS::Lambda::Function"]: CONTEXT.invoked_function_arn},
    )

    called = _check(account, member, resolve, SCHEDULED, alias=True)

    function_role = [
        k
        for k, v in member["Resources"].items()
        if v["Type"] == "AWS::IAM::Role" and v["Properties"]["RoleName"] == names.MEMBER_ROLE_NAME
    ]
    assert _allowed_actions(role_statements(member, *function_role)) == called | NOT_CALLED_BY_THE_CODE - {
        "kms:Decrypt",  # members tell no one: no publish to the central topic, no use of its key
        "kms:GenerateDataKey*",
    }
    assert "events:PutEvents" in called  # its result, on its own bus
    assert "sns:Publish" not in called
    assert "iam:ListAccountAliases" in called
    assert "lambda:GetFunctionConfiguration" not in called  # members tell nobody: no first-run email to prepare


def test_without_an_archive_tags_are_read_alone_and_allowed(account: Fake) -> None:
    _, stack = synthesize({"notificationEmails": ["secops@example.com"], "archive": "false"})
    template = dict(Template.from_stack(stack).to_json())
    ids = {value["Type"]: key for key, value in template["Resources"].items()}
    [results_topic] = [
        k for k, v in template["Resources"].items() if v["Type"] == "AWS::SNS::Topic" and "Alarm" not in k
    ]
    resolve = Resolver(
        template,
        region="us-east-1",
        physical={
            results_topic: _topic(account),
            ids["AWS::KMS::Key"]: KEY_ARN,
            ids["AWS::Lambda::Function"]: CONTEXT.invoked_function_arn,
        },
    )

    called = _check(account, template, resolve, SCHEDULED, alias=False)

    assert "iam:ListServerCertificateTags" in called
    assert not [action for action in called if action.startswith("s3:")]
    assert _allowed_actions(role_statements(template)) == called | NOT_CALLED_BY_THE_CODE


def _documented() -> dict[str, set[str]]:
    """The actions of docs/deploy.md's permissions table: Allow and Deny."""
    text = (Path(__file__).resolve().parents[2] / "docs" / "deploy.md").read_text()
    table = text.split("**The function's permissions, exactly**", 1)[1].split("\n\n", 2)[1]
    found: dict[str, set[str]] = {"Allow": set(), "Deny": set()}
    for row in table.splitlines()[2:]:
        actions = row.split("|")[1]
        effect = "Deny" if "**Deny**" in actions else "Allow"
        found[effect] |= set(re.findall(r"`([a-z0-9-]+:[A-Za-z0-9*]+)`", actions))
    return found


def test_the_documented_permissions_are_the_template_s(template: Template) -> None:
    statements = role_statements(dict(template.to_json()))
    denied = {
        action
        for statement in statements
        if statement["Effect"] == "Deny"
        for action in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
    }
    assert _documented() == {"Allow": _allowed_actions(statements), "Deny": denied}, (
        "docs/deploy.md's permissions table must list exactly the role's actions"
    )


def test_every_call_of_the_digest_is_allowed_and_nothing_else_is(central: Template) -> None:
    template = dict(central.to_json())
    ids = {value["Type"]: key for key, value in template["Resources"].items()}
    [digest_role] = [
        key
        for key, value in template["Resources"].items()
        if key.startswith("DigestRole") and value["Type"] == "AWS::IAM::Role"
    ]
    [results_topic] = [
        k for k, v in template["Resources"].items() if v["Type"] == "AWS::SNS::Topic" and "Alarm" not in k
    ]
    [reports] = [
        key
        for key, value in template["Resources"].items()
        if key.startswith("DigestReports") and value["Type"] == "AWS::S3::Bucket"
    ]
    with fake_aws() as aws:
        sqs, topic = aws.session.client("sqs"), _topic(aws)
        queue_url = sqs.create_queue(QueueName="results")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        aws.session.client("s3").create_bucket(Bucket="digest-reports")
        result = {"account": "111122223333", "run_id": "r", "started_at": "2026-12-01T06:00:00+00:00", "counts": {}}
        sqs.send_message(QueueUrl=queue_url, MessageBody=event_body("111122223333", result))
        # The organization the digest lists: one OU under the root
        organizations = aws.session.client("organizations")
        organizations.create_organization(FeatureSet="ALL")
        root = organizations.list_roots()["Roots"][0]["Id"]
        unit = organizations.create_organizational_unit(ParentId=root, Name="workloads")["OrganizationalUnit"]["Id"]
        settings = DigestSettings.model_validate(
            {
                names.ENV_DIGEST_QUEUE_URL: queue_url,
                names.ENV_REPORT_BUCKET: "digest-reports",
                names.ENV_SNS_TOPIC_ARN: topic,
                names.ENV_ORGANIZATIONAL_UNIT_IDS: f"{unit},{root}",
            }
        )
        calls = _calls(aws)
        # A digest short of time also reads the queue's depth (to say how many results it left)
        # (listing the two OUs, then one batch read)
        digest_job.send(settings, aws.clients, seconds_left=iter([1000.0] * 3 + [0.0] * 9).__next__)
        digest_job.send(settings, aws.clients)  # and one that reads the queue to its end and releases on failure
        resolve = Resolver(
            template,
            region="us-east-1",
            physical={
                results_topic: topic,
                reports: "digest-reports",
                ids["AWS::SQS::Queue"]: queue_arn,
                ids["AWS::KMS::Key"]: KEY_ARN,
            },
        )
        statements = resolve(role_statements(template, digest_role))
        principal = {"AWS": f"arn:aws:iam::{ACCOUNT}:role/digest"}
        requests = []
        for call in calls:
            context = {"aws:RequestedRegion": call["region"], "aws:SecureTransport": "true"}
            params = call["params"]
            if call["action"].startswith("sqs:"):
                resources = [queue_arn]
                # SQS authorizes a batch call with its single action's permission (SQS Developer Guide, "Amazon SQS
                # API permissions: Actions and resource reference": DeleteMessageBatch -> sqs:DeleteMessage)
                call["action"] = call["action"].removesuffix("Batch")
            elif call["action"] in {"s3:PutObject", "s3:GetObject"}:
                resources = [f"arn:aws:s3:::{params['Bucket']}/{params['Key']}"]
            elif call["action"] == "organizations:DescribeOrganization":
                resources = ["*"]  # no resource type (Service Authorization Reference)
            elif call["action"].startswith("organizations:"):
                # The parent's ARN, in the organization the stack names (moto chooses its own organization id)
                kind = "root" if params["ParentId"].startswith("r-") else "ou"
                resources = [f"arn:aws:organizations::{ACCOUNT}:{kind}/{ORG['organizationId']}/{params['ParentId']}"]
            else:
                resources = [params["TopicArn"]]
                requests += [
                    Request(action, KEY_ARN, principal, context) for action in ("kms:GenerateDataKey", "kms:Decrypt")
                ]
            requests += [Request(call["action"], resource, principal, context) for resource in resources]
        assert [request for request in requests if not allowed(statements, request)] == []
        called = {call["action"] for call in calls}
        assert "sqs:GetQueueAttributes" in called
        assert {"organizations:ListAccountsForParent", "organizations:ListChildren", "s3:GetObject"} <= called
        assert _allowed_actions(role_statements(template, digest_role)) == called | {
            "s3:ListBucket",  # S3 checks it to answer a missing state object with 404 (S3 API Reference, GetObject)
            "sqs:ChangeMessageVisibility",  # releasing after a failure: tests/unit/test_digest.py
            "kms:Decrypt",
            "kms:GenerateDataKey*",
            "logs:CreateLogStream",
            "logs:PutLogEvents",
        }
