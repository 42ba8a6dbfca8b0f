"""Security Hub: after a real run, write what it did onto the account's IAM.26 finding(s), in both formats.

Best effort: Security Hub off, not subscribed, access denied or throttled becomes a warning of the result;
nothing here can fail a run or keep a certificate.

Where: the region IAM.26's findings come from, the region of its AWS Config rule (us-east-1; cn-north-1 in
China). With cross-region aggregation, Security Hub replicates an update made there to the home region, and
the latest update wins (Security Hub user guide, cross-Region aggregation), so the region that owns the finding
is the one place to write it, whatever the aggregation.

What: only the account's own open IAM.26 control findings of Security Hub's own product, in both formats: ASFF
ACTIVE, FAILED and not SUPPRESSED (``ProductArn`` .../product/aws/securityhub); OCSF Fail with ``status_id`` 0, 1
or 2 (Unknown, New, In Progress; never 3 Suppressed, 4 Resolved, 5 Archived, 99 Other) and ``metadata.product.uid``
.../productv2/aws/securityhub. Each gets a note of at most 512 characters by ``cert-cleanup`` and the workflow
status (:func:`workflow_for`); in OCSF the same text as the comment and StatusId 4 (Resolved) or 2 (In Progress).
The role denies every other field (infra: ``securityhub:ASFFSyntaxPath/...`` and ``OCSFSyntaxPath/...``).

Never told what the run did not prove: RESOLVED only when the run listed every server certificate and none
expired is left; a run whose listing failed writes NOTIFIED and a note saying so (notify/message.py,
``finding_note``). NOTIFIED also keeps the write-back from starting another run (the rules match NEW only).

The new Security Hub is "not in use" only when ``DescribeSecurityHubV2`` answers ResourceNotFoundException (its
documented error for an account without it); any other error of the OCSF side (AccessDenied, throttling) is a
warning of the result, as on the ASFF side.
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
    Permission("securityhub:DescribeSecurityHubV2", On.SECURITY_HUB, regions=REGIONS),
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
# OCSF status_id: 0 Unknown, 1 New, 2 In Progress are open; 3 Suppressed, 4 Resolved, 5 Archived and 99 Other are
# not (ASFF: Workflow SUPPRESSED or RESOLVED, RecordState ARCHIVED). A finding starts a run, and is written, only
# while open.
OCSF_OPEN = (0, 1, 2)
OCSF_STATUS = {0: "Unknown", 1: "New", 2: "In Progress", 3: "Suppressed", 4: "Resolved", 5: "Archived", 99: "Other"}
LISTING = ("iam", "ListServerCertificates")  # the lookup without which a run proves nothing (aws/inventory.py)
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


def listing_failed(result: RunResult) -> bool:
    """The run could not list the account's server certificates: it knows nothing of what is left."""
    return any((error.service, error.operation) == LISTING for error in result.errors)


def workflow_for(result: RunResult) -> str:
    """RESOLVED only when the listing completed and no expired certificate is left; otherwise NOTIFIED (some
    remain for a person, or the run could not tell)."""
    if listing_failed(result) or result.regions_left_out or result.expired_left():
        return NOTIFIED
    return RESOLVED


def our_product(kind: str, partition: str, region: str) -> str:
    """Security Hub's own product: ``product`` (ASFF ProductArn) or ``productv2`` (OCSF metadata.product.uid)."""
    return f"arn:{partition}:securityhub:{region}::{kind}/aws/securityhub"


def update(
    hub: SecurityHubClient | None, region: str | None, account: str, partition: str, result: RunResult, note: str
) -> FindingsUpdate:
    """Write ``note`` and the workflow onto the account's open IAM.26 findings, ASFF then OCSF."""
    if hub is None or region is None:
        return FindingsUpdate(region, outcome=f"{CONTROL} does not exist in this partition: no finding to update")
    status = workflow_for(result)
    update = FindingsUpdate(region, status, note[:NOTE_MAX])
    _asff(hub, update, account, partition)
    _ocsf(hub, update, account, partition)
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
        "ProductArn": equals(our_product("product", partition, str(update.region))),
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


def _ocsf(hub: SecurityHubClient, update: FindingsUpdate, account: str, partition: str) -> None:
    """The new Security Hub, where the account uses it: DescribeSecurityHubV2's ResourceNotFoundException says it
    does not (no warning); every other error is one."""
    product = our_product("productv2", partition, str(update.region))
    try:
        hub.describe_security_hub_v2()
    except AWS_ERRORS as exc:
        if error_code(exc) == "ResourceNotFoundException":
            return
        update.warnings.append(_ocsf_warning(update, "not read", exc))
        return

    def equals(name: str, value: str) -> dict[str, Any]:
        return {"FieldName": name, "Filter": {"Value": value, "Comparison": "EQUALS"}}

    filters: Any = {
        "CompositeOperator": "AND",
        "CompositeFilters": [
            {
                "Operator": "AND",
                "StringFilters": [
                    equals("compliance.control", CONTROL),
                    equals("cloud.account.uid", account),
                    equals("metadata.product.uid", product),
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
    except AWS_ERRORS as exc:
        update.warnings.append(_ocsf_warning(update, "not read", exc))
        return
    # The filters again, on what came back: the write reaches nothing the filters were meant to keep out.
    open_ones = [
        {
            "CloudAccountUid": account,
            "FindingInfoUid": finding["finding_info"]["uid"],
            "MetadataProductUid": product,
        }
        for finding in findings
        if finding.get("status_id") in OCSF_OPEN
        and ocsf_failed(str(finding.get("compliance", {}).get("status", "")))
        and finding.get("compliance", {}).get("control") == CONTROL
        and finding.get("cloud", {}).get("account", {}).get("uid") == account
        and finding.get("metadata", {}).get("product", {}).get("uid") == product
        and finding.get("finding_info", {}).get("uid")
    ]
    for start in range(0, len(open_ones), BATCH):
        try:
            answer = hub.batch_update_findings_v2(
                FindingIdentifiers=open_ones[start : start + BATCH],  # type: ignore[arg-type]
                Comment=update.note,
                StatusId=OCSF_STATUS_ID[str(update.workflow)],
            )
        except AWS_ERRORS as exc:
            update.warnings.append(_ocsf_warning(update, "not updated", exc))
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


def _ocsf_warning(update: FindingsUpdate, what: str, exc: Exception) -> str:
    return f"{CONTROL} findings (OCSF) {what} in {update.region} ({error_code(exc)}: {error_message(exc)})"
