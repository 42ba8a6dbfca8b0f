"""Synth as a user's deploy does: `cdk deploy` with credentials sets CDK_DEFAULT_ACCOUNT and
CDK_DEFAULT_REGION for the app; without credentials (`make synth`) neither is set."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest

import app as cdk_app
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
