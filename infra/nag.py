"""cdk-nag AWS Solutions checks, and each finding acknowledged here with its specific reason."""

from __future__ import annotations

from aws_cdk import Acknowledgment, App, Validations
from cdk_nag import AwsSolutionsChecks

ACKNOWLEDGMENTS = {
    "AwsSolutions::AwsSolutions-IAM5[Resource::*]": (
        "iam:ListServerCertificates, ec2:DescribeRegions, the elasticloadbalancing Describe* calls, "
        "cloudfront:ListDistributions, appsync:ListDomainNames and X-Ray's PutTraceSegments/PutTelemetryRecords "
        "support no resource-level permissions in IAM: '*' is the only resource they accept. All are read-only "
        "except X-Ray trace writes."
    ),
    "AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:server-certificate/*]": (
        "The function must read, tag-check and delete any expired server certificate of the account, whatever its "
        "name or path; the grant is limited to this account's server certificates."
    ),
    "AwsSolutions::AwsSolutions-IAM5[Action::kms:GenerateDataKey*]": (
        "Publishing to the KMS-encrypted topic needs kms:GenerateDataKey* (as SNS documents it) on that one key, "
        "which also encrypts the failure queue; no other key is reachable."
    ),
    "AwsSolutions::AwsSolutions-IAM5[Resource::<ArchiveBucket49F1AC64.Arn>/cert-cleanup/*]": (
        "s3:PutObject only, and only under the archive prefix: one object per deleted certificate, whose key "
        "holds the account, certificate name and run id."
    ),
    "AwsSolutions::AwsSolutions-S1": (
        "The archive bucket receives one small object per deleted certificate from the function only; its writes "
        "are recorded in the function's logs and by CloudTrail. A separate access-log bucket would cost more "
        "than it tells."
    ),
    "AwsSolutions::AwsSolutions-SQS3": (
        "This queue is itself the function's on-failure destination (a dead-letter queue for failed runs); "
        "an alarm notifies the topic when it receives a message."
    ),
}


def apply(app: App) -> None:
    """Run AwsSolutions checks at synth: an unacknowledged finding fails synth."""
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    for rule, reason in ACKNOWLEDGMENTS.items():
        Validations.of(app).acknowledge(Acknowledgment(id=rule, reason=reason))
