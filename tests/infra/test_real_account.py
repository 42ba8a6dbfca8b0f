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

from cert_cleanup.config import names
from infra.node_runtime import SUPPORTED_MAJOR, node_major
from tests.infra.conftest import synthesize
from tests.infra.delivery import resources
from tests.infra.policy import ACCOUNT, Request, Resolver, allowed, denied, role_statements

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def single() -> dict[str, Any]:
    _, stack = synthesize({"notificationEmails": ["secops@example.com"]})
    template: dict[str, Any] = dict(Template.from_stack(stack).to_json())
    return template


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
    statements_of_role = resolve(role_statements(single))
    own = f"cert-cleanup/{ACCOUNT}/old-cert/run-1.json"

    # A conditional write (If-None-Match: *) under the account's prefix is allowed and not denied
    conditional = _archive_write(resolve, bucket_arn, own, {"s3:if-none-match": "*"})
    assert allowed(statements_of_role, conditional)
    assert not denied(bucket_statements, conditional)
    # A plain write, which could replace an archive, is denied by the bucket itself
    assert denied(bucket_statements, _archive_write(resolve, bucket_arn, own, {}))
    # A multipart part (which cannot carry the header) is not
    part = _archive_write(resolve, bucket_arn, own, {})
    part = Request(part.action, part.resource, part.principal, {**part.context, "s3:ObjectCreationOperation": "false"})
    assert not denied(bucket_statements, part)
    # The role cannot write another account's prefix, nor outside the archive prefix
    for key in ("cert-cleanup/999999999999/x/run.json", "elsewhere/x.json", f"cert-cleanup/{ACCOUNT}x/y.json"):
        assert not allowed(statements_of_role, _archive_write(resolve, bucket_arn, key, {"s3:if-none-match": "*"})), key


def test_the_role_refreshes_iam_26_only_in_the_rule_regions(single: dict[str, Any]) -> None:
    resolve = Resolver(single)
    statements = resolve(role_statements(single))
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
    statements = resolve(role_statements(single))
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
    statements = Resolver(template)(role_statements(template))
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
        "CDK_CONTEXT_JSON": json.dumps({"notificationEmails": ["secops@example.com"]}),  # what `-c` passes
    }  # no PYTHONPATH and no JSII_* variable: the Makefile's are not there for a user who runs `cdk synth` by hand
    # When the CDK CLI would run it
    completed = subprocess.run(
        shlex.split(command), cwd=ROOT, env=environment, capture_output=True, text=True, check=False, timeout=600
    )
    # Then it synthesizes the stack, and what it prints is text: on a Node.js past end of life, one line
    # that says so, instead of jsii's banner printed as Python bytes (b'!!  Node 20 is end-of-life ...')
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert "b'" not in completed.stderr, completed.stderr[:2000]
    found = node_major("node")
    assert found is not None
    assert ("past its end of life" in completed.stderr) == (found[0] < SUPPORTED_MAJOR)
    template = json.loads((tmp_path / "out" / "CertCleanup.template.json").read_text())
    assert resources(template, "AWS::Lambda::Function")
