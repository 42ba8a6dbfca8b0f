"""Invocation events: schedules and manual requests pass; anything else is rejected clearly."""

from __future__ import annotations

import pytest

from cert_cleanup.errors import InvalidEventError
from cert_cleanup.events import parse_event

SCHEDULED = {
    "version": "0",
    "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
    "detail-type": "Scheduled Event",
    "source": "aws.events",
    "account": "123456789012",
    "time": "2026-11-27T06:00:00Z",
    "region": "us-east-1",
    "resources": ["arn:aws:events:us-east-1:123456789012:rule/daily"],
    "detail": {},
}


def test_scheduled_event_runs_as_configured() -> None:
    assert parse_event(SCHEDULED) is False


def test_empty_manual_event_runs_as_configured() -> None:
    assert parse_event({}) is False


def test_manual_dry_run_request() -> None:
    assert parse_event({"dry_run": True}) is True
    assert parse_event({"dry_run": False}) is False


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"dry_run": "true"}, "dry_run: Input should be a valid boolean"),
        ({"dryrun": True}, "dryrun: unknown field"),
        ({"dry_run": True, "force": True}, "force: unknown field"),
        ([], "expected a JSON object, got list"),
        ("run", "expected a JSON object, got str"),
        (None, "expected a JSON object, got NoneType"),
        ({**SCHEDULED, "detail-type": "Object Created"}, "not an EventBridge scheduled event"),
        ({**SCHEDULED, "source": "aws.s3"}, "not an EventBridge scheduled event: source"),
        ({"source": "aws.events"}, "detail-type: Field required"),
    ],
)
def test_other_events_are_rejected_with_a_clear_message(event: object, message: str) -> None:
    with pytest.raises(InvalidEventError) as raised:
        parse_event(event)
    assert message in str(raised.value)
