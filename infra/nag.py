"""cdk-nag AWS Solutions checks, and each finding acknowledged here with its specific reason."""

from __future__ import annotations

from aws_cdk import Acknowledgment, App, Stack, Token, Validations
from cdk_nag import AwsSolutionsChecks

from cert_cleanup.config import names

ACKNOWLEDGMENTS = {
    "AwsSolutions::AwsSolutions-IAM5[Resource::*]": (
        "iam:ListServerCertificates, ec2:DescribeRegions, the elasticloadbalancing Describe* calls, "
        "cloudfront:ListDistributions, appsync:ListDomainNames, config:DescribeConfigRules (limited by "
        "aws:RequestedRegion to IAM.26's rule regions) and X-Ray's PutTraceSegments/PutTelemetryRecords "
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
    "AwsSolutions::AwsSolutions-IAM5[Resource::<ArchiveBucket49F1AC64.Arn>/cert-cleanup/<AWS::AccountId>/*]": (
        "s3:PutObject only, and only under the archive prefix of this account: one write-once object per deleted "
        "certificate, whose key holds the certificate name and run id."
    ),
    "AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:config:*:<AWS::AccountId>:config-rule/*]": (
        "config:StartConfigRulesEvaluation after a deletion, so Security Hub IAM.26 updates the same day. The rule's "
        "ARN holds an id AWS Config chooses (config-rule-xxxx), so the grant covers this account's rules, and a "
        "condition limits it to the only regions where IAM.26's rule exists (aws:RequestedRegion)."
    ),
    "AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:securityhub:*:<AWS::AccountId>:hub/default]": (
        "securityhub:GetFindings and BatchUpdateFindings on this account's hub, to write the run onto its IAM.26 "
        "finding; the region is the one where IAM.26's findings are made (us-east-1, cn-north-1), held by an "
        "aws:RequestedRegion condition, and Deny statements limit the update to the note and workflow, never "
        "SUPPRESSED."
    ),
    "AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:securityhub:*:<AWS::AccountId>:hubv2/*]": (
        "The same two actions for the new Security Hub (GetFindingsV2, BatchUpdateFindingsV2 are authorized as "
        "GetFindings and BatchUpdateFindings): its hub's ARN ends in an id Security Hub chooses; same region "
        "condition and field denials."
    ),
    "AwsSolutions::AwsSolutions-S1": (
        "The archive bucket receives one small object per deleted certificate from the function only; its writes "
        "are recorded in the function's logs and by CloudTrail. A separate access-log bucket would cost more "
        "than it tells."
    ),
    "AwsSolutions::AwsSolutions-SQS3": (
        "The function's failure queue is itself its on-failure destination (a dead-letter queue for failed runs); "
        "an alarm notifies the topic when it receives a message. The organization digest's results queue has no "
        "consumer that could fail a message: each stays until a digest has reported it, 14 days at most."
    ),
}


# Organization mode only, and only on the organization stack: findings on what cdk-stacksets
# generates to copy the member assets (CDK's BucketDeployment custom resource).
BUCKET_DEPLOYMENT = "CDK's BucketDeployment custom resource, which cdk-stacksets uses to copy the member assets"
ORGANIZATION_ACKNOWLEDGMENTS = {
    "AwsSolutions::AwsSolutions-IAM4"
    "[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]": (
        f"The managed basic-execution policy (logs only) is attached by {BUCKET_DEPLOYMENT}; it runs at deploy time."
    ),
    "AwsSolutions::AwsSolutions-L1": (
        f"The Lambda runtime of {BUCKET_DEPLOYMENT} is chosen by aws-cdk-lib, not by this app; the cert-cleanup "
        "function itself runs Python 3.14."
    ),
    "AwsSolutions::AwsSolutions-IAM5[Action::s3:GetObject*]": f"Read of the CDK asset staging by {BUCKET_DEPLOYMENT}.",
    "AwsSolutions::AwsSolutions-IAM5[Action::s3:GetBucket*]": f"Read of the CDK asset staging by {BUCKET_DEPLOYMENT}.",
    "AwsSolutions::AwsSolutions-IAM5[Action::s3:List*]": (
        f"Listing of the source and member-asset buckets by {BUCKET_DEPLOYMENT}."
    ),
    "AwsSolutions::AwsSolutions-IAM5[Action::s3:DeleteObject*]": (
        f"{BUCKET_DEPLOYMENT} prunes stale member assets from the member-asset bucket only."
    ),
    "AwsSolutions::AwsSolutions-IAM5[Action::s3:Abort*]": f"Multipart uploads of member assets by {BUCKET_DEPLOYMENT}.",
    f"AwsSolutions::AwsSolutions-IAM5[Resource::<DigestReportsC252B934.Arn>/{names.REPORT_PREFIX}*]": (
        f"The digest writes one JSON and one CSV report a day under {names.REPORT_PREFIX} in its own report bucket "
        "(PutObject only)."
    ),
    "AwsSolutions::AwsSolutions-IAM5[Resource::<MemberAssets44946EA2.Arn>/*]": (
        f"The member-asset bucket's objects, written by {BUCKET_DEPLOYMENT}; members can only read them."
    ),
}


def apply(app: App) -> None:
    """Run AwsSolutions checks at synth: an unacknowledged finding fails synth."""
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    for rule, reason in ACKNOWLEDGMENTS.items():
        Validations.of(app).acknowledge(Acknowledgment(id=rule, reason=reason))


def apply_organization(stack: Stack) -> None:
    """Acknowledge, on the organization stack only, what cdk-stacksets' asset copying brings."""
    for rule, reason in ORGANIZATION_ACKNOWLEDGMENTS.items():
        Validations.of(stack).acknowledge(Acknowledgment(id=rule, reason=reason))
    # The bootstrap bucket's name holds the account and region: literal when the environment is known.
    account = "<AWS::AccountId>" if Token.is_unresolved(stack.account) else stack.account
    region = "<AWS::Region>" if Token.is_unresolved(stack.region) else stack.region
    Validations.of(stack).acknowledge(
        Acknowledgment(
            id="AwsSolutions::AwsSolutions-IAM5"
            f"[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-{account}-{region}/*]",
            reason=f"The CDK bootstrap asset bucket of this account, read by {BUCKET_DEPLOYMENT}.",
        )
    )
    # The digest lists the targeted OUs' accounts: the ARNs of an organization's root and OUs hold the management
    # account's id (not known to a delegated administrator) and ids Organizations chooses; the organization's id
    # is named.
    organization_id = getattr(stack, "organization_id", None)
    for kind in ("root", "ou") if organization_id else ():
        Validations.of(stack).acknowledge(
            Acknowledgment(
                id=f"AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:organizations::*:{kind}/"
                f"{organization_id}/*]",
                reason="organizations:ListAccountsForParent and ListChildren (read-only) on this organization's "
                "root and OUs, so that the digest lists the accounts that should report.",
            )
        )
