"""Invocation events: a schedule's exact envelope and manual requests pass; anything else is rejected naming it."""

from __future__ import annotations

from typing import Any

import pytest

from cert_cleanup.config.events import Invocation, parse_event
from cert_cleanup.errors import InvalidEventError
from tests.support import SCHEDULED

pytestmark = pytest.mark.safety


def test_a_scheduled_event_runs_as_configured() -> None:
    assert parse_event(SCHEDULED) == Invocation(scheduled=True, dry_run=False)


def test_an_empty_manual_event_runs_as_configured() -> None:
    assert parse_event({}) == Invocation(scheduled=False, dry_run=False)


def test_a_manual_dry_run_request() -> None:
    assert parse_event({"dry_run": True}) == Invocation(scheduled=False, dry_run=True)
    assert parse_event({"dry_run": False}) == Invocation(scheduled=False, dry_run=False)


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
        ({**SCHEDULED, "dry_run": True}, "not an EventBridge scheduled event: dry_run: unknown field"),
        ({**SCHEDULED, "detail": {"dry_run": True}}, "detail: a scheduled event's detail is empty"),
        ({**SCHEDULED, "regions": ["eu-west-1"]}, "regions: unknown field"),
        # ...and nothing is missing
        *[(_without(field), f"{field}: Field required") for field in SCHEDULED],
        ({**SCHEDULED, "detail-type": "Object Created"}, "not an EventBridge scheduled event: detail-type"),
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
