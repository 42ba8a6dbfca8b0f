"""CDK context: defaults, string forms from `-c`, and errors naming the key."""

from __future__ import annotations

import pytest
from aws_cdk import aws_logs as logs

from infra.config import LOG_RETENTION, ContextError, DeployConfig
from infra.schedule import interval_minutes as schedule_interval
from tests.infra.conftest import synthesize
from tests.support import as_documented, documented_defaults

TOLD = {"notificationEmails": "secops@example.com"}


def test_defaults() -> None:
    config = DeployConfig.from_values(TOLD)
    assert config.schedule == "rate(1 day)"
    assert config.dry_run is False
    assert config.archive is True
    assert config.notification_emails == ("secops@example.com",)


def test_command_line_strings_are_parsed() -> None:
    config = DeployConfig.from_values(
        {
            "notificationEmails": '["a@example.com", "b@example.org"]',
            "dryRun": "TRUE",
            "graceDays": "14",
            "archive": "false",
            "schedule": "rate(12 hours)",
        }
    )
    assert config.notification_emails == ("a@example.com", "b@example.org")
    assert config.dry_run is True
    assert config.grace_days == 14
    assert config.archive is False


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        (
            "notificationEmails",
            ["ops@example.com", "not-an-email"],
            "context 'notificationEmails': must be an email address, got 'not-an-email'",
        ),
        ("notificationEmails", "[broken", "context 'notificationEmails': not a JSON list"),
        ("schedule", "every day", "context 'schedule': must be 'rate(N unit)' or 'cron(minutes hours day-of-month"),
        ("schedule", "rate(1 days)", "context 'schedule': use the singular unit"),
        ("schedule", "rate(2 day)", "context 'schedule': use the plural unit"),
        ("schedule", "rate(0 minutes)", "context 'schedule': a rate must be at least 1, got 'rate(0 minutes)'"),
        ("schedule", "cron(0 6 * * ?)", "context 'schedule': a cron expression has 6 fields, got 5"),
        ("schedule", "cron(0 25 * * ? *)", "context 'schedule': cron hours: must be 0-23, got '25'"),
        ("schedule", "cron(60 6 * * ? *)", "context 'schedule': cron minutes: must be 0-59, got '60'"),
        ("schedule", "cron(0 6 32 * ? *)", "context 'schedule': cron day-of-month: must be 1-31, got '32'"),
        ("schedule", "cron(0 6 ? 13 MON *)", "context 'schedule': cron month: must be 1-12 or JAN-DEC, got '13'"),
        ("schedule", "cron(0 6 ? * FUNDAY *)", "context 'schedule': cron day-of-week: must be 1-7 or SUN-SAT"),
        (
            "schedule",
            "cron(0 6 * * * *)",
            "must be '?' (EventBridge cannot use both), got 'cron(0 6 * * * *)'; for example cron(0 6 * * ? *)",
        ),
        ("schedule", "cron(0 6 ? * ? *)", "context 'schedule': cron: exactly one of day-of-month and day-of-week"),
        ("schedule", "cron(? 6 * * ? *)", "context 'schedule': cron minutes: '?' is allowed in day-of-month"),
        ("schedule", "cron(0/0 6 * * ? *)", "context 'schedule': cron minutes: the step after '/' must be"),
        ("schedule", "cron(0 6 ? * 2#6 *)", "context 'schedule': cron day-of-week: '#' takes the week of the month"),
        ("schedule", "cron(0 6 * * ? 2300)", "context 'schedule': cron year: must be 1970-2199, got '2300'"),
        ("digestSchedule", "cron(0 8 * * ? *", "context 'digestSchedule': must be 'rate(N unit)'"),
        ("graceDays", -1, "context 'graceDays': Input should be greater than or equal to 0, got -1"),
        ("graceDays", "ten", "context 'graceDays': must be a whole number of days, got 'ten'"),
        ("expiryWarningDays", 100000, "context 'expiryWarningDays': Input should be less than or equal to 3650"),
        ("dryRun", "yes", "context 'dryRun': must be true or false, got 'yes'"),
        ("regions", "eu-west-1", "context 'regions': removed: every run searches all regions enabled for the account"),
        ("exemptTagKey", "aws:no", "context 'exemptTagKey': must be a valid IAM tag key"),
        ("logRetentionDays", 42, "context 'logRetentionDays': must be one of CloudWatch Logs' retention periods"),
        (
            "notificationEmail",
            "a@example.com",
            "context 'notificationEmail': unknown setting; did you mean notificationEmails?",
        ),
        ("gracedays", 3, "context 'gracedays': unknown setting; did you mean graceDays?"),
        ("shedule", "rate(1 day)", "context 'shedule': unknown setting; did you mean schedule?"),
        ("zzz", 1, "context 'zzz': unknown setting; known keys: accountLabel, archive,"),
    ],
)
def test_bad_value_names_the_context_key(key: str, value: object, message: str) -> None:
    with pytest.raises(ContextError) as raised:
        DeployConfig.from_values({**TOLD, key: value})
    assert message in str(raised.value)


def test_bad_context_fails_synth_naming_the_key() -> None:
    with pytest.raises(ContextError, match="context 'graceDays'"):
        synthesize({"graceDays": "-5"})


def test_every_retention_cloudwatch_offers_is_accepted_by_its_days() -> None:
    offered = {member for member in logs.RetentionDays if member is not logs.RetentionDays.INFINITE}
    assert set(LOG_RETENTION.values()) == offered
    assert DeployConfig.from_values({**TOLD, "logRetentionDays": "30"}).log_retention is logs.RetentionDays.ONE_MONTH


@pytest.mark.parametrize(
    ("schedule", "minutes"),
    [
        ("rate(1 day)", 1440),
        ("rate(12 hours)", 720),
        ("rate(30 minutes)", 30),
        ("rate(7 days)", 10080),
        ("cron(0 6 * * ? *)", 1440),
        ("cron(15 2 ? * * *)", 1440),
    ],
)
def test_the_time_between_runs_is_read_from_the_schedule(schedule: str, minutes: int) -> None:
    assert DeployConfig.from_values({**TOLD, "schedule": schedule}).interval_minutes == minutes


@pytest.mark.parametrize("schedule", ["cron(0 */6 * * ? *)", "cron(0 6 ? * MON *)", "cron(0 6 1 * ? *)"])
def test_a_cron_that_does_not_run_once_a_day_needs_its_interval(schedule: str) -> None:
    with pytest.raises(ContextError, match="context 'runIntervalMinutes': required when the schedule"):
        DeployConfig.from_values({**TOLD, "schedule": schedule})
    given = DeployConfig.from_values({**TOLD, "schedule": schedule, "runIntervalMinutes": "360"})
    assert given.interval_minutes == 360


def test_people_settings_from_the_command_line() -> None:
    config = DeployConfig.from_values(
        {**TOLD, "tellPeople": "every-run", "reminderDays": "14,3", "reevaluateConfigRule": "false"}
    )
    assert (config.tell_people, config.reminder_days, config.reevaluate_config_rule) == ("every-run", (14, 3), False)
    with pytest.raises(ContextError, match="context 'tellPeople'"):
        DeployConfig.from_values({**TOLD, "tellPeople": "sometimes"})
    with pytest.raises(ContextError, match="context 'reminderDays'"):
        DeployConfig.from_values({**TOLD, "reminderDays": "14,-1"})


@pytest.mark.parametrize(
    "schedule",
    [
        "rate(1 minute)",
        "rate(5 minutes)",
        "cron(0 6 * * ? *)",
        "cron(0/15 * ? * MON-FRI *)",
        "cron(0 8 L * ? *)",
        "cron(0 8 LW * ? *)",
        "cron(0 8 15W * ? *)",
        "cron(0 8 ? * 6L *)",
        "cron(0 8 ? * 2#1 *)",
        "cron(0 8 ? JAN,JUL SUN 2027)",
        "cron(0 18 ? * MON-FRI 2026-2030)",
        "cron(30 23 1-7 * ? *)",
    ],
)
def test_schedules_eventbridge_accepts_are_accepted(schedule: str) -> None:
    interval = {} if schedule_interval(schedule) else {"runIntervalMinutes": 60}
    assert DeployConfig.from_values({**TOLD, "schedule": schedule, **interval}).schedule == schedule


def test_a_mistyped_key_fails_synth_and_the_cdk_own_keys_do_not() -> None:
    with pytest.raises(
        ContextError, match="context 'notificationEmail': unknown setting; did you mean notificationEmails"
    ):
        synthesize({"notificationEmail": "secops@example.com"})
    _, stack = synthesize(
        {
            "@aws-cdk/core:enablePartitionLiterals": True,
            "aws:cdk:enable-path-metadata": True,
            "availability-zones:account=111122223333:region=eu-west-1": ["eu-west-1a"],
            "acknowledged-issue-numbers": [12345],
        }
    )
    assert stack.node.try_get_context("aws:cdk:enable-path-metadata") is True


def test_a_stack_that_would_tell_nobody_is_refused_unless_said_on_purpose() -> None:
    with pytest.raises(ContextError, match="context 'notificationEmails': required: a stack that deletes must tell"):
        DeployConfig.from_values({})
    assert DeployConfig.from_values({"noSubscribers": "true"}).notification_emails == ()


def test_a_run_interval_that_contradicts_the_schedule_is_refused() -> None:
    # Reminders are placed by the interval: 60 minutes against a daily schedule would drop 23 of 24
    with pytest.raises(
        ContextError, match="context 'runIntervalMinutes': the schedule 'rate\\(1 day\\)' runs every 1440"
    ):
        DeployConfig.from_values({**TOLD, "runIntervalMinutes": "60"})
    assert DeployConfig.from_values({**TOLD, "runIntervalMinutes": "1440"}).interval_minutes == 1440


@pytest.mark.parametrize("key", ["organizationId", "organizationalUnitIds", "memberRegion", "digestSchedule"])
def test_organization_keys_without_organization_mode_are_refused(key: str) -> None:
    value = {
        "organizationId": "o-a1b2c3d4e5",
        "organizationalUnitIds": "ou-ab12-11111111",
        "memberRegion": "eu-west-1",
        "digestSchedule": "rate(1 day)",
    }[key]
    with pytest.raises(ContextError, match=f"context '{key}': used only with -c mode=organization"):
        DeployConfig.from_values({**TOLD, key: value})


@pytest.mark.parametrize("value", ["", "[]", "14,,3"])
def test_an_empty_reminder_list_fails_synth_instead_of_every_run(value: str) -> None:
    # An empty list would set REMINDER_DAYS="", which the function refuses at every invocation
    with pytest.raises(ContextError) as raised:
        DeployConfig.from_values({**TOLD, "reminderDays": value})
    assert "context 'reminderDays': " in str(raised.value)


@pytest.mark.parametrize(("page", "least"), [("deploy.md", 10), ("organization.md", 5)])
def test_the_documented_context_defaults_are_the_app_s(page: str, least: int) -> None:
    documented = documented_defaults(page, "key")
    defaults = {
        field.alias: as_documented(field.get_default(call_default_factory=True), list_style="json")
        for field in DeployConfig.model_fields.values()
        if field.alias in documented
    }
    assert len(documented) >= least
    assert documented == defaults, f"docs/{page}'s defaults must be the CDK app's"
