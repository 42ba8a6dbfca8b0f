"""Organization mode: one central topic, and the function in every member account by StackSet.

Deployed in the management account or a delegated administrator. CloudFormation StackSets with
service-managed permissions do the rollout, including to accounts that join the OUs later.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Aws, CfnOutput, CfnParameter, CfnResource, RemovalPolicy, Stack, Token
from aws_cdk import aws_iam as iam
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
from infra.arns import ANY, arn
from infra.components.archive import private_bucket
from infra.components.cleanup import add_cleanup
from infra.components.dashboard import digest_dashboard
from infra.components.digest import OrganizationDigest
from infra.components.monitoring import alarm_arn_pattern
from infra.components.notifications import Notifications
from infra.components.security_hub import FindingsRelay
from infra.config import ContextError, DeployConfig

CENTRAL_TOPIC_PARAMETER = "CentralTopicArn"
CENTRAL_ALARM_TOPIC_PARAMETER = "CentralAlarmTopicArn"
CENTRAL_KEY_PARAMETER = "CentralKeyArn"
CONCURRENCY_MODE = "SOFT_FAILURE_TOLERANCE"


class MemberStack(StackSetStack):
    """What every member account gets: the single-account function, pointed at the central topic.

    No per-account topic and no per-account KMS key: the failure queue uses SQS-managed encryption.
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, config: DeployConfig, region: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        topic_arn = CfnParameter(self, CENTRAL_TOPIC_PARAMETER, description="The central summary topic").value_as_string
        key_arn = CfnParameter(self, CENTRAL_KEY_PARAMETER, description="The central topic's KMS key").value_as_string
        alarm_topic_arn = CfnParameter(
            self, CENTRAL_ALARM_TOPIC_PARAMETER, description="The central alarm topic"
        ).value_as_string
        topic = sns.Topic.from_topic_arn(self, "CentralTopic", topic_arn)
        alarm_topic = sns.Topic.from_topic_arn(self, "CentralAlarmTopic", alarm_topic_arn)
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
            region=region,
        )


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


class OrganizationStack(Stack):
    """The central topic, the asset bucket members read the function code from, and the StackSet."""

    def __init__(self, scope: Construct, construct_id: str, *, config: DeployConfig, **kwargs: Any) -> None:
        super().__init__(
            scope,
            construct_id,
            description="cert-cleanup for an AWS Organization: central topic and StackSet rollout (CIS 1.19)",
            **kwargs,
        )
        if config.organization_id is None:  # DeployConfig refuses organization mode without it
            raise ValueError("organizationId is required")
        organization_id = config.organization_id
        # Lambda reads code from a bucket in its own region and SNS takes a Publish in the topic's
        # region: the central topic and the asset bucket live in the members' region (app.py deploys
        # this stack there).
        member_region = config.member_region or self.region
        if not Token.is_unresolved(self.region) and member_region != self.region:
            raise ContextError(
                f"invalid CDK context: context 'memberRegion': {member_region!r} differs from the organization "
                f"stack's region {self.region!r}; the stack must be deployed in the members' region"
            )

        notifications = Notifications(self, "Notifications", emails=config.notification_emails)
        # Only the members' cert-cleanup role, in an account of this organization, may publish and
        # encrypt: not every principal of the organization.
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
                CENTRAL_KEY_PARAMETER: notifications.key.key_arn,
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
        self.notifications = notifications
        CfnOutput(self, "CentralTopicArn", value=notifications.topic.topic_arn, description="Every member reports here")
        CfnOutput(
            self, "CentralAlarmTopicArn", value=notifications.alarm_topic.topic_arn, description="Every member's alarms"
        )
        CfnOutput(
            self, "DigestReportBucket", value=self.digest.bucket.bucket_name, description="Daily organization reports"
        )
        CfnOutput(
            self,
            "DashboardName",
            value=self.dashboard.dashboard.dashboard_name,
            description="CloudWatch dashboard: the digest's figures, its runs and alarm",
        )
        CfnOutput(
            self, "MemberAssetBucket", value=self.asset_bucket.bucket_name, description="Function code for members"
        )
