"""Organization mode: one central topic, and the function in every member account by StackSet.

Deployed in the management account or a delegated administrator. CloudFormation StackSets with
service-managed permissions do the rollout, including to accounts that join the OUs later.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import Aws, CfnOutput, CfnParameter, CfnResource, Names, RemovalPolicy, Stack, Token
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from cdk_stacksets import (
    Capability,
    DeploymentType,
    OperationPreferences,
    RegionConcurrencyType,
    StackSet,
    StackSetStack,
    StackSetTarget,
    StackSetTemplate,
)
from constructs import Construct

from cert_cleanup.config import names
from cert_cleanup.config.types import TellPeopleChoice

from . import nag
from .arguments import from_arguments
from .arns import ANY, arn
from .components.archive import private_bucket
from .components.cleanup import add_cleanup
from .components.dashboard import digest_dashboard
from .components.digest import OrganizationDigest
from .components.monitoring import alarm_arn_pattern
from .components.notifications import Notifications
from .components.security_hub import FindingsRelay
from .config import ContextError, DeployConfig

CENTRAL_TOPIC_PARAMETER = "CentralTopicArn"
CENTRAL_ALARM_TOPIC_PARAMETER = "CentralAlarmTopicArn"
CENTRAL_KEY_PARAMETER = "CentralKeyArn"
CENTRAL_BUS_PARAMETER = "CentralResultsBusArn"
CONCURRENCY_MODE = "SOFT_FAILURE_TOLERANCE"


class MemberStack(StackSetStack):
    """What every member account gets: the single-account function, pointed at the central topic, and its result's
    way to the central bus (the function puts it on the account's default bus; a rule forwards it).

    No per-account topic and no per-account KMS key: the failure queue uses SQS-managed encryption.
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, config: DeployConfig, region: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        topic_arn = CfnParameter(self, CENTRAL_TOPIC_PARAMETER, description="The central summary topic").value_as_string
        # A member publishes to the central topic only when it tells people (tellPeople): only then does its role
        # need the topic's key, and only then is the key a parameter (an unused one is a template defect).
        self.tells_people = config.tell_people not in (None, "never")
        key_arn = (
            CfnParameter(self, CENTRAL_KEY_PARAMETER, description="The central topic's KMS key").value_as_string
            if self.tells_people
            else None
        )
        alarm_topic_arn = CfnParameter(
            self, CENTRAL_ALARM_TOPIC_PARAMETER, description="The central alarm topic"
        ).value_as_string
        topic = sns.Topic.from_topic_arn(self, "CentralTopic", topic_arn)
        alarm_topic = sns.Topic.from_topic_arn(self, "CentralAlarmTopic", alarm_topic_arn)
        bus_arn = CfnParameter(
            self, CENTRAL_BUS_PARAMETER, description="The central bus of member results"
        ).value_as_string
        # The function puts its result on this account's default bus; EventBridge stamps the event with this account.
        own_bus_arn = arn("events", "event-bus/default", region=Aws.REGION)
        # Members email no one by default: the central digest tells people once a day (tellPeople overrides).
        self.cleanup = add_cleanup(
            self,
            config,
            topic=topic,
            alarm_topic=alarm_topic,
            topic_key_arn=key_arn,
            queue_key=None,
            read_account_alias=True,
            role_name=names.MEMBER_ROLE_NAME,
            tell_people="never",
            dashboard=config.member_dashboards,
            results_bus_arn=own_bus_arn,
            region=region,
        )
        # A rule forwards results to the central bus. A cross-account bus target needs a role EventBridge assumes
        # (EventBridge User Guide, "Sending and receiving events between AWS accounts"); the event keeps this
        # account as its ``account``. The role may put events on the central bus only, and only for this rule.
        self.forwarder = iam.Role(
            self,
            "ResultsForwarder",
            role_name=names.MEMBER_FORWARDER_ROLE_NAME,
            description="cert-cleanup: EventBridge forwards this account's run results to the organization's bus",
            assumed_by=iam.ServicePrincipal(
                "events.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}}
            ),
        )
        self.forward = events.Rule(
            self,
            "ForwardResults",
            description="cert-cleanup: this account's run results, to the organization's digest",
            event_bus=events.EventBus.from_event_bus_arn(self, "OwnBus", own_bus_arn),
            event_pattern=events.EventPattern(
                source=[names.RESULT_EVENT_SOURCE], detail_type=[names.RESULT_DETAIL_TYPE]
            ),
            # CDK grants the role events:PutEvents on the central bus, and nothing else
            targets=[
                targets.EventBus(events.EventBus.from_event_bus_arn(self, "CentralBus", bus_arn), role=self.forwarder)
            ],
        )
        nag.acknowledge_cleanup(self, archive_bucket=self.cleanup.archive.bucket if self.cleanup.archive else None)


class MemberFindingsRelay(StackSetStack):
    """Where a member's IAM.26 findings are (its own us-east-1, or the aggregation region): the rules that send them
    to the member's function in the members' region. Each member's findings arrive in its own account (and, as
    copies, in the delegated administrator's); a member's function cleans only its own account, so the rule is in
    the member account."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: DeployConfig, function_region: str, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        FindingsRelay(
            self,
            "Relay",
            function_region=function_region,
            findings=config.findings_start_runs,
            custom_action=False,  # refused in organization mode (infra/config.py)
            action_id="",
        )


# The DeployConfig fields that are CertCleanupOrganization's keyword arguments (a test holds the signature to this):
# the organization's, and the members' function settings (chat and the custom action are single-account only).
ARGUMENTS = tuple(
    name
    for name in DeployConfig.model_fields
    if name not in {"mode", "security_hub_custom_action"} and not name.startswith(("slack_", "teams_"))
)


class CertCleanupOrganization(Construct):
    """The central topic, the asset bucket members read the function code from, and the StackSet that puts the
    clean-up in every account of the organizational units: for an app in the management account or a delegated
    administrator, in the members' region. Settings as CertCleanup's (None: the default; a wrong value raises
    ``ArgumentError`` naming the argument); ``organization_id`` and ``organizational_unit_ids`` are required.

    Attributes: ``topic``, ``alarm_topic``, ``key`` (the central ones), ``digest`` (``.function``, ``.bucket``),
    ``dashboard``, ``asset_bucket``, ``stack_set``, ``member`` (the members' stack) and ``config``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        organization_id: str,
        organizational_unit_ids: Sequence[str],
        member_region: str | None = None,
        max_concurrent_percentage: int | None = None,
        failure_tolerance_percentage: int | None = None,
        delegated_admin: bool | None = None,
        asset_bucket_prefix: str | None = None,
        digest_schedule: str | None = None,
        notification_emails: Sequence[str] | None = None,
        no_subscribers: bool | None = None,
        schedule: str | None = None,
        dry_run: bool | None = None,
        grace_days: int | None = None,
        expiry_warning_days: int | None = None,
        exempt_tag_key: str | None = None,
        archive: bool | None = None,
        log_retention_days: int | None = None,
        account_label: str | None = None,
        reserved_concurrency: bool | None = None,
        tell_people: TellPeopleChoice | None = None,
        reminder_days: Sequence[int] | None = None,
        run_interval_minutes: int | None = None,
        reevaluate_config_rule: bool | None = None,
        findings_start_runs: bool | None = None,
        update_findings: bool | None = None,
        security_hub_aggregation_region: str | None = None,
        member_dashboards: bool | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        settings = {name: value for name, value in locals().items() if name in ARGUMENTS}
        config = from_arguments("CertCleanupOrganization", {**settings, "mode": "organization"}, allowed=ARGUMENTS)
        self.config = config
        stack = Stack.of(self)
        if config.organization_id is None:  # DeployConfig refuses organization mode without it
            raise ValueError("organizationId is required")
        organization_id = config.organization_id
        self.organization_id = organization_id
        # Lambda reads code from a bucket in its own region and SNS takes a Publish in the topic's
        # region: the central topic and the asset bucket live in the members' region (app.py deploys
        # this stack there).
        member_region = config.member_region or stack.region
        if not Token.is_unresolved(stack.region) and member_region != stack.region:
            raise ContextError(
                f"invalid CDK context: context 'memberRegion': {member_region!r} differs from the organization "
                f"stack's region {stack.region!r}; the stack must be deployed in the members' region"
            )

        notifications = Notifications(self, "Notifications", emails=config.notification_emails)
        # Members publish to the topic only what people are told, and by default tell no one (the digest does):
        # then nobody outside this account may publish. When they do, only the members' cert-cleanup role, in an
        # account of this organization, may publish and encrypt: not every principal of the organization.
        if config.tell_people not in (None, "never"):
            member_role_arn = arn("iam", f"role/{names.MEMBER_ROLE_NAME}", account=ANY)
            notifications.allow_publishers(
                "MemberFunctions",
                iam.AnyPrincipal(),
                {
                    "StringEquals": {"aws:PrincipalOrgID": organization_id},
                    "ArnLike": {"aws:PrincipalArn": member_role_arn},
                },
                key_conditions={"StringEquals": {"kms:ViaService": f"sns.{Aws.REGION}.{Aws.URL_SUFFIX}"}},
            )
        notifications.allow_alarms(alarm_arn_pattern(region=ANY, account=ANY), organization_id=organization_id)

        # StackSet members read the function code from <prefix>-<region>, readable by the organization only.
        # It holds only build output: it goes with the stack (emptied first), so a later deploy can
        # create its fixed name again.
        self.asset_bucket = private_bucket(
            self,
            "MemberAssets",
            bucket_name=f"{config.asset_prefix}-{member_region}",
            removal_policy=RemovalPolicy.DESTROY,
            auto_delete_objects=True,
        )
        self.asset_bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="OrganizationReadsMemberAssets",
                principals=[
                    iam.AnyPrincipal().with_conditions({"StringEquals": {"aws:PrincipalOrgID": organization_id}})
                ],
                actions=["s3:GetObject"],
                resources=[self.asset_bucket.arn_for_objects("*")],
            )
        )

        self.digest = OrganizationDigest(
            self,
            "Digest",
            topic=notifications.topic,
            alarm_topic=notifications.alarm_topic,
            topic_key_arn=notifications.key.key_arn,
            schedule=config.digest_schedule,
            log_retention=config.log_retention,
            organization_id=organization_id,
            unit_ids=list(config.organizational_unit_ids),
            run_interval_minutes=config.interval_minutes,
        )
        self.dashboard = digest_dashboard(self, "Dashboard", function=self.digest.function, alarms=[self.digest.errors])

        self.member = MemberStack(
            self,
            "Member",
            config=config,
            region=member_region,
            asset_buckets=[self.asset_bucket],
            asset_bucket_prefix=config.asset_prefix,
        )
        self.stack_set = StackSet(
            self,
            "StackSet",
            stack_set_name="cert-cleanup",
            description="cert-cleanup in every member account: deletes expired unused IAM server certificates",
            template=StackSetTemplate.from_stack_set_stack(self.member),
            target=StackSetTarget.from_organizational_units(
                organizational_units=list(config.organizational_unit_ids), regions=[member_region]
            ),
            deployment_type=DeploymentType.service_managed(
                auto_deploy_enabled=True, auto_deploy_retain_stacks=False, delegated_admin=config.delegated_admin
            ),
            operation_preferences=OperationPreferences(
                region_concurrency_type=RegionConcurrencyType.PARALLEL,
                max_concurrent_percentage=config.max_concurrent_percentage,
                failure_tolerance_percentage=config.failure_tolerance_percentage,
            ),
            capabilities=[Capability.NAMED_IAM],  # the member role has a fixed name
            managed_execution=True,
            parameters={
                CENTRAL_TOPIC_PARAMETER: notifications.topic.topic_arn,
                CENTRAL_ALARM_TOPIC_PARAMETER: notifications.alarm_topic.topic_arn,
                CENTRAL_BUS_PARAMETER: self.digest.bus.event_bus_arn,
                **({CENTRAL_KEY_PARAMETER: notifications.key.key_arn} if self.member.tells_people else {}),
            },
        )
        triggers = self.member.cleanup.security_hub
        self.findings_stack_set: StackSet | None = None
        if triggers is not None and triggers.relay_region:
            # Members' IAM.26 findings appear in another region than their function's: the rules go there.
            self.findings_stack_set = StackSet(
                self,
                "FindingsStackSet",
                stack_set_name="cert-cleanup-findings",
                description=f"cert-cleanup: IAM.26 findings in {triggers.relay_region} start each member's clean-up",
                template=StackSetTemplate.from_stack_set_stack(
                    MemberFindingsRelay(self, "FindingsRelay", config=config, function_region=member_region)
                ),
                target=StackSetTarget.from_organizational_units(
                    organizational_units=list(config.organizational_unit_ids), regions=[triggers.relay_region]
                ),
                deployment_type=DeploymentType.service_managed(
                    auto_deploy_enabled=True, auto_deploy_retain_stacks=False, delegated_admin=config.delegated_admin
                ),
                operation_preferences=OperationPreferences(
                    region_concurrency_type=RegionConcurrencyType.PARALLEL,
                    max_concurrent_percentage=config.max_concurrent_percentage,
                    failure_tolerance_percentage=config.failure_tolerance_percentage,
                ),
                capabilities=[Capability.IAM],
                managed_execution=True,
            )
        # SOFT: concurrency stays what maxConcurrentPercentage says whatever fails (STRICT, the default, caps it at
        # failure tolerance + 1, so a tolerance that rounds down to 0 deploys one account at a time and stops
        # at the first failure). cdk-stacksets does not expose the mode: set on the CloudFormation resource.
        stack_set = self.stack_set.node.default_child
        assert isinstance(stack_set, CfnResource)
        stack_set.add_property_override("OperationPreferences.ConcurrencyMode", CONCURRENCY_MODE)
        # Members fetch their code as soon as the StackSet deploys: the organization must be able to read it by then.
        if self.asset_bucket.policy is not None:
            self.stack_set.node.add_dependency(self.asset_bucket.policy)
        # ...and the copy must have put it there. cdk-stacksets adds that dependency only when the StackSet is a
        # child of the stack itself (it looks for its asset copies, made at the stack's root, among the StackSet's
        # siblings): in this construct it is not, so it is added here.
        copies = f"{Names.unique_id(self.member)}-AssetBucketDeployment-"
        for child in stack.node.children:
            if child.node.id.startswith(copies):
                self.stack_set.node.add_dependency(child)
        self.notifications = notifications
        self.topic: sns.ITopic = notifications.topic
        self.alarm_topic: sns.ITopic = notifications.alarm_topic
        self.key: kms.IKey = notifications.key
        nag.acknowledge_organization(self, reports=self.digest.bucket, member_assets=self.asset_bucket)


class OrganizationStack(Stack):
    """This repository's organization app: the CertCleanupOrganization construct and the outputs ``cdk deploy``
    prints."""

    def __init__(self, scope: Construct, construct_id: str, *, config: DeployConfig, **kwargs: Any) -> None:
        super().__init__(
            scope,
            construct_id,
            description="cert-cleanup for an AWS Organization: central topic and StackSet rollout (CIS 1.19)",
            **kwargs,
        )
        # "Default": left out of logical IDs, so every resource keeps the logical ID it had (stack.py says why).
        built = CertCleanupOrganization(self, "Default", **config.model_dump(include=set(ARGUMENTS)))
        self.organization = built
        self.notifications = notifications = built.notifications
        self.digest = built.digest
        self.dashboard = built.dashboard
        self.asset_bucket = built.asset_bucket
        self.member = built.member
        self.stack_set = built.stack_set
        self.findings_stack_set = built.findings_stack_set  # members' IAM.26 rules where their findings are
        CfnOutput(self, "CentralTopicArn", value=notifications.topic.topic_arn, description="Every member reports here")
        CfnOutput(
            self, "CentralAlarmTopicArn", value=notifications.alarm_topic.topic_arn, description="Every member's alarms"
        )
        CfnOutput(
            self,
            "ResultsBusArn",
            value=built.digest.bus.event_bus_arn,
            description="Every member's result arrives here",
        )
        CfnOutput(
            self, "DigestReportBucket", value=built.digest.bucket.bucket_name, description="Daily organization reports"
        )
        CfnOutput(
            self,
            "DashboardName",
            value=built.dashboard.dashboard.dashboard_name,
            description="CloudWatch dashboard: the digest's figures, its runs and alarm",
        )
        CfnOutput(
            self, "MemberAssetBucket", value=built.asset_bucket.bucket_name, description="Function code for members"
        )
