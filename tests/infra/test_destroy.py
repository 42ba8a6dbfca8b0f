"""What `cdk destroy` leaves behind is said in the docs, for every template of both modes."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from aws_cdk.assertions import Template

from infra.stack import CertCleanupStack

DOCS = Path(__file__).resolve().parents[2] / "docs"


def kept(template: dict[str, Any]) -> set[str]:
    """Logical IDs (without CDK's hash) of the resources CloudFormation keeps when the stack is deleted."""
    return {
        re.sub(r"[0-9A-F]{8}$", "", logical_id)
        for logical_id, resource in template["Resources"].items()
        if resource.get("DeletionPolicy") in {"Retain", "RetainExceptOnCreate"}
    }


def destroy_section(document: str) -> str:
    text = (DOCS / document).read_text()
    return text[text.index("## What `cdk destroy` leaves behind") :]


def test_every_kept_resource_is_named_with_how_to_remove_it(
    stack: CertCleanupStack, central: Template, member: dict[str, Any]
) -> None:
    single = kept(dict(Template.from_stack(stack).to_json()))
    assert single == {"CleanupLogs", "ArchiveBucket"}
    organization = kept(dict(central.to_json()))
    assert organization == {"DigestLogs", "DigestReports"}
    assert kept(member) == single
    for document, names in (("deploy.md", single), ("organization.md", organization | kept(member))):
        section = destroy_section(document)
        for name in names:
            [row] = [line for line in section.splitlines() if f"`{name}..." in line]
            assert "delete" in row, (document, name)
