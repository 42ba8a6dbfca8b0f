"""`make pictures`: the pictures in docs/pictures/, drawn from the project itself so they stay true.

- architecture.png: what gets deployed and how data flows, in each mode; every box names the resource type it
  stands for and the drawing stops if the synthesized template does not hold it; opt-in parts are dashed, with
  their context key;
- email.png and chat.png: the email and the chat message of the demo account's first scheduled run, made by the
  function's own code on the emulator (as `make demo` does); the chat message as Slack renders its markup;
- dashboard.png: the dashboard laid out as its definition (the synthesized DashboardBody) says, each widget's
  metrics over 14 simulated days of that account (a screenshot of CloudWatch is impossible without an AWS
  account).
"""

from __future__ import annotations

import os
import re
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Box:
    """One part of the picture: where it goes, what it says, and the resource type it stands for in the template
    (checked: a box whose resource the template does not hold stops the drawing)."""

    column: float
    row: float
    title: str
    text: str
    kind: str
    resource: str | None = None  # CloudFormation type; None for what the stack does not deploy (AWS's own APIs)
    opt_in: str | None = None  # the context key that adds it


COLOURS["aws"] = "#f2f2f2"
COLOURS["optin"] = "#ffffff"


def _account_boxes(member: bool) -> dict[str, Box]:
    topic = "central " if member else ""
    boxes = {
        "schedule": Box(0, 0, "EventBridge schedule", "rate(1 day)", "trigger", "AWS::Events::Rule"),
        "findings": Box(
            0,
            1,
            "EventBridge rule",
            "Security Hub IAM.26 finding FAILED\n(ASFF and OCSF)",
            "trigger",
            "AWS::Events::Rule",
        ),
        "function": Box(
            1.15,
            0.5,
            "Lambda: cert-cleanup",
            "expired + unused + not exempt\n-> archive, delete, tell",
            "function",
            "AWS::Lambda::Function",
        ),
        "apis": Box(
            1.15,
            2,
            "AWS APIs (every enabled region)",
            "IAM; ELB, ALB/NLB (with SNI);\nCloudFront; AppSync; Security\nHub note; Config re-check",
            "aws",
        ),
        "archive": Box(
            2.3,
            0,
            "S3: archive bucket",
            "each certificate, write-once,\nbefore its deletion",
            "store",
            "AWS::S3::Bucket",
        ),
        "queue": Box(2.3, 1, "SQS: failure queue", "invocations that failed", "store", "AWS::SQS::Queue"),
        "metrics": Box(2.3, 2, "CloudWatch", "metrics, alarms, dashboard", "store", "AWS::CloudWatch::Alarm"),
        "results": Box(
            3.45,
            0,
            f"SNS: {topic}results topic",
            "every run (email text + JSON)",
            "topic",
            None if member else "AWS::SNS::Topic",
        ),
        "alarms": Box(
            3.45, 2, f"SNS: {topic}alarm topic", "CloudWatch alarms", "topic", None if member else "AWS::SNS::Topic"
        ),
        "people": Box(
            4.6,
            0,
            "Email",
            "people: only when something\nstarts, changes or is due",
            "person",
            None if member else "AWS::SNS::Subscription",
        ),
        "alarm_mail": Box(4.6, 2, "Email", "every alarm", "person", None if member else "AWS::SNS::Subscription"),
    }
    if member:
        boxes["results"] = Box(3.45, 0, "SNS: central results topic", "in the organization stack", "topic")
        boxes["alarms"] = Box(3.45, 2, "SNS: central alarm topic", "in the organization stack", "topic")
        boxes["people"] = Box(4.6, 0, "The digest", "one email a day for\nthe whole organization", "person")
        del boxes["alarm_mail"]
        boxes["metrics"] = Box(
            2.3, 2, "CloudWatch", "metrics, alarms; dashboard\n(memberDashboards)", "store", "AWS::CloudWatch::Alarm"
        )
    else:
        boxes["action"] = Box(
            0,
            2,
            "Security Hub custom action",
            "an analyst's click on a finding",
            "trigger",
            "AWS::SecurityHub::ActionTarget",
            "securityHubCustomAction",
        )
        boxes["chat_topic"] = Box(
            3.45, 1, "SNS: chat topic", "what people are told", "topic", "AWS::SNS::Topic", "slackWorkspaceId ..."
        )
        boxes["chat"] = Box(
            4.6,
            1,
            "Slack / Teams channel",
            "Amazon Q Developer in chat",
            "person",
            "AWS::Chatbot::SlackChannelConfiguration",
            "slackWorkspaceId ...",
        )
    return boxes


ACCOUNT_FLOWS = [
    ("schedule", "function"),
    ("findings", "function"),
    ("action", "function"),
    ("function", "apis"),
    ("function", "archive"),
    ("function", "queue"),
    ("function", "metrics"),
    ("function", "results"),
    ("function", "chat_topic"),
    ("metrics", "alarms"),
    ("results", "people"),
    ("alarms", "alarm_mail"),
    ("chat_topic", "chat"),
    ("alarms", "chat"),
]
CENTRAL_BOXES = {
    "members": Box(0, 0, "Each member's function", "(below) publishes its result", "function"),
    "stackset": Box(
        0,
        2,
        "CloudFormation StackSet",
        "deploys the member stack to\nevery account of the OUs",
        "function",
        "AWS::CloudFormation::StackSet",
    ),
    "results": Box(
        1.15,
        0,
        "SNS: central results topic",
        "KMS key; only the members'\ncert-cleanup role publishes",
        "topic",
        "AWS::SNS::Topic",
    ),
    "assets": Box(
        1.15,
        2,
        "S3: member assets",
        "the function's code, readable\nby the organization only",
        "store",
        "AWS::S3::Bucket",
    ),
    "queue": Box(2.3, 0, "SQS: digest queue", "every member's result", "store", "AWS::SQS::Queue"),
    "schedule": Box(2.3, 1, "EventBridge schedule", "cron(0 8 * * ? *)", "trigger", "AWS::Events::Rule"),
    "digest": Box(3.45, 0.5, "Lambda: digest", "one summary of every account", "function", "AWS::Lambda::Function"),
    "reports": Box(3.45, 2, "S3: reports", "a CSV and a JSON a day", "store", "AWS::S3::Bucket"),
    "people": Box(
        4.6,
        0,
        "Email",
        "the daily digest, through the central\nresults topic (audience=people)",
        "person",
        "AWS::SNS::Subscription",
    ),
    "alarms": Box(
        4.6,
        1.5,
        "SNS: central alarm topic",
        "every member's alarms and the\ndigest's alarm -> email",
        "topic",
        "AWS::SNS::Topic",
    ),
}
CENTRAL_FLOWS = [
    ("members", "results"),
    ("results", "queue"),
    ("queue", "digest"),
    ("schedule", "digest"),
    ("digest", "reports"),
    ("digest", "people"),
    ("stackset", "assets"),
    ("digest", "alarms"),
]


def _check(template: dict[str, Any], boxes: dict[str, Box], title: str) -> None:
    types = {resource["Type"] for resource in template["Resources"].values()}
    missing = [box.title for box in boxes.values() if box.resource and box.resource not in types]
    if missing:
        raise SystemExit(f"pictures: {title}: the template holds no resource for {missing}")


def _draw_boxes(axis: Any, boxes: dict[str, Box], flows: list[tuple[str, str]], title: str) -> None:
    width, height = 0.95, 0.62
    for box in boxes.values():
        x, y = box.column, -box.row
        axis.add_patch(
            FancyBboxPatch(
                (x - width / 2, y - height / 2),
                width,
                height,
                boxstyle="round,pad=0.02",
                fc=COLOURS[box.kind],
                ec="#555",
                lw=1.0,
                ls="--" if box.opt_in else "-",
            )
        )
        axis.text(x, y + 0.14, box.title, ha="center", va="center", fontsize=7.5, weight="bold")
        axis.text(x, y - 0.1, box.text, ha="center", va="center", fontsize=6.3, linespacing=1.2)
        if box.opt_in:
            axis.text(
                x,
                y - height / 2 - 0.07,
                f"opt-in: -c {box.opt_in}",
                ha="center",
                va="center",
                fontsize=5.8,
                style="italic",
                color="#a33",
            )
    for source, target in flows:
        if source not in boxes or target not in boxes:
            continue
        a, b = boxes[source], boxes[target]
        (x1, y1), (x2, y2) = (a.column, -a.row), (b.column, -b.row)
        if abs(x1 - x2) < 0.01:  # same column: from the bottom edge to the top edge
            start, end = (x1, y1 - height / 2), (x2, y2 + height / 2)
        else:
            start, end = (x1 + width / 2, y1), (x2 - width / 2, y2)
        axis.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=9, color="#444", lw=0.9))
    axis.set_xlim(-0.55, 5.15)
    axis.set_ylim(-2.55, 0.5)
    axis.set_title(title, fontsize=10, loc="left")
    axis.axis("off")


def architecture(templates: tuple[dict[str, Any], dict[str, Any], dict[str, Any]]) -> Path:
    account, central, member = templates
    one, member_boxes = _account_boxes(member=False), _account_boxes(member=True)
    _check(account, one, "one account")
    _check(central, CENTRAL_BOXES, "organization")
    _check(member, member_boxes, "member")
    figure, axes = plt.subplots(3, 1, figsize=(11, 11), dpi=120)
    _draw_boxes(axes[0], one, ACCOUNT_FLOWS, "One account (make deploy)")
    _draw_boxes(axes[1], CENTRAL_BOXES, CENTRAL_FLOWS, "Organization: the central stack (make deploy-org)")
    _draw_boxes(axes[2], member_boxes, ACCOUNT_FLOWS, "Organization: each member account (by the StackSet)")
    figure.text(
        0.5,
        0.008,
        "Arrows: the way data flows. Dashed: opt-in (the context key below it). Each box's resource is checked "
        "against the synthesized template by scripts/pictures.py.",
        ha="center",
        fontsize=7,
    )
    figure.tight_layout(rect=(0, 0.02, 1, 1))
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
            {
                "SNS_TOPIC_ARN": seeded.topic_arn,
                "ARCHIVE_BUCKET": seeded.bucket,
                "SCHEDULE_KIND": "cron",
                "LEASE_TABLE": seeded.lease_table,
            }
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


SLACK_MARKUP = re.compile(r"(\*[^*\n]+\*|`[^`\n]+`)")


def _runs(line: str) -> list[tuple[str, str]]:
    """A line of Slack's markup as (text, style) runs: *bold*, `code`, plain."""
    runs = []
    for part in SLACK_MARKUP.split(line):
        if part.startswith("*") and part.endswith("*") and len(part) > 1:
            runs.append((part[1:-1], "bold"))
        elif part.startswith("`") and part.endswith("`") and len(part) > 1:
            runs.append((part[1:-1], "code"))
        elif part:
            runs.append((part, "plain"))
    return runs


def _siren(figure: Any, x: float, y: float, size: float) -> None:
    """Slack's :rotating_light: emoji (no colour emoji font here): a red dome on a grey base, with rays."""
    from matplotlib.patches import Wedge

    axis = figure.add_axes((x, y, size, size * figure.get_figwidth() / figure.get_figheight()))
    axis.set_xlim(0, 1)
    axis.set_ylim(0, 1)
    axis.axis("off")
    axis.add_patch(Rectangle((0.15, 0.12), 0.7, 0.14, color="#777"))
    axis.add_patch(Wedge((0.5, 0.26), 0.3, 0, 180, color="#e0245e"))
    axis.add_patch(Wedge((0.5, 0.26), 0.12, 0, 180, color="#ff9fb6"))
    for x1, y1, x2, y2 in ((0.5, 0.66, 0.5, 0.9), (0.2, 0.55, 0.05, 0.7), (0.8, 0.55, 0.95, 0.7)):
        axis.plot([x1, x2], [y1, y2], color="#f5a623", lw=1.6)


def _chat_picture(content: dict[str, Any], path: Path) -> None:
    """The custom notification as Slack shows it: the emoji, a bold title, the description with its *bold* and
    `code`, the next steps; a red bar for an incident."""
    title = str(content["title"])
    emoji = title.startswith(":rotating_light: ")
    title = title.removeprefix(":rotating_light: ")
    lines = [*str(content["description"]).splitlines()]
    if content.get("nextSteps"):
        lines += ["", "*Next steps*", *(f"• {step}" for step in content["nextSteps"])]
    width_px, margin, line_px = 1200, 40, 17
    figure = plt.figure(figsize=(width_px / 120, 1), dpi=120)
    renderer = getattr(figure.canvas, "get_renderer")()  # noqa: B009 (not in every backend's stubs)
    fonts = {
        "plain": {"family": "DejaVu Sans", "fontsize": 8},
        "bold": {"family": "DejaVu Sans", "fontsize": 8, "weight": "bold"},
        "code": {"family": "DejaVu Sans Mono", "fontsize": 7.5, "color": "#c7254e"},
    }
    fonts_any: dict[str, dict[str, Any]] = fonts  # matplotlib's stubs (when installed) type each keyword
    placed: list[tuple[float, int, str, str]] = []  # x px, line index, text, style
    row = 0
    for line in lines:
        x = float(margin)
        for text, style in _runs(line):
            for word in re.findall(r"\S+\s*|\s+", text):
                probe = figure.text(0, 0, word, **fonts_any[style])
                word_px = probe.get_window_extent(renderer).width
                probe.remove()
                if x + word_px > width_px - margin and x > margin:
                    row, x = row + 1, float(margin + 12)
                placed.append((x, row, word, style))
                x += word_px
        row += 1
    height_px = 70 + line_px * row
    figure.set_size_inches(width_px / 120, height_px / 120)
    bar = "#d33" if "INCIDENT" in str(content.get("keywords")) else "#3a3"
    figure.add_artist(Rectangle((0.006, 0.04), 0.004, 0.92, color=bar, transform=figure.transFigure))
    if emoji:
        _siren(figure, margin / width_px, 1 - 36 / height_px, 20 / width_px)
    figure.text(
        (margin + (26 if emoji else 0)) / width_px, 1 - 20 / height_px, title, fontsize=9.5, weight="bold", va="top"
    )
    for x, at_row, word, style in placed:
        figure.text(x / width_px, 1 - (52 + at_row * line_px) / height_px, word, va="top", **fonts_any[style])
    figure.savefig(path)
    plt.close(figure)


def email_chat_and_dashboard(account: dict[str, Any]) -> list[Path]:
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
        _chat_picture(content, OUT / "chat.png")
        paths.append(OUT / "chat.png")
        runs: list[dict[str, float]] = [_metrics(metrics)]
        for day in range(1, 15):
            began = time.monotonic()
            job.handle(scheduled_event(ACCOUNT), CONTEXT, now=start + timedelta(days=day))
            runs.append({**_metrics(metrics), "duration_ms": (time.monotonic() - began) * 1000})
        runs[0]["duration_ms"] = runs[1]["duration_ms"]
    paths.append(_dashboard(account, runs))
    return paths


def _metrics(metrics: Any) -> dict[str, float]:
    values = {name: sum(entry["Value"]) for name, entry in metrics.metric_set.items()}
    metrics.clear_metrics()
    return values


def dashboard_widgets(template: dict[str, Any]) -> list[dict[str, Any]]:
    """The widgets of the template's dashboard, as CloudWatch reads its DashboardBody (references named)."""
    import json

    [body] = [
        r["Properties"]["DashboardBody"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::CloudWatch::Dashboard"
    ]
    parts = body["Fn::Join"][1] if isinstance(body, dict) else [body]
    text = "".join(part if isinstance(part, str) else _reference(part) for part in parts)
    widgets: list[dict[str, Any]] = json.loads(text)["widgets"]
    return widgets


def _alarm_name(template: dict[str, Any], reference: str) -> str:
    """The alarm's name as CloudWatch shows it (the stack named CertCleanup), from its logical id in the body."""
    for key, resource in template["Resources"].items():
        if resource["Type"] == "AWS::CloudWatch::Alarm" and reference.endswith(
            "".join(c for c in key if not c.isdigit())
        ):
            name = resource["Properties"].get("AlarmName", key)
            if isinstance(name, dict):
                parts = name["Fn::Join"][1]
                return "".join(p if isinstance(p, str) else "CertCleanup" for p in parts)
            return str(name)
    return reference


def _reference(part: dict[str, Any]) -> str:
    target = part.get("Ref") or (part.get("Fn::GetAtt") or ["?"])[0]
    return {"AWS::Region": "us-east-1"}.get(str(target), "".join(ch for ch in str(target) if not ch.isdigit()))


def _series(metric: list[Any], runs: list[dict[str, float]]) -> tuple[str, list[float]]:
    """One metric of a widget over the simulated days: the function's own metrics as it emitted them; Lambda's
    from the runs (one a day, none failed, their measured duration)."""
    namespace, name = metric[0], metric[1]
    options = metric[-1] if isinstance(metric[-1], dict) else {}
    label = str(options.get("label", name))
    if namespace == "AWS/Lambda":
        values = {
            "Invocations": [1.0] * len(runs),
            "Errors": [0.0] * len(runs),
            "Duration": [run.get("duration_ms", 0.0) for run in runs],
        }[name]
        return label, values
    return label, [run.get(name, 0.0) for run in runs]


def _dashboard(template: dict[str, Any], runs: list[dict[str, float]]) -> Path:
    """The dashboard as its definition lays it out (CloudWatch's 24-column grid), each graph over the 14 days."""
    from matplotlib.ticker import MaxNLocator

    widgets = dashboard_widgets(template)
    rows = max(w["y"] + w["height"] for w in widgets)
    figure = plt.figure(figsize=(12, 1.2 + 0.42 * rows), dpi=120)
    days = list(range(len(runs)))
    for widget in widgets:
        left, width = widget["x"] / 24, widget["width"] / 24
        bottom, height = 1 - (widget["y"] + widget["height"]) / rows, widget["height"] / rows
        properties = widget["properties"]
        room = 0.15 if properties.get("stacked") else 0.07  # a stacked graph's legend goes on its right
        axis = figure.add_axes((left + 0.045, bottom * 0.9 + 0.07, width - room, height * 0.9 - 0.1))
        axis.set_title(properties.get("title", ""), fontsize=8, loc="left")
        if widget["type"] == "alarm":
            axis.axis("off")
            for index, alarm in enumerate(properties["alarms"]):
                axis.text(
                    0.02,
                    0.85 - index * 0.2,
                    f"OK   {_alarm_name(template, alarm)}",
                    fontsize=7,
                    color="#2a7",
                    family="DejaVu Sans Mono",
                    transform=axis.transAxes,
                )
            continue
        series = [_series(metric, runs) for metric in properties["metrics"]]
        if properties.get("stacked"):
            # CloudWatch stacks the metrics in the order the widget lists them, the first at the bottom
            axis.stackplot(days, [values for _, values in series], labels=[label for label, _ in series], step="post")
            handles, labels = axis.get_legend_handles_labels()
            axis.legend(handles[::-1], labels[::-1], fontsize=6, loc="upper left", bbox_to_anchor=(1.0, 1.02))
        else:
            for label, values in series:
                axis.plot(days, values, marker="o", markersize=2.5, label=label)
            axis.legend(fontsize=6, loc="upper left")
        axis.xaxis.set_major_locator(MaxNLocator(integer=True))
        axis.yaxis.set_major_locator(MaxNLocator(integer=True))
        totals = [sum(day) for day in zip(*(values for _, values in series), strict=True)]
        peak = max(totals) if properties.get("stacked") else max(max(values) for _, values in series)
        axis.set_ylim(0, max(1.0, peak) * 1.1)
        axis.tick_params(labelsize=6)
        axis.set_xlabel("day", fontsize=6)
    figure.suptitle(
        "The dashboard as infra/components/dashboard.py defines it, its metrics from 14 simulated days of the demo "
        "account (CloudWatch itself needs an AWS account)",
        fontsize=8,
    )
    path = OUT / "dashboard.png"
    figure.savefig(path)
    plt.close(figure)
    return path


def main() -> int:
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    OUT.mkdir(parents=True, exist_ok=True)
    templates = _templates()
    for path in [architecture(templates), *email_chat_and_dashboard(templates[0])]:
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
