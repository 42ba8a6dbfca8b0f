"""Synth as a user's deploy does: `cdk deploy` with credentials sets CDK_DEFAULT_ACCOUNT and
CDK_DEFAULT_REGION for the app; without credentials (`make synth`) neither is set."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest

import app as cdk_app
from infra import manifest
from tests.infra.conftest import ORG

ACCOUNT = "111122223333"
ENVIRONMENTS = [None, "us-east-1", "cn-north-1", "us-gov-west-1"]  # none, then a region of each partition
APPS: dict[str, dict[str, Any]] = {
    "account": {"notificationEmails": ["secops@example.com"]},
    "organization": {**ORG, "memberRegion": None},
}


@pytest.mark.parametrize("region", ENVIRONMENTS, ids=lambda region: region or "no-credentials")
@pytest.mark.parametrize("mode", APPS)
def test_both_apps_synthesize_with_and_without_credentials_in_every_partition(
    monkeypatch: pytest.MonkeyPatch, mode: str, region: str | None
) -> None:
    # Given the environment the CDK CLI gives the app
    for name in ("CDK_DEFAULT_ACCOUNT", "CDK_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    context: dict[str, Any] = {key: value for key, value in APPS[mode].items() if value is not None}
    if region:
        monkeypatch.setenv("CDK_DEFAULT_ACCOUNT", ACCOUNT)
        monkeypatch.setenv("CDK_DEFAULT_REGION", region)
    elif mode == "organization":
        context["memberRegion"] = "eu-west-1"  # without a default region, the members' region must be named
    app = cdk.App(context=context)
    # When it synthesizes (cdk-nag runs here: an unacknowledged finding raises)
    cdk_app.build(app)
    assembly = app.synth()
    # Then every template says ${AWS::AccountId}: the same template whoever synthesizes it
    for stack in assembly.stacks:
        text = json.dumps(stack.template)
        assert ACCOUNT not in text, stack.stack_name
        if region:
            assert stack.environment.region == region
    # And the manifest `make synth-as-deploy` checks says that region, and no other
    if region:
        directory = Path(assembly.directory)
        assert manifest.problems(directory, region) == []
        wrong = "eu-west-1" if region != "eu-west-1" else "us-east-1"
        [problem, *_] = manifest.problems(directory, wrong)
        assert f"not 'aws://unknown-account/{wrong}'" in problem


def test_the_manifest_check_fails_on_a_wrong_region_or_no_stack(tmp_path: Path) -> None:
    # Given an assembly synthesized for us-east-1 (what the CDK CLI gives an app when no region is set)
    artifacts = {
        "CertCleanup": {"type": "aws:cloudformation:stack", "environment": "aws://unknown-account/us-east-1"},
        "Tree": {"type": "cdk:tree"},
    }
    (tmp_path / "manifest.json").write_text(json.dumps({"artifacts": artifacts}))
    # Then checking it as cn-north-1 fails, naming the stack and both environments; as us-east-1 it passes
    assert manifest.main(["--region", "cn-north-1", str(tmp_path)]) == 1
    assert manifest.problems(tmp_path, "cn-north-1") == [
        f"{tmp_path}: stack CertCleanup is synthesized for 'aws://unknown-account/us-east-1', "
        "not 'aws://unknown-account/cn-north-1'"
    ]
    assert manifest.main(["--region", "us-east-1", str(tmp_path)]) == 0
    # And an assembly without any stack is no proof of anything
    (tmp_path / "manifest.json").write_text(json.dumps({"artifacts": {"Tree": {"type": "cdk:tree"}}}))
    assert manifest.problems(tmp_path, "us-east-1") == [f"{tmp_path}: no stack in the cloud assembly"]


# Where cdk.json departs from `cdk init`, and why (docs/development.md, Feature flags).
NOT_AS_CDK_INIT = {
    # true adds an AWS::Logs::LogGroup named /aws/lambda/<function> for CDK's own BucketDeployment function: on a
    # deployed organization stack, Lambda has already created that log group, and the update would fail on it.
    "@aws-cdk/aws-lambda:useCdkManagedLogGroup": False,
    # true turns the CDK's built-in CloudFormation validation into errors, and its resource data does not know
    # AWS::SecurityHub::ActionTarget (F3006): -c securityHubCustomAction=true could not synthesize. Left as before
    # (warnings); cfn-lint checks every template in make test.
    "@aws-cdk/core:validateAgainstDefaultRules": False,
}


def recommended_flags() -> dict[str, Any]:
    """The feature flags `cdk init` writes into cdk.json: aws-cdk-lib's recommended-feature-flags.json."""
    [bundle] = list((Path(cdk.__file__).parent / "_jsii").glob("aws-cdk-lib@*.jsii.tgz"))
    with tarfile.open(bundle) as archive:
        member = archive.extractfile("package/recommended-feature-flags.json")
        assert member is not None
        flags: dict[str, Any] = json.load(member)
    return flags


def test_cdk_json_sets_the_feature_flags_cdk_init_sets_but_the_ones_explained() -> None:
    flags = json.loads((Path(cdk_app.__file__).parent / "cdk.json").read_text())["context"]
    assert flags == {**recommended_flags(), **NOT_AS_CDK_INIT}


def test_the_stack_tests_build_with_cdk_json_feature_flags_as_the_cli_does() -> None:
    flags = json.loads((Path(cdk_app.__file__).parent / "cdk.json").read_text())["context"]
    assert len(flags) >= 80
    app = cdk.App(context={"notificationEmails": ["secops@example.com"]})
    for key, value in flags.items():
        assert app.node.try_get_context(key) == value, key
