from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

import app as cdk_app
from infra.stack import CertCleanupStack

CONTEXT = {
    "notificationEmails": ["secops@example.com", "platform@example.com"],
    "schedule": "cron(0 6 * * ? *)",
    "graceDays": 7,
    "expiryWarningDays": 45,
    "regions": ["eu-west-1", "us-east-1"],
    "accountLabel": "prod-edge",
}


def synthesize(context: dict[str, Any]) -> tuple[cdk.App, CertCleanupStack]:
    app = cdk.App(context=context)
    stack = cdk_app.build(app)
    assert isinstance(stack, CertCleanupStack)
    return app, stack


@pytest.fixture(scope="module")
def stack() -> CertCleanupStack:
    _, built = synthesize(CONTEXT)
    return built


@pytest.fixture(scope="module")
def template(stack: CertCleanupStack) -> Template:
    return Template.from_stack(stack)
