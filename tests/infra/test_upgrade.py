"""An update from the last release replaces nothing it deployed.

CloudFormation replaces a resource whose logical ID changes: a log group or a bucket would be orphaned
(they are retained), a role or an alarm with a fixed name would fail to create beside the old one, and an
email subscription would need confirming again. ``data/release-0.1.0-resources.json`` holds every logical
ID and type of the templates of the last release (commit a1a0d5b), synthesized with one email address.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk

import app as cdk_app

RELEASE = json.loads((Path(__file__).parent / "data" / "release-0.1.0-resources.json").read_text())
EMAILS = {"notificationEmails": ["a@example.com"]}
ORGANIZATION = {
    "mode": "organization",
    "organizationId": "o-a1b2c3d4e5",
    "organizationalUnitIds": "ou-ab12-11111111",
    "memberRegion": "eu-west-1",
}


def resources(context: dict[str, Any], prefix: str) -> dict[str, set[str]]:
    app = cdk.App(context=context)
    cdk_app.build(app)
    assembly = app.synth()
    found = {
        f"{prefix}:{stack.stack_name}": {f"{key} {value['Type']}" for key, value in stack.template["Resources"].items()}
        for stack in assembly.stacks
    }
    # the function's StackSet template (not cert-cleanup-findings', which holds the finding rules)
    for path in Path(assembly.directory).glob("*Member*.stackset.template.json"):
        template = json.loads(path.read_text())
        found[f"{prefix}:member"] = {f"{key} {value['Type']}" for key, value in template["Resources"].items()}
    return found


# Resources removed on purpose since the last release (deleted by the update, not replaced), and why.
REMOVED = {
    "org:CertCleanupOrganization": {
        # The digest's queue takes results from the central event bus only: an SNS message does not say which
        # account published it, so results from the topic could not be attributed (docs/organization.md,
        # "Who sent it").
        "DigestResultsCertCleanupOrganizationNotificationsTopic9E94B89493B2F9B4 AWS::SNS::Subscription",
    },
}


def test_every_resource_of_the_last_release_keeps_its_logical_id_and_type() -> None:
    now = {**resources(EMAILS, "single"), **resources({**EMAILS, **ORGANIZATION}, "org")}
    assert set(RELEASE) == set(now)
    for stack, kept in RELEASE.items():
        missing = sorted(set(kept) - now[stack] - REMOVED.get(stack, set()))
        assert missing == [], (stack, missing)
    # And each one listed as removed is gone indeed
    for stack, removed in REMOVED.items():
        assert not removed & now[stack], stack
