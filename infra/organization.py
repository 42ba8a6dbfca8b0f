"""Organization mode: one central topic, and the function in every member account by StackSet.

Deployed in the management account or a delegated administrator. CloudFormation StackSets with
service-managed permissions do the rollout, including to accounts that join the OUs later.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Aws, CfnOutput, CfnParameter, Stack
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

from infra.components.archive import private_bucket
from infra.components.notifications import Notifications
from infra.config import DeployConfig
from infra.stack import add_cleanup

CENTRAL_TOPIC_PARAMETER = "CentralTopicArn"
CENTRAL_KEY_PARAMETER = "CentralKeyArn"


class MemberStack(StackSetStack):
    """What every member account gets: the single-account function, pointed at the central topic.

    No per-account topic and no per-account KMS key: the failure queue uses SQS-managed encryption.
    """

    def __init__(self, scope: Construct, construct_id: str, *, config: DeployConfig, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        topic_arn = CfnParameter(self, CENTRAL_TOPIC_PARAMETER, description="The central summary topic").value_as_string
        key_arn = CfnParameter(self, CENTRAL_KEY_PARAMETER, description="The central topic's KMS key").value_as_string
        topic = sns.Topic.from_topic_arn(self, "CentralTopic", topic_arn)
        self.cleanup, _ = add_cleanup(
            self, config, topic=topic, topic_key_arn=key_arn, queue_key=None, read_account_alias=True
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
        member_region = config.member_region or self.region

        notifications = Notifications(self, "Notifications", emails=config.notification_emails)
        organization_accounts = iam.AnyPrincipal().with_conditions(
            {"StringEquals": {"aws:PrincipalOrgID": organization_id}}
        )
        notifications.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="MemberFunctionsPublish",
                principals=[organization_accounts],
                actions=["sns:Publish"],
                resources=[notifications.topic.topic_arn],
            )
        )
        notifications.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="MemberAlarmsPublish",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[notifications.topic.topic_arn],
                conditions={"StringEquals": {"aws:SourceOrgID": organization_id}},
            )
        )
        notifications.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="MemberFunctionsEncryptForTheTopic",
                principals=[organization_accounts],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
                conditions={"StringEquals": {"kms:ViaService": f"sns.{Aws.REGION}.amazonaws.com"}},
            )
        )
        notifications.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="MemberAlarmsEncryptForTheTopic",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceOrgID": organization_id}},
            )
        )

        # StackSet members read the function code from <prefix>-<region>, readable by the organization only.
        self.asset_bucket = private_bucket(self, "MemberAssets", bucket_name=f"{config.asset_prefix}-{member_region}")
        self.asset_bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="OrganizationReadsMemberAssets",
                principals=[organization_accounts],
                actions=["s3:GetObject"],
                resources=[self.asset_bucket.arn_for_objects("*")],
            )
        )

        self.member = MemberStack(
            self, "Member", config=config, asset_buckets=[self.asset_bucket], asset_bucket_prefix=config.asset_prefix
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
            capabilities=[Capability.IAM],
            managed_execution=True,
            parameters={
                CENTRAL_TOPIC_PARAMETER: notifications.topic.topic_arn,
                CENTRAL_KEY_PARAMETER: notifications.key.key_arn,
            },
        )
        self.notifications = notifications
        CfnOutput(self, "CentralTopicArn", value=notifications.topic.topic_arn, description="Every member reports here")
        CfnOutput(
            self, "MemberAssetBucket", value=self.asset_bucket.bucket_name, description="Function code for members"
        )
