"""The invocation events the function accepts; anything else is rejected before any AWS call.

A scheduled event is accepted with exactly the envelope EventBridge sends (version, id, detail-type,
source, account, time, region, resources, detail; the detail of a schedule is empty). Any other field
is rejected naming it, so that nothing a caller adds (a ``dry_run``, say) is silently ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from cert_cleanup.config.types import REGION_PATTERN
from cert_cleanup.errors import InvalidEventError

ACCOUNT_ID = Annotated[str, StringConstraints(pattern=r"^\d{12}$")]
REGION = Annotated[str, StringConstraints(pattern=REGION_PATTERN.pattern)]
# EventBridge's time: ISO 8601 in UTC, "2026-11-27T06:00:00Z".
TIME = Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")]


class ScheduledEvent(BaseModel):
    """An EventBridge rule's schedule event, field for field as EventBridge sends it."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, strict=True)

    version: Literal["0"]
    id: Annotated[str, StringConstraints(min_length=1)]
    detail_type: Literal["Scheduled Event"] = Field(alias="detail-type")
    source: Literal["aws.events"]
    account: ACCOUNT_ID
    time: TIME
    region: REGION
    resources: list[Annotated[str, StringConstraints(pattern=r"^arn:aws[a-z-]*:events:")]]
    detail: dict[str, Any] = Field(max_length=0)  # a schedule's detail is always {}


class ManualRequest(BaseModel):
    """A manual invocation: ``{}`` runs as configured, ``{"dry_run": true}`` previews.

    ``dry_run: false`` cannot make a dry-run deployment delete.
    """

    model_config = ConfigDict(extra="forbid", strict=True)

    dry_run: bool = False


@dataclass(frozen=True, slots=True)
class Invocation:
    """A validated event: who started the run, and whether it asked for a dry run."""

    scheduled: bool
    dry_run: bool


def parse_event(event: object) -> Invocation:
    """Validate ``event``: a scheduled event, or a manual request; anything else raises naming what is wrong."""
    if not isinstance(event, dict):
        raise InvalidEventError(f"invalid event: expected a JSON object, got {type(event).__name__}")
    if "detail-type" in event or "source" in event:
        try:
            ScheduledEvent.model_validate(event)
        except ValidationError as exc:
            raise InvalidEventError(f"invalid event: not an EventBridge scheduled event: {_errors(exc)}") from exc
        return Invocation(scheduled=True, dry_run=False)
    try:
        request = ManualRequest.model_validate(event)
    except ValidationError as exc:
        raise InvalidEventError(
            f'invalid event: {_errors(exc)}; accepted: a scheduled event, {{}} or {{"dry_run": true}}'
        ) from exc
    return Invocation(scheduled=False, dry_run=request.dry_run)


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
