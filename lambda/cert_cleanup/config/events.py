"""The invocation events the function accepts; anything else is rejected before any AWS call.

Every EventBridge event is accepted with exactly the envelope EventBridge sends (version, id, detail-type,
source, account, time, region, resources, detail). Any other field is rejected naming it, so that nothing a
caller adds (a ``dry_run``, say) is silently ignored. The kinds:

- a schedule (``Scheduled Event``, source ``aws.events``; its detail is empty);
- an IAM.26 finding from Security Hub, in either format: ASFF (``Security Hub Findings - Imported``,
  ``Compliance.SecurityControlId`` IAM.26) or OCSF (``Findings Imported V2``, ``compliance.control`` IAM.26),
  FAILED, ACTIVE and open: ASFF Workflow NEW or NOTIFIED, OCSF status_id 0, 1 or 2 (never suppressed, resolved
  or archived, in either format; the stack's rule sends only new ones, see infra/components/security_hub.py);
- the Security Hub custom action (``Security Hub Findings - Custom Action``) on an IAM.26 finding: a run
  started by hand;
- by hand: ``{}`` or ``{"dry_run": true}``.

A finding's fields beyond those read here are Security Hub's to add; the envelope and the fields read are
checked. A ``dry_run`` (in any spelling: ``dryRun``, ``DryRun``...) anywhere in an EventBridge event is refused
by name: only ``{"dry_run": true}`` by hand asks for a dry run, and a field that looks like one must never be
ignored while the run deletes. A finding of another account than the function's is refused (``check_account``): a
run can only clean its own account.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from cert_cleanup.aws.securityhub import OCSF_OPEN, OCSF_STATUS, ocsf_failed
from cert_cleanup.config.types import ACCOUNT_ID_PATTERN, REGION_PATTERN
from cert_cleanup.errors import InvalidEventError

ACCOUNT_ID = Annotated[str, StringConstraints(pattern=ACCOUNT_ID_PATTERN.pattern)]
REGION = Annotated[str, StringConstraints(pattern=REGION_PATTERN.pattern)]
# EventBridge's time: ISO 8601 in UTC, "2026-11-27T06:00:00Z".
TIME = Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")]


class Envelope(BaseModel):
    """What EventBridge puts around every event, field for field."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, strict=True)

    version: Literal["0"]
    id: Annotated[str, StringConstraints(min_length=1)]
    account: ACCOUNT_ID
    time: TIME
    region: REGION


class ScheduledEvent(Envelope):
    """An EventBridge rule's schedule event."""

    detail_type: Literal["Scheduled Event"] = Field(alias="detail-type")
    source: Literal["aws.events"]
    resources: list[Annotated[str, StringConstraints(pattern=r"^arn:aws[a-z-]*:events:")]]
    detail: dict[str, Any] = Field(max_length=0)  # a schedule's detail is always {}


class _Finding(BaseModel):
    # Security Hub's findings carry many more fields, and AWS adds more: those not read here are its to add.
    # Built on first use (defer_build): a scheduled run never validates a finding, and its cold start skips them.
    model_config = ConfigDict(extra="allow", strict=True, defer_build=True)


class AsffCompliance(_Finding):
    SecurityControlId: Literal["IAM.26"]
    Status: Literal["FAILED", "PASSED", "WARNING", "NOT_AVAILABLE"]


class AsffWorkflow(_Finding):
    Status: Literal["NEW", "NOTIFIED", "RESOLVED", "SUPPRESSED"]


class AsffFinding(_Finding):
    """An IAM.26 control finding in the AWS Security Finding Format (the fields read)."""

    Id: Annotated[str, StringConstraints(min_length=1)]
    ProductArn: Annotated[str, StringConstraints(pattern=r"^arn:aws[a-z-]*:securityhub:")]
    AwsAccountId: ACCOUNT_ID
    Region: REGION
    Compliance: AsffCompliance
    RecordState: Literal["ACTIVE", "ARCHIVED"]
    Workflow: AsffWorkflow


class OcsfAccount(_Finding):
    uid: ACCOUNT_ID


class OcsfCloud(_Finding):
    account: OcsfAccount
    region: REGION


class OcsfCompliance(_Finding):
    control: Literal["IAM.26"]
    status: str  # OCSF's caption of status_id ("Fail"); its exact spelling is not documented by AWS


class OcsfFinding(_Finding):
    """An IAM.26 control finding in OCSF, as the new Security Hub sends it (the fields read)."""

    cloud: OcsfCloud
    compliance: OcsfCompliance
    status_id: int


class ImportedDetail(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, defer_build=True)

    findings: list[AsffFinding] = Field(min_length=1, max_length=1)  # "Each event sends a single finding"


class ImportedV2Detail(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, defer_build=True)

    findings: list[OcsfFinding] = Field(min_length=1, max_length=1)


class CustomActionDetail(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, defer_build=True)

    actionName: str
    actionDescription: str
    findings: list[AsffFinding] = Field(min_length=1, max_length=1)  # "Each finding is sent in a separate event"


class FindingImported(Envelope):
    model_config = ConfigDict(defer_build=True)
    detail_type: Literal["Security Hub Findings - Imported"] = Field(alias="detail-type")
    source: Literal["aws.securityhub"]
    resources: list[str]
    detail: ImportedDetail


class FindingImportedV2(Envelope):
    model_config = ConfigDict(defer_build=True)
    detail_type: Literal["Findings Imported V2"] = Field(alias="detail-type")
    source: Literal["aws.securityhub"]
    resources: list[str]
    detail: ImportedV2Detail


class CustomAction(Envelope):
    model_config = ConfigDict(defer_build=True)
    detail_type: Literal["Security Hub Findings - Custom Action"] = Field(alias="detail-type")
    source: Literal["aws.securityhub"]
    resources: list[
        Annotated[str, StringConstraints(pattern=r"^arn:aws[a-z-]*:securityhub:[^:]+:\d{12}:action/custom/")]
    ] = Field(min_length=1, max_length=1)
    detail: CustomActionDetail


MODELS: dict[str, type[Envelope]] = {
    "Scheduled Event": ScheduledEvent,
    "Security Hub Findings - Imported": FindingImported,
    "Findings Imported V2": FindingImportedV2,
    "Security Hub Findings - Custom Action": CustomAction,
}


class ManualRequest(BaseModel):
    """A manual invocation: ``{}`` runs as configured, ``{"dry_run": true}`` previews.

    ``dry_run: false`` cannot make a dry-run deployment delete.
    """

    model_config = ConfigDict(extra="forbid", strict=True, defer_build=True)

    dry_run: bool = False


class Trigger(StrEnum):
    """What started a run: it decides whether a person is told (notify/when.py)."""

    SCHEDULE = "schedule"
    BY_HAND = "by-hand"
    FINDING = "finding"  # an IAM.26 finding Security Hub imported
    CUSTOM_ACTION = "custom-action"  # a person chose the Security Hub custom action: by hand


@dataclass(frozen=True, slots=True)
class Invocation:
    """A validated event: what started the run, whether it asked for a dry run, and the finding's account and
    region when a finding started it."""

    trigger: Trigger
    dry_run: bool = False
    finding_account: str | None = None
    finding_region: str | None = None
    # EventBridge's time of the event (a finding's update, a schedule's tick, a person's click); None by hand.
    event_time: datetime | None = None

    @property
    def scheduled(self) -> bool:
        return self.trigger is Trigger.SCHEDULE

    def check_account(self, account: str) -> None:
        """A finding of another account cannot start a run here (a run cleans only its own account)."""
        if self.finding_account is not None and self.finding_account != account:
            raise InvalidEventError(
                f"invalid event: the IAM.26 finding is for account {self.finding_account}, and this function runs in "
                f"{account}: each account's cert-cleanup cleans its own account"
            )


def parse_event(event: object) -> Invocation:
    """Validate ``event``: one of the kinds above; anything else raises naming what is wrong."""
    if not isinstance(event, dict):
        raise InvalidEventError(f"invalid event: expected a JSON object, got {type(event).__name__}")
    if "detail-type" in event or "source" in event:
        return _eventbridge(event)
    try:
        request = ManualRequest.model_validate(event)
    except ValidationError as exc:
        raise InvalidEventError(
            f'invalid event: {_errors(exc)}; accepted: a scheduled event, {{}} or {{"dry_run": true}}'
        ) from exc
    return Invocation(Trigger.BY_HAND, dry_run=request.dry_run)


def _eventbridge(event: dict[str, Any]) -> Invocation:
    dry_runs = list(_dry_run_fields(event, ""))
    if dry_runs:
        raise InvalidEventError(
            f"invalid event: {', '.join(dry_runs)}: an EventBridge event cannot ask for a dry run (nothing in it is "
            'ignored, and a run it starts deletes); invoke with {"dry_run": true} by hand, or deploy with '
            "-c dryRun=true"
        )
    if "detail-type" not in event:
        raise InvalidEventError("invalid event: not an EventBridge event: detail-type: Field required")
    kind = event["detail-type"]
    model = MODELS.get(kind) if isinstance(kind, str) else None
    if model is None:
        raise InvalidEventError(
            f"invalid event: detail-type {kind!r} is not one cert-cleanup runs on; accepted: "
            + ", ".join(repr(name) for name in MODELS)
        )
    what = "an EventBridge scheduled event" if model is ScheduledEvent else f"a {kind!r} event"
    try:
        parsed = model.model_validate(event)
    except ValidationError as exc:
        raise InvalidEventError(f"invalid event: not {what}: {_errors(exc)}") from exc
    at = datetime.fromisoformat(parsed.time)
    if isinstance(parsed, FindingImported | CustomAction):
        [finding] = parsed.detail.findings
        if isinstance(parsed, FindingImported):
            _refuse_unless_open(finding.Compliance.Status, finding.RecordState, finding.Workflow.Status)
        trigger = Trigger.FINDING if isinstance(parsed, FindingImported) else Trigger.CUSTOM_ACTION
        return Invocation(trigger, finding_account=finding.AwsAccountId, finding_region=finding.Region, event_time=at)
    if isinstance(parsed, FindingImportedV2):
        [ocsf] = parsed.detail.findings
        if not ocsf_failed(ocsf.compliance.status):
            raise InvalidEventError(
                f"invalid event: the IAM.26 finding's compliance.status is {ocsf.compliance.status!r}, not Fail"
            )
        if ocsf.status_id not in OCSF_OPEN:
            # As the ASFF side refuses SUPPRESSED, RESOLVED and ARCHIVED: OCSF 3, 4 and 5 (and 99 Other).
            status = OCSF_STATUS.get(ocsf.status_id, "not an OCSF status")
            raise InvalidEventError(
                f"invalid event: the IAM.26 finding's status_id is {ocsf.status_id} ({status}), not open "
                f"(accepted: {', '.join(f'{i} {OCSF_STATUS[i]}' for i in OCSF_OPEN)})"
            )
        return Invocation(
            Trigger.FINDING, finding_account=ocsf.cloud.account.uid, finding_region=ocsf.cloud.region, event_time=at
        )
    return Invocation(Trigger.SCHEDULE, event_time=at)


def _dry_run_fields(value: object, path: str) -> list[str]:
    """The path of every key anywhere in ``value`` that reads as a dry run (``dry_run``, ``dryRun``, ``DRY-RUN``)."""
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and key.lower().replace("_", "").replace("-", "") == "dryrun":
                found.append(where)
            found.extend(_dry_run_fields(item, where))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(_dry_run_fields(item, f"{path}[{index}]"))
    return found


def _refuse_unless_open(status: str, record_state: str, workflow: str) -> None:
    """A finding starts a run only while it is FAILED, ACTIVE and not suppressed (nor resolved)."""
    if status != "FAILED":
        raise InvalidEventError(f"invalid event: the IAM.26 finding's Compliance.Status is {status}, not FAILED")
    if record_state != "ACTIVE":
        raise InvalidEventError(f"invalid event: the IAM.26 finding's RecordState is {record_state}, not ACTIVE")
    if workflow in {"SUPPRESSED", "RESOLVED"}:
        raise InvalidEventError(f"invalid event: the IAM.26 finding's Workflow.Status is {workflow}")


def _errors(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"]) or "event"
        if error["type"] == "extra_forbidden":
            message = "unknown field"
        elif error["type"] == "too_long" and error["loc"] == ("detail",):
            message = "a scheduled event's detail is empty"
        else:
            message = re.sub(r"\s+", " ", str(error["msg"]))
        parts.append(f"{where}: {message}")
    return "; ".join(parts)
