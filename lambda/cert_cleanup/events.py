"""The invocation events the function accepts; anything else is rejected before any AWS call."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cert_cleanup.errors import InvalidEventError


class ScheduledEvent(BaseModel):
    """An EventBridge schedule's event (``detail-type: Scheduled Event``, ``source: aws.events``)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    detail_type: Literal["Scheduled Event"] = Field(alias="detail-type")
    source: Literal["aws.events", "aws.scheduler"]
    id: str = ""
    time: str = ""
    detail: dict[str, Any] = Field(default_factory=dict)


class ManualRequest(BaseModel):
    """A manual invocation: ``{}`` runs as configured, ``{"dry_run": true}`` previews.

    ``dry_run: false`` cannot make a dry-run deployment delete.
    """

    model_config = ConfigDict(extra="forbid", strict=True)

    dry_run: bool = False


def parse_event(event: object) -> bool:
    """Validate ``event`` and return whether it asks for a dry run."""
    if not isinstance(event, dict):
        raise InvalidEventError(f"invalid event: expected a JSON object, got {type(event).__name__}")
    if "detail-type" in event or "source" in event:
        try:
            ScheduledEvent.model_validate(event)
        except ValidationError as exc:
            raise InvalidEventError(f"invalid event: not an EventBridge scheduled event: {_errors(exc)}") from exc
        return False
    try:
        return ManualRequest.model_validate(event).dry_run
    except ValidationError as exc:
        raise InvalidEventError(
            f'invalid event: {_errors(exc)}; accepted: a scheduled event, {{}} or {{"dry_run": true}}'
        ) from exc


def is_scheduled(event: object) -> bool:
    """Whether a validated event came from the schedule (else a person or a script invoked the function)."""
    return isinstance(event, dict) and "detail-type" in event


def _errors(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"]) or "event"
        message = "unknown field" if error["type"] == "extra_forbidden" else error["msg"]
        parts.append(f"{where}: {message}")
    return "; ".join(parts)
