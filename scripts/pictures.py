"""`make pictures`: the pictures in docs/pictures/, drawn from the project itself so they stay true.

- architecture.png: what gets deployed and how a run flows, in both modes, read from the synthesized templates
  (each box is a resource of the template, each arrow a reference between them);
- email.png and chat.png: the email and the chat message of the demo account's first scheduled run, made by the
  function's own code on the emulator (as `make demo` does);
- dashboard.png: the dashboard's main widgets, drawn from the metrics the function emitted over 14 simulated
  days of that account (a screenshot of CloudWatch is impossible without an AWS account).
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Rectangle

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "pictures"
ACCOUNT = "123456789012"
CONTEXT = SimpleNamespace(
    function_name="cert-cleanup",
    memory_limit_in_mb=1769,
    invoked_function_arn=f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:cert-cleanup",
    aws_request_id="pictures",
)
COLOURS = {"trigger": "#fde9c9", "function": "#f7c6a3", "store": "#d6e6f5", "topic": "#d9f0d3", "person": "#eeeeee"}


# --- architecture, from the synthesized templates -------------------------------------------------------------


def _templates() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    import json

    import aws_cdk as cdk
    from aws_cdk.assertions import Template

    import app as cdk_app

    account = cdk_app.build(
        cdk.App(
            context={
                "notificationEmails": ["secops@example.com"],
                "slackWorkspaceId": "T0123ABCD",
                "slackChannelId": "C0123ABCDEF",
                "securityHubCustomAction": "true",
            }
        )
    )
    org_app = cdk.App(
        context={
            "mode": "organization",
            "organizationId": "o-a1b2c3d4e5",
            "organizationalUnitIds": ["r-ab12"],
            "memberRegion": "us-east-1",
            "notificationEmails": ["secops@example.com"],
        }
    )
    central = cdk_app.build(org_app)
    [member_path] = list(Path(org_app.synth().directory).glob("*Member*.stackset.template.json"))
    return (
        dict(Template.from_stack(account).to_json()),
        dict(Template.from_stack(central).to_json()),
        json.loads(member_path.read_text()),
    )


def _refs(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        if "Ref" in value:
            yield value["Ref"]
        if "Fn::GetAtt" in value:
            yield value["Fn::GetAtt"][0]
        for item in value.values():
            yield from _refs(item)
    elif isinstance(value, list):
        for item in value:
            yield from _refs(item)


LABELS = {
    "AWS::Events::Rule": ("trigger", 0),
    "AWS::SecurityHub::ActionTarget": ("trigger", 0),
    "AWS::Lambda::Function": ("function", 1),
    "AWS::S3::Bucket": ("store", 2),
    "AWS::SQS::Queue": ("store", 2),
    "AWS::CloudWatch::Alarm": ("store", 2),
    "AWS::CloudWatch::Dashboard": ("store", 2),
    "AWS::SNS::Topic": ("topic", 3),
    "AWS::SNS::Subscription": ("person", 4),
    "AWS::Chatbot::SlackChannelConfiguration": ("person", 4),
    "AWS::CloudFormation::StackSet": ("function", 1),
}


def _name(key: str, resource: dict[str, Any]) -> str:
    kind = resource["Type"].split("::")[-1]
    properties = resource.get("Properties", {})
    if kind == "Subscription":
        endpoint = properties.get("Endpoint")
        who = endpoint if isinstance(endpoint, str) else properties.get("Protocol", "")
        filtered = " (audience=people)" if "people" in str(properties.get("FilterPolicy", "")) else ""
        return f"{properties.get('Protocol')}: {who}{filtered}"
    if kind == "Rule":
        pattern = properties.get("EventPattern", {})
        if "ScheduleExpression" in properties:
            return f"schedule {properties['ScheduleExpression']}"
        return "Security Hub: " + ", ".join(pattern.get("detail-type", []))
    short = "".join(ch for ch in key if not ch.isdigit())[:30]
    return f"{kind}\n{short.rstrip('ABCDEF')}"


def _draw_graph(axis: Any, template: dict[str, Any], title: str) -> None:
    resources = {k: v for k, v in template["Resources"].items() if v["Type"] in LABELS}
    columns: dict[int, list[str]] = {}
    for key, value in resources.items():
        columns.setdefault(LABELS[value["Type"]][1], []).append(key)
    positions: dict[str, tuple[float, float]] = {}
    for column, keys in columns.items():
        for row, key in enumerate(sorted(keys, key=lambda k: resources[k]["Type"])):
            positions[key] = (column * 2.2, -row * 1.0)
    for key, (x, y) in positions.items():
        kind = LABELS[resources[key]["Type"]][0]
        axis.add_patch(
            FancyBboxPatch((x - 0.95, y - 0.38), 1.9, 0.76, boxstyle="round,pad=0.02", fc=COLOURS[kind], ec="#555")
        )
        axis.text(x, y, textwrap.fill(_name(key, resources[key]), 30), ha="center", va="center", fontsize=6)
    for key, value in resources.items():
        for target in set(_refs(value.get("Properties", {}))):
            if target in positions and target != key:
                (x1, y1), (x2, y2) = positions[key], positions[target]
                start, end = ((x1, y1), (x2, y2)) if x1 <= x2 else ((x2, y2), (x1, y1))
                axis.add_patch(
                    FancyArrowPatch(
                        (start[0] + 0.95, start[1]),
                        (end[0] - 0.95, end[1]),
                        arrowstyle="-|>",
                        mutation_scale=7,
                        color="#888",
                        lw=0.6,
                    )
                )
    rows = max(len(keys) for keys in columns.values())
    axis.set_xlim(-1.1, 4 * 2.2 + 1.1)
    axis.set_ylim(-rows + 0.4, 0.8)
    axis.set_title(title, fontsize=9)
    axis.axis("off")


def architecture() -> Path:
    account, central, member = _templates()
    figure, axes = plt.subplots(3, 1, figsize=(11, 15), dpi=120, gridspec_kw={"height_ratios": [5, 4, 3]})
    _draw_graph(axes[0], account, "One account: triggers -> the function -> what it writes and publishes -> who hears")
    _draw_graph(axes[1], central, "Organization, central stack: the digest reads every member's result")
    _draw_graph(
        axes[2], member, "Organization, each member (StackSet): the same function, reporting to the central topic"
    )
    figure.text(
        0.5,
        0.005,
        "Drawn by scripts/pictures.py from the synthesized templates: boxes are resources, arrows references.",
        ha="center",
        fontsize=7,
    )
    figure.tight_layout()
    path = OUT / "architecture.png"
    figure.savefig(path)
    plt.close(figure)
    return path


# --- the email, the chat message and the dashboard, from runs on the emulator ----------------------------------


@contextmanager
def demo_account() -> Iterator[Any]:
    from emulator.process import running
    from emulator.seed import seed_demo_account

    with running() as emulator:
        os.environ.update(emulator.environment())
        os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
        import boto3

        from cert_cleanup.config import names
        from emulator.seed import iam26_finding

        session = boto3.Session(region_name="us-east-1")
        seeded = seed_demo_account(session, datetime.now(UTC))
        # as make demo: Security Hub on with the account's IAM.26 finding, and its Config rule
        session.client("securityhub").enable_security_hub()
        session.client("securityhub").batch_import_findings(Findings=[iam26_finding(ACCOUNT)])  # type: ignore[list-item]
        session.client("config").put_config_rule(
            ConfigRule={
                "ConfigRuleName": "securityhub-iam-server-certificate-expiration-check-1a2b3c",
                "Source": {"Owner": "AWS", "SourceIdentifier": names.CONFIG_RULE_IDENTIFIER},
                "MaximumExecutionFrequency": "TwentyFour_Hours",
            }
        )
        os.environ.update(  # as make demo: a daily schedule at a fixed time
            {"SNS_TOPIC_ARN": seeded.topic_arn, "ARCHIVE_BUCKET": seeded.bucket, "SCHEDULE_KIND": "cron"}
        )
        yield SimpleNamespace(session=session, seeded=seeded, emulator=emulator)


def _text_picture(text: str, path: Path, *, title: str, bar: str | None = None, width: int = 110) -> None:
    lines = [wrapped for line in text.splitlines() for wrapped in (textwrap.wrap(line, width) or [""])]
    height = 0.135 * len(lines) + 0.6
    figure = plt.figure(figsize=(10, height), dpi=120)
    if bar:
        figure.add_artist(Rectangle((0.005, 0.02), 0.006, 0.96, color=bar, transform=figure.transFigure))
    figure.text(0.02, 0.985, title, fontsize=9, weight="bold", va="top", family="DejaVu Sans")
    figure.text(
        0.02,
        0.985 - 0.35 / height,
        "\n".join(lines),
        fontsize=7.5,
        va="top",
        family="DejaVu Sans Mono",
    )
    figure.savefig(path)
    plt.close(figure)


def email_chat_and_dashboard() -> list[Path]:
    import json

    from cert_cleanup import job
    from cert_cleanup.config.observability import metrics
    from cert_cleanup.models import RunResult
    from cert_cleanup.notify import message
    from emulator.seed import scheduled_event

    paths = []
    with demo_account() as demo:
        start = datetime.now(UTC)
        metrics.clear_metrics()
        first = job.handle(scheduled_event(ACCOUNT), CONTEXT, now=start)
        sent = demo.emulator.sns_messages(demo.seeded.topic_arn)[-1]
        email = json.loads(sent["message"])["email"]
        _text_picture(email, OUT / "email.png", title=f"Subject: {sent['subject']}")
        paths.append(OUT / "email.png")
        notification = message.chat_notification(RunResult.from_dict(first))
        content = notification["content"]
        assert isinstance(content, dict)
        _text_picture(
            str(content["description"]).replace("`", "").replace("*", ""),
            OUT / "chat.png",
            title=str(content["title"]).replace(message.INCIDENT_MARK, "[!] "),
            bar="#d33" if "INCIDENT" in str(content.get("keywords")) else "#3a3",
            width=100,
        )
        paths.append(OUT / "chat.png")
        series: list[dict[str, float]] = [_metrics(metrics)]
        for day in range(1, 15):
            job.handle(scheduled_event(ACCOUNT), CONTEXT, now=start + timedelta(days=day))
            series.append(_metrics(metrics))
    paths.append(_dashboard(series))
    return paths


def _metrics(metrics: Any) -> dict[str, float]:
    values = {name: sum(entry["Value"]) for name, entry in metrics.metric_set.items()}
    metrics.clear_metrics()
    return values


def _dashboard(series: list[dict[str, float]]) -> Path:
    from infra.components.dashboard import STATES

    days = list(range(len(series)))
    figure, (states, lookups) = plt.subplots(1, 2, figsize=(11, 3.6), dpi=120, gridspec_kw={"width_ratios": [2, 1]})
    stacks = [[run.get(f"Certificates_{state.value}", 0) for run in series] for state in STATES]
    states.stackplot(days, stacks, labels=[state.value for state in STATES], step="post")
    states.set_title("Certificates by state (each run)", fontsize=9)
    states.set_xlabel("day")
    states.legend(fontsize=6, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    failed = [run.get("FailedLookups", 0) for run in series]
    lookups.plot(days, failed, marker="o")
    lookups.set_ylim(0, max(failed) + 1)
    lookups.yaxis.get_major_locator().set_params(integer=True)
    lookups.set_title("Failed lookups (a run that deletes nothing)", fontsize=9)
    lookups.set_xlabel("day")
    figure.suptitle(
        "The dashboard's widgets, drawn from the metrics the function emitted over 14 simulated days (the demo "
        "account)",
        fontsize=8,
    )
    figure.tight_layout()
    path = OUT / "dashboard.png"
    figure.savefig(path)
    plt.close(figure)
    return path


def main() -> int:
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    OUT.mkdir(parents=True, exist_ok=True)
    for path in [architecture(), *email_chat_and_dashboard()]:
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
