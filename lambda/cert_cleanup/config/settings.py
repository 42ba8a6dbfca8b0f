"""The functions' settings: read once from the environment, validated, typed.

A bad value raises :class:`ConfigError` naming the environment variable, before any AWS call. The value
types and their rules are in types.py, shared with the command line and the CDK app.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from cert_cleanup.config import names
from cert_cleanup.config.types import (
    AccountLabel,
    Blank,
    BucketName,
    DayList,
    Days,
    EventBusArn,
    Flag,
    Minutes,
    QueueUrl,
    TableName,
    TagKey,
    TellPeople,
    TopicArn,
    UnitIdList,
    validated,
)
from cert_cleanup.errors import ConfigError


class Settings(BaseModel):
    """What a run is allowed to do. Field aliases are the environment variable names."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="forbid")

    sns_topic_arn: Annotated[TopicArn | None, Blank] = Field(default=None, alias=names.ENV_SNS_TOPIC_ARN)
    # A chat channel's topic: what people are told also goes there, as a chat custom notification.
    chat_topic_arn: Annotated[TopicArn | None, Blank] = Field(default=None, alias=names.ENV_CHAT_TOPIC_ARN)
    # An organization member: the run's result goes to the central event bus (the digest's source), and the topic
    # gets only what people are told.
    results_bus_arn: Annotated[EventBusArn | None, Blank] = Field(default=None, alias=names.ENV_RESULTS_BUS_ARN)
    dry_run: Flag = Field(default=False, alias=names.ENV_DRY_RUN)
    grace_days: Days = Field(default=names.DEFAULT_GRACE_DAYS, alias=names.ENV_GRACE_DAYS)
    expiry_warning_days: Days = Field(default=names.DEFAULT_EXPIRY_WARNING_DAYS, alias=names.ENV_EXPIRY_WARNING_DAYS)
    exempt_tag_key: TagKey = Field(default=names.DEFAULT_EXEMPT_TAG_KEY, alias=names.ENV_EXEMPT_TAG_KEY)
    archive_bucket: Annotated[BucketName | None, Blank] = Field(default=None, alias=names.ENV_ARCHIVE_BUCKET)
    account_label: AccountLabel = Field(default=None, alias=names.ENV_ACCOUNT_LABEL)
    read_account_alias: Flag = Field(default=False, alias=names.ENV_READ_ACCOUNT_ALIAS)
    tell_people: TellPeople = Field(default="on-change", alias=names.ENV_TELL_PEOPLE)
    reminder_days: DayList = Field(default=names.DEFAULT_REMINDER_DAYS, alias=names.ENV_REMINDER_DAYS)
    run_interval_minutes: Minutes = Field(
        default=names.DEFAULT_RUN_INTERVAL_MINUTES, alias=names.ENV_RUN_INTERVAL_MINUTES
    )
    # The schedule's kind, "rate" or "cron" (the stack sets it): when its first run after a deploy comes.
    schedule_kind: Literal["rate", "cron"] | None = Field(default=None, alias=names.ENV_SCHEDULE_KIND)
    reevaluate_config_rule: Flag = Field(default=True, alias=names.ENV_REEVALUATE_CONFIG_RULE)
    update_findings: Flag = Field(default=True, alias=names.ENV_UPDATE_FINDINGS)
    # The run lease (aws/lease.py): one run at a time acts on the account. Required in Lambda; without it (the
    # tests' direct calls) runs are not coordinated.
    lease_table: Annotated[TableName | None, Blank] = Field(default=None, alias=names.ENV_LEASE_TABLE)

    @classmethod
    def from_env(cls, environ: Mapping[str, str], *, require_topic: bool) -> Settings:
        """Build settings from environment variables; ``require_topic`` in Lambda."""
        refuse_removed(environ)
        settings = cls.build(**{alias: environ[alias] for alias in _ALIASES if alias in environ})
        if require_topic and settings.sns_topic_arn is None:
            raise ConfigError(f"{names.ENV_SNS_TOPIC_ARN}: required, not set")
        if require_topic and settings.lease_table is None:
            raise ConfigError(
                f"{names.ENV_LEASE_TABLE}: required, not set (the run lease keeps runs that meet from acting at once)"
            )
        return settings

    @classmethod
    def build(cls, **values: object) -> Settings:
        """Validate ``values`` (keyed by variable or field name), naming the variable on error."""
        return validated(cls, values)


_ALIASES = tuple(field.alias for field in Settings.model_fields.values() if field.alias)


def refuse_removed(environ: Mapping[str, str]) -> None:
    """A removed setting is refused by name, with why, rather than ignored."""
    removed = [f"{name}: {why}" for name, why in names.REMOVED_SETTINGS.items() if name in environ]
    if removed:
        raise ConfigError("invalid configuration: " + "; ".join(removed))


class DigestSettings(BaseModel):
    """The organization digest's settings: its queue, its report bucket, the central topic; the OUs whose accounts
    should report, and how often they run (an account silent for longer is "not reporting")."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore", defer_build=True)

    queue_url: QueueUrl = Field(alias=names.ENV_DIGEST_QUEUE_URL)
    report_bucket: BucketName = Field(alias=names.ENV_REPORT_BUCKET)
    sns_topic_arn: TopicArn = Field(alias=names.ENV_SNS_TOPIC_ARN)
    organizational_unit_ids: UnitIdList = Field(default=(), alias=names.ENV_ORGANIZATIONAL_UNIT_IDS)
    run_interval_minutes: Minutes = Field(
        default=names.DEFAULT_RUN_INTERVAL_MINUTES, alias=names.ENV_RUN_INTERVAL_MINUTES
    )

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> DigestSettings:
        return validated(cls, dict(environ))
