"""Invocation events: a schedule's exact envelope and manual requests pass; anything else is rejected naming it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from cert_cleanup.config.events import Invocation, Trigger, parse_event
from cert_cleanup.errors import InvalidEventError
from emulator import seed
from tests.support import SCHEDULED

pytestmark = pytest.mark.safety


def at(event: dict[str, object]) -> datetime:
    return datetime.fromisoformat(str(event["time"]))


def test_a_scheduled_event_runs_as_configured() -> None:
    assert parse_event(SCHEDULED) == Invocation(Trigger.SCHEDULE, event_time=at(SCHEDULED))


def test_an_empty_manual_event_runs_as_configured() -> None:
    assert parse_event({}) == Invocation(Trigger.BY_HAND)


def test_a_manual_dry_run_request() -> None:
    assert parse_event({"dry_run": True}) == Invocation(Trigger.BY_HAND, dry_run=True)
    assert parse_event({"dry_run": False}) == Invocation(Trigger.BY_HAND)


def _without(field: str) -> dict[str, Any]:
    return {key: value for key, value in SCHEDULED.items() if key != field}


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"dry_run": "true"}, "dry_run: Input should be a valid boolean"),
        ({"dryrun": True}, "dryrun: unknown field"),
        ({"dry_run": True, "force": True}, "force: unknown field"),
        ([], "expected a JSON object, got list"),
        ("run", "expected a JSON object, got str"),
        (None, "expected a JSON object, got NoneType"),
        # A scheduled event is exactly what EventBridge sends: nothing added is silently ignored...
        ({**SCHEDULED, "dry_run": True}, "dry_run: an EventBridge event cannot ask for a dry run"),
        ({**SCHEDULED, "detail": {"dry_run": True}}, "detail.dry_run: an EventBridge event cannot ask for a dry run"),
        ({**SCHEDULED, "detail": {"x": 1}}, "detail: a scheduled event's detail is empty"),
        ({**SCHEDULED, "regions": ["eu-west-1"]}, "regions: unknown field"),
        # ...and nothing is missing
        *[(_without(field), f"{field}: Field required") for field in SCHEDULED],
        (
            {**SCHEDULED, "detail-type": "Object Created"},
            "detail-type 'Object Created' is not one cert-cleanup runs on",
        ),
        ({**SCHEDULED, "source": "aws.s3"}, "not an EventBridge scheduled event: source"),
        ({**SCHEDULED, "source": "aws.scheduler"}, "source"),
        ({**SCHEDULED, "version": "1"}, "version"),
        ({**SCHEDULED, "account": "12345"}, "account: String should match pattern"),
        ({**SCHEDULED, "region": "Frankfurt"}, "region: String should match pattern"),
        ({**SCHEDULED, "time": "yesterday"}, "time: String should match pattern"),
        ({**SCHEDULED, "resources": ["my-rule"]}, "resources.0: String should match pattern"),
        ({"source": "aws.events"}, "detail-type: Field required"),
    ],
)
def test_other_events_are_rejected_naming_what_is_wrong(event: object, message: str) -> None:
    with pytest.raises(InvalidEventError) as raised:
        parse_event(event)
    assert message in str(raised.value)


# --- Security Hub: IAM.26 findings and the custom action ----------------------------------------------------

ACTION = "arn:aws:securityhub:us-east-1:123456789012:action/custom/CertCleanupRun"


def test_an_iam26_finding_starts_a_run_in_either_format() -> None:
    asff = seed.finding_event(seed.iam26_finding())
    assert parse_event(asff) == Invocation(
        Trigger.FINDING, finding_account="123456789012", finding_region="us-east-1", event_time=at(asff)
    )
    ocsf = seed.finding_event(seed.iam26_ocsf_finding(), detail_type="Findings Imported V2")
    assert parse_event(ocsf) == Invocation(
        Trigger.FINDING, finding_account="123456789012", finding_region="us-east-1", event_time=at(ocsf)
    )
    assert parse_event(seed.finding_event(seed.iam26_finding(workflow="NOTIFIED"))).trigger is Trigger.FINDING


@pytest.mark.parametrize(("asff_workflow", "ocsf_status_id"), [("NEW", 0), ("NEW", 1), ("NOTIFIED", 2)])
def test_an_open_finding_starts_a_run_in_either_format_alike(asff_workflow: str, ocsf_status_id: int) -> None:
    asff = seed.finding_event(seed.iam26_finding(workflow=asff_workflow))
    ocsf = seed.finding_event(seed.iam26_ocsf_finding(status_id=ocsf_status_id), detail_type="Findings Imported V2")
    assert parse_event(asff) == parse_event(ocsf)


def test_the_custom_action_is_a_run_by_hand_on_any_iam26_finding() -> None:
    invocation = parse_event(seed.custom_action_event(seed.iam26_finding(status="PASSED"), ACTION))
    assert invocation.trigger is Trigger.CUSTOM_ACTION
    assert not invocation.scheduled


@pytest.mark.parametrize(
    ("event", "message"),
    [
        (seed.finding_event(seed.iam26_finding(control="IAM.3")), "SecurityControlId: Input should be 'IAM.26'"),
        (seed.finding_event(seed.iam26_finding(status="PASSED")), "Compliance.Status is PASSED, not FAILED"),
        (seed.finding_event(seed.iam26_finding(record_state="ARCHIVED")), "RecordState is ARCHIVED, not ACTIVE"),
        (seed.finding_event(seed.iam26_finding(workflow="SUPPRESSED")), "Workflow.Status is SUPPRESSED"),
        (seed.finding_event(seed.iam26_finding(workflow="RESOLVED")), "Workflow.Status is RESOLVED"),
        (
            seed.finding_event(seed.iam26_ocsf_finding(status="Pass"), detail_type="Findings Imported V2"),
            "compliance.status is 'Pass', not Fail",
        ),
        # OCSF's closed statuses are refused as ASFF's SUPPRESSED, RESOLVED and ARCHIVED are
        *(
            (
                seed.finding_event(seed.iam26_ocsf_finding(status_id=status_id), detail_type="Findings Imported V2"),
                f"status_id is {status_id} ({caption}), not open",
            )
            for status_id, caption in ((3, "Suppressed"), (4, "Resolved"), (5, "Archived"), (99, "Other"))
        ),
        # An ASFF finding sent as an OCSF event, and the reverse: the fields read are not there
        (
            seed.finding_event(seed.iam26_finding()) | {"detail-type": "Findings Imported V2"},
            "compliance: Field required",
        ),
        (
            seed.finding_event(seed.iam26_ocsf_finding(), detail_type="Findings Imported V2")
            | {"detail-type": "Security Hub Findings - Imported"},
            "Id: Field required",
        ),
        # Exactly one finding, and nothing added to the envelope or the detail
        ({**seed.finding_event(seed.iam26_finding()), "dry_run": True}, "dry_run: an EventBridge event cannot ask"),
        (
            {**seed.finding_event(seed.iam26_finding()), "detail": {"findings": [seed.iam26_finding()] * 2}},
            "findings: List should have at most 1 item",
        ),
        (
            {**seed.finding_event(seed.iam26_finding()), "detail": {"findings": [seed.iam26_finding()], "x": 1}},
            "detail.x: unknown field",
        ),
        (
            {**seed.finding_event(seed.iam26_finding()), "source": "aws.events"},
            "source: Input should be 'aws.securityhub'",
        ),
        (
            seed.custom_action_event(seed.iam26_finding(), "arn:aws:sns:us-east-1:123456789012:t"),
            "resources.0: String should match pattern",
        ),
        (
            seed.custom_action_event(seed.iam26_finding(control="S3.1"), ACTION),
            "SecurityControlId: Input should be 'IAM.26'",
        ),
    ],
)
def test_other_security_hub_events_are_refused_naming_what_is_wrong(event: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidEventError) as raised:
        parse_event(event)
    assert message in str(raised.value)


def test_a_finding_of_another_account_is_refused() -> None:
    invocation = parse_event(seed.finding_event(seed.iam26_finding(account="111122223333")))
    with pytest.raises(InvalidEventError, match=r"the IAM\.26 finding is for account 111122223333"):
        invocation.check_account("123456789012")
    invocation.check_account("111122223333")  # its own account: accepted


def _with_dry_run(finding: dict[str, Any], key: str = "dry_run") -> dict[str, Any]:
    return {**finding, key: True}


@pytest.mark.parametrize(
    ("event", "where"),
    [
        (seed.finding_event(_with_dry_run(seed.iam26_finding())), "detail.findings[0].dry_run"),
        (seed.finding_event(_with_dry_run(seed.iam26_finding(), "DryRun")), "detail.findings[0].DryRun"),
        (
            seed.finding_event(_with_dry_run(seed.iam26_ocsf_finding(), "dryRun"), detail_type="Findings Imported V2"),
            "detail.findings[0].dryRun",
        ),
        (seed.custom_action_event(_with_dry_run(seed.iam26_finding()), ACTION), "detail.findings[0].dry_run"),
        (
            seed.finding_event({**seed.iam26_finding(), "ProductFields": {"dry-run": "true"}}),
            "detail.findings[0].ProductFields.dry-run",
        ),
    ],
)
def test_a_dry_run_anywhere_in_a_finding_is_refused_not_ignored(event: dict[str, Any], where: str) -> None:
    # Given a finding (ASFF, OCSF, or a custom action's) whose fields Security Hub may extend: extra fields are
    # accepted, so a dry_run among them would be ignored while the run deletes
    # When it is parsed
    with pytest.raises(InvalidEventError) as raised:
        parse_event(event)
    # Then it is refused, naming where the dry run was
    assert str(raised.value).startswith(f"invalid event: {where}: an EventBridge event cannot ask for a dry run")
