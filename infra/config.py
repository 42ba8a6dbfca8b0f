"""Deployment settings from CDK context (cdk.json, overridable with ``-c key=value``).

A malformed value fails synth with a message naming the context key. Values given with ``-c``
arrive as strings: lists may be JSON (``'["a@example.com"]'``) or comma-separated.
"""

from __future__ import annotations

import difflib
import re
from typing import Annotated, Any, Literal

from aws_cdk import aws_logs as logs
from constructs import Node
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from cert_cleanup.config import names
from cert_cleanup.config.types import (
    AccountLabel,
    DayList,
    Days,
    Flag,
    Minutes,
    Percent,
    RegionName,
    TagKey,
    TellPeople,
    describe_errors,
    listed,
    matching,
    whole_number,
)

from . import schedule

EMAIL_PATTERN = re.compile(r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
ORGANIZATION_ID_PATTERN = re.compile(r"^o-[a-z0-9]{10,32}$")
OU_ID_PATTERN = re.compile(r"^(ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}|r-[a-z0-9]{4,32})$")
BUCKET_PREFIX_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,40}[a-z0-9]$")
# AWS::Chatbot::SlackChannelConfiguration and MicrosoftTeamsChannelConfiguration (CloudFormation template
# reference): the patterns of their ids.
SLACK_WORKSPACE_PATTERN = re.compile(r"^[0-9A-Z]{1,255}$")
SLACK_CHANNEL_PATTERN = re.compile(r"^[A-Za-z0-9]{1,256}$")
UUID_PATTERN = re.compile(r"^[0-9A-Fa-f]{8}(?:-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}$")
TEAMS_CHANNEL_PATTERN = re.compile(r"^([a-zA-Z0-9-_=+/.,])*%3[aA]([a-zA-Z0-9-_=+/.,])*%40([a-zA-Z0-9-_=+/.,])*$")
# CloudWatch Logs' retention periods, in days, and CDK's name for each.
LOG_RETENTION = {
    1: logs.RetentionDays.ONE_DAY,
    3: logs.RetentionDays.THREE_DAYS,
    5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    120: logs.RetentionDays.FOUR_MONTHS,
    150: logs.RetentionDays.FIVE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
    400: logs.RetentionDays.THIRTEEN_MONTHS,
    545: logs.RetentionDays.EIGHTEEN_MONTHS,
    731: logs.RetentionDays.TWO_YEARS,
    1096: logs.RetentionDays.THREE_YEARS,
    1827: logs.RetentionDays.FIVE_YEARS,
    2192: logs.RetentionDays.SIX_YEARS,
    2557: logs.RetentionDays.SEVEN_YEARS,
    2922: logs.RetentionDays.EIGHT_YEARS,
    3288: logs.RetentionDays.NINE_YEARS,
    3653: logs.RetentionDays.TEN_YEARS,
}


def _retention(value: int) -> int:
    if value not in LOG_RETENTION:
        raise ValueError(f"must be one of CloudWatch Logs' retention periods {tuple(LOG_RETENTION)}, got {value}")
    return value


Email = Annotated[str, AfterValidator(matching(EMAIL_PATTERN, "an email address"))]
Emails = Annotated[tuple[Email, ...], BeforeValidator(listed("email addresses"))]
UnitId = Annotated[str, AfterValidator(matching(OU_ID_PATTERN, "an OU or root id ('ou-xxxx-xxxxxxxx' or 'r-xxxx')"))]
UnitIds = Annotated[tuple[UnitId, ...], BeforeValidator(listed("OU or root ids"))]
OrganizationId = Annotated[
    str, AfterValidator(matching(ORGANIZATION_ID_PATTERN, "an AWS Organizations id like 'o-a1b2c3d4e5'"))
]
AssetPrefix = Annotated[
    str, AfterValidator(matching(BUCKET_PREFIX_PATTERN, "3-42 lowercase letters, digits or hyphens"))
]
SlackWorkspaceId = Annotated[
    str, AfterValidator(matching(SLACK_WORKSPACE_PATTERN, "a Slack workspace id (upper-case letters and digits)"))
]
SlackChannelId = Annotated[str, AfterValidator(matching(SLACK_CHANNEL_PATTERN, "a Slack channel id like C0123ABCDEF"))]
TeamsId = Annotated[str, AfterValidator(matching(UUID_PATTERN, "a Microsoft Teams id (a UUID)"))]
TeamsChannelId = Annotated[
    str,
    AfterValidator(matching(TEAMS_CHANNEL_PATTERN, "a Teams channel id, URL-encoded, like 19%3a...%40thread.tacv2")),
]
# ScheduleError is a ValueError: reported naming the key.
Schedule = Annotated[str, AfterValidator(schedule.check)]
RetentionDays = Annotated[int, BeforeValidator(whole_number("a whole number of days")), AfterValidator(_retention)]


class ContextError(ValueError):
    """A context value is malformed; the message names the key."""


# The chat keys that make one channel configuration, per platform.
CHAT_KEYS = {
    "Slack": ("slackWorkspaceId", "slackChannelId"),
    "Microsoft Teams": ("teamsTenantId", "teamsTeamId", "teamsChannelId"),
}


class DeployConfig(BaseModel):
    """What ``cdk deploy`` builds. Aliases are the context keys; value types are the function's (types.py)."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="forbid")

    notification_emails: Emails = Field(default=(), alias="notificationEmails")
    # Deploy without any email subscription, on purpose: someone subscribes to the topics' outputs.
    no_subscribers: Flag = Field(default=False, alias="noSubscribers")
    schedule: Schedule = Field(default="rate(1 day)", alias="schedule")
    dry_run: Flag = Field(default=False, alias="dryRun")
    grace_days: Days = Field(default=names.DEFAULT_GRACE_DAYS, alias="graceDays")
    expiry_warning_days: Days = Field(default=names.DEFAULT_EXPIRY_WARNING_DAYS, alias="expiryWarningDays")
    exempt_tag_key: TagKey = Field(default=names.DEFAULT_EXEMPT_TAG_KEY, alias="exemptTagKey")
    archive: Flag = Field(default=True, alias="archive")
    log_retention_days: RetentionDays = Field(default=365, alias="logRetentionDays")
    account_label: AccountLabel = Field(default=None, alias="accountLabel")
    # Opt-in: accounts whose Lambda concurrency quota is 10 refuse any reservation.
    reserved_concurrency: Flag = Field(default=False, alias="reservedConcurrency")
    # When people are emailed (see the function's notify/when.py): default on-change for one account,
    # never for organization members (the central digest tells people).
    tell_people: TellPeople | None = Field(default=None, alias="tellPeople")
    reminder_days: DayList = Field(default=names.DEFAULT_REMINDER_DAYS, alias="reminderDays")
    # Minutes between scheduled runs, for a cron schedule that does not run once a day.
    run_interval_minutes: Minutes | None = Field(default=None, alias="runIntervalMinutes")
    reevaluate_config_rule: Flag = Field(default=True, alias="reevaluateConfigRule")
    # Security Hub: IAM.26 findings start a run; runs write back onto them; the console's custom action.
    findings_start_runs: Flag = Field(default=True, alias="findingsStartRuns")
    update_findings: Flag = Field(default=True, alias="updateFindings")
    security_hub_custom_action: Flag = Field(default=False, alias="securityHubCustomAction")
    # Where Security Hub aggregates findings, if it does: the finding rules live there (else in us-east-1 or
    # cn-north-1, where IAM.26's findings are; infra/components/security_hub.py).
    security_hub_aggregation_region: RegionName | None = Field(default=None, alias="securityHubAggregationRegion")
    # Chat: Amazon Q Developer in chat applications (AWS::Chatbot::*), named after the CloudFormation properties.
    slack_workspace_id: SlackWorkspaceId | None = Field(default=None, alias="slackWorkspaceId")
    slack_channel_id: SlackChannelId | None = Field(default=None, alias="slackChannelId")
    teams_tenant_id: TeamsId | None = Field(default=None, alias="teamsTenantId")
    teams_team_id: TeamsId | None = Field(default=None, alias="teamsTeamId")
    teams_channel_id: TeamsChannelId | None = Field(default=None, alias="teamsChannelId")
    mode: Literal["account", "organization"] = Field(default="account", alias="mode")
    # Organization mode only (see _organization_needs).
    organization_id: OrganizationId | None = Field(default=None, alias="organizationId")
    organizational_unit_ids: UnitIds = Field(default=(), alias="organizationalUnitIds")
    member_region: RegionName | None = Field(default=None, alias="memberRegion")
    max_concurrent_percentage: Annotated[Percent, Field(ge=1, le=100)] = Field(
        default=100, alias="maxConcurrentPercentage"
    )
    failure_tolerance_percentage: Annotated[Percent, Field(ge=0, le=100)] = Field(
        default=10, alias="failureTolerancePercentage"
    )
    delegated_admin: Flag = Field(default=True, alias="delegatedAdmin")
    asset_bucket_prefix: AssetPrefix | None = Field(default=None, alias="assetBucketPrefix")
    digest_schedule: Schedule = Field(default="cron(0 8 * * ? *)", alias="digestSchedule")
    # A dashboard in every member costs $3 a month each beyond the organization's free three (docs/organization.md):
    # false leaves members without one where the central view serves.
    member_dashboards: Flag = Field(default=True, alias="memberDashboards")

    @model_validator(mode="after")
    def _interval_known(self) -> DeployConfig:
        read = schedule.interval_minutes(self.schedule)
        if self.run_interval_minutes is None and read is None:
            raise ValueError(
                f"context 'runIntervalMinutes': required when the schedule {self.schedule!r} does not run once a "
                "day: a person is told of a moment that fell within this many minutes before a run, so give the "
                "longest gap between two runs (a weekday schedule: 4320, Friday to Monday; a moment is then never "
                "missed, and may be told twice)"
            )
        if self.run_interval_minutes is not None and read is not None and self.run_interval_minutes != read:
            raise ValueError(
                f"context 'runIntervalMinutes': the schedule {self.schedule!r} runs every {read} minutes; leave "
                f"runIntervalMinutes out (it is read from the schedule), or set it to {read}"
            )
        return self

    @property
    def interval_minutes(self) -> int:
        """Minutes between scheduled runs: given, or read from the schedule."""
        given = self.run_interval_minutes or schedule.interval_minutes(self.schedule)
        return given or names.DEFAULT_RUN_INTERVAL_MINUTES

    @model_validator(mode="after")
    def _organization_needs(self) -> DeployConfig:
        given = sorted(_FIELD_TO_KEY[field] or field for field in self.model_fields_set & ORGANIZATION_ONLY)
        if self.mode == "account" and given:
            raise ValueError(
                f"context {', '.join(repr(key) for key in given)}: used only with -c mode=organization (add it, or "
                "leave these out)"
            )
        if self.mode == "organization" and self.security_hub_custom_action:
            raise ValueError(
                "context 'securityHubCustomAction': single-account mode only: a custom action sends findings to the "
                "account where an analyst clicks it, and a member's function can only clean its own account "
                "(docs/organization.md, Security Hub)"
            )
        if self.mode == "organization":
            if self.organization_id is None:
                raise ValueError("context 'organizationId': required when mode=organization")
            if not self.organizational_unit_ids:
                raise ValueError("context 'organizationalUnitIds': required when mode=organization")
        return self

    @model_validator(mode="after")
    def _chat_is_whole(self) -> DeployConfig:
        for platform, keys in CHAT_KEYS.items():
            given = [key for key in keys if getattr(self, _KEY_TO_FIELD[key]) is not None]
            if given and len(given) != len(keys):
                missing = [key for key in keys if key not in given]
                raise ValueError(
                    f"context {', '.join(repr(key) for key in missing)}: {platform} needs {', '.join(keys)} together "
                    f"(given: {', '.join(given)})"
                )
        if self.mode == "organization" and self.chat:
            raise ValueError(
                f"context {', '.join(repr(key) for key in self.chat)}: single-account mode only for now: in an "
                "organization, subscribe your channel to the CentralAlarmTopicArn output and read the digest by email"
            )
        return self

    @property
    def chat(self) -> dict[str, str]:
        """The chat keys given (context key -> value)."""
        return {
            key: value
            for keys in CHAT_KEYS.values()
            for key in keys
            if (value := getattr(self, _KEY_TO_FIELD[key])) is not None
        }

    @model_validator(mode="after")
    def _someone_is_told(self) -> DeployConfig:
        if not self.notification_emails and not self.no_subscribers:
            raise ValueError(
                "context 'notificationEmails': required: a stack that deletes must tell someone; give one or more "
                "addresses (-c notificationEmails=secops@example.com), or -c noSubscribers=true if you subscribe "
                "to the TopicArn and AlarmTopicArn outputs yourself"
            )
        return self

    @property
    def log_retention(self) -> logs.RetentionDays:
        return LOG_RETENTION[self.log_retention_days]

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


# Where CloudFormation has the AWS::Chatbot types (Amazon Q Developer in chat applications): the commercial
# partition only, not China (aws-cn) or GovCloud (aws-us-gov); cfn-lint --regions says E3006 there.
CHAT_PARTITIONS = frozenset({"aws"})


def partition_of(region: str) -> str:
    """The partition of a region name, as AWS names it (``aws``, ``aws-cn``, ``aws-us-gov``, ...)."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    if region.startswith("us-iso-"):
        return "aws-iso"
    if region.startswith("us-isob-"):
        return "aws-iso-b"
    return "aws"


def refuse_unavailable(config: DeployConfig, region: str | None) -> None:
    """Refuse at synth what a deploy to ``region`` would refuse (``None``: the region is not known, nothing to say).

    The chat keys in China or GovCloud: CloudFormation has no ``AWS::Chatbot`` types there, so the deploy would
    fail after creating half the stack (synth gave only a CDK warning).
    """
    if region is None or not config.chat:
        return
    partition = partition_of(region)
    if partition not in CHAT_PARTITIONS:
        raise ContextError(
            f"invalid CDK context: context {', '.join(repr(key) for key in config.chat)}: not available in {region} "
            f"(partition {partition}): Amazon Q Developer in chat applications (AWS::Chatbot) is offered in the "
            "commercial partition only; leave the chat keys out and subscribe to the AlarmTopicArn output instead"
        )


def _cdk_key(key: str) -> bool:
    return ":" in key or "/" in key or key in CDK_KEYS


CDK_KEYS = frozenset({"acknowledged-issue-numbers"})
# Keys that were removed, and why: refused with the reason rather than as a typo.
REMOVED_KEYS = {
    "regions": (f"removed: every run searches all regions enabled for the account, because {names.WHY_EVERY_REGION}"),
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
_KEY_TO_FIELD = {key: name for name, key in _FIELD_TO_KEY.items() if key}
ORGANIZATION_ONLY = frozenset(
    {
        "organization_id",
        "organizational_unit_ids",
        "member_region",
        "max_concurrent_percentage",
        "failure_tolerance_percentage",
        "delegated_admin",
        "asset_bucket_prefix",
        "digest_schedule",
        "member_dashboards",
    }
)
KEYS = tuple(key for key in _FIELD_TO_KEY.values() if key)


def _describe(exc: ValidationError) -> str:
    label = lambda field: f"context '{_FIELD_TO_KEY.get(field) or field}'"  # noqa: E731
    return "invalid CDK context: " + "; ".join(describe_errors(exc, label, unknown="unknown context key"))
