"""A CloudWatch dashboard: what people look at instead of reading.

The single-account stack (and each organization member) shows certificates by state over time (the metrics the
function emits each run: ``Certificates_<action>`` and ``FailedLookups`` in the ``CertCleanup`` namespace, with
Powertools' ``service`` dimension), runs and their duration, errors, and the alarms. The organization's central
stack shows the digest's figures (accounts, accounts that need a person, incidents, results left queued) and the
digest's own runs and alarm.
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
    Action.EXEMPT,
    Action.VALID,
)
DIGEST_FIGURES = ("Accounts", "AccountsNeedingAPerson", "AccountsWithIncidents", "ResultsLeftQueued")


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


class CleanupDashboard(Construct):
    """Certificates by state, runs and duration, failed lookups, and the alarms of one account's function."""

    def __init__(
        self, scope: Construct, construct_id: str, *, function: lambda_.IFunction, alarms: list[cloudwatch.IAlarm]
    ) -> None:
        super().__init__(scope, construct_id)
        service = names.SERVICE_NAME
        self.dashboard = cloudwatch.Dashboard(
            self,
            "Dashboard",
            dashboard_name=f"cert-cleanup-{Aws.STACK_NAME}-{Aws.REGION}",
            default_interval=Duration.days(14),
        )
        self.dashboard.add_widgets(
            cloudwatch.TextWidget(
                markdown="## cert-cleanup\nExpired IAM server certificates nothing uses are deleted; what is left and "
                "why is in each run's summary. Security Hub IAM.26 follows.",
                width=24,
                height=2,
            )
        )
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Certificates by state (each run)",
                left=[run_metric(f"Certificates_{state.value}", service, label=state.value) for state in STATES],
                stacked=True,
                width=16,
            ),
            cloudwatch.AlarmStatusWidget(title="Alarms", alarms=alarms, width=8),
        )
        self.dashboard.add_widgets(
            *_function_widgets(function, "cert-cleanup"),
            cloudwatch.GraphWidget(
                title="Failed lookups (a run that deletes nothing)",
                left=[run_metric("FailedLookups", service, statistic="Sum", label="failed lookups")],
                width=8,
            ),
        )


class DigestDashboard(Construct):
    """The organization digest's figures, its runs and its alarm."""

    def __init__(
        self, scope: Construct, construct_id: str, *, function: lambda_.IFunction, alarms: list[cloudwatch.IAlarm]
    ) -> None:
        super().__init__(scope, construct_id)
        service = names.DIGEST_SERVICE_NAME
        self.dashboard = cloudwatch.Dashboard(
            self,
            "Dashboard",
            dashboard_name=f"cert-cleanup-{Aws.STACK_NAME}-{Aws.REGION}",
            default_interval=Duration.days(30),
        )
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="The organization (each digest)",
                left=[run_metric(name, service) for name in DIGEST_FIGURES],
                width=16,
            ),
            cloudwatch.AlarmStatusWidget(title="Alarms", alarms=alarms, width=8),
        )
        self.dashboard.add_widgets(*_function_widgets(function, "digest"))
