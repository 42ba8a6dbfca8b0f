"""A CloudWatch dashboard: what people look at instead of reading.

The single-account stack (and each organization member) shows certificates by state over time (the metrics the
function emits each run: ``Certificates_<action>`` and ``FailedLookups`` in the ``CertCleanup`` namespace, with
Powertools' ``service`` dimension), runs and their duration, errors, and the alarms. The organization's central
stack shows the digest's figures (accounts, accounts that need a person, incidents, results left queued, results
not believed) and the digest's own runs and alarm.
"""

from __future__ import annotations

from aws_cdk import Aws, Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from cert_cleanup.config import names
from cert_cleanup.models import Action

PERIOD = Duration.hours(1)
# The order people read them in: what needs a person first
STATES = (
    Action.IN_USE,
    Action.USAGE_UNKNOWN,
    Action.FAILED,
    Action.EXPIRING_SOON,
    Action.GRACE_PERIOD,
    Action.WOULD_DELETE,
    Action.DELETED,
    Action.ALREADY_GONE,
    Action.EXEMPT,
    Action.VALID,
)
DIGEST_FIGURES = names.DIGEST_METRICS


def run_metric(name: str, service: str, *, statistic: str = "Maximum", label: str | None = None) -> cloudwatch.Metric:
    return cloudwatch.Metric(
        namespace=names.METRICS_NAMESPACE,
        metric_name=name,
        dimensions_map={"service": service},
        statistic=statistic,
        period=PERIOD,
        label=label or name,
    )


def _function_widgets(function: lambda_.IFunction, title: str) -> list[cloudwatch.IWidget]:
    """Runs and failed runs, and duration, of ``function``."""
    return [
        cloudwatch.GraphWidget(
            title=f"{title}: runs and errors",
            left=[
                function.metric_invocations(period=PERIOD, statistic="Sum", label="runs"),
                function.metric_errors(period=PERIOD, statistic="Sum", label="failed runs"),
            ],
            width=8,
        ),
        cloudwatch.GraphWidget(
            title=f"{title}: duration",
            left=[
                function.metric_duration(period=PERIOD, statistic="Average", label="average"),
                function.metric_duration(period=PERIOD, statistic="Maximum", label="longest"),
            ],
            width=8,
        ),
    ]


class StackDashboard(Construct):
    """A dashboard: the figures of each run beside the alarms, then the function's runs and duration, then
    ``extra`` widgets."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        function: lambda_.IFunction,
        alarms: list[cloudwatch.IAlarm],
        name: str,
        title: str,
        figures: list[cloudwatch.IMetric],
        stacked: bool,
        days: int,
        extra: list[cloudwatch.IWidget],
    ) -> None:
        super().__init__(scope, construct_id)
        self.dashboard = cloudwatch.Dashboard(
            self,
            "Dashboard",
            dashboard_name=f"cert-cleanup-{Aws.STACK_NAME}-{Aws.REGION}",
            default_interval=Duration.days(days),
        )
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(title=title, left=figures, stacked=stacked, width=16),
            cloudwatch.AlarmStatusWidget(title="Alarms", alarms=alarms, width=8),
        )
        self.dashboard.add_widgets(*_function_widgets(function, name), *extra)


def cleanup_dashboard(
    scope: Construct, construct_id: str, *, function: lambda_.IFunction, alarms: list[cloudwatch.IAlarm]
) -> StackDashboard:
    """Certificates by state (what needs a person on top), runs and duration, failed lookups, the alarms."""
    service = names.SERVICE_NAME
    return StackDashboard(
        scope,
        construct_id,
        function=function,
        alarms=alarms,
        name="cert-cleanup",
        title="Certificates by state (each run)",
        # A stacked graph piles its metrics in the order listed, the first at the bottom: listed from the last of
        # STATES, so that what needs a person is on top.
        figures=[
            run_metric(names.METRIC_CERTIFICATES.format(action=state.value), service, label=state.value)
            for state in reversed(STATES)
        ],
        stacked=True,
        days=14,
        extra=[
            cloudwatch.GraphWidget(
                title="Failed lookups (a run that deletes nothing)",
                left=[run_metric(names.METRIC_FAILED_LOOKUPS, service, statistic="Sum", label="failed lookups")],
                width=8,
            )
        ],
    )


def digest_dashboard(
    scope: Construct, construct_id: str, *, function: lambda_.IFunction, alarms: list[cloudwatch.IAlarm]
) -> StackDashboard:
    """The organization digest's figures, its runs and its alarm."""
    return StackDashboard(
        scope,
        construct_id,
        function=function,
        alarms=alarms,
        name="digest",
        title="The organization (each digest)",
        figures=[run_metric(name, names.DIGEST_SERVICE_NAME) for name in DIGEST_FIGURES],
        stacked=False,
        days=30,
        extra=[],
    )
