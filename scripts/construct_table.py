"""The arguments tables of docs/construct.md, generated from the one definition of the settings.

Names, types and defaults come from the constructs' signatures and DeployConfig; the meaning of each from the row
of its context key in docs/deploy.md or docs/organization.md, so a setting is described once. ``python
scripts/construct_table.py`` rewrites the tables between their markers; tests/infra/test_construct.py fails while
they differ from what this prints.
"""

from __future__ import annotations

import inspect
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "lambda"), str(ROOT)]

from infra import account, organization  # noqa: E402
from infra.config import _FIELD_TO_KEY, DeployConfig  # noqa: E402

PAGE = ROOT / "docs" / "construct.md"
SOURCES = ("deploy.md", "organization.md")
RESOURCES = {
    "topic": ("sns.ITopic", "created", "every run's result; emails subscribe with the `audience=people` filter"),
    "alarm_topic": ("sns.ITopic", "created", "the alarms; CloudWatch must be allowed to publish to it (see below)"),
    "key": ("kms.IKey", "created", "encrypts the topics and queue created here; the function may use it to publish"),
    "archive_bucket": (
        "s3.IBucket",
        "created",
        "where certificates are archived before deletion (`cert-cleanup/<account>/`); its policy is left as it is",
    ),
}


def meanings() -> dict[str, tuple[str, str]]:
    """``{context key: (default as documented, meaning)}`` from the context tables of the docs."""
    found: dict[str, tuple[str, str]] = {}
    for page in SOURCES:
        for line in (ROOT / "docs" / page).read_text().splitlines():
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            if line.startswith("| `") and len(cells) >= 3:
                for key in re.findall(r"`(\w+)`", cells[0]):
                    found.setdefault(key, (cells[1], " | ".join(cells[2:])))
    return found


def default(name: str, documented: str) -> str:
    """DeployConfig's default; where it is None (decided later), the docs' words for it."""
    field = DeployConfig.model_fields[name]
    value = field.default
    if name in {"notification_emails", "organization_id", "organizational_unit_ids"}:
        return "required" if name != "notification_emails" else "required (or `no_subscribers=True`)"
    if value is None:
        return documented.replace("the default region", "the stack's region") if documented else "unset"
    if isinstance(value, tuple):
        value = list(value)
    return f"`{value!r}`"


def table(construct: type[account.CertCleanup] | type[organization.CertCleanupOrganization]) -> str:
    described = meanings()
    rows = ["| argument | type | default | context key | meaning |", "|---|---|---|---|---|"]
    for name, parameter in inspect.signature(construct.__dict__["__init__"]).parameters.items():
        if parameter.kind is not parameter.KEYWORD_ONLY:
            continue
        kind = str(parameter.annotation).removesuffix(" | None")
        if name in RESOURCES:
            resource, made, meaning = RESOURCES[name]
            rows.append(f"| `{name}` | `{resource}` | {made} | (none) | {meaning} |")
            continue
        key = _FIELD_TO_KEY[name] or name
        documented, meaning = described.get(key, ("", "(not described in docs/deploy.md)"))
        rows.append(f"| `{name}` | `{kind}` | {default(name, documented)} | `{key}` | {meaning} |")
    return "\n".join(rows)


def render(text: str) -> str:
    for construct in (account.CertCleanup, organization.CertCleanupOrganization):
        start, end = f"<!-- {construct.__name__} arguments -->", f"<!-- end {construct.__name__} arguments -->"
        before, rest = text.split(start, 1)
        _, after = rest.split(end, 1)
        text = f"{before}{start}\n{table(construct)}\n{end}{after}"
    return text


def main() -> None:
    PAGE.write_text(render(PAGE.read_text()))


if __name__ == "__main__":
    main()
