"""cdk-nag AWS Solutions checks, and each finding acknowledged here with its specific reason.

Each construct acknowledges its own findings on itself (``Validations.of(construct)``): an acknowledgement applies
to the resources under the construct's path only, so a user's app that runs AwsSolutions sees no finding of
cert-cleanup's and keeps every finding of its own. The app (app.py) adds the checks; a construct never does.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Acknowledgment, App, Aws, Stack, Token, Validations
from aws_cdk import aws_s3 as s3
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct

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
    # {archive}: the archive objects' ARN as cdk-nag writes it (a logical ID, or the ARN of a bucket given).
    "AwsSolutions::AwsSolutions-IAM5[Resource::{archive}]": (
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
    "AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:acm:*:<AWS::AccountId>:certificate/*]": (
        "acm:DescribeCertificate only (read-only), to read every name of an ACM certificate that may succeed an "
        "expired certificate in use when ListCertificates gives only its first 100; ACM chooses each certificate's "
        "id, and the resource using the expired certificate may be in any region."
    ),
    "AwsSolutions::AwsSolutions-S1": (
        "The archive bucket receives one small object per deleted certificate from the function only; its writes "
        "are recorded in the function's logs and by CloudTrail. A separate access-log bucket would cost more "
        "than it tells."
    ),
    "AwsSolutions::AwsSolutions-DDB3": (
        "The run lease's table holds one item, rewritten by each run (who runs now, when the last run started): "
        "nothing to restore to a point in time; a lost item is rebuilt by the next run."
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
BUCKET_DEPLOYMENT_HANDLER = "Custom::CDKBucketDeployment"  # the id of its singleton function, in aws-cdk-lib
BOOTSTRAP_REASON = f"The CDK bootstrap asset bucket of this account, read by {BUCKET_DEPLOYMENT}."
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
    "AwsSolutions::AwsSolutions-IAM5[Resource::{member_assets}/*]": (
        f"The member-asset bucket's objects, written by {BUCKET_DEPLOYMENT}; members can only read them."
    ),
}


# On the organization construct: the digest and the two buckets of the central stack.
CENTRAL_ACKNOWLEDGMENTS = {
    "AwsSolutions::AwsSolutions-IAM5[Resource::*]": (
        "The digest's organizations:DescribeOrganization (to leave the management account out of the accounts that "
        "should report) and X-Ray's PutTraceSegments/PutTelemetryRecords support no resource-level permissions in "
        "IAM: '*' is the only resource they accept. All are read-only except X-Ray trace writes."
    ),
    f"AwsSolutions::AwsSolutions-IAM5[Resource::{{reports}}/{names.REPORT_PREFIX}*]": (
        f"The digest writes one JSON and one CSV report a day under {names.REPORT_PREFIX} in its own report bucket "
        "(PutObject only)."
    ),
    "AwsSolutions::AwsSolutions-IAM5[Action::kms:GenerateDataKey*]": (
        "The digest publishes to the KMS-encrypted central topic, which needs kms:GenerateDataKey* (as SNS documents "
        "it) on that one key; no other key is reachable."
    ),
    "AwsSolutions::AwsSolutions-S1": (
        "The digest's report bucket is written by the digest only, once a day, and the member-asset bucket holds build "
        "output copied at deploy time; both writes are recorded by CloudTrail. Access-log buckets would cost more "
        "than they tell."
    ),
    "AwsSolutions::AwsSolutions-SQS3": (
        "The organization digest's results queue has no consumer that could fail a message: each stays until a digest "
        "has reported it, 14 days at most."
    ),
}


def apply(app: App) -> None:
    """Run AwsSolutions checks at synth: an unacknowledged finding fails synth."""
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))


def nag_form(scope: IConstruct, value: str) -> str:
    """``value`` (a token) as cdk-nag names it in a finding: ``<LogicalId.Arn>``, ``<AWS::AccountId>``, joined."""

    def render(resolved: Any) -> str:
        if isinstance(resolved, str):
            return resolved
        if isinstance(resolved, dict) and "Fn::GetAtt" in resolved:
            return "<{}.{}>".format(*resolved["Fn::GetAtt"])
        if isinstance(resolved, dict) and "Ref" in resolved:
            return f"<{resolved['Ref']}>"
        if isinstance(resolved, dict) and "Fn::Join" in resolved:
            separator, parts = resolved["Fn::Join"]
            return str(separator).join(render(part) for part in parts)
        raise ValueError(f"cannot name {resolved!r} as cdk-nag does")

    return render(Stack.of(scope).resolve(value))


def acknowledge_cleanup(scope: IConstruct, *, archive_bucket: s3.IBucket | None) -> None:
    """The clean-up's findings (its role's wildcards, its archive bucket and queue), on ``scope`` only."""
    archive = (
        nag_form(scope, archive_bucket.arn_for_objects(f"{names.ARCHIVE_PREFIX}{Aws.ACCOUNT_ID}/*"))
        if archive_bucket is not None
        else None
    )
    for rule, reason in ACKNOWLEDGMENTS.items():
        if "{archive}" in rule and archive is None:
            continue
        Validations.of(scope).acknowledge(Acknowledgment(id=rule.replace("{archive}", archive or ""), reason=reason))


def acknowledge_organization(organization: IConstruct, *, reports: s3.IBucket, member_assets: s3.IBucket) -> None:
    """The organization's findings: the digest's report writes on ``organization``; and what cdk-stacksets'
    asset copying brings on the copy's function only. cdk-stacksets puts that copy (a BucketDeployment, whose
    function is a singleton of the stack) beside the construct, at the stack's root, when the members' function
    code is added, so it exists here. A BucketDeployment of the user's own in the same stack shares that singleton
    function, and so these acknowledgements (docs/construct.md says so)."""
    stack = Stack.of(organization)
    named = {
        "{reports}": nag_form(organization, reports.bucket_arn),
        "{member_assets}": nag_form(organization, member_assets.bucket_arn),
    }
    # The bootstrap bucket's name holds the account and region: literal when the environment is known.
    account = "<AWS::AccountId>" if Token.is_unresolved(stack.account) else stack.account
    region = "<AWS::Region>" if Token.is_unresolved(stack.region) else stack.region
    bucket = f"cdk-hnb659fds-assets-{account}-{region}"
    bootstrap = f"AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::{bucket}/*]"
    copies = [child for child in stack.node.children if child.node.id.startswith(BUCKET_DEPLOYMENT_HANDLER)]
    placed = [
        (CENTRAL_ACKNOWLEDGMENTS, [organization]),
        ({**ORGANIZATION_ACKNOWLEDGMENTS, bootstrap: BOOTSTRAP_REASON}, copies),
    ]
    for acknowledgments, scopes in placed:
        for rule, reason in acknowledgments.items():
            named_rule = rule
            for placeholder, value in named.items():
                named_rule = named_rule.replace(placeholder, value)
            for scope in scopes:
                Validations.of(scope).acknowledge(Acknowledgment(id=named_rule, reason=reason))
    # The digest lists the targeted OUs' accounts: the ARNs of an organization's root and OUs hold the management
    # account's id (not known to a delegated administrator) and ids Organizations chooses; the organization's id
    # is named.
    organization_id = getattr(organization, "organization_id", None) or getattr(stack, "organization_id", None)
    for kind in ("root", "ou") if organization_id else ():
        Validations.of(organization).acknowledge(
            Acknowledgment(
                id=f"AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:organizations::*:{kind}/"
                f"{organization_id}/*]",
                reason="organizations:ListAccountsForParent and ListChildren (read-only) on this organization's "
                "root and OUs, so that the digest lists the accounts that should report.",
            )
        )
