"""The clean-up: its scheduled function (role from the permissions its code declares), failure queue, alarms and
archive. One body for the single-account stack and every organization member."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jsii
from aws_cdk import Duration, RemovalPolicy, Stack, Tags
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from cert_cleanup import job
from cert_cleanup.aws import securityhub
from cert_cleanup.aws.permissions import On, Permission
from cert_cleanup.config import names
from cert_cleanup.config.settings import Settings
from cert_cleanup.config.types import TellPeopleChoice

from ..arns import ANY, arn
from ..config import DeployConfig
from .archive import Archive
from .dashboard import cleanup_dashboard
from .monitoring import PERIOD, count_alarm
from .scheduled_function import ScheduledFunction
from .security_hub import SecurityHubTriggers, action_id

TIMEOUT = Duration.minutes(10)
MEMORY_MB = names.FUNCTION_MEMORY_MB
# One statement per kind of resource, in the order the code's modules declare them.
SIDS = {
    On.ANY: "DiscoverCertificatesAndTheirUsers",
    On.SERVER_CERTIFICATES: "ReadArchiveAndDeleteServerCertificates",
    On.TOPIC: "PublishSummary",
    On.TOPIC_KEY: "EncryptForTopicAndQueue",
    On.ARCHIVE: "ArchiveBeforeDelete",
    On.CONFIG_RULES: "RefreshComplianceAfterDelete",
    On.THIS_FUNCTION: "ReadOwnDeploymentTime",
    On.SECURITY_HUB: "NoteRunOnIam26Findings",
    On.CHAT_TOPIC: "PostToChat",
    On.LEASE_TABLE: "OneRunAtATime",
    On.ACM_CERTIFICATES: "ReadAcmCertificatesToNameSuccessors",
    On.RESULTS_BUS: "PutResultOnOwnBus",
}
SIDS_IN_REGIONS = {On.ANY: "FindComplianceRule"}  # the same, for calls made in named regions only


@jsii.implements(lambda_.IDestination)
class QueueDestination:
    """An on-failure SQS destination that grants nothing by itself: the role's policy says it all."""

    def __init__(self, queue: sqs.IQueue) -> None:
        self.queue = queue

    def bind(
        self, scope: Construct, fn: lambda_.IFunction, *, type: lambda_.DestinationType
    ) -> lambda_.DestinationConfig:
        return lambda_.DestinationConfig(destination=self.queue.queue_arn)


def function_environment(config: DeployConfig, *, tell_people: TellPeopleChoice = "on-change") -> dict[str, str]:
    """The function's settings as environment variables, checked by the function's own rules.

    ``tell_people`` is the default when the context does not set ``tellPeople``.
    """
    environment = {
        names.ENV_DRY_RUN: str(config.dry_run).lower(),
        names.ENV_GRACE_DAYS: str(config.grace_days),
        names.ENV_EXPIRY_WARNING_DAYS: str(config.expiry_warning_days),
        names.ENV_EXEMPT_TAG_KEY: config.exempt_tag_key,
        names.ENV_TELL_PEOPLE: config.tell_people or tell_people,
        names.ENV_REMINDER_DAYS: ",".join(str(days) for days in config.reminder_days),
        names.ENV_RUN_INTERVAL_MINUTES: str(config.interval_minutes),
        names.ENV_SCHEDULE_KIND: config.schedule.split("(", 1)[0],
        names.ENV_REEVALUATE_CONFIG_RULE: str(config.reevaluate_config_rule).lower(),
        names.ENV_UPDATE_FINDINGS: str(config.update_findings).lower(),
    }
    if config.account_label:
        environment[names.ENV_ACCOUNT_LABEL] = config.account_label
    Settings.build(**environment)  # the function would refuse what this refuses
    return environment


class CleanupFunction(ScheduledFunction):
    """The clean-up on its schedule, its failure queue, and a role granting exactly what its code declares."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        environment: dict[str, str],
        topic: sns.ITopic,
        alarm_topic: sns.ITopic,
        topic_key_arn: str | None,
        queue_key: kms.IKey | None,
        archive: Archive | None,
        config: DeployConfig,
        alarm_scope: Construct,
        read_account_alias: bool = False,
        role_name: str | None = None,
        chat_topic: sns.ITopic | None = None,
        lease_table: dynamodb.ITable,
        results_bus_arn: str | None = None,
    ) -> None:
        """``queue_key`` encrypts the failure queue; ``None`` uses SQS-managed encryption (no key to pay for).

        ``config.reserved_concurrency`` reserves one concurrent execution; off by default, because an account
        whose concurrency quota is 10 refuses any reservation (Lambda keeps 10 unreserved). Runs that meet are
        kept apart without it: ``lease_table`` holds the run lease (aws/lease.py), one run at a time.
        """
        queues: list[sqs.Queue] = []

        def failure_queue(owner: Construct) -> dict[str, Any]:
            queue = sqs.Queue(
                owner,
                "FailedRuns",
                encryption=sqs.QueueEncryption.KMS if queue_key else sqs.QueueEncryption.SQS_MANAGED,
                encryption_master_key=queue_key,
                enforce_ssl=True,
                retention_period=Duration.days(14),
            )
            queues.append(queue)
            return {"on_failure": QueueDestination(queue)}

        super().__init__(
            scope,
            construct_id,
            description="Deletes expired IAM server certificates proven unused (CIS AWS 1.19, Security Hub IAM.26)",
            role_description="cert-cleanup: read certificate users everywhere, delete expired unused IAM certificates",
            handler=names.HANDLER,
            timeout=TIMEOUT,
            memory_mb=MEMORY_MB,
            environment={
                **environment,
                names.ENV_SNS_TOPIC_ARN: topic.topic_arn,
                names.ENV_LEASE_TABLE: lease_table.table_name,
                "POWERTOOLS_SERVICE_NAME": names.SERVICE_NAME,
                "POWERTOOLS_METRICS_NAMESPACE": names.METRICS_NAMESPACE,
            },
            schedule=config.schedule,
            log_retention=config.log_retention,
            alarm_topic=alarm_topic,
            alarm_name="function-errors",
            alarm_description=(
                "cert-cleanup run failed: a lookup, a delete or the summary failed. See the email or the logs."
            ),
            alarm_scope=alarm_scope,
            alarm_id="FunctionErrors",
            role_name=role_name,
            owned_options=failure_queue,
            reserved_concurrent_executions=1 if config.reserved_concurrency else None,
            max_event_age=Duration.hours(1),
            tracing=lambda_.Tracing.ACTIVE,
        )
        [self.failure_queue] = queues
        resources = {
            On.ANY: ["*"],
            On.SERVER_CERTIFICATES: [arn("iam", "server-certificate/*")],
            On.TOPIC: [topic.topic_arn],
            On.CHAT_TOPIC: [chat_topic.topic_arn] if chat_topic else [],
            On.RESULTS_BUS: [results_bus_arn] if results_bus_arn else [],
            On.TOPIC_KEY: list(
                dict.fromkeys(
                    [*([topic_key_arn] if topic_key_arn else []), *([queue_key.key_arn] if queue_key else [])]
                )
            ),
            On.ARCHIVE: [archive.objects_arn()] if archive else [],
            On.CONFIG_RULES: [arn("config", "config-rule/*", region=ANY)],
            On.LEASE_TABLE: [lease_table.table_arn],
            On.SECURITY_HUB: [
                arn("securityhub", "hub/default", region=ANY),
                arn("securityhub", "hubv2/*", region=ANY),
            ],
            On.ACM_CERTIFICATES: [arn("acm", "certificate/*", region=ANY)],
        }
        permissions = job.permissions(
            archive=archive is not None,
            reevaluate_config_rule=config.reevaluate_config_rule,
            read_account_alias=read_account_alias,
            tell_people=environment[names.ENV_TELL_PEOPLE],
            update_findings=config.update_findings,
            chat=chat_topic is not None,
            results_bus=results_bus_arn is not None,
        )
        for (on, regions), actions in _grouped(permissions).items():
            if on is On.THIS_FUNCTION:
                # The first scheduled run after a deploy reads the function's own LastModified. On this function
                # only, in a policy of its own: the role's default policy cannot name the function created after it.
                iam.Policy(
                    self,
                    "ReadOwnDeploymentTime",
                    roles=[self.role],
                    statements=[
                        iam.PolicyStatement(sid=SIDS[on], actions=actions, resources=[self.function.function_arn])
                    ],
                )
                continue
            conditions = {"StringEquals": {"aws:RequestedRegion": list(regions)}} if regions else None
            sid = SIDS_IN_REGIONS[on] if regions and on in SIDS_IN_REGIONS else SIDS[on]
            self.grant(sid, actions, resources[on], conditions=conditions)
        # Security Hub: the finding fields the function never writes are denied (aws/securityhub.py ASFF_DENIED).
        if config.update_findings:
            for sid, condition in finding_field_denials():
                self.grant(
                    sid, ["securityhub:BatchUpdateFindings"], ["*"], effect=iam.Effect.DENY, conditions=condition
                )
        # What the code does not call itself: Lambda writes the logs and sends a failed invocation to the queue
        # with the function's role. And, defence in depth, IAM itself refuses to delete a certificate tagged
        # exempt, whatever the code decides.
        self.grant_own_logs()
        self.grant("ReportFailedRun", ["sqs:SendMessage"], [self.failure_queue.queue_arn])
        self.grant(
            "NeverDeleteExemptCertificates",
            ["iam:DeleteServerCertificate"],
            ["*"],
            effect=iam.Effect.DENY,
            conditions={"StringEqualsIgnoreCase": {f"aws:ResourceTag/{config.exempt_tag_key}": "true"}},
        )


def finding_field_denials() -> list[tuple[str, dict[str, Any]]]:
    """Deny statements that leave BatchUpdateFindings(V2) able to write the note and the workflow only, never
    SUPPRESSED: the condition keys the Security Hub user guide documents for restricting it ("Configuring access
    to BatchUpdateFindings": a Deny with ``Null`` false on a field's key, or ``StringEquals`` on its value).
    One statement per field: keys of one Null condition are ANDed."""
    denials: list[tuple[str, dict[str, Any]]] = []
    for field in securityhub.ASFF_DENIED:
        key = f"securityhub:ASFFSyntaxPath/{field}"
        denials.append((f"NeverWriteFinding{field.replace('.', '')}", {"Null": {key: "false"}}))
    for field in securityhub.OCSF_DENIED:
        key = f"securityhub:OCSFSyntaxPath/{field}"
        denials.append((f"NeverWriteFindingV2{field}", {"Null": {key: "false"}}))
    workflow = {"securityhub:ASFFSyntaxPath/Workflow.Status": securityhub.NEVER_WORKFLOW}
    denials.append(("NeverSuppressFinding", {"StringEquals": workflow}))
    status = {"securityhub:OCSFSyntaxPath/StatusId": str(securityhub.OCSF_SUPPRESSED)}
    denials.append(("NeverSuppressFindingV2", {"StringEquals": status}))
    return denials


def _grouped(permissions: tuple[Permission, ...]) -> dict[tuple[On, tuple[str, ...]], list[str]]:
    groups: dict[tuple[On, tuple[str, ...]], list[str]] = {}
    for permission in permissions:
        groups.setdefault((permission.on, permission.regions), []).append(permission.action)
    return {key: list(dict.fromkeys(actions)) for key, actions in groups.items()}


@dataclass(frozen=True)
class Cleanup:
    function: CleanupFunction
    archive: Archive | None
    dashboard: cloudwatch.Dashboard | None
    lease_table: dynamodb.Table
    security_hub: SecurityHubTriggers | None = None


def lease_table(scope: Construct) -> dynamodb.Table:
    """The run lease's table: one item (aws/lease.py), written a few times per run. On demand, so it costs
    nothing at rest; AWS-owned encryption (it holds run ids and times, nothing secret); destroyed with the stack
    (the lease is rebuilt by the next run)."""
    table = dynamodb.Table(
        scope,
        names.LEASE_TABLE_ID,
        partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
        billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
        removal_policy=RemovalPolicy.DESTROY,
    )
    Tags.of(table).add(names.LEASE_TABLE_TAG_KEY, names.LEASE_TABLE_TAG_VALUE)  # how the command line finds it
    return table


def add_cleanup(
    scope: Construct,
    config: DeployConfig,
    *,
    topic: sns.ITopic,
    alarm_topic: sns.ITopic,
    topic_key_arn: str | None,
    queue_key: kms.IKey | None,
    read_account_alias: bool = False,
    role_name: str | None = None,
    tell_people: TellPeopleChoice = "on-change",
    chat_topic: sns.ITopic | None = None,
    archive_bucket: s3.IBucket | None = None,
    dashboard: bool = True,
    results_bus_arn: str | None = None,
    region: str | None = None,
) -> Cleanup:
    """The function stack's body, shared by one account and every organization member: the archive (if on), the
    function with its role, queue and schedule, and its alarms (under ``Monitoring``). ``region`` is where the
    stack deploys when the stack itself cannot say (a StackSet's member stack)."""
    archive = Archive(scope, "Archive", bucket=archive_bucket) if config.archive else None
    environment = function_environment(config, tell_people=tell_people)
    if archive:
        environment[names.ENV_ARCHIVE_BUCKET] = archive.bucket.bucket_name
    if read_account_alias:
        environment[names.ENV_READ_ACCOUNT_ALIAS] = "true"
    if chat_topic:
        environment[names.ENV_CHAT_TOPIC_ARN] = chat_topic.topic_arn
    if results_bus_arn:  # an organization member: its result goes on this bus, forwarded to the central one
        environment[names.ENV_RESULTS_BUS_ARN] = results_bus_arn
    monitoring = Construct(scope, "Monitoring")
    table = lease_table(scope)
    function = CleanupFunction(
        scope,
        "Cleanup",
        environment=environment,
        topic=topic,
        alarm_topic=alarm_topic,
        topic_key_arn=topic_key_arn,
        queue_key=queue_key,
        archive=archive,
        config=config,
        alarm_scope=monitoring,
        read_account_alias=read_account_alias,
        role_name=role_name,
        chat_topic=chat_topic,
        lease_table=table,
        results_bus_arn=results_bus_arn,
    )
    # Messages sent, not messages visible: nothing consumes the queue, so its depth stays up for the 14 days it
    # keeps them, and an alarm on it would stay in ALARM and be silent for every later failure.
    queued = count_alarm(
        monitoring,
        "FailedRunsQueued",
        name="failed-runs-queued",
        description="cert-cleanup: a failed invocation was sent to the failure queue.",
        metric=function.failure_queue.metric_number_of_messages_sent(period=PERIOD, statistic="Sum"),
        topic=alarm_topic,
    )
    triggers = None
    if config.findings_start_runs or config.security_hub_custom_action:
        stack = Stack.of(scope)
        triggers = SecurityHubTriggers(
            scope,
            "SecurityHub",
            function=function.function,
            findings=config.findings_start_runs,
            custom_action=config.security_hub_custom_action,
            region=region or stack.region,
            aggregation_region=config.security_hub_aggregation_region,
            action_id=action_id(stack.stack_name),
        )
    if not dashboard:  # organization members with memberDashboards=false
        return Cleanup(function, archive, None, table, triggers)
    board = cleanup_dashboard(scope, "Dashboard", function=function.function, alarms=[function.errors, queued])
    return Cleanup(function, archive, board.dashboard, table, triggers)
