"""Faults that synth, cdk-nag and cfn-lint let through, caught by following references as AWS would."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Template

from cert_cleanup import names
from tests.infra.conftest import synthesize
from tests.infra.policy import ACCOUNT, REGION, Request, Resolver, allowed, denied

ROOT = Path(__file__).resolve().parents[2]


def resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {key: value for key, value in template["Resources"].items() if value["Type"] == kind}


def topic_policy_statements(template: dict[str, Any], topic_ref: dict[str, str]) -> list[dict[str, Any]]:
    """Every statement of every topic policy that covers ``topic_ref``."""
    return [
        statement
        for policy in resources(template, "AWS::SNS::TopicPolicy").values()
        if topic_ref in policy["Properties"]["Topics"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def key_of_topic(template: dict[str, Any], topic_id: str) -> dict[str, Any]:
    key_reference = template["Resources"][topic_id]["Properties"]["KmsMasterKeyId"]
    key_id = key_reference["Fn::GetAtt"][0]
    key: dict[str, Any] = template["Resources"][key_id]
    return key


@pytest.fixture(scope="module")
def single() -> dict[str, Any]:
    _, stack = synthesize({"notificationEmails": ["secops@example.com"]})
    template: dict[str, Any] = dict(Template.from_stack(stack).to_json())
    return template


def alarm_publish(resolve: Resolver, alarm: dict[str, Any], topic_arn: str, *, account: str = ACCOUNT) -> Request:
    name = resolve(alarm["Properties"]["AlarmName"])
    return Request(
        action="sns:Publish",
        resource=topic_arn,
        principal={"Service": "cloudwatch.amazonaws.com"},
        context={
            "aws:SourceArn": f"arn:aws:cloudwatch:{REGION}:{account}:alarm:{name}",
            "aws:SourceAccount": account,
            "aws:SecureTransport": "true",
        },
    )


def test_every_alarm_action_reaches_its_topic_through_topic_and_key_policy(single: dict[str, Any]) -> None:
    # Given every alarm of the stack, and the topic each of its actions names
    resolve = Resolver(single)
    alarms = resources(single, "AWS::CloudWatch::Alarm")
    assert len(alarms) == 2
    for alarm in alarms.values():
        targets = alarm["Properties"]["AlarmActions"] + alarm["Properties"]["OKActions"]
        assert targets
        for target in targets:
            topic_id = target["Ref"]
            topic_arn = resolve(target)
            request = alarm_publish(resolve, alarm, topic_arn)
            # Then the topic policy allows CloudWatch to publish for this alarm
            assert allowed(resolve(topic_policy_statements(single, target)), request), alarm
            # And the topic's key lets CloudWatch encrypt for it
            key_statements = resolve(key_of_topic(single, topic_id)["Properties"]["KeyPolicy"]["Statement"])
            for action in ("kms:GenerateDataKey", "kms:Decrypt"):
                kms_request = Request(action, "*", request.principal, request.context)
                assert allowed(key_statements, kms_request), (alarm, action)


def test_only_cert_cleanup_alarms_of_this_account_may_publish(single: dict[str, Any]) -> None:
    resolve = Resolver(single)
    [topic_ref] = [{"Ref": key} for key in resources(single, "AWS::SNS::Topic")]
    statements = resolve(topic_policy_statements(single, topic_ref))
    topic_arn = resolve(topic_ref)
    alarm = next(iter(resources(single, "AWS::CloudWatch::Alarm").values()))
    other_name = {"Properties": {"AlarmName": "someone-elses-alarm"}}
    assert not allowed(statements, alarm_publish(resolve, other_name, topic_arn))
    assert not allowed(statements, alarm_publish(resolve, alarm, topic_arn, account="999999999999"))
    # and every alarm is named with the prefix the policies bind to
    for each in resources(single, "AWS::CloudWatch::Alarm").values():
        assert resolve(each["Properties"]["AlarmName"]).startswith(names.ALARM_NAME_PREFIX)


def test_no_reserved_concurrency_unless_asked(single: dict[str, Any]) -> None:
    [function] = resources(single, "AWS::Lambda::Function").values()
    assert "ReservedConcurrentExecutions" not in function["Properties"]
    _, opted_in = synthesize({"reservedConcurrency": "true"})
    [kept] = resources(dict(Template.from_stack(opted_in).to_json()), "AWS::Lambda::Function").values()
    assert kept["Properties"]["ReservedConcurrentExecutions"] == 1


def _archive_write(resolve: Resolver, bucket_arn: str, key: str, context: dict[str, str]) -> Request:
    return Request(
        "s3:PutObject",
        f"{bucket_arn}/{key}",
        {"AWS": f"arn:aws:iam::{ACCOUNT}:role/cert-cleanup"},
        {"aws:SecureTransport": "true", "s3:ObjectCreationOperation": "true", **context},
    )


def test_archives_are_write_once_and_the_role_writes_only_its_account_prefix(single: dict[str, Any]) -> None:
    resolve = Resolver(single)
    [bucket_id] = resources(single, "AWS::S3::Bucket")
    bucket_arn = resolve({"Fn::GetAtt": [bucket_id, "Arn"]})
    [bucket_policy] = resources(single, "AWS::S3::BucketPolicy").values()
    bucket_statements = resolve(bucket_policy["Properties"]["PolicyDocument"]["Statement"])
    [role_policy] = resources(single, "AWS::IAM::Policy").values()
    role_statements = resolve(role_policy["Properties"]["PolicyDocument"]["Statement"])
    own = f"cert-cleanup/{ACCOUNT}/old-cert/run-1.json"

    # A conditional write (If-None-Match: *) under the account's prefix is allowed and not denied
    conditional = _archive_write(resolve, bucket_arn, own, {"s3:if-none-match": "*"})
    assert allowed(role_statements, conditional)
    assert not denied(bucket_statements, conditional)
    # A plain write, which could replace an archive, is denied by the bucket itself
    assert denied(bucket_statements, _archive_write(resolve, bucket_arn, own, {}))
    # A multipart part (which cannot carry the header) is not
    part = _archive_write(resolve, bucket_arn, own, {})
    part = Request(part.action, part.resource, part.principal, {**part.context, "s3:ObjectCreationOperation": "false"})
    assert not denied(bucket_statements, part)
    # The role cannot write another account's prefix, nor outside the archive prefix
    for key in ("cert-cleanup/999999999999/x/run.json", "elsewhere/x.json", f"cert-cleanup/{ACCOUNT}x/y.json"):
        assert not allowed(role_statements, _archive_write(resolve, bucket_arn, key, {"s3:if-none-match": "*"})), key


def test_a_mailbox_gets_what_people_should_read_and_every_alarm_never_machines_only_runs(
    single: dict[str, Any],
) -> None:
    # The filter as SNS applies it (moto implements SNS's matching), fed with what the publishers send:
    # the function's audience attribute, and CloudWatch's alarm notification, which carries no attribute.
    from moto.sns.utils import FilterPolicyMatcher

    subscriptions = resources(single, "AWS::SNS::Subscription").values()
    emails = [item["Properties"] for item in subscriptions if item["Properties"]["Protocol"] == "email"]
    assert emails
    for email in emails:
        matcher = FilterPolicyMatcher(email["FilterPolicy"], email.get("FilterPolicyScope"))

        def delivered(attributes: dict[str, Any], matcher: FilterPolicyMatcher = matcher) -> bool:
            return bool(matcher.matches(attributes, "{}"))

        assert delivered({names.AUDIENCE_ATTRIBUTE: {"Type": "String", "Value": names.AUDIENCE_PEOPLE}})
        assert not delivered({names.AUDIENCE_ATTRIBUTE: {"Type": "String", "Value": names.AUDIENCE_MACHINES}})
        assert delivered({})  # an alarm


def test_the_role_refreshes_iam_26_only_in_the_rule_regions(single: dict[str, Any]) -> None:
    resolve = Resolver(single)
    [role_policy] = resources(single, "AWS::IAM::Policy").values()
    statements = resolve(role_policy["Properties"]["PolicyDocument"]["Statement"])
    role = {"AWS": f"arn:aws:iam::{ACCOUNT}:role/cert-cleanup"}
    for region, expected in (("us-east-1", True), ("cn-north-1", True), ("eu-west-1", False)):
        rule = f"arn:aws:config:{region}:{ACCOUNT}:config-rule/config-rule-a1b2c3"
        context = {"aws:RequestedRegion": region}
        assert allowed(statements, Request("config:DescribeConfigRules", "*", role, context)) is expected
        assert allowed(statements, Request("config:StartConfigRulesEvaluation", rule, role, context)) is expected
    other_account = "arn:aws:config:us-east-1:999999999999:config-rule/config-rule-a1b2c3"
    context = {"aws:RequestedRegion": "us-east-1"}
    assert not allowed(statements, Request("config:StartConfigRulesEvaluation", other_account, role, context))
    assert not allowed(statements, Request("config:PutConfigRule", "*", role, context))


def test_iam_itself_refuses_to_delete_an_exempt_certificate(single: dict[str, Any]) -> None:
    resolve = Resolver(single)
    [role_policy] = resources(single, "AWS::IAM::Policy").values()
    statements = resolve(role_policy["Properties"]["PolicyDocument"]["Statement"])
    certificate = f"arn:aws:iam::{ACCOUNT}:server-certificate/old"
    role = {"AWS": f"arn:aws:iam::{ACCOUNT}:role/cert-cleanup"}
    tag = f"aws:ResourceTag/{names.DEFAULT_EXEMPT_TAG_KEY}"
    for value in ("true", "TRUE", "True"):
        assert not allowed(statements, Request("iam:DeleteServerCertificate", certificate, role, {tag: value})), value
    assert allowed(statements, Request("iam:DeleteServerCertificate", certificate, role, {tag: "false"}))
    assert allowed(statements, Request("iam:DeleteServerCertificate", certificate, role, {}))


def test_the_exemption_deny_follows_the_configured_tag_key() -> None:
    _, stack = synthesize({"exemptTagKey": "team:keep"})
    template = dict(Template.from_stack(stack).to_json())
    [role_policy] = resources(template, "AWS::IAM::Policy").values()
    statements = Resolver(template)(role_policy["Properties"]["PolicyDocument"]["Statement"])
    request = Request(
        "iam:DeleteServerCertificate",
        f"arn:aws:iam::{ACCOUNT}:server-certificate/old",
        {"AWS": f"arn:aws:iam::{ACCOUNT}:role/cert-cleanup"},
        {"aws:ResourceTag/team:keep": "true"},
    )
    assert denied(statements, request)


def test_archive_objects_are_not_moved_to_a_colder_class(single: dict[str, Any]) -> None:
    [bucket] = resources(single, "AWS::S3::Bucket").values()
    [rule] = bucket["Properties"]["LifecycleConfiguration"]["Rules"]
    assert "Transitions" not in rule
    assert "Transition" not in json.dumps(rule)
    assert rule["ExpirationInDays"] == 3 * 365


def test_the_app_command_runs_from_an_activated_venv(tmp_path: Path) -> None:
    # Given cdk.json's app command and a shell whose PATH starts with the venv (as after `activate`)
    command = json.loads((ROOT / "cdk.json").read_text())["app"]
    assert command == "python3 app.py"
    venv_bin = str(Path(sys.executable).parent)
    environment = {
        "PATH": f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": os.environ.get("HOME", str(tmp_path)),
        "CDK_OUTDIR": str(tmp_path / "out"),
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    }  # no PYTHONPATH: the Makefile's is not there for a user who runs `cdk synth` by hand
    # When the CDK CLI would run it
    completed = subprocess.run(
        shlex.split(command), cwd=ROOT, env=environment, capture_output=True, text=True, check=False, timeout=600
    )
    # Then it synthesizes the stack
    assert completed.returncode == 0, completed.stderr[-2000:]
    template = json.loads((tmp_path / "out" / "CertCleanup.template.json").read_text())
    assert resources(template, "AWS::Lambda::Function")
