"""Deployment settings from CDK context (cdk.json, overridable with ``-c key=value``).

A malformed value fails synth with a message naming the context key. Values given with ``-c``
arrive as strings: lists may be JSON (``'["a@example.com"]'``) or comma-separated.
"""

from __future__ import annotations

import difflib
import json
import re
from typing import Annotated, Any, Literal

from constructs import Node
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from cert_cleanup.config.settings import (
    MAX_DAYS,
    REGION_PATTERN,
    check_tag_key,
    describe_errors,
    parse_bool,
    parse_whole_number,
)
from infra import schedule

EMAIL_PATTERN = re.compile(r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
ORGANIZATION_ID_PATTERN = re.compile(r"^o-[a-z0-9]{10,32}$")
OU_ID_PATTERN = re.compile(r"^(ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}|r-[a-z0-9]{4,32})$")
BUCKET_PREFIX_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,40}[a-z0-9]$")
LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)

Days = Annotated[int, Field(ge=0, le=MAX_DAYS)]


class ContextError(ValueError):
    """A context value is malformed; the message names the key."""


class DeployConfig(BaseModel):
    """What ``cdk deploy`` builds. Aliases are the context keys."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="forbid")

    notification_emails: tuple[str, ...] = Field(default=(), alias="notificationEmails")
    schedule: str = Field(default="rate(1 day)", alias="schedule")
    dry_run: bool = Field(default=False, alias="dryRun")
    grace_days: Days = Field(default=0, alias="graceDays")
    expiry_warning_days: Days = Field(default=30, alias="expiryWarningDays")
    exempt_tag_key: str = Field(default="cert-cleanup:exempt", alias="exemptTagKey")
    archive: bool = Field(default=True, alias="archive")
    log_retention_days: int = Field(default=365, alias="logRetentionDays")
    account_label: str | None = Field(default=None, alias="accountLabel", max_length=64)
    # Opt-in: accounts whose Lambda concurrency quota is 10 refuse any reservation.
    reserved_concurrency: bool = Field(default=False, alias="reservedConcurrency")
    # When people are emailed (see the function's attention.py): default on-change for one account,
    # never for organization members (the central digest tells people).
    tell_people: Literal["on-change", "every-run", "never"] | None = Field(default=None, alias="tellPeople")
    reminder_days: tuple[Days, ...] = Field(default=(30, 14, 7, 3, 1), alias="reminderDays")
    # Minutes between scheduled runs, for a cron schedule that does not run once a day.
    run_interval_minutes: int | None = Field(default=None, ge=1, le=MAX_DAYS * 24 * 60, alias="runIntervalMinutes")
    reevaluate_config_rule: bool = Field(default=True, alias="reevaluateConfigRule")
    mode: Literal["account", "organization"] = Field(default="account", alias="mode")
    # Organization mode only (see OrganizationConfig.check).
    organization_id: str | None = Field(default=None, alias="organizationId")
    organizational_unit_ids: tuple[str, ...] = Field(default=(), alias="organizationalUnitIds")
    member_region: str | None = Field(default=None, alias="memberRegion")
    max_concurrent_percentage: int = Field(default=100, ge=1, le=100, alias="maxConcurrentPercentage")
    failure_tolerance_percentage: int = Field(default=10, ge=0, le=100, alias="failureTolerancePercentage")
    delegated_admin: bool = Field(default=True, alias="delegatedAdmin")
    asset_bucket_prefix: str | None = Field(default=None, alias="assetBucketPrefix")
    digest_schedule: str = Field(default="cron(0 8 * * ? *)", alias="digestSchedule")

    @field_validator("notification_emails", "organizational_unit_ids", "reminder_days", mode="before")
    @classmethod
    def _list(cls, value: object) -> object:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                try:
                    return json.loads(text)
                except json.JSONDecodeError as exc:
                    raise ValueError(f"not a JSON list: {value!r}") from exc
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @field_validator("notification_emails")
    @classmethod
    def _emails(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [email for email in value if not EMAIL_PATTERN.fullmatch(email)]
        if bad:
            raise ValueError(f"not an email address: {', '.join(repr(b) for b in bad)}")
        return value

    @field_validator("organization_id")
    @classmethod
    def _organization(cls, value: str | None) -> str | None:
        if value is not None and not ORGANIZATION_ID_PATTERN.fullmatch(value):
            raise ValueError(f"must be an AWS Organizations id like 'o-a1b2c3d4e5', got {value!r}")
        return value

    @field_validator("organizational_unit_ids")
    @classmethod
    def _units(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [unit for unit in value if not OU_ID_PATTERN.fullmatch(unit)]
        if bad:
            raise ValueError(
                f"not an OU or root id ('ou-xxxx-xxxxxxxx' or 'r-xxxx'): {', '.join(repr(b) for b in bad)}"
            )
        return value

    @field_validator("member_region")
    @classmethod
    def _member_region(cls, value: str | None) -> str | None:
        if value is not None and not REGION_PATTERN.fullmatch(value):
            raise ValueError(f"not a region name: {value!r}")
        return value

    @field_validator("asset_bucket_prefix")
    @classmethod
    def _asset_prefix(cls, value: str | None) -> str | None:
        if value is not None and not BUCKET_PREFIX_PATTERN.fullmatch(value):
            raise ValueError(f"must be 3-42 lowercase letters, digits or hyphens, got {value!r}")
        return value

    @model_validator(mode="after")
    def _interval_known(self) -> DeployConfig:
        if self.run_interval_minutes is None and schedule.interval_minutes(self.schedule) is None:
            raise ValueError(
                f"context 'runIntervalMinutes': required when the schedule {self.schedule!r} does not run once a "
                "day (reminders are placed by the time between runs)"
            )
        return self

    @property
    def interval_minutes(self) -> int:
        """Minutes between scheduled runs: given, or read from the schedule."""
        return self.run_interval_minutes or schedule.interval_minutes(self.schedule) or 24 * 60

    @model_validator(mode="after")
    def _organization_needs(self) -> DeployConfig:
        if self.mode == "organization":
            if self.organization_id is None:
                raise ValueError("context 'organizationId': required when mode=organization")
            if not self.organizational_unit_ids:
                raise ValueError("context 'organizationalUnitIds': required when mode=organization")
        return self

    @field_validator(
        "dry_run", "archive", "delegated_admin", "reserved_concurrency", "reevaluate_config_rule", mode="before"
    )
    @classmethod
    def _bool(cls, value: object) -> object:
        return parse_bool(value)

    @field_validator(
        "grace_days",
        "expiry_warning_days",
        "log_retention_days",
        "max_concurrent_percentage",
        "failure_tolerance_percentage",
        "run_interval_minutes",
        mode="before",
    )
    @classmethod
    def _int(cls, value: object) -> object:
        return parse_whole_number(value)

    @field_validator("schedule", "digest_schedule")
    @classmethod
    def _schedule(cls, value: str) -> str:
        return schedule.check(value)  # ScheduleError is a ValueError: reported naming the key

    @field_validator("exempt_tag_key")
    @classmethod
    def _tag_key(cls, value: str) -> str:
        return check_tag_key(value)

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        if value not in LOG_RETENTION_DAYS:
            raise ValueError(f"must be one of CloudWatch Logs' retention periods {LOG_RETENTION_DAYS}, got {value}")
        return value

    @property
    def asset_prefix(self) -> str:
        """Asset buckets are named ``<prefix>-<region>``; the default is derived from the organization."""
        return self.asset_bucket_prefix or f"cert-cleanup-assets-{(self.organization_id or '').removeprefix('o-')}"

    @classmethod
    def from_values(cls, values: dict[str, Any]) -> DeployConfig:
        """Check ``values`` (keyed by context key): a key that is not a setting is refused, naming the closest."""
        problems = [unknown_key(key) for key in values if key not in KEYS]
        if problems:
            raise ContextError("invalid CDK context: " + "; ".join(problems))
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            raise ContextError(_describe(exc)) from exc

    @classmethod
    def from_context(cls, node: Node) -> DeployConfig:
        """Every cert-cleanup key of the construct tree's context, checked; a key that is not one is refused.

        The CDK's own keys (``aws:cdk:*``, ``@aws-cdk/*`` feature flags, context-lookup caches) all hold a
        ``:`` or a ``/``; cert-cleanup's never do. ``acknowledged-issue-numbers`` is the CDK's too.
        """
        context = node.get_all_context()
        return cls.from_values(
            {key: value for key, value in context.items() if not _cdk_key(key) and value is not None}
        )


def _cdk_key(key: str) -> bool:
    return ":" in key or "/" in key or key in CDK_KEYS


CDK_KEYS = frozenset({"acknowledged-issue-numbers"})
# Keys that were removed, and why: refused with the reason rather than as a typo.
REMOVED_KEYS = {
    "regions": (
        "removed: every run searches all regions enabled for the account, because a narrowed search cannot "
        "prove a certificate unused"
    ),
}


def unknown_key(key: str) -> str:
    """What to tell a person who gave ``key``: why it was removed, or the closest known key."""
    if key in REMOVED_KEYS:
        return f"context {key!r}: {REMOVED_KEYS[key]}"
    by_case = {known.lower(): known for known in KEYS}
    guess = by_case.get(key.lower()) or next(iter(difflib.get_close_matches(key, KEYS, n=1, cutoff=0.6)), None)
    hint = f"; did you mean {guess}?" if guess else f"; known keys: {', '.join(sorted(KEYS))}"
    return f"context {key!r}: unknown setting{hint}"


_FIELD_TO_KEY = {name: field.alias for name, field in DeployConfig.model_fields.items()}
KEYS = tuple(key for key in _FIELD_TO_KEY.values() if key)


def _describe(exc: ValidationError) -> str:
    label = lambda field: f"context '{_FIELD_TO_KEY.get(field) or field}'"  # noqa: E731
    return "invalid CDK context: " + "; ".join(describe_errors(exc, label, unknown="unknown context key"))
