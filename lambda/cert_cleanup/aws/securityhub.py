"""Security Hub: after a real run, write what it did onto the account's IAM.26 finding(s), in both formats.

Best effort: Security Hub off, not subscribed, access denied or throttled becomes a warning of the result;
nothing here can fail a run or keep a certificate.

Where: the region IAM.26's findings come from, the region of its AWS Config rule (us-east-1; cn-north-1 in
China). With cross-region aggregation, Security Hub replicates an update made there to the home region, and
the latest update wins (Security Hub user guide, cross-Region aggregation), so the region that owns the finding
is the one place to write it, whatever the aggregation.

What: only the account's own active IAM.26 control findings that are FAILED and not SUPPRESSED: a note of at most
512 characters by ``cert-cleanup`` and the workflow status (RESOLVED when no expired certificate is left,
NOTIFIED when some remain for a person); in the new Security Hub (OCSF) the same text as the comment and
StatusId 4 (Resolved) or 2 (In Progress). Never another control's finding, never SUPPRESSED. The role denies
every other field (infra: ``securityhub:ASFFSyntaxPath/...`` and ``OCSFSyntaxPath/...``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cert_cleanup.aws.clients import AWS_ERRORS, error_code, error_message
from cert_cleanup.aws.permissions import On, Permission
from cert_cleanup.config import names
from cert_cleanup.models import RunResult
from cert_cleanup.wording import plural

if TYPE_CHECKING:
    from mypy_boto3_securityhub import SecurityHubClient

REGIONS = names.CONFIG_RULE_REGION_LIST  # the findings' home regions: those of IAM.26's rule
# GetFindingsV2 and BatchUpdateFindingsV2 are authorized by these two actions too (Service Authorization
# Reference: there is no securityhub:GetFindingsV2 or BatchUpdateFindingsV2 action).
PERMISSIONS = (
    Permission("securityhub:GetFindings", On.SECURITY_HUB, regions=REGIONS),
    Permission("securityhub:BatchUpdateFindings", On.SECURITY_HUB, regions=REGIONS),
)
UPDATED_BY = names.SERVICE_NAME
CONTROL = "IAM.26"
NOTE_MAX = 512  # the ASFF Note's Text and the OCSF Comment: at most 512 characters
BATCH = 100  # findings per BatchUpdateFindings(V2) request
RESOLVED, NOTIFIED = "RESOLVED", "NOTIFIED"
OCSF_STATUS_ID = {RESOLVED: 4, NOTIFIED: 2}  # OCSF: 4 Resolved, 2 In Progress
OCSF_SUPPRESSED = 3  # OCSF's finding status_id 3 is Suppressed (OCSF schema; AWS lists the values only)
# The fields BatchUpdateFindings could write that the function's role denies (it writes the note and the
# workflow status, or the comment and the status id).
ASFF_DENIED = (
    "Severity.Label",
    "Severity.Normalized",
    "Severity.Product",
    "VerificationState",
    "Confidence",
    "Criticality",
    "Types",
    "UserDefinedFields",
    "RelatedFindings",
)
OCSF_DENIED = ("SeverityId",)
NEVER_WORKFLOW = "SUPPRESSED"


def ocsf_failed(status: str) -> bool:
    """An OCSF compliance status that says the control failed, in any case ("Fail", "FAILED", "failed")."""
    return status.strip().lower() in {"fail", "failed"}


@dataclass(slots=True)
class FindingsUpdate:
    """What the run wrote back to Security Hub, or why it wrote nothing."""

    region: str | None
    workflow: str | None = None
    note: str = ""
    findings: list[dict[str, str]] = field(default_factory=list)  # {"format", "id"} of each finding updated
    outcome: str = ""  # one line for people
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "region": self.region,
            "workflow": self.workflow,
            "note": self.note,
            "findings": self.findings,
            "outcome": self.outcome,
        }


def workflow_for(result: RunResult) -> str:
    """RESOLVED when no expired certificate is left in the account, NOTIFIED when some remain for a person."""
    return NOTIFIED if result.expired_left() else RESOLVED


def update(
    hub: SecurityHubClient | None, region: str | None, account: str, partition: str, result: RunResult, note: str
) -> FindingsUpdate:
    """Write ``note`` and the workflow onto the account's open IAM.26 findings, ASFF then OCSF."""
    if hub is None or region is None:
        return FindingsUpdate(region, outcome=f"{CONTROL} does not exist in this partition: no finding to update")
    status = workflow_for(result)
    update = FindingsUpdate(region, status, note[:NOTE_MAX])
    _asff(hub, update, account, partition)
    _ocsf(hub, update, account)
    written = len(update.findings)
    if written:
        update.outcome = f"{plural(written, CONTROL + ' finding')} in {region} set to {status}, with a note"
    elif not update.warnings:
        update.outcome = f"no open {CONTROL} finding of this account in {region}"
    return update


def _asff(hub: SecurityHubClient, update: FindingsUpdate, account: str, partition: str) -> None:
    def equals(value: str) -> list[Any]:
        return [{"Value": value, "Comparison": "EQUALS"}]

    filters: Any = {
        "ComplianceSecurityControlId": equals(CONTROL),
        "AwsAccountId": equals(account),
        "ProductArn": equals(f"arn:{partition}:securityhub:{update.region}::product/aws/securityhub"),
        "RecordState": equals("ACTIVE"),
        "ComplianceStatus": equals("FAILED"),
        "WorkflowStatus": [{"Value": NEVER_WORKFLOW, "Comparison": "NOT_EQUALS"}],
    }
    try:
        found = [
            {"Id": finding["Id"], "ProductArn": finding["ProductArn"]}
            for page in hub.get_paginator("get_findings").paginate(Filters=filters)
            for finding in page["Findings"]
        ]
        for start in range(0, len(found), BATCH):
            answer = hub.batch_update_findings(
                FindingIdentifiers=found[start : start + BATCH],  # type: ignore[arg-type]
                Note={"Text": update.note, "UpdatedBy": UPDATED_BY},
                Workflow={"Status": update.workflow},  # type: ignore[typeddict-item]
            )
            update.findings += [{"format": "asff", "id": item["Id"]} for item in answer["ProcessedFindings"]]
            for item in answer["UnprocessedFindings"]:
                update.warnings.append(
                    f"Security Hub did not update finding {item['FindingIdentifier']['Id']} "
                    f"({item['ErrorCode']}: {item['ErrorMessage']})"
                )
    except AWS_ERRORS as exc:
        code = error_code(exc)
        why = "Security Hub is not enabled here" if code == "InvalidAccessException" else "the update failed"
        update.warnings.append(
            f"{CONTROL} findings not updated in {update.region}: {why} ({code}: {error_message(exc)})"
        )


def _ocsf(hub: SecurityHubClient, update: FindingsUpdate, account: str) -> None:
    """The new Security Hub, where the account uses it: GetFindingsV2 failing means it does not (AWS documents
    no error for an account that has not enabled it), which is no warning."""
    filters: Any = {
        "CompositeOperator": "AND",
        "CompositeFilters": [
            {
                "Operator": "AND",
                "StringFilters": [
                    {"FieldName": "compliance.control", "Filter": {"Value": CONTROL, "Comparison": "EQUALS"}},
                    {"FieldName": "cloud.account.uid", "Filter": {"Value": account, "Comparison": "EQUALS"}},
                ],
            }
        ],
    }
    try:
        findings = [
            finding
            for page in hub.get_paginator("get_findings_v2").paginate(Filters=filters)
            for finding in page["Findings"]
        ]
    except AWS_ERRORS:
        return
    open_ones = [
        {
            "CloudAccountUid": finding["cloud"]["account"]["uid"],
            "FindingInfoUid": finding["finding_info"]["uid"],
            "MetadataProductUid": finding["metadata"]["product"]["uid"],
        }
        for finding in findings
        if finding.get("status_id") != OCSF_SUPPRESSED
        and ocsf_failed(str(finding.get("compliance", {}).get("status", "")))
    ]
    for start in range(0, len(open_ones), BATCH):
        try:
            answer = hub.batch_update_findings_v2(
                FindingIdentifiers=open_ones[start : start + BATCH],  # type: ignore[arg-type]
                Comment=update.note,
                StatusId=OCSF_STATUS_ID[str(update.workflow)],
            )
        except AWS_ERRORS as exc:
            update.warnings.append(
                f"{CONTROL} findings (OCSF) not updated in {update.region} ({error_code(exc)}: {error_message(exc)})"
            )
            return
        update.findings += [
            {"format": "ocsf", "id": item["FindingIdentifier"]["FindingInfoUid"]}
            for item in answer["ProcessedFindings"]
            if "FindingIdentifier" in item
        ]
        for item in answer["UnprocessedFindings"]:
            update.warnings.append(
                f"Security Hub did not update finding {item.get('FindingIdentifier', {}).get('FindingInfoUid')} "
                f"({item.get('ErrorCode')}: {item.get('ErrorMessage')})"
            )
