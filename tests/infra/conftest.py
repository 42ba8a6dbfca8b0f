from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

import app as cdk_app
from infra.organization import OrganizationStack
from infra.stack import CertCleanupStack

CONTEXT: dict[str, Any] = {
    "notificationEmails": ["secops@example.com", "platform@example.com"],
    "schedule": "cron(0 6 * * ? *)",
    "graceDays": 7,
    "expiryWarningDays": 45,
    "accountLabel": "prod-edge",
}
ORG: dict[str, Any] = {
    "mode": "organization",
    "organizationId": "o-a1b2c3d4e5",
    "organizationalUnitIds": ["ou-ab12-11111111", "ou-ab12-22222222"],
    "memberRegion": "eu-west-1",
    "notificationEmails": ["secops@example.com"],
}


def synthesize(context: dict[str, Any]) -> tuple[cdk.App, CertCleanupStack]:
    """The single-account stack for ``context``, with one email address unless the context names its own."""
    if "notificationEmails" not in context and "noSubscribers" not in context:
        context = {"notificationEmails": ["secops@example.com"], **context}
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


@pytest.fixture(scope="session")
def org_built() -> tuple[cdk.App, OrganizationStack]:
    app = cdk.App(context=ORG)
    stack = cdk_app.build(app)
    assert isinstance(stack, OrganizationStack)
    return app, stack


@pytest.fixture(scope="session")
def central(org_built: tuple[cdk.App, OrganizationStack]) -> Template:
    return Template.from_stack(org_built[1])


@pytest.fixture(scope="session")
def member(org_built: tuple[cdk.App, OrganizationStack]) -> dict[str, Any]:
    """The member stack's template, as the StackSet deploys it (cdk-nag runs in this synth too)."""
    app, _ = org_built
    directory = Path(app.synth().directory)
    [path] = list(directory.glob("*Member*.stackset.template.json"))
    template: dict[str, Any] = json.loads(path.read_text())
    return template
