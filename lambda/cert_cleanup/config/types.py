"""The value types settings are made of, shared by the function's settings (environment variables), the
digest's, the command line's options and the CDK app's context: one rule per kind of value, one message.

Values arrive as strings (an environment variable, ``-c key=value``) or as JSON values (``cdk.json``); each
type accepts both and refuses anything else with a message saying what it must be.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, StringConstraints, ValidationError

from cert_cleanup.config import names
from cert_cleanup.errors import ConfigError

# Every region name botocore knows: "us-east-1", "cn-north-1", "us-isob-east-1", "eusc-de-east-1"...
REGION_NAME = r"[a-z]{2,4}(-[a-z]+)+-\d{1,2}"
REGION_PATTERN = re.compile(rf"^{REGION_NAME}$")
TOPIC_ARN_PATTERN = re.compile(rf"^arn:aws[a-z-]*:sns:{REGION_NAME}:\d{{12}}:[A-Za-z0-9_-]{{1,256}}(\.fifo)?$")
BUCKET_PATTERN = re.compile(r"^(?!xn--)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
ACCOUNT_ID_PATTERN = re.compile(r"^\d{12}$")
# DynamoDB's table names: 3 to 255 of letters, digits, "_", "-" and "." (Amazon DynamoDB API Reference, TableName).
TABLE_NAME_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{3,255}$")
EVENT_BUS_ARN_PATTERN = re.compile(
    rf"^arn:aws[a-z-]*:events:{REGION_NAME}:\d{{12}}:event-bus/[A-Za-z0-9._/-]{{1,256}}$"
)
UNIT_ID_PATTERN = re.compile(r"^(ou-[0-9a-z]{4,32}-[0-9a-z]{8,32}|r-[0-9a-z]{4,32})$")
QUEUE_URL_PATTERN = re.compile(r"^https?://[^/\s]+/\d{12}/[A-Za-z0-9_-]{1,80}$")
TAG_KEY_PATTERN = re.compile(r"^[\w\s.:/=+\-@]{1,128}$")
MAX_DAYS = 3650


def parse_bool(value: object) -> object:
    """``true``/``false`` in any case; anything else that is a string is refused."""
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered not in {"true", "false"}:
            raise ValueError(f"must be true or false, got {value!r}")
        return lowered == "true"
    return value


def whole_number(what: str) -> Callable[[object], object]:
    def parse(value: object) -> object:
        if isinstance(value, bool) or (isinstance(value, str) and not re.fullmatch(r"\s*-?\d+\s*", value)):
            raise ValueError(f"must be {what}, got {value!r}")
        return int(value) if isinstance(value, str) else value

    return parse


def listed(what: str) -> Callable[[object], object]:
    """A list given as a JSON list, or as a string: JSON (``'["a", "b"]'``) or comma-separated (``a,b``).

    An empty item (``30,,7``) is refused: it is a typo, not a value.
    """

    def parse(value: object) -> object:
        if not isinstance(value, str):
            return value
        text = value.strip()
        if text.startswith("["):
            try:
                return json.loads(text)
            except json.JSONDecodeError as exc:
                raise ValueError(f"not a JSON list: {value!r}") from exc
        if not text:
            return []
        parts = [part.strip() for part in text.split(",")]
        if not all(parts):
            raise ValueError(f"must be a comma-separated list of {what}, got {value!r}")
        return parts

    return parse


def matching(pattern: re.Pattern[str], what: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        if not pattern.fullmatch(value):
            raise ValueError(f"must be {what}, got {value!r}")
        return value

    return check


def one_of(choices: tuple[str, ...]) -> Callable[[object], object]:
    """One of ``choices``, in any case."""

    def parse(value: object) -> object:
        if not isinstance(value, str):
            return value
        if value.strip().lower() not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}, got {value!r}")
        return value.strip().lower()

    return parse


def check_tag_key(value: str) -> str:
    if not TAG_KEY_PATTERN.fullmatch(value) or value.lower().startswith("aws:"):
        raise ValueError(f"must be a valid IAM tag key (1-128 characters), got {value!r}")
    return value


def check_region_names(values: tuple[str, ...]) -> tuple[str, ...]:
    bad = [region for region in values if not REGION_PATTERN.fullmatch(region)]
    if bad:
        raise ValueError(f"not a region name: {', '.join(repr(b) for b in bad)}")
    return values


def _blank_is_unset(value: object) -> object:
    if isinstance(value, str):
        return value.strip() or None
    return value


Flag = Annotated[bool, BeforeValidator(parse_bool)]
Days = Annotated[int, Field(ge=0, le=MAX_DAYS), BeforeValidator(whole_number("a whole number of days"))]
Minutes = Annotated[int, Field(ge=1, le=MAX_DAYS * 24 * 60), BeforeValidator(whole_number("a whole number of minutes"))]
Percent = Annotated[int, BeforeValidator(whole_number("a whole number"))]
# At least one day: an empty list would leave a setting the function refuses at every run.
DayList = Annotated[tuple[Days, ...], Field(min_length=1), BeforeValidator(listed("whole numbers of days"))]
TagKey = Annotated[str, AfterValidator(check_tag_key)]
RegionName = Annotated[str, AfterValidator(matching(REGION_PATTERN, "a region name"))]
BucketName = Annotated[str, AfterValidator(matching(BUCKET_PATTERN, "an S3 bucket name"))]
TopicArn = Annotated[str, AfterValidator(matching(TOPIC_ARN_PATTERN, "an SNS topic ARN"))]
EventBusArn = Annotated[str, AfterValidator(matching(EVENT_BUS_ARN_PATTERN, "an EventBridge event bus ARN"))]
UnitIdList = Annotated[
    tuple[Annotated[str, AfterValidator(matching(UNIT_ID_PATTERN, "an OU or root id"))], ...],
    BeforeValidator(listed("OU or root ids")),
]
QueueUrl = Annotated[str, AfterValidator(matching(QUEUE_URL_PATTERN, "an SQS queue URL"))]
TableName = Annotated[str, AfterValidator(matching(TABLE_NAME_PATTERN, "a DynamoDB table name"))]
TellPeopleChoice = Literal["on-change", "every-run", "never"]  # names.TELL_PEOPLE_CHOICES, checked by mypy where used
TellPeople = Annotated[TellPeopleChoice, BeforeValidator(one_of(names.TELL_PEOPLE_CHOICES))]
# Optional text: blank (an empty environment variable) is unset; surrounding spaces go.
Blank = BeforeValidator(_blank_is_unset)
# How a person names the account in the summary (the account alias's own limit is 63 characters).
AccountLabel = Annotated[Annotated[str, StringConstraints(max_length=64)] | None, Blank]


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
        elif error["type"] in {"greater_than_equal", "less_than_equal", "literal_error", "too_short"}:
            message = f"{message}, got {error['input']!r}"
        problems.append(f"{label(field)}: {message}")
    return problems


M = TypeVar("M", bound=BaseModel)


def validated(model: type[M], values: dict[str, Any], label: Callable[[str], str] | None = None) -> M:
    """``model`` made from ``values`` (keyed by alias); a bad value raises ConfigError naming it by ``label``
    (default: its alias, the environment variable's name)."""
    aliases = {name: field.alias or name for name, field in model.model_fields.items()}
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        name = label or (lambda field: aliases.get(field, field))
        raise ConfigError("invalid configuration: " + "; ".join(describe_errors(exc, name))) from exc
