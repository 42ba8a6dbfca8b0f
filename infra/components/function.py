"""The function, its role (least privilege), its logs, its failure queue and its schedule."""

from __future__ import annotations

import jsii
from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from cert_cleanup.config import names
from infra.arns import ANY, arn
from infra.bundling import ARCHITECTURE, RUNTIME, function_code

TIMEOUT = Duration.minutes(10)
MEMORY_MB = names.FUNCTION_MEMORY_MB

# Discovery calls that take no resource ARN in IAM's authorization model: they can only be
# granted on "*". All are read-only.
READ_ANY_RESOURCE = (
    "iam:ListServerCertificates",
    "ec2:DescribeRegions",
    "elasticloadbalancing:DescribeLoadBalancers",
    "elasticloadbalancing:DescribeListeners",
    "elasticloadbalancing:DescribeListenerCertificates",
    "cloudfront:ListDistributions",
    "appsync:ListDomainNames",
)
# Calls on one server certificate: granted on the account's server certificates only.
ON_SERVER_CERTIFICATES = (
    "iam:GetServerCertificate",
    "iam:ListServerCertificateTags",
    "iam:DeleteServerCertificate",
)


@jsii.implements(lambda_.IDestination)
class QueueDestination:
    """An on-failure SQS destination that grants nothing by itself: the role's policy says it all."""

    def __init__(self, queue: sqs.IQueue) -> None:
        self.queue = queue

    def bind(
        self, scope: Construct, fn: lambda_.IFunction, *, type: lambda_.DestinationType
    ) -> lambda_.DestinationConfig:
        return lambda_.DestinationConfig(destination=self.queue.queue_arn)


class CleanupFunction(Construct):
    """The scheduled Lambda function and everything only it needs."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        environment: dict[str, str],
        topic: sns.ITopic,
        topic_key_arn: str,
        queue_key: kms.IKey | None,
        archive_objects_arn: str | None,
        schedule: str,
        log_retention: logs.RetentionDays,
        exempt_tag_key: str,
        read_account_alias: bool = False,
        reserved_concurrency: bool = False,
        role_name: str | None = None,
        reevaluate_config_rule: bool = True,
    ) -> None:
        """``queue_key`` encrypts the failure queue; ``None`` uses SQS-managed encryption (no key to pay for).

        ``reserved_concurrency`` reserves one concurrent execution; off by default, because an
        account whose concurrency quota is 10 refuses any reservation (Lambda keeps 10 unreserved).
        Overlapping runs are safe without it: a second delete of the same certificate ends
        ``deleted`` (NoSuchEntity), and archive keys hold the run id.
        """
        super().__init__(scope, construct_id)

        self.log_group = logs.LogGroup(self, "Logs", retention=log_retention)
        self.failure_queue = sqs.Queue(
            self,
            "FailedRuns",
            encryption=sqs.QueueEncryption.KMS if queue_key else sqs.QueueEncryption.SQS_MANAGED,
            encryption_master_key=queue_key,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            role_name=role_name,
            description="cert-cleanup: read certificate users everywhere, delete expired unused IAM certificates",
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="DiscoverCertificatesAndTheirUsers", actions=list(READ_ANY_RESOURCE), resources=["*"]
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="ReadArchiveAndDeleteServerCertificates",
                actions=list(ON_SERVER_CERTIFICATES),
                resources=[arn("iam", "server-certificate/*")],
            )
        )
        # Defence in depth: IAM itself refuses to delete a certificate tagged exempt, whatever the code decides.
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="NeverDeleteExemptCertificates",
                effect=iam.Effect.DENY,
                actions=["iam:DeleteServerCertificate"],
                resources=["*"],
                conditions={"StringEqualsIgnoreCase": {f"aws:ResourceTag/{exempt_tag_key}": "true"}},
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="WriteOwnLogs",
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[self.log_group.log_group_arn],
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(sid="PublishSummary", actions=["sns:Publish"], resources=[topic.topic_arn])
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="ReportFailedRun", actions=["sqs:SendMessage"], resources=[self.failure_queue.queue_arn]
            )
        )
        key_arns = list(dict.fromkeys([topic_key_arn, *([queue_key.key_arn] if queue_key else [])]))
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="EncryptForTopicAndQueue", actions=["kms:Decrypt", "kms:GenerateDataKey*"], resources=key_arns
            )
        )
        if read_account_alias:
            self.role.add_to_policy(
                iam.PolicyStatement(sid="NameTheAccount", actions=["iam:ListAccountAliases"], resources=["*"])
            )
        if reevaluate_config_rule:
            # IAM.26's rule exists only in these regions. DescribeConfigRules takes no resource ARN; rule ARNs
            # hold a random id, so the start is scoped to the account's rules in those regions.
            in_rule_regions = {"StringEquals": {"aws:RequestedRegion": sorted(set(names.CONFIG_RULE_REGIONS.values()))}}
            self.role.add_to_policy(
                iam.PolicyStatement(
                    sid="FindComplianceRule",
                    actions=["config:DescribeConfigRules"],
                    resources=["*"],
                    conditions=in_rule_regions,
                )
            )
            self.role.add_to_policy(
                iam.PolicyStatement(
                    sid="RefreshComplianceAfterDelete",
                    actions=["config:StartConfigRulesEvaluation"],
                    resources=[arn("config", "config-rule/*", region=ANY)],
                    conditions=in_rule_regions,
                )
            )
        if archive_objects_arn:
            self.role.add_to_policy(
                iam.PolicyStatement(
                    sid="ArchiveBeforeDelete", actions=["s3:PutObject"], resources=[archive_objects_arn]
                )
            )

        self.function = lambda_.Function(
            self,
            "Function",
            description="Deletes expired IAM server certificates proven unused (CIS AWS 1.19, Security Hub IAM.26)",
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            handler=names.HANDLER,
            code=function_code(),
            timeout=TIMEOUT,
            memory_size=MEMORY_MB,
            role=self.role,
            reserved_concurrent_executions=1 if reserved_concurrency else None,
            retry_attempts=0,
            max_event_age=Duration.hours(1),
            on_failure=QueueDestination(self.failure_queue),
            tracing=lambda_.Tracing.ACTIVE,
            log_group=self.log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            environment={
                **environment,
                names.ENV_SNS_TOPIC_ARN: topic.topic_arn,
                "POWERTOOLS_SERVICE_NAME": names.SERVICE_NAME,
                "POWERTOOLS_METRICS_NAMESPACE": names.METRICS_NAMESPACE,
            },
        )

        if environment.get(names.ENV_TELL_PEOPLE, "on-change") == "on-change":
            # The first scheduled run after a deploy reads the function's own LastModified to tell people the
            # whole current state. On this function only, in a policy of its own: the role's default policy
            # cannot name the function, which is created after it.
            iam.Policy(
                self,
                "ReadOwnDeploymentTime",
                roles=[self.role],
                statements=[
                    iam.PolicyStatement(
                        sid="ReadOwnDeploymentTime",
                        actions=["lambda:GetFunctionConfiguration"],
                        resources=[self.function.function_arn],
                    )
                ],
            )

        self.rule = events.Rule(
            self,
            "Schedule",
            description="Runs cert-cleanup",
            schedule=events.Schedule.expression(schedule),
            targets=[targets.LambdaFunction(self.function, retry_attempts=0)],
        )
