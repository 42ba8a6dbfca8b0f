"""Security Hub where moto lacks it: what cert-cleanup's write-back calls, with AWS's validation.

Each patch says which AWS behaviour it adds (Security Hub API reference, unless said otherwise):

- GetFindings answers ``InvalidAccessException`` ("Account <id> is not subscribed to AWS Security Hub") when
  Security Hub is not enabled, and applies ``Filters`` (moto returned every finding whatever the filters): the
  string filters of the fields listed in STRING_FILTERS, with EQUALS (values of one field ORed), NOT_EQUALS and
  PREFIX (ANDed), as the AwsSecurityFindingFilters documentation describes; any other filter is refused so that
  a test can never pass on a filter the emulator ignores.
- BatchUpdateFindings (absent from moto): 1 to 100 finding identifiers, each with Id and ProductArn; a Note needs
  Text (1 to 512 characters, the Note shape) and UpdatedBy; Workflow.Status is NEW, NOTIFIED, RESOLVED or
  SUPPRESSED; unknown findings come back in UnprocessedFindings as FindingNotFound, duplicates as
  DuplicatedFindingIdentifier; the note and workflow are written to the finding.
- The new Security Hub (absent from moto): EnableSecurityHubV2, and DescribeSecurityHubV2 answering
  ResourceNotFoundException until it is enabled (the error its API reference documents); GetFindingsV2 over OCSF
  findings (composite AND filters: string EQUALS/NOT_EQUALS on any field path, number Eq; MaxResults 1 to 100,
  NextToken); BatchUpdateFindingsV2:
  FindingIdentifiers (CloudAccountUid, FindingInfoUid, MetadataProductUid, at most 100) or MetadataUids, never
  both; Comment 1 to 512 characters; StatusId and SeverityId among the documented integers. AWS documents no
  error for an account that has not enabled it: the emulator answers AccessDeniedException, an assumption.

OCSF findings are seeded with :func:`add_ocsf_findings` (in process) or ``POST /emulator/securityhub-v2``
(the server): AWS has no import API for them.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from moto.core.exceptions import JsonRESTError
from moto.securityhub import urls as securityhub_urls
from moto.securityhub.models import SecurityHubBackend, securityhub_backends
from moto.securityhub.responses import SecurityHubResponse

MAX_FINDINGS = 100
NOTE_MAX = 512
WORKFLOW_STATUSES = ("NEW", "NOTIFIED", "RESOLVED", "SUPPRESSED")
STATUS_IDS = (0, 1, 2, 3, 4, 5, 99)
SEVERITY_IDS = (0, 1, 2, 3, 4, 5, 6, 99)
# AwsSecurityFindingFilters fields the emulator applies -> their ASFF path.
STRING_FILTERS = {
    "ComplianceSecurityControlId": ("Compliance", "SecurityControlId"),
    "ComplianceStatus": ("Compliance", "Status"),
    "RecordState": ("RecordState",),
    "WorkflowStatus": ("Workflow", "Status"),
    "AwsAccountId": ("AwsAccountId",),
    "ProductArn": ("ProductArn",),
    "Id": ("Id",),
    "GeneratorId": ("GeneratorId",),
    "Region": ("Region",),
}


class _Error(JsonRESTError):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(code, message)
        self.code = status


def _not_subscribed(backend: SecurityHubBackend) -> _Error:
    return _Error("InvalidAccessException", f"Account {backend.account_id} is not subscribed to AWS Security Hub", 401)


def _path(document: dict[str, Any], path: tuple[str, ...] | list[str]) -> Any:
    value: Any = document
    for part in path:
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _string_match(value: Any, filters: list[dict[str, str]], name: str) -> bool:
    equals = [f["Value"] for f in filters if f.get("Comparison") == "EQUALS"]
    prefixes = [f["Value"] for f in filters if f.get("Comparison") == "PREFIX"]
    not_equals = [f["Value"] for f in filters if f.get("Comparison") == "NOT_EQUALS"]
    unknown = {str(f.get("Comparison")) for f in filters} - {"EQUALS", "PREFIX", "NOT_EQUALS"}
    if unknown:
        raise _Error("InvalidInputException", f"the emulator does not apply {name} comparisons {sorted(unknown)}")
    text = "" if value is None else str(value)
    if (equals or prefixes) and not (text in equals or any(text.startswith(p) for p in prefixes)):
        return False
    return text not in not_equals


def _matches(finding: dict[str, Any], filters: dict[str, Any]) -> bool:
    for name, values in filters.items():
        if name not in STRING_FILTERS:
            raise _Error("InvalidInputException", f"the emulator does not apply the filter {name}")
        if not _string_match(_path(finding, STRING_FILTERS[name]), values, name):
            return False
    return True


def _v2(backend: SecurityHubBackend) -> dict[str, Any]:
    """The new Security Hub's state of one account and region: enabled or not, and its OCSF findings."""
    state: dict[str, Any] = backend.__dict__.setdefault("_v2", {"enabled_at": None, "findings": []})
    return state


def add_ocsf_findings(account: str, region: str, findings: list[dict[str, Any]]) -> None:
    """Seed OCSF findings (and enable the new Security Hub) in ``account`` and ``region``."""
    state = _v2(securityhub_backends[account][region])
    state["enabled_at"] = state["enabled_at"] or datetime.now(UTC).isoformat()
    state["findings"].extend(json.loads(json.dumps(findings)))


def install() -> None:
    """Add the routes and operations above to moto's Security Hub (idempotent)."""
    for path in ("{0}/findings/batchupdate$", "{0}/findingsv2$", "{0}/findingsv2/batchupdatev2$", "{0}/hubv2$"):
        securityhub_urls.url_paths.setdefault(path, SecurityHubResponse.dispatch)
    original_get_findings = SecurityHubResponse.get_findings

    def get_findings(self: SecurityHubResponse) -> str:
        backend = self.securityhub_backend
        if not backend.enabled:
            raise _not_subscribed(backend)
        filters = self._get_param("Filters") or {}
        answer = json.loads(original_get_findings(self))
        answer["Findings"] = [finding for finding in answer["Findings"] if _matches(finding, filters)]
        return json.dumps(answer)

    def batch_update_findings(self: SecurityHubResponse) -> str:
        backend = self.securityhub_backend
        if not backend.enabled:
            raise _not_subscribed(backend)
        identifiers = self._get_param("FindingIdentifiers") or []
        if not 1 <= len(identifiers) <= MAX_FINDINGS:
            raise _Error("InvalidInputException", f"FindingIdentifiers must list 1 to {MAX_FINDINGS} findings")
        note, workflow = self._get_param("Note"), self._get_param("Workflow")
        if note is not None:
            if not note.get("Text") or not note.get("UpdatedBy"):
                raise _Error("InvalidInputException", "Note requires Text and UpdatedBy")
            if len(note["Text"]) > NOTE_MAX:
                raise _Error("InvalidInputException", f"Note.Text must be at most {NOTE_MAX} characters")
        if workflow is not None and workflow.get("Status") not in WORKFLOW_STATUSES:
            raise _Error("InvalidInputException", f"Workflow.Status must be one of {', '.join(WORKFLOW_STATUSES)}")
        findings = {(f.data["Id"], f.data.get("ProductArn")): f.data for f in backend.findings}
        processed, unprocessed, seen = [], [], set()
        now = datetime.now(UTC).isoformat()
        for identifier in identifiers:
            key = (identifier.get("Id"), identifier.get("ProductArn"))
            if key in seen:
                unprocessed.append(
                    _unprocessed(identifier, "DuplicatedFindingIdentifier", "Finding Identifier is duplicated")
                )
                continue
            seen.add(key)
            finding = findings.get(key)
            if finding is None:
                unprocessed.append(_unprocessed(identifier, "FindingNotFound", "Finding Not Found"))
                continue
            if note is not None:
                finding["Note"] = {"Text": note["Text"], "UpdatedBy": note["UpdatedBy"], "UpdatedAt": now}
            if workflow is not None:
                finding["Workflow"] = {"Status": workflow["Status"]}
                finding["WorkflowState"] = workflow["Status"]
            processed.append(identifier)
        return json.dumps({"ProcessedFindings": processed, "UnprocessedFindings": unprocessed})

    def enable_security_hub_v2(self: SecurityHubResponse) -> str:
        state = _v2(self.securityhub_backend)
        state["enabled_at"] = state["enabled_at"] or datetime.now(UTC).isoformat()
        return json.dumps({"HubV2Arn": _hub_v2_arn(self)})

    def describe_security_hub_v2(self: SecurityHubResponse) -> str:
        state = _v2(self.securityhub_backend)
        if not state["enabled_at"]:
            raise _Error("ResourceNotFoundException", "Security Hub is not enabled", 404)
        return json.dumps({"HubV2Arn": _hub_v2_arn(self), "SubscribedAt": state["enabled_at"]})

    def get_findings_v2(self: SecurityHubResponse) -> str:
        state = _enabled_v2(self)
        composite = (self._get_param("Filters") or {}).get("CompositeFilters", [])
        found = [finding for finding in state["findings"] if all(_ocsf_match(finding, f) for f in composite)]
        limit = int(self._get_param("MaxResults") or 100)
        if not 1 <= limit <= MAX_FINDINGS:
            raise _Error("ValidationException", f"MaxResults must be 1 to {MAX_FINDINGS}")
        start = int(self._get_param("NextToken") or 0)
        answer: dict[str, Any] = {"Findings": found[start : start + limit]}
        if start + limit < len(found):
            answer["NextToken"] = str(start + limit)
        return json.dumps(answer)

    def batch_update_findings_v2(self: SecurityHubResponse) -> str:
        state = _enabled_v2(self)
        identifiers = self._get_param("FindingIdentifiers")
        metadata_uids = self._get_param("MetadataUids")
        if identifiers and metadata_uids:
            raise _Error("ValidationException", "MetadataUids cannot be used together with FindingIdentifiers")
        if not identifiers and not metadata_uids:
            raise _Error("ValidationException", "FindingIdentifiers or MetadataUids is required")
        if len(identifiers or metadata_uids) > MAX_FINDINGS:
            raise _Error("ValidationException", f"at most {MAX_FINDINGS} findings per request")
        comment, status_id, severity_id = (self._get_param(n) for n in ("Comment", "StatusId", "SeverityId"))
        if comment is not None and not 1 <= len(comment) <= NOTE_MAX:
            raise _Error("ValidationException", f"Comment must be 1 to {NOTE_MAX} characters")
        if status_id is not None and status_id not in STATUS_IDS:
            raise _Error("ValidationException", f"StatusId must be one of {list(STATUS_IDS)}")
        if severity_id is not None and severity_id not in SEVERITY_IDS:
            raise _Error("ValidationException", f"SeverityId must be one of {list(SEVERITY_IDS)}")
        processed, unprocessed = [], []
        for identifier in identifiers or []:
            finding = next((f for f in state["findings"] if _identifies(identifier, f)), None)
            if finding is None:
                unprocessed.append(
                    {
                        "FindingIdentifier": identifier,
                        "ErrorCode": "ResourceNotFoundException",
                        "ErrorMessage": "Finding not found",
                    }
                )
                continue
            if comment is not None:
                finding["comment"] = comment
            if status_id is not None:
                finding["status_id"] = status_id
                finding["status"] = OCSF_STATUS[status_id]
            if severity_id is not None:
                finding["severity_id"] = severity_id
            processed.append({"FindingIdentifier": identifier})
        return json.dumps({"ProcessedFindings": processed, "UnprocessedFindings": unprocessed})

    SecurityHubResponse.get_findings = get_findings  # type: ignore[method-assign]
    SecurityHubResponse.batch_update_findings = batch_update_findings  # type: ignore[attr-defined]
    SecurityHubResponse.enable_security_hub_v2 = enable_security_hub_v2  # type: ignore[attr-defined]
    SecurityHubResponse.describe_security_hub_v2 = describe_security_hub_v2  # type: ignore[attr-defined]
    SecurityHubResponse.get_findings_v2 = get_findings_v2  # type: ignore[attr-defined]
    SecurityHubResponse.batch_update_findings_v2 = batch_update_findings_v2  # type: ignore[attr-defined]


# The caption OCSF gives each status_id (OCSF schema): the string sibling Security Hub sets with StatusId.
OCSF_STATUS = {0: "Unknown", 1: "New", 2: "In Progress", 3: "Suppressed", 4: "Resolved", 5: "Archived", 99: "Other"}


def _hub_v2_arn(self: SecurityHubResponse) -> str:
    return f"arn:aws:securityhub:{self.region}:{self.current_account}:hubv2/1a2b3c4d-example"


def _enabled_v2(self: SecurityHubResponse) -> dict[str, Any]:
    state = _v2(self.securityhub_backend)
    if not state["enabled_at"]:
        raise _Error("AccessDeniedException", "Security Hub (the OCSF version) is not enabled in this account", 403)
    return state


def _identifies(identifier: dict[str, str], finding: dict[str, Any]) -> bool:
    return bool(
        identifier.get("CloudAccountUid") == _path(finding, ["cloud", "account", "uid"])
        and identifier.get("FindingInfoUid") == _path(finding, ["finding_info", "uid"])
        and identifier.get("MetadataProductUid") == _path(finding, ["metadata", "product", "uid"])
    )


def _ocsf_match(finding: dict[str, Any], composite: dict[str, Any]) -> bool:
    if composite.get("Operator", "AND") != "AND" or composite.get("NestedCompositeFilters"):
        raise _Error("ValidationException", "the emulator applies AND composite filters only")
    for item in composite.get("StringFilters", []):
        value = _path(finding, item["FieldName"].split("."))
        if not _string_match(value, [item["Filter"]], item["FieldName"]):
            return False
    for item in composite.get("NumberFilters", []):
        value = _path(finding, item["FieldName"].split("."))
        if set(item["Filter"]) != {"Eq"}:
            raise _Error("ValidationException", "the emulator applies number Eq filters only")
        if value != item["Filter"]["Eq"]:
            return False
    return True


def _unprocessed(identifier: dict[str, str], code: str, message: str) -> dict[str, Any]:
    return {"FindingIdentifier": identifier, "ErrorCode": code, "ErrorMessage": message}
