"""The dashboards show what the functions really emit: every CertCleanup metric on a dashboard is one a run (or
the digest) publishes, with the service dimension it publishes it under; and each stack names its dashboard."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Template

from cert_cleanup import job
from cert_cleanup.config import names
from cert_cleanup.config.observability import metrics
from cert_cleanup.org import job as digest_job
from emulator import seed
from infra.stack import CertCleanupStack
from tests.support import CONTEXT, SCHEDULED, Fake, fake_aws, summary_settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def aws() -> Iterator[Fake]:
    with fake_aws() as fake:
        yield fake


def dashboard_metrics(template: dict[str, Any]) -> set[tuple[str, str]]:
    """(metric name, service) of every CertCleanup metric in the template's dashboard."""
    [dashboard] = [v for v in template["Resources"].values() if v["Type"] == "AWS::CloudWatch::Dashboard"]
    _, parts = dashboard["Properties"]["DashboardBody"]["Fn::Join"]
    body = json.loads("".join(part if isinstance(part, str) else "us-east-1" for part in parts))
    shown = set()
    for widget in body["widgets"]:
        for metric in widget.get("properties", {}).get("metrics", []):
            if metric[0] == names.METRICS_NAMESPACE:
                assert metric[2] == "service", metric
                shown.add((metric[1], metric[3]))
    return shown


def emitted(call: Any) -> set[str]:
    metrics.clear_metrics()
    call()
    names_ = set(metrics.metric_set)
    metrics.clear_metrics()
    return names_


def test_the_account_dashboard_shows_each_state_the_function_emits(stack: CertCleanupStack, aws: Fake) -> None:
    template = dict(Template.from_stack(stack).to_json())
    shown = dashboard_metrics(template)
    assert {service for _, service in shown} == {names.SERVICE_NAME}
    # a run over every kind of certificate emits a count per state and the failed lookups
    aws.certificate("old", days=-30)
    used = aws.certificate("used", days=-30)["Arn"]
    seed.classic_elb(aws.session, "eu-west-1", "legacy", used)
    aws.certificate("soon", days=10)
    settings = summary_settings(aws.session, UPDATE_FINDINGS="false")
    published = emitted(lambda: job.handle(SCHEDULED, CONTEXT, settings=settings, clients=aws.clients))
    assert {name for name, _ in shown} == published
    assert "Certificates_in_use" in published
    assert any(output.startswith("DashboardName") for output in template["Outputs"])


def test_the_organization_dashboard_shows_the_digest_s_figures(central: Template, aws: Fake) -> None:
    template = dict(central.to_json())
    shown = dashboard_metrics(template)
    assert {service for _, service in shown} == {names.DIGEST_SERVICE_NAME}
    sqs = aws.session.client("sqs")
    queue = sqs.create_queue(QueueName="results")["QueueUrl"]
    aws.session.client("s3").create_bucket(Bucket="reports")
    topic = aws.session.client("sns").create_topic(Name="central")["TopicArn"]
    from cert_cleanup.config.settings import DigestSettings

    settings = DigestSettings.model_validate(
        {names.ENV_DIGEST_QUEUE_URL: queue, names.ENV_REPORT_BUCKET: "reports", names.ENV_SNS_TOPIC_ARN: topic}
    )
    published = emitted(lambda: digest_job.send(settings, aws.clients))
    assert {name for name, _ in shown} == published
    assert any(output.startswith("DashboardName") for output in template["Outputs"])


def test_the_states_are_stacked_with_what_needs_a_person_on_top(stack: CertCleanupStack) -> None:
    # A stacked graph piles its metrics in the order the widget lists them, the first at the bottom (docs/deploy.md
    # promises "what needs a person on top"): in_use is listed last, valid first
    from infra.components.dashboard import STATES

    template = dict(Template.from_stack(stack).to_json())
    resources = template["Resources"].values()
    [body] = [r["Properties"]["DashboardBody"] for r in resources if r["Type"] == "AWS::CloudWatch::Dashboard"]
    text = "".join(part for part in body["Fn::Join"][1] if isinstance(part, str))
    order = [text.index(f'"Certificates_{state.value}"') for state in STATES]
    assert order == sorted(order, reverse=True)
    assert '"stacked":true' in text


NUMBERS = {"four": 4, "five": 5, "six": 6, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12}


def _row(document: str, starts: str) -> str:
    [row] = [line for line in (ROOT / "docs" / document).read_text().splitlines() if line.startswith(starts)]
    return row


def test_the_cost_tables_count_the_custom_metrics_each_function_emits(aws: Fake) -> None:
    # The metrics a run emits (every state, zero or not, and the failed lookups) and a digest emits, as the cost
    # tables of docs/deploy.md and docs/organization.md count them (each metric is billed)
    from cert_cleanup.config.settings import DigestSettings
    from cert_cleanup.models import Action

    aws.certificate("old", days=-30)
    settings = summary_settings(aws.session, UPDATE_FINDINGS="false")
    per_run = emitted(lambda: job.handle(SCHEDULED, CONTEXT, settings=settings, clients=aws.clients))
    queue = aws.session.client("sqs").create_queue(QueueName="results")["QueueUrl"]
    aws.session.client("s3").create_bucket(Bucket="reports")
    topic = aws.session.client("sns").create_topic(Name="central")["TopicArn"]
    digest_settings = DigestSettings.model_validate(
        {names.ENV_DIGEST_QUEUE_URL: queue, names.ENV_REPORT_BUCKET: "reports", names.ENV_SNS_TOPIC_ARN: topic}
    )
    per_digest = emitted(lambda: digest_job.send(digest_settings, aws.clients))

    account_row = _row("deploy.md", "| CloudWatch custom metrics |")
    count, states = re.search(r"\| (\w+): `Certificates_<state>` for the (\w+) states", account_row).groups()  # type: ignore[union-attr]
    assert (NUMBERS[count], NUMBERS[states]) == (len(per_run), len(Action))
    assert f"({len(per_run)} x $0.30 x 30/730)" in account_row
    member_row = _row("organization.md", "| each member |" + f" {count} custom metrics")
    assert f"for the {states} states" in member_row
    central_row = _row("organization.md", "| central | dashboard,")
    assert re.search(r"one alarm, (\w+) digest metrics", central_row).group(1) == next(  # type: ignore[union-attr]
        word for word, number in NUMBERS.items() if number == len(per_digest)
    )
