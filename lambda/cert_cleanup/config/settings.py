"""The function's settings: read once from the environment, validated, typed.

A bad value raises :class:`ConfigError` naming the environment variable, before any AWS call.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from cert_cleanup.config import names
from cert_cleanup.errors import ConfigError

# Every region name botocore knows: "us-east-1", "cn-north-1", "us-isob-east-1", "eusc-de-east-1"...
REGION_NAME = r"[a-z]{2,4}(-[a-z]+)+-\d{1,2}"
REGION_PATTERN = re.compile(rf"^{REGION_NAME}$")
TOPIC_ARN_PATTERN = re.compile(rf"^arn:aws[a-z-]*:sns:{REGION_NAME}:\d{{12}}:[A-Za-z0-9_-]{{1,256}}(\.fifo)?$")
BUCKET_PATTERN = re.compile(r"^(?!xn--)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
TAG_KEY_PATTERN = re.compile(r"^[\w\s.:/=+\-@]{1,128}$")
MAX_DAYS = 3650

Days = Annotated[int, Field(ge=0, le=MAX_DAYS)]


class Settings(BaseModel):
    """What a run is allowed to do. Field aliases are the environment variable names."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="forbid")

    sns_topic_arn: str | None = Field(default=None, alias=names.ENV_SNS_TOPIC_ARN)
    dry_run: bool = Field(default=False, alias=names.ENV_DRY_RUN)
    grace_days: Days = Field(default=names.DEFAULT_GRACE_DAYS, alias=names.ENV_GRACE_DAYS)
    expiry_warning_days: Days = Field(default=names.DEFAULT_EXPIRY_WARNING_DAYS, alias=names.ENV_EXPIRY_WARNING_DAYS)
    exempt_tag_key: str = Field(default=names.DEFAULT_EXEMPT_TAG_KEY, alias=names.ENV_EXEMPT_TAG_KEY)
    archive_bucket: str | None = Field(default=None, alias=names.ENV_ARCHIVE_BUCKET)
    archive_prefix: str = Field(default=names.DEFAULT_ARCHIVE_PREFIX, alias=names.ENV_ARCHIVE_PREFIX)
    account_label: str | None = Field(default=None, alias=names.ENV_ACCOUNT_LABEL, max_length=64)
    read_account_alias: bool = Field(default=False, alias=names.ENV_READ_ACCOUNT_ALIAS)
    tell_people: Literal["on-change", "every-run", "never"] = Field(default="on-change", alias=names.ENV_TELL_PEOPLE)
    reminder_days: tuple[Days, ...] = Field(default=names.DEFAULT_REMINDER_DAYS, alias=names.ENV_REMINDER_DAYS)
    run_interval_minutes: Annotated[int, Field(ge=1, le=MAX_DAYS * 24 * 60)] = Field(
        default=names.DEFAULT_RUN_INTERVAL_MINUTES, alias=names.ENV_RUN_INTERVAL_MINUTES
    )
    reevaluate_config_rule: bool = Field(default=True, alias=names.ENV_REEVALUATE_CONFIG_RULE)

    @field_validator("dry_run", "read_account_alias", "reevaluate_config_rule", mode="before")
    @classmethod
    def _strict_bool(cls, value: object) -> object:
        return parse_bool(value)

    @field_validator("grace_days", "expiry_warning_days", mode="before")
    @classmethod
    def _whole_number(cls, value: object) -> object:
        return parse_whole_number(value, "a whole number of days")

    @field_validator("run_interval_minutes", mode="before")
    @classmethod
    def _hours(cls, value: object) -> object:
        return parse_whole_number(value, "a whole number of minutes")

    @field_validator("tell_people", mode="before")
    @classmethod
    def _tell_people(cls, value: object) -> object:
        if isinstance(value, str) and value.strip().lower() not in names.TELL_PEOPLE_CHOICES:
            raise ValueError(f"must be one of {', '.join(names.TELL_PEOPLE_CHOICES)}, got {value!r}")
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("reminder_days", mode="before")
    @classmethod
    def _day_list(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [part.strip() for part in value.split(",")]
            if not all(parts):
                raise ValueError(f"must be a comma-separated list of whole numbers of days, got {value!r}")
            return tuple(parse_whole_number(part, "a comma-separated list of whole numbers of days") for part in parts)
        return value

    @field_validator("sns_topic_arn", "archive_bucket", "account_label", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value.strip() if isinstance(value, str) else value

    @field_validator("sns_topic_arn")
    @classmethod
    def _topic_arn(cls, value: str | None) -> str | None:
        if value is not None and not TOPIC_ARN_PATTERN.fullmatch(value):
            raise ValueError(f"must be an SNS topic ARN, got {value!r}")
        return value

    @field_validator("archive_bucket")
    @classmethod
    def _bucket(cls, value: str | None) -> str | None:
        if value is not None and not BUCKET_PATTERN.fullmatch(value):
            raise ValueError(f"must be an S3 bucket name, got {value!r}")
        return value

    @field_validator("archive_prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        if value.startswith("/") or ".." in value or len(value) > 512:
            raise ValueError(f"must be a relative S3 key prefix, got {value!r}")
        if value and not value.endswith("/"):
            value += "/"
        return value

    @field_validator("exempt_tag_key")
    @classmethod
    def _tag_key(cls, value: str) -> str:
        return check_tag_key(value)

    @classmethod
    def from_env(cls, environ: Mapping[str, str], *, require_topic: bool) -> Settings:
        """Build settings from environment variables; ``require_topic`` in Lambda."""
        refuse_removed(environ)
        fields = {alias: environ[alias] for alias in _ALIASES if alias in environ}
        settings = cls.build(**fields)
        if require_topic and settings.sns_topic_arn is None:
            raise ConfigError(f"{names.ENV_SNS_TOPIC_ARN}: required, not set")
        return settings

    @classmethod
    def build(cls, **values: object) -> Settings:
        """Validate ``values`` (keyed by variable or field name), naming the variable on error."""
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            raise ConfigError(_describe(exc)) from exc


_ALIASES = tuple(field.alias for field in Settings.model_fields.values() if field.alias)


def refuse_removed(environ: Mapping[str, str]) -> None:
    """A removed setting is refused by name, with why, rather than ignored."""
    removed = [f"{name}: {why}" for name, why in names.REMOVED_SETTINGS.items() if name in environ]
    if removed:
        raise ConfigError("invalid configuration: " + "; ".join(removed))


_FIELD_TO_ALIAS = {name: field.alias for name, field in Settings.model_fields.items()}


def _describe(exc: ValidationError) -> str:
    return "invalid configuration: " + "; ".join(
        describe_errors(exc, lambda field: f"{_FIELD_TO_ALIAS.get(field) or field}")
    )


# Rules shared with the CDK app's context (infra/config.py), so both refuse the same values.


def parse_bool(value: object) -> object:
    """``true``/``false`` in any case; anything else that is a string is refused."""
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered not in {"true", "false"}:
            raise ValueError(f"must be true or false, got {value!r}")
        return lowered == "true"
    return value


def parse_whole_number(value: object, what: str = "a whole number") -> object:
    if isinstance(value, bool) or (isinstance(value, str) and not re.fullmatch(r"\s*-?\d+\s*", value)):
        raise ValueError(f"must be {what}, got {value!r}")
    return int(value) if isinstance(value, str) else value


def check_tag_key(value: str) -> str:
    if not TAG_KEY_PATTERN.fullmatch(value) or value.lower().startswith("aws:"):
        raise ValueError(f"must be a valid IAM tag key (1-128 characters), got {value!r}")
    return value


def check_region_names(values: tuple[str, ...]) -> tuple[str, ...]:
    bad = [region for region in values if not REGION_PATTERN.fullmatch(region)]
    if bad:
        raise ValueError(f"not a region name: {', '.join(repr(b) for b in bad)}")
    return values


def describe_errors(exc: ValidationError, label: Callable[[str], str], unknown: str = "unknown setting") -> list[str]:
    """One ``<label>: <problem>`` per error; ``label`` names the field as the user wrote it."""
    problems = []
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else ""
        message = str(error["msg"]).removeprefix("Value error, ")
        if not field:
            problems.append(message)  # a check across fields names its fields itself
            continue
        if error["type"] == "extra_forbidden":
            message = unknown
        elif error["type"] in {"greater_than_equal", "less_than_equal", "literal_error"}:
            message = f"{message}, got {error['input']!r}"
        problems.append(f"{label(field)}: {message}")
    return problems
